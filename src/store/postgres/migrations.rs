//! The PostgreSQL schema: the numbered migrations and how they are applied
//! on open under an advisory lock. Uses only the pool of `super`.

use super::PostgresStore;
use crate::store::StoreError;

/// Each entry upgrades the schema by one version; never edit a shipped one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    config_url TEXT,
    url TEXT,
    redirect_to TEXT,
    redirect_streak INTEGER NOT NULL DEFAULT 0,
    gone BOOLEAN NOT NULL DEFAULT FALSE,
    etag TEXT,
    last_modified TEXT,
    title TEXT,
    last_fetch TIMESTAMPTZ,
    last_outcome TEXT,
    last_error TEXT,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    next_due TIMESTAMPTZ,
    lease_holder TEXT,
    lease_until TIMESTAMPTZ,
    changed BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sources_changed ON sources (changed);
CREATE TABLE items (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    link TEXT,
    title TEXT NOT NULL,
    authors TEXT[] NOT NULL,
    summary_html TEXT,
    content_html TEXT,
    published TIMESTAMPTZ NOT NULL,
    dated BOOLEAN NOT NULL,
    updated TIMESTAMPTZ,
    categories TEXT[] NOT NULL,
    enclosures TEXT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX items_newest ON items (source, published DESC, id COLLATE "C");
CREATE TABLE change_counter (n BIGINT NOT NULL);
INSERT INTO change_counter (n) VALUES (0);
"#,
    r#"
CREATE TABLE pages (
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    PRIMARY KEY (source, url)
);
"#,
    crate::store::LOCAL_ARTICLE_IDS,
    r#"
CREATE TABLE IF NOT EXISTS pruned (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (source, id)
);
"#,
    r#"
ALTER TABLE pruned ADD COLUMN IF NOT EXISTS seen TIMESTAMPTZ NOT NULL DEFAULT 'epoch';
CREATE INDEX IF NOT EXISTS pruned_seen ON pruned (source, seen DESC, id COLLATE "C");
"#,
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS troubled_since TIMESTAMPTZ;",
    r#"
CREATE INDEX IF NOT EXISTS items_arrival ON items (first_seen, published, source COLLATE "C", id COLLATE "C");
CREATE TABLE IF NOT EXISTS archive_pages (
    feed TEXT NOT NULL,
    page BIGINT NOT NULL,
    last_first_seen TIMESTAMPTZ NOT NULL,
    last_published TIMESTAMPTZ NOT NULL,
    last_source TEXT NOT NULL,
    last_id TEXT NOT NULL,
    rss BYTEA NOT NULL,
    atom BYTEA NOT NULL,
    json BYTEA NOT NULL,
    PRIMARY KEY (feed, page)
);
"#,
    // The feed an HTML page advertises (autodiscovery).
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS feed_url TEXT;",
    // The poll history of adaptive schedules, and the interval they chose.
    r#"
CREATE TABLE IF NOT EXISTS polls (
    source TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    new_items INTEGER NOT NULL,
    PRIMARY KEY (source, at)
);
ALTER TABLE sources ADD COLUMN IF NOT EXISTS interval_ms BIGINT;
"#,
    r#"
CREATE TABLE IF NOT EXISTS websub_subscriptions (
    source TEXT PRIMARY KEY,
    hub TEXT NOT NULL,
    topic TEXT NOT NULL,
    secret TEXT NOT NULL,
    state TEXT NOT NULL,
    requested TIMESTAMPTZ NOT NULL,
    lease_seconds INTEGER,
    expires TIMESTAMPTZ,
    holder TEXT,
    held_until TIMESTAMPTZ
);
"#,
];

/// The advisory lock key held while migrating ("tidings" in ASCII).
const MIGRATION_LOCK: i64 = 0x0074_6964_696e_6773;

impl PostgresStore {
    /// Applies the migrations not yet applied, in one transaction holding an
    /// advisory lock: an instance starting at the same time waits, then
    /// finds the schema current.
    pub(super) async fn migrate(&self) -> Result<(), StoreError> {
        let open = |e: tokio_postgres::Error| StoreError::open("migrating", e);
        let mut client = self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => open(e),
            e => StoreError::open("connecting", e),
        })?;
        let tx = client.transaction().await.map_err(open)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(open)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS tidings_migrations (
                version INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await
        .map_err(open)?;
        let done: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM tidings_migrations",
                &[],
            )
            .await
            .map_err(open)?
            .get(0);
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(done).unwrap_or_default())
        {
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.batch_execute(sql).await.map_err(open)?;
            tx.execute(
                "INSERT INTO tidings_migrations (version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(open)?;
        }
        tx.commit().await.map_err(open)
    }
}
