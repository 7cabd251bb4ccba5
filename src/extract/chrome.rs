//! Page chrome: what on a page is no article — found by tag, ARIA role,
//! and class or id words such as `share`, `related`, `comments` — marked
//! on the page with [`CHROME_MARK`] (not cut, so that Readability picks the
//! article on the whole page), with the short texts of that chrome; and
//! [`CUT_MARK`], which `meta` sets on the headline, byline and date. `body`
//! cuts both from the article it picks; `meta` reads no headline, byline
//! or date inside the marked chrome. Uses `density` and `collapse`.

use super::{collapse, density};
use dom_query::{Document, NodeRef};

/// The attribute [`super::meta`] sets on the headline, byline and date
/// elements so that they are cut with the chrome.
pub(super) const CUT_MARK: &str = "data-tidings-cut";

/// A line this short that repeats in a body is chrome, not article.
pub(super) const REPEATED_CHARS: usize = 80;

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
    "comment",
    "comments",
    "commentlinks",
    "commentlist",
    "commentbox",
    "commentarea",
    "cookie",
    "cookies",
    "dialog",
    "disqus",
    "login",
    "modal",
    "newsletter",
    "outbrain",
    "popular",
    "popup",
    "promo",
    "recommended",
    "related",
    "signup",
    "sponsored",
    "subscribe",
    "subscription",
    "taboola",
    "trending",
];

/// Words in a class or id that name what sits beside the article's text
/// inside its container, unless they only qualify the element
/// ([`is_modifier`]): captions and photo credits, the author's bio, the
/// copyright line, a call to action (`cta`). People who label article
/// bodies leave them out.
const ASIDE_WORDS: &[&str] = &["bio", "caption", "copyright", "credit", "credits", "cta"];

/// Words in a class or id that name page chrome, unless they only qualify
/// the element ([`is_modifier`], [`is_slug`]) and it holds the article's
/// prose: layouts name a container by what sits beside the text
/// (`Section--Ads`, `has-sidebar`, `for_sidebar`), and generated ids repeat
/// headings (`sharing-with-a-single-developer`).
const LAYOUT_WORDS: &[&str] = &[
    "ad",
    "ads",
    "adslot",
    "advert",
    "advertisement",
    "breadcrumb",
    "breadcrumbs",
    "masthead",
    "menu",
    "nav",
    "navbar",
    "navigation",
    "pager",
    "pagination",
    "share",
    "sharebar",
    "sharing",
    "sidebar",
    "social",
    "subnav",
    "tagcloud",
    "tags",
    "toolbar",
    "topnav",
    "widget",
];

/// An element named by a [`LAYOUT_WORDS`] word holding this many letters
/// of prose paragraphs ([`density::prose_letters`]) is article, not chrome.
const LAYOUT_PROSE_LETTERS: usize = 500;

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
pub(super) const ARTICLE_CONTAINERS: &str =
    r#"article, main, [itemprop="articleBody"], [role="main"]"#;

/// Whether the element is one of [`ARTICLE_CONTAINERS`].
fn is_article_container(node: &NodeRef) -> bool {
    node.node_name()
        .is_some_and(|n| n.eq_ignore_ascii_case("article") || n.eq_ignore_ascii_case("main"))
        || node.attr("itemprop").as_deref() == Some("articleBody")
        || node.attr("role").as_deref() == Some("main")
}

/// What a word of a class or id (split at `-` and `_`) says of its element.
#[derive(Clone, Copy, PartialEq)]
enum Word {
    /// [`CHROME_WORDS`].
    Chrome,
    /// [`ASIDE_WORDS`].
    Aside,
    /// [`LAYOUT_WORDS`].
    Layout,
}

/// The words of [`CHROME_WORDS`], [`ASIDE_WORDS`] and [`LAYOUT_WORDS`] in
/// one table: every element's every class word is looked up, and a scan of
/// the lists was most of the chrome marking's cost.
static WORDS: std::sync::LazyLock<std::collections::HashMap<&'static str, Word>> =
    std::sync::LazyLock::new(|| {
        let kinds = [
            (CHROME_WORDS, Word::Chrome),
            (ASIDE_WORDS, Word::Aside),
            (LAYOUT_WORDS, Word::Layout),
        ];
        kinds
            .iter()
            .flat_map(|(words, kind)| words.iter().map(|w| (*w, *kind)))
            .collect()
    });

/// The longest word of [`WORDS`]: a longer one is looked up no further.
const LONGEST_WORD: usize = 16;

/// What `word` says of its element, in any case.
fn word_kind(word: &str) -> Option<Word> {
    if word.len() > LONGEST_WORD {
        return None;
    }
    let mut lower = [0u8; LONGEST_WORD];
    let lower = &mut lower[..word.len()];
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    WORDS.get(std::str::from_utf8(lower).ok()?).copied()
}

/// Whether the element itself is page chrome (not looking at its ancestors).
pub(super) fn is_chrome(node: &NodeRef) -> bool {
    // The element's name and attributes are read where they stand: this
    // runs on every element of the page, and copies of them were most of
    // its cost. The parser gives HTML elements' names in lowercase.
    let Some(element) = node.element_ref() else {
        return false;
    };
    let name: &str = &element.name.local;
    if matches!(name, "html" | "body" | "main" | "article") {
        return false;
    }
    if CHROME_TAGS.contains(&name) {
        return true;
    }
    // A site header; a header inside the article holds its headline.
    if name == "header" {
        drop(element);
        return !node.ancestors_it(None).any(|a| {
            a.node_name()
                .is_some_and(|n| n.as_ref() == "article" || n.as_ref() == "main")
        });
    }
    let mut soft = false;
    for attr in &element.attrs {
        let value: &str = &attr.value;
        let chrome = match &*attr.name.local {
            "role" => {
                let role = value.trim();
                CHROME_ROLES.iter().any(|r| r.eq_ignore_ascii_case(role))
            }
            "aria-hidden" => value == "true",
            "class" => value
                .split_ascii_whitespace()
                .any(|t| names_chrome(t, is_modifier(t), &mut soft)),
            "id" => names_chrome(value, is_slug(value), &mut soft),
            _ => false,
        };
        if chrome {
            return true;
        }
    }
    drop(element);
    soft && density::prose_letters(node) < LAYOUT_PROSE_LETTERS
}

/// Whether a class name or an id (`token`) makes its element chrome; a
/// [`LAYOUT_WORDS`] word that only qualifies it (`modifier`) sets `soft`
/// instead.
fn names_chrome(token: &str, modifier: bool, soft: &mut bool) -> bool {
    if CHROME_NAMES.iter().any(|n| n.eq_ignore_ascii_case(token)) {
        return true;
    }
    for w in token.split(['-', '_']) {
        match word_kind(w) {
            Some(Word::Chrome) => return true,
            // `no_caption`, `hasnt-bio`: what the element lacks.
            Some(Word::Aside | Word::Layout) if !modifier => return true,
            Some(Word::Layout) => *soft = true,
            _ => {}
        }
    }
    false
}

/// Whether a class names a variant of its element rather than what it is
/// (`TestReport__Section--Ads`, `has-sidebar`, `no-share`, `for_sidebar`).
fn is_modifier(class: &str) -> bool {
    class.contains("--")
        || [
            "has-", "has_", "no-", "no_", "with-", "with_", "for-", "for_",
        ]
        .iter()
        .any(|p| {
            class
                .get(..p.len())
                .is_some_and(|c| c.eq_ignore_ascii_case(p))
        })
}

/// Whether an id repeats a heading (`sharing-with-a-single-developer`), as
/// documentation and blog tools make them.
fn is_slug(id: &str) -> bool {
    id.split(['-', '_']).filter(|w| !w.is_empty()).count() >= 4
}

/// Whether the element or one of its ancestors is marked as page chrome
/// by [`mark_chrome`].
pub(super) fn in_chrome(node: &NodeRef) -> bool {
    node.has_attr(CHROME_MARK) || node.ancestors_it(None).any(|a| a.has_attr(CHROME_MARK))
}

/// The value of [`CHROME_MARK`] on chrome that sits beside the article's
/// text but may still say who wrote it and when ([`beside_article`]).
pub(super) const BESIDE_MARK: &str = "beside";

/// Whether the element or one of its ancestors is chrome that names no
/// article's author or date: [`in_chrome`], less the chrome that only
/// sits beside the article's text ([`BESIDE_MARK`]).
pub(super) fn in_hard_chrome(node: &NodeRef) -> bool {
    std::iter::once(*node)
        .chain(node.ancestors_it(None))
        .any(|a| a.attr(CHROME_MARK).is_some_and(|v| &*v != BESIDE_MARK))
}

/// Whole class names or ids of [`CHROME_NAMES`] that name what sits
/// beside the article's text: a page's or an article's header and footer,
/// the author's box.
const BESIDE_NAMES: &[&str] = &[
    "about-author",
    "author-bio",
    "author-box",
    "footer",
    "header",
    "page-header",
];

/// Whether chrome (an element [`is_chrome`] holds to be) only sits beside
/// the article's text, as a header or a footer (by tag or by name), a
/// caption, a credit or the author's bio ([`ASIDE_WORDS`]) do: they are
/// cut from the body, but the byline and the date are often set in them.
/// Not a menu, a sidebar, comments or a related list.
fn beside_article(node: &NodeRef) -> bool {
    let Some(name) = node.node_name() else {
        return false;
    };
    if matches!(&*name, "header" | "footer") {
        return true;
    }
    if CHROME_TAGS.contains(&&*name)
        || node.attr("aria-hidden").as_deref() == Some("true")
        || node.attr("role").is_some_and(|r| {
            CHROME_ROLES
                .iter()
                .any(|c| c.eq_ignore_ascii_case(r.trim()))
        })
    {
        return false;
    }
    let mut beside = false;
    let tokens = node
        .attr("class")
        .map(|c| c.to_string())
        .unwrap_or_default();
    let id = node.attr("id").map(|c| c.to_string()).unwrap_or_default();
    let tokens = tokens
        .split_ascii_whitespace()
        .map(|t| (t, is_modifier(t)))
        .chain((!id.is_empty()).then(|| (id.as_str(), is_slug(&id))));
    for (token, modifier) in tokens {
        if BESIDE_NAMES.iter().any(|n| n.eq_ignore_ascii_case(token)) {
            beside = true;
            continue;
        }
        if CHROME_NAMES.iter().any(|n| n.eq_ignore_ascii_case(token)) {
            return false;
        }
        for w in token.split(['-', '_']) {
            match word_kind(w) {
                Some(Word::Chrome) => return false,
                Some(Word::Layout) => return false,
                Some(Word::Aside) if !modifier => beside = true,
                _ => {}
            }
        }
    }
    beside
}

/// The attribute [`mark_chrome`] sets on page chrome, so that it can be cut
/// from the article Readability picks without changing how it picks.
pub(super) const CHROME_MARK: &str = "data-tidings-chrome";

/// Marks the page chrome with [`CHROME_MARK`], leaving the page whole;
/// returns its short texts. An element holding an article container is
/// never chrome, even when its class reads like chrome (`<div
/// class="layout has-sidebar">`), and neither is one that holds the page
/// ([`PAGE_SHARE`]: the article in `<noscript>`).
pub(super) fn mark_chrome(doc: &Document) -> ChromeLines {
    // A walk of the tree, not selectors (`body *`, [`ARTICLE_CONTAINERS`]):
    // matching them against every element cost some 7 % of the extraction.
    let elements: Vec<NodeRef> = doc
        .select("body")
        .nodes()
        .iter()
        .flat_map(NodeRef::descendants)
        .filter(NodeRef::is_element)
        .collect();
    let holds_article: std::collections::HashSet<dom_query::NodeId> = elements
        .iter()
        .filter(|n| is_article_container(n))
        .flat_map(|c| c.ancestors_it(None))
        .map(|a| a.id)
        .collect();
    let mut lines = ChromeLines::default();
    let body = doc.select_single("body").nodes().first().copied();
    let mut page = PageCounts::default();
    for node in &elements {
        if is_chrome(node) && !holds_article.contains(&node.id) {
            let text = node.text();
            if body.is_some_and(|b| page.held_by(node, &text, &b)) {
                continue;
            }
            let mark = if beside_article(node) {
                BESIDE_MARK
            } else {
                ""
            };
            node.set_attr(CHROME_MARK, mark);
            // Readability puts a lone child in its wrapper's place (`<div
            // class="bio"><p>…</p></div>` becomes the `<p>`): the mark
            // goes down to it.
            let mut wrapper = *node;
            while let [only] = wrapper.element_children().as_slice()
                && !wrapper
                    .children_it(false)
                    .any(|c| c.is_text() && !c.text().trim().is_empty())
            {
                only.set_attr(CHROME_MARK, mark);
                wrapper = *only;
            }
            // Most chrome (a footer, a menu) is long: its text is never
            // collapsed and kept.
            let short = text
                .chars()
                .filter(|c| !c.is_whitespace())
                .nth(REPEATED_CHARS)
                .is_none();
            let text = if short {
                collapse(&text)
            } else {
                String::new()
            };
            if !text.is_empty() && text.chars().count() <= REPEATED_CHARS {
                lines.0.insert(text);
            }
        }
    }
    lines
}

/// An element that reads as chrome but holds more than [`PAGE_SHARE`]
/// of the page's text and [`PAGE_PROSE`] of its prose is the page
/// itself: the article a page gives in `<noscript>` for readers without
/// scripts, a blog's main widget (`<div class="widget Blog">`). Not a
/// gallery beside the article (the article's prose is outside it).
const PAGE_SHARE: f64 = 0.6;
const PAGE_PROSE: f64 = 0.9;

/// The length of the page's text, measured the first time an element
/// might hold the page ([`PAGE_SHARE`]): most pages' chrome is far
/// smaller, and it is never measured.
#[derive(Default)]
struct PageCounts {
    text: Option<usize>,
}

impl PageCounts {
    /// Whether `node` (its text `text`) holds the page in `body`. Text
    /// is measured in bytes (whitespace and all): a share of the page
    /// needs no count of letters.
    fn held_by(&mut self, node: &NodeRef, text: &str, body: &NodeRef) -> bool {
        if text.len() < LAYOUT_PROSE_LETTERS {
            return false;
        }
        let page = *self.text.get_or_insert_with(|| body.text().len());
        // Inside marked chrome, it is chrome whatever it holds.
        if text.len() as f64 <= PAGE_SHARE * page as f64 || in_chrome(node) {
            return false;
        }
        // The prose outside it is read with it marked, so that the page
        // is read once, not twice.
        node.set_attr(CHROME_MARK, "");
        let outside = density::prose_letters(body);
        node.remove_attr(CHROME_MARK);
        let inside = density::prose_letters(node);
        inside as f64 > PAGE_PROSE * (inside + outside) as f64
    }
}

/// The short texts of the page's chrome (`Advertisement`, `Share this`):
/// Readability rebuilds some elements without their attributes, so a
/// block of the article holding exactly one of them is cut by its text.
#[derive(Debug, Default)]
pub(super) struct ChromeLines(std::collections::HashSet<String>);

impl ChromeLines {
    /// Whether `text` (whitespace collapsed) is the text of some chrome.
    pub(super) fn holds(&self, text: &str) -> bool {
        self.0.contains(text)
    }
}

/// Removes the page chrome and the elements marked with [`CUT_MARK`].
pub(super) fn cut_chrome(doc: &Document) {
    doc.select(&format!("[{CUT_MARK}]")).remove();
    doc.select(&format!("[{CHROME_MARK}]")).remove();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_table_holds_every_list_in_lowercase() {
        for (words, kind) in [
            (CHROME_WORDS, Word::Chrome),
            (ASIDE_WORDS, Word::Aside),
            (LAYOUT_WORDS, Word::Layout),
        ] {
            for w in words {
                assert!(w.len() <= LONGEST_WORD && w.to_lowercase() == *w, "{w}");
                assert!(word_kind(&w.to_uppercase()) == Some(kind), "{w}");
            }
        }
        assert!(word_kind("article").is_none());
        assert!(word_kind("a-very-long-class-name-indeed").is_none());
    }
}
