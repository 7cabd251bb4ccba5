//! The composition root: the only module that sees every stage. It fetches a
//! source's bytes (`fetch`), reads them (`source`), normalizes the items
//! (`normalize`), writes them (`store`), renders the feeds that changed
//! (`render`) into the table `serve` answers from, and runs each source on
//! its `schedule`.

use crate::config::{Config, Feed, Source, SourceKind};
use crate::fetch::{self, Fetcher, Limits};
use crate::model::{FeedLink, FeedMeta, Index, Item, RawItem, SourceHealth};
use crate::normalize;
use crate::opml::{self, Outline};
use crate::render;
use crate::schedule::jitter;
use crate::serve::{self, Feeds, Put, Rendered};
use crate::source;
use crate::store::{self, FetchOutcome, FetchRecord, SaveSummary, SourceState, Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tracing::{info, warn};

mod compose;

/// Why a command could not run.
#[derive(Debug)]
pub enum AppError {
    Store(StoreError),
    Fetcher(fetch::FetchError),
    Listen(String, std::io::Error),
    UnknownSource(String),
    UnknownFeed(String),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Store(e) => write!(f, "{e}"),
            AppError::Fetcher(e) => write!(f, "cannot set up the HTTP client: {e}"),
            AppError::Listen(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            AppError::UnknownSource(id) => write!(f, "no source has the id {id:?}"),
            AppError::UnknownFeed(id) => write!(f, "no feed has the id {id:?}"),
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
            Ok(Fetched::Saved(s)) if s.changed() => write!(
                f,
                "{}: new {}, updated {}, unchanged {}",
                self.source, s.new, s.updated, s.unchanged
            ),
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
    config: Config,
    store: Arc<dyn Store>,
    fetcher: Fetcher,
    feeds: Arc<Feeds>,
    // When each source is next due, for the feeds' Cache-Control. A std
    // mutex: it guards a map update and is never held across an await.
    due: Mutex<HashMap<String, DateTime<Utc>>>,
    // One lock per feed path, held from the store query to the swap, so a
    // render that read the store earlier never replaces a newer one.
    rendering: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// When this process opened the app: the `updated` date of a feed with
    /// no items, since validators reject the Unix epoch as implausible.
    started: DateTime<Utc>,
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
        let fetcher = Fetcher::new(&Limits {
            concurrency: config.fetch.concurrency,
            per_host: config.fetch.per_host,
        })
        .map_err(AppError::Fetcher)?;
        Ok(Arc::new(App {
            config,
            store,
            fetcher,
            feeds: Arc::new(Feeds::default()),
            due: Mutex::new(HashMap::new()),
            rendering: Mutex::new(HashMap::new()),
            started: Utc::now().trunc_subsecs(0),
        }))
    }

    /// Fetches one source now, writes the outcome, and re-renders the feeds
    /// it is part of when its items changed.
    pub async fn fetch_source(&self, source: &Source) -> Report {
        let state = match self.store.source_state(&source.id).await {
            Ok(s) => s,
            Err(e) => {
                return Report {
                    source: source.id.clone(),
                    result: Err(e.to_string()),
                };
            }
        };
        let now = Utc::now();
        let outcome = self.read_source(source, state.as_ref(), now).await;
        self.record(source, now, outcome).await
    }

    async fn record(&self, source: &Source, now: DateTime<Utc>, outcome: FetchOutcome) -> Report {
        let interval = source.schedule.interval(now);
        let next_due = source.schedule.next_after(now) + jitter(&source.id, interval);
        let failed = match &outcome {
            FetchOutcome::Failed { error } => Some(error.clone()),
            _ => None,
        };
        let not_modified = matches!(outcome, FetchOutcome::NotModified);
        let record = FetchRecord {
            source: source.id.clone(),
            at: now,
            next_due,
            outcome,
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
        if let Ok(Fetched::Saved(s)) = &result
            && s.changed()
        {
            self.render_for_source(&source.id).await;
        } else {
            self.set_refresh(&source.id);
        }
        self.render_index().await;
        Report {
            source: source.id.clone(),
            result,
        }
    }

    /// Reads a source's items, without writing anything.
    async fn read_source(
        &self,
        source: &Source,
        state: Option<&SourceState>,
        now: DateTime<Utc>,
    ) -> FetchOutcome {
        match &source.kind {
            SourceKind::Feed { url } => self.read_feed(source, url, state, now).await,
            SourceKind::Files { path } => read_files(source, path.clone(), now).await,
            SourceKind::Html { .. } => FetchOutcome::Failed {
                error: "html sources are not supported by this version".into(),
            },
        }
    }

    async fn read_feed(
        &self,
        source: &Source,
        url: &url::Url,
        state: Option<&SourceState>,
        now: DateTime<Utc>,
    ) -> FetchOutcome {
        // Validators belong to the URL they came from.
        let same_url = state.and_then(|s| s.url.as_deref()) == Some(url.as_str());
        let validators = state.filter(|_| same_url);
        let req = fetch::Request {
            url,
            etag: validators.and_then(|s| s.etag.as_deref()),
            last_modified: validators.and_then(|s| s.last_modified.as_deref()),
            user_agent: &source.user_agent,
            timeout: source.timeout,
            max_body: self.config.fetch.max_body,
            headers: &source.headers,
        };
        let body = match self.fetcher.get(&req).await {
            Ok(fetch::Response::NotModified) => return FetchOutcome::NotModified,
            Ok(fetch::Response::Body(b)) => b,
            Err(e) => {
                return FetchOutcome::Failed {
                    error: e.to_string(),
                };
            }
        };
        let id = source.id.clone();
        let tz = source.timezone;
        let config_url = url.to_string();
        // Parsing and sanitizing are CPU work: keep them off the async threads.
        let parsed = tokio::task::spawn_blocking(move || {
            let parsed = source::feed::parse(
                &body.bytes,
                body.content_type.as_deref(),
                body.url.as_str(),
                move |t| normalize::parse_date(t, tz),
            )?;
            let ctx = normalize::Context {
                source: &id,
                base_url: Some(&body.url),
                timezone: tz,
                now,
            };
            let items = parsed
                .items
                .into_iter()
                .map(|raw| normalize::item(raw, &ctx))
                .collect();
            Ok::<_, source::feed::FeedError>((parsed.title, items, body.etag, body.last_modified))
        })
        .await;
        match parsed {
            Ok(Ok((title, items, etag, last_modified))) => FetchOutcome::Fetched {
                url: Some(config_url),
                etag,
                last_modified,
                title: title.map(|t| normalize::plain_text(&t)),
                items,
            },
            Ok(Err(e)) => FetchOutcome::Failed {
                error: e.to_string(),
            },
            Err(e) => FetchOutcome::Failed {
                error: format!("parser crashed: {e}"),
            },
        }
    }

    /// Renders the index page from the config and the sources' stored
    /// state: one query, run after each fetch so the health shown is current.
    async fn render_index(&self) {
        let states: HashMap<String, SourceState> = match self.store.source_states().await {
            Ok(states) => states.into_iter().map(|s| (s.id.clone(), s)).collect(),
            Err(e) => {
                warn!("cannot render the index page: {e}");
                return;
            }
        };
        let page = index_page(&self.config, &states);
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
        self.feeds.put(
            serve::OPML.to_string(),
            Rendered::new(
                "text/x-opml; charset=utf-8",
                opml_export(&self.config, opml::Target::Served),
                self.started,
            ),
        );
        self.render_index().await;
        for source in &self.config.sources {
            self.render_source(&source.id).await;
        }
        for feed in &self.config.feeds {
            self.render_feed(feed).await;
        }
    }

    async fn render_for_source(&self, id: &str) {
        self.render_source(id).await;
        for feed in self
            .config
            .feeds
            .iter()
            .filter(|f| f.sources.iter().any(|s| s == id))
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

    async fn render_source(&self, id: &str) {
        let path = format!("sources/{id}");
        let lock = self.render_lock(&path);
        let _rendering = lock.lock().await;
        let items = match self.store.items(&[id.to_string()], 50).await {
            Ok(items) => items,
            Err(e) => {
                warn!(source = id, "cannot render: {e}");
                return;
            }
        };
        let title = match self.store.source_state(id).await {
            Ok(Some(SourceState { title: Some(t), .. })) if !t.is_empty() => t,
            _ => id.to_string(),
        };
        let meta = self.meta(
            path,
            title,
            format!("Items of the source {id}"),
            &[id.to_string()],
            &items,
        );
        self.publish(meta, items).await;
        self.set_refresh(id);
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
        self.publish(meta, items).await;
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
        let ttl = sources
            .iter()
            .filter_map(|id| self.config.source(id))
            .map(|s| s.schedule.interval(Utc::now()).num_minutes().max(1) as u32)
            .min();
        FeedMeta {
            path,
            title,
            description,
            base_url: self.config.server.base_url.clone(),
            ttl_minutes: ttl,
            hub: self.config.server.websub_hub.clone(),
            updated: items
                .iter()
                .map(Item::modified)
                .max()
                .unwrap_or(self.started),
        }
    }

    /// Renders a feed in every format into the served table, and pings the
    /// WebSub hub for each format whose bytes replaced different ones. The
    /// first render of a path after start is not a change readers missed, so
    /// it is not pinged.
    async fn publish(&self, meta: FeedMeta, items: Vec<Item>) {
        let feeds = self.feeds.clone();
        let path = meta.path.clone();
        let hub = meta.hub.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut changed = Vec::new();
            let mut rendered_any = false;
            for format in Format::ALL {
                let body = format.render(&meta, &items);
                let rendered = Rendered::new(format.content_type(), body, meta.updated);
                match feeds.put(format!("{}.{}", meta.path, format.ext()), rendered) {
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
        let user_agent = self.config.fetch.user_agent.clone();
        let timeout = self.config.fetch.timeout;
        tokio::spawn(async move {
            match fetcher.publish(&hub, &topic, &user_agent, timeout).await {
                Ok(()) => info!(feed = topic, hub, "hub notified"),
                Err(e) => warn!(feed = topic, hub, "hub ping failed: {e}"),
            }
        });
    }

    /// Updates the next-refresh time of the source's feed and of the feeds
    /// that draw on it.
    fn set_refresh(&self, id: &str) {
        let due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = due.get(id) {
            self.feeds.set_refresh(&format!("sources/{id}"), *at);
        }
        for feed in self
            .config
            .feeds
            .iter()
            .filter(|f| f.sources.iter().any(|s| s == id))
        {
            if let Some(at) = feed.sources.iter().filter_map(|s| due.get(s)).min() {
                self.feeds.set_refresh(&format!("feeds/{}", feed.id), *at);
            }
        }
    }

    /// When a source is next due: now if it was never fetched or its due
    /// time passed while the daemon was down.
    async fn first_due(&self, id: &str) -> DateTime<Utc> {
        let stored = match self.store.source_state(id).await {
            Ok(Some(s)) if s.last_fetch.is_some() => s.next_due,
            _ => None,
        };
        let at = stored.unwrap_or_else(Utc::now);
        self.due
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string(), at);
        at
    }

    async fn source_loop(self: Arc<Self>, source: Source, mut stop: watch::Receiver<bool>) {
        let mut due = self.first_due(&source.id).await;
        loop {
            let wait = (due - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            let state = match self.store.source_state(&source.id).await {
                Ok(s) => s,
                Err(e) => {
                    warn!(source = source.id, "store unavailable: {e}");
                    due = Utc::now() + chrono::Duration::seconds(30);
                    continue;
                }
            };
            let now = Utc::now();
            // A stop cancels the network part; the store write below always
            // completes, so no fetch is half-written.
            let outcome = tokio::select! {
                _ = stop.changed() => return,
                o = self.read_source(&source, state.as_ref(), now) => o,
            };
            let report = self.record(&source, now, outcome).await;
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

    async fn prune_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            let before =
                Utc::now() - chrono::Duration::days(i64::from(self.config.store.retain_days));
            match self.store.prune(before, self.config.store.keep_min).await {
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

async fn read_files(source: &Source, path: PathBuf, now: DateTime<Utc>) -> FetchOutcome {
    let id = source.id.clone();
    let tz = source.timezone;
    let done = tokio::task::spawn_blocking(move || {
        let (raws, errors) = source::files::read_dir(&path)?;
        for e in errors {
            warn!(source = id, "skipped: {e}");
        }
        let ctx = normalize::Context {
            source: &id,
            base_url: None,
            timezone: tz,
            now,
        };
        let items: Vec<Item> = raws
            .into_iter()
            .map(|r: RawItem| normalize::item(r, &ctx))
            .collect();
        Ok::<_, source::files::FilesError>(items)
    })
    .await;
    match done {
        Ok(Ok(items)) => FetchOutcome::Fetched {
            url: None,
            etag: None,
            last_modified: None,
            title: None,
            items,
        },
        Ok(Err(e)) => FetchOutcome::Failed {
            error: e.to_string(),
        },
        Err(e) => FetchOutcome::Failed {
            error: format!("reading files crashed: {e}"),
        },
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
                    SourceKind::Feed { url } => ("feed", Some(url.to_string())),
                    SourceKind::Html { url, .. } => ("html", Some(url.to_string())),
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

/// `tidings opml export` and `GET /opml`: the configured sources as OPML 2.0,
/// by default subscribed through this server (see [`opml`] for why).
pub fn opml_export(config: &Config, target: opml::Target) -> Vec<u8> {
    let outlines: Vec<Outline> = config
        .sources
        .iter()
        .map(|s| {
            let (origin, page) = match &s.kind {
                SourceKind::Feed { url } => (Some(url.to_string()), None),
                SourceKind::Html { url, .. } => (None, Some(url.to_string())),
                SourceKind::Files { .. } => (None, None),
            };
            Outline {
                id: s.id.clone(),
                origin,
                page,
                tags: s.tags.clone(),
            }
        })
        .collect();
    opml::export(&config.server.base_url, &outlines, target)
}

/// `tidings run`: renders what the store has, serves it on `listener`, and
/// fetches each source on its schedule until `shutdown` resolves; then stops
/// accepting, lets in-flight store writes finish, and returns.
pub async fn run(
    config: Config,
    listener: Option<tokio::net::TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    let listener = match listener {
        Some(l) => l,
        None => tokio::net::TcpListener::bind(&config.server.listen)
            .await
            .map_err(|e| AppError::Listen(config.server.listen.clone(), e))?,
    };
    let app = App::open(config).await?;
    app.render_all().await;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut server_stop = stop_rx.clone();
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let server = tokio::spawn(serve::run(
        listener,
        serve::router(app.feeds.clone()),
        async move {
            let _ = server_stop.changed().await;
        },
    ));
    info!("serving on http://{addr}/");
    let mut tasks = tokio::task::JoinSet::new();
    for source in app.config.sources.clone() {
        tasks.spawn(app.clone().source_loop(source, stop_rx.clone()));
    }
    tasks.spawn(app.clone().prune_loop(stop_rx.clone()));
    shutdown.await;
    info!("stopping");
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    match server.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(AppError::Listen(addr, e)),
        Err(e) => Err(AppError::Listen(addr, std::io::Error::other(e))),
    }
}

/// `tidings fetch`: fetches the named sources (all when `only` is empty)
/// once, concurrently within the fetch limits; calls `progress` after each.
pub async fn fetch(
    config: Config,
    only: &[String],
    progress: impl Fn(&Report),
) -> Result<Vec<Report>, AppError> {
    for id in only {
        if config.source(id).is_none() {
            return Err(AppError::UnknownSource(id.clone()));
        }
    }
    let app = App::open(config).await?;
    let chosen: Vec<Source> = app
        .config
        .sources
        .iter()
        .filter(|s| only.is_empty() || only.contains(&s.id))
        .cloned()
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, source) in chosen.into_iter().enumerate() {
        let app = app.clone();
        tasks.spawn(async move { (i, app.fetch_source(&source).await) });
    }
    let mut reports = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(r) = done {
            progress(&r.1);
            reports.push(r);
        }
    }
    reports.sort_by_key(|(i, _)| *i);
    Ok(reports.into_iter().map(|(_, r)| r).collect())
}

/// `tidings render`: one feed, from the store, in one format.
pub async fn render(config: Config, feed: &str, format: Format) -> Result<Vec<u8>, AppError> {
    let app = App::open(config).await?;
    let feed = app
        .config
        .feed(feed)
        .cloned()
        .ok_or_else(|| AppError::UnknownFeed(feed.to_string()))?;
    let items = app.feed_items(&feed).await?;
    let meta = app.meta(
        format!("feeds/{}", feed.id),
        feed.title.clone(),
        feed.description.clone(),
        &feed.sources,
        &items,
    );
    Ok(format.render(&meta, &items))
}
