//! HTML: the sanitizer (ammonia plus URL rewriting and lazy images) and
//! plain text, both within the work budget ([`crate::text::budget`]).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use url::Url;

use super::url::{clean_url, resolve_url};
use crate::text::budget::{flattened_text, over_budget};

/// Attributes lazy-loading scripts keep the real image URL in, by preference.
pub(super) const LAZY_SRC_ATTRIBUTES: &[&str] = &["data-src", "data-lazy-src", "data-original"];

/// Elements dropped with everything inside them. `noscript` is among them
/// because the parser reads its content as raw text, which would show up as
/// literal markup; it usually only repeats a lazy image anyway.
pub(super) const DROPPED_WITH_CONTENT: &[&str] = &["script", "style", "form", "noscript"];

/// Sanitized HTML: ammonia's default allow list plus iframes from YouTube
/// and Vimeo; no script, event handlers, `javascript:`/`data:` URLs, forms
/// or styles. Relative `src`/`href` become absolute against `base` (and are
/// dropped without one), lazy images get their real `src`, links lose
/// tracking parameters and get `rel="noopener noreferrer"`.
///
/// HTML over the work budget ([`over_budget`]) is not parsed: it becomes
/// one paragraph of its text.
pub fn sanitize_html(html: &str, base: Option<&Url>) -> String {
    // What the fast path takes is within the budget: it nests far less
    // deep than the budget's limit and has at most its number of tags.
    if let Some(clean) = super::fast::sanitize(html, base) {
        return clean;
    }
    if over_budget(html).is_some() {
        let text = flattened_text(html);
        return format!("<p>{}</p>", html_escape::encode_text(&text));
    }
    sanitize_by_ammonia(html, base)
}

/// [`sanitize_html`] of HTML within the work budget by ammonia, whatever
/// the fast path ([`super::fast`]) could take.
pub(super) fn sanitize_by_ammonia(html: &str, base: Option<&Url>) -> String {
    // Ammonia filters attributes one at a time, so it cannot move `data-src`
    // into `src` or drop a whole iframe. The first pass keeps the lazy-image
    // attributes and yields well-formed serialized HTML, which `rewrite_tags`
    // edits reliably; the second pass sanitizes the result again, so a
    // mistake in that rewrite cannot let anything unsafe through.
    // Without images or iframes there is nothing to rewrite, and the first
    // pass's output is what the second would make of it.
    static LAZY: LazyLock<ammonia::Builder<'static>> =
        LazyLock::new(|| sanitizer(LAZY_SRC_ATTRIBUTES));
    static STRICT: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| sanitizer(&[]));
    SANITIZE_BASE.with_borrow_mut(|b| b.clone_from(&base.cloned()));
    let first = LAZY.clean(html).to_string();
    let clean = if SERIALIZED_TAG.is_match(&first) {
        STRICT.clean(&rewrite_tags(&first)).to_string()
    } else {
        first
    };
    SANITIZE_BASE.with_borrow_mut(|b| *b = None);
    clean
}

thread_local! {
    /// The base URL of the [`sanitize_html`] call running on this thread:
    /// the sanitizers are built once (building one costs as much as using
    /// it), so their attribute filter finds the call's base here. Ammonia
    /// calls the filter synchronously, on the caller's thread.
    static SANITIZE_BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

/// The ammonia configuration of [`sanitize_html`], allowing `img_attributes`
/// on images in addition.
pub(super) fn sanitizer(img_attributes: &'static [&'static str]) -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["iframe"])
        .add_tag_attributes("iframe", ["src", "width", "height", "allowfullscreen"])
        .add_tag_attributes("img", img_attributes)
        .add_clean_content_tags(DROPPED_WITH_CONTENT)
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .attribute_filter(|element, attribute, value| {
            SANITIZE_BASE
                .with_borrow(|base| filter_url_attribute(base.as_ref(), element, attribute, value))
        });
    builder
}

/// Rewrites URL-bearing attributes: absolute against `base` or dropped,
/// iframes only from the embed allow list, links without tracking
/// parameters. Ammonia has already checked the scheme of absolute URLs.
pub(super) fn filter_url_attribute<'v>(
    base: Option<&Url>,
    element: &str,
    attribute: &str,
    value: &'v str,
) -> Option<Cow<'v, str>> {
    match (element, attribute) {
        ("iframe", "src") => resolve_url(value, base)
            .filter(is_allowed_embed)
            .map(|url| Cow::Owned(url.into())),
        ("a", "href") if Url::parse(value).is_ok_and(|url| url.scheme() == "mailto") => {
            Some(Cow::Borrowed(value))
        }
        ("a", "href") => clean_url(value, base).map(Cow::Owned),
        // `cite` is not checked by ammonia, so it is resolved here too.
        (_, "src" | "href" | "cite") => resolve_url(value, base).map(|url| Cow::Owned(url.into())),
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Whether an iframe may show this page: YouTube and Vimeo players only.
pub(super) fn is_allowed_embed(url: &Url) -> bool {
    match url.host_str() {
        Some("www.youtube.com" | "youtube.com") => url.path().starts_with("/embed/"),
        Some("www.youtube-nocookie.com" | "youtube-nocookie.com" | "player.vimeo.com") => true,
        _ => false,
    }
}

/// An iframe (with its raw-text content) or an image as html5ever serializes
/// them: attribute values always double-quoted, with `"`, `<` and `>`
/// escaped, and `<` escaped in text outside iframes, so a `<` always starts
/// markup and a tag ends at the first `>`.
pub(super) static SERIALIZED_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"<iframe((?:\s[^\s"=>]+="[^"]*")*)>(?s:.*?)</iframe>|<img((?:\s[^\s"=>]+="[^"]*")*)>"#,
    )
    .expect("valid regex")
});

/// One serialized attribute: name and (still escaped) value.
pub(super) static SERIALIZED_ATTRIBUTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\s([^\s"=>]+)="([^"]*)""#).expect("valid regex"));

/// Removes iframes whose `src` the first pass dropped (with their fallback
/// content, which browsers never show) and moves lazy-image URLs into `src`.
pub(super) fn rewrite_tags(serialized: &str) -> String {
    SERIALIZED_TAG
        .replace_all(serialized, |caps: &Captures| {
            match (caps.get(1), caps.get(2)) {
                (Some(iframe), _) => {
                    let attributes = iframe.as_str();
                    if serialized_attributes(attributes).any(|(name, _)| name == "src") {
                        format!("<iframe{attributes}></iframe>")
                    } else {
                        String::new()
                    }
                }
                (None, image) => rewrite_lazy_image(image.map_or("", |m| m.as_str())),
            }
        })
        .into_owned()
}

/// An `<img>` tag with the first non-empty lazy-loading URL as its `src`
/// (the `src` such images carry is a placeholder) and without the
/// lazy-loading attributes.
pub(super) fn rewrite_lazy_image(attributes: &str) -> String {
    let attributes: Vec<(&str, &str)> = serialized_attributes(attributes).collect();
    let lazy_src = LAZY_SRC_ATTRIBUTES.iter().find_map(|lazy| {
        attributes
            .iter()
            .find(|(name, value)| name == lazy && !value.trim().is_empty())
            .map(|(_, value)| *value)
    });
    let kept = attributes.iter().copied().filter(|&(name, _)| match name {
        "src" => lazy_src.is_none(),
        name => !LAZY_SRC_ATTRIBUTES.contains(&name),
    });
    let mut tag = String::from("<img");
    for (name, value) in lazy_src.map(|src| ("src", src)).into_iter().chain(kept) {
        tag.push(' ');
        tag.push_str(name);
        tag.push_str("=\"");
        tag.push_str(value);
        tag.push('"');
    }
    tag.push('>');
    tag
}

pub(super) fn serialized_attributes(attributes: &str) -> impl Iterator<Item = (&str, &str)> {
    SERIALIZED_ATTRIBUTE.captures_iter(attributes).map(|caps| {
        let (_, [name, value]) = caps.extract();
        (name, value)
    })
}

/// Start and end tags of elements that separate words visually; a space is
/// put before each so that `<p>a</p><p>b</p>` reads "a b", not "ab".
pub(super) static BLOCK_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)</?(?:address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr|li|ol|p|pre|section|table|td|th|tr|ul)\b",
    )
    .expect("valid regex")
});

/// Plain text of an HTML or text fragment: markup stripped, entities
/// decoded exactly once, whitespace collapsed, trimmed.
pub fn plain_text(html: &str) -> String {
    // Text without markup or entities (most titles, names and categories)
    // needs no parse; the parser drops NULs, so text with one takes the parse.
    if !html.contains(['<', '&', '\0']) {
        return no_controls(html);
    }
    // Nor does text whose only markup is references the sanitizer's fast
    // path knows (a title's `&amp;` or `&#8217;`): decoded as the parser
    // would decode them.
    if !html.contains('<')
        && let Some(text) = super::fast::decode_text(html)
    {
        return no_controls(&text);
    }
    plain_text_parsed(html)
}

/// Control characters (terminal escapes among them) become spaces, and
/// whitespace is collapsed.
fn no_controls(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`plain_text`] by the HTML parser, whatever the shortcuts could take.
pub(super) fn plain_text_parsed(html: &str) -> String {
    if over_budget(html).is_some() {
        return flattened_text(html);
    }
    static TEXT_ONLY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut builder = ammonia::Builder::empty();
        builder
            .add_clean_content_tags(DROPPED_WITH_CONTENT)
            .add_clean_content_tags(["iframe"]);
        builder
    });
    let spaced = BLOCK_TAG.replace_all(html, " $0");
    // Parsing decodes the entities once; ammonia serializes the text with
    // only `&`, `<`, `>` and no-break spaces escaped, and decoding that undoes
    // exactly the serializer's escaping.
    let text = TEXT_ONLY.clean(&spaced).to_string();
    no_controls(&html_escape::decode_html_entities(&text))
}
