//! The composition root: the only module that sees every stage. It fetches a
//! source's bytes (`fetch`), reads them (`source`), normalizes the items
//! (`normalize`), writes them (`store`), renders the feeds that changed
//! (`render`) into the table `serve` answers from, and runs each source on
//! its `schedule`.
//!
//! A fetch does not render: it marks what changed, and the daemon's one
//! renderer renders each marked feed once for however many fetches marked
//! it meanwhile (a cycle of 2,000 sources must not render the merged feeds
//! 2,000 times). The one-shot commands serve nothing, so they render nothing.
//!
//! Several instances may share one store: each claims a due source with a
//! lease before fetching it (so one instance fetches it), and each polls the
//! store's change version every second to re-render what another changed.
//!
//! Submodules: `read` (reading a source, without writing), `compose` (a
//! merged feed's items), `daemon` (`tidings run` as a service), `commands`
//! (the one-shot commands).

use crate::config::{Config, Feed, Source, SourceKind};
use crate::extract::ExtractError;
use crate::fetch::{self, Fetcher, Limits};
use crate::model::{FeedLink, FeedMeta, Index, Item, SourceHealth};
use crate::opml;
use crate::render;
use crate::schedule;
use crate::serve::{self, Feeds, Put, Rendered};
use crate::store::{self, FetchOutcome, FetchRecord, SaveSummary, SourceState, Store, StoreError};
use crate::telemetry::{FetchResult, Metrics};
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};

mod commands;
pub(crate) mod compose;
mod daemon;
mod read;

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use read::page_html;
#[cfg(any(test, feature = "bench", feature = "fuzzing"))]
pub(crate) use read::parse_feed;
use read::{GONE, Reading, is_gone};

pub use commands::{
    Extracted, SourceRow, extract_page, fetch, opml_export, preview, render, sources,
};
pub use daemon::{Control, run};

/// Why a command could not run.
#[derive(Debug)]
pub enum AppError {
    Store(StoreError),
    Fetcher(fetch::FetchError),
    Listen(String, std::io::Error),
    UnknownSource(String),
    UnknownFeed(String),
    /// `tidings extract --url` was given something that is not an absolute URL.
    BadUrl(String),
    Extract(ExtractError),
    /// `tidings preview` could not read the source: its id and why.
    Preview(String, String),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Store(e) => write!(f, "{e}"),
            AppError::Fetcher(e) => write!(f, "cannot set up the HTTP client: {e}"),
            AppError::Listen(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            AppError::UnknownSource(id) => write!(f, "no source has the id {id:?}"),
            AppError::UnknownFeed(id) => write!(f, "no feed has the id {id:?}"),
            AppError::BadUrl(u) => write!(f, "not an absolute URL: {u:?}"),
            AppError::Extract(e) => write!(f, "{e}"),
            AppError::Preview(id, why) => write!(f, "{id}: {why}"),
        }
    }
}

impl std::error::Error for AppError {}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e)
    }
}

/// A feed format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    pub fn ext(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    fn render(self, meta: &FeedMeta, items: &[Item]) -> Vec<u8> {
        match self {
            Format::Rss => render::rss(meta, items),
            Format::Atom => render::atom(meta, items),
            Format::Json => render::json(meta, items),
        }
    }

    /// The feed rendered in this format, ready to serve, and its path
    /// (`feeds/all.rss`).
    pub(crate) fn rendered(self, meta: &FeedMeta, items: &[Item]) -> (String, Rendered) {
        let body = self.render(meta, items);
        (
            format!("{}.{}", meta.path, self.ext()),
            Rendered::new(self.content_type(), body, meta.updated),
        )
    }
}

/// How one fetch of one source went, as `tidings fetch` prints it.
#[derive(Debug, Clone)]
pub struct Report {
    pub source: String,
    pub result: Result<Fetched, String>,
}

#[derive(Debug, Clone, Copy)]
pub enum Fetched {
    Saved(SaveSummary),
    NotModified,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.result {
            Ok(Fetched::Saved(s)) if s.changed() => {
                write!(
                    f,
                    "{}: new {}, updated {}, unchanged {}",
                    self.source, s.new, s.updated, s.unchanged
                )?;
                if s.dropped > 0 {
                    write!(f, ", over max_items {}", s.dropped)?;
                }
                Ok(())
            }
            Ok(Fetched::Saved(s)) => {
                write!(f, "{}: unchanged ({} items)", self.source, s.unchanged)
            }
            Ok(Fetched::NotModified) => write!(f, "{}: unchanged (not modified)", self.source),
            Err(why) => write!(f, "{}: failed: {why}", self.source),
        }
    }
}

/// The running parts, shared by every task.
pub struct App {
    // Swapped whole on reload; a std RwLock: read briefly, never across an
    // await.
    config: RwLock<Arc<Config>>,
    metrics: Arc<Metrics>,
    store: Arc<dyn Store>,
    fetcher: Fetcher,
    feeds: Arc<Feeds>,
    // When each source is next due, for the feeds' Cache-Control. A std
    // mutex: it guards a map update and is never held across an await.
    due: Mutex<HashMap<String, DateTime<Utc>>>,
    // One lock per feed path, held from the store query to the swap, so a
    // render that read the store earlier never replaces a newer one.
    rendering: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// When this process opened the app: the `Last-Modified` of the index
    /// page and the OPML list, which change only with the config.
    started: DateTime<Utc>,
    /// This process's name on the leases it takes.
    instance: String,
    /// What waits for the renderer; `None` while nothing renders (the
    /// one-shot commands), so marks are not kept for nobody. A std mutex:
    /// never held across an await.
    pending: Mutex<Option<Pending>>,
    /// Wakes the renderer after a mark.
    marked: Notify,
    /// Sources being read or recorded, at most `fetch.concurrency`: the
    /// fetcher bounds requests, this bounds the items read and waiting for
    /// the store, which would otherwise pile up for every due source.
    in_flight: Arc<Semaphore>,
    /// Article pages being fetched and extracted, at most
    /// `fetch.concurrency` across all sources: the fetcher's limit ends with
    /// the transfer, and a page's body and DOM are held until it is
    /// extracted, so without this a `full_text` source would hold 30 of
    /// them at once, outside `concurrency`.
    articles: Arc<Semaphore>,
}

/// Where a published feed's bytes live (see `serve::Feeds`).
#[derive(Debug, Clone, Copy)]
enum Hold {
    InMemory,
    OnDemand,
}

/// Sources whose feeds (their own and the merged feeds drawing on them) wait
/// to be rendered, and whether the index page does.
#[derive(Debug, Default)]
struct Pending {
    sources: HashSet<String>,
    index: bool,
}

/// The `updated` date of a feed with no items: fixed, so every instance
/// renders the same bytes, and after 1990, since feed validators reject
/// earlier dates (the Unix epoch among them) as implausible.
fn empty_feed_date() -> DateTime<Utc> {
    DateTime::from_timestamp(946_684_800, 0).unwrap_or_default()
}

/// A lease lasts this many times the source's fetch timeout: long enough for
/// the fetch (whose timeout also covers waiting for a connection slot) and
/// the store write, short enough that a dead instance's sources are soon
/// taken over.
const LEASE_TIMEOUTS: u32 = 3;

/// How often an instance looks for changes another instance made, and
/// looks again at a source another instance is fetching.
const POLL: Duration = Duration::from_secs(1);

/// A name for this process's leases, unique among the instances sharing a
/// store: the process id and the start time.
fn instance_name() -> String {
    format!(
        "pid{}-{}",
        std::process::id(),
        Utc::now().timestamp_micros()
    )
}

/// Bytes of an error text kept (stored, shown on the index page, printed).
const MAX_ERROR: usize = 1024;

/// `text` safe to store and print: control characters (terminal escapes
/// such as `\x1b]0;…\x07` or `\x1b[2J` among them) replaced by spaces,
/// and cut at `max` bytes, marked with "…".
pub(crate) fn printable(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.len() <= max {
        return clean;
    }
    let mut end = max;
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &clean[..end])
}

/// A source URL as it may be shown publicly (the index page, `/opml`,
/// logs): without user name, password and query, which may hold secrets
/// (`https://user:pass@host/feed?token=...`); the fragment goes too.
pub(crate) fn public_url(url: &url::Url) -> String {
    let mut shown = url.clone();
    // Only URLs that cannot have a user name refuse these: http(s) can.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// The state directory: `$STATE_DIRECTORY` (set by systemd) wins over the
/// config.
fn state_dir(config: &Config) -> PathBuf {
    std::env::var_os("STATE_DIRECTORY")
        .and_then(|v| std::env::split_paths(&v).next())
        .unwrap_or_else(|| config.store.state_dir.clone())
}

impl App {
    /// Opens the store and sets up the HTTP client.
    pub async fn open(config: Config) -> Result<Arc<App>, AppError> {
        let store = store::open(&config.store.url, &state_dir(&config)).await?;
        let in_flight = Arc::new(Semaphore::new(config.fetch.concurrency));
        let articles = Arc::new(Semaphore::new(config.fetch.concurrency));
        let fetcher = Fetcher::new(&Limits {
            concurrency: config.fetch.concurrency,
            per_host: config.fetch.per_host,
            allow_private: config.fetch.allow_private,
            proxy: config.fetch.proxy.clone(),
        })
        .map_err(AppError::Fetcher)?;
        Ok(Arc::new(App {
            config: RwLock::new(Arc::new(config)),
            metrics: Arc::new(Metrics::new()),
            store,
            fetcher,
            feeds: Arc::new(Feeds::default()),
            due: Mutex::new(HashMap::new()),
            rendering: Mutex::new(HashMap::new()),
            started: Utc::now().trunc_subsecs(0),
            instance: instance_name(),
            pending: Mutex::new(None),
            marked: Notify::new(),
            in_flight,
            articles,
        }))
    }

    /// The running config.
    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_config(&self, config: Config) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
    }

    /// Fetches one source now, writes the outcome, and marks the feeds it
    /// is part of for the renderer when its items changed. A source gone for
    /// good (410) is not fetched and nothing is written.
    pub async fn fetch_source(&self, source: &Source) -> Report {
        let _slot = self.in_flight.acquire().await;
        let state = match self.store.source_state(&source.id).await {
            Ok(s) => s,
            Err(e) => {
                return Report {
                    source: source.id.clone(),
                    result: Err(e.to_string()),
                };
            }
        };
        if is_gone(source, state.as_ref()) {
            return Report {
                source: source.id.clone(),
                result: Err(GONE.into()),
            };
        }
        let now = Utc::now();
        let reading = self.read_source_guarded(source, state.as_ref(), now).await;
        self.record(source, state.as_ref(), now, reading).await
    }

    async fn record(
        &self,
        source: &Source,
        state: Option<&SourceState>,
        now: DateTime<Utc>,
        reading: Reading,
    ) -> Report {
        let Reading {
            mut outcome,
            location,
            fresh_for,
            retry_after,
        } = reading;
        // An error text comes from the source (a server's words, a body's
        // bytes): stored and printed, it is kept short and free of
        // terminal escapes.
        if let FetchOutcome::Failed { error } = &mut outcome {
            *error = printable(error, MAX_ERROR);
        }
        let to_chrono =
            |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(schedule::MAX_WAIT);
        let next_due = match &outcome {
            FetchOutcome::Failed { .. } => {
                let errors = state.map_or(0, |s| s.consecutive_errors) + 1;
                schedule::after_failure(
                    &source.schedule,
                    &source.id,
                    now,
                    errors,
                    retry_after.map(to_chrono),
                )
            }
            // Counted from when the fetch finished, not from when it was
            // due: a fetch that waited for a slot or a host must still be
            // followed by at least half an interval (the two-instance test
            // saw 2.3 s between fetches of a 5 s source when counted from
            // the due time).
            _ => schedule::after_success(
                &source.schedule,
                &source.id,
                Utc::now().max(now),
                fresh_for.map(to_chrono),
            ),
        };
        let failed = match &outcome {
            FetchOutcome::Failed { error } => Some(error.clone()),
            _ => None,
        };
        let not_modified = matches!(outcome, FetchOutcome::NotModified);
        if let (Some(old), Some(new)) = (
            state.and_then(|s| s.url.as_deref()),
            location.url.as_deref(),
        ) && old != new
            && state.and_then(|s| s.config_url.as_deref()) == location.config_url.as_deref()
        {
            let shown =
                |u: &str| url::Url::parse(u).map_or_else(|_| u.to_string(), |u| public_url(&u));
            warn!(
                source = source.id,
                "moved permanently from {} to {}",
                shown(old),
                shown(new)
            );
        }
        if location.gone {
            warn!(source = source.id, "{GONE}");
        }
        let record = FetchRecord {
            source: source.id.clone(),
            at: now,
            next_due,
            location,
            outcome,
            max_items: u32::try_from(self.config().fetch.max_items).unwrap_or(u32::MAX),
        };
        self.due
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(source.id.clone(), next_due);
        let result = match (self.store.record_fetch(record).await, failed) {
            (Err(e), _) => Err(e.to_string()),
            (Ok(_), Some(error)) => Err(error),
            (Ok(_), None) if not_modified => Ok(Fetched::NotModified),
            (Ok(summary), None) => Ok(Fetched::Saved(summary)),
        };
        let (counted, stored) = match &result {
            Err(_) => (FetchResult::Error, 0),
            Ok(Fetched::NotModified) => (FetchResult::NotModified, 0),
            Ok(Fetched::Saved(s)) if s.changed() => (FetchResult::Changed, s.new + s.updated),
            Ok(Fetched::Saved(_)) => (FetchResult::Unchanged, 0),
        };
        let took = (Utc::now() - now).to_std().unwrap_or_default();
        self.metrics.fetched(&source.id, counted, took, stored);
        let changed = matches!(&result, Ok(Fetched::Saved(s)) if s.changed());
        if !changed {
            self.set_refresh(&source.id);
        }
        self.mark(changed.then_some(source.id.clone()), true);
        Report {
            source: source.id.clone(),
            result,
        }
    }

    /// Marks the feeds of the sources `changed` (their own and the merged
    /// ones drawing on them), and the index page if `index`, for the
    /// renderer. Without a renderer, nothing is kept.
    fn mark(&self, changed: impl IntoIterator<Item = String>, index: bool) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pending) = pending.as_mut() {
            pending.sources.extend(changed);
            pending.index |= index;
            self.marked.notify_one();
        }
    }

    /// Starts the renderer: from now on marks are kept, and rendered until
    /// `stop` changes.
    fn spawn_renderer(self: &Arc<Self>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_default();
        tokio::spawn(self.clone().render_loop(stop))
    }

    /// Renders what was marked, each feed once per round however often it
    /// was marked during the previous one.
    async fn render_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = self.marked.notified() => {}
            }
            let Pending { sources, index } = self
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            if !sources.is_empty() {
                let sources: Vec<String> = sources.into_iter().collect();
                self.render_changed(&sources).await;
            }
            if index {
                self.render_index().await;
            }
            self.refresh_feeds();
        }
    }

    /// Renders the index page from the config and the sources' stored
    /// state: one query, marked after each fetch so the health shown is
    /// current.
    async fn render_index(&self) {
        let states: HashMap<String, SourceState> = match self.store.source_states().await {
            Ok(states) => states.into_iter().map(|s| (s.id.clone(), s)).collect(),
            Err(e) => {
                warn!("cannot render the index page: {e}");
                return;
            }
        };
        let page = index_page(&self.config(), &states);
        let feeds = self.feeds.clone();
        let at = Utc::now();
        let _ = tokio::task::spawn_blocking(move || {
            let body = render::index(&page);
            feeds.put(
                serve::INDEX.to_string(),
                Rendered::new("text/html; charset=utf-8", body, at),
            )
        })
        .await;
    }

    /// Renders every feed and every source's own feed from the store, the
    /// index page, and the OPML list.
    pub async fn render_all(&self) {
        let config = self.config();
        self.feeds.put(
            serve::OPML.to_string(),
            Rendered::new(
                "text/x-opml; charset=utf-8",
                opml_export(&config, opml::Target::Served),
                self.started,
            ),
        );
        self.render_index().await;
        for source in &config.sources {
            self.render_source(&source.id).await;
        }
        for feed in &config.feeds {
            self.render_feed(feed).await;
        }
    }

    /// Re-renders the feeds of the sources `ids` and every feed drawing on
    /// any of them, each once.
    async fn render_changed(&self, ids: &[String]) {
        let config = self.config();
        for id in ids.iter().filter(|id| config.source(id).is_some()) {
            self.render_source(id).await;
        }
        let changed: HashSet<&str> = ids.iter().map(String::as_str).collect();
        for feed in config
            .feeds
            .iter()
            .filter(|f| f.sources.iter().any(|s| changed.contains(s.as_str())))
        {
            self.render_feed(feed).await;
        }
    }

    fn render_lock(&self, path: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.rendering
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(path.to_string())
            .or_default()
            .clone()
    }

    /// Publishes a source's own feed (on demand: see `serve::Feeds`).
    async fn render_source(&self, id: &str) {
        let path = format!("sources/{id}");
        let lock = self.render_lock(&path);
        let _rendering = lock.lock().await;
        let Some((meta, items)) = self.source_feed(id).await else {
            return;
        };
        self.publish(meta, items, Hold::OnDemand).await;
        self.set_refresh(id);
    }

    /// Renders a source's own feed for a reader, when its bytes are not
    /// kept; false when there is no such source.
    async fn render_source_on_demand(&self, id: &str) -> bool {
        if self.config().source(id).is_none() {
            return false;
        }
        let path = format!("sources/{id}");
        let lock = self.render_lock(&path);
        let _rendering = lock.lock().await;
        let Some((meta, items)) = self.source_feed(id).await else {
            return false;
        };
        let feeds = self.feeds.clone();
        self.metrics.rendered(&path);
        tokio::task::spawn_blocking(move || {
            for format in Format::ALL {
                let (path, rendered) = format.rendered(&meta, &items);
                feeds.keep(path, rendered);
            }
        })
        .await
        .is_ok()
    }

    /// A source's newest 50 items, and its feed's metadata.
    async fn source_feed(&self, id: &str) -> Option<(FeedMeta, Vec<Item>)> {
        let items = match self.store.items(&[id.to_string()], 50).await {
            Ok(items) => items,
            Err(e) => {
                warn!(source = id, "cannot render: {e}");
                return None;
            }
        };
        let title = match self.store.source_state(id).await {
            Ok(Some(SourceState { title: Some(t), .. })) if !t.is_empty() => t,
            _ => id.to_string(),
        };
        let meta = self.meta(
            format!("sources/{id}"),
            title,
            format!("Items of the source {id}"),
            &[id.to_string()],
            &items,
        );
        Some((meta, items))
    }

    async fn render_feed(&self, feed: &Feed) {
        let lock = self.render_lock(&format!("feeds/{}", feed.id));
        let _rendering = lock.lock().await;
        let items = match self.feed_items(feed).await {
            Ok(items) => items,
            Err(e) => {
                warn!(feed = feed.id, "cannot render: {e}");
                return;
            }
        };
        let meta = self.meta(
            format!("feeds/{}", feed.id),
            feed.title.clone(),
            feed.description.clone(),
            &feed.sources,
            &items,
        );
        self.publish(meta, items, Hold::InMemory).await;
    }

    /// A feed's items, as [`compose::compose`] makes them from its sources'
    /// newest.
    async fn feed_items(&self, feed: &Feed) -> Result<Vec<Item>, StoreError> {
        let filtered = !feed.include.is_empty() || !feed.exclude.is_empty() || feed.dedupe;
        // Filters and dedupe drop items, so look further back for enough
        // candidates.
        let candidates = if filtered {
            feed.limit.saturating_mul(5)
        } else {
            feed.limit
        };
        let items = self.store.items(&feed.sources, candidates).await?;
        Ok(compose::compose(feed, items))
    }

    fn meta(
        &self,
        path: String,
        title: String,
        description: String,
        sources: &[String],
        items: &[Item],
    ) -> FeedMeta {
        let config = self.config();
        let updated = items
            .iter()
            .map(Item::modified)
            .max()
            .unwrap_or_else(empty_feed_date);
        // The interval is taken at the items' newest change, not at the
        // clock: every instance, rendering the same items at any time, must
        // produce the same bytes (an irregular cron's interval varies).
        let ttl = sources
            .iter()
            .filter_map(|id| config.source(id))
            .map(|s| s.schedule.interval(updated).num_minutes().max(1) as u32)
            .min();
        FeedMeta {
            path,
            title,
            description,
            base_url: config.server.base_url.clone(),
            ttl_minutes: ttl,
            hub: config.server.websub_hub.clone(),
            updated,
        }
    }

    /// Renders a feed in every format into the served table, and pings the
    /// WebSub hub for each format whose bytes replaced different ones. The
    /// first render of a path after start is not a change readers missed, so
    /// it is not pinged.
    async fn publish(&self, meta: FeedMeta, items: Vec<Item>, hold: Hold) {
        let feeds = self.feeds.clone();
        let path = meta.path.clone();
        let hub = meta.hub.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut changed = Vec::new();
            let mut rendered_any = false;
            for format in Format::ALL {
                let (path, rendered) = format.rendered(&meta, &items);
                let put = match hold {
                    Hold::InMemory => feeds.put(path, rendered),
                    Hold::OnDemand => feeds.put_on_demand(path, rendered),
                };
                match put {
                    Put::Changed => {
                        rendered_any = true;
                        changed.push(meta.url(format.ext()));
                    }
                    Put::First => rendered_any = true,
                    Put::Same => {}
                }
            }
            (rendered_any, changed)
        })
        .await;
        let changed = match done {
            Ok((true, changed)) => {
                self.metrics.rendered(&path);
                info!(feed = path, "rendered");
                changed
            }
            Ok((false, _)) => return,
            Err(e) => {
                warn!(feed = path, "rendering failed: {e}");
                return;
            }
        };
        if let Some(hub) = hub {
            for topic in changed {
                self.ping(hub.clone(), topic);
            }
        }
    }

    /// Sends the publish ping for `topic` in the background: a slow hub must
    /// not hold up rendering. A failed ping is logged; the next change pings
    /// again.
    fn ping(&self, hub: String, topic: String) {
        let fetcher = self.fetcher.clone();
        let fetch = self.config().fetch.clone();
        let (user_agent, timeout) = (fetch.user_agent, fetch.timeout);
        tokio::spawn(async move {
            match fetcher.publish(&hub, &topic, &user_agent, timeout).await {
                Ok(()) => info!(feed = topic, hub, "hub notified"),
                Err(e) => warn!(feed = topic, hub, "hub ping failed: {e}"),
            }
        });
    }

    /// Updates the next-refresh time of the source's own feed; the merged
    /// feeds' follow in the renderer's next round ([`App::refresh_feeds`]).
    fn set_refresh(&self, id: &str) {
        let due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = due.get(id) {
            self.feeds.set_refresh(&format!("sources/{id}"), *at);
        }
    }

    /// Sets each merged feed's next-refresh time: its sources' earliest due
    /// time. Once per render round rather than per fetch: with thousands of
    /// sources in a feed, per fetch was quadratic in a cycle.
    fn refresh_feeds(&self) {
        let due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        for feed in &self.config().feeds {
            if let Some(at) = feed.sources.iter().filter_map(|s| due.get(s)).min() {
                self.feeds.set_refresh(&format!("feeds/{}", feed.id), *at);
            }
        }
    }

    /// When a source is next due: now if it was never fetched, if its due
    /// time passed while the daemon was down, or if its URL changed in the
    /// config since.
    async fn first_due(&self, source: &Source) -> DateTime<Utc> {
        let config_url = match &source.kind {
            SourceKind::Feed { url } | SourceKind::Html { url, .. } => Some(url.to_string()),
            SourceKind::Files { .. } => None,
        };
        let stored = match self.store.source_state(&source.id).await {
            Ok(Some(s))
                if s.last_fetch.is_some()
                    && (config_url.is_none() || s.config_url == config_url) =>
            {
                s.next_due
            }
            _ => None,
        };
        let at = stored.unwrap_or_else(Utc::now);
        self.due
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(source.id.clone(), at);
        at
    }

    /// Fetches `source` on its schedule until `stop` changes.
    async fn source_loop(self: Arc<Self>, source: Source, mut stop: watch::Receiver<bool>) {
        let mut due = self.first_due(&source).await;
        loop {
            let wait = (due - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            let now = Utc::now();
            let lease = chrono::Duration::from_std(source.timeout * LEASE_TIMEOUTS)
                .unwrap_or(schedule::MAX_WAIT);
            match self
                .store
                .claim(&source.id, now, now + lease, &self.instance)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    due = self.due_elsewhere(&source.id, now).await;
                    continue;
                }
                Err(e) => {
                    warn!(source = source.id, "store unavailable: {e}");
                    due = Utc::now() + chrono::Duration::seconds(30);
                    continue;
                }
            }
            // Read after the claim: another instance may have just written
            // the source's validators.
            let state = match self.store.source_state(&source.id).await {
                Ok(s) => s,
                Err(e) => {
                    warn!(source = source.id, "store unavailable: {e}");
                    self.release(&source.id).await;
                    due = Utc::now() + chrono::Duration::seconds(30);
                    continue;
                }
            };
            if is_gone(&source, state.as_ref()) {
                warn!(source = source.id, "{GONE}");
                self.release(&source.id).await;
                let _ = stop.changed().await;
                return;
            }
            // A stop cancels the network part (and hands the source back);
            // the store write below always completes, so no fetch is
            // half-written. The slot is taken after the claim, as the
            // fetcher's were: taken before it, the two-instance test saw a
            // source fetched twice for one due time.
            let (reading, slot) = tokio::select! {
                _ = stop.changed() => {
                    self.release(&source.id).await;
                    return;
                }
                r = async {
                    let slot = self.in_flight.acquire().await;
                    (self.read_source_guarded(&source, state.as_ref(), now).await, slot)
                } => r,
            };
            let report = self.record(&source, state.as_ref(), now, reading).await;
            drop(slot);
            match &report.result {
                Ok(_) => info!(source = source.id, "{report}"),
                Err(_) => warn!(source = source.id, "{report}"),
            }
            due = self
                .due
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&source.id)
                .copied()
                .unwrap_or_else(|| Utc::now() + chrono::Duration::minutes(15));
        }
    }

    /// When to look again at a source whose claim was refused: at its next
    /// due time when another instance has fetched it, else (another instance
    /// is fetching it now) in a moment, to take over if that one dies.
    async fn due_elsewhere(&self, id: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        let soon = now + chrono::Duration::from_std(POLL).unwrap_or_default();
        match self.store.source_state(id).await {
            Ok(Some(SourceState {
                next_due: Some(at), ..
            })) if at > now => {
                self.due
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(id.to_string(), at);
                self.set_refresh(id);
                self.mark(None, false);
                at
            }
            Ok(_) => soon,
            Err(e) => {
                warn!(source = id, "store unavailable: {e}");
                soon
            }
        }
    }

    /// Hands a claimed source back without fetching it.
    async fn release(&self, id: &str) {
        if let Err(e) = self.store.release(id, &self.instance).await {
            warn!(source = id, "cannot release the lease: {e}");
        }
    }

    /// Every [`POLL`], re-renders the feeds of sources whose items another
    /// instance (or this one) changed since `version`.
    async fn watch_loop(self: Arc<Self>, mut version: u64, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(POLL) => {}
            }
            match self.store.changes_since(version).await {
                Ok(changes) => {
                    version = changes.version;
                    if !changes.sources.is_empty() {
                        self.mark(changes.sources, false);
                    }
                }
                Err(e) => warn!("cannot look for changes: {e}"),
            }
        }
    }

    async fn prune_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            let store = self.config().store.clone();
            let before = Utc::now() - chrono::Duration::days(i64::from(store.retain_days));
            let max_items = u32::try_from(self.config().fetch.max_items).unwrap_or(u32::MAX);
            match self.store.prune(before, store.keep_min, max_items).await {
                Ok(0) => {}
                Ok(n) => {
                    info!("pruned {n} old items");
                    self.render_all().await;
                }
                Err(e) => warn!("pruning failed: {e}"),
            }
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            }
        }
    }
}

/// The index page's data: every feed, and every source with its stored state.
fn index_page(config: &Config, states: &HashMap<String, SourceState>) -> Index {
    Index {
        base_url: config.server.base_url.clone(),
        feeds: config
            .feeds
            .iter()
            .map(|f| FeedLink {
                id: f.id.clone(),
                title: f.title.clone(),
                description: f.description.clone(),
            })
            .collect(),
        sources: config
            .sources
            .iter()
            .map(|s| {
                let state = states.get(&s.id);
                let (kind, origin) = match &s.kind {
                    SourceKind::Feed { url } => ("feed", Some(public_url(url))),
                    SourceKind::Html { url, .. } => ("html", Some(public_url(url))),
                    SourceKind::Files { .. } => ("files", None),
                };
                SourceHealth {
                    id: s.id.clone(),
                    kind: kind.to_string(),
                    title: state.and_then(|st| st.title.clone()),
                    origin,
                    last_fetch: state.and_then(|st| st.last_fetch),
                    outcome: state.and_then(|st| st.last_outcome.clone()),
                    error: state.and_then(|st| st.last_error.clone()),
                    consecutive_errors: state.map_or(0, |st| st.consecutive_errors),
                    items: state.map_or(0, |st| st.items),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn printable_text_is_short_and_has_no_control_characters() {
        assert_eq!(printable("a\u{1b}[2Jb\u{7}\nc", 100), "a [2Jb  c");
        let long = "é".repeat(1000);
        let cut = printable(&long, 1001);
        assert_eq!(cut.len(), 1000 + "…".len());
        assert!(cut.ends_with('…'));
    }
}
