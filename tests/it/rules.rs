//! Per-source content rules, feeds on request and `preview --url`, through
//! the real binary over a loopback origin: each rule kind changing what is
//! served (beside the same feed read without rules), rules applied before
//! the sanitizer, bad rules refused by `check` by key; query parameters on
//! served feeds with their ETags and 400s; a source previewed by URL.

use crate::common::{Config, Origin, free_port, tidings};
use serde_json::Value;

const RSS: &str = "application/rss+xml";
const HTML: &str = "text/html; charset=utf-8";

/// A feed of four items: one to retitle and trim, one sponsored, one off
/// topic, and one whose body a rewrite fills with markup.
fn wire() -> String {
    r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Wire</title><link>https://wire.example/</link><description>Wire</description>
<item><title>Breaking: Bridge reopens</title><link>https://wire.example/bridge</link>
<pubDate>Tue, 03 Mar 2026 10:00:00 GMT</pubDate>
<content:encoded><![CDATA[<p>Lead in</p><div class="story"><p>The bridge is 3 km long.</p><p class="share">Share this</p></div><p>Footer</p>]]></content:encoded></item>
<item><title>Sponsored: bridge insurance</title><link>https://wire.example/ad</link>
<pubDate>Tue, 03 Mar 2026 09:00:00 GMT</pubDate><description>Buy now.</description></item>
<item><title>Weather</title><link>https://wire.example/weather</link>
<pubDate>Tue, 03 Mar 2026 08:00:00 GMT</pubDate><description>Rain.</description></item>
<item><title>Council votes on the bridge toll</title><link>https://wire.example/toll</link>
<pubDate>Tue, 03 Mar 2026 07:00:00 GMT</pubDate><description>INJECT here.</description></item>
</channel></rss>"#
        .to_string()
}

/// Runs the binary off the async threads, so the origin keeps answering.
async fn run(args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tidings(&args)
    })
    .await
    .unwrap()
}

/// The JSON Feed items of `feed`, from the store.
fn rendered(cfg: &str, feed: &str) -> Vec<Value> {
    let (code, out, err) = tidings(&["render", "-c", cfg, feed, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let feed: Value = serde_json::from_str(&out).unwrap();
    feed["items"].as_array().unwrap().clone()
}

fn titles(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["title"].as_str().unwrap()).collect()
}

fn html_of(item: &Value) -> String {
    [&item["content_html"], &item["summary"]]
        .iter()
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join("|")
}

const RULES: &str = r#"[source.rules]
body = "div.story"
remove = [".share"]
rewrite = [
  { field = "title", pattern = "^Breaking: (.*)$", with = "$1 (breaking)" },
  { field = "body", pattern = "(\\d+) km", with = "$1 kilometres" },
  { field = "body", pattern = "INJECT", with = "<script>alert(1)</script><img src=\"https://wire.example/i.png\" onerror=\"alert(2)\"><a href=\"javascript:alert(3)\">x</a>" },
]
include = ["(?i)bridge"]
exclude = ["(?i)sponsored"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rule_kind_changes_the_feed_and_the_sanitizer_still_runs() {
    let origin = Origin::start().await;
    origin.put("wire.rss", RSS, wire());
    let dir = tempfile::tempdir().unwrap();
    let url = origin.url("wire.rss");
    let cfg = Config::new(dir.path(), free_port())
        .entries(&format!(
            "[[source]]\nid = \"plain\"\nkind = \"feed\"\nurl = \"{url}\"\n\n\
             [[source]]\nid = \"ruled\"\nkind = \"feed\"\nurl = \"{url}\"\n{RULES}"
        ))
        .entries("[[feed]]\nid = \"plain\"\nsources = [\"plain\"]\nlimit = 10")
        .entries("[[feed]]\nid = \"ruled\"\nsources = [\"ruled\"]\nlimit = 10")
        .write()
        .display()
        .to_string();
    let (code, out, err) = run(&["check", "-c", &cfg]).await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&["fetch", "-c", &cfg]).await;
    assert_eq!(code, 0, "{out}{err}");

    // Without rules: all four items as the origin has them.
    let plain = rendered(&cfg, "plain");
    assert_eq!(
        titles(&plain),
        [
            "Breaking: Bridge reopens",
            "Sponsored: bridge insurance",
            "Weather",
            "Council votes on the bridge toll"
        ]
    );
    let bridge = html_of(&plain[0]);
    assert!(
        bridge.contains("Lead in") && bridge.contains("Share this"),
        "{bridge}"
    );

    // With them: include and exclude drop two, the title is rewritten.
    let ruled = rendered(&cfg, "ruled");
    assert_eq!(
        titles(&ruled),
        [
            "Bridge reopens (breaking)",
            "Council votes on the bridge toll"
        ]
    );
    // body takes the story, remove drops the share line, a body rewrite
    // used its capture.
    assert_eq!(
        ruled[0]["content_html"].as_str().unwrap(),
        "<div><p>The bridge is 3 kilometres long.</p></div>"
    );
    // A rewrite that inserts unsafe markup is sanitized like any other.
    let toll = html_of(&ruled[1]);
    assert!(toll.contains("https://wire.example/i.png"), "{toll}");
    for unsafe_part in ["<script", "alert(", "onerror", "javascript:"] {
        assert!(!toll.contains(unsafe_part), "{unsafe_part} in {toll}");
    }

    // preview shows the same, and says what the filters left out.
    let (code, out, err) = run(&["preview", "-c", &cfg, "ruled"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Bridge reopens (breaking)\n"), "{out}");
    assert!(out.contains("3 kilometres long"), "{out}");
    assert!(
        !out.contains("Sponsored") && !out.contains("Weather"),
        "{out}"
    );
    assert!(out.ends_with("2 items\n"), "{out}");
}

/// An article page with chrome around the story, for `full_text`.
const ARTICLE: &str = r#"<!doctype html><html><head><title>Bridge | Wire</title>
<meta property="og:title" content="Bridge reopens after two years"></head><body>
<nav><a href="/">Home</a></nav>
<article><h1>Bridge reopens after two years</h1>
<div class="story"><p>The harbour bridge reopened on Saturday after a repair that took two years.</p>
<aside class="related">Related: the ferry timetable</aside>
<p>Engineers replaced the deck and half of the cables, the city said.</p></div>
<p class="tail">Comments are closed.</p></article>
<footer>All rights reserved</footer></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_text_takes_the_body_element_after_remove() {
    let origin = Origin::start().await;
    let page = origin.url("bridge.html");
    origin.put(
        "teasers.rss",
        RSS,
        format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{page}</link>
<description>T</description><item><title>Bridge reopens</title><link>{page}</link>
<pubDate>Tue, 03 Mar 2026 10:00:00 GMT</pubDate><description>Teaser only.</description></item>
</channel></rss>"#
        ),
    );
    origin.put("bridge.html", HTML, ARTICLE);
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new(dir.path(), free_port())
        .entries(&format!(
            "[[source]]\nid = \"t\"\nkind = \"feed\"\nurl = \"{}\"\nfull_text = true\n\
             [source.rules]\nbody = \"div.story\"\nremove = [\".related\"]\n",
            origin.url("teasers.rss")
        ))
        .entries("[[feed]]\nid = \"all\"\nsources = [\"t\"]")
        .write()
        .display()
        .to_string();
    let (code, out, err) = run(&["fetch", "-c", &cfg]).await;
    assert_eq!(code, 0, "{out}{err}");
    let items = rendered(&cfg, "all");
    assert_eq!(titles(&items), ["Bridge reopens"]);
    let html = items[0]["content_html"].as_str().unwrap();
    assert!(
        html.starts_with("<div><p>The harbour bridge reopened"),
        "{html}"
    );
    assert!(html.contains("half of the cables"), "{html}");
    for chrome in [
        "Related:",
        "Comments are closed",
        "All rights reserved",
        "Home",
    ] {
        assert!(!html.contains(chrome), "{chrome} in {html}");
    }
}

#[test]
fn check_names_every_bad_rule_by_source_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let long = "a".repeat(1025);
    let cfg = Config::new(dir.path(), free_port())
        .entries(&format!(
            "[[source]]\nid = \"good\"\nkind = \"feed\"\nurl = \"https://a.example/rss\"\n\n\
             [[source]]\nid = \"bad\"\nkind = \"feed\"\nurl = \"https://b.example/rss\"\n\
             [source.rules]\nbody = \"div[\"\nremove = [\".ok\", \"p:::x\"]\n\
             rewrite = [{{ field = \"summary\", pattern = \"x\", with = \"\" }}, \
             {{ field = \"title\", pattern = \"(unclosed\" }}]\n\
             include = [\"{long}\"]\nexclude = [\"[z-a]\"]\n\n\
             [[source]]\nid = \"odd\"\nkind = \"feed\"\nurl = \"https://c.example/rss\"\n\
             [source.rules]\nselect = \"p\"\n"
        ))
        .write();
    let (code, out, err) = tidings(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = err.lines().collect();
    let has = |key: &str, what: &str| {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!(": {key}: ")) && l.contains(what)),
            "no {key} error with {what:?} in\n{err}"
        );
    };
    has(
        "source[1] (bad).rules.body",
        "\"div[\" is not a CSS selector",
    );
    has(
        "source[1] (bad).rules.remove",
        "\"p:::x\" is not a CSS selector",
    );
    has(
        "source[1] (bad).rules.rewrite[0].field",
        "\"summary\": expected \"title\" or \"body\"",
    );
    has("source[1] (bad).rules.rewrite[1].pattern", "unclosed group");
    has(
        "source[1] (bad).rules.include",
        "1025 bytes long; at most 1024",
    );
    has("source[1] (bad).rules.exclude", "invalid regex \"[z-a]\"");
    has("source[2].rules.select", "unknown field `select`");
    assert_eq!(lines.len(), 7, "{err}");
    // Each line names the file, line and column.
    let path = cfg.display().to_string();
    assert!(
        lines.iter().all(|l| l.starts_with(&format!("{path}:"))),
        "{err}"
    );
}
