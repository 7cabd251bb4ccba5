//! Where items and per-source fetch state live: the [`Store`] trait, with one
//! implementation per database (`sqlite` embedded, `postgres` for several
//! instances sharing one database), each with its own numbered migrations run
//! on open.
//!
//! Besides items and fetch state, the trait carries what lets several
//! instances share one store: a lease per source ([`Store::claim`]), so each
//! due source is fetched by one instance, and a change version
//! ([`Store::changes_since`]), so every instance re-renders what another
//! changed. A backend may keep each source's newest item date between
//! merged reads (`heads`), valid up to a change version.
//!
//! It also keeps the WebSub subscriptions this daemon asked hubs for
//! ([`Subscription`]): one per source, with its secret, its state and lease,
//! and the instance that renews it ([`Store::hold_subscription`]), so a
//! restart or another instance carries on; and it writes pushed content
//! ([`Store::record_push`]) as a fetch writes items.
//!
//! Depends only on `model`. [`open`] picks the backend from the URL scheme.

mod backend;
mod heads;
mod postgres;
mod sqlite;
mod upsert;
mod websub;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

pub(crate) use upsert::{Stored, Upsert, content_hash, plan};
pub use upsert::{cap_fetch, tombstone_bound};
use upsert::{enclosures_from_json, enclosures_to_json};
pub use websub::{Subscription, SubscriptionState, Verification, verifiable};

use crate::model::Item;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// What a store error keeps as its cause: the database driver's error.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Why the store failed; the driver's error is its [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no backend this build has.
    #[error("unsupported store URL {0:?}")]
    Unsupported(String),
    /// Opening or migrating the database failed; `at` is the file or what
    /// was being done (never the URL, which may hold a password).
    #[error("cannot open the store ({at})")]
    Open {
        at: String,
        #[source]
        source: Cause,
    },
    /// A query failed.
    #[error("store query failed")]
    Query(#[source] Cause),
}

impl StoreError {
    pub(crate) fn open(at: impl Into<String>, source: impl Into<Cause>) -> StoreError {
        StoreError::Open {
            at: at.into(),
            source: source.into(),
        }
    }

    pub(crate) fn query(source: impl Into<Cause>) -> StoreError {
        StoreError::Query(source.into())
    }
}

/// What the store remembers about a source between fetches.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceState {
    pub id: String,
    /// The source's address as the config gave it when this state was
    /// written: a different one in the config resets moves and `gone`.
    pub config_url: Option<String>,
    /// The URL to fetch: the config's, or where a permanent redirect moved
    /// the source.
    pub url: Option<String>,
    /// A permanent redirect target seen on `redirect_streak` fetches in a row.
    pub redirect_to: Option<String>,
    pub redirect_streak: u32,
    /// The server answered `410 Gone`: not fetched until the config changes.
    pub gone: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The source's own title (a feed's channel title), for its feed.
    pub title: Option<String>,
    pub last_fetch: Option<DateTime<Utc>>,
    /// `ok`, `warning` (read, but see [`FetchRecord::warning`]) or `error`.
    pub last_outcome: Option<String>,
    /// The error or warning text of the last fetch.
    pub last_error: Option<String>,
    pub consecutive_errors: u32,
    pub next_due: Option<DateTime<Utc>>,
    pub items: u64,
    /// When the source last went from `ok` to `warning` or `error`; `None`
    /// while it is `ok`.
    pub troubled_since: Option<DateTime<Utc>>,
    /// The feed an HTML page at `url` advertises, found by autodiscovery:
    /// fetched instead of the page until it stops answering a feed.
    pub feed_url: Option<String>,
    /// The interval `schedule = "adaptive"` chose at the last fetch.
    pub interval: Option<chrono::Duration>,
}

/// One poll in a source's history, for `schedule = "adaptive"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polled {
    pub at: DateTime<Utc>,
    /// Items the poll stored for the first time (0 for a `304`).
    pub new_items: u32,
}

/// What one fetch of a source produced, written atomically.
#[derive(Debug, Clone)]
pub struct FetchRecord {
    pub source: String,
    pub at: DateTime<Utc>,
    pub next_due: DateTime<Utc>,
    pub location: Location,
    pub outcome: FetchOutcome,
    /// The most items the source may hold after this fetch (`[fetch]
    /// max_items`): the oldest beyond it are pruned, their ids kept as
    /// tombstones (see [`cap_fetch`]).
    pub max_items: u32,
    /// A fetch that read the source but found something wrong (it listed no
    /// items where it had some): recorded as `warning` with this text. Only
    /// for `Fetched` and `NotModified` outcomes.
    pub warning: Option<String>,
    /// The source's health changed (`ok`, `warning`, `error`): other
    /// instances re-render its feeds as for changed items, since a feed may
    /// show its health (`error_items`).
    pub health_changed: bool,
    /// The interval an adaptive schedule chose for the next fetch, kept to
    /// be shown; `None` for a fixed schedule.
    pub interval: Option<chrono::Duration>,
    /// How many polls of the source's history to keep ([`Store::polls`]):
    /// a fetch that answered (not a failed one) is one, with its count of
    /// new items; the oldest beyond go. 0 records none (a fixed schedule
    /// needs no history).
    pub keep_polls: u32,
}

/// Where a source lives after this fetch (see [`SourceState`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Location {
    pub config_url: Option<String>,
    pub url: Option<String>,
    pub redirect_to: Option<String>,
    pub redirect_streak: u32,
    pub gone: bool,
    /// See [`SourceState::feed_url`].
    pub feed_url: Option<String>,
}

/// The validators of one article page, so it is fetched again only when it
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageValidators {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone)]
pub enum FetchOutcome {
    /// New content: items to upsert, and the validators to keep (the
    /// source's own, and those of the article pages read).
    Fetched {
        pages: Vec<PageValidators>,
        etag: Option<String>,
        last_modified: Option<String>,
        title: Option<String>,
        items: Vec<Item>,
    },
    /// `304 Not Modified`.
    NotModified,
    /// The fetch failed; stored items stay as they are.
    Failed { error: String },
}

/// How a fetch's items compared with the stored ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SaveSummary {
    pub new: usize,
    pub updated: usize,
    /// Stored already, or pruned before (a tombstone): never new again.
    pub unchanged: usize,
    /// Over the source's `max_items`: items of this fetch not stored, and
    /// stored ones pruned to make room for newer ones.
    pub dropped: usize,
    /// The change version this write set for the source (see
    /// [`Store::changes_since`]), when it changed its items or its health.
    pub version: Option<u64>,
}

impl SaveSummary {
    /// Whether the source's items in the store changed.
    pub fn changed(&self) -> bool {
        self.new + self.updated + self.dropped > 0
    }
}

/// The sources whose items changed after a version, and the version they
/// bring the reader up to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Changes {
    /// Pass this to the next [`Store::changes_since`].
    pub version: u64,
    /// Ids of the sources whose items changed (new, updated or pruned), in
    /// id order.
    pub sources: Vec<String>,
    /// The version of each one's last change, in the same order: an
    /// instance tells its own writes (see [`SaveSummary::version`]) from
    /// others'.
    pub versions: Vec<u64>,
}

/// Where an item stands in a merged feed's archive (RFC 5005): in the
/// order tidings first stored items, then by date, source and id. New items
/// are first stored later than any stored item, so the order only grows at
/// its end, and a full archive page never has to change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ArchiveKey {
    pub first_seen: DateTime<Utc>,
    pub published: DateTime<Utc>,
    pub source: String,
    pub id: String,
}

/// One full archive page of a merged feed, frozen: its bytes in every
/// format, rendered once and kept, so every instance serves the same bytes
/// whatever happens to its items later (updates, pruning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivePage {
    pub feed: String,
    /// 0 for the oldest page.
    pub page: u64,
    /// The key of its newest item: the next page starts after it.
    pub last: ArchiveKey,
    pub rss: Vec<u8>,
    pub atom: Vec<u8>,
    pub json: Vec<u8>,
}

/// The storage every backend provides.
#[async_trait]
pub trait Store: Send + Sync {
    /// The state of one source; `None` before its first fetch.
    async fn source_state(&self, source: &str) -> Result<Option<SourceState>, StoreError>;

    /// The state of every source the store knows.
    async fn source_states(&self) -> Result<Vec<SourceState>, StoreError>;

    /// Claims `source` for one fetch by `instance` until `lease_until`.
    /// Returns true when the source is due at `now` (never fetched, or its
    /// next due time has come) and no other instance holds a lease that is
    /// still running; false otherwise, and then nothing is written. A claim
    /// ends with [`Store::record_fetch`] or [`Store::release`], or when the
    /// lease runs out (the instance died).
    async fn claim(
        &self,
        source: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        instance: &str,
    ) -> Result<bool, StoreError>;

    /// Ends `instance`'s lease on `source` without recording a fetch, so
    /// another instance may take the source at once.
    async fn release(&self, source: &str, instance: &str) -> Result<(), StoreError>;

    /// Writes one fetch's outcome atomically: items inserted or
    /// updated in place (matched by source and id), and the source's state;
    /// ends any lease on the source. A failed fetch changes no item.
    async fn record_fetch(&self, record: FetchRecord) -> Result<SaveSummary, StoreError>;

    /// The newest `limit` items of the given sources, newest first (ties by
    /// source and id, so the order is the same on every call).
    async fn items(&self, sources: &[String], limit: usize) -> Result<Vec<Item>, StoreError>;

    /// The stored validators of the source's article pages, by URL.
    async fn page_validators(
        &self,
        source: &str,
    ) -> Result<HashMap<String, PageValidators>, StoreError>;

    /// Which of `ids` the source already has: article pages behind them need
    /// not be fetched again.
    async fn known_ids(&self, source: &str, ids: &[String]) -> Result<HashSet<String>, StoreError>;

    /// Removes items older than `before`, keeping each source's newest
    /// `keep_min`; returns how many were removed.
    ///
    /// Beyond that, only each source's newest `max_items` are kept. The ids
    /// of pruned items are kept as tombstones: recorded again (a feed that
    /// keeps listing them), they count as unchanged, never as new, and
    /// [`Store::known_ids`] includes them.
    async fn prune(
        &self,
        before: DateTime<Utc>,
        keep_min: u32,
        max_items: u32,
    ) -> Result<u64, StoreError>;

    /// The sources whose items changed after `version` (0: since the
    /// store was made). Versions grow in commit order, so a reader that
    /// passes back the returned version misses no change.
    async fn changes_since(&self, version: u64) -> Result<Changes, StoreError>;

    /// Answers when the database does.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The items of `sources` in archive order ([`ArchiveKey`]), after
    /// `after` (from the first when `None`), first stored before `before`,
    /// at most `limit`.
    async fn items_in_order(
        &self,
        sources: &[String],
        after: Option<&ArchiveKey>,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(ArchiveKey, Item)>, StoreError>;

    /// The newest frozen archive page of `feed`: its number and its last
    /// key; `None` before the first.
    async fn archive_head(&self, feed: &str) -> Result<Option<(u64, ArchiveKey)>, StoreError>;

    /// Freezes a page unless it is already frozen (another instance may
    /// have frozen it first: then its bytes stay). Returns whether this
    /// call wrote it.
    async fn put_archive_page(&self, page: ArchivePage) -> Result<bool, StoreError>;

    /// One frozen archive page.
    async fn archive_page(&self, feed: &str, page: u64) -> Result<Option<ArchivePage>, StoreError>;

    /// The source's newest `limit` recorded polls, oldest first (see
    /// [`FetchRecord::keep_polls`]).
    async fn polls(&self, source: &str, limit: u32) -> Result<Vec<Polled>, StoreError>;

    /// Writes content a hub pushed for `source` as a fetch writes its items
    /// (upserted, capped at `max_items`, the change version bumped), without
    /// touching the source's fetch state: its validators and due time stay
    /// the origin's.
    async fn record_push(
        &self,
        source: &str,
        at: DateTime<Utc>,
        items: Vec<Item>,
        max_items: u32,
    ) -> Result<SaveSummary, StoreError>;

    /// The subscription of `source`, if any.
    async fn subscription(&self, source: &str) -> Result<Option<Subscription>, StoreError>;

    /// Every subscription, by source id.
    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;

    /// Writes a subscription as a request was just sent for it (all its
    /// fields, replacing any of the same source), unless another instance
    /// holds it; returns whether it was written.
    async fn put_subscription(&self, subscription: &Subscription) -> Result<bool, StoreError>;

    /// Takes or keeps the right to ask for and renew the subscription of
    /// `source` for `instance` until `until`: true when no other instance
    /// holds it at `now` (none ever did, its hold ran out, or it is this
    /// instance's); false otherwise, and nothing is written.
    async fn hold_subscription(
        &self,
        source: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        instance: &str,
    ) -> Result<bool, StoreError>;

    /// Gives up every hold of `instance` (it stops), so another instance
    /// may renew at once.
    async fn release_subscriptions(&self, instance: &str) -> Result<(), StoreError>;

    /// Applies a hub's verification of the subscription of `source` to
    /// `topic`, when it is one this daemon asked for: `Subscribe` makes a
    /// requested or active one active until `now` plus the lease;
    /// `Unsubscribe` removes one being unsubscribed; `Denied` marks a
    /// requested one denied. Returns false, writing nothing, when no such
    /// subscription is there (another topic, another state, none).
    async fn verify_subscription(
        &self,
        source: &str,
        topic: &str,
        verification: Verification,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Forgets the subscription of `source`.
    async fn remove_subscription(&self, source: &str) -> Result<(), StoreError>;
}

/// Opens the store named by `url` (`sqlite://FILE`, relative to `state_dir`;
/// or `postgres://` / `postgresql://`), creating the state directory for
/// SQLite and running migrations.
pub async fn open(url: &str, state_dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::open(url).await?))
    } else if let Some(file) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        std::fs::create_dir_all(state_dir)
            .map_err(|e| StoreError::open(state_dir.display().to_string(), e))?;
        let path = state_dir.join(file);
        let store = SqliteStore::open(&path).await?;
        Ok(Arc::new(store))
    } else {
        // Only the scheme: the rest may hold a password.
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        Err(StoreError::Unsupported(format!("{scheme}:")))
    }
}

/// A migration for both backends: local article files were stored under
/// `file:PATH`, the same id in every source; they move in place to
/// `tag:tidings,2026:SOURCE/PATH` (the path encoded as
/// `app::ingest::local` encodes it). Files sources are those with
/// no configured URL.
const LOCAL_ARTICLE_IDS: &str = r#"UPDATE items SET id = 'tag:tidings,2026:' || source || '/' || replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(substr(id, 6), '%', '%25'), ' ', '%20'), '"', '%22'), '#', '%23'), '<', '%3C'), '>', '%3E'), '[', '%5B'), '\', '%5C'), ']', '%5D'), '^', '%5E'), '`', '%60'), '{', '%7B'), '|', '%7C'), '}', '%7D')
 WHERE id LIKE 'file:%' AND source IN (SELECT id FROM sources WHERE config_url IS NULL);"#;
