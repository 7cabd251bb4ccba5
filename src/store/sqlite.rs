//! The embedded SQLite backend: one file in WAL mode, numbered migrations
//! applied on open, every fetch written in one transaction. Leases and the
//! change version behave as on PostgreSQL, so the same tests hold for both.

use super::{
    ArchiveKey, ArchivePage, Changes, FetchOutcome, FetchRecord, PageValidators, Polled,
    SaveSummary, SourceState, Store, StoreError, Stored, Subscription, SubscriptionState, Upsert,
    Verification, content_hash, plan,
};
use crate::model::Item;
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// Each entry upgrades the schema by one version; never edit a shipped one.
/// The entries since the local article ids moved (version 4) must bear
/// running again: columns are added only where missing, tables and
/// indexes only if they do not exist.
const MIGRATIONS: &[Migration] = &[
    Migration::Sql(
        r#"
CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    url TEXT,
    etag TEXT,
    last_modified TEXT,
    title TEXT,
    last_fetch INTEGER,
    last_outcome TEXT,
    last_error TEXT,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    next_due INTEGER
);
CREATE TABLE items (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    link TEXT,
    title TEXT NOT NULL,
    authors TEXT NOT NULL,
    summary_html TEXT,
    content_html TEXT,
    published INTEGER NOT NULL,
    dated INTEGER NOT NULL,
    updated INTEGER,
    categories TEXT NOT NULL,
    enclosures TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;
CREATE INDEX items_newest ON items (source, published DESC, id);
"#,
    ),
    Migration::Sql(
        r#"
ALTER TABLE sources ADD COLUMN config_url TEXT;
ALTER TABLE sources ADD COLUMN redirect_to TEXT;
ALTER TABLE sources ADD COLUMN redirect_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;
"#,
    ),
    Migration::Sql(
        r#"
ALTER TABLE sources ADD COLUMN lease_holder TEXT;
ALTER TABLE sources ADD COLUMN lease_until INTEGER;
ALTER TABLE sources ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sources_changed ON sources (changed);
CREATE TABLE change_counter (n INTEGER NOT NULL);
INSERT INTO change_counter (n) VALUES (0);
"#,
    ),
    Migration::Sql(
        r#"
CREATE TABLE pages (
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    PRIMARY KEY (source, url)
) WITHOUT ROWID;
"#,
    ),
    Migration::Sql(super::LOCAL_ARTICLE_IDS),
    Migration::Sql(
        r#"
CREATE TABLE IF NOT EXISTS pruned (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;
"#,
    ),
    // Tombstones learn when they were last listed. Rebuilt rather than
    // altered, so that the migration bears running again (SQLite has no
    // `ADD COLUMN IF NOT EXISTS`); a rerun forgets those times, not the ids.
    Migration::Sql(
        r#"
CREATE TABLE pruned_seen (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;
INSERT INTO pruned_seen (source, id) SELECT source, id FROM pruned;
DROP TABLE pruned;
ALTER TABLE pruned_seen RENAME TO pruned;
CREATE INDEX pruned_by_seen ON pruned (source, seen DESC, id);
"#,
    ),
    Migration::Column("sources", "troubled_since", "INTEGER"),
    Migration::Sql(
        r#"
CREATE INDEX IF NOT EXISTS items_arrival ON items (first_seen, published, source, id);
CREATE TABLE IF NOT EXISTS archive_pages (
    feed TEXT NOT NULL,
    page INTEGER NOT NULL,
    last_first_seen INTEGER NOT NULL,
    last_published INTEGER NOT NULL,
    last_source TEXT NOT NULL,
    last_id TEXT NOT NULL,
    rss BLOB NOT NULL,
    atom BLOB NOT NULL,
    json BLOB NOT NULL,
    PRIMARY KEY (feed, page)
) WITHOUT ROWID;
"#,
    ),
    // The feed an HTML page advertises (autodiscovery).
    Migration::Column("sources", "feed_url", "TEXT"),
    // The poll history of adaptive schedules, and the interval they chose.
    Migration::Sql(
        r#"
CREATE TABLE IF NOT EXISTS polls (
    source TEXT NOT NULL,
    at INTEGER NOT NULL,
    new_items INTEGER NOT NULL,
    PRIMARY KEY (source, at)
) WITHOUT ROWID;
"#,
    ),
    Migration::Column("sources", "interval_ms", "INTEGER"),
    Migration::Sql(
        r#"
CREATE TABLE IF NOT EXISTS websub_subscriptions (
    source TEXT PRIMARY KEY,
    hub TEXT NOT NULL,
    topic TEXT NOT NULL,
    secret TEXT NOT NULL,
    state TEXT NOT NULL,
    requested INTEGER NOT NULL,
    lease_seconds INTEGER,
    expires INTEGER,
    holder TEXT,
    held_until INTEGER
) WITHOUT ROWID;
"#,
    ),
];

/// One schema version's change.
enum Migration {
    Sql(&'static str),
    /// `ALTER TABLE t ADD COLUMN c DECL`, unless `t` has `c` already
    /// (SQLite has no `ADD COLUMN IF NOT EXISTS`).
    Column(&'static str, &'static str, &'static str),
}

impl Migration {
    fn apply(&self, tx: &rusqlite::Transaction<'_>) -> Result<(), rusqlite::Error> {
        match self {
            Migration::Sql(sql) => tx.execute_batch(sql),
            Migration::Column(table, column, decl) => {
                let present: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
                    params![table, column],
                    |r| r.get(0),
                )?;
                if present {
                    return Ok(());
                }
                tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl};"))
            }
        }
    }
}

/// A SQLite database file shared by the daemon's tasks.
#[derive(Clone)]
pub struct SqliteStore {
    // Taken asynchronously, then used inside `spawn_blocking` (rusqlite is
    // blocking); one connection serializes writers as SQLite would anyway.
    conn: Arc<tokio::sync::Mutex<Connection>>,
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
        tokio::task::spawn_blocking(move || {
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
            migrate(&mut conn).map_err(open_err)?;
            // Room for every statement the store runs (rusqlite keeps 16).
            conn.set_prepared_statement_cache_capacity(64);
            Ok(SqliteStore {
                conn: Arc::new(tokio::sync::Mutex::new(conn)),
            })
        })
        .await
        .map_err(|e| StoreError::open("opening on a worker thread", e))?
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

/// Applies the migrations not yet applied, each in an IMMEDIATE transaction
/// that reads the version under the write lock: two processes opening one
/// file at once apply each migration once.
fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let Some(migration) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            return Ok(());
        };
        migration.apply(&tx)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

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

const SUBSCRIPTION_COLUMNS: &str =
    "source, hub, topic, secret, state, requested, lease_seconds, expires, holder, held_until";

fn subscription_row(r: &rusqlite::Row<'_>) -> Result<Subscription, rusqlite::Error> {
    Ok(Subscription {
        source: r.get(0)?,
        hub: r.get(1)?,
        topic: r.get(2)?,
        secret: r.get(3)?,
        state: SubscriptionState::parse(&r.get::<_, String>(4)?),
        requested: from_ms(r.get(5)?),
        lease_seconds: r.get(6)?,
        expires: r.get::<_, Option<i64>>(7)?.map(from_ms),
        holder: r.get(8)?,
        held_until: r.get::<_, Option<i64>>(9)?.map(from_ms),
    })
}

const ITEM_COLUMNS: &str = "source, id, link, title, authors, summary_html, content_html, published, dated, updated, categories, enclosures";

fn item_row(r: &rusqlite::Row<'_>) -> Result<Item, rusqlite::Error> {
    let json_list = |i: usize| -> Result<Vec<String>, rusqlite::Error> {
        let s: String = r.get(i)?;
        Ok(serde_json::from_str(&s).unwrap_or_default())
    };
    let enclosures: String = r.get(11)?;
    let enclosures = super::enclosures_from_json(&enclosures);
    Ok(Item {
        source: r.get(0)?,
        id: r.get(1)?,
        link: r.get(2)?,
        title: r.get(3)?,
        authors: json_list(4)?,
        summary_html: r.get(5)?,
        content_html: r.get(6)?,
        published: from_ms(r.get(7)?),
        dated: r.get(8)?,
        updated: r.get::<_, Option<i64>>(9)?.map(from_ms),
        categories: json_list(10)?,
        enclosures,
        also_via: Vec::new(),
    })
}

fn upsert_items(
    tx: &rusqlite::Transaction<'_>,
    at: DateTime<Utc>,
    items: &[Item],
) -> Result<SaveSummary, rusqlite::Error> {
    let mut summary = SaveSummary::default();
    let mut existing = tx
        .prepare_cached("SELECT hash, published, dated FROM items WHERE source = ?1 AND id = ?2")?;
    let mut tombstone =
        tx.prepare_cached("UPDATE pruned SET seen = ?3 WHERE source = ?1 AND id = ?2")?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO items (source, id, link, title, authors, summary_html, content_html, published, dated, updated, categories, enclosures, first_seen, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE items SET link = ?3, title = ?4, authors = ?5, summary_html = ?6, content_html = ?7, published = ?8, dated = ?9, updated = ?10, categories = ?11, enclosures = ?12, hash = ?13
         WHERE source = ?1 AND id = ?2",
    )?;
    for item in items {
        let hash = content_hash(item);
        let authors = serde_json::to_string(&item.authors).unwrap_or_else(|_| "[]".into());
        let categories = serde_json::to_string(&item.categories).unwrap_or_else(|_| "[]".into());
        let enclosures = super::enclosures_to_json(&item.enclosures);
        let stored = existing
            .query_row(params![item.source, item.id], |r| {
                Ok(Stored {
                    hash: r.get(0)?,
                    published: from_ms(r.get(1)?),
                    dated: r.get(2)?,
                })
            })
            .optional()?;
        // A tombstone listed again is marked seen (see `cap_items`).
        let tombstoned =
            stored.is_none() && tombstone.execute(params![item.source, item.id, ms(at)])? > 0;
        match plan(item, &hash, at, stored, tombstoned) {
            Upsert::Unchanged => summary.unchanged += 1,
            Upsert::Insert => {
                insert.execute(params![
                    item.source,
                    item.id,
                    item.link,
                    item.title,
                    authors,
                    item.summary_html,
                    item.content_html,
                    ms(item.published),
                    item.dated,
                    item.updated.map(ms),
                    categories,
                    enclosures,
                    ms(at),
                    hash
                ])?;
                summary.new += 1;
            }
            Upsert::Update {
                published,
                dated,
                updated,
            } => {
                update.execute(params![
                    item.source,
                    item.id,
                    item.link,
                    item.title,
                    authors,
                    item.summary_html,
                    item.content_html,
                    ms(published),
                    dated,
                    ms(updated),
                    categories,
                    enclosures,
                    hash
                ])?;
                summary.updated += 1;
            }
        }
    }
    Ok(summary)
}

/// Holds `source` to `max_items` after a fetch that listed `listed` items:
/// the ids [`super::cap_fetch`] left out (`over`) and the stored items
/// beyond the cap are pruned, with tombstones; then the source's
/// tombstones are bounded by [`super::tombstone_bound`], the least
/// recently listed going first.
fn cap_items(
    tx: &rusqlite::Transaction<'_>,
    source: &str,
    at: DateTime<Utc>,
    max_items: u32,
    over: &[String],
    listed: usize,
    summary: &mut SaveSummary,
) -> Result<(), rusqlite::Error> {
    let at = ms(at);
    let mut seen =
        tx.prepare_cached("UPDATE pruned SET seen = ?3 WHERE source = ?1 AND id = ?2")?;
    let mut tomb = tx.prepare_cached(
        "INSERT INTO pruned (source, id, seen) VALUES (?1, ?2, ?3)
         ON CONFLICT (source, id) DO UPDATE SET seen = excluded.seen",
    )?;
    let mut unstore = tx.prepare_cached("DELETE FROM items WHERE source = ?1 AND id = ?2")?;
    for id in over {
        if seen.execute(params![source, id, at])? > 0 {
            summary.unchanged += 1;
        } else {
            unstore.execute(params![source, id])?;
            tomb.execute(params![source, id, at])?;
            summary.dropped += 1;
        }
    }
    let removed: Vec<(String, i64)> = {
        let mut st = tx.prepare_cached(
            "DELETE FROM items WHERE source = ?1 AND id IN (
                SELECT id FROM items WHERE source = ?1 ORDER BY published DESC, id LIMIT -1 OFFSET ?2
             ) RETURNING id, first_seen",
        )?;
        st.query_map(params![source, max_items], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, first_seen) in removed {
        tomb.execute(params![source, id, at])?;
        summary.dropped += 1;
        // Stored by this very fetch: not new after all.
        if first_seen == at {
            summary.new = summary.new.saturating_sub(1);
        }
    }
    tx.prepare_cached(
        "DELETE FROM pruned WHERE source = ?1 AND id IN (
            SELECT id FROM pruned WHERE source = ?1 ORDER BY seen DESC, id LIMIT -1 OFFSET ?2
         )",
    )?
    .execute(params![source, super::tombstone_bound(max_items, listed)])?;
    Ok(())
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

fn bump(tx: &rusqlite::Transaction<'_>, sources: &[String]) -> Result<(), rusqlite::Error> {
    let n: i64 = tx
        .prepare_cached("UPDATE change_counter SET n = n + 1 RETURNING n")?
        .query_row([], |r| r.get(0))?;
    let mut st = tx.prepare_cached("UPDATE sources SET changed = ?2 WHERE id = ?1")?;
    for s in sources {
        st.execute(params![s, n])?;
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn source_state(&self, source: &str) -> Result<Option<SourceState>, StoreError> {
        let source = source.to_string();
        self.with(move |c| {
            c.prepare_cached(&format!(
                "SELECT {STATE_COLUMNS} FROM sources s WHERE s.id = ?1"
            ))?
            .query_row([source], state_row)
            .optional()
        })
        .await
    }

    async fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {STATE_COLUMNS} FROM sources s ORDER BY s.id"
            ))?;
            st.query_map([], state_row)?.collect()
        })
        .await
    }

    async fn claim(
        &self,
        source: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        instance: &str,
    ) -> Result<bool, StoreError> {
        let (source, instance) = (source.to_string(), instance.to_string());
        self.with(move |c| {
            // IMMEDIATE takes the write lock first, so processes sharing the
            // file decide one claim at a time.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            exec(
                &tx,
                "INSERT INTO sources (id) VALUES (?1) ON CONFLICT (id) DO NOTHING",
                [&source],
            )?;
            let won = exec(
                &tx,
                "UPDATE sources SET lease_holder = ?3, lease_until = ?4
                 WHERE id = ?1
                   AND (last_fetch IS NULL OR next_due IS NULL OR next_due <= ?2)
                   AND (lease_until IS NULL OR lease_until <= ?2 OR lease_holder = ?3)",
                params![source, ms(now), instance, ms(lease_until)],
            )? == 1;
            tx.commit()?;
            Ok(won)
        })
        .await
    }

    async fn release(&self, source: &str, instance: &str) -> Result<(), StoreError> {
        let (source, instance) = (source.to_string(), instance.to_string());
        self.with(move |c| {
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

    async fn record_fetch(&self, mut record: FetchRecord) -> Result<SaveSummary, StoreError> {
        let (listed, over) = match &mut record.outcome {
            FetchOutcome::Fetched { items, .. } => {
                (items.len(), super::cap_fetch(items, record.max_items))
            }
            _ => (0, Vec::new()),
        };
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let loc = &record.location;
            exec(
                &tx,
                "INSERT INTO sources (id) VALUES (?1) ON CONFLICT (id) DO NOTHING",
                [&record.source],
            )?;
            exec(
                &tx,
                "UPDATE sources SET config_url = ?2, url = ?3, redirect_to = ?4, redirect_streak = ?5, gone = ?6,
                 feed_url = ?7, interval_ms = ?8, lease_holder = NULL, lease_until = NULL WHERE id = ?1",
                params![record.source, loc.config_url, loc.url, loc.redirect_to, loc.redirect_streak, loc.gone, loc.feed_url,
                    record.interval.map(|d| d.num_milliseconds())],
            )?;
            let summary = match &record.outcome {
                FetchOutcome::Fetched {
                    pages,
                    etag,
                    last_modified,
                    title,
                    items,
                } => {
                    let mut summary = upsert_items(&tx, record.at, items)?;
                    cap_items(
                        &tx,
                        &record.source,
                        record.at,
                        record.max_items,
                        &over,
                        listed,
                        &mut summary,
                    )?;
                    let mut page = tx.prepare_cached(
                        "INSERT INTO pages (source, url, etag, last_modified) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (source, url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified",
                    )?;
                    for p in pages {
                        page.execute(params![record.source, p.url, p.etag, p.last_modified])?;
                    }
                    drop(page);
                    exec(
                        &tx,
                        "UPDATE sources SET etag = ?2, last_modified = ?3, title = COALESCE(?4, title),
                         last_fetch = ?5, last_outcome = CASE WHEN ?7 IS NULL THEN 'ok' ELSE 'warning' END, last_error = ?7,
                         troubled_since = CASE WHEN ?7 IS NULL THEN NULL ELSE COALESCE(troubled_since, ?5) END,
                         consecutive_errors = 0, next_due = ?6
                         WHERE id = ?1",
                        params![record.source, etag, last_modified, title, ms(record.at), ms(record.next_due), record.warning],
                    )?;
                    summary
                }
                FetchOutcome::NotModified => {
                    exec(
                        &tx,
                        "UPDATE sources SET last_fetch = ?2, last_outcome = CASE WHEN ?4 IS NULL THEN 'ok' ELSE 'warning' END, last_error = ?4,
                         troubled_since = CASE WHEN ?4 IS NULL THEN NULL ELSE COALESCE(troubled_since, ?2) END,
                         consecutive_errors = 0, next_due = ?3
                         WHERE id = ?1",
                        params![record.source, ms(record.at), ms(record.next_due), record.warning],
                    )?;
                    SaveSummary::default()
                }
                FetchOutcome::Failed { error } => {
                    exec(
                        &tx,
                        "UPDATE sources SET last_fetch = ?2, last_outcome = 'error', last_error = ?3,
                         troubled_since = COALESCE(troubled_since, ?2),
                         consecutive_errors = consecutive_errors + 1, next_due = ?4
                         WHERE id = ?1",
                        params![record.source, ms(record.at), error, ms(record.next_due)],
                    )?;
                    SaveSummary::default()
                }
            };
            if record.keep_polls > 0 && !matches!(record.outcome, FetchOutcome::Failed { .. }) {
                exec(
                    &tx,
                    "INSERT INTO polls (source, at, new_items) VALUES (?1, ?2, ?3)
                     ON CONFLICT (source, at) DO UPDATE SET new_items = excluded.new_items",
                    params![record.source, ms(record.at), summary.new as i64],
                )?;
                exec(
                    &tx,
                    "DELETE FROM polls WHERE source = ?1 AND at IN (
                        SELECT at FROM polls WHERE source = ?1 ORDER BY at DESC LIMIT -1 OFFSET ?2
                     )",
                    params![record.source, record.keep_polls],
                )?;
            }
            if summary.changed() || record.health_changed {
                bump(&tx, std::slice::from_ref(&record.source))?;
            }
            tx.commit()?;
            Ok(summary)
        })
        .await
    }

    async fn items(&self, sources: &[String], limit: usize) -> Result<Vec<Item>, StoreError> {
        let sources = sources.to_vec();
        self.with(move |c| {
            // First the keys: each source's newest, straight off the
            // covering index and no older than the `limit`th newest found so
            // far, so a feed over many sources reads few entries of each.
            // Then only the chosen rows. Neither grows with the store.
            let mut keys = c.prepare_cached(
                "SELECT published, id FROM items WHERE source = ?1 AND published >= ?3
                 ORDER BY published DESC, id LIMIT ?2",
            )?;
            // The worst of the best `limit` on top.
            let mut best: BinaryHeap<Reverse<(i64, Reverse<String>, Reverse<String>)>> =
                BinaryHeap::with_capacity(limit + 1);
            for s in &sources {
                let floor = match best.peek() {
                    Some(Reverse((published, _, _))) if best.len() >= limit => *published,
                    _ => i64::MIN,
                };
                let rows = keys.query_map(params![s, limit as i64, floor], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?;
                for row in rows {
                    let (published, id) = row?;
                    let key = Reverse((published, Reverse(s.clone()), Reverse(id)));
                    if best.len() >= limit && best.peek().is_some_and(|worst| key >= *worst) {
                        // This source's rows come newest first: the rest are
                        // no better.
                        break;
                    }
                    best.push(key);
                    if best.len() > limit {
                        best.pop();
                    }
                }
            }
            let mut row = c.prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE source = ?1 AND id = ?2"
            ))?;
            let mut all = best
                .into_iter()
                .map(|Reverse((_, Reverse(source), Reverse(id)))| {
                    row.query_row(params![source, id], item_row)
                })
                .collect::<Result<Vec<_>, _>>()?;
            all.sort_by(|a, b| {
                b.published
                    .cmp(&a.published)
                    .then_with(|| a.source.cmp(&b.source))
                    .then_with(|| a.id.cmp(&b.id))
            });
            Ok(all)
        })
        .await
    }

    async fn page_validators(
        &self,
        source: &str,
    ) -> Result<HashMap<String, PageValidators>, StoreError> {
        let source = source.to_string();
        self.with(move |c| {
            let mut st =
                c.prepare_cached("SELECT url, etag, last_modified FROM pages WHERE source = ?1")?;
            let rows = st.query_map([source], |r| {
                Ok(PageValidators {
                    url: r.get(0)?,
                    etag: r.get(1)?,
                    last_modified: r.get(2)?,
                })
            })?;
            rows.map(|r| r.map(|p| (p.url.clone(), p))).collect()
        })
        .await
    }

    async fn known_ids(&self, source: &str, ids: &[String]) -> Result<HashSet<String>, StoreError> {
        let source = source.to_string();
        let ids = ids.to_vec();
        self.with(move |c| {
            let mut st = c.prepare_cached(
                "SELECT 1 FROM items WHERE source = ?1 AND id = ?2
                 UNION ALL SELECT 1 FROM pruned WHERE source = ?1 AND id = ?2",
            )?;
            let mut known = HashSet::new();
            for id in ids {
                if st.exists(params![source, id])? {
                    known.insert(id);
                }
            }
            Ok(known)
        })
        .await
    }

    async fn prune(
        &self,
        before: DateTime<Utc>,
        keep_min: u32,
        max_items: u32,
    ) -> Result<u64, StoreError> {
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let removed: Vec<(String, String)> = {
                let mut st = tx.prepare(
                    "DELETE FROM items WHERE (source, id) IN (
                        SELECT source, id FROM (
                            SELECT source, id, published, ROW_NUMBER() OVER (PARTITION BY source ORDER BY published DESC, id) AS rank
                            FROM items
                        ) WHERE (published < ?1 AND rank > ?2) OR rank > ?3
                     ) RETURNING source, id",
                )?;
                st.query_map(params![ms(before), keep_min, max_items], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<_, _>>()?
            };
            let mut tomb =
                tx.prepare_cached("INSERT OR IGNORE INTO pruned (source, id) VALUES (?1, ?2)")?;
            for (source, id) in &removed {
                tomb.execute(params![source, id])?;
            }
            drop(tomb);
            let mut sources: Vec<String> = removed.iter().map(|(s, _)| s.clone()).collect();
            sources.sort();
            sources.dedup();
            if !sources.is_empty() {
                bump(&tx, &sources)?;
            }
            tx.commit()?;
            Ok(removed.len() as u64)
        })
        .await
    }

    async fn changes_since(&self, version: u64) -> Result<Changes, StoreError> {
        self.with(move |c| {
            // One read transaction: the version and the list come from the
            // same snapshot.
            let tx = c.transaction()?;
            let n: i64 = tx.query_row("SELECT n FROM change_counter", [], |r| r.get(0))?;
            let sources = {
                let mut st = tx.prepare("SELECT id FROM sources WHERE changed > ?1 ORDER BY id")?;
                st.query_map([i64::try_from(version).unwrap_or(i64::MAX)], |r| r.get(0))?
                    .collect::<Result<Vec<String>, _>>()?
            };
            tx.commit()?;
            Ok(Changes {
                version: u64::try_from(n).unwrap_or_default(),
                sources,
            })
        })
        .await
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
        let sources = sources.to_vec();
        let after = after.cloned();
        self.with(move |c| {
            let marks = vec!["?"; sources.len()].join(", ");
            let mut st = c.prepare(&format!(
                "SELECT {ITEM_COLUMNS}, first_seen FROM items
                 WHERE source IN ({marks}) AND first_seen < ? AND (first_seen, published, source, id) > (?, ?, ?, ?)
                 ORDER BY first_seen, published, source, id LIMIT ?"
            ))?;
            let (f, p, s, i) = match &after {
                Some(k) => (ms(k.first_seen), ms(k.published), k.source.clone(), k.id.clone()),
                None => (i64::MIN, i64::MIN, String::new(), String::new()),
            };
            let mut values: Vec<rusqlite::types::Value> =
                sources.into_iter().map(rusqlite::types::Value::from).collect();
            values.extend([
                ms(before).into(),
                f.into(),
                p.into(),
                s.into(),
                i.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ]);
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

    async fn archive_head(&self, feed: &str) -> Result<Option<(u64, ArchiveKey)>, StoreError> {
        let feed = feed.to_string();
        self.with(move |c| {
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

    async fn put_archive_page(&self, page: ArchivePage) -> Result<bool, StoreError> {
        self.with(move |c| {
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

    async fn archive_page(&self, feed: &str, page: u64) -> Result<Option<ArchivePage>, StoreError> {
        let feed = feed.to_string();
        self.with(move |c| {
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

    async fn polls(&self, source: &str, limit: u32) -> Result<Vec<Polled>, StoreError> {
        let source = source.to_string();
        self.with(move |c| {
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

    async fn record_push(
        &self,
        source: &str,
        at: DateTime<Utc>,
        mut items: Vec<Item>,
        max_items: u32,
    ) -> Result<SaveSummary, StoreError> {
        let source = source.to_string();
        let listed = items.len();
        let over = super::cap_fetch(&mut items, max_items);
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            exec(
                &tx,
                "INSERT INTO sources (id) VALUES (?1) ON CONFLICT (id) DO NOTHING",
                [&source],
            )?;
            let mut summary = upsert_items(&tx, at, &items)?;
            cap_items(&tx, &source, at, max_items, &over, listed, &mut summary)?;
            if summary.changed() {
                bump(&tx, std::slice::from_ref(&source))?;
            }
            tx.commit()?;
            Ok(summary)
        })
        .await
    }

    async fn subscription(&self, source: &str) -> Result<Option<Subscription>, StoreError> {
        let source = source.to_string();
        self.with(move |c| {
            c.prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions WHERE source = ?1"
            ))?
            .query_row([source], subscription_row)
            .optional()
        })
        .await
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.with(|c| {
            c.prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions ORDER BY source"
            ))?
            .query_map([], subscription_row)?
            .collect()
        })
        .await
    }

    async fn put_subscription(&self, sub: &Subscription) -> Result<bool, StoreError> {
        let sub = sub.clone();
        self.with(move |c| {
            let n = exec(
                c,
                "INSERT INTO websub_subscriptions (source, hub, topic, secret, state, requested, lease_seconds, expires, holder, held_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (source) DO UPDATE SET hub = excluded.hub, topic = excluded.topic, secret = excluded.secret,
                   state = excluded.state, requested = excluded.requested, lease_seconds = excluded.lease_seconds,
                   expires = excluded.expires, holder = excluded.holder, held_until = excluded.held_until
                 WHERE websub_subscriptions.holder IS NULL OR websub_subscriptions.held_until <= excluded.requested
                   OR websub_subscriptions.holder = excluded.holder",
                params![
                    sub.source,
                    sub.hub,
                    sub.topic,
                    sub.secret,
                    sub.state.as_str(),
                    ms(sub.requested),
                    sub.lease_seconds,
                    sub.expires.map(ms),
                    sub.holder,
                    sub.held_until.map(ms)
                ],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn hold_subscription(
        &self,
        source: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        instance: &str,
    ) -> Result<bool, StoreError> {
        let (source, instance) = (source.to_string(), instance.to_string());
        self.with(move |c| {
            let n = exec(
                c,
                "UPDATE websub_subscriptions SET holder = ?3, held_until = ?4
                 WHERE source = ?1 AND (holder IS NULL OR held_until <= ?2 OR holder = ?3)",
                params![source, ms(now), instance, ms(until)],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn release_subscriptions(&self, instance: &str) -> Result<(), StoreError> {
        let instance = instance.to_string();
        self.with(move |c| {
            exec(
                c,
                "UPDATE websub_subscriptions SET holder = NULL, held_until = NULL WHERE holder = ?1",
                [instance],
            )?;
            Ok(())
        })
        .await
    }

    async fn verify_subscription(
        &self,
        source: &str,
        topic: &str,
        verification: Verification,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (source, topic) = (source.to_string(), topic.to_string());
        let states = super::verifiable(verification);
        let (first, last) = (states[0].as_str(), states[states.len() - 1].as_str());
        self.with(move |c| {
            let matching = "source = ?1 AND topic = ?2 AND (state = ?3 OR state = ?4)";
            let n = match verification {
                Verification::Subscribe { lease_seconds } => {
                    let expires = now + chrono::Duration::seconds(i64::from(lease_seconds));
                    exec(
                        c,
                        &format!(
                            "UPDATE websub_subscriptions SET state = 'active', lease_seconds = ?5, expires = ?6 WHERE {matching}"
                        ),
                        params![source, topic, first, last, lease_seconds, ms(expires)],
                    )?
                }
                Verification::Unsubscribe => exec(
                    c,
                    &format!("DELETE FROM websub_subscriptions WHERE {matching}"),
                    params![source, topic, first, last],
                )?,
                Verification::Denied => exec(
                    c,
                    &format!(
                        "UPDATE websub_subscriptions SET state = 'denied' WHERE {matching}"
                    ),
                    params![source, topic, first, last],
                )?,
            };
            Ok(n == 1)
        })
        .await
    }

    async fn remove_subscription(&self, source: &str) -> Result<(), StoreError> {
        let source = source.to_string();
        self.with(move |c| {
            exec(
                c,
                "DELETE FROM websub_subscriptions WHERE source = ?1",
                [source],
            )?;
            Ok(())
        })
        .await
    }
}
