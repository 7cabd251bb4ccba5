//! The PostgreSQL backend, for several instances sharing one database: a
//! connection pool, numbered migrations applied on open under an advisory
//! lock (so instances starting together migrate once), every fetch written
//! in one transaction, leases claimed with `FOR UPDATE SKIP LOCKED`.
//!
//! Connections are plain TCP or a Unix socket: this build has no TLS, so
//! `sslmode=require` (or stricter) is refused on open; `disable` and the
//! default `prefer` connect without TLS.
//!
//! This module owns the pool; its `impl Store` (written once for both
//! backends by `store::backend::backend_store!`) hands each call to a child:
//! `migrations` (the schema), `state` (source state, leases, the change
//! version, polls), `fetches` (recording fetches and pushes, pruning),
//! `items` (reading items), `archive` (arrival order and archive pages) and
//! `websub` (subscriptions). The children use only this module, the rules and
//! types of `crate::store` and `crate::model`.

mod archive;
mod fetches;
mod items;
mod migrations;
mod state;
mod websub;

use super::StoreError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::str::FromStr;
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;

/// A pool of connections to one PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// Each source's newest item date, for merged reads.
    heads: std::sync::Arc<super::heads::Heads>,
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
        let store = PostgresStore {
            pool,
            heads: std::sync::Arc::default(),
        };
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

super::backend::backend_store!(PostgresStore);
