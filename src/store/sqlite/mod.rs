//! The embedded SQLite backend: one file in WAL mode, numbered migrations
//! applied on open, every fetch written in one transaction. Leases and the
//! change version behave as on PostgreSQL, so the same tests hold for both.
//!
//! This module owns the connection and `impl Store`, which hands each call to
//! a child: `migrations` (the schema), `state` (source state, leases, the
//! change version, polls), `fetches` (recording fetches and pushes, pruning),
//! `batch` (the group commit the calls of a fetch go through),
//! `items` (reading items), `archive` (arrival order and archive pages) and
//! `websub` (subscriptions). The children use only this module, the rules
//! and types of `crate::store` and `crate::model`.

mod archive;
mod batch;
mod fetches;
mod items;
mod migrations;
mod state;
mod websub;

use super::{
    ArchiveKey, ArchivePage, Changes, FetchRecord, PageValidators, Polled, SaveSummary,
    SourceState, Store, StoreError, Subscription, Verification,
};
use crate::model::Item;
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};
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
}

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

#[async_trait]
impl Store for SqliteStore {
    async fn source_state(&self, source: &str) -> Result<Option<SourceState>, StoreError> {
        state::source_state(self, source).await
    }

    async fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        state::source_states(self).await
    }

    async fn claim(
        &self,
        source: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        instance: &str,
    ) -> Result<bool, StoreError> {
        state::claim(self, source, now, lease_until, instance).await
    }

    async fn release(&self, source: &str, instance: &str) -> Result<(), StoreError> {
        state::release(self, source, instance).await
    }

    async fn record_fetch(&self, record: FetchRecord) -> Result<SaveSummary, StoreError> {
        fetches::record_fetch(self, record).await
    }

    async fn items(&self, sources: &[String], limit: usize) -> Result<Vec<Item>, StoreError> {
        items::items(self, sources, limit).await
    }

    async fn page_validators(
        &self,
        source: &str,
    ) -> Result<HashMap<String, PageValidators>, StoreError> {
        items::page_validators(self, source).await
    }

    async fn known_ids(&self, source: &str, ids: &[String]) -> Result<HashSet<String>, StoreError> {
        items::known_ids(self, source, ids).await
    }

    async fn prune(
        &self,
        before: DateTime<Utc>,
        keep_min: u32,
        max_items: u32,
    ) -> Result<u64, StoreError> {
        fetches::prune(self, before, keep_min, max_items).await
    }

    async fn changes_since(&self, version: u64) -> Result<Changes, StoreError> {
        state::changes_since(self, version).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with(|c| c.query_row("SELECT 1", [], |_| Ok(()))).await
    }

    async fn items_in_order(
        &self,
        sources: &[String],
        after: Option<&ArchiveKey>,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(ArchiveKey, Item)>, StoreError> {
        archive::items_in_order(self, sources, after, before, limit).await
    }

    async fn archive_head(&self, feed: &str) -> Result<Option<(u64, ArchiveKey)>, StoreError> {
        archive::archive_head(self, feed).await
    }

    async fn put_archive_page(&self, page: ArchivePage) -> Result<bool, StoreError> {
        archive::put_archive_page(self, page).await
    }

    async fn archive_page(&self, feed: &str, page: u64) -> Result<Option<ArchivePage>, StoreError> {
        archive::archive_page(self, feed, page).await
    }

    async fn polls(&self, source: &str, limit: u32) -> Result<Vec<Polled>, StoreError> {
        state::polls(self, source, limit).await
    }

    async fn record_push(
        &self,
        source: &str,
        at: DateTime<Utc>,
        items: Vec<Item>,
        max_items: u32,
    ) -> Result<SaveSummary, StoreError> {
        fetches::record_push(self, source, at, items, max_items).await
    }

    async fn subscription(&self, source: &str) -> Result<Option<Subscription>, StoreError> {
        websub::subscription(self, source).await
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        websub::subscriptions(self).await
    }

    async fn put_subscription(&self, sub: &Subscription) -> Result<bool, StoreError> {
        websub::put_subscription(self, sub).await
    }

    async fn hold_subscription(
        &self,
        source: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        instance: &str,
    ) -> Result<bool, StoreError> {
        websub::hold_subscription(self, source, now, until, instance).await
    }

    async fn release_subscriptions(&self, instance: &str) -> Result<(), StoreError> {
        websub::release_subscriptions(self, instance).await
    }

    async fn verify_subscription(
        &self,
        source: &str,
        topic: &str,
        verification: Verification,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        websub::verify_subscription(self, source, topic, verification, now).await
    }

    async fn remove_subscription(&self, source: &str) -> Result<(), StoreError> {
        websub::remove_subscription(self, source).await
    }
}
