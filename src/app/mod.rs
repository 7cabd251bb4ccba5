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
//! `App` is the wiring of three parts, each owning its state, with one
//! outcome between them: `ingest` reads a source (fetch, parse, normalize,
//! articles) into a `Reading` whose error is a typed [`ReadError`];
//! [`App::fetch_source`] and `record` write it and turn it into a
//! [`Report`]; `scheduler` runs the source loops (due times, leases, the
//! watch for other instances' changes, pruning); `publish` renders and
//! serves what changed (marks, the renderer, on-demand feeds, feed
//! metadata, WebSub pings, Cache-Control); `push` subscribes at the
//! WebSub hubs sources advertise and reads what they push. Besides:
//! `compose` (a merged feed's items), `archive` (its RFC 5005 archive),
//! `query` (a feed narrowed by a reader's query, for `serve`), `daemon`
//! (`tidings run` as a service: supervision, reload, systemd), `commands`
//! (the one-shot commands), `preview` (`tidings preview --url`: a source
//! from flags, in no config), `discover` (feed
//! autodiscovery) and `adaptive` (the interval of `schedule = "adaptive"`).

use crate::config::{Config, Source, SourceKind};
use crate::extract::ExtractError;
use crate::fetch;
use crate::schedule;
use crate::store::{self, FetchOutcome, FetchRecord, SaveSummary, SourceState, Store, StoreError};
use crate::telemetry::{FetchResult, Metrics};
use chrono::{DateTime, Utc};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tracing::warn;

mod adaptive;
mod archive;
mod clock;
mod commands;
pub(crate) mod compose;
mod daemon;
mod discover;
mod ingest;
mod preview;
mod publish;
mod push;
mod query;
mod scheduler;

pub use ingest::ReadError;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use ingest::page_html;
#[cfg(any(test, feature = "bench", feature = "fuzzing"))]
pub(crate) use ingest::parse_feed;
use ingest::{GONE, Ingest, Reading, is_gone};
pub use publish::Format;
use publish::Publisher;
use scheduler::Scheduler;

pub use commands::{
    Extracted, Progress, SourceRow, check, extract_page, fetch, opml_export, preview, render,
    sources,
};
pub use daemon::{Control, run};
pub use discover::{Discovery, Found, discover};
pub use preview::{PreviewKind, UrlSource, preview_url};

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot set up the HTTP client")]
    Fetcher(#[source] fetch::FetchError),
    #[error("cannot listen on {0}")]
    Listen(String, #[source] std::io::Error),
    #[error("no source has the id {0:?}")]
    UnknownSource(String),
    #[error("no feed has the id {0:?}")]
    UnknownFeed(String),
    /// `tidings extract --url` was given something that is not an absolute URL.
    #[error("not an absolute URL: {0:?}")]
    BadUrl(String),
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// `tidings preview` could not read the source: its id (its URL for
    /// `--url`) and why.
    #[error("{0}")]
    Preview(String, #[source] ReadError),
    /// `tidings preview --url` was given flags that make no source: each
    /// problem, naming its flag.
    #[error("{}", .0.join("; "))]
    BadPreview(Vec<String>),
    /// `tidings discover` could not fetch the page.
    #[error("cannot fetch {0}")]
    Discover(String, #[source] fetch::FetchError),
    /// `tidings discover` found no feed at the URL: where, and why not.
    #[error("no feed found at {0}: {1}")]
    NoFeed(String, String),
}

/// How one fetch of one source went, as `tidings fetch` prints it.
#[derive(Debug)]
pub struct Report {
    pub source: String,
    pub result: Result<Fetched, Failure>,
    /// Read, but something is wrong (see `warning`).
    pub warning: Option<String>,
}

/// Why a fetch of a source came to nothing.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Reading it failed; `text` is what was stored (cut, printable).
    #[error("{text}")]
    Read {
        text: String,
        #[source]
        error: ReadError,
    },
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// It answered 410 for its configured URL: not fetched again.
    #[error("{GONE}")]
    Gone,
    /// Its task died (a panic or a cancellation).
    #[error("internal error: the fetch {0}")]
    Died(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub enum Fetched {
    Saved(SaveSummary),
    NotModified,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Ok(_), Some(warning)) = (&self.result, &self.warning) {
            return write!(f, "{}: warning: {warning}", self.source);
        }
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
            // The stored text: cut and printable, as the source's words
            // may be neither.
            Err(Failure::Read { text, .. }) => write!(f, "{}: failed: {text}", self.source),
            Err(why) => write!(
                f,
                "{}: failed: {}",
                self.source,
                printable(&fetch::error_chain(why), MAX_ERROR)
            ),
        }
    }
}

/// The running parts, shared by every task: the config, the store and the
/// metrics everyone uses, and the three jobs, each with its own state.
pub struct App {
    // Swapped whole on reload; a std RwLock: read briefly, never across an
    // await.
    config: RwLock<Arc<Config>>,
    metrics: Arc<Metrics>,
    store: Arc<dyn Store>,
    ingest: Ingest,
    scheduler: Scheduler,
    publisher: Publisher,
    push: push::Push,
}

/// Bytes of an error text kept (stored, shown on the index page, printed).
pub(crate) const MAX_ERROR: usize = 1024;

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
pub fn state_dir(config: &Config) -> PathBuf {
    std::env::var_os("STATE_DIRECTORY")
        .and_then(|v| std::env::split_paths(&v).next())
        .unwrap_or_else(|| config.store.state_dir.clone())
}

impl App {
    /// Opens the store and sets up the HTTP client.
    pub async fn open(config: Config) -> Result<Arc<App>, AppError> {
        let store = store::open(&config.store.url, &state_dir(&config)).await?;
        App::with_store(config, store)
    }

    /// The app over a store already open.
    fn with_store(config: Config, store: Arc<dyn Store>) -> Result<Arc<App>, AppError> {
        let ingest = Ingest::new(&config.fetch).map_err(AppError::Fetcher)?;
        let clock = clock::Clock::new();
        Ok(Arc::new(App {
            config: RwLock::new(Arc::new(config)),
            metrics: Arc::new(Metrics::new()),
            store,
            ingest,
            scheduler: Scheduler::new(clock),
            publisher: Publisher::new(clock.now()),
            push: push::Push::new(),
        }))
    }

    /// The time on the daemon's one clock (see `clock`).
    fn now(&self) -> DateTime<Utc> {
        self.scheduler.clock.now()
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
        // A turn, as the daemon's loops take one: `tidings fetch` starts
        // every source at once, and without it all of them read their state
        // before any reads its feed, so the first requests (and every
        // record) waited behind 2,000 state reads in the store's queue.
        let _turn = self.ingest.due.acquire().await;
        // The sender is held for the call: dropped, `changed` would fire.
        let (_held, never) = tokio::sync::watch::channel(false);
        self.fetch_now(source, self.now(), never)
            .await
            .expect("a stop that never changes never stops the fetch")
    }

    /// The one fetch sequence, for `tidings fetch` and the daemon's loops
    /// alike: the source's state read (after any claim: another instance
    /// may just have written its validators), a source gone for good
    /// skipped, the source read within the in-flight bound, and recorded.
    ///
    /// A change of `stop` while reading cancels it and returns `None`:
    /// nothing is written. The store write always completes once begun, so
    /// no fetch is half-written. The in-flight slot is taken after the
    /// claim, as the fetcher's are: taken before it, the two-instance test
    /// saw a source fetched twice for one due time.
    async fn fetch_now(
        &self,
        source: &Source,
        now: DateTime<Utc>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Option<Report> {
        let report = |result| Report {
            source: source.id.clone(),
            result,
            warning: None,
        };
        let state = match self.store.source_state(&source.id).await {
            Ok(s) => s,
            Err(e) => return Some(report(Err(e.into()))),
        };
        if is_gone(source, state.as_ref()) {
            return Some(report(Err(Failure::Gone)));
        }
        // The reading and the record are boxed: their futures (the request,
        // the parse, the store calls) are large, and inline they would make
        // every source's task that large while it sleeps between fetches.
        let (reading, slot) = tokio::select! {
            _ = stop.changed() => return None,
            r = async {
                let slot = self.ingest.in_flight.acquire().await;
                (Box::pin(self.read_source_guarded(source, state.as_ref(), now)).await, slot)
            } => r,
        };
        let recorded = Box::pin(self.record(source, state.as_ref(), now, reading)).await;
        drop(slot);
        Some(recorded)
    }

    async fn record(
        &self,
        source: &Source,
        state: Option<&SourceState>,
        now: DateTime<Utc>,
        reading: Reading,
    ) -> Report {
        let Reading {
            outcome,
            location,
            fresh_for,
            retry_after,
            advertised,
            ruled_out,
        } = reading;
        // An error text comes from the source (a server's words, a body's
        // bytes): stored and printed, it is kept short and free of
        // terminal escapes.
        let (outcome, failed) = match outcome {
            Ok(outcome) => (outcome, None),
            Err(error) => {
                let text = printable(&error.text(), MAX_ERROR);
                let outcome = FetchOutcome::Failed {
                    error: text.clone(),
                };
                (outcome, Some(Failure::Read { text, error }))
            }
        };
        let to_chrono =
            |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(schedule::MAX_WAIT);
        let (timing, interval) = self.timing(source, now, &outcome).await;
        let next_due = match &outcome {
            FetchOutcome::Failed { .. } => {
                let errors = state.map_or(0, |s| s.consecutive_errors) + 1;
                schedule::after_failure(
                    &timing,
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
                &timing,
                &source.id,
                self.now().max(now),
                fresh_for.map(to_chrono),
            ),
        };
        let not_modified = matches!(outcome, FetchOutcome::NotModified);
        let warning = warning(source, state, &outcome, ruled_out);
        if let Some(w) = &warning {
            warn!(source = source.id, "{w}");
        }
        // As the store names it; a source never fetched counts as `ok`.
        let health = match (&failed, &warning) {
            (Some(_), _) => "error",
            (None, Some(_)) => "warning",
            (None, None) => "ok",
        };
        let health_changed = state
            .and_then(|s| s.last_outcome.as_deref())
            .unwrap_or("ok")
            != health;
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
            warning: warning.clone(),
            health_changed,
            interval,
            keep_polls: if source.adaptive { adaptive::KEEP } else { 0 },
        };
        self.scheduler.set_due(&source.id, next_due);
        let written = self.store.record_fetch(record).await;
        let version = written.as_ref().ok().and_then(|s| s.version);
        let result = match (written, failed) {
            (Err(e), _) => Err(e.into()),
            (Ok(_), Some(error)) => Err(error),
            (Ok(_), None) if not_modified => Ok(Fetched::NotModified),
            (Ok(summary), None) => Ok(Fetched::Saved(summary)),
        };
        let (counted, stored) = match &result {
            Err(_) => (FetchResult::Error, 0),
            Ok(_) if warning.is_some() => (FetchResult::Warning, 0),
            Ok(Fetched::NotModified) => (FetchResult::NotModified, 0),
            Ok(Fetched::Saved(s)) if s.changed() => (FetchResult::Changed, s.new + s.updated),
            Ok(Fetched::Saved(_)) => (FetchResult::Unchanged, 0),
        };
        let took = (self.now() - now).to_std().unwrap_or_default();
        self.metrics.fetched(&source.id, counted, took, stored);
        if let (Ok(Fetched::Saved(_)), Some(advertised)) = (&result, advertised) {
            self.push.saw(&source.id, advertised);
        }
        let changed = matches!(&result, Ok(Fetched::Saved(s)) if s.changed());
        if !changed {
            self.set_refresh(&source.id);
        }
        self.wrote(&source.id, version);
        self.mark(
            (changed || health_changed).then_some(source.id.clone()),
            true,
        );
        Report {
            source: source.id.clone(),
            result,
            warning,
        }
    }
}

/// What is wrong with a fetch that read the source: it listed no items
/// where it had some (a site redesigned past its selectors; a feed
/// emptied), or, for an `html` listing, any time. The warning holds over
/// fetches that still list nothing and over `304`s, until items come back.
/// A fetch whose items the source's own rules all left out (`ruled_out`
/// of them) did list some: it is no warning.
fn warning(
    source: &Source,
    state: Option<&SourceState>,
    outcome: &FetchOutcome,
    ruled_out: usize,
) -> Option<String> {
    let held = state
        .filter(|s| s.last_outcome.as_deref() == Some("warning"))
        .and_then(|s| s.last_error.clone());
    match outcome {
        FetchOutcome::Fetched { items, .. } if items.is_empty() && ruled_out == 0 => {
            if matches!(source.kind, SourceKind::Html { .. }) {
                Some(
                    "the listing matched no items: its selectors may no longer fit the page".into(),
                )
            } else if let Some(had) = state.map(|s| s.items).filter(|&n| n > 0) {
                Some(format!("listed no items, where {had} were stored before"))
            } else {
                held
            }
        }
        FetchOutcome::NotModified => held,
        _ => None,
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
