//! The `feed` kind: RSS 0.90–2.0, RDF, Atom 0.3 and 1.0, and JSON Feed
//! 1.0/1.1 bytes → raw items.
//!
//! Every XML document is read once: `crate::text::decode` turns the bytes
//! into text (BOM, UTF-16/32, HTTP charset, XML declaration, stray
//! windows-1252 bytes), [`xml`] reads that text forgivingly into a tree (so
//! one bad spot costs at most the entries it breaks), each dialect's
//! spellings are mended in the tree (Atom without its namespace, CDF's
//! capitals), and the reader takes the feed and every item off it: titles,
//! ids, links, authors, dates, categories, enclosures, summary and content
//! (RSS `description` and `content:encoded`, Atom text constructs of every
//! type, base64 and `src` content included) and the summary fallbacks
//! podcasts and video sites use. No general feed parser reads the document
//! again (feed-rs, the peer of the ingest bench, used to, for summaries and
//! content: half the time of a cold cycle). JSON Feed is read leniently in
//! [`json`].
//!
//! Parts: `xml` (the forgiving tree), `dialect` (which dialect, its mends,
//! the kind of a text construct), `reader` (the feed and each item from the
//! tree), `json` (JSON Feed).
//!
//! Depends only on `model`.

mod dialect;
mod json;
mod reader;
#[cfg(test)]
mod tests;
mod xml;

use dialect::Dialect;
use reader::Reader;

use crate::model::RawItem;
use chrono::{DateTime, Utc};

/// What a feed document says about itself and its items.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// The site the feed belongs to.
    pub link: Option<String>,
    /// RSS `<ttl>`, in minutes.
    pub ttl: Option<u32>,
    pub items: Vec<RawItem>,
    /// The WebSub hubs the feed advertises (`rel="hub"` links, JSON Feed
    /// `hubs`), absolute, in document order.
    pub hubs: Vec<String>,
    /// The feed's own URL as it states it (`rel="self"`, JSON Feed
    /// `feed_url`): the topic to subscribe to.
    pub self_link: Option<String>,
}

/// Why a document could not be read as a feed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a readable feed: {reason}")]
pub struct FeedError {
    pub reason: String,
}

/// Why an HTML page is no feed: [`FeedError::is_html_page`] tells it apart.
const HTML_PAGE: &str = "the document is an HTML page, not RSS, Atom or JSON Feed";

impl FeedError {
    /// Whether the document was an HTML page (where autodiscovery looks
    /// for the feed it advertises).
    pub fn is_html_page(&self) -> bool {
        self.reason == HTML_PAGE
    }

    /// The HTML page error, saying the page advertises no feed either.
    pub fn html_page_without_feed() -> FeedError {
        FeedError::new(format!(
            "{HTML_PAGE}, and it advertises no feed (<link rel=\"alternate\">)"
        ))
    }

    fn new(reason: impl Into<String>) -> FeedError {
        FeedError {
            reason: reason.into(),
        }
    }
}

/// Reads date text (in the source's time zone when it carries no offset).
type DateParser<'a> = &'a (dyn Fn(&str) -> Option<DateTime<Utc>> + Send + Sync);

/// Parses a feed document fetched from `url`.
///
/// `content_type` is the HTTP header, for its charset; a text longer than
/// `max_text` bytes (an item's content) is cut there. `parse_date` reads
/// date text (it knows the source's time zone). Fails when the bytes are not
/// RSS, Atom or JSON Feed at all; a feed broken in places gives the items
/// that can be read.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &str,
    max_text: usize,
    parse_date: impl Fn(&str) -> Option<DateTime<Utc>> + Send + Sync + 'static,
) -> Result<ParsedFeed, FeedError> {
    let text = crate::text::decode::decode_xml(bytes, content_type);
    let body = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if body.starts_with('{') {
        return json::parse(body, &parse_date);
    }
    let blank = body.trim().is_empty();
    let mut doc = xml::parse(skip_leading_junk(body), Some(url), max_text);
    // The tree holds its own copy of every text; the decoded document goes.
    drop(text);
    let Some(root) = doc.root() else {
        return Err(FeedError::new(if blank {
            "the document is empty"
        } else {
            "the document has no XML element"
        }));
    };
    // A feed wrapped in an HTML page (a CMS template around it) is read
    // from its own root.
    let root_at = if root.local.eq_ignore_ascii_case("html") {
        doc.elements
            .iter()
            .position(|e| matches!(e.local.as_str(), "feed" | "rss" | "RDF"))
            .unwrap_or(0)
    } else {
        0
    };
    let dialect = Dialect::of(&doc.elements[root_at])?;
    dialect.normalize(&mut doc);
    let reader = Reader {
        doc: &doc,
        root_at,
        dialect,
        parse_date: &parse_date,
    };
    Ok(reader.read())
}

/// The document from its XML declaration or root on, when something else
/// comes first (a PHP warning in HTML, a stray line a CMS printed).
fn skip_leading_junk(body: &str) -> &str {
    if !body.starts_with('<') || body.starts_with("<b>") || body.starts_with("<br") {
        let head = &body[..body.floor_char_boundary(64 * 1024)];
        let start = ["<?xml", "<rss", "<feed", "<rdf:RDF", "<RDF"]
            .iter()
            .filter_map(|m| head.find(m))
            .min();
        if let Some(start) = start {
            return &body[start..];
        }
    }
    body
}
