//! The PostgreSQL backend, for several instances sharing one database: a
//! connection pool, numbered migrations applied on open under an advisory
//! lock (so instances starting together migrate once), every fetch written
//! in one transaction, leases claimed with `FOR UPDATE SKIP LOCKED`.
//!
//! Connections are plain TCP or a Unix socket: this build has no TLS, so
//! `sslmode=require` (or stricter) is refused on open; `disable` and the
//! default `prefer` connect without TLS.

use super::{
    ArchiveKey, ArchivePage, Changes, FetchOutcome, FetchRecord, PageValidators, Polled,
    SaveSummary, SourceState, Store, StoreError, Subscription, SubscriptionState, Verification,
    content_hash,
};
use crate::model::Item;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use tokio_postgres::config::SslMode;
use tokio_postgres::{NoTls, Row};

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
    super::LOCAL_ARTICLE_IDS,
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

    /// Applies the migrations not yet applied, in one transaction holding an
    /// advisory lock: an instance starting at the same time waits, then
    /// finds the schema current.
    async fn migrate(&self) -> Result<(), StoreError> {
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

const STATE_COLUMNS: &str = "s.id, s.url, s.etag, s.last_modified, s.title, s.last_fetch, s.last_outcome, s.last_error, s.consecutive_errors, s.next_due, (SELECT COUNT(*) FROM items i WHERE i.source = s.id), s.config_url, s.redirect_to, s.redirect_streak, s.gone, s.troubled_since, s.feed_url, s.interval_ms";

fn count(v: i32) -> u32 {
    u32::try_from(v).unwrap_or_default()
}

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

const SUBSCRIPTION_COLUMNS: &str =
    "source, hub, topic, secret, state, requested, lease_seconds, expires, holder, held_until";

fn subscription_row(r: &Row) -> Result<Subscription, tokio_postgres::Error> {
    Ok(Subscription {
        source: r.try_get(0)?,
        hub: r.try_get(1)?,
        topic: r.try_get(2)?,
        secret: r.try_get(3)?,
        state: SubscriptionState::parse(r.try_get(4)?),
        requested: r.try_get(5)?,
        lease_seconds: r.try_get::<_, Option<i32>>(6)?.map(count),
        expires: r.try_get(7)?,
        holder: r.try_get(8)?,
        held_until: r.try_get(9)?,
    })
}

const ITEM_COLUMNS: &str = "source, id, link, title, authors, summary_html, content_html, published, dated, updated, categories, enclosures";

fn item_row(r: &Row) -> Result<Item, tokio_postgres::Error> {
    let enclosures: String = r.try_get(11)?;
    let enclosures = super::enclosures_from_json(&enclosures);
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

fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

async fn upsert_items(
    tx: &deadpool_postgres::Transaction<'_>,
    at: DateTime<Utc>,
    items: &[Item],
) -> Result<SaveSummary, tokio_postgres::Error> {
    let mut summary = SaveSummary::default();
    // `store::plan` in one statement: a tombstone listed again is marked
    // seen and stops the insert (see `cap_items`); a changed hash updates
    // in place, an undated item keeping its first date; an unchanged one
    // returns no row. `xmax = 0` tells an insert from an update.
    let upsert = tx
        .prepare_cached(
            "WITH tomb AS (
                UPDATE pruned SET seen = $13 WHERE source = $1 AND id = $2
                  AND NOT EXISTS (SELECT 1 FROM items WHERE source = $1 AND id = $2)
                RETURNING 1
             )
             INSERT INTO items (source, id, link, title, authors, summary_html, content_html, published, dated, updated, categories, enclosures, first_seen, hash)
             SELECT $1::text, $2::text, $3::text, $4::text, $5::text[], $6::text, $7::text, $8::timestamptz, $9::bool, $10::timestamptz, $11::text[], $12::text, $13::timestamptz, $14::text
             WHERE NOT EXISTS (SELECT 1 FROM tomb)
             ON CONFLICT (source, id) DO UPDATE SET
               link = excluded.link, title = excluded.title, authors = excluded.authors,
               summary_html = excluded.summary_html, content_html = excluded.content_html,
               published = CASE WHEN excluded.dated THEN excluded.published ELSE items.published END,
               dated = excluded.dated OR items.dated,
               updated = COALESCE(excluded.updated, excluded.first_seen),
               categories = excluded.categories, enclosures = excluded.enclosures, hash = excluded.hash
             WHERE items.hash <> excluded.hash
             RETURNING (xmax = 0)",
        )
        .await?;
    for item in items {
        let hash = content_hash(item);
        let enclosures = super::enclosures_to_json(&item.enclosures);
        let row = tx
            .query_opt(
                &upsert,
                &[
                    &item.source,
                    &item.id,
                    &item.link,
                    &item.title,
                    &item.authors,
                    &item.summary_html,
                    &item.content_html,
                    &item.published,
                    &item.dated,
                    &item.updated,
                    &item.categories,
                    &enclosures,
                    &at,
                    &hash,
                ],
            )
            .await?;
        match row.map(|r| r.try_get::<_, bool>(0)).transpose()? {
            None => summary.unchanged += 1,
            Some(true) => summary.new += 1,
            Some(false) => summary.updated += 1,
        }
    }
    Ok(summary)
}

/// Holds `source` to `max_items` after a fetch that listed `listed` items:
/// the ids [`super::cap_fetch`] left out (`over`) and the stored items
/// beyond the cap are pruned, with tombstones; then the source's
/// tombstones are bounded by [`super::tombstone_bound`], the least
/// recently listed going first. Set-wise: `over` may hold 100,000 ids.
async fn cap_items(
    tx: &deadpool_postgres::Transaction<'_>,
    source: &str,
    at: DateTime<Utc>,
    max_items: u32,
    over: &[String],
    listed: usize,
    summary: &mut SaveSummary,
) -> Result<(), tokio_postgres::Error> {
    if !over.is_empty() {
        let known: HashSet<String> = tx
            .query(
                "UPDATE pruned SET seen = $3 WHERE source = $1 AND id = ANY($2::text[]) RETURNING id",
                &[&source, &over, &at],
            )
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        let fresh: Vec<&String> = over.iter().filter(|id| !known.contains(*id)).collect();
        tx.execute(
            "WITH gone AS (DELETE FROM items WHERE source = $1 AND id = ANY($2::text[]))
             INSERT INTO pruned (source, id, seen) SELECT $1, unnest($2::text[]), $3
             ON CONFLICT (source, id) DO UPDATE SET seen = excluded.seen",
            &[&source, &fresh, &at],
        )
        .await?;
        summary.unchanged += known.len();
        summary.dropped += fresh.len();
    }
    let removed = tx
        .query(
            "WITH gone AS (
                DELETE FROM items WHERE source = $1 AND id IN (
                    SELECT id FROM items WHERE source = $1 ORDER BY published DESC, id COLLATE \"C\" OFFSET $2
                ) RETURNING id, first_seen
             ), tombs AS (
                INSERT INTO pruned (source, id, seen) SELECT $1, id, $3 FROM gone
                ON CONFLICT (source, id) DO UPDATE SET seen = excluded.seen
             )
             SELECT first_seen = $3 FROM gone",
            &[&source, &i64::from(max_items), &at],
        )
        .await?;
    for row in &removed {
        summary.dropped += 1;
        // Stored by this very fetch: not new after all.
        if row.try_get::<_, bool>(0)? {
            summary.new = summary.new.saturating_sub(1);
        }
    }
    tx.execute(
        "DELETE FROM pruned WHERE source = $1 AND id IN (
            SELECT id FROM pruned WHERE source = $1 ORDER BY seen DESC, id COLLATE \"C\" OFFSET $2
         )",
        &[&source, &super::tombstone_bound(max_items, listed)],
    )
    .await?;
    Ok(())
}

/// Marks `sources` as changed under the next change version. The counter's
/// row lock is held until commit, so versions become visible in order and a
/// reader never skips a smaller one that commits late.
async fn bump(
    tx: &deadpool_postgres::Transaction<'_>,
    sources: &[String],
) -> Result<(), tokio_postgres::Error> {
    let n: i64 = tx
        .query_one("UPDATE change_counter SET n = n + 1 RETURNING n", &[])
        .await?
        .try_get(0)?;
    tx.execute(
        "UPDATE sources SET changed = $2 WHERE id = ANY($1)",
        &[&sources, &n],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    async fn source_state(&self, source: &str) -> Result<Option<SourceState>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {STATE_COLUMNS} FROM sources s WHERE s.id = $1"),
                &[&source],
            )
            .await
            .map_err(q)?;
        row.as_ref().map(state_row).transpose().map_err(q)
    }

    async fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        let client = self.client().await?;
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

    async fn claim(
        &self,
        source: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        instance: &str,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
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

    async fn release(&self, source: &str, instance: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
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

    async fn record_fetch(&self, mut record: FetchRecord) -> Result<SaveSummary, StoreError> {
        let (listed, over) = match &mut record.outcome {
            FetchOutcome::Fetched { items, .. } => {
                (items.len(), super::cap_fetch(items, record.max_items))
            }
            _ => (0, Vec::new()),
        };
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(q)?;
        let loc = &record.location;
        tx.execute(
            "INSERT INTO sources (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
            &[&record.source],
        )
        .await
        .map_err(q)?;
        // Locking the source row first serializes two writes of one source
        // (a lease that ran out while its holder was still busy).
        tx.execute(
            "SELECT 1 FROM sources WHERE id = $1 FOR UPDATE",
            &[&record.source],
        )
        .await
        .map_err(q)?;
        tx.execute(
            "UPDATE sources SET config_url = $2, url = $3, redirect_to = $4, redirect_streak = $5, gone = $6,
             feed_url = $7, interval_ms = $8, lease_holder = NULL, lease_until = NULL WHERE id = $1",
            &[
                &record.source,
                &loc.config_url,
                &loc.url,
                &loc.redirect_to,
                &to_i32(loc.redirect_streak),
                &loc.gone,
                &loc.feed_url,
                &record.interval.map(|d| d.num_milliseconds()),
            ],
        )
        .await
        .map_err(q)?;
        let summary = match &record.outcome {
            FetchOutcome::Fetched {
                pages,
                etag,
                last_modified,
                title,
                items,
            } => {
                let mut summary = upsert_items(&tx, record.at, items).await.map_err(q)?;
                cap_items(
                    &tx,
                    &record.source,
                    record.at,
                    record.max_items,
                    &over,
                    listed,
                    &mut summary,
                )
                .await
                .map_err(q)?;
                for p in pages {
                    tx.execute(
                        "INSERT INTO pages (source, url, etag, last_modified) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (source, url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified",
                        &[&record.source, &p.url, &p.etag, &p.last_modified],
                    )
                    .await
                    .map_err(q)?;
                }
                tx.execute(
                    "UPDATE sources SET etag = $2, last_modified = $3, title = COALESCE($4, title),
                     last_fetch = $5, last_outcome = CASE WHEN $7::TEXT IS NULL THEN 'ok' ELSE 'warning' END, last_error = $7,
                     troubled_since = CASE WHEN $7::TEXT IS NULL THEN NULL ELSE COALESCE(troubled_since, $5) END,
                     consecutive_errors = 0, next_due = $6
                     WHERE id = $1",
                    &[&record.source, etag, last_modified, title, &record.at, &record.next_due, &record.warning],
                )
                .await
                .map_err(q)?;
                summary
            }
            FetchOutcome::NotModified => {
                tx.execute(
                    "UPDATE sources SET last_fetch = $2, last_outcome = CASE WHEN $4::TEXT IS NULL THEN 'ok' ELSE 'warning' END, last_error = $4,
                     troubled_since = CASE WHEN $4::TEXT IS NULL THEN NULL ELSE COALESCE(troubled_since, $2) END,
                     consecutive_errors = 0, next_due = $3
                     WHERE id = $1",
                    &[&record.source, &record.at, &record.next_due, &record.warning],
                )
                .await
                .map_err(q)?;
                SaveSummary::default()
            }
            FetchOutcome::Failed { error } => {
                tx.execute(
                    "UPDATE sources SET last_fetch = $2, last_outcome = 'error', last_error = $3,
                     troubled_since = COALESCE(troubled_since, $2),
                     consecutive_errors = consecutive_errors + 1, next_due = $4
                     WHERE id = $1",
                    &[&record.source, &record.at, error, &record.next_due],
                )
                .await
                .map_err(q)?;
                SaveSummary::default()
            }
        };
        if record.keep_polls > 0 && !matches!(record.outcome, FetchOutcome::Failed { .. }) {
            tx.execute(
                "INSERT INTO polls (source, at, new_items) VALUES ($1, $2, $3)
                 ON CONFLICT (source, at) DO UPDATE SET new_items = excluded.new_items",
                &[
                    &record.source,
                    &record.at,
                    &i32::try_from(summary.new).unwrap_or(i32::MAX),
                ],
            )
            .await
            .map_err(q)?;
            tx.execute(
                "DELETE FROM polls WHERE source = $1 AND at IN (
                    SELECT at FROM polls WHERE source = $1 ORDER BY at DESC OFFSET $2
                 )",
                &[&record.source, &i64::from(record.keep_polls)],
            )
            .await
            .map_err(q)?;
        }
        if summary.changed() || record.health_changed {
            // Last, so the counter's lock is held only until the commit.
            bump(&tx, std::slice::from_ref(&record.source))
                .await
                .map_err(q)?;
        }
        tx.commit().await.map_err(q)?;
        Ok(summary)
    }

    async fn items(&self, sources: &[String], limit: usize) -> Result<Vec<Item>, StoreError> {
        let client = self.client().await?;
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

    async fn page_validators(
        &self,
        source: &str,
    ) -> Result<HashMap<String, PageValidators>, StoreError> {
        let client = self.client().await?;
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

    async fn known_ids(&self, source: &str, ids: &[String]) -> Result<HashSet<String>, StoreError> {
        let client = self.client().await?;
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

    async fn prune(
        &self,
        before: DateTime<Utc>,
        keep_min: u32,
        max_items: u32,
    ) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(q)?;
        let removed = tx
            .query(
                "WITH gone AS (
                    DELETE FROM items WHERE (source, id) IN (
                        SELECT source, id FROM (
                            SELECT source, id, published, ROW_NUMBER() OVER (PARTITION BY source ORDER BY published DESC, id COLLATE \"C\") AS rank
                            FROM items
                        ) ranked WHERE (published < $1 AND rank > $2) OR rank > $3
                    ) RETURNING source, id
                 ), tombs AS (
                    INSERT INTO pruned (source, id) SELECT source, id FROM gone ON CONFLICT DO NOTHING
                 )
                 SELECT source FROM gone",
                &[&before, &i64::from(keep_min), &i64::from(max_items)],
            )
            .await
            .map_err(q)?;
        let mut sources = removed
            .iter()
            .map(|r| r.try_get::<_, String>(0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(q)?;
        sources.sort();
        sources.dedup();
        if !sources.is_empty() {
            bump(&tx, &sources).await.map_err(q)?;
        }
        tx.commit().await.map_err(q)?;
        Ok(removed.len() as u64)
    }

    async fn changes_since(&self, version: u64) -> Result<Changes, StoreError> {
        let client = self.client().await?;
        let after = i64::try_from(version).unwrap_or(i64::MAX);
        // One statement, one snapshot: the version and the list agree.
        let row = client
            .query_one(
                "SELECT (SELECT n FROM change_counter),
                        ARRAY(SELECT id FROM sources WHERE changed > $1 ORDER BY id COLLATE \"C\")",
                &[&after],
            )
            .await
            .map_err(q)?;
        let n: i64 = row.try_get(0).map_err(q)?;
        Ok(Changes {
            version: u64::try_from(n).unwrap_or_default(),
            sources: row.try_get(1).map_err(q)?,
        })
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
        let client = self.client().await?;
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

    async fn archive_head(&self, feed: &str) -> Result<Option<(u64, ArchiveKey)>, StoreError> {
        let client = self.client().await?;
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

    async fn put_archive_page(&self, page: ArchivePage) -> Result<bool, StoreError> {
        let client = self.client().await?;
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

    async fn archive_page(&self, feed: &str, page: u64) -> Result<Option<ArchivePage>, StoreError> {
        let client = self.client().await?;
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

    async fn polls(&self, source: &str, limit: u32) -> Result<Vec<Polled>, StoreError> {
        let client = self.client().await?;
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

    async fn record_push(
        &self,
        source: &str,
        at: DateTime<Utc>,
        mut items: Vec<Item>,
        max_items: u32,
    ) -> Result<SaveSummary, StoreError> {
        let listed = items.len();
        let over = super::cap_fetch(&mut items, max_items);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(q)?;
        tx.execute(
            "INSERT INTO sources (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
            &[&source],
        )
        .await
        .map_err(q)?;
        // As in `record_fetch`: one write of a source at a time.
        tx.execute("SELECT 1 FROM sources WHERE id = $1 FOR UPDATE", &[&source])
            .await
            .map_err(q)?;
        let mut summary = upsert_items(&tx, at, &items).await.map_err(q)?;
        cap_items(&tx, source, at, max_items, &over, listed, &mut summary)
            .await
            .map_err(q)?;
        if summary.changed() {
            bump(&tx, &[source.to_string()]).await.map_err(q)?;
        }
        tx.commit().await.map_err(q)?;
        Ok(summary)
    }

    async fn subscription(&self, source: &str) -> Result<Option<Subscription>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions WHERE source = $1"
                ),
                &[&source],
            )
            .await
            .map_err(q)?;
        row.map(|r| subscription_row(&r)).transpose().map_err(q)
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions ORDER BY source COLLATE \"C\""
                ),
                &[],
            )
            .await
            .map_err(q)?;
        rows.iter()
            .map(subscription_row)
            .collect::<Result<_, _>>()
            .map_err(q)
    }

    async fn put_subscription(&self, sub: &Subscription) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let n = client
            .execute(
                "INSERT INTO websub_subscriptions (source, hub, topic, secret, state, requested, lease_seconds, expires, holder, held_until)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (source) DO UPDATE SET hub = excluded.hub, topic = excluded.topic, secret = excluded.secret,
                   state = excluded.state, requested = excluded.requested, lease_seconds = excluded.lease_seconds,
                   expires = excluded.expires, holder = excluded.holder, held_until = excluded.held_until
                 WHERE websub_subscriptions.holder IS NULL OR websub_subscriptions.held_until <= excluded.requested
                   OR websub_subscriptions.holder = excluded.holder",
                &[
                    &sub.source,
                    &sub.hub,
                    &sub.topic,
                    &sub.secret,
                    &sub.state.as_str(),
                    &sub.requested,
                    &sub.lease_seconds.map(to_i32),
                    &sub.expires,
                    &sub.holder,
                    &sub.held_until,
                ],
            )
            .await
            .map_err(q)?;
        Ok(n == 1)
    }

    async fn hold_subscription(
        &self,
        source: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        instance: &str,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE websub_subscriptions SET holder = $3, held_until = $4
                 WHERE source = $1 AND (holder IS NULL OR held_until <= $2 OR holder = $3)",
                &[&source, &now, &instance, &until],
            )
            .await
            .map_err(q)?;
        Ok(n == 1)
    }

    async fn release_subscriptions(&self, instance: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE websub_subscriptions SET holder = NULL, held_until = NULL WHERE holder = $1",
                &[&instance],
            )
            .await
            .map_err(q)?;
        Ok(())
    }

    async fn verify_subscription(
        &self,
        source: &str,
        topic: &str,
        verification: Verification,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let states: Vec<&str> = super::verifiable(verification)
            .iter()
            .map(|s| s.as_str())
            .collect();
        let client = self.client().await?;
        let matching = "source = $1 AND topic = $2 AND state = ANY($3::text[])";
        let n = match verification {
            Verification::Subscribe { lease_seconds } => {
                let expires = now + chrono::Duration::seconds(i64::from(lease_seconds));
                client
                    .execute(
                        &format!(
                            "UPDATE websub_subscriptions SET state = 'active', lease_seconds = $4, expires = $5 WHERE {matching}"
                        ),
                        &[&source, &topic, &states, &to_i32(lease_seconds), &expires],
                    )
                    .await
            }
            Verification::Unsubscribe => {
                client
                    .execute(
                        &format!("DELETE FROM websub_subscriptions WHERE {matching}"),
                        &[&source, &topic, &states],
                    )
                    .await
            }
            Verification::Denied => {
                client
                    .execute(
                        &format!("UPDATE websub_subscriptions SET state = 'denied' WHERE {matching}"),
                        &[&source, &topic, &states],
                    )
                    .await
            }
        }
        .map_err(q)?;
        Ok(n == 1)
    }

    async fn remove_subscription(&self, source: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM websub_subscriptions WHERE source = $1",
                &[&source],
            )
            .await
            .map_err(q)?;
        Ok(())
    }
}
