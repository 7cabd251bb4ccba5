//! Plain data shared by every stage: raw items as sources read them, normalized
//! items as the store keeps them, and what a rendered feed says about itself.
//!
//! Depends on nothing inside the crate; every other module may depend on it.

use chrono::{DateTime, FixedOffset, Utc};

/// A date as a source gave it: already parsed by the source's parser, or text
/// that normalization still has to read (in the source's time zone when it
/// carries no offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawDate {
    /// A date the source's parser already understood.
    At(DateTime<FixedOffset>),
    /// Text to parse: RFC 822, RFC 3339, ISO 8601 or a common broken form.
    Text(String),
}

/// A media file attached to an item (RSS `enclosure`, Atom `rel="enclosure"`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enclosure {
    pub url: String,
    pub mime_type: String,
    pub length: u64,
    /// Playing time in seconds (podcasts' `itunes:duration`, Media RSS).
    pub duration: Option<u64>,
}

/// One article as a source kind read it, before normalization.
///
/// Text fields hold what the source gave: titles may carry markup or
/// entities, links may be relative, HTML is unsanitized.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawItem {
    /// The source's own identifier (RSS guid, Atom id, JSON Feed id).
    pub guid: Option<String>,
    pub link: Option<String>,
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub published: Option<RawDate>,
    pub updated: Option<RawDate>,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    /// Base URL for relative links in this item (`xml:base`, else the
    /// document's URL).
    pub base_url: Option<String>,
}

/// One article after normalization: the unit the store keeps and feeds serve.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    /// The id of the source the item came through.
    pub source: String,
    /// Stable id within the source: the guid, else the canonical link, else a
    /// hash of title and content.
    pub id: String,
    /// Absolute URL with tracking parameters removed.
    pub link: Option<String>,
    /// Plain text, entities decoded, whitespace collapsed.
    pub title: String,
    pub authors: Vec<String>,
    /// Sanitized HTML.
    pub summary_html: Option<String>,
    /// Sanitized HTML.
    pub content_html: Option<String>,
    /// UTC; the first-seen time when the source gave no date.
    pub published: DateTime<Utc>,
    /// False when `published` is the first-seen time rather than the
    /// source's date, so the store keeps the first value it saw.
    pub dated: bool,
    pub updated: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    /// The other sources that carried the same article, which a merged
    /// feed's dedupe folded into this item, in id order. Made when a feed
    /// is composed; never stored.
    pub also_via: Vec<String>,
}

impl Item {
    /// An id that is unique across all sources and is an absolute IRI, as
    /// Atom's `id` and a merged feed's `guid` need: the item's id when it is
    /// an absolute URL or URN, else a `urn:tidings:` name built from the source
    /// and the item id.
    pub fn global_id(&self) -> String {
        if is_absolute_iri(&self.id) {
            self.id.clone()
        } else {
            let mut id = String::with_capacity(self.id.len() + self.source.len() + 16);
            id.push_str("urn:tidings:");
            id.push_str(&self.source);
            id.push(':');
            for c in self.id.chars() {
                if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                    id.push(c);
                } else {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        id.push_str(&format!("%{b:02X}"));
                    }
                }
            }
            id
        }
    }

    /// The time the item last changed: `updated` when known, else `published`.
    pub fn modified(&self) -> DateTime<Utc> {
        self.updated
            .map_or(self.published, |u| u.max(self.published))
    }
}

/// `scheme:rest` as RFC 3986 spells a scheme, with no whitespace: `https:`,
/// `urn:`, `tag:` and the like.
fn is_absolute_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !s.contains(char::is_whitespace)
}

/// What a rendered feed says about itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedMeta {
    /// `feeds/all` or `sources/wsws`: the path under the base URL, without
    /// extension; a feed on request adds its query (`feeds/all?limit=5`).
    pub path: String,
    pub title: String,
    pub description: String,
    /// The server's public base URL, without a trailing slash.
    pub base_url: String,
    /// Minutes a reader may cache the feed (RSS `ttl`).
    pub ttl_minutes: Option<u32>,
    /// A WebSub hub to advertise.
    pub hub: Option<String>,
    /// The newest change among the items (Atom `updated`, RSS `lastBuildDate`).
    pub updated: DateTime<Utc>,
    /// The sources a merged feed's items name as where they came from, by
    /// id. Empty for a source's own feed: it names no provenance.
    pub sources: std::collections::BTreeMap<String, SourceRef>,
    /// RFC 5005 links: set for a merged feed's subscription document and its
    /// archive pages.
    pub archive: Option<ArchiveLinks>,
}

/// How a feed document sits in its feed's archive (RFC 5005).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArchiveLinks {
    /// The subscription document's path (`feeds/all`), for `current` and
    /// the pages' URLs.
    pub current: String,
    /// This document's page number; `None` for the subscription document.
    pub page: Option<u64>,
    /// The page before it (older), `prev-archive`.
    pub prev: Option<u64>,
    /// The page after it (newer), `next-archive`.
    pub next: Option<u64>,
}

/// A source as a merged feed's items name it: every source that carried an
/// item (RSS `source` and `category`, Atom `source` and `via` links, JSON
/// Feed's `_tidings` extension).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceRef {
    pub id: String,
    /// The configured title, else the id.
    pub title: String,
    /// Where the source lives upstream, shown without secrets; `None` for
    /// local files.
    pub url: Option<String>,
    pub tags: Vec<String>,
}

impl FeedMeta {
    /// The public URL of the feed in one format: `{base_url}/{path}.{ext}`,
    /// and `?{query}` after it for a feed on request.
    pub fn url(&self, ext: &str) -> String {
        match self.path.split_once('?') {
            Some((path, query)) => format!("{}/{path}.{ext}?{query}", self.base_url),
            None => format!("{}/{}.{}", self.base_url, self.path, ext),
        }
    }

    /// The public URL of archive page `n` of this feed, in one format.
    pub fn archive_url(&self, n: u64, ext: &str) -> Option<String> {
        let a = self.archive.as_ref()?;
        Some(format!("{}/{}/archive/{n}.{ext}", self.base_url, a.current))
    }

    /// The RFC 5005 links of this document, as (relation, URL) in one
    /// format: `current`, `prev-archive`, `next-archive`.
    pub fn archive_links(&self, ext: &str) -> Vec<(&'static str, String)> {
        let Some(a) = &self.archive else {
            return Vec::new();
        };
        let mut links = Vec::new();
        if a.page.is_some() {
            links.push(("current", format!("{}/{}.{ext}", self.base_url, a.current)));
        }
        links.extend(
            a.prev
                .and_then(|n| self.archive_url(n, ext))
                .map(|u| ("prev-archive", u)),
        );
        links.extend(
            a.next
                .and_then(|n| self.archive_url(n, ext))
                .map(|u| ("next-archive", u)),
        );
        links
    }

    /// Whether this document is an archive page (`fh:archive`).
    pub fn is_archive(&self) -> bool {
        self.archive.as_ref().is_some_and(|a| a.page.is_some())
    }

    /// The public URL of a source's own feed on this server, in one format.
    pub fn source_url(&self, id: &str, ext: &str) -> String {
        format!("{}/sources/{id}.{ext}", self.base_url)
    }

    /// The sources that carried `item`, its own first, known to this feed.
    pub fn carriers<'a>(&'a self, item: &'a Item) -> impl Iterator<Item = &'a SourceRef> + 'a {
        std::iter::once(&item.source)
            .chain(&item.also_via)
            .filter_map(|id| self.sources.get(id))
    }

    /// The public URL of the server's index page, the feed's HTML alternate.
    pub fn home_url(&self) -> String {
        format!("{}/", self.base_url)
    }
}

/// What the index page (`GET /`) shows: the feeds, and each source's health.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Index {
    /// The server's public base URL, without a trailing slash.
    pub base_url: String,
    pub feeds: Vec<FeedLink>,
    pub sources: Vec<SourceHealth>,
}

/// One `[[feed]]` as the index page lists it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedLink {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Its newest items, as last rendered.
    pub recent: Vec<Headline>,
}

/// An item as a list of headlines shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Headline {
    pub title: String,
    pub link: Option<String>,
}

/// How a source is doing, for the index page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceHealth {
    pub id: String,
    /// `feed`, `html` or `files`.
    pub kind: String,
    /// The source's own title, when its feed gave one.
    pub title: Option<String>,
    /// Where it is fetched from (an http(s) URL), if anywhere.
    pub origin: Option<String>,
    pub last_fetch: Option<DateTime<Utc>>,
    /// When it is fetched next (a retry, after an error).
    pub next_due: Option<DateTime<Utc>>,
    /// `ok` or `error`; `None` before the first fetch.
    pub outcome: Option<String>,
    pub error: Option<String>,
    pub consecutive_errors: u32,
    pub items: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_id_keeps_urls_and_names_other_ids() {
        let mut item = Item {
            source: "blog".into(),
            id: "https://example.org/a".into(),
            ..Item::default()
        };
        assert_eq!(item.global_id(), "https://example.org/a");
        item.id = "tag:example.org,2026:a".into();
        assert_eq!(item.global_id(), "tag:example.org,2026:a");
        item.id = "post 42/é".into();
        assert_eq!(item.global_id(), "urn:tidings:blog:post%2042%2F%C3%A9");
    }
}
