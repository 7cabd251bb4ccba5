//! Feed autodiscovery: the feeds an HTML page advertises with
//! `<link rel="alternate" type="…">`, read with `dom_query` (the DOM crate
//! the other HTML readers use), and the common paths at which a site
//! without such links may still serve one.
//!
//! Depends only on `url`; fetching the page and the feeds happens in `app`.

use dom_query::Document;
use url::Url;

/// One feed a page advertises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternate {
    /// The advertised media type, lowercased: `application/rss+xml`,
    /// `application/atom+xml`, `application/feed+json` or
    /// `application/json`.
    pub mime: String,
    /// The link's `title`, when it has one.
    pub title: Option<String>,
    /// The feed's absolute URL (resolved against `<base href>`, else the
    /// page's URL).
    pub url: Url,
}

impl Alternate {
    /// The kind of feed, in a word: `rss`, `atom` or `json`.
    pub fn kind(&self) -> &'static str {
        match self.mime.as_str() {
            "application/rss+xml" => "rss",
            "application/atom+xml" => "atom",
            _ => "json",
        }
    }
}

/// The media types of feeds; `application/json` is last because pages use
/// it for more than feeds (see [`chosen`]).
const FEED_TYPES: [&str; 4] = [
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
];

/// Paths at which sites commonly serve a feed, tried by `tidings discover`
/// on a page that advertises none.
pub const COMMON_PATHS: [&str; 7] = [
    "/feed",
    "/rss",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/feed.json",
];

/// Every feed `html` (a page fetched from `page_url`) advertises, in page
/// order, each URL once. Only `http`/`https` URLs count.
pub fn alternates(html: &str, page_url: &Url) -> Vec<Alternate> {
    let doc = Document::from(html);
    let base = doc
        .select("base[href]")
        .iter()
        .next()
        .and_then(|b| b.attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut found: Vec<Alternate> = Vec::new();
    for link in doc.select("link[rel][href]").iter() {
        let rel = link.attr("rel").unwrap_or_default();
        if !rel
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case("alternate"))
        {
            continue;
        }
        let mime = link
            .attr("type")
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if !FEED_TYPES.contains(&mime.as_str()) {
            continue;
        }
        let Some(url) = link.attr("href").and_then(|h| base.join(h.trim()).ok()) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") || found.iter().any(|a| a.url == url) {
            continue;
        }
        let title = link
            .attr("title")
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty());
        found.push(Alternate { mime, title, url });
    }
    found
}

/// The feed a source uses among a page's `alternates`: the first RSS, Atom
/// or JSON Feed one; a plain `application/json` link only when there is
/// none of those, as WordPress advertises its REST API with that type on
/// every page, after its feeds.
pub fn chosen(alternates: &[Alternate]) -> Option<&Alternate> {
    alternates
        .iter()
        .find(|a| a.mime != "application/json")
        .or_else(|| alternates.first())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://example.org/blog/post.html").unwrap()
    }

    #[test]
    fn every_feed_type_is_found_with_absolute_urls() {
        let html = r#"<html><head>
            <link rel="stylesheet" href="/s.css">
            <link rel="alternate" type="application/rss+xml" title="  Posts
              (RSS) " href="/feed.xml">
            <link rel="Alternate" type="Application/Atom+XML; charset=utf-8" href="atom.xml">
            <link rel="alternate feed" type="application/feed+json" href="https://cdn.example.net/f.json">
            <link rel="alternate" type="application/json" href="../wp-json/">
            <link rel="alternate" type="text/html" hreflang="de" href="/de/">
            <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
            <link rel="alternate" type="application/rss+xml" href="/feed.xml">
        </head></html>"#;
        let found = alternates(html, &page());
        let urls: Vec<&str> = found.iter().map(|a| a.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://example.org/feed.xml",
                "https://example.org/blog/atom.xml",
                "https://cdn.example.net/f.json",
                "https://example.org/wp-json/",
            ]
        );
        let kinds: Vec<&str> = found.iter().map(Alternate::kind).collect();
        assert_eq!(kinds, ["rss", "atom", "json", "json"]);
        assert_eq!(found[0].title.as_deref(), Some("Posts (RSS)"));
        assert_eq!(found[1].mime, "application/atom+xml");
        assert_eq!(chosen(&found).unwrap().url.as_str(), urls[0]);
    }

    #[test]
    fn base_href_resolves_relative_links() {
        let html = r#"<head><base href="https://static.example.org/site/">
            <link rel="alternate" type="application/atom+xml" href="feeds/all.atom"></head>"#;
        let found = alternates(html, &page());
        assert_eq!(
            found[0].url.as_str(),
            "https://static.example.org/site/feeds/all.atom"
        );
    }

    #[test]
    fn plain_json_is_chosen_only_without_a_real_feed() {
        let html = r#"<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/2">
            <link rel="alternate" type="application/atom+xml" href="/atom">"#;
        let found = alternates(html, &page());
        assert_eq!(chosen(&found).unwrap().url.path(), "/atom");
        let only = r#"<link rel="alternate" type="application/json" href="/feed.json">"#;
        let found = alternates(only, &page());
        assert_eq!(chosen(&found).unwrap().url.path(), "/feed.json");
    }

    #[test]
    fn a_page_without_alternates_has_none() {
        let html = "<html><head><title>x</title><link rel=\"icon\" href=\"/i.png\"></head></html>";
        assert!(alternates(html, &page()).is_empty());
        assert!(chosen(&[]).is_none());
    }
}
