//! Normalization: turns a [`RawItem`] as a source read it into the [`Item`]
//! the store keeps. Links become absolute and lose tracking parameters, HTML
//! is sanitized, titles and names become plain text, dates become UTC, and
//! every item gets a stable id.
//!
//! Parts: `url` (links), `html` (sanitizer, plain text), `fast` (the
//! sanitizer's one-pass path for the usual simple HTML),
//! `date` (every date form to UTC); this module turns a whole item.
//!
//! Pure functions without I/O; depends inside the crate only on `model`.

mod date;
mod fast;
mod html;
#[cfg(test)]
mod tests;
mod url;

pub use date::parse_date;
pub use html::{plain_text, sanitize_html};

/// The sanitizer's two paths apart, for the tests and the fuzz oracle that
/// compare them: the fast one (`None` outside its subset) and ammonia's.
#[cfg(any(test, feature = "fuzzing"))]
pub fn sanitize_paths(html: &str, base: Option<&Url>) -> (Option<String>, String) {
    (
        fast::sanitize(html, base),
        html::sanitize_by_ammonia(html, base),
    )
}
pub use url::clean_url;

use std::cell::LazyCell;
use std::collections::HashSet;

use ::url::Url;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use crate::model::{Enclosure, Item, RawDate, RawItem};

/// What normalization needs to know about where an item came from.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The source id.
    pub source: &'a str,
    /// The document URL, for relative links when the item has no base of its own.
    pub base_url: Option<&'a Url>,
    /// The zone for dates that carry no offset.
    pub timezone: Tz,
    /// Fetch time: first-seen time for undated items, and the clamp for future dates.
    pub now: DateTime<Utc>,
    /// Bytes of an item's HTML (content, summary) and of its categories and
    /// authors together kept: what goes beyond is cut.
    pub max_item: usize,
}

/// The earliest date an item gets: 0001-01-01T00:00:00Z.
const EARLIEST: DateTime<Utc> = DateTime::from_timestamp(-62_135_596_800, 0).expect("year 1");

/// Longest title, in characters, cut from the body when the item has none.
const TITLE_FROM_BODY_CHARS: usize = 80;

/// Turns a raw item into a normalized one (see the module doc).
pub fn item(raw: RawItem, ctx: &Context) -> Item {
    let base = item_base(raw.base_url.as_deref(), ctx.base_url);
    let base = base.as_ref();

    let guid = raw.guid.as_deref().map(str::trim).filter(|g| !g.is_empty());
    // Whether a guid is also the item's page is the source kind's to say
    // (an RSS guid unless `isPermaLink="false"`); here it is only an id.
    let link = raw.link.as_deref().and_then(|l| clean_url(l, base));

    let title_text = raw.title.as_deref().map(plain_text).unwrap_or_default();
    // The body's text is only needed for an item without title, or without
    // guid and link; reading it costs a parse of the body.
    let body_text = LazyCell::new(|| {
        [&raw.content_html, &raw.summary_html]
            .into_iter()
            .flatten()
            .map(|html| plain_text(html))
            .find(|text| !text.is_empty())
            .unwrap_or_default()
    });

    let id = match (guid, &link) {
        (Some(guid), _) => guid.to_owned(),
        (None, Some(link)) => link.clone(),
        (None, None) => content_hash(&title_text, &body_text),
    };

    let title = if !title_text.is_empty() {
        title_text
    } else if !body_text.is_empty() {
        excerpt(&body_text, TITLE_FROM_BODY_CHARS)
    } else if let Some(link) = &link {
        link.clone()
    } else {
        "(untitled)".to_owned()
    };

    // Cut before sanitizing: the parser closes what the cut leaves open.
    let sanitize = |html: Option<String>| {
        html.map(|h| sanitize_html(cut_at(&h, ctx.max_item), base))
            .filter(|h| !h.trim().is_empty())
    };

    let read_date = |date: Option<&RawDate>| {
        let date = match date? {
            RawDate::At(at) => at.with_timezone(&Utc),
            RawDate::Text(text) => parse_date(text, ctx.timezone)?,
        };
        // Dates before year 1 cannot be written in RFC 3339 or RFC 822
        // (chrono writes `-0001-12-31…`): they become its first instant.
        Some(date.min(ctx.now).max(EARLIEST))
    };
    let updated = read_date(raw.updated.as_ref());
    let (published, dated) = match read_date(raw.published.as_ref()).or(updated) {
        Some(date) => (date, true),
        None => (ctx.now, false),
    };

    Item {
        source: ctx.source.to_owned(),
        id,
        link,
        title,
        authors: distinct_texts(&raw.authors, ctx.max_item),
        summary_html: sanitize(raw.summary_html),
        content_html: sanitize(raw.content_html),
        published,
        dated,
        updated: updated.filter(|u| *u != published),
        categories: distinct_texts(&raw.categories, ctx.max_item),
        enclosures: raw
            .enclosures
            .into_iter()
            .filter_map(|e| {
                Some(Enclosure {
                    url: clean_url(&e.url, base)?,
                    ..e
                })
            })
            .collect(),
        also_via: Vec::new(),
    }
}

/// The base for an item's relative links: its own base (itself possibly
/// relative to the document, as `xml:base` may be), else the document URL.
fn item_base(own: Option<&str>, document: Option<&Url>) -> Option<Url> {
    let own = own.map(str::trim).filter(|b| !b.is_empty()).and_then(|b| {
        match document {
            Some(document) => document.join(b),
            None => Url::parse(b),
        }
        .ok()
    });
    own.or_else(|| document.cloned())
}

/// `sha256:` and the hex digest of title and body text: an id for items
/// that have neither guid nor link, stable as long as their text is.
fn content_hash(title: &str, body: &str) -> String {
    let digest = Sha256::digest(format!("{title}\n{body}"));
    format!("sha256:{}", hex::encode(digest))
}

/// The first `max_chars` characters of `text`, cut back to a word boundary
/// and marked with "…" when anything was cut.
fn excerpt(text: &str, max_chars: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return text.to_owned();
    };
    let head = &text[..cut];
    let head = if text[cut..].starts_with(char::is_whitespace) {
        head
    } else {
        // A single overlong word is cut hard rather than dropped.
        head.rfind(char::is_whitespace)
            .map_or(head, |space| &head[..space])
    };
    format!("{}…", head.trim_end())
}

/// Plain text of each value, without empties and repeats, in first-seen
/// order, while their bytes add up to at most `max_bytes`.
fn distinct_texts(values: &[String], max_bytes: usize) -> Vec<String> {
    // A set, not a scan of what was kept: an item may carry tens of
    // thousands of categories.
    let mut seen = HashSet::new();
    let mut texts: Vec<String> = Vec::new();
    let mut bytes = 0;
    for value in values {
        let text = plain_text(value);
        if text.is_empty() || seen.contains(&text) {
            continue;
        }
        bytes += text.len();
        if bytes > max_bytes {
            break;
        }
        seen.insert(text.clone());
        texts.push(text);
    }
    texts
}

/// The first `max` bytes of `text`, cut back to a character boundary.
fn cut_at(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
