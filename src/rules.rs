//! Per-source content rules (`[source.rules]`), compiled once per config
//! load and applied to every item the source yields, before normalization
//! sanitizes it:
//!
//! - `remove`: elements dropped from an article page before extraction, and
//!   from a feed item's own HTML (content and summary).
//! - `body`: the article body taken from these elements (each match's
//!   outer HTML, in page order; a match inside another is not repeated)
//!   instead of extraction; for an item without an article page, from its
//!   own content HTML (its summary when it has no content). When nothing
//!   matches, the extracted body (or the item's own HTML) stays.
//! - `rewrite`: regex replacements on the title's plain text (after
//!   normalization) or on the body's HTML markup (after `remove` and
//!   `body`, before the sanitizer, so a rewrite cannot smuggle markup
//!   past it).
//! - `include`/`exclude`: regexes on the normalized item's title and the
//!   plain text of its summary (else content); an item must match an
//!   `include` when any is given, and must match no `exclude`.
//!
//! A leaf beside `schedule`: `config` compiles rules with it, `app` applies
//! them, and `serve` compiles the patterns of feeds on request with
//! [`regex()`]. Depends on `model` and `text`; selectors are compiled with
//! `dom_query` (cssparser), as the html source's selectors are, and regexes
//! with the `regex` crate, whose matching is linear in the text.
//!
//! ```
//! let cfg = tidings::Config::parse(
//!     "t.toml",
//!     "[[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://example.org/rss\"\n\
//!      [source.rules]\nexclude = [\"(?i)sponsored\"]\n",
//! )
//! .unwrap();
//! assert!(!cfg.sources[0].rules.keeps("Sponsored: a deal\n"));
//! assert!(cfg.sources[0].rules.keeps("A report\n"));
//! ```

use crate::model::{Item, RawItem};
use crate::text::{budget::over_budget, collapse_whitespace};
use dom_query::{Document, Matcher, NodeRef};
use regex::{Regex, RegexBuilder};
use std::borrow::Cow;

/// Longest regex a config may give, in bytes.
pub const MAX_PATTERN: usize = 1024;

/// Largest compiled program of a config regex (the `regex` crate's
/// `size_limit`), so one pattern such as `\w{1000}` cannot take hundreds of
/// megabytes.
pub const MAX_REGEX_SIZE: usize = 1 << 20;

/// Why a rule cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{css:?} is not a CSS selector: {why}")]
    Selector { css: String, why: String },
    #[error("invalid regex {pattern:?}: {why}")]
    Regex { pattern: String, why: String },
    #[error("the pattern is {len} bytes long; at most {max} are allowed")]
    TooLong { len: usize, max: usize },
}

/// `css` compiled as a CSS selector list.
pub fn selector(css: &str) -> Result<Selector, RuleError> {
    match Matcher::new(css) {
        Ok(matcher) => Ok(Selector {
            css: css.to_string(),
            matcher,
        }),
        Err(e) => Err(RuleError::Selector {
            css: css.to_string(),
            why: match e.kind {
                cssparser::ParseErrorKind::Basic(kind) => kind.to_string(),
                cssparser::ParseErrorKind::Custom(kind) => format!("{kind:?}"),
            },
        }),
    }
}

/// `pattern` compiled, refused when longer than `max_len` bytes or when its
/// program would pass `size_limit` bytes.
pub fn regex(pattern: &str, max_len: usize, size_limit: usize) -> Result<Regex, RuleError> {
    if pattern.len() > max_len {
        return Err(RuleError::TooLong {
            len: pattern.len(),
            max: max_len,
        });
    }
    RegexBuilder::new(pattern)
        .size_limit(size_limit)
        .dfa_size_limit(size_limit)
        .build()
        .map_err(|e| RuleError::Regex {
            pattern: pattern.to_string(),
            // The last line of the crate's message says what is wrong; the
            // lines above draw the pattern.
            why: e
                .to_string()
                .lines()
                .last()
                .unwrap_or("invalid")
                .trim()
                .to_string(),
        })
}

/// A compiled CSS selector with the text it was compiled from.
#[derive(Debug, Clone)]
pub struct Selector {
    css: String,
    matcher: Matcher,
}

impl Selector {
    pub fn as_str(&self) -> &str {
        &self.css
    }
}

impl PartialEq for Selector {
    fn eq(&self, other: &Self) -> bool {
        self.css == other.css
    }
}

/// What a rewrite applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The title's plain text, after normalization.
    Title,
    /// The HTML markup of the content and summary, before sanitizing.
    Body,
}

/// One `rewrite`: every match of `pattern` in `field` replaced by `with`
/// (`$1`, `${name}` name captures; `$$` is a `$`).
#[derive(Debug, Clone)]
pub struct Rewrite {
    pub field: Field,
    pub pattern: Regex,
    pub with: String,
}

impl PartialEq for Rewrite {
    fn eq(&self, other: &Self) -> bool {
        self.field == other.field
            && self.pattern.as_str() == other.pattern.as_str()
            && self.with == other.with
    }
}

/// A source's content rules; the default has none and changes nothing.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub body: Option<Selector>,
    pub remove: Vec<Selector>,
    pub rewrite: Vec<Rewrite>,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
}

impl PartialEq for Rules {
    fn eq(&self, other: &Self) -> bool {
        let pats = |v: &[Regex]| v.iter().map(|r| r.as_str().to_string()).collect::<Vec<_>>();
        self.body == other.body
            && self.remove == other.remove
            && self.rewrite == other.rewrite
            && pats(&self.include) == pats(&other.include)
            && pats(&self.exclude) == pats(&other.exclude)
    }
}

impl Rules {
    /// Whether the item's own HTML has DOM rules to go through.
    fn has_dom_rules(&self) -> bool {
        self.body.is_some() || !self.remove.is_empty()
    }

    /// An item as its source read it, before normalization: `remove` on
    /// its content and summary HTML, `body` on its content (else its
    /// summary), then the body rewrites on both. Each result is cut at
    /// `max` bytes, as normalization cuts an item's HTML.
    pub fn raw_item(&self, raw: &mut RawItem, max: usize) {
        if self.has_dom_rules() {
            let body_field = if raw.content_html.is_some() {
                &mut raw.content_html
            } else {
                &mut raw.summary_html
            };
            if let Some(html) = body_field.as_deref() {
                *body_field = Some(self.fragment(html, true));
            }
            if !self.remove.is_empty()
                && raw.content_html.is_some()
                && let Some(html) = raw.summary_html.as_deref()
            {
                raw.summary_html = Some(self.fragment(html, false));
            }
        }
        for html in [&mut raw.content_html, &mut raw.summary_html] {
            if let Some(h) = html.as_deref()
                && let Cow::Owned(rewritten) = self.rewrite_body(h, max)
            {
                *html = Some(rewritten);
            }
        }
    }

    /// An HTML fragment with `remove` applied and, with `body`, the body
    /// elements taken out of it (the fragment as it is when none matches).
    /// HTML over the work budget is left to the sanitizer, which flattens it.
    fn fragment(&self, html: &str, take_body: bool) -> String {
        if over_budget(html).is_some() {
            return html.to_string();
        }
        let doc = Document::fragment(html);
        self.drop_removed(&doc);
        let body = take_body.then(|| self.body_of(&doc)).flatten();
        body.unwrap_or_else(|| {
            // A fragment's nodes sit in an `html` element under the root.
            doc.root()
                .first_child()
                .map_or_else(String::new, |html| html.inner_html().to_string())
        })
    }

    /// An article page before extraction: the page with `remove` applied
    /// (`None`: the page as it is, no element is removed), and the HTML of
    /// the `body` elements when the source has that rule and they are on
    /// the page.
    pub fn page(&self, html: &str) -> (Option<String>, Option<String>) {
        if !self.has_dom_rules() {
            return (None, None);
        }
        let doc = Document::from(html);
        let removed = self.drop_removed(&doc);
        let body = self.body_of(&doc);
        (removed.then(|| doc.html().to_string()), body)
    }

    /// Removes every element a `remove` selector matches; whether any was.
    fn drop_removed(&self, doc: &Document) -> bool {
        let mut any = false;
        for s in &self.remove {
            let found = doc.select_matcher(&s.matcher);
            if !found.is_empty() {
                found.remove();
                any = true;
            }
        }
        any
    }

    /// The outer HTML of each `body` match, in document order, leaving out
    /// matches inside another; `None` without the rule or without a match.
    fn body_of(&self, doc: &Document) -> Option<String> {
        let body = self.body.as_ref()?;
        let found = doc.select_matcher(&body.matcher);
        let inside_another = |n: &NodeRef| n.ancestors_it(None).any(|a| a.is_match(&body.matcher));
        let html: String = found
            .nodes()
            .iter()
            .filter(|n| !inside_another(n))
            .map(|n| n.html().to_string())
            .collect();
        (!html.is_empty()).then_some(html)
    }

    /// The body rewrites applied, in order, to `html` (markup and all),
    /// the result cut at `max` bytes.
    pub fn rewrite_body<'h>(&self, html: &'h str, max: usize) -> Cow<'h, str> {
        self.rewrite(Field::Body, html, max)
    }

    fn rewrite<'h>(&self, field: Field, text: &'h str, max: usize) -> Cow<'h, str> {
        let mut out = Cow::Borrowed(text);
        for r in self.rewrite.iter().filter(|r| r.field == field) {
            if let Cow::Owned(s) = replace_bounded(&r.pattern, &out, &r.with, max) {
                out = Cow::Owned(s);
            }
        }
        out
    }

    /// A normalized item: the title rewrites on its title, whitespace
    /// collapsed again. A rewrite that leaves no title keeps the old one:
    /// every item needs one.
    pub fn item(&self, item: &mut Item, max: usize) {
        if let Cow::Owned(title) = self.rewrite(Field::Title, &item.title, max) {
            let title = collapse_whitespace(&title);
            if !title.is_empty() {
                item.title = title;
            }
        }
    }

    /// Whether an item whose filter text (title, a line break, the plain
    /// text of its summary or content) is `text` passes `include` and
    /// `exclude`.
    pub fn keeps(&self, text: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|r| r.is_match(text)))
            && !self.exclude.iter().any(|r| r.is_match(text))
    }

    /// Whether the source has an `include` or `exclude` rule.
    pub fn filters(&self) -> bool {
        !self.include.is_empty() || !self.exclude.is_empty()
    }
}

/// `text` with every match of `re` replaced by `with` expanded, built no
/// further than `max` bytes: a rewrite that inserts text at every position
/// cannot grow an item without bound. Borrowed when nothing matches.
fn replace_bounded<'t>(re: &Regex, text: &'t str, with: &str, max: usize) -> Cow<'t, str> {
    if !re.is_match(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(max));
    let mut last = 0;
    for caps in re.captures_iter(text) {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&text[last..m.start()]);
        caps.expand(with, &mut out);
        last = m.end();
        if out.len() > max {
            break;
        }
    }
    if out.len() <= max {
        out.push_str(&text[last..]);
    }
    if out.len() > max {
        out.truncate(out.floor_char_boundary(max));
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::default()
    }

    fn rewrite(field: Field, pattern: &str, with: &str) -> Rewrite {
        Rewrite {
            field,
            pattern: regex(pattern, MAX_PATTERN, MAX_REGEX_SIZE).unwrap(),
            with: with.into(),
        }
    }

    #[test]
    fn bad_selectors_and_regexes_say_what_is_wrong() {
        let e = selector("div[").unwrap_err();
        assert!(
            matches!(&e, RuleError::Selector { css, .. } if css == "div["),
            "{e}"
        );
        let e = regex("(unclosed", MAX_PATTERN, MAX_REGEX_SIZE).unwrap_err();
        assert!(e.to_string().contains("unclosed group"), "{e}");
        let long = "a".repeat(MAX_PATTERN + 1);
        assert_eq!(
            regex(&long, MAX_PATTERN, MAX_REGEX_SIZE).unwrap_err(),
            RuleError::TooLong {
                len: MAX_PATTERN + 1,
                max: MAX_PATTERN
            }
        );
        // Short, but its program is too large.
        let e = regex(r"\w{1000}", MAX_PATTERN, 1 << 16).unwrap_err();
        assert!(e.to_string().contains("size limit"), "{e}");
    }

    #[test]
    fn remove_and_body_on_an_items_html() {
        let mut r = rules();
        r.remove = vec![selector(".share").unwrap()];
        r.body = Some(selector("div.story").unwrap());
        let mut raw = RawItem {
            content_html: Some(
                "<p>Lead</p><div class=\"story\"><p>Text</p><div class=\"story\">inner</div>\
                 <p class=\"share\">Share</p></div><div class=\"story\">Two</div>"
                    .into(),
            ),
            summary_html: Some("<p>Teaser</p><p class=\"share\">Share</p>".into()),
            ..RawItem::default()
        };
        r.raw_item(&mut raw, 1 << 20);
        assert_eq!(
            raw.content_html.as_deref(),
            Some(
                "<div class=\"story\"><p>Text</p><div class=\"story\">inner</div></div>\
                 <div class=\"story\">Two</div>"
            )
        );
        assert_eq!(raw.summary_html.as_deref(), Some("<p>Teaser</p>"));
        // Without content, the summary is the body; no match keeps it.
        let mut raw = RawItem {
            summary_html: Some("<p>Only a summary</p>".into()),
            ..RawItem::default()
        };
        r.raw_item(&mut raw, 1 << 20);
        assert_eq!(raw.summary_html.as_deref(), Some("<p>Only a summary</p>"));
    }

    #[test]
    fn a_page_loses_removed_elements_and_gives_its_body() {
        let mut r = rules();
        assert_eq!(r.page("<p>x</p>"), (None, None));
        r.remove = vec![selector("aside").unwrap()];
        let (page, body) = r.page("<html><body><aside>Ad</aside><p>x</p></body></html>");
        let page = page.unwrap();
        assert!(!page.contains("Ad") && page.contains("<p>x</p>"), "{page}");
        assert_eq!(body, None);
        r.body = Some(selector("main p").unwrap());
        let (_, body) = r.page("<main><p>a</p><aside><p>b</p></aside><p>c</p></main>");
        assert_eq!(body.as_deref(), Some("<p>a</p><p>c</p>"));
    }

    #[test]
    fn rewrites_use_captures_and_apply_to_their_field() {
        let mut r = rules();
        r.rewrite = vec![
            rewrite(Field::Title, r"^Breaking: (.*)$", "$1 (breaking)"),
            rewrite(
                Field::Body,
                r#"<img src="([^"]+)">"#,
                r#"<a href="$1">image</a>"#,
            ),
        ];
        let mut item = Item {
            title: "Breaking: Rain".into(),
            ..Item::default()
        };
        r.item(&mut item, 1 << 20);
        assert_eq!(item.title, "Rain (breaking)");
        let mut raw = RawItem {
            title: Some("Breaking: not a body".into()),
            content_html: Some(r#"<p><img src="a.png"></p>"#.into()),
            ..RawItem::default()
        };
        r.raw_item(&mut raw, 1 << 20);
        assert_eq!(
            raw.content_html.as_deref(),
            Some(r#"<p><a href="a.png">image</a></p>"#)
        );
        assert_eq!(raw.title.as_deref(), Some("Breaking: not a body"));
        // A rewrite that empties the title keeps the old one.
        r.rewrite = vec![rewrite(Field::Title, ".*", "")];
        r.item(&mut item, 1 << 20);
        assert_eq!(item.title, "Rain (breaking)");
    }

    #[test]
    fn a_rewrite_cannot_grow_text_past_the_bound() {
        let re = regex("", MAX_PATTERN, MAX_REGEX_SIZE).unwrap();
        let text = "é".repeat(10_000);
        let out = replace_bounded(&re, &text, "xxxxxxxxxx", 1000);
        assert!(out.len() <= 1000, "{}", out.len());
        let re = regex("b", MAX_PATTERN, MAX_REGEX_SIZE).unwrap();
        assert!(matches!(
            replace_bounded(&re, "aaa", "c", 10),
            Cow::Borrowed("aaa")
        ));
        assert_eq!(replace_bounded(&re, "abab", "é", 10), "aéaé");
    }

    #[test]
    fn include_and_exclude() {
        let mut r = rules();
        assert!(r.keeps("anything") && !r.filters());
        r.include = vec![regex("(?i)bridge", 100, MAX_REGEX_SIZE).unwrap()];
        r.exclude = vec![regex("(?i)sponsored", 100, MAX_REGEX_SIZE).unwrap()];
        assert!(r.keeps("Bridge reopens\n"));
        assert!(!r.keeps("Sponsored bridge\n"));
        assert!(!r.keeps("Rain\n"));
    }
}
