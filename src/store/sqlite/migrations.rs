//! The SQLite schema: the numbered migrations and how they are applied on
//! open. Depends only on rusqlite; `super` calls [`migrate`] once per open.

use rusqlite::{Connection, TransactionBehavior, params};

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
    Migration::Sql(crate::store::LOCAL_ARTICLE_IDS),
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
    // Items move to a table with a rowid: an item's row (its HTML, a
    // kilobyte or more) is larger than a WITHOUT ROWID table suits, whose
    // B-tree keeps whole rows in key order and splits pages on every
    // insert; with a rowid new rows append, and only the small key
    // indexes are kept in order. About halves the time of inserting a
    // fetch's items. Rebuilt, so it bears running again.
    Migration::Sql(
        r#"
CREATE TABLE items_by_rowid (
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
);
INSERT INTO items_by_rowid (source, id, link, title, authors, summary_html, content_html, published, dated, updated, categories, enclosures, first_seen, hash)
    SELECT source, id, link, title, authors, summary_html, content_html, published, dated, updated, categories, enclosures, first_seen, hash
    FROM items;
DROP TABLE items;
ALTER TABLE items_by_rowid RENAME TO items;
CREATE INDEX items_newest ON items (source, published DESC, id);
CREATE INDEX items_arrival ON items (first_seen, published, source, id);
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

/// Applies the migrations not yet applied, each in an IMMEDIATE transaction
/// that reads the version under the write lock: two processes opening one
/// file at once apply each migration once.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
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
