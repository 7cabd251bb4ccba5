//! Per-source state on PostgreSQL: reading it, the fetch leases, the
//! change version and the poll history. Uses the pool and helpers of `super`.

use super::{PostgresStore, count, q};
use crate::store::{Changes, Polled, SourceState, StoreError};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

const STATE_COLUMNS: &str = "s.id, s.url, s.etag, s.last_modified, s.title, s.last_fetch, s.last_outcome, s.last_error, s.consecutive_errors, s.next_due, (SELECT COUNT(*) FROM items i WHERE i.source = s.id), s.config_url, s.redirect_to, s.redirect_streak, s.gone, s.troubled_since, s.feed_url, s.interval_ms";

fn state_row(r: &Row) -> Result<SourceState, tokio_postgres::Error> {
    Ok(SourceState {
        id: r.try_get(0)?,
        url: r.try_get(1)?,
        etag: r.try_get(2)?,
        last_modified: r.try_get(3)?,
        title: r.try_get(4)?,
        last_fetch: r.try_get(5)?,
        last_outcome: r.try_get(6)?,
        last_error: r.try_get(7)?,
        consecutive_errors: count(r.try_get(8)?),
        next_due: r.try_get(9)?,
        items: u64::try_from(r.try_get::<_, i64>(10)?).unwrap_or_default(),
        config_url: r.try_get(11)?,
        redirect_to: r.try_get(12)?,
        redirect_streak: count(r.try_get(13)?),
        gone: r.try_get(14)?,
        troubled_since: r.try_get(15)?,
        feed_url: r.try_get(16)?,
        interval: r
            .try_get::<_, Option<i64>>(17)?
            .map(chrono::Duration::milliseconds),
    })
}

pub(super) async fn source_state(
    db: &PostgresStore,
    source: &str,
) -> Result<Option<SourceState>, StoreError> {
    let client = db.client().await?;
    let row = client
        .query_opt(
            &format!("SELECT {STATE_COLUMNS} FROM sources s WHERE s.id = $1"),
            &[&source],
        )
        .await
        .map_err(q)?;
    row.as_ref().map(state_row).transpose().map_err(q)
}

pub(super) async fn source_states(db: &PostgresStore) -> Result<Vec<SourceState>, StoreError> {
    let client = db.client().await?;
    let rows = client
        .query(
            &format!("SELECT {STATE_COLUMNS} FROM sources s ORDER BY s.id COLLATE \"C\""),
            &[],
        )
        .await
        .map_err(q)?;
    rows.iter()
        .map(state_row)
        .collect::<Result<_, _>>()
        .map_err(q)
}

pub(super) async fn claim(
    db: &PostgresStore,
    source: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    instance: &str,
) -> Result<bool, StoreError> {
    let client = db.client().await?;
    client
        .execute(
            "INSERT INTO sources (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
            &[&source],
        )
        .await
        .map_err(q)?;
    // SKIP LOCKED: a row another instance is claiming or recording right
    // now is not waited for; that instance has it.
    let won = client
        .execute(
            "UPDATE sources SET lease_holder = $3, lease_until = $4
             WHERE id = (
                 SELECT id FROM sources
                 WHERE id = $1
                   AND (last_fetch IS NULL OR next_due IS NULL OR next_due <= $2)
                   AND (lease_until IS NULL OR lease_until <= $2 OR lease_holder = $3)
                 FOR UPDATE SKIP LOCKED
             )",
            &[&source, &now, &instance, &lease_until],
        )
        .await
        .map_err(q)?;
    Ok(won == 1)
}

pub(super) async fn release(
    db: &PostgresStore,
    source: &str,
    instance: &str,
) -> Result<(), StoreError> {
    let client = db.client().await?;
    client
        .execute(
            "UPDATE sources SET lease_holder = NULL, lease_until = NULL
             WHERE id = $1 AND lease_holder = $2",
            &[&source, &instance],
        )
        .await
        .map_err(q)?;
    Ok(())
}

pub(super) async fn changes_since(db: &PostgresStore, version: u64) -> Result<Changes, StoreError> {
    read_changes(&db.client().await?, version).await
}

/// The change version and the sources changed after `version`, read on
/// `client` (a transaction's, to read them in its snapshot).
pub(super) async fn read_changes(
    client: &impl GenericClient,
    version: u64,
) -> Result<Changes, StoreError> {
    let after = i64::try_from(version).unwrap_or(i64::MAX);
    // One statement, one snapshot: the version and the list agree.
    let row = client
        .query_one(
            "SELECT (SELECT n FROM change_counter),
                    ARRAY(SELECT id FROM sources WHERE changed > $1 ORDER BY id COLLATE \"C\"),
                    ARRAY(SELECT changed FROM sources WHERE changed > $1 ORDER BY id COLLATE \"C\")",
            &[&after],
        )
        .await
        .map_err(q)?;
    let n: i64 = row.try_get(0).map_err(q)?;
    let versions: Vec<i64> = row.try_get(2).map_err(q)?;
    Ok(Changes {
        version: u64::try_from(n).unwrap_or_default(),
        sources: row.try_get(1).map_err(q)?,
        versions: versions
            .into_iter()
            .map(|v| u64::try_from(v).unwrap_or_default())
            .collect(),
    })
}

pub(super) async fn polls(
    db: &PostgresStore,
    source: &str,
    limit: u32,
) -> Result<Vec<Polled>, StoreError> {
    let client = db.client().await?;
    let rows = client
        .query(
            "SELECT at, new_items FROM polls WHERE source = $1 ORDER BY at DESC LIMIT $2",
            &[&source, &i64::from(limit)],
        )
        .await
        .map_err(q)?;
    let mut polls = rows
        .iter()
        .map(|r| {
            Ok(Polled {
                at: r.try_get(0)?,
                new_items: u32::try_from(r.try_get::<_, i32>(1)?).unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()
        .map_err(q)?;
    polls.reverse();
    Ok(polls)
}

/// Whether the server answers a query.
pub(super) async fn ping(db: &PostgresStore) -> Result<(), StoreError> {
    let client = db.client().await?;
    client.execute("SELECT 1", &[]).await.map_err(q)?;
    Ok(())
}
