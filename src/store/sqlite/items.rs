//! Reading items on SQLite: the newest across sources for a feed, the
//! known ids and the page validators of a source. Uses the connection and
//! helpers of `super`.

use super::{SqliteStore, from_ms};
use crate::model::Item;
use crate::store::heads::Heads;
use crate::store::{PageValidators, StoreError};
use rusqlite::params;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::{HashMap, HashSet};

pub(super) const ITEM_COLUMNS: &str = "source, id, link, title, authors, summary_html, content_html, published, dated, updated, categories, enclosures";

pub(super) fn item_row(r: &rusqlite::Row<'_>) -> Result<Item, rusqlite::Error> {
    let json_list = |i: usize| -> Result<Vec<String>, rusqlite::Error> {
        let s: String = r.get(i)?;
        Ok(serde_json::from_str(&s).unwrap_or_default())
    };
    let enclosures: String = r.get(11)?;
    let enclosures = crate::store::enclosures_from_json(&enclosures);
    Ok(Item {
        source: r.get(0)?,
        id: r.get(1)?,
        link: r.get(2)?,
        title: r.get(3)?,
        authors: json_list(4)?,
        summary_html: r.get(5)?,
        content_html: r.get(6)?,
        published: from_ms(r.get(7)?),
        dated: r.get(8)?,
        updated: r.get::<_, Option<i64>>(9)?.map(from_ms),
        categories: json_list(10)?,
        enclosures,
        also_via: Vec::new(),
    })
}

/// An item's place among the newest: `(published, source, id)` ordered so
/// that the heap's top is the worst kept so far.
type Candidate = Reverse<(i64, Reverse<String>, Reverse<String>)>;

pub(super) async fn items(
    db: &SqliteStore,
    sources: &[String],
    limit: usize,
) -> Result<Vec<Item>, StoreError> {
    let sources = sources.to_vec();
    let heads = db.heads.clone();
    db.with(move |c| {
        // One read transaction: the change version, the dates and the
        // items come from one snapshot.
        let tx = c.transaction()?;
        let c = &*tx;
        let order = newest_first(c, &heads, &sources)?;
        // Then the keys: each source's newest, straight off the covering
        // index and no older than the `limit`th newest found so far, so a
        // feed over many sources reads few entries of each. Then only the
        // chosen rows. Neither grows with the store.
        let mut keys = c.prepare_cached(
            "SELECT published, id FROM items WHERE source = ?1 AND published >= ?3
             ORDER BY published DESC, id LIMIT ?2",
        )?;
        // The worst of the best `limit` on top.
        let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(limit + 1);
        for (s, head) in order {
            let floor = match best.peek() {
                Some(Reverse((published, _, _))) if best.len() >= limit => *published,
                _ => i64::MIN,
            };
            if head < floor {
                // Sources come by their newest item, newest first: this
                // one's items, and every later source's, are all older
                // than the worst kept.
                break;
            }
            let rows = keys.query_map(params![s, limit as i64, floor], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (published, id) = row?;
                let key = Reverse((published, Reverse(s.clone()), Reverse(id)));
                if best.len() >= limit && best.peek().is_some_and(|worst| key >= *worst) {
                    // This source's rows come newest first: the rest are
                    // no better.
                    break;
                }
                best.push(key);
                if best.len() > limit {
                    best.pop();
                }
            }
        }
        let mut row = c.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE source = ?1 AND id = ?2"
        ))?;
        let mut all = best
            .into_iter()
            .map(|Reverse((_, Reverse(source), Reverse(id)))| {
                row.query_row(params![source, id], item_row)
            })
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| {
            b.published
                .cmp(&a.published)
                .then_with(|| a.source.cmp(&b.source))
                .then_with(|| a.id.cmp(&b.id))
        });
        drop((keys, row));
        tx.commit()?;
        Ok(all)
    })
    .await
}

/// `sources` that have items, each with the `published` of its newest,
/// newest first, so that a feed
/// over many sources then reads the keys of only those whose newest can
/// make the cut. The dates come from the store's [`Heads`], brought up to
/// the change version of this read's snapshot; those it lacks are read in
/// one statement (a seek per source inside SQLite, not a statement per
/// source) and kept.
fn newest_first<'a>(
    c: &rusqlite::Connection,
    heads: &Heads,
    sources: &'a [String],
) -> Result<Vec<(&'a String, i64)>, rusqlite::Error> {
    if let [one] = sources {
        // One source needs no order; its keys are read either way.
        return Ok(vec![(one, i64::MAX)]);
    }
    let from = heads.version();
    let changes = super::state::read_changes(c, from)?;
    if changes.version != from {
        heads.advance(from, changes.version, &changes.sources);
    }
    let (mut newest, missing) = heads.lookup(sources);
    if !missing.is_empty() {
        let list = serde_json::to_string(&missing)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
        let mut st = c.prepare_cached(
            "SELECT j.key, (SELECT published FROM items WHERE source = j.value
                            ORDER BY published DESC LIMIT 1)
             FROM json_each(?1) j",
        )?;
        let mut read = HashMap::with_capacity(missing.len());
        for row in st.query_map([list], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
        })? {
            let (i, head) = row?;
            if let Some(source) = usize::try_from(i).ok().and_then(|i| missing.get(i)) {
                read.insert(source.as_str(), head);
            }
        }
        for (kept, source) in newest.iter_mut().zip(sources) {
            if kept.is_none() {
                *kept = Some(read.get(source.as_str()).copied().flatten());
            }
        }
        heads.keep(
            changes.version,
            read.into_iter().map(|(s, head)| (s.to_string(), head)),
        );
    }
    // A source without items is left out.
    let mut order: Vec<(&String, i64)> = sources
        .iter()
        .zip(newest)
        .filter_map(|(s, head)| head.flatten().map(|h| (s, h)))
        .collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    Ok(order)
}

pub(super) async fn page_validators(
    db: &SqliteStore,
    source: &str,
) -> Result<HashMap<String, PageValidators>, StoreError> {
    let source = source.to_string();
    db.with(move |c| {
        let mut st =
            c.prepare_cached("SELECT url, etag, last_modified FROM pages WHERE source = ?1")?;
        let rows = st.query_map([source], |r| {
            Ok(PageValidators {
                url: r.get(0)?,
                etag: r.get(1)?,
                last_modified: r.get(2)?,
            })
        })?;
        rows.map(|r| r.map(|p| (p.url.clone(), p))).collect()
    })
    .await
}

pub(super) async fn known_ids(
    db: &SqliteStore,
    source: &str,
    ids: &[String],
) -> Result<HashSet<String>, StoreError> {
    let source = source.to_string();
    let ids = ids.to_vec();
    db.with(move |c| {
        let mut st = c.prepare_cached(
            "SELECT 1 FROM items WHERE source = ?1 AND id = ?2
             UNION ALL SELECT 1 FROM pruned WHERE source = ?1 AND id = ?2",
        )?;
        let mut known = HashSet::new();
        for id in ids {
            if st.exists(params![source, id])? {
                known.insert(id);
            }
        }
        Ok(known)
    })
    .await
}
