//! Per-source state on SQLite: reading it, the fetch leases, the change
//! version and the poll history. Uses the connection and helpers of `super`.

use super::{SqliteStore, exec, from_ms, ms};
use crate::store::{Changes, Polled, SourceState, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

const STATE_COLUMNS: &str = "s.id, s.url, s.etag, s.last_modified, s.title, s.last_fetch, s.last_outcome, s.last_error, s.consecutive_errors, s.next_due, (SELECT COUNT(*) FROM items i WHERE i.source = s.id), s.config_url, s.redirect_to, s.redirect_streak, s.gone, s.troubled_since, s.feed_url, s.interval_ms";

fn state_row(r: &rusqlite::Row<'_>) -> Result<SourceState, rusqlite::Error> {
    Ok(SourceState {
        id: r.get(0)?,
        url: r.get(1)?,
        etag: r.get(2)?,
        last_modified: r.get(3)?,
        title: r.get(4)?,
        last_fetch: r.get::<_, Option<i64>>(5)?.map(from_ms),
        last_outcome: r.get(6)?,
        last_error: r.get(7)?,
        consecutive_errors: r.get(8)?,
        next_due: r.get::<_, Option<i64>>(9)?.map(from_ms),
        items: r.get::<_, i64>(10)? as u64,
        config_url: r.get(11)?,
        redirect_to: r.get(12)?,
        redirect_streak: r.get(13)?,
        gone: r.get(14)?,
        troubled_since: r.get::<_, Option<i64>>(15)?.map(from_ms),
        feed_url: r.get(16)?,
        interval: r
            .get::<_, Option<i64>>(17)?
            .map(chrono::Duration::milliseconds),
    })
}

pub(super) async fn source_state(
    db: &SqliteStore,
    source: &str,
) -> Result<Option<SourceState>, StoreError> {
    let source = source.to_string();
    db.batched(false, move |c| {
        c.prepare_cached(&format!(
            "SELECT {STATE_COLUMNS} FROM sources s WHERE s.id = ?1"
        ))?
        .query_row([source], state_row)
        .optional()
    })
    .await
}

pub(super) async fn source_states(db: &SqliteStore) -> Result<Vec<SourceState>, StoreError> {
    db.with(|c| {
        let mut st = c.prepare(&format!(
            "SELECT {STATE_COLUMNS} FROM sources s ORDER BY s.id"
        ))?;
        st.query_map([], state_row)?.collect()
    })
    .await
}

pub(super) async fn claim(
    db: &SqliteStore,
    source: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    instance: &str,
) -> Result<bool, StoreError> {
    let (source, instance) = (source.to_string(), instance.to_string());
    // In a batch's transaction, which takes the write lock first
    // (IMMEDIATE): processes sharing the file decide one claim at a time.
    db.batched(true, move |c| {
        exec(
            c,
            "INSERT INTO sources (id) VALUES (?1) ON CONFLICT (id) DO NOTHING",
            [&source],
        )?;
        let won = exec(
            c,
            "UPDATE sources SET lease_holder = ?3, lease_until = ?4
             WHERE id = ?1
               AND (last_fetch IS NULL OR next_due IS NULL OR next_due <= ?2)
               AND (lease_until IS NULL OR lease_until <= ?2 OR lease_holder = ?3)",
            params![source, ms(now), instance, ms(lease_until)],
        )? == 1;
        Ok(won)
    })
    .await
}

pub(super) async fn release(
    db: &SqliteStore,
    source: &str,
    instance: &str,
) -> Result<(), StoreError> {
    let (source, instance) = (source.to_string(), instance.to_string());
    db.with(move |c| {
        exec(
            c,
            "UPDATE sources SET lease_holder = NULL, lease_until = NULL
             WHERE id = ?1 AND lease_holder = ?2",
            params![source, instance],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn changes_since(db: &SqliteStore, version: u64) -> Result<Changes, StoreError> {
    db.with(move |c| {
        // One read transaction: the version and the list come from the
        // same snapshot.
        let tx = c.transaction()?;
        let changes = read_changes(&tx, version)?;
        tx.commit()?;
        Ok(changes)
    })
    .await
}

/// The change version and the sources changed after `version`, read on
/// `c` (inside the caller's transaction, for one snapshot).
pub(super) fn read_changes(
    c: &rusqlite::Connection,
    version: u64,
) -> Result<Changes, rusqlite::Error> {
    let n: i64 = c
        .prepare_cached("SELECT n FROM change_counter")?
        .query_row([], |r| r.get(0))?;
    let (sources, versions) = c
        .prepare_cached("SELECT id, changed FROM sources WHERE changed > ?1 ORDER BY id")?
        .query_map([i64::try_from(version).unwrap_or(i64::MAX)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .map(|row| row.map(|(s, v)| (s, u64::try_from(v).unwrap_or_default())))
        .collect::<Result<(Vec<_>, Vec<_>), _>>()?;
    Ok(Changes {
        version: u64::try_from(n).unwrap_or_default(),
        sources,
        versions,
    })
}

pub(super) async fn polls(
    db: &SqliteStore,
    source: &str,
    limit: u32,
) -> Result<Vec<Polled>, StoreError> {
    let source = source.to_string();
    db.with(move |c| {
        let mut st = c.prepare_cached(
            "SELECT at, new_items FROM polls WHERE source = ?1 ORDER BY at DESC LIMIT ?2",
        )?;
        let mut polls = st
            .query_map(params![source, limit], |r| {
                Ok(Polled {
                    at: from_ms(r.get(0)?),
                    new_items: u32::try_from(r.get::<_, i64>(1)?).unwrap_or(u32::MAX),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        polls.reverse();
        Ok(polls)
    })
    .await
}

/// Whether the file answers a query.
pub(super) async fn ping(db: &SqliteStore) -> Result<(), StoreError> {
    db.with(|c| c.query_row("SELECT 1", [], |_| Ok(()))).await
}
