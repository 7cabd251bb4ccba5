//! The feed archives on PostgreSQL: items in arrival order and the stored
//! archive pages. Uses the pool and helpers of `super`.

use super::items::{ITEM_COLUMNS, item_row};
use super::{PostgresStore, q};
use crate::model::Item;
use crate::store::{ArchiveKey, ArchivePage, StoreError};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

pub(super) async fn items_in_order(
    db: &PostgresStore,
    sources: &[String],
    after: Option<&ArchiveKey>,
    before: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<(ArchiveKey, Item)>, StoreError> {
    let client = db.client().await?;
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    let (f, p, s, i) = match after {
        Some(k) => (k.first_seen, k.published, k.source.as_str(), k.id.as_str()),
        None => (epoch, epoch, "", ""),
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Text compared byte-wise, as on SQLite: the database's collation
    // must not change the order.
    let rows = client
        .query(
            &format!(
                "SELECT {ITEM_COLUMNS}, first_seen FROM items
                 WHERE source = ANY($1::text[]) AND first_seen < $2
                   AND (first_seen, published, source COLLATE \"C\", id COLLATE \"C\") > ($3, $4, $5 COLLATE \"C\", $6 COLLATE \"C\")
                 ORDER BY first_seen, published, source COLLATE \"C\", id COLLATE \"C\" LIMIT $7"
            ),
            &[&sources, &before, &f, &p, &s, &i, &limit],
        )
        .await
        .map_err(q)?;
    rows.iter()
        .map(|r| {
            let item = item_row(r)?;
            let key = ArchiveKey {
                first_seen: r.try_get(12)?,
                published: item.published,
                source: item.source.clone(),
                id: item.id.clone(),
            };
            Ok((key, item))
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()
        .map_err(q)
}

pub(super) async fn archive_head(
    db: &PostgresStore,
    feed: &str,
) -> Result<Option<(u64, ArchiveKey)>, StoreError> {
    let client = db.client().await?;
    let row = client
        .query_opt(
            "SELECT page, last_first_seen, last_published, last_source, last_id FROM archive_pages
             WHERE feed = $1 ORDER BY page DESC LIMIT 1",
            &[&feed],
        )
        .await
        .map_err(q)?;
    row.map(|r| {
        Ok((
            u64::try_from(r.try_get::<_, i64>(0)?).unwrap_or_default(),
            ArchiveKey {
                first_seen: r.try_get(1)?,
                published: r.try_get(2)?,
                source: r.try_get(3)?,
                id: r.try_get(4)?,
            },
        ))
    })
    .transpose()
    .map_err(q)
}

pub(super) async fn put_archive_page(
    db: &PostgresStore,
    page: ArchivePage,
) -> Result<bool, StoreError> {
    let client = db.client().await?;
    let n = client
        .execute(
            "INSERT INTO archive_pages (feed, page, last_first_seen, last_published, last_source, last_id, rss, atom, json)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (feed, page) DO NOTHING",
            &[
                &page.feed,
                &i64::try_from(page.page).unwrap_or(i64::MAX),
                &page.last.first_seen,
                &page.last.published,
                &page.last.source,
                &page.last.id,
                &page.rss,
                &page.atom,
                &page.json,
            ],
        )
        .await
        .map_err(q)?;
    Ok(n == 1)
}

pub(super) async fn archive_page(
    db: &PostgresStore,
    feed: &str,
    page: u64,
) -> Result<Option<ArchivePage>, StoreError> {
    let client = db.client().await?;
    let row = client
        .query_opt(
            "SELECT last_first_seen, last_published, last_source, last_id, rss, atom, json FROM archive_pages
             WHERE feed = $1 AND page = $2",
            &[&feed, &i64::try_from(page).unwrap_or(i64::MAX)],
        )
        .await
        .map_err(q)?;
    row.map(|r| {
        Ok(ArchivePage {
            feed: feed.to_string(),
            page,
            last: ArchiveKey {
                first_seen: r.try_get(0)?,
                published: r.try_get(1)?,
                source: r.try_get(2)?,
                id: r.try_get(3)?,
            },
            rss: r.try_get(4)?,
            atom: r.try_get(5)?,
            json: r.try_get(6)?,
        })
    })
    .transpose()
    .map_err(q)
}
