//! Writing on SQLite: a fetch (in a savepoint of a batch's transaction,
//! see `super::batch`) or a push recorded in one transaction (the
//! shared upsert plan of `crate::store` applied per item, the cap and its
//! tombstones, the source's new state) and pruning by age. Uses the
//! connection and helpers of `super`.

use super::{SqliteStore, exec, from_ms, ms};
use crate::model::Item;
use crate::store::{
    FetchOutcome, FetchRecord, SaveSummary, StoreError, Stored, Upsert, content_hash, plan,
};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

/// A fetch's or a push's items written (`upsert_items`) and the source held
/// to its cap (`cap_items`). Most sources hold no tombstones and fewer
/// items than their cap: the tombstone look-ups and the cap's deletes would
/// find nothing then, so the source's tombstones are counted once first.
fn save_items(
    tx: &rusqlite::Connection,
    source: &str,
    at: DateTime<Utc>,
    max_items: u32,
    items: &[Item],
    over: &[String],
    listed: usize,
) -> Result<SaveSummary, rusqlite::Error> {
    let tombstones: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM pruned WHERE source = ?1")?
        .query_row([source], |r| r.get(0))?;
    let mut summary = upsert_items(tx, at, items, tombstones > 0)?;
    let cap = Cap {
        max_items,
        over,
        listed,
        tombstones,
    };
    cap_items(tx, source, at, &cap, &mut summary)?;
    Ok(summary)
}

/// `items` upserted by the shared plan; `tombstones`: whether the source
/// has any (else an item not stored cannot be one).
fn upsert_items(
    tx: &rusqlite::Connection,
    at: DateTime<Utc>,
    items: &[Item],
    tombstones: bool,
) -> Result<SaveSummary, rusqlite::Error> {
    let mut summary = SaveSummary::default();
    let mut existing = tx
        .prepare_cached("SELECT hash, published, dated FROM items WHERE source = ?1 AND id = ?2")?;
    let mut tombstone =
        tx.prepare_cached("UPDATE pruned SET seen = ?3 WHERE source = ?1 AND id = ?2")?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO items (source, id, link, title, authors, summary_html, content_html, published, dated, updated, categories, enclosures, first_seen, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE items SET link = ?3, title = ?4, authors = ?5, summary_html = ?6, content_html = ?7, published = ?8, dated = ?9, updated = ?10, categories = ?11, enclosures = ?12, hash = ?14
         WHERE source = ?1 AND id = ?2",
    )?;
    for item in items {
        let hash = content_hash(item);
        let authors = serde_json::to_string(&item.authors).unwrap_or_else(|_| "[]".into());
        let categories = serde_json::to_string(&item.categories).unwrap_or_else(|_| "[]".into());
        let enclosures = crate::store::enclosures_to_json(&item.enclosures);
        let stored = existing
            .query_row(params![item.source, item.id], |r| {
                Ok(Stored {
                    hash: r.get(0)?,
                    published: from_ms(r.get(1)?),
                    dated: r.get(2)?,
                })
            })
            .optional()?;
        // A tombstone listed again is marked seen (see `cap_items`).
        let tombstoned = stored.is_none()
            && tombstones
            && tombstone.execute(params![item.source, item.id, ms(at)])? > 0;
        // An insert and an update bind the same values (an update leaves
        // `first_seen`, ?13, alone); the plan says which, and the dates.
        let (statement, published, dated, updated) = match plan(item, &hash, at, stored, tombstoned)
        {
            Upsert::Unchanged => {
                summary.unchanged += 1;
                continue;
            }
            Upsert::Insert => {
                summary.new += 1;
                (&mut insert, item.published, item.dated, item.updated)
            }
            Upsert::Update {
                published,
                dated,
                updated,
            } => {
                summary.updated += 1;
                (&mut update, published, dated, Some(updated))
            }
        };
        statement.execute(params![
            item.source,
            item.id,
            item.link,
            item.title,
            authors,
            item.summary_html,
            item.content_html,
            ms(published),
            dated,
            updated.map(ms),
            categories,
            enclosures,
            ms(at),
            hash
        ])?;
    }
    Ok(summary)
}

/// What holding a source to its cap needs: `max_items`, the ids
/// [`crate::store::cap_fetch`] left out of the fetch (`over`), how many
/// items it listed, and how many tombstones the source held before.
struct Cap<'a> {
    max_items: u32,
    over: &'a [String],
    listed: usize,
    tombstones: i64,
}

/// Holds `source` to `cap.max_items` after a fetch: the ids left out
/// (`cap.over`) and the stored items beyond the cap are pruned, with
/// tombstones; then the source's tombstones are bounded by
/// [`crate::store::tombstone_bound`], the least recently listed going
/// first. Each delete runs only when there is something beyond its bound.
fn cap_items(
    tx: &rusqlite::Connection,
    source: &str,
    at: DateTime<Utc>,
    cap: &Cap,
    summary: &mut SaveSummary,
) -> Result<(), rusqlite::Error> {
    let at = ms(at);
    let mut seen =
        tx.prepare_cached("UPDATE pruned SET seen = ?3 WHERE source = ?1 AND id = ?2")?;
    let mut tomb = tx.prepare_cached(
        "INSERT INTO pruned (source, id, seen) VALUES (?1, ?2, ?3)
         ON CONFLICT (source, id) DO UPDATE SET seen = excluded.seen",
    )?;
    let mut unstore = tx.prepare_cached("DELETE FROM items WHERE source = ?1 AND id = ?2")?;
    // An upper bound of the source's tombstones after this fetch.
    let mut tombstones = cap.tombstones;
    for id in cap.over {
        if cap.tombstones > 0 && seen.execute(params![source, id, at])? > 0 {
            summary.unchanged += 1;
        } else {
            unstore.execute(params![source, id])?;
            tomb.execute(params![source, id, at])?;
            tombstones += 1;
            summary.dropped += 1;
        }
    }
    let stored: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM items WHERE source = ?1")?
        .query_row([source], |r| r.get(0))?;
    let removed: Vec<(String, i64)> = if stored > i64::from(cap.max_items) {
        let mut st = tx.prepare_cached(
            "DELETE FROM items WHERE source = ?1 AND id IN (
                SELECT id FROM items WHERE source = ?1 ORDER BY published DESC, id LIMIT -1 OFFSET ?2
             ) RETURNING id, first_seen",
        )?;
        st.query_map(params![source, cap.max_items], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    for (id, first_seen) in removed {
        tomb.execute(params![source, id, at])?;
        tombstones += 1;
        summary.dropped += 1;
        // Stored by this very fetch: not new after all.
        if first_seen == at {
            summary.new = summary.new.saturating_sub(1);
        }
    }
    let bound = crate::store::tombstone_bound(cap.max_items, cap.listed);
    if tombstones > bound {
        tx.prepare_cached(
            "DELETE FROM pruned WHERE source = ?1 AND id IN (
                SELECT id FROM pruned WHERE source = ?1 ORDER BY seen DESC, id LIMIT -1 OFFSET ?2
             )",
        )?
        .execute(params![source, bound])?;
    }
    Ok(())
}

/// Sets `sources`' change version to the next one, and returns it.
fn bump(tx: &rusqlite::Connection, sources: &[String]) -> Result<u64, rusqlite::Error> {
    let n: i64 = tx
        .prepare_cached("UPDATE change_counter SET n = n + 1 RETURNING n")?
        .query_row([], |r| r.get(0))?;
    let mut st = tx.prepare_cached("UPDATE sources SET changed = ?2 WHERE id = ?1")?;
    for s in sources {
        st.execute(params![s, n])?;
    }
    Ok(u64::try_from(n).unwrap_or_default())
}

pub(super) async fn record_fetch(
    db: &SqliteStore,
    mut record: FetchRecord,
) -> Result<SaveSummary, StoreError> {
    let (listed, over) = record.cap();
    // In a batch's transaction (see `super::batch`), in a savepoint of its own.
    db.batched(true, move |tx| {
        let loc = &record.location;
        let locate = |tx: &rusqlite::Connection| {
            exec(
                tx,
                "UPDATE sources SET config_url = ?2, url = ?3, redirect_to = ?4, redirect_streak = ?5, gone = ?6,
                 feed_url = ?7, interval_ms = ?8, lease_holder = NULL, lease_until = NULL WHERE id = ?1",
                params![record.source, loc.config_url, loc.url, loc.redirect_to, loc.redirect_streak, loc.gone, loc.feed_url,
                    record.interval.map(|d| d.num_milliseconds())],
            )
        };
        // A source is new once: its row is added only when there was none
        // to update.
        if locate(tx)? == 0 {
            exec(tx, "INSERT INTO sources (id) VALUES (?1)", [&record.source])?;
            locate(tx)?;
        }
        let mut summary = match &record.outcome {
            FetchOutcome::Fetched {
                pages,
                etag,
                last_modified,
                title,
                items,
            } => {
                let summary = save_items(
                    tx,
                    &record.source,
                    record.at,
                    record.max_items,
                    items,
                    &over,
                    listed,
                )?;
                let mut page = tx.prepare_cached(
                    "INSERT INTO pages (source, url, etag, last_modified) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (source, url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified",
                )?;
                for p in pages {
                    page.execute(params![record.source, p.url, p.etag, p.last_modified])?;
                }
                drop(page);
                exec(
                    tx,
                    "UPDATE sources SET etag = ?2, last_modified = ?3, title = COALESCE(?4, title),
                     last_fetch = ?5, last_outcome = CASE WHEN ?7 IS NULL THEN 'ok' ELSE 'warning' END, last_error = ?7,
                     troubled_since = CASE WHEN ?7 IS NULL THEN NULL ELSE COALESCE(troubled_since, ?5) END,
                     consecutive_errors = 0, next_due = ?6
                     WHERE id = ?1",
                    params![record.source, etag, last_modified, title, ms(record.at), ms(record.next_due), record.warning],
                )?;
                summary
            }
            FetchOutcome::NotModified => {
                exec(
                    tx,
                    "UPDATE sources SET last_fetch = ?2, last_outcome = CASE WHEN ?4 IS NULL THEN 'ok' ELSE 'warning' END, last_error = ?4,
                     troubled_since = CASE WHEN ?4 IS NULL THEN NULL ELSE COALESCE(troubled_since, ?2) END,
                     consecutive_errors = 0, next_due = ?3
                     WHERE id = ?1",
                    params![record.source, ms(record.at), ms(record.next_due), record.warning],
                )?;
                SaveSummary::default()
            }
            FetchOutcome::Failed { error } => {
                exec(
                    tx,
                    "UPDATE sources SET last_fetch = ?2, last_outcome = 'error', last_error = ?3,
                     troubled_since = COALESCE(troubled_since, ?2),
                     consecutive_errors = consecutive_errors + 1, next_due = ?4
                     WHERE id = ?1",
                    params![record.source, ms(record.at), error, ms(record.next_due)],
                )?;
                SaveSummary::default()
            }
        };
        if record.keep_polls > 0 && !matches!(record.outcome, FetchOutcome::Failed { .. }) {
            exec(
                tx,
                "INSERT INTO polls (source, at, new_items) VALUES (?1, ?2, ?3)
                 ON CONFLICT (source, at) DO UPDATE SET new_items = excluded.new_items",
                params![record.source, ms(record.at), summary.new as i64],
            )?;
            exec(
                tx,
                "DELETE FROM polls WHERE source = ?1 AND at IN (
                    SELECT at FROM polls WHERE source = ?1 ORDER BY at DESC LIMIT -1 OFFSET ?2
                 )",
                params![record.source, record.keep_polls],
            )?;
        }
        if summary.changed() || record.health_changed {
            summary.version = Some(bump(tx, std::slice::from_ref(&record.source))?);
        }
        Ok(summary)
    })
    .await
}

pub(super) async fn record_push(
    db: &SqliteStore,
    source: &str,
    at: DateTime<Utc>,
    mut items: Vec<Item>,
    max_items: u32,
) -> Result<SaveSummary, StoreError> {
    let source = source.to_string();
    let listed = items.len();
    let over = crate::store::cap_fetch(&mut items, max_items);
    db.with(move |c| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        exec(
            &tx,
            "INSERT INTO sources (id) VALUES (?1) ON CONFLICT (id) DO NOTHING",
            [&source],
        )?;
        let mut summary = save_items(&tx, &source, at, max_items, &items, &over, listed)?;
        if summary.changed() {
            summary.version = Some(bump(&tx, std::slice::from_ref(&source))?);
        }
        tx.commit()?;
        Ok(summary)
    })
    .await
}

pub(super) async fn prune(
    db: &SqliteStore,
    before: DateTime<Utc>,
    keep_min: u32,
    max_items: u32,
) -> Result<u64, StoreError> {
    db.with(move |c| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let removed: Vec<(String, String)> = {
            let mut st = tx.prepare(
                "DELETE FROM items WHERE (source, id) IN (
                    SELECT source, id FROM (
                        SELECT source, id, published, ROW_NUMBER() OVER (PARTITION BY source ORDER BY published DESC, id) AS rank
                        FROM items
                    ) WHERE (published < ?1 AND rank > ?2) OR rank > ?3
                 ) RETURNING source, id",
            )?;
            st.query_map(params![ms(before), keep_min, max_items], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?
        };
        let mut tomb =
            tx.prepare_cached("INSERT OR IGNORE INTO pruned (source, id) VALUES (?1, ?2)")?;
        for (source, id) in &removed {
            tomb.execute(params![source, id])?;
        }
        drop(tomb);
        let mut sources: Vec<String> = removed.iter().map(|(s, _)| s.clone()).collect();
        sources.sort();
        sources.dedup();
        if !sources.is_empty() {
            bump(&tx, &sources)?;
        }
        tx.commit()?;
        Ok(removed.len() as u64)
    })
    .await
}
