//! The rules both backends follow when writing items, so they differ only
//! in SQL: the per-source cap and its tombstones, the [`Upsert`] plan for
//! each listed item, the content hash that tells an update from a copy,
//! and the enclosures' stored JSON. Pure; depends only on `model`.

use super::{FetchOutcome, FetchRecord};
use crate::model::{Enclosure, Item};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

impl FetchRecord {
    /// [`cap_fetch`] on the items this fetch read, if it read any: how many
    /// it listed, and the ids over the cap.
    pub(crate) fn cap(&mut self) -> (usize, Vec<String>) {
        match &mut self.outcome {
            FetchOutcome::Fetched { items, .. } => (items.len(), cap_fetch(items, self.max_items)),
            _ => (0, Vec::new()),
        }
    }
}

/// The per-source item cap, applied to one fetch before anything is
/// written: when the fetch lists more than `max_items` items, only the
/// newest `max_items` (by date, then id: the order in which the store
/// keeps and prunes) are kept in `items`; returns the ids of the others,
/// which the backend keeps as tombstones without ever storing them. A
/// source that lists 100,000 new ids a fetch so never writes more than its
/// cap. The backend then prunes its stored items beyond the cap the same
/// way, and bounds its tombstones by [`tombstone_bound`].
pub fn cap_fetch(items: &mut Vec<Item>, max_items: u32) -> Vec<String> {
    let max = usize::try_from(max_items).unwrap_or(usize::MAX);
    if items.len() <= max {
        return Vec::new();
    }
    items.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.id.cmp(&b.id)));
    items.split_off(max).into_iter().map(|i| i.id).collect()
}

/// How many tombstones a source keeps after a fetch that listed `listed`
/// items: the most recently listed first. At least every id of the fetch
/// (each one a feed that keeps listing pruned items needs), and at least
/// `max_items`; older ones go, so tombstones, like items, cannot grow
/// without bound.
pub fn tombstone_bound(max_items: u32, listed: usize) -> i64 {
    i64::from(max_items).max(i64::try_from(listed).unwrap_or(i64::MAX))
}

/// What the store holds of an item a fetch lists again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    pub hash: String,
    pub published: DateTime<Utc>,
    pub dated: bool,
}

/// What recording one listed item does: the rule both backends follow
/// (SQLite step by step, PostgreSQL in its one upsert statement, which
/// the store suite checks against the same cases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Upsert {
    /// New: stored, first seen now.
    Insert,
    /// The same as stored, or pruned before (a tombstone: it never comes
    /// back as new).
    Unchanged,
    /// Changed: updated in place. An undated item keeps the date it was
    /// first seen at; a change the source did not date is dated by this
    /// fetch.
    Update {
        published: DateTime<Utc>,
        dated: bool,
        updated: DateTime<Utc>,
    },
}

/// The [`Upsert`] for `item`, recorded at `at`, given what is stored of it
/// and whether a tombstone holds its id.
pub(crate) fn plan(
    item: &Item,
    hash: &str,
    at: DateTime<Utc>,
    stored: Option<Stored>,
    tombstone: bool,
) -> Upsert {
    match stored {
        None if tombstone => Upsert::Unchanged,
        None => Upsert::Insert,
        Some(old) if old.hash == hash => Upsert::Unchanged,
        Some(old) => {
            let (published, dated) = if item.dated {
                (item.published, true)
            } else {
                (old.published, old.dated)
            };
            Upsert::Update {
                published,
                dated,
                updated: item.updated.unwrap_or(at),
            }
        }
    }
}

/// A digest of everything a reader sees of an item, to tell an update in
/// place from an unchanged copy. `published` counts only when the source
/// dated the item (else it is the first-seen time, which differs per fetch).
pub(crate) fn content_hash(item: &Item) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update(s.as_bytes());
        h.update([0]);
    };
    field(item.link.as_deref().unwrap_or(""));
    field(&item.title);
    field(&item.authors.join("\u{1}"));
    field(item.summary_html.as_deref().unwrap_or(""));
    field(item.content_html.as_deref().unwrap_or(""));
    field(&item.categories.join("\u{1}"));
    for e in &item.enclosures {
        field(&format!("{}\u{1}{}\u{1}{}", e.url, e.mime_type, e.length));
        if let Some(d) = e.duration {
            field(&d.to_string());
        }
    }
    if item.dated {
        field(&item.published.to_rfc3339());
    }
    field(&item.updated.map(|u| u.to_rfc3339()).unwrap_or_default());
    hex::encode(&h.finalize()[..16])
}

/// An enclosure as both backends store it: a JSON array, the duration last
/// and optional (rows written before durations were kept have three fields).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredEnclosure(String, String, u64, #[serde(default)] Option<u64>);

/// The enclosures as the JSON text the backends store.
pub(super) fn enclosures_to_json(enclosures: &[Enclosure]) -> String {
    let stored: Vec<StoredEnclosure> = enclosures
        .iter()
        .map(|e| StoredEnclosure(e.url.clone(), e.mime_type.clone(), e.length, e.duration))
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".into())
}

/// The enclosures from the stored JSON text; none when it cannot be read.
pub(super) fn enclosures_from_json(text: &str) -> Vec<Enclosure> {
    serde_json::from_str::<Vec<StoredEnclosure>>(text)
        .unwrap_or_default()
        .into_iter()
        .map(
            |StoredEnclosure(url, mime_type, length, duration)| Enclosure {
                url,
                mime_type,
                length,
                duration,
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_upsert_plan() {
        let t = |s: i64| Utc.timestamp_opt(s, 0).unwrap();
        let item = |dated: bool| Item {
            id: "a".into(),
            published: t(100),
            dated,
            ..Item::default()
        };
        let stored = |hash: &str| {
            Some(Stored {
                hash: hash.into(),
                published: t(50),
                dated: false,
            })
        };
        assert_eq!(plan(&item(true), "h", t(200), None, false), Upsert::Insert);
        assert_eq!(
            plan(&item(true), "h", t(200), None, true),
            Upsert::Unchanged
        );
        assert_eq!(
            plan(&item(true), "h", t(200), stored("h"), false),
            Upsert::Unchanged
        );
        assert_eq!(
            plan(&item(true), "h", t(200), stored("old"), false),
            Upsert::Update {
                published: t(100),
                dated: true,
                updated: t(200)
            }
        );
        // Undated: the first date stays.
        assert_eq!(
            plan(&item(false), "h", t(200), stored("old"), false),
            Upsert::Update {
                published: t(50),
                dated: false,
                updated: t(200)
            }
        );
    }
}
