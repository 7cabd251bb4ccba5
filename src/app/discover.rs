//! Feed autodiscovery, both ways it is used: a `feed` source whose URL
//! answers an HTML page reads the feed that page advertises (the choice
//! logged and remembered in the store, so later fetches go to the feed
//! directly, with its validators, and look again only when it stops
//! answering a feed), and `tidings discover URL` lists what a page
//! advertises, or probes common paths when it advertises nothing.
//!
//! The link scan is `source::discover`; fetching goes through the same
//! `fetch` client and policy as every source.

use super::ingest::{ReadError, Reading, cpu, page_html};
use super::{App, AppError, public_url};
use crate::config::{Fetch, Source};
use crate::fetch::{self, FetchError, Fetcher, Limits};
use crate::source::discover::{self, COMMON_PATHS};
use crate::source::feed::FeedError;
use crate::store::{FetchOutcome, Location, SourceState};
use chrono::{DateTime, Utc};
use tracing::info;
use url::Url;

impl App {
    /// Reads a `feed` source: the feed an earlier fetch discovered, when
    /// there is one and it still answers a feed; else the configured URL,
    /// and when that is an HTML page, the first feed it advertises.
    pub(super) async fn read_feed_source(
        &self,
        source: &Source,
        config_url: &Url,
        state: Option<&SourceState>,
        now: DateTime<Utc>,
        preview: bool,
    ) -> Reading {
        let state = state.filter(|s| s.config_url.as_deref() == Some(config_url.as_str()));
        let mut page_state = state.cloned();
        if let Some(s) = state
            && let Some(feed) = s.feed_url.as_deref().and_then(|u| Url::parse(u).ok())
        {
            let at = Location {
                config_url: Some(config_url.to_string()),
                url: s.url.clone().or_else(|| Some(config_url.to_string())),
                redirect_to: s.redirect_to.clone(),
                redirect_streak: s.redirect_streak,
                gone: false,
                feed_url: None,
            };
            let validators = (s.etag.as_deref(), s.last_modified.as_deref());
            let reading = self
                .read_advertised(source, &feed, validators, at, now, preview)
                .await;
            if !went_away(&reading) {
                return reading;
            }
            info!(
                source = source.id,
                "the discovered feed {} no longer answers a feed; looking for one on {} again",
                public_url(&feed),
                public_url(config_url)
            );
            // The stored validators are the feed's, not the page's.
            page_state = Some(SourceState {
                etag: None,
                last_modified: None,
                feed_url: None,
                ..s.clone()
            });
        }
        let (body, location, fresh_for) = match self
            .fetch_listing(source, config_url, page_state.as_ref())
            .await
        {
            Ok(fetched) => fetched,
            Err(reading) => return reading,
        };
        // A cheap copy (the bytes are shared), kept to look for links in.
        let page = body.clone();
        match self.read_feed(source, body, now, preview).await {
            Ok(listing) => listing.reading(location, fresh_for),
            Err(ReadError::Feed(e)) if e.is_html_page() => {
                self.discover_on(source, page, location, now, preview).await
            }
            Err(error) => Reading::new(Err(error), location),
        }
    }

    /// The first feed the HTML `page` advertises, read; the HTML page
    /// error, saying no feed is advertised, when there is none.
    async fn discover_on(
        &self,
        source: &Source,
        page: fetch::Body,
        location: Location,
        now: DateTime<Utc>,
        preview: bool,
    ) -> Reading {
        let page_url = page.url.clone();
        let found = cpu(source.timeout, "autodiscovery", move || {
            let html = page_html(&page.bytes, page.content_type.as_deref());
            discover::alternates(&html, &page.url)
        })
        .await;
        let found = match found {
            Ok(found) => found,
            Err(e) => return Reading::new(Err(e), location),
        };
        let Some(feed) = discover::chosen(&found) else {
            return Reading::new(
                Err(ReadError::Feed(FeedError::html_page_without_feed())),
                location,
            );
        };
        info!(
            source = source.id,
            "{} is an HTML page; using the feed it advertises: {}",
            public_url(&page_url),
            public_url(&feed.url)
        );
        let feed = feed.url.clone();
        self.read_advertised(source, &feed, (None, None), location, now, preview)
            .await
    }

    /// Reads the advertised `feed` (with `validators`), remembering it in
    /// the reading's location.
    async fn read_advertised(
        &self,
        source: &Source,
        feed: &Url,
        validators: (Option<&str>, Option<&str>),
        mut location: Location,
        now: DateTime<Utc>,
        preview: bool,
    ) -> Reading {
        location.feed_url = Some(feed.to_string());
        let req = self.request(source, feed, validators, false);
        let resp = match self.ingest.fetcher.get(&req).await {
            Ok(resp) => resp,
            Err(e) => {
                let retry_after = match &e {
                    FetchError::Status { retry_after, .. } => *retry_after,
                    _ => None,
                };
                let mut reading = Reading::new(Err(e.into()), location);
                reading.retry_after = retry_after;
                return reading;
            }
        };
        let Some(body) = resp.body else {
            let mut reading = Reading::new(Ok(FetchOutcome::NotModified), location);
            reading.fresh_for = resp.fresh_for;
            return reading;
        };
        match self.read_feed(source, body, now, preview).await {
            Ok(listing) => listing.reading(location, resp.fresh_for),
            Err(e) => Reading::new(Err(e), location),
        }
    }
}

/// Whether a discovered feed is no longer there: it answers 404 or 410, or
/// no feed. Other failures (a timeout, a 500) are waited out at the same
/// URL.
fn went_away(reading: &Reading) -> bool {
    matches!(
        &reading.outcome,
        Err(ReadError::Feed(_))
            | Err(ReadError::Fetch(FetchError::Status {
                code: 404 | 410,
                ..
            }))
    )
}

/// One feed `tidings discover` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `rss`, `atom` or `json`.
    pub kind: &'static str,
    pub title: Option<String>,
    pub url: Url,
}

/// What `tidings discover` found at a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// The URL is a feed itself.
    Feed(Found),
    /// The feeds the page advertises, in page order.
    Advertised(Vec<Found>),
    /// The page advertises none; these common paths answer a feed.
    Probed(Vec<Found>),
}

/// `tidings discover URL`: whether `url` is a feed, else the feeds its page
/// advertises, else those of the common feed paths (`/feed`, `/rss.xml`,
/// …) on its site that answer a feed. Fetches as the daemon does (the address policy, `max_body`,
/// `timeout`, the user agent), with the `[fetch]` defaults and
/// `allow_private` as given.
///
/// Fails when the page cannot be fetched, or no feed is found
/// ([`AppError::NoFeed`]).
pub async fn discover(url: &str, allow_private: bool) -> Result<Discovery, AppError> {
    let url = Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| AppError::BadUrl(url.to_string()))?;
    let defaults = Fetch::defaults();
    let fetcher = Fetcher::new(&Limits {
        concurrency: defaults.concurrency,
        per_host: defaults.per_host,
        allow_private,
        proxy: None,
    })
    .map_err(AppError::Fetcher)?;
    let get = |target: Url| {
        let fetcher = &fetcher;
        let defaults = &defaults;
        async move {
            let req = fetch::Request {
                url: &target,
                etag: None,
                last_modified: None,
                user_agent: &defaults.user_agent,
                timeout: defaults.timeout,
                timeout_queued: true,
                max_body: defaults.max_body,
                headers: &[],
                headers_origin: &target,
            };
            fetcher.get(&req).await.map(|r| r.body)
        }
    };
    let page = match get(url.clone()).await {
        Ok(Some(body)) => body,
        Ok(None) => return Err(AppError::NoFeed(url.to_string(), "it answered 304".into())),
        Err(e) => return Err(AppError::Discover(url.to_string(), e)),
    };
    if let Some((kind, title)) = read_as_feed(&page, defaults.max_item) {
        return Ok(Discovery::Feed(Found {
            kind,
            title,
            url: page.url,
        }));
    }
    let html = page_html(&page.bytes, page.content_type.as_deref());
    let advertised: Vec<Found> = discover::alternates(&html, &page.url)
        .into_iter()
        .map(|a| Found {
            kind: a.kind(),
            title: a.title.clone(),
            url: a.url,
        })
        .collect();
    if !advertised.is_empty() {
        return Ok(Discovery::Advertised(advertised));
    }
    let mut probed = Vec::new();
    for path in COMMON_PATHS {
        let Ok(target) = page.url.join(path) else {
            continue;
        };
        if let Ok(Some(body)) = get(target).await
            && let Some((kind, title)) = read_as_feed(&body, defaults.max_item)
        {
            probed.push(Found {
                kind,
                title,
                url: body.url,
            });
        }
    }
    if probed.is_empty() {
        return Err(AppError::NoFeed(
            url.to_string(),
            format!(
                "the page advertises none (<link rel=\"alternate\">) and none of {} answers a feed",
                COMMON_PATHS.join(", ")
            ),
        ));
    }
    Ok(Discovery::Probed(probed))
}

/// The kind of feed `body` is (`rss`, `atom` or `json`) and its title,
/// when it reads as a feed.
fn read_as_feed(body: &fetch::Body, max_item: usize) -> Option<(&'static str, Option<String>)> {
    let parsed = crate::source::feed::parse(
        &body.bytes,
        body.content_type.as_deref(),
        body.url.as_str(),
        max_item,
        |_| None,
    )
    .ok()?;
    let head = String::from_utf8_lossy(&body.bytes[..body.bytes.len().min(64 * 1024)]).into_owned();
    let kind = if head
        .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .starts_with('{')
    {
        "json"
    } else {
        // The root element: the first tag that opens with a name.
        let root = head
            .split('<')
            .skip(1)
            .find(|t| t.starts_with(|c: char| c.is_ascii_alphabetic()))
            .and_then(|t| {
                t.split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                    .next()
            })
            .map(|name| name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase());
        if root.as_deref() == Some("feed") {
            "atom"
        } else {
            "rss"
        }
    };
    let title = parsed
        .title
        .map(|t| crate::normalize::plain_text(&t))
        .filter(|t| !t.is_empty());
    Some((kind, title))
}
