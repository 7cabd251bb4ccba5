//! Entry points for the benchmarks in `benches/` and `bench/extraction/`
//! (built with the `bench` feature): the daemon's own ingest, render and
//! article extraction paths, stage by stage, so they can be timed and scored
//! beside their peers.
//!
//! Like `app`, it sees the stages it drives; nothing depends on it.

use crate::app::Format;
use crate::config::{ContentMode, Feed};
use crate::model::{FeedMeta, Item};
use crate::store::{FetchOutcome, FetchRecord, Location, SaveSummary, Store, StoreError};
use crate::{app, extract, normalize, source};
use chrono::{DateTime, Utc};

/// Why an ingest failed.
#[derive(Debug)]
pub enum IngestError {
    Parse(source::feed::FeedError),
    Store(StoreError),
}

/// What a feed fetch does with the bytes before it writes them: the
/// daemon's parse (encoding, the recovering XML tree, the items read off it) and normalization of
/// every item (ids, links, dates, sanitizing). Returns the feed's title and
/// items.
pub fn read(
    source: &str,
    url: &url::Url,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<(Option<String>, Vec<Item>), source::feed::FeedError> {
    let (title, _, pairs, _) = app::parse_feed(
        source,
        chrono_tz::UTC,
        bytes,
        Some("application/rss+xml"),
        url,
        now,
        1 << 20,
    )?;
    Ok((title, pairs.into_iter().map(|(_, item)| item).collect()))
}

/// [`read`], then the write of the items to the store in one transaction.
pub async fn ingest(
    store: &dyn Store,
    source: &str,
    url: &url::Url,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<SaveSummary, IngestError> {
    let (title, items) = read(source, url, bytes, now).map_err(IngestError::Parse)?;
    store
        .record_fetch(record(source, now, title, items))
        .await
        .map_err(IngestError::Store)
}

/// A successful fetch of `source` that read `items`.
pub fn record(
    source: &str,
    now: DateTime<Utc>,
    title: Option<String>,
    items: Vec<Item>,
) -> FetchRecord {
    FetchRecord {
        source: source.to_string(),
        at: now,
        next_due: now,
        location: Location::default(),
        outcome: FetchOutcome::Fetched {
            pages: Vec::new(),
            etag: None,
            last_modified: None,
            title,
            items,
        },
        max_items: u32::MAX,
        warning: None,
        health_changed: false,
        interval: None,
        keep_polls: 0,
    }
}

/// What the renderer does for a feed of `sources` (of `limit` items) after
/// a change: read its items from the store, compose them, render every
/// format and tag the bytes. Returns the bytes rendered.
pub async fn render_feed(
    store: &dyn Store,
    sources: &[String],
    limit: usize,
) -> Result<usize, StoreError> {
    let feed = Feed {
        id: "bench".into(),
        title: "Bench".into(),
        description: String::new(),
        sources: sources.to_vec(),
        limit,
        include: Vec::new(),
        exclude: Vec::new(),
        dedupe: false,
        content: ContentMode::Full,
        error_items: false,
        archive_page: 0,
    };
    let items = app::compose::compose(&feed, store.items(sources, limit).await?);
    let meta = FeedMeta {
        path: "feeds/bench".into(),
        title: feed.title,
        description: feed.description,
        base_url: "http://127.0.0.1:8080".into(),
        ttl_minutes: Some(60),
        hub: None,
        updated: items.iter().map(Item::modified).max().unwrap_or_default(),
        // As a served merged feed names its sources (provenance).
        sources: sources
            .iter()
            .map(|id| {
                let r = crate::model::SourceRef {
                    id: id.clone(),
                    title: id.clone(),
                    url: Some(format!("http://127.0.0.1:8081/{id}.xml")),
                    tags: vec!["bench".into()],
                };
                (id.clone(), r)
            })
            .collect(),
        archive: None,
    };
    let bytes = Format::ALL
        .iter()
        .map(|format| format.rendered(&meta, &items).1.body.len())
        .sum();
    Ok(bytes)
}

/// What article extraction alone finds on one page, before normalization.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    pub title: Option<String>,
    pub authors: Vec<String>,
    /// The publication date as the page gave it (RFC 3339 when the page's
    /// parser already read it).
    pub published: Option<String>,
    pub body_text: String,
}

/// The extraction stage on a decoded page, as `tidings extract` and the
/// daemon run it, without decoding and normalization. `None` when the page
/// holds no article.
pub fn extract(html: &str, url: Option<&url::Url>) -> Option<Extraction> {
    let article = extract::extract(html, url).ok()?;
    Some(Extraction {
        title: article.title,
        authors: article.authors,
        published: article.published.map(|d| match d {
            crate::model::RawDate::At(at) => at.to_rfc3339(),
            crate::model::RawDate::Text(text) => text,
        }),
        body_text: article.body_text,
    })
}

/// The page's bytes as text, as the daemon decodes a page whose response
/// names no charset.
pub fn decode(bytes: &[u8]) -> String {
    crate::text::decode::decode_html(bytes, None)
}

/// A date as the normalizer reads it (UTC, no offset given), as RFC 3339.
pub fn parse_date(text: &str) -> Option<String> {
    normalize::parse_date(text, chrono_tz::UTC).map(|d| d.to_rfc3339())
}
