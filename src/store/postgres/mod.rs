//! The PostgreSQL backend, for several instances sharing one database: a
//! connection pool, numbered migrations applied on open under an advisory
//! lock (so instances starting together migrate once), every fetch written
//! in one transaction, leases claimed with `FOR UPDATE SKIP LOCKED`.
//!
//! Connections are plain TCP or a Unix socket: this build has no TLS, so
//! `sslmode=require` (or stricter) is refused on open; `disable` and the
//! default `prefer` connect without TLS.
//!
//! This module owns the pool and `impl Store`, which hands each call to a
//! child: `migrations` (the schema), `state` (source state, leases, the
//! change version, polls), `fetches` (recording fetches and pushes, pruning),
//! `items` (reading items), `archive` (arrival order and archive pages) and
//! `websub` (subscriptions). The children use only this module, the rules
//! and types of `crate::store` and `crate::model`.

mod archive;
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
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;

/// A pool of connections to one PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
}

fn q(e: tokio_postgres::Error) -> StoreError {
    StoreError::query(e)
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => q(e),
        e => StoreError::query(e),
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST
    /// [:PORT]/DB[?options]`) and migrates it. Fails when the URL cannot be
    /// read, asks for TLS, or the server cannot be reached.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        // The URL may carry a password: errors name the problem, not the URL.
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::open("reading the postgres URL", e))?;
        if !matches!(config.get_ssl_mode(), SslMode::Disable | SslMode::Prefer) {
            return Err(StoreError::open(
                "the postgres URL",
                "sslmode=require is not supported: this build connects without TLS",
            ));
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| StoreError::open("building the connection pool", e))?;
        let store = PostgresStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_err)
    }
}

fn count(v: i32) -> u32 {
    u32::try_from(v).unwrap_or_default()
}

fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

#[async_trait]
impl Store for PostgresStore {
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
        let client = self.client().await?;
        client.execute("SELECT 1", &[]).await.map_err(q)?;
        Ok(())
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
