//! The embedded SQLite backend: one file in WAL mode, numbered migrations
//! applied on open, every fetch written atomically (a savepoint of a group
//! commit, see `batch`). Leases and the change version behave as on
//! PostgreSQL, so the same tests hold for both.
//!
//! This module owns the connection; its `impl Store` (written once for both
//! backends by `store::backend::backend_store!`) hands each call to a child:
//! `migrations` (the schema), `state` (source state, leases, the change
//! version, polls), `fetches` (recording fetches and pushes, pruning),
//! `batch` (the group commit the calls of a fetch go through),
//! `items` (reading items, with the newest dates kept in `store::heads`), `archive` (arrival order and archive pages) and
//! `websub` (subscriptions). The children use only this module, the rules and
//! types of `crate::store` and `crate::model`.

mod archive;
mod batch;
mod fetches;
mod items;
mod migrations;
mod state;
mod websub;

use super::StoreError;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

/// A SQLite database file shared by the daemon's tasks.
#[derive(Clone)]
pub struct SqliteStore {
    // Taken asynchronously, then used inside `spawn_blocking` (rusqlite is
    // blocking); one connection serializes writers as SQLite would anyway.
    conn: Arc<tokio::sync::Mutex<Connection>>,
    /// The calls of a fetch (claim, state, record), committed in groups.
    queue: batch::Queue,
    /// Each source's newest item date, for merged reads.
    heads: Arc<super::heads::Heads>,
}

/// Pages the write-ahead log grows to before SQLite copies it into the
/// database (its default is 1,000): fetches write some pages (an index's
/// inner pages, the sources table) again and again, and each copy writes
/// them once and syncs. Eight times the default took a fifth off the
/// ingest bench's store write on a disk (BENCHMARKS.md).
const WAL_PAGES: i64 = 8000;

fn q(e: rusqlite::Error) -> StoreError {
    StoreError::query(e)
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let path = path.to_path_buf();
        let conn = tokio::task::spawn_blocking(move || {
            let open_err = |e: rusqlite::Error| StoreError::open(path.display().to_string(), e);
            let mut conn = Connection::open(&path).map_err(open_err)?;
            conn.busy_timeout(std::time::Duration::from_secs(10))
                .map_err(open_err)?;
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(open_err)?;
            // NORMAL in WAL mode stays consistent after a crash; it may lose
            // only the last transactions after a power loss.
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(open_err)?;
            conn.pragma_update(None, "wal_autocheckpoint", WAL_PAGES)
                .map_err(open_err)?;
            conn.pragma_update(None, "foreign_keys", "ON")
                .map_err(open_err)?;
            migrations::migrate(&mut conn).map_err(open_err)?;
            // Room for every statement the store runs (rusqlite keeps 16).
            conn.set_prepared_statement_cache_capacity(64);
            Ok(conn)
        })
        .await
        .map_err(|e| StoreError::open("opening on a worker thread", e))??;
        let conn = Arc::new(tokio::sync::Mutex::new(conn));
        Ok(SqliteStore {
            queue: batch::start(conn.clone()),
            conn,
            heads: Arc::default(),
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        // Waiting for the connection happens here, not on a blocking thread:
        // thousands of sources asking at once must not each hold a thread of
        // tokio's blocking pool (and its memory) while they wait.
        let mut conn = self.conn.clone().lock_owned().await;
        tokio::task::spawn_blocking(move || f(&mut conn).map_err(q))
            .await
            .map_err(StoreError::query)?
    }
}

/// Runs one statement through the connection's statement cache: a fetch
/// record runs the same few statements thousands of times a cycle.
fn exec(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<usize, rusqlite::Error> {
    c.prepare_cached(sql)?.execute(params)
}

super::backend::backend_store!(SqliteStore);
