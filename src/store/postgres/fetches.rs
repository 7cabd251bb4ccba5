//! Writing on PostgreSQL: a fetch or a push recorded in one transaction
//! (the shared upsert plan of `crate::store` in one statement per item, the
//! cap and its tombstones, the source's new state) and pruning by age. Uses
//! the pool and helpers of `super`.

use super::{PostgresStore, q, to_i32};
use crate::model::Item;
use crate::store::{FetchOutcome, FetchRecord, SaveSummary, StoreError, content_hash};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use std::collections::HashSet;

async fn upsert_items(
    tx: &deadpool_postgres::Transaction<'_>,
    at: DateTime<Utc>,
    items: &[Item],
) -> Result<SaveSummary, tokio_postgres::Error> {
    let mut summary = SaveSummary::default();
    // `store::plan` in one statement: a tombstone listed again is marked
    // seen and stops the insert (see `cap_items`); a changed hash updates
    // in place, an undated item keeping its first date; an unchanged one
    // returns no row. `xmax = 0` tells an insert from an update.
    let upsert = tx
        .prepare_cached(
            "WITH tomb AS (
                UPDATE pruned SET seen = $13 WHERE source = $1 AND id = $2
                  AND NOT EXISTS (SELECT 1 FROM items WHERE source = $1 AND id = $2)
                RETURNING 1
             )
             INSERT INTO items (source, id, link, title, authors, summary_html, content_html, published, dated, updated, categories, enclosures, first_seen, hash)
             SELECT $1::text, $2::text, $3::text, $4::text, $5::text[], $6::text, $7::text, $8::timestamptz, $9::bool, $10::timestamptz, $11::text[], $12::text, $13::timestamptz, $14::text
             WHERE NOT EXISTS (SELECT 1 FROM tomb)
             ON CONFLICT (source, id) DO UPDATE SET
               link = excluded.link, title = excluded.title, authors = excluded.authors,
               summary_html = excluded.summary_html, content_html = excluded.content_html,
               published = CASE WHEN excluded.dated THEN excluded.published ELSE items.published END,
               dated = excluded.dated OR items.dated,
               updated = COALESCE(excluded.updated, excluded.first_seen),
               categories = excluded.categories, enclosures = excluded.enclosures, hash = excluded.hash
             WHERE items.hash <> excluded.hash
             RETURNING (xmax = 0)",
        )
        .await?;
    for item in items {
        let hash = content_hash(item);
        let enclosures = crate::store::enclosures_to_json(&item.enclosures);
        let row = tx
            .query_opt(
                &upsert,
                &[
                    &item.source,
                    &item.id,
                    &item.link,
                    &item.title,
                    &item.authors,
                    &item.summary_html,
                    &item.content_html,
                    &item.published,
                    &item.dated,
                    &item.updated,
                    &item.categories,
                    &enclosures,
                    &at,
                    &hash,
                ],
            )
            .await?;
        match row.map(|r| r.try_get::<_, bool>(0)).transpose()? {
            None => summary.unchanged += 1,
            Some(true) => summary.new += 1,
            Some(false) => summary.updated += 1,
        }
    }
    Ok(summary)
}

/// Holds `source` to `max_items` after a fetch that listed `listed` items:
/// the ids [`crate::store::cap_fetch`] left out (`over`) and the stored items
/// beyond the cap are pruned, with tombstones; then the source's
/// tombstones are bounded by [`crate::store::tombstone_bound`], the least
/// recently listed going first. Set-wise: `over` may hold 100,000 ids.
async fn cap_items(
    tx: &deadpool_postgres::Transaction<'_>,
    source: &str,
    at: DateTime<Utc>,
    max_items: u32,
    over: &[String],
    listed: usize,
    summary: &mut SaveSummary,
) -> Result<(), tokio_postgres::Error> {
    if !over.is_empty() {
        let known: HashSet<String> = tx
            .query(
                "UPDATE pruned SET seen = $3 WHERE source = $1 AND id = ANY($2::text[]) RETURNING id",
                &[&source, &over, &at],
            )
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        let fresh: Vec<&String> = over.iter().filter(|id| !known.contains(*id)).collect();
        tx.execute(
            "WITH gone AS (DELETE FROM items WHERE source = $1 AND id = ANY($2::text[]))
             INSERT INTO pruned (source, id, seen) SELECT $1, unnest($2::text[]), $3
             ON CONFLICT (source, id) DO UPDATE SET seen = excluded.seen",
            &[&source, &fresh, &at],
        )
        .await?;
        summary.unchanged += known.len();
        summary.dropped += fresh.len();
    }
    let removed = tx
        .query(
            "WITH gone AS (
                DELETE FROM items WHERE source = $1 AND id IN (
                    SELECT id FROM items WHERE source = $1 ORDER BY published DESC, id COLLATE \"C\" OFFSET $2
                ) RETURNING id, first_seen
             ), tombs AS (
                INSERT INTO pruned (source, id, seen) SELECT $1, id, $3 FROM gone
                ON CONFLICT (source, id) DO UPDATE SET seen = excluded.seen
             )
             SELECT first_seen = $3 FROM gone",
            &[&source, &i64::from(max_items), &at],
        )
        .await?;
    for row in &removed {
        summary.dropped += 1;
        // Stored by this very fetch: not new after all.
        if row.try_get::<_, bool>(0)? {
            summary.new = summary.new.saturating_sub(1);
        }
    }
    tx.execute(
        "DELETE FROM pruned WHERE source = $1 AND id IN (
            SELECT id FROM pruned WHERE source = $1 ORDER BY seen DESC, id COLLATE \"C\" OFFSET $2
         )",
        &[&source, &crate::store::tombstone_bound(max_items, listed)],
    )
    .await?;
    Ok(())
}

/// Marks `sources` as changed under the next change version, and returns
/// it. The counter's row lock is held until commit, so versions become
/// visible in order and a reader never skips a smaller one that commits
/// late.
async fn bump(
    tx: &deadpool_postgres::Transaction<'_>,
    sources: &[String],
) -> Result<u64, tokio_postgres::Error> {
    let n: i64 = tx
        .query_one("UPDATE change_counter SET n = n + 1 RETURNING n", &[])
        .await?
        .try_get(0)?;
    tx.execute(
        "UPDATE sources SET changed = $2 WHERE id = ANY($1)",
        &[&sources, &n],
    )
    .await?;
    Ok(u64::try_from(n).unwrap_or_default())
}

pub(super) async fn record_fetch(
    db: &PostgresStore,
    mut record: FetchRecord,
) -> Result<SaveSummary, StoreError> {
    let (listed, over) = record.cap();
    let mut client = db.client().await?;
    let tx = client.transaction().await.map_err(q)?;
    let loc = &record.location;
    tx.execute(
        "INSERT INTO sources (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
        &[&record.source],
    )
    .await
    .map_err(q)?;
    // Locking the source row first serializes two writes of one source
    // (a lease that ran out while its holder was still busy).
    tx.execute(
        "SELECT 1 FROM sources WHERE id = $1 FOR UPDATE",
        &[&record.source],
    )
    .await
    .map_err(q)?;
    tx.execute(
        "UPDATE sources SET config_url = $2, url = $3, redirect_to = $4, redirect_streak = $5, gone = $6,
         feed_url = $7, interval_ms = $8, lease_holder = NULL, lease_until = NULL WHERE id = $1",
        &[
            &record.source,
            &loc.config_url,
            &loc.url,
            &loc.redirect_to,
            &to_i32(loc.redirect_streak),
            &loc.gone,
            &loc.feed_url,
            &record.interval.map(|d| d.num_milliseconds()),
        ],
    )
    .await
    .map_err(q)?;
    let mut summary = match &record.outcome {
        FetchOutcome::Fetched {
            pages,
            etag,
            last_modified,
            title,
            items,
        } => {
            let mut summary = upsert_items(&tx, record.at, items).await.map_err(q)?;
            cap_items(
                &tx,
                &record.source,
                record.at,
                record.max_items,
                &over,
                listed,
                &mut summary,
            )
            .await
            .map_err(q)?;
            for p in pages {
                tx.execute(
                    "INSERT INTO pages (source, url, etag, last_modified) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (source, url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified",
                    &[&record.source, &p.url, &p.etag, &p.last_modified],
                )
                .await
                .map_err(q)?;
            }
            tx.execute(
                "UPDATE sources SET etag = $2, last_modified = $3, title = COALESCE($4, title),
                 last_fetch = $5, last_outcome = CASE WHEN $7::TEXT IS NULL THEN 'ok' ELSE 'warning' END, last_error = $7,
                 troubled_since = CASE WHEN $7::TEXT IS NULL THEN NULL ELSE COALESCE(troubled_since, $5) END,
                 consecutive_errors = 0, next_due = $6
                 WHERE id = $1",
                &[&record.source, etag, last_modified, title, &record.at, &record.next_due, &record.warning],
            )
            .await
            .map_err(q)?;
            summary
        }
        FetchOutcome::NotModified => {
            tx.execute(
                "UPDATE sources SET last_fetch = $2, last_outcome = CASE WHEN $4::TEXT IS NULL THEN 'ok' ELSE 'warning' END, last_error = $4,
                 troubled_since = CASE WHEN $4::TEXT IS NULL THEN NULL ELSE COALESCE(troubled_since, $2) END,
                 consecutive_errors = 0, next_due = $3
                 WHERE id = $1",
                &[&record.source, &record.at, &record.next_due, &record.warning],
            )
            .await
            .map_err(q)?;
            SaveSummary::default()
        }
        FetchOutcome::Failed { error } => {
            tx.execute(
                "UPDATE sources SET last_fetch = $2, last_outcome = 'error', last_error = $3,
                 troubled_since = COALESCE(troubled_since, $2),
                 consecutive_errors = consecutive_errors + 1, next_due = $4
                 WHERE id = $1",
                &[&record.source, &record.at, error, &record.next_due],
            )
            .await
            .map_err(q)?;
            SaveSummary::default()
        }
    };
    if record.keep_polls > 0 && !matches!(record.outcome, FetchOutcome::Failed { .. }) {
        tx.execute(
            "INSERT INTO polls (source, at, new_items) VALUES ($1, $2, $3)
             ON CONFLICT (source, at) DO UPDATE SET new_items = excluded.new_items",
            &[
                &record.source,
                &record.at,
                &i32::try_from(summary.new).unwrap_or(i32::MAX),
            ],
        )
        .await
        .map_err(q)?;
        tx.execute(
            "DELETE FROM polls WHERE source = $1 AND at IN (
                SELECT at FROM polls WHERE source = $1 ORDER BY at DESC OFFSET $2
             )",
            &[&record.source, &i64::from(record.keep_polls)],
        )
        .await
        .map_err(q)?;
    }
    if summary.changed() || record.health_changed {
        // Last, so the counter's lock is held only until the commit.
        summary.version = Some(
            bump(&tx, std::slice::from_ref(&record.source))
                .await
                .map_err(q)?,
        );
    }
    tx.commit().await.map_err(q)?;
    Ok(summary)
}

pub(super) async fn record_push(
    db: &PostgresStore,
    source: &str,
    at: DateTime<Utc>,
    mut items: Vec<Item>,
    max_items: u32,
) -> Result<SaveSummary, StoreError> {
    let listed = items.len();
    let over = crate::store::cap_fetch(&mut items, max_items);
    let mut client = db.client().await?;
    let tx = client.transaction().await.map_err(q)?;
    tx.execute(
        "INSERT INTO sources (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
        &[&source],
    )
    .await
    .map_err(q)?;
    // As in `record_fetch`: one write of a source at a time.
    tx.execute("SELECT 1 FROM sources WHERE id = $1 FOR UPDATE", &[&source])
        .await
        .map_err(q)?;
    let mut summary = upsert_items(&tx, at, &items).await.map_err(q)?;
    cap_items(&tx, source, at, max_items, &over, listed, &mut summary)
        .await
        .map_err(q)?;
    if summary.changed() {
        summary.version = Some(bump(&tx, &[source.to_string()]).await.map_err(q)?);
    }
    tx.commit().await.map_err(q)?;
    Ok(summary)
}

pub(super) async fn prune(
    db: &PostgresStore,
    before: DateTime<Utc>,
    keep_min: u32,
    max_items: u32,
) -> Result<u64, StoreError> {
    let mut client = db.client().await?;
    let tx = client.transaction().await.map_err(q)?;
    let removed = tx
        .query(
            "WITH gone AS (
                DELETE FROM items WHERE (source, id) IN (
                    SELECT source, id FROM (
                        SELECT source, id, published, ROW_NUMBER() OVER (PARTITION BY source ORDER BY published DESC, id COLLATE \"C\") AS rank
                        FROM items
                    ) ranked WHERE (published < $1 AND rank > $2) OR rank > $3
                ) RETURNING source, id
             ), tombs AS (
                INSERT INTO pruned (source, id) SELECT source, id FROM gone ON CONFLICT DO NOTHING
             )
             SELECT source FROM gone",
            &[&before, &i64::from(keep_min), &i64::from(max_items)],
        )
        .await
        .map_err(q)?;
    let mut sources = removed
        .iter()
        .map(|r| r.try_get::<_, String>(0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(q)?;
    sources.sort();
    sources.dedup();
    if !sources.is_empty() {
        bump(&tx, &sources).await.map_err(q)?;
    }
    tx.commit().await.map_err(q)?;
    Ok(removed.len() as u64)
}
