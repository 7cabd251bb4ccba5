//! Reading items on PostgreSQL: the newest across sources for a feed, the
//! known ids and the page validators of a source. Uses the pool and helpers
//! of `super`.

use super::{PostgresStore, q};
use crate::model::Item;
use crate::store::{PageValidators, StoreError};
use deadpool_postgres::GenericClient;
use std::collections::{HashMap, HashSet};
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
    let client = db.client().await?;
    let limit_i64 = i64::try_from(limit).unwrap_or(i64::MAX);
    // Each source's newest `limit` come straight off the index; merging
    // those keeps the cost independent of the store's size.
    let rows = client
        .query(
            &format!(
                "SELECT i.* FROM unnest($1::text[]) AS s(id) CROSS JOIN LATERAL (
                    SELECT {ITEM_COLUMNS} FROM items
                    WHERE source = s.id
                    ORDER BY published DESC, id COLLATE \"C\" LIMIT $2
                 ) i"
            ),
            &[&sources, &limit_i64],
        )
        .await
        .map_err(q)?;
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
