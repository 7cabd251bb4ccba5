//! The `html` kind: a web page that lists articles but has no feed.
//!
//! With CSS selectors ([`Selectors`]) each matching element is one item: its
//! title, link, date (the `datetime` attribute, else the text) and summary.
//! Without them, [`article_links`] finds the links on the page that lead to
//! articles, leaving out navigation, category, tag, author, share, paging and
//! footer links; `app` fetches each and hands it to `extract`.
//!
//! Depends only on `model` and `text`; parses HTML and selectors with
//! `dom_query` (the DOM crate the extraction stage uses too).

use crate::model::{RawDate, RawItem};
use crate::text::collapse_whitespace;
use dom_query::{Document, Matcher, NodeRef, Selection};
use url::Url;

/// CSS selectors for a listing page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selectors<'a> {
    /// One element per item.
    pub item: &'a str,
    /// Inside an item: its title (else the link's text).
    pub title: Option<&'a str>,
    /// Inside an item: the element whose `href` is the link (else the first
    /// link in the item, or the item itself when it is a link).
    pub link: Option<&'a str>,
    /// Inside an item: its date, from `datetime` or the text.
    pub date: Option<&'a str>,
    /// Inside an item: its summary, as HTML.
    pub summary: Option<&'a str>,
}

/// A selector from the config that CSS cannot parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CSS selector {selector:?}: {message}")]
pub struct BadSelector {
    pub selector: String,
    pub message: String,
}

/// `text` compiled as a CSS selector list.
pub fn selector(text: &str) -> Result<Matcher, BadSelector> {
    Matcher::new(text).map_err(|e| BadSelector {
        selector: text.to_string(),
        message: match e.kind {
            cssparser::ParseErrorKind::Basic(kind) => kind.to_string(),
            cssparser::ParseErrorKind::Custom(kind) => format!("{kind:?}"),
        },
    })
}

/// The items on a listing page, in page order. Links are made absolute
/// against `page_url`, and an item's link is its guid; an element without a
/// title and a link is skipped.
///
/// Fails when a selector is not valid CSS.
pub fn list(html: &str, page_url: &Url, select: &Selectors) -> Result<Vec<RawItem>, BadSelector> {
    let doc = Document::from(html);
    let item = selector(select.item)?;
    let part = |s: Option<&str>| s.map(selector).transpose();
    let (title, link, date, summary) = (
        part(select.title)?,
        part(select.link)?,
        part(select.date)?,
        part(select.summary)?,
    );
    let any_link = selector("a[href]")?;
    let mut items = Vec::new();
    for el in doc.select_matcher(&item).nodes() {
        let link_el = match &link {
            Some(s) => first(el, &Some(s.clone())),
            None if el.has_name("a") => Some(*el),
            None => first(el, &Some(any_link.clone())),
        };
        let href = link_el
            .and_then(|a| a.attr("href"))
            .and_then(|h| page_url.join(h.trim()).ok())
            .map(String::from);
        let title = first(el, &title)
            .or(link_el)
            .map(|t| text(&t))
            .filter(|t| !t.is_empty());
        if title.is_none() && href.is_none() {
            continue;
        }
        let published = first(el, &date).and_then(|d| {
            let value = d
                .attr("datetime")
                .map(|v| v.to_string())
                .unwrap_or_else(|| text(&d));
            Some(value.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(RawDate::Text)
        });
        items.push(RawItem {
            guid: href.clone(),
            link: href,
            title,
            summary_html: first(el, &summary).map(|s| s.inner_html().to_string()),
            published,
            base_url: Some(page_url.to_string()),
            ..RawItem::default()
        });
    }
    Ok(items)
}

/// The first element inside `el` that `s` matches.
fn first<'a>(el: &NodeRef<'a>, s: &Option<Matcher>) -> Option<NodeRef<'a>> {
    let s = s.as_ref()?;
    Selection::from(*el)
        .select_single_matcher(s)
        .nodes()
        .first()
        .copied()
}

/// Tags whose links are site chrome, not articles.
const CHROME_TAGS: &[&str] = &["nav", "header", "footer", "aside", "form"];

/// Words in a class or id (split at `-` and `_`) of containers whose links
/// are not articles.
const CHROME_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "topnav",
    "subnav",
    "footer",
    "header",
    "masthead",
    "breadcrumb",
    "breadcrumbs",
    "share",
    "sharing",
    "social",
    "tags",
    "tag",
    "categories",
    "category",
    "author",
    "byline",
    "pagination",
    "pager",
    "sidebar",
    "widget",
    "cookie",
    "comments",
    "comment",
];

/// Path words of pages that list or describe rather than tell: categories,
/// tags, authors, paging, site pages.
const NON_ARTICLE_PATHS: &[&str] = &[
    "tag",
    "tags",
    "category",
    "categories",
    "topic",
    "topics",
    "section",
    "author",
    "authors",
    "user",
    "users",
    "profile",
    "page",
    "search",
    "login",
    "signin",
    "register",
    "subscribe",
    "account",
    "about",
    "contact",
    "privacy",
    "terms",
    "imprint",
    "impressum",
    "feed",
    "rss",
    "share",
    "archive",
    "archives",
    "newsletter",
    "jobs",
    "cdn-cgi",
];

/// Link text this many words long reads like a headline.
const HEADLINE_WORDS: usize = 4;

/// The links on a page that lead to articles, absolute, without fragments,
/// each once, in page order; at most `max`.
///
/// A link counts when it stays on the page's host, is not inside navigation,
/// a header, footer, sidebar, share bar, tag or author box, does not point to
/// a category, tag, author, paging or site page, and either its URL looks
/// like an article's (a date in the path, a slug with hyphens, a `.html`
/// file, a numeric id) or its text reads like a headline.
pub fn article_links(html: &str, page_url: &Url, max: usize) -> Vec<Url> {
    let doc = Document::from(html);
    let Ok(links) = selector("a[href]") else {
        return Vec::new();
    };
    let mut found: Vec<Url> = Vec::new();
    for a in doc.select_matcher(&links).nodes() {
        if found.len() == max {
            break;
        }
        let Some(mut url) = a.attr("href").and_then(|h| page_url.join(h.trim()).ok()) else {
            continue;
        };
        url.set_fragment(None);
        let rel_skips = a.attr("rel").is_some_and(|r| {
            r.split_ascii_whitespace()
                .any(|r| ["tag", "author", "category", "nofollow", "next", "prev"].contains(&r))
        });
        if rel_skips
            || !matches!(url.scheme(), "http" | "https")
            || !same_site(&url, page_url)
            || url.path() == page_url.path()
            || found.contains(&url)
            || in_chrome(a)
        {
            continue;
        }
        let segments: Vec<String> = url
            .path_segments()
            .map(|s| {
                s.filter(|s| !s.is_empty())
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        if segments.is_empty()
            || segments
                .iter()
                .any(|s| NON_ARTICLE_PATHS.contains(&s.as_str()))
        {
            continue;
        }
        let words = text(a).split_whitespace().count();
        if looks_like_article(&segments) || words >= HEADLINE_WORDS {
            found.push(url);
        }
    }
    found
}

fn same_site(a: &Url, b: &Url) -> bool {
    let host = |u: &Url| {
        u.host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    };
    host(a) == host(b) && a.port_or_known_default() == b.port_or_known_default()
}

/// A path with a year, a `.html` file, a numeric id or a slug of three words
/// or more.
fn looks_like_article(segments: &[String]) -> bool {
    let last = segments.last().map(String::as_str).unwrap_or_default();
    let year = segments.iter().any(|s| {
        s.len() == 4 && s.starts_with(['1', '2']) && s.bytes().all(|b| b.is_ascii_digit())
    });
    year || last.ends_with(".html")
        || last.ends_with(".htm")
        || (last.len() >= 4 && last.bytes().all(|b| b.is_ascii_digit()))
        || last.split(['-', '_']).filter(|w| !w.is_empty()).count() >= 3
}

/// Whether the element sits in site chrome (see [`CHROME_TAGS`] and
/// [`CHROME_WORDS`]).
fn in_chrome(el: &NodeRef<'_>) -> bool {
    std::iter::once(*el)
        .chain(el.ancestors_it(None))
        .filter(NodeRef::is_element)
        .any(|e| {
            if e.node_name()
                .is_some_and(|n| CHROME_TAGS.contains(&n.as_ref()))
            {
                return true;
            }
            let role = e.attr("role").unwrap_or_default();
            if matches!(
                role.as_ref(),
                "navigation" | "banner" | "contentinfo" | "complementary"
            ) {
                return true;
            }
            let class = e.attr("class").unwrap_or_default();
            let id = e.attr("id").unwrap_or_default();
            class
                .split_ascii_whitespace()
                .chain(std::iter::once(id.as_ref()))
                .any(|name| {
                    name.to_ascii_lowercase()
                        .split(['-', '_'])
                        .any(|w| CHROME_WORDS.contains(&w))
                })
        })
}

/// An element's text, whitespace collapsed.
fn text(el: &NodeRef<'_>) -> String {
    collapse_whitespace(&el.text())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRONT: &str = include_str!("../../tests/fixtures/pages/front.html");

    #[test]
    fn finds_only_the_article_links() {
        let page = Url::parse("http://news.example/").unwrap();
        let links: Vec<String> = article_links(FRONT, &page, 30)
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            links,
            [
                "http://news.example/2021/04/harbour-bridge-closes",
                "http://news.example/science/lake-sediment-century-of-pollution",
                "http://news.example/en/2017/07/31/council.html",
            ]
        );
        assert_eq!(article_links(FRONT, &page, 1).len(), 1);
    }

    #[test]
    fn lists_items_by_selectors() {
        let page = Url::parse("http://news.example/").unwrap();
        let select = Selectors {
            item: "div.teaser",
            title: Some("h2"),
            link: Some("h2 a"),
            date: Some("time"),
            summary: Some("p.excerpt"),
        };
        let items = list(FRONT, &page, &select).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[0].title.as_deref(),
            Some("Harbour bridge closes for six months of repairs")
        );
        assert_eq!(
            items[0].link.as_deref(),
            Some("http://news.example/2021/04/harbour-bridge-closes")
        );
        assert_eq!(
            items[0].published,
            Some(RawDate::Text("2021-04-06T08:30:00+02:00".into()))
        );
        assert_eq!(
            items[2].published,
            Some(RawDate::Text("31 July 2017".into()))
        );
        assert!(
            items[1]
                .summary_html
                .as_deref()
                .unwrap()
                .contains("Cores drilled")
        );
        let bad = Selectors {
            item: "div[",
            ..Selectors::default()
        };
        assert!(list(FRONT, &page, &bad).is_err());
    }

    #[test]
    fn bad_selectors_say_what_is_wrong() {
        let e = selector("article[[").unwrap_err();
        assert_eq!(e.selector, "article[[");
        assert!(!e.message.is_empty(), "{e}");
        assert!(
            e.to_string()
                .starts_with("invalid CSS selector \"article[[\": "),
            "{e}"
        );
        assert!(selector("div.teaser > h2 a, time[datetime]").is_ok());
    }
}
