//! HTML article files: title, author, date, canonical link and main content
//! read from the parsed page (`dom_query`, the DOM crate the extraction
//! stage uses too), after the page is held to the work budget. Full
//! content extraction belongs to another stage.

use dom_query::{Document, Selection};

use crate::model::{RawDate, RawItem};
use crate::text::budget::tame;

/// One article from an HTML file's text; its guid is the canonical link
/// the page names, if any (else the caller gives it one from its path).
///
/// Title: `<title>`, else the first `<h1>` (entities and inline markup kept
/// for normalization). Authors: `<meta name="author">`. Date:
/// `<meta property="article:published_time">`, else the first
/// `<time datetime>`. Content: the inner HTML of the first `<article>`, else
/// `<main>`, else `<body>`.
pub fn parse_html(text: &str) -> RawItem {
    let doc = Document::from(tame(super::strip_bom(text)).as_ref());
    let first = |selector: &str| Some(doc.select(selector).first()).filter(Selection::exists);
    let inner = |selector: &str| {
        first(selector)
            .map(|s| s.inner_html().trim().to_string())
            .filter(|h| !h.is_empty())
    };
    let attr = |selector: &str, name: &str| {
        doc.select(selector)
            .iter()
            .filter_map(|n| n.attr(name))
            .map(|v| v.trim().to_string())
            .find(|v| !v.is_empty())
    };

    let title = inner("title").or_else(|| inner("h1"));
    let authors = doc
        .select("meta[name]")
        .iter()
        .filter(|m| {
            m.attr("name")
                .is_some_and(|n| n.eq_ignore_ascii_case("author"))
        })
        .filter_map(|m| m.attr("content"))
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    // The page-level meta comes first: a <time> may as well belong to a
    // comment or a related-articles box.
    let published = attr(r#"meta[property="article:published_time"]"#, "content")
        .or_else(|| attr("time[datetime]", "datetime"))
        .map(RawDate::Text);
    let link = doc
        .select("link[rel][href]")
        .iter()
        .filter(|l| {
            l.attr("rel").is_some_and(|rel| {
                rel.split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("canonical"))
            })
        })
        .filter_map(|l| l.attr("href"))
        .map(|h| h.trim().to_string())
        .find(|h| !h.is_empty());
    let content = inner("article")
        .or_else(|| inner("main"))
        .or_else(|| inner("body"));

    RawItem {
        guid: link.clone(),
        link,
        title,
        authors,
        published,
        content_html: content,
        ..RawItem::default()
    }
}
