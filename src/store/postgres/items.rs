//! Reading items on PostgreSQL: the newest across sources for a feed, the
//! known ids and the page validators of a source. Uses the pool and helpers
//! of `super`.

use super::{PostgresStore, q};
use crate::model::Item;
use crate::store::heads::Heads;
use crate::store::{PageValidators, StoreError};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use std::collections::{HashMap, HashSet};
use tokio_postgres::IsolationLevel;
use tokio_postgres::Row;

pub(super) const ITEM_COLUMNS: &str = "source, id, link, title, authors, summary_html, content_html, published, dated, updated, categories, enclosures";

pub(super) fn item_row(r: &Row) -> Result<Item, tokio_postgres::Error> {
    let enclosures: String = r.try_get(11)?;
    let enclosures = crate::store::enclosures_from_json(&enclosures);
    Ok(Item {
        source: r.try_get(0)?,
        id: r.try_get(1)?,
        link: r.try_get(2)?,
        title: r.try_get(3)?,
        authors: r.try_get(4)?,
        summary_html: r.try_get(5)?,
        content_html: r.try_get(6)?,
        published: r.try_get(7)?,
        dated: r.try_get(8)?,
        updated: r.try_get(9)?,
        categories: r.try_get(10)?,
        enclosures,
        also_via: Vec::new(),
    })
}

pub(super) async fn items(
    db: &PostgresStore,
    sources: &[String],
    limit: usize,
) -> Result<Vec<Item>, StoreError> {
    let mut client = db.client().await?;
    let limit_i64 = i64::try_from(limit).unwrap_or(i64::MAX);
    // One snapshot for the change version, the dates and the items.
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(q)?;
    let (read, floor) = if sources.len() > 1 {
        cut(&tx, &db.heads, sources, limit).await?
    } else {
        (sources.to_vec(), None)
    };
    // Each source's newest `limit` (no older than the floor) come straight
    // off the index; merging those keeps the cost independent of the
    // store's size.
    let rows = tx
        .query(
            &format!(
                "SELECT i.* FROM unnest($1::text[]) AS s(id) CROSS JOIN LATERAL (
                    SELECT {ITEM_COLUMNS} FROM items
                    WHERE source = s.id AND ($3::timestamptz IS NULL OR published >= $3)
                    ORDER BY published DESC, id COLLATE \"C\" LIMIT $2
                 ) i"
            ),
            &[&read, &limit_i64, &floor],
        )
        .await
        .map_err(q)?;
    tx.commit().await.map_err(q)?;
    let mut all = rows
        .iter()
        .map(item_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(q)?;
    // Sorted here, byte-wise as on SQLite: the database's collation
    // must not change the order.
    all.sort_by(|a, b| {
        b.published
            .cmp(&a.published)
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.id.cmp(&b.id))
    });
    all.truncate(limit);
    Ok(all)
}

/// Which of `sources` can have an item among the newest `limit`, and the
/// date none of those items is older than: each distinct source with items
/// has one item at its newest date, so the `limit`th newest of those dates
/// is a floor for the `limit` newest items, and a source whose newest is
/// older cannot place. The dates come from the store's [`Heads`], brought
/// up to the change version of the transaction's snapshot (on PostgreSQL
/// every write that changes a source's items, deletions too, bumps it, so
/// the kept dates are exact); those it lacks are read in one statement.
async fn cut(
    tx: &deadpool_postgres::Transaction<'_>,
    heads: &Heads,
    sources: &[String],
    limit: usize,
) -> Result<(Vec<String>, Option<DateTime<Utc>>), StoreError> {
    let from = heads.version();
    let changes = super::state::read_changes(tx, from).await?;
    if changes.version != from {
        heads.advance(from, changes.version, &changes.sources);
    }
    let (mut newest, missing) = heads.lookup(sources);
    if !missing.is_empty() {
        let rows = tx
            .query(
                "SELECT s.id, (SELECT published FROM items WHERE source = s.id
                               ORDER BY published DESC LIMIT 1)
                 FROM unnest($1::text[]) AS s(id)",
                &[&missing],
            )
            .await
            .map_err(q)?;
        let mut read = HashMap::with_capacity(rows.len());
        for r in &rows {
            let source: String = r.try_get(0).map_err(q)?;
            let head: Option<DateTime<Utc>> = r.try_get(1).map_err(q)?;
            read.insert(source, head.map(|t| t.timestamp_micros()));
        }
        for (kept, source) in newest.iter_mut().zip(sources) {
            if kept.is_none() {
                *kept = Some(read.get(source).copied().flatten());
            }
        }
        heads.keep(changes.version, read);
    }
    let mut distinct: Vec<(&String, i64)> = sources
        .iter()
        .zip(&newest)
        .filter_map(|(s, head)| head.flatten().map(|h| (s, h)))
        .collect();
    distinct.sort_unstable();
    distinct.dedup_by(|a, b| a.0 == b.0);
    let mut dates: Vec<i64> = distinct.iter().map(|(_, h)| *h).collect();
    dates.sort_unstable_by(|a, b| b.cmp(a));
    let Some(&floor) = dates.get(limit.saturating_sub(1)).filter(|_| limit > 0) else {
        // Fewer sources with items than `limit`: every one is read.
        return Ok((distinct.into_iter().map(|(s, _)| s.clone()).collect(), None));
    };
    let read = distinct
        .into_iter()
        .filter(|(_, h)| *h >= floor)
        .map(|(s, _)| s.clone())
        .collect();
    Ok((read, DateTime::from_timestamp_micros(floor)))
}

pub(super) async fn page_validators(
    db: &PostgresStore,
    source: &str,
) -> Result<HashMap<String, PageValidators>, StoreError> {
    let client = db.client().await?;
    let rows = client
        .query(
            "SELECT url, etag, last_modified FROM pages WHERE source = $1",
            &[&source],
        )
        .await
        .map_err(q)?;
    Ok(rows
        .iter()
        .map(|r| {
            let p = PageValidators {
                url: r.get(0),
                etag: r.get(1),
                last_modified: r.get(2),
            };
            (p.url.clone(), p)
        })
        .collect())
}

pub(super) async fn known_ids(
    db: &PostgresStore,
    source: &str,
    ids: &[String],
) -> Result<HashSet<String>, StoreError> {
    let client = db.client().await?;
    let rows = client
        .query(
            "SELECT id FROM items WHERE source = $1 AND id = ANY($2::text[])
             UNION SELECT id FROM pruned WHERE source = $1 AND id = ANY($2::text[])",
            &[&source, &ids],
        )
        .await
        .map_err(q)?;
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
}
