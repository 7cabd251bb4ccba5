//! The article body: the page chrome is cut first (by tag, ARIA role, and
//! class or id words such as `share`, `related`, `comments`), then
//! `dom_smoothie` scores what is left and keeps the article.
//!
//! Cutting first matters: Readability keeps a newsletter box or a share bar
//! that sits inside the article's container, and a long comment thread can
//! outscore a short article.

use super::collapse;
use dom_query::{Document, NodeRef};
use dom_smoothie::{Config, Readability, TextMode};
use url::Url;

/// The attribute [`super::meta`] sets on the headline, byline and date
/// elements so that they are cut with the chrome.
pub(super) const CUT_MARK: &str = "data-tidings-cut";

/// Elements that never belong to an article body.
const CHROME_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "aside", "footer", "form", "button", "input",
    "select", "textarea", "dialog",
];

/// ARIA roles of page chrome.
const CHROME_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alert",
];

/// Words in a class or id (split at `-` and `_`) that name page chrome.
const CHROME_WORDS: &[&str] = &[
    "ad",
    "ads",
    "adslot",
    "advert",
    "advertisement",
    "breadcrumb",
    "breadcrumbs",
    "comment",
    "comments",
    "cookie",
    "cookies",
    "disqus",
    "masthead",
    "menu",
    "modal",
    "nav",
    "navbar",
    "navigation",
    "newsletter",
    "outbrain",
    "pager",
    "pagination",
    "popular",
    "popup",
    "promo",
    "recommended",
    "related",
    "share",
    "sharebar",
    "sharing",
    "sidebar",
    "signup",
    "social",
    "sponsored",
    "subnav",
    "subscribe",
    "subscription",
    "taboola",
    "tagcloud",
    "tags",
    "toolbar",
    "topnav",
    "trending",
    "widget",
];

/// Whole class names or ids that name page chrome.
const CHROME_NAMES: &[&str] = &[
    "about-author",
    "author-bio",
    "author-box",
    "footer",
    "header",
    "more-stories",
    "most-read",
    "page-header",
    "read-more",
    "site-footer",
    "site-header",
    "skip-link",
];

/// Containers of the article itself: never cut, whatever their class says.
const ARTICLE_CONTAINERS: &str = r#"article, main, [itemprop="articleBody"], [role="main"]"#;

/// Whether the element itself is page chrome (not looking at its ancestors).
pub(super) fn is_chrome(node: &NodeRef) -> bool {
    let Some(name) = node.node_name().map(|n| n.to_ascii_lowercase()) else {
        return false;
    };
    if matches!(name.as_str(), "html" | "body" | "main" | "article") {
        return false;
    }
    if CHROME_TAGS.contains(&name.as_str()) {
        return true;
    }
    // A site header; a header inside the article holds its headline.
    if name == "header" {
        return !node.ancestors(None).iter().any(|a| {
            a.node_name()
                .is_some_and(|n| n.as_ref() == "article" || n.as_ref() == "main")
        });
    }
    if node
        .attr("role")
        .is_some_and(|r| CHROME_ROLES.contains(&r.trim().to_ascii_lowercase().as_str()))
        || node.attr("aria-hidden").as_deref() == Some("true")
    {
        return true;
    }
    let names = [node.attr("class"), node.attr("id")]
        .into_iter()
        .flatten()
        .map(|v| v.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    names.split_whitespace().any(|n| {
        CHROME_NAMES.contains(&n) || n.split(['-', '_']).any(|w| CHROME_WORDS.contains(&w))
    })
}

/// Whether the element or one of its ancestors is page chrome.
pub(super) fn in_chrome(node: &NodeRef) -> bool {
    is_chrome(node) || node.ancestors(None).iter().any(is_chrome)
}

/// Removes the page chrome and the elements marked with [`CUT_MARK`]. An
/// element that holds the article container is kept even when its class
/// reads like chrome (`<div class="layout has-sidebar">`).
pub(super) fn cut_chrome(doc: &Document) {
    doc.select(&format!("[{CUT_MARK}]")).remove();
    let all = doc.select("body *");
    for node in all.nodes() {
        // A node inside an already removed one is detached: skip it.
        if node.parent().is_none() || !is_chrome(node) {
            continue;
        }
        let holds_article = dom_query::Selection::from(*node)
            .select(ARTICLE_CONTAINERS)
            .exists();
        if !holds_article {
            node.remove_from_parent();
        }
    }
}

/// The article's HTML and text from the cut page, or `None` when it holds no
/// text. Readability picks the article; when it finds none, the article
/// container (else the whole body) is taken as it is.
pub(super) fn grab(doc: Document, url: Option<&Url>) -> Option<(String, String)> {
    let fallback = [ARTICLE_CONTAINERS, "body"]
        .iter()
        .map(|sel| doc.select(sel).first())
        .find(|s| s.exists())
        .map(|s| s.inner_html().to_string());
    let config = Config {
        text_mode: TextMode::Formatted,
        ..Config::default()
    };
    let parsed = Readability::with_document(doc, url.map(Url::as_str), Some(config))
        .ok()
        .and_then(|mut r| r.parse().ok())
        .map(|a| (a.content.to_string(), a.text_content.trim().to_string()))
        .filter(|(_, text)| !text.is_empty());
    parsed.or_else(|| {
        let html = fallback?;
        let text = Document::from(html.as_str())
            .select("p, li, h2, h3, h4, blockquote, pre")
            .nodes()
            .iter()
            .map(|n| collapse(&n.text()))
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        (!text.is_empty()).then_some((html, text))
    })
}
