//! The composition root: the only module that sees every stage. It fetches a
//! source's bytes (`fetch`), reads them (`source`), normalizes the items
//! (`normalize`), writes them (`store`), renders the feeds that changed
//! (`render`) into the table `serve` answers from, and runs each source on
//! its `schedule`.

use crate::config::{Config, ContentMode, Feed, Select, Source, SourceKind};
use crate::extract::{self, ExtractError};
use crate::fetch::{self, Fetcher, Limits};
use crate::model::{FeedMeta, Item, RawItem};
use crate::normalize;
use crate::render;
use crate::schedule::jitter;
use crate::serve::{self, Feeds, Rendered};
use crate::source;
use crate::store::{self, FetchOutcome, FetchRecord, SaveSummary, SourceState, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tracing::{info, warn};

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
        let outcome = self.read_source(source, state.as_ref(), now, false).await;
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
        Report {
            source: source.id.clone(),
            result,
        }
    }

    /// Reads a source's items, without writing anything. In a `preview`,
    /// every item counts as new: article pages are fetched even when the
    /// store has them.
    async fn read_source(
        &self,
        source: &Source,
        state: Option<&SourceState>,
        now: DateTime<Utc>,
        preview: bool,
    ) -> FetchOutcome {
        let outcome = match &source.kind {
            SourceKind::Feed { url } => self.read_feed(source, url, state, now, preview).await,
            SourceKind::Html { url, select } => {
                self.read_html(source, url, select.as_ref(), state, now, preview)
                    .await
            }
            SourceKind::Files { path } => return read_files(source, path.clone(), now).await,
        };
        outcome.unwrap_or_else(|error| FetchOutcome::Failed { error })
    }

    /// Fetches a source's own page or feed with its stored validators;
    /// `None` when it has not changed.
    async fn fetch_listing(
        &self,
        source: &Source,
        url: &url::Url,
        state: Option<&SourceState>,
    ) -> Result<Option<fetch::Body>, String> {
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
        match self.fetcher.get(&req).await {
            Ok(fetch::Response::NotModified) => Ok(None),
            Ok(fetch::Response::Body(b)) => Ok(Some(b)),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn read_feed(
        &self,
        source: &Source,
        url: &url::Url,
        state: Option<&SourceState>,
        now: DateTime<Utc>,
        preview: bool,
    ) -> Result<FetchOutcome, String> {
        let Some(body) = self.fetch_listing(source, url, state).await? else {
            return Ok(FetchOutcome::NotModified);
        };
        let id = source.id.clone();
        let tz = source.timezone;
        let etag = body.etag.clone();
        let last_modified = body.last_modified.clone();
        // Parsing and sanitizing are CPU work: keep them off the async threads.
        let (title, pairs) = tokio::task::spawn_blocking(move || {
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
            let pairs = parsed
                .items
                .into_iter()
                .map(|raw| {
                    let item = normalize::item(raw.clone(), &ctx);
                    (raw, item)
                })
                .collect::<Vec<_>>();
            Ok::<_, source::feed::FeedError>((parsed.title, pairs))
        })
        .await
        .map_err(|e| format!("parser crashed: {e}"))?
        .map_err(|e| e.to_string())?;
        let items = if source.full_text {
            self.with_articles(source, pairs, now, preview).await?
        } else {
            pairs.into_iter().map(|(_, item)| item).collect()
        };
        Ok(FetchOutcome::Fetched {
            url: Some(url.to_string()),
            etag,
            last_modified,
            title: title.map(|t| normalize::plain_text(&t)),
            items,
        })
    }

    /// An `html` source: the listing page's items by selectors (fetching
    /// each article with `follow`), or, without selectors, every article the
    /// page links to, fetched and extracted.
    async fn read_html(
        &self,
        source: &Source,
        url: &url::Url,
        select: Option<&Select>,
        state: Option<&SourceState>,
        now: DateTime<Utc>,
        preview: bool,
    ) -> Result<FetchOutcome, String> {
        let Some(body) = self.fetch_listing(source, url, state).await? else {
            return Ok(FetchOutcome::NotModified);
        };
        let id = source.id.clone();
        let tz = source.timezone;
        let etag = body.etag.clone();
        let last_modified = body.last_modified.clone();
        let select = select.cloned();
        let (pairs, follow) = tokio::task::spawn_blocking(move || {
            let html = extract::decode(&body.bytes, body.content_type.as_deref());
            let (raws, follow) = match &select {
                Some(s) => {
                    let selectors = source::html::Selectors {
                        item: &s.item,
                        title: s.title.as_deref(),
                        link: s.link.as_deref(),
                        date: s.date.as_deref(),
                        summary: s.summary.as_deref(),
                    };
                    (source::html::list(&html, &body.url, &selectors)?, s.follow)
                }
                None => {
                    let links = source::html::article_links(&html, &body.url, MAX_ARTICLES);
                    let raws = links
                        .into_iter()
                        .map(|link| RawItem {
                            guid: Some(link.to_string()),
                            link: Some(link.to_string()),
                            ..RawItem::default()
                        })
                        .collect();
                    (raws, true)
                }
            };
            let ctx = normalize::Context {
                source: &id,
                base_url: Some(&body.url),
                timezone: tz,
                now,
            };
            let pairs = raws
                .into_iter()
                .map(|raw| {
                    let item = normalize::item(raw.clone(), &ctx);
                    (raw, item)
                })
                .collect::<Vec<_>>();
            Ok::<_, source::html::BadSelector>((pairs, follow))
        })
        .await
        .map_err(|e| format!("parser crashed: {e}"))?
        .map_err(|e| e.to_string())?;
        let items = if follow {
            self.with_articles(source, pairs, now, preview).await?
        } else {
            pairs.into_iter().map(|(_, item)| item).collect()
        };
        Ok(FetchOutcome::Fetched {
            url: Some(url.to_string()),
            etag,
            last_modified,
            title: None,
            items,
        })
    }

    /// Fetches the article page behind each new item and takes its body;
    /// the item's own title, date and authors stay where it has them. Items
    /// the store already has are left out, so their pages are not fetched
    /// again and the stored article is kept. An item whose page cannot be
    /// read is kept as it is when it has a title, else left out, to be tried
    /// again on the next fetch.
    async fn with_articles(
        &self,
        source: &Source,
        pairs: Vec<(RawItem, Item)>,
        now: DateTime<Utc>,
        preview: bool,
    ) -> Result<Vec<Item>, String> {
        let known = if preview {
            HashSet::new()
        } else {
            let ids: Vec<String> = pairs.iter().map(|(_, i)| i.id.clone()).collect();
            self.store
                .known_ids(&source.id, &ids)
                .await
                .map_err(|e| e.to_string())?
        };
        let fresh = pairs
            .into_iter()
            .filter(|(_, item)| !known.contains(&item.id))
            .take(MAX_ARTICLES);
        let jobs = fresh.map(|(raw, item)| async move {
            let Some(link) = item.link.as_deref().and_then(|l| url::Url::parse(l).ok()) else {
                return Some(item);
            };
            match self.fetch_article(source, &link).await {
                Ok((article, page)) => {
                    let merged = merge(raw, article, &page);
                    let ctx = normalize::Context {
                        source: &source.id,
                        base_url: Some(&page),
                        timezone: source.timezone,
                        now,
                    };
                    Some(normalize::item(merged, &ctx))
                }
                Err(e) => {
                    warn!(source = source.id, "article {link}: {e}");
                    raw.title.is_some().then_some(item)
                }
            }
        });
        Ok(futures_util::future::join_all(jobs)
            .await
            .into_iter()
            .flatten()
            .collect())
    }

    /// One article page, fetched through the shared fetcher and extracted;
    /// with the URL it was read from (after redirects).
    async fn fetch_article(
        &self,
        source: &Source,
        url: &url::Url,
    ) -> Result<(extract::Article, url::Url), String> {
        let req = fetch::Request {
            url,
            etag: None,
            last_modified: None,
            user_agent: &source.user_agent,
            timeout: source.timeout,
            max_body: self.config.fetch.max_body,
            headers: &source.headers,
        };
        let body = match self.fetcher.get(&req).await {
            Ok(fetch::Response::Body(b)) => b,
            Ok(fetch::Response::NotModified) => return Err("not modified".into()),
            Err(e) => return Err(e.to_string()),
        };
        tokio::task::spawn_blocking(move || {
            let html = extract::decode(&body.bytes, body.content_type.as_deref());
            extract::extract(&html, Some(&body.url))
                .map(|a| (a, body.url))
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| format!("extraction crashed: {e}"))?
    }

    /// Renders every feed and every source's own feed from the store.
    pub async fn render_all(&self) {
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

    /// A feed's items: its sources' newest, filtered, deduplicated by link,
    /// cut to its limit, with content dropped in summary mode.
    async fn feed_items(&self, feed: &Feed) -> Result<Vec<Item>, StoreError> {
        let filtered = !feed.include.is_empty() || !feed.exclude.is_empty() || feed.dedupe;
        // Filters drop items, so look further back for enough candidates.
        let candidates = if filtered {
            feed.limit.saturating_mul(5)
        } else {
            feed.limit
        };
        let items = self.store.items(&feed.sources, candidates).await?;
        let mut seen = HashSet::new();
        let mut out: Vec<Item> = items
            .into_iter()
            .filter(|i| {
                let text = format!("{}\n{}", i.title, i.summary_html.as_deref().unwrap_or(""));
                (feed.include.is_empty() || feed.include.iter().any(|r| r.is_match(&text)))
                    && !feed.exclude.iter().any(|r| r.is_match(&text))
            })
            .filter(|i| !feed.dedupe || i.link.as_ref().is_none_or(|l| seen.insert(l.clone())))
            .take(feed.limit)
            .collect();
        if feed.content == ContentMode::Summary {
            for i in &mut out {
                if i.summary_html.is_none() {
                    i.summary_html = i.content_html.as_deref().map(summarize);
                }
                i.content_html = None;
            }
        }
        Ok(out)
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
            updated: items.iter().map(Item::modified).max().unwrap_or_default(),
        }
    }

    async fn publish(&self, meta: FeedMeta, items: Vec<Item>) {
        let feeds = self.feeds.clone();
        let path = meta.path.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut changed = false;
            for format in Format::ALL {
                let body = format.render(&meta, &items);
                let rendered = Rendered::new(format.content_type(), body, meta.updated);
                changed |= feeds.put(format!("{}.{}", meta.path, format.ext()), rendered);
            }
            changed
        })
        .await;
        match done {
            Ok(true) => info!(feed = path, "rendered"),
            Ok(false) => {}
            Err(e) => warn!(feed = path, "rendering failed: {e}"),
        }
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
                o = self.read_source(&source, state.as_ref(), now, false) => o,
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

/// At most this many article pages are fetched in one fetch of a source;
/// the rest wait for the next one.
const MAX_ARTICLES: usize = 30;

/// A listed item with the article behind it: the item's own title, date and
/// authors win, the article fills what the item lacks and gives the body.
fn merge(mut raw: RawItem, article: extract::Article, page: &url::Url) -> RawItem {
    if raw.title.is_none() {
        raw.title = article.title;
    }
    if raw.authors.is_empty() {
        raw.authors = article.authors;
    }
    if raw.published.is_none() {
        raw.published = article.published;
    }
    if raw.updated.is_none() {
        raw.updated = article.updated;
    }
    if raw.link.is_none() {
        raw.link = article.url;
    }
    if !article.body_html.trim().is_empty() {
        raw.content_html = Some(article.body_html);
    }
    raw.base_url = Some(page.to_string());
    raw
}

/// The first paragraph-sized part of an article, for summary mode.
fn summarize(html: &str) -> String {
    let text = normalize::plain_text(html);
    let cut = text
        .char_indices()
        .take_while(|(i, _)| *i < 300)
        .filter(|(_, c)| c.is_whitespace())
        .last()
        .map_or(text.len(), |(i, _)| i);
    let mut s = html_escape::encode_text(&text[..cut]).into_owned();
    if cut < text.len() {
        s.push('…');
    }
    format!("<p>{s}</p>")
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

/// What `tidings extract` prints: the article on one page, normalized as an
/// item would be (title as plain text, date parsed, HTML sanitized with
/// absolute links).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Extracted {
    pub title: Option<String>,
    /// The authors, joined with `, `.
    pub author: Option<String>,
    /// RFC 3339, UTC; `None` when the page gives no date it can be read from.
    pub published: Option<String>,
    pub body_html: Option<String>,
    pub body_text: String,
    pub url: Option<String>,
}

/// `tidings extract`: the article on one HTML page, read from `bytes`; `url`
/// is where the page lives, for relative links.
///
/// Fails when `url` is not an absolute URL or the page holds no article.
pub fn extract_page(bytes: &[u8], url: Option<&str>) -> Result<Extracted, AppError> {
    let base = url
        .map(|u| url::Url::parse(u).map_err(|_| AppError::BadUrl(u.to_string())))
        .transpose()?;
    let html = extract::decode(bytes, None);
    let article = extract::extract(&html, base.as_ref()).map_err(AppError::Extract)?;
    // Without --url, the page's own canonical URL resolves its relative links.
    let base = base.or_else(|| article.url.as_deref().and_then(|u| url::Url::parse(u).ok()));
    let title = article.title.is_some();
    let body_text = article.body_text.clone();
    let ctx = normalize::Context {
        source: "extract",
        base_url: base.as_ref(),
        timezone: chrono_tz::UTC,
        now: Utc::now(),
    };
    let item = normalize::item(article.into_raw(base.as_ref()), &ctx);
    Ok(Extracted {
        title: title.then_some(item.title),
        author: (!item.authors.is_empty()).then(|| item.authors.join(", ")),
        published: item.dated.then(|| item.published.to_rfc3339()),
        body_html: item.content_html,
        body_text,
        url: item.link,
    })
}

/// `tidings preview`: fetches one source now and returns its normalized
/// items, newest first, without writing anything to the store. Every
/// article page is fetched, as if the store were empty.
///
/// Fails when the id names no source, or the source cannot be read.
pub async fn preview(config: Config, id: &str) -> Result<Vec<Item>, AppError> {
    let source = config
        .source(id)
        .cloned()
        .ok_or_else(|| AppError::UnknownSource(id.to_string()))?;
    let app = App::open(config).await?;
    match app.read_source(&source, None, Utc::now(), true).await {
        FetchOutcome::Fetched { mut items, .. } => {
            items.sort_by_key(|i| std::cmp::Reverse(i.published));
            Ok(items)
        }
        FetchOutcome::NotModified => Ok(Vec::new()),
        FetchOutcome::Failed { error } => Err(AppError::Preview(source.id, error)),
    }
}
