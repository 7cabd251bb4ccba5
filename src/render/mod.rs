//! Feed rendering: turns a feed's [`FeedMeta`] and its normalized [`Item`]s
//! into the bytes served as RSS 2.0, Atom 1.0 and JSON Feed 1.1, and an
//! [`Index`] into the HTML index page.
//!
//! Every function here is pure: the output depends only on the arguments (no
//! clock, no randomness, no hash-map order), so several instances serving the
//! same items produce identical bytes and ETags. Items are rendered in the
//! order given (the caller passes them newest first).
//!
//! Depends only on [`crate::model`] inside the crate, and on the `rss`,
//! `atom_syndication`, `serde`, `serde_json` and `chrono` crates.
//!
//! [`FeedMeta`]: crate::model::FeedMeta
//! [`Item`]: crate::model::Item
//! [`Index`]: crate::model::Index

mod article;
mod atom;
mod index;
mod json;
mod rss;

pub use self::article::article_page;
pub use self::atom::atom;
pub use self::index::index;
pub use self::json::json;
pub use self::rss::rss;

use crate::model::{FeedMeta, Item};
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

/// The generator name every format advertises.
const GENERATOR: &str = "tidings";

/// The title of an item whose source gave none, where a format needs one.
const UNTITLED: &str = "Untitled";

/// MIME's "unknown type", for enclosures whose type the source did not give
/// (RSS and JSON Feed require one).
const UNKNOWN_MIME: &str = "application/octet-stream";

/// The category domain (RSS) and scheme (Atom) naming a source that
/// carried an item, and the one naming a tag of such a source.
const SOURCE_SCHEME: &str = "tag:tidings,2026:source";
const TAG_SCHEME: &str = "tag:tidings,2026:tag";

/// The tags of every source that carried `item`, each once, in the order
/// the sources and their tags come.
fn carrier_tags<'a>(meta: &'a FeedMeta, item: &'a Item) -> Vec<&'a str> {
    let mut tags: Vec<&str> = Vec::new();
    for tag in meta.carriers(item).flat_map(|s| &s.tags) {
        if !tags.contains(&tag.as_str()) {
            tags.push(tag);
        }
    }
    tags
}

/// RFC 5005's namespace, for `fh:archive`.
const FH_NS: &str = "http://purl.org/syndication/history/1.0";

/// RFC 3339 in UTC with a `Z` and whole seconds, as Atom and JSON Feed use:
/// `2017-07-31T12:00:00Z`.
fn rfc3339(at: DateTime<Utc>) -> String {
    at.trunc_subsecs(0)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Drops the characters XML 1.0 forbids anywhere in a document (C0 controls
/// other than tab, newline and carriage return, and U+FFFE/U+FFFF).
///
/// Neither XML writer checks for them, and a single one makes the whole feed
/// ill-formed. Sanitized text can still carry them (e.g. a decoded `&#1;`), and
/// markup never does, so filtering the finished document is exact.
fn xml_chars_only(doc: String) -> Vec<u8> {
    // XML 1.0's `Char` production; a `char` is never a surrogate.
    fn allowed(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | ' '..='\u{fffd}' | '\u{10000}'..)
    }
    if doc.chars().all(allowed) {
        doc.into_bytes()
    } else {
        doc.chars()
            .filter(|&c| allowed(c))
            .collect::<String>()
            .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rfc3339_is_utc_z_without_fraction() {
        let at = Utc.with_ymd_and_hms(2017, 7, 31, 12, 0, 5).unwrap()
            + chrono::Duration::milliseconds(250);
        assert_eq!(rfc3339(at), "2017-07-31T12:00:05Z");
    }

    #[test]
    fn xml_chars_only_drops_forbidden_characters() {
        let doc = "<a>x\u{1}\ty\n\u{ffff}z\u{e9}</a>".to_string();
        assert_eq!(xml_chars_only(doc), "<a>x\ty\nz\u{e9}</a>".as_bytes());
    }
}

/// Shared fixtures for the format tests.
#[cfg(test)]
mod fixtures {
    use crate::model::{Enclosure, FeedMeta, Item, SourceRef};
    use chrono::{TimeZone, Utc};

    pub fn meta() -> FeedMeta {
        FeedMeta {
            path: "feeds/all".into(),
            title: "All & <everything>".into(),
            description: "Every source, merged".into(),
            base_url: "https://news.example.org".into(),
            ttl_minutes: Some(30),
            hub: Some("https://hub.example.net/".into()),
            updated: Utc.with_ymd_and_hms(2024, 3, 5, 9, 30, 0).unwrap(),
            sources: Default::default(),
            archive: None,
        }
    }

    /// A fully populated item whose id is its link (a permalink).
    pub fn full() -> Item {
        Item {
            source: "blog".into(),
            id: "https://blog.example.com/p/1".into(),
            link: Some("https://blog.example.com/p/1".into()),
            title: "Fish & <chips> ]]> done".into(),
            authors: vec!["Ann Author".into(), "Bob".into()],
            summary_html: Some("<p>Short &amp; <b>sweet</b> ]]&gt;</p>".into()),
            content_html: Some("<p>Long body with ]]> inside &amp; more</p>".into()),
            published: Utc.with_ymd_and_hms(2024, 3, 4, 8, 0, 0).unwrap(),
            dated: true,
            updated: Some(Utc.with_ymd_and_hms(2024, 3, 5, 9, 30, 0).unwrap()),
            categories: vec!["food".into(), "news & views".into()],
            enclosures: vec![
                Enclosure {
                    url: "https://cdn.example.com/a.mp3".into(),
                    mime_type: "audio/mpeg".into(),
                    length: 12345,
                    duration: None,
                },
                Enclosure {
                    url: "https://cdn.example.com/b.ogg".into(),
                    mime_type: "audio/ogg".into(),
                    length: 678,
                    duration: None,
                },
            ],
            also_via: Vec::new(),
        }
    }

    /// An item with a link that differs from its (non-URL) id.
    pub fn linked() -> Item {
        Item {
            source: "wsws".into(),
            id: "post 42".into(),
            link: Some("https://wsws.example.org/en/42.html".into()),
            title: "Second".into(),
            summary_html: Some("<p>Only a summary</p>".into()),
            published: Utc.with_ymd_and_hms(2024, 3, 3, 7, 0, 0).unwrap(),
            dated: true,
            ..Item::default()
        }
    }

    /// An item with no link, no author, no summary and no content.
    pub fn bare() -> Item {
        Item {
            source: "notes".into(),
            id: "n-1".into(),
            title: "Bare".into(),
            published: Utc.with_ymd_and_hms(2024, 3, 2, 6, 0, 0).unwrap(),
            ..Item::default()
        }
    }

    pub fn items() -> Vec<Item> {
        vec![full(), linked(), bare()]
    }

    /// A merged feed's metadata naming two sources, and an item that came
    /// through `wsws` and also through `mirror` (dedupe merged the copies).
    pub fn merged() -> (FeedMeta, Item) {
        let source = |id: &str, title: &str, url: Option<&str>, tags: &[&str]| {
            let r = SourceRef {
                id: id.into(),
                title: title.into(),
                url: url.map(str::to_string),
                tags: tags.iter().map(|t| t.to_string()).collect(),
            };
            (id.to_string(), r)
        };
        let mut meta = meta();
        meta.sources = [
            source(
                "wsws",
                "World Socialist Web Site",
                Some("https://wsws.example.org/rss"),
                &["news", "world"],
            ),
            source("mirror", "Mirror & Co", None, &["world", "archive"]),
        ]
        .into_iter()
        .collect();
        let mut item = linked();
        item.also_via = vec!["mirror".into()];
        (meta, item)
    }
}
