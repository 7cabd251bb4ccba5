//! Entry points for the fuzz targets in `fuzz/` (built with the `fuzzing`
//! feature, and in tests, which replay the kept inputs): each runs untrusted bytes through a real path of the
//! daemon and panics when an invariant the served feeds rely on breaks.
//!
//! Like `app`, it sees the stages it drives; nothing depends on it.

use crate::model::{FeedMeta, RawItem};
use crate::{extract, normalize, render, source, text};
use chrono::{DateTime, Utc};

fn fetch_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default()
}

/// A feed document through parse → normalize → render, as a fetch would
/// take it. Every rendered format must parse back, and no script may reach
/// it. `max_item` is small, so that a fuzzer's inputs (tens of KB) reach the
/// cut of long texts and of long category and author lists.
pub fn feed(bytes: &[u8]) {
    let max_item = 4096;
    let Ok(url) = url::Url::parse("https://fuzz.example/feed") else {
        return;
    };
    let Ok((title, ttl, pairs, _)) = crate::app::parse_feed(
        "fuzz",
        chrono_tz::Europe::Berlin,
        bytes,
        None,
        &url,
        fetch_time(),
        max_item,
    ) else {
        return;
    };
    let items: Vec<_> = pairs.into_iter().map(|(_, item)| item).collect();
    for item in &items {
        assert!(
            item.published <= fetch_time(),
            "a date in the future: {item:?}"
        );
        for html in [&item.summary_html, &item.content_html]
            .into_iter()
            .flatten()
        {
            assert_safe(html);
        }
        distinct_within(&item.categories, max_item);
        distinct_within(&item.authors, max_item);
    }
    let meta = FeedMeta {
        path: "feeds/fuzz".into(),
        title: title.unwrap_or_default(),
        description: String::new(),
        base_url: "https://tidings.example".into(),
        ttl_minutes: ttl,
        hub: None,
        updated: fetch_time(),
        sources: Default::default(),
        archive: None,
    };
    let rss = render::rss(&meta, &items);
    let channel = rss::Channel::read_from(&rss[..]).expect("rendered RSS parses");
    assert_eq!(channel.items().len(), items.len());
    let atom = render::atom(&meta, &items);
    let feed = atom_syndication::Feed::read_from(&atom[..]).expect("rendered Atom parses");
    assert_eq!(feed.entries().len(), items.len());
    let json = render::json(&meta, &items);
    let value: serde_json::Value = serde_json::from_slice(&json).expect("rendered JSON parses");
    assert_eq!(value["items"].as_array().map_or(0, Vec::len), items.len());
}

/// An HTML fragment through the sanitizer and the text extractor.
pub fn html(text: &str) {
    let base = url::Url::parse("https://fuzz.example/a/b").ok();
    let clean = normalize::sanitize_html(text, base.as_ref());
    assert_safe(&clean);
    // The sanitizer's fast path, where it takes a fragment, gives what
    // ammonia gives.
    if let (Some(fast), by_ammonia) = normalize::sanitize_paths(text, base.as_ref()) {
        assert_eq!(fast, by_ammonia, "the fast path differs from ammonia");
    }
    // Readers parse it again: what they rebuild from badly nested markup
    // (the HTML parser moves elements) must be just as clean. Byte-for-byte
    // idempotence does not hold for such markup, and need not (found by
    // fuzzing; the input is kept in fuzz/regressions/html).
    assert_safe(&normalize::sanitize_html(&clean, base.as_ref()));
    let _ = normalize::plain_text(text);
    let _ = normalize::parse_date(text, chrono_tz::UTC);
    budget(text);
}

/// The HTML work budget and the item limits on `text` made large: a
/// fuzzer's inputs stay small (tens of KB), the budget's limits are deep
/// nesting and 100,000 tags, so the input is repeated, as often as its
/// first byte says, up to about 1 MB. Over the budget, a fragment is served
/// as one paragraph of text (no markup left to be unsafe); a page is cut
/// within it. Categories (the input's lines, each also repeated) come out
/// distinct and within `max_item`.
fn budget(text: &str) {
    let times = usize::from(text.bytes().next().unwrap_or(0)) * 64 + 1;
    let big = text.repeat(times.min((1 << 20) / text.len().max(1)).max(1));
    let clean = normalize::sanitize_html(&big, None);
    assert_safe(&clean);
    if text::budget::over_budget(&big).is_some() {
        assert!(
            clean.starts_with("<p>") && clean.ends_with("</p>"),
            "{clean:.200}"
        );
        assert!(!clean[3..clean.len() - 4].contains('<'), "{clean:.200}");
    }
    let mut page = big.clone();
    text::budget::cut_to_budget(&mut page);
    assert!(text::budget::over_budget(&page).is_none());
    let max_item = 4096;
    let lines: Vec<String> = text
        .lines()
        .flat_map(|l| [l.to_string(), l.to_string()])
        .collect();
    let raw = RawItem {
        title: Some("t".into()),
        guid: Some("g".into()),
        categories: lines.clone(),
        authors: lines,
        content_html: Some(big),
        ..RawItem::default()
    };
    let ctx = normalize::Context {
        source: "fuzz",
        base_url: None,
        timezone: chrono_tz::UTC,
        now: fetch_time(),
        max_item,
    };
    let item = normalize::item(raw, &ctx);
    distinct_within(&item.categories, max_item);
    distinct_within(&item.authors, max_item);
}

/// A deduplicated list (categories, authors): no text twice, all of it
/// within `max_item` bytes.
fn distinct_within(list: &[String], max_item: usize) {
    let distinct: std::collections::HashSet<&String> = list.iter().collect();
    assert_eq!(distinct.len(), list.len(), "repeats in {list:?}");
    assert!(list.iter().map(String::len).sum::<usize>() <= max_item);
}

/// A fetched HTML page through article extraction, then sanitized as its
/// body would be before it is stored. An input that starts with a digit `d`
/// is the rest repeated up to `(d + 1) × 32` KB, so that pages reach the
/// work budget and the extraction guard's depth and element caps; others
/// (most: pages start with `<`) run as they are, so the fuzzer stays fast.
pub fn page(bytes: &[u8]) {
    let base = url::Url::parse("https://fuzz.example/news/a").ok();
    let bytes = match bytes.split_first() {
        Some((&d @ b'0'..=b'9', rest)) => {
            let max = (usize::from(d - b'0') + 1) << 15;
            rest.repeat((max / rest.len().max(1)).max(1))
        }
        _ => bytes.to_vec(),
    };
    let html = crate::app::page_html(&bytes, Some("text/html"));
    if let Ok(article) = extract::extract(&html, base.as_ref()) {
        assert_safe(&normalize::sanitize_html(&article.body_html, base.as_ref()));
    }
}

/// A Markdown or HTML article file, as a `files` source reads it.
pub fn article(text: &str) {
    let _ = source::files::parse_html(text);
    let _ = source::files::markdown_item(std::path::Path::new("fuzz.md"), text);
}

/// No tag of sanitized HTML is a script, style, form or disallowed frame,
/// nor carries an event handler or a script URL. Text never holds a raw `<`
/// (it is escaped), so every `<` starts a tag.
/// The `name="value"` attributes of a tag's inside, as the sanitizer writes
/// them (always double-quoted).
fn attributes(tag: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].rsplit(char::is_whitespace).next().unwrap_or("");
        let after = &rest[eq + 2..];
        let Some(end) = after.find('"') else { break };
        out.push((name, &after[..end]));
        rest = &after[end + 1..];
    }
    out
}

/// The fuzz oracle for sanitized HTML: no script, style, form, plugin, SVG
/// or MathML tag, and every URL attribute a web or mail URL.
fn assert_safe(html: &str) {
    let lower = html.to_ascii_lowercase();
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        assert!(
            ![
                "script", "style", "form", "input", "object", "embed", "svg", "math"
            ]
            .contains(&name),
            "<{name}> survived sanitizing: {html}"
        );
        for (attr, value) in attributes(tag) {
            if matches!(
                attr,
                "href"
                    | "src"
                    | "cite"
                    | "action"
                    | "formaction"
                    | "poster"
                    | "background"
                    | "xlink:href"
            ) {
                let value = html_escape::decode_html_entities(value);
                let scheme = url::Url::parse(value.trim()).map(|u| u.scheme().to_string());
                assert!(
                    matches!(scheme.as_deref(), Ok("http" | "https" | "mailto")),
                    "a {attr} that is not a web or mail URL survived: {html}"
                );
            }
        }
        let handler = attributes(tag)
            .iter()
            .any(|(attr, _)| attr.starts_with("on") || *attr == "style");
        assert!(!handler, "an event handler or style survived: {html}");
        if name == "iframe" && !tag.starts_with('/') {
            let src = tag
                .split("src=\"")
                .nth(1)
                .and_then(|v| v.split('"').next())
                .unwrap_or("");
            let host = url::Url::parse(&html_escape::decode_html_entities(src))
                .ok()
                .and_then(|u| u.host_str().map(str::to_string));
            assert!(
                matches!(
                    host.as_deref(),
                    Some(
                        "www.youtube.com"
                            | "youtube.com"
                            | "www.youtube-nocookie.com"
                            | "youtube-nocookie.com"
                            | "player.vimeo.com"
                    )
                ),
                "an iframe from elsewhere: {html}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    //! Every seed and every input that once crashed a target, through the
    //! same checks as the fuzzers: the regression tests of fuzzing, one test
    //! per target so that they run side by side.

    type Target = fn(&[u8]);

    /// Runs `target` on every file in `dirs`; returns how many there were.
    fn replay(dirs: &[&str], target: Target) -> usize {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut ran = 0;
        for dir in dirs {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                target(&std::fs::read(entry.unwrap().path()).unwrap());
                ran += 1;
            }
        }
        ran
    }

    #[test]
    fn kept_feeds_pass() {
        let dirs = [
            "fuzz/seeds/feed",
            "tests/fixtures/feeds",
            "fuzz/regressions/feed",
        ];
        assert!(replay(&dirs, super::feed) >= 10);
    }

    #[test]
    fn kept_html_fragments_pass() {
        let dirs = ["fuzz/seeds/html", "fuzz/regressions/html"];
        assert!(replay(&dirs, |b| super::html(&String::from_utf8_lossy(b))) >= 5);
    }

    #[test]
    fn kept_pages_and_articles_pass() {
        assert!(replay(&["tests/fixtures/pages", "fuzz/seeds/page"], super::page) >= 3);
        let articles = replay(&["config/articles"], |b| {
            super::article(&String::from_utf8_lossy(b))
        });
        assert!(articles >= 1);
    }
}
