//! Reading sources: a source's own feed or page fetched from where it lives
//! now (following permanent moves, honouring 410 and `Retry-After`), parsed,
//! normalized, and — for `html` sources and `full_text` — the article pages
//! behind its items fetched (conditionally, once stored) and extracted.
//! Nothing here writes; `App::record` does.
//!
//! Owns [`Ingest`]: the HTTP client and the bounds on reads in flight. Its
//! result is a [`Reading`], whose error side is a [`ReadError`] by stage.
//! The CPU side (parsing, normalizing, the filters) is `parse`'s, article
//! pages `articles`', `files` sources `local`'s.

mod articles;
mod local;
mod parse;

use articles::MAX_ARTICLES;
use local::read_files;
pub(crate) use parse::page_html;
#[cfg(any(test, feature = "bench", feature = "fuzzing"))]
pub(crate) use parse::parse_feed;
use parse::{Normalizing, filtered, normalize_all, normalize_ruled, parse_feed_ruled, settled};

use crate::app::{App, push};
use crate::config::{Select, Source, SourceKind};
use crate::extract;
use crate::fetch::{self, Fetcher, Limits};
use crate::model::RawItem;
use crate::normalize;
use crate::source;
use crate::store::{FetchOutcome, Location, SourceState};
use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

/// The ingest stage's state: the HTTP client and the two bounds on work in
/// flight.
pub(super) struct Ingest {
    pub(super) fetcher: Fetcher,
    /// Sources being read or recorded, at most `fetch.concurrency`: the
    /// fetcher bounds requests, this bounds the items read and waiting for
    /// the store, which would otherwise pile up for every due source.
    pub(super) in_flight: Semaphore,
    /// The daemon's sources past their due time, and those `tidings fetch`
    /// has begun (claiming, waiting for an in-flight slot, reading,
    /// recording), at most twice `in_flight`'s:
    /// at a first cycle every source is due at once, and each would
    /// otherwise take its lease, read its state and hold its boxed fetch
    /// while it waits for a slot (at 100,000 sources about 2.6 KB each,
    /// which glibc keeps once the cycle is done). Twice, so that the next
    /// sources have claimed and read their state when slots free up.
    pub(super) due: Semaphore,
    /// Article pages being fetched and extracted, at most
    /// `fetch.concurrency` across all sources: the fetcher's limit ends with
    /// the transfer, and a page's body and DOM are held until it is
    /// extracted, so without this a `full_text` source would hold 30 of
    /// them at once, outside `concurrency`.
    articles: Semaphore,
}

impl Ingest {
    pub(super) fn new(fetch: &crate::config::Fetch) -> Result<Ingest, fetch::FetchError> {
        Ok(Ingest {
            fetcher: Fetcher::new(&Limits {
                concurrency: fetch.concurrency,
                per_host: fetch.per_host,
                allow_private: fetch.allow_private,
                proxy: fetch.proxy.clone(),
            })?,
            in_flight: Semaphore::new(fetch.concurrency),
            due: Semaphore::new(fetch.concurrency.saturating_mul(2)),
            articles: Semaphore::new(fetch.concurrency),
        })
    }
}

impl App {
    /// [`App::read_source`] for a fetch that will be recorded; a panic while
    /// reading becomes a failed reading, so the source is recorded as
    /// failed and backs off, instead of its task dying and being restarted
    /// (and its origin asked again) at once.
    pub(super) async fn read_source_guarded(
        &self,
        source: &Source,
        state: Option<&SourceState>,
        now: DateTime<Utc>,
    ) -> Reading {
        use futures_util::FutureExt;
        let read = std::panic::AssertUnwindSafe(self.read_source(source, state, now, false));
        match read.catch_unwind().await {
            Ok(reading) => reading,
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let config_url = source.kind.url().map(url::Url::to_string);
                let state = state.filter(|s| s.config_url == config_url);
                let location = Location {
                    url: state.and_then(|s| s.url.clone()).or(config_url.clone()),
                    redirect_to: state.and_then(|s| s.redirect_to.clone()),
                    redirect_streak: state.map_or(0, |s| s.redirect_streak),
                    config_url,
                    gone: false,
                    feed_url: state.and_then(|s| s.feed_url.clone()),
                };
                Reading::new(Err(ReadError::Panicked(why)), location)
            }
        }
    }

    /// Reads a source's items, without writing anything. In a `preview`,
    /// every item counts as new: article pages are fetched even when the
    /// store has them.
    pub(super) async fn read_source(
        &self,
        source: &Source,
        state: Option<&SourceState>,
        now: DateTime<Utc>,
        preview: bool,
    ) -> Reading {
        let (config_url, select) = match &source.kind {
            SourceKind::Files { path, follow_links } => {
                let base = self.config().server.base_url.clone();
                let read = read_files(
                    source,
                    path.clone(),
                    *follow_links,
                    base,
                    now,
                    self.config().fetch.max_item,
                    preview,
                )
                .await;
                let ruled_out = read.as_ref().map_or(0, |(_, n)| *n);
                let mut reading = Reading::new(read.map(|(o, _)| o), Location::default());
                reading.ruled_out = ruled_out;
                return reading;
            }
            SourceKind::Feed { url } => {
                return self
                    .read_feed_source(source, url, state, now, preview)
                    .await;
            }
            SourceKind::Html { url, select } => (url, select.as_ref()),
        };
        let (body, location, fresh_for) = match self.fetch_listing(source, config_url, state).await
        {
            Ok(fetched) => fetched,
            Err(reading) => return reading,
        };
        match self.read_html(source, body, select, now, preview).await {
            Ok(listing) => listing.reading(location, fresh_for),
            Err(error) => Reading::new(Err(error), location),
        }
    }

    /// A GET of `url` for `source`, with its user agent, timeout and headers
    /// and the given validators; for an article page with `article`.
    pub(super) fn request<'a>(
        &self,
        source: &'a Source,
        url: &'a url::Url,
        validators: (Option<&'a str>, Option<&'a str>),
        article: bool,
    ) -> fetch::Request<'a> {
        let (etag, last_modified) = validators;
        fetch::Request {
            url,
            etag,
            last_modified,
            user_agent: &source.user_agent,
            timeout: source.timeout,
            timeout_queued: !article,
            max_body: self.config().fetch.max_body,
            headers: &source.headers,
            headers_origin: source.kind.url().unwrap_or(url),
        }
    }

    /// Fetches a source's own feed or page: from where it lives now (after
    /// permanent moves), with its validators, counting redirects towards a
    /// move. `Err` is the whole reading when there is nothing to parse: a
    /// failure (with 410 and `Retry-After` noted) or `304`.
    pub(super) async fn fetch_listing(
        &self,
        source: &Source,
        config_url: &url::Url,
        state: Option<&SourceState>,
    ) -> Result<(fetch::Body, Location, Option<std::time::Duration>), Reading> {
        // A state recorded for another config URL (the user edited it) is
        // not carried over: no move, no validators, no 410.
        let state = state.filter(|s| s.config_url.as_deref() == Some(config_url.as_str()));
        // Parsed only when it moved: most sources are where the config says.
        let url = state
            .and_then(|s| s.url.as_deref())
            .filter(|u| *u != config_url.as_str())
            .and_then(|u| url::Url::parse(u).ok())
            .unwrap_or_else(|| config_url.clone());
        let mut location = Location {
            config_url: Some(config_url.to_string()),
            url: Some(url.to_string()),
            redirect_to: state.and_then(|s| s.redirect_to.clone()),
            redirect_streak: state.map_or(0, |s| s.redirect_streak),
            gone: false,
            feed_url: None,
        };
        let req = self.request(
            source,
            &url,
            (
                state.and_then(|s| s.etag.as_deref()),
                state.and_then(|s| s.last_modified.as_deref()),
            ),
            false,
        );
        let resp = match self.ingest.fetcher.get(&req).await {
            Ok(r) => r,
            Err(e) => {
                if let fetch::FetchError::Status { code, retry_after } = e {
                    location.gone = code == 410;
                    let mut reading = Reading::new(Err(e.into()), location);
                    reading.retry_after = retry_after;
                    return Err(reading);
                }
                return Err(Reading::new(Err(e.into()), location));
            }
        };
        track_move(&mut location, resp.moved_to.as_ref());
        match resp.body {
            Some(body) => Ok((body, location, resp.fresh_for)),
            None => {
                let mut reading = Reading::new(Ok(FetchOutcome::NotModified), location);
                reading.fresh_for = resp.fresh_for;
                Err(reading)
            }
        }
    }

    /// A feed document's items, with their articles when `full_text`; the
    /// feed's `<ttl>`; and the WebSub hub it advertises.
    pub(super) async fn read_feed(
        &self,
        source: &Source,
        body: fetch::Body,
        now: DateTime<Utc>,
        preview: bool,
    ) -> Result<Listing, ReadError> {
        let etag = body.etag.clone();
        let last_modified = body.last_modified.clone();
        let links = body.links.clone();
        let n = Normalizing::of(source, self.config().fetch.max_item);
        let (title, ttl, pairs, (hubs, self_link)) = cpu(source.timeout, "parsing", move || {
            let ctx = n.context(Some(&body.url), now);
            parse_feed_ruled(&body.bytes, body.content_type.as_deref(), &ctx, &n.rules)
        })
        .await??;
        let (pairs, settled_out) = settled(source, pairs, source.full_text);
        let (items, pages) = self
            .with_articles(source, pairs, source.full_text, now, preview)
            .await?;
        let (items, left_out) = filtered(source, items, preview);
        let ttl = ttl.map(|m| std::time::Duration::from_secs(u64::from(m) * 60));
        let advertised = push::advertised(&links, &hubs, self_link.as_deref());
        Ok(Listing {
            outcome: FetchOutcome::Fetched {
                pages,
                etag,
                last_modified,
                title: title.map(|t| normalize::plain_text(&t)),
                items,
            },
            ttl,
            ruled_out: settled_out + left_out,
            advertised,
        })
    }

    /// An `html` source: the listing page's items by selectors (fetching
    /// each article with `follow`), or, without selectors, every article the
    /// page links to, fetched and extracted.
    pub(super) async fn read_html(
        &self,
        source: &Source,
        body: fetch::Body,
        select: Option<&Select>,
        now: DateTime<Utc>,
        preview: bool,
    ) -> Result<Listing, ReadError> {
        let etag = body.etag.clone();
        let last_modified = body.last_modified.clone();
        let select = select.cloned();
        let n = Normalizing::of(source, self.config().fetch.max_item);
        let (pairs, follow) = cpu(source.timeout, "parsing", move || {
            let html = page_html(&body.bytes, body.content_type.as_deref());
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
            let ctx = n.context(Some(&body.url), now);
            let pairs = normalize_all(raws, &ctx, &n.rules);
            Ok::<_, source::html::BadSelector>((pairs, follow))
        })
        .await??;
        let (pairs, settled_out) = settled(source, pairs, follow);
        let (items, pages) = self
            .with_articles(source, pairs, follow, now, preview)
            .await?;
        let (items, left_out) = filtered(source, items, preview);
        Ok(Listing {
            outcome: FetchOutcome::Fetched {
                pages,
                etag,
                last_modified,
                title: None,
                items,
            },
            ttl: None,
            ruled_out: settled_out + left_out,
            advertised: None,
        })
    }
}

/// What reading a feed document or an html listing gave, before it is
/// written.
pub(super) struct Listing {
    pub(super) outcome: FetchOutcome,
    /// The feed's `<ttl>`.
    pub(super) ttl: Option<std::time::Duration>,
    /// How many items the source's rules left out.
    pub(super) ruled_out: usize,
    /// The WebSub hub and topic a feed advertises.
    pub(super) advertised: Option<push::Advertised>,
}

impl Listing {
    /// Into a [`Reading`] at `location`, the larger of the feed's `<ttl>`
    /// and the HTTP hint `fresh_for` as the floor for the next poll.
    pub(super) fn reading(
        self,
        location: Location,
        fresh_for: Option<std::time::Duration>,
    ) -> Reading {
        let mut reading = Reading::new(Ok(self.outcome), location);
        reading.fresh_for = fresh_for.max(self.ttl);
        reading.ruled_out = self.ruled_out;
        reading.advertised = self.advertised;
        reading
    }
}

/// Runs CPU work (parsing, extraction, sanitizing) off the async threads,
/// within `limit` (the source's timeout): work that overruns it is
/// abandoned, not waited for (the thread finishes it and drops the result),
/// so neither a fetch nor a shutdown waits on it. Fails naming `what` on
/// overrun and when the work panicked.
pub(super) async fn cpu<T: Send + 'static>(
    limit: std::time::Duration,
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ReadError> {
    match tokio::time::timeout(limit, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(source)) => Err(ReadError::Crashed { what, source }),
        Err(_) => Err(ReadError::Overrun { what, limit }),
    }
}

/// Why reading a source failed, by the stage that failed; it becomes text
/// only when it is stored ([`ReadError::text`]).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    #[error(transparent)]
    Feed(#[from] source::feed::FeedError),
    #[error(transparent)]
    Selector(#[from] source::html::BadSelector),
    #[error(transparent)]
    Files(#[from] source::files::FilesError),
    #[error(transparent)]
    Extract(#[from] extract::ExtractError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// CPU work (parsing, extraction) ran past the source's timeout and was
    /// abandoned.
    #[error("{what} took longer than {}s; abandoned", .limit.as_secs_f64())]
    Overrun {
        what: &'static str,
        limit: std::time::Duration,
    },
    /// CPU work panicked on its thread.
    #[error("{what} crashed")]
    Crashed {
        what: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
    /// Reading panicked; the panic's message.
    #[error("internal error while reading: {0}")]
    Panicked(String),
}

impl ReadError {
    /// The error and its causes as one line, as stored and printed.
    pub fn text(&self) -> String {
        fetch::error_chain(self)
    }
}

/// What reading a source gave, before it is written.
pub(super) struct Reading {
    pub(super) outcome: Result<FetchOutcome, ReadError>,
    pub(super) location: Location,
    /// The server's freshness hint: a floor for the next poll.
    pub(super) fresh_for: Option<std::time::Duration>,
    /// The server's `Retry-After`: no request before it.
    pub(super) retry_after: Option<std::time::Duration>,
    /// The WebSub hub and topic the feed advertises.
    pub(super) advertised: Option<push::Advertised>,
    /// Items the source listed that its `include`/`exclude` rules left
    /// out: a source whose every item they leave out still listed some.
    pub(super) ruled_out: usize,
}

impl Reading {
    pub(super) fn new(outcome: Result<FetchOutcome, ReadError>, location: Location) -> Reading {
        Reading {
            outcome,
            location,
            fresh_for: None,
            retry_after: None,
            advertised: None,
            ruled_out: 0,
        }
    }
}

/// Fetches in a row that must end at the same permanent redirect before the
/// source moves there: one could be a mistake the site soon undoes.
const MOVE_AFTER: u32 = 3;

pub(super) const GONE: &str =
    "gone (HTTP 410): not fetched again until its URL changes in the config";

/// Counts a permanent redirect towards a move, and moves the source once the
/// same target was seen on [`MOVE_AFTER`] fetches in a row.
fn track_move(location: &mut Location, moved_to: Option<&url::Url>) {
    match moved_to {
        Some(target) => {
            let target = target.to_string();
            location.redirect_streak = if location.redirect_to.as_deref() == Some(target.as_str()) {
                location.redirect_streak + 1
            } else {
                1
            };
            location.redirect_to = Some(target);
            if location.redirect_streak >= MOVE_AFTER {
                location.url = location.redirect_to.take();
                location.redirect_streak = 0;
            }
        }
        None => {
            location.redirect_to = None;
            location.redirect_streak = 0;
        }
    }
}

/// Whether the source answered 410 Gone at the URL it still has in the config.
pub(super) fn is_gone(source: &Source, state: Option<&SourceState>) -> bool {
    match (source.kind.url(), state) {
        (Some(url), Some(s)) => s.gone && s.config_url.as_deref() == Some(url.as_str()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_moves_after_three_permanent_redirects_to_one_place() {
        let to = url::Url::parse("https://new.example/feed").unwrap();
        let other = url::Url::parse("https://other.example/feed").unwrap();
        let mut at = Location {
            url: Some("https://old.example/feed".into()),
            ..Location::default()
        };
        track_move(&mut at, Some(&to));
        track_move(&mut at, Some(&to));
        assert_eq!(at.redirect_streak, 2);
        assert_eq!(at.url.as_deref(), Some("https://old.example/feed"));
        // Another target starts the count again; no redirect clears it.
        track_move(&mut at, Some(&other));
        assert_eq!(at.redirect_streak, 1);
        track_move(&mut at, None);
        assert_eq!((at.redirect_streak, at.redirect_to.as_deref()), (0, None));
        for _ in 0..MOVE_AFTER {
            track_move(&mut at, Some(&to));
        }
        assert_eq!(at.url.as_deref(), Some("https://new.example/feed"));
        assert_eq!((at.redirect_streak, at.redirect_to.as_deref()), (0, None));
    }

    #[test]
    fn gone_holds_for_feed_and_html_sources_until_their_url_changes() {
        let config = crate::Config::parse(
            "t.toml",
            "[[source]]\nid = \"f\"\nkind = \"feed\"\nurl = \"https://a.example/feed\"\n\n\
             [[source]]\nid = \"h\"\nkind = \"html\"\nurl = \"https://a.example/news\"\n",
        )
        .unwrap();
        let state = |url: &str| SourceState {
            config_url: Some(url.into()),
            gone: true,
            ..SourceState::default()
        };
        let (feed, html) = (&config.sources[0], &config.sources[1]);
        assert!(is_gone(feed, Some(&state("https://a.example/feed"))));
        assert!(is_gone(html, Some(&state("https://a.example/news"))));
        assert!(!is_gone(html, Some(&state("https://a.example/old"))));
        assert!(!is_gone(feed, None));
    }
}
