//! The feed archives on SQLite: items in arrival order and the stored
//! archive pages. Uses the connection and helpers of `super`.

use super::items::{ITEM_COLUMNS, item_row};
use super::{SqliteStore, from_ms, ms};
use crate::model::Item;
use crate::store::{ArchiveKey, ArchivePage, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

pub(super) async fn items_in_order(
    db: &SqliteStore,
    sources: &[String],
    after: Option<&ArchiveKey>,
    before: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<(ArchiveKey, Item)>, StoreError> {
    let sources = sources.to_vec();
    let after = after.cloned();
    db.with(move |c| {
        // The sources as one JSON array, not a parameter each: SQLite
        // takes at most 32,766 parameters, and a merged feed may name more
        // sources than that.
        let mut st = c.prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS}, first_seen FROM items
             WHERE source IN (SELECT value FROM json_each(?)) AND first_seen < ?
               AND (first_seen, published, source, id) > (?, ?, ?, ?)
             ORDER BY first_seen, published, source, id LIMIT ?"
        ))?;
        let (f, p, s, i) = match &after {
            Some(k) => (
                ms(k.first_seen),
                ms(k.published),
                k.source.clone(),
                k.id.clone(),
            ),
            None => (i64::MIN, i64::MIN, String::new(), String::new()),
        };
        let sources = serde_json::Value::from(sources).to_string();
        let values: [rusqlite::types::Value; 7] = [
            sources.into(),
            ms(before).into(),
            f.into(),
            p.into(),
            s.into(),
            i.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ];
        let rows = st.query_map(rusqlite::params_from_iter(values), |r| {
            let item = item_row(r)?;
            let key = ArchiveKey {
                first_seen: from_ms(r.get(12)?),
                published: item.published,
                source: item.source.clone(),
                id: item.id.clone(),
            };
            Ok((key, item))
        })?;
        rows.collect()
    })
    .await
}

pub(super) async fn archive_head(
    db: &SqliteStore,
    feed: &str,
) -> Result<Option<(u64, ArchiveKey)>, StoreError> {
    let feed = feed.to_string();
    db.with(move |c| {
        c.prepare_cached(
            "SELECT page, last_first_seen, last_published, last_source, last_id FROM archive_pages
             WHERE feed = ?1 ORDER BY page DESC LIMIT 1",
        )?
        .query_row(params![feed], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                ArchiveKey {
                    first_seen: from_ms(r.get(1)?),
                    published: from_ms(r.get(2)?),
                    source: r.get(3)?,
                    id: r.get(4)?,
                },
            ))
        })
        .optional()
    })
    .await
}

pub(super) async fn put_archive_page(
    db: &SqliteStore,
    page: ArchivePage,
) -> Result<bool, StoreError> {
    db.with(move |c| {
        let n = c.prepare_cached(
            "INSERT INTO archive_pages (feed, page, last_first_seen, last_published, last_source, last_id, rss, atom, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (feed, page) DO NOTHING",
        )?
        .execute(params![
            page.feed,
            page.page as i64,
            ms(page.last.first_seen),
            ms(page.last.published),
            page.last.source,
            page.last.id,
            page.rss,
            page.atom,
            page.json
        ])?;
        Ok(n == 1)
    })
    .await
}

pub(super) async fn archive_page(
    db: &SqliteStore,
    feed: &str,
    page: u64,
) -> Result<Option<ArchivePage>, StoreError> {
    let feed = feed.to_string();
    db.with(move |c| {
        c.prepare_cached(
            "SELECT last_first_seen, last_published, last_source, last_id, rss, atom, json FROM archive_pages
             WHERE feed = ?1 AND page = ?2",
        )?
        .query_row(params![feed, page as i64], |r| {
            Ok(ArchivePage {
                feed: feed.clone(),
                page,
                last: ArchiveKey {
                    first_seen: from_ms(r.get(0)?),
                    published: from_ms(r.get(1)?),
                    source: r.get(2)?,
                    id: r.get(3)?,
                },
                rss: r.get(4)?,
                atom: r.get(5)?,
                json: r.get(6)?,
            })
        })
        .optional()
    })
    .await
}
