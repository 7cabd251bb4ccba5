//! Feed autodiscovery through the binary: a `feed` source whose URL is an
//! HTML page reads the feed the page advertises (RSS, Atom, JSON Feed;
//! relative hrefs, `<base href>`, the first of several), remembers it
//! (fetched directly next time, with its validators; looked for again when
//! it goes away) and `sources` shows it; `tidings discover` lists what a
//! page advertises, probes common paths when it advertises nothing, says
//! when the URL is a feed itself, and fails clearly when nothing is found.

use crate::common::{Config, Origin, Reply, bin, free_port, tidings};
use std::process::Command;

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour RSS</title><link>https://harbour.example/</link><description>d</description>
<item><title>Ferry timetable changes</title><link>https://harbour.example/ferry</link><pubDate>Thu, 05 Mar 2026 12:00:00 GMT</pubDate></item>
<item><title>Fish market opens</title><link>https://harbour.example/fish</link><pubDate>Wed, 04 Mar 2026 12:00:00 GMT</pubDate></item>
</channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Harbour Atom</title><id>urn:x:harbour</id><updated>2026-03-05T12:00:00Z</updated>
<entry><title>Lighthouse repainted</title><id>urn:x:lighthouse</id><link href="https://harbour.example/lighthouse"/><updated>2026-03-05T12:00:00Z</updated></entry>
</feed>"#;

const JSON: &str = r#"{"version":"https://jsonfeed.org/version/1.1","title":"Harbour JSON","items":[
{"id":"j1","url":"https://harbour.example/j1","title":"Tide tables","content_text":"x","date_published":"2026-03-05T12:00:00Z"}]}"#;

/// An HTML page whose `<head>` holds `links`.
fn page(links: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>Harbour</title>{links}</head><body><h1>Harbour</h1><p>Welcome.</p></body></html>"
    )
}

fn fetch_lines(cfg: &str) -> (i32, String, String) {
    tidings(&["fetch", "-c", cfg])
}

fn discover(url: &str, allow_private: bool) -> (i32, String, String) {
    let mut cmd = Command::new(bin());
    cmd.args(["discover", url])
        .env("RUST_LOG", "warn")
        .env_remove("TIDINGS_ALLOW_PRIVATE");
    if allow_private {
        cmd.env("TIDINGS_ALLOW_PRIVATE", "1");
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page_leads_to_its_feed_which_is_remembered_and_found_again() {
    let origin = Origin::start().await;
    // Relative to the page: /blog/ + feeds/all.atom.
    origin.put(
        "blog/",
        "text/html; charset=utf-8",
        page(r#"<link rel="alternate" type="application/atom+xml" title="Atom" href="feeds/all.atom">"#),
    );
    origin.put("blog/feeds/all.atom", "application/atom+xml", ATOM);
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new(dir.path(), free_port())
        .feed_source("harbour", &origin.url("blog/"))
        .write();
    let cfg = cfg.to_str().unwrap();

    let (code, out, err) = fetch_lines(cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("harbour: new 1"), "{out}");
    let (_, table, _) = tidings(&["sources", "-c", cfg]);
    let feed = origin.url("blog/feeds/all.atom");
    assert!(table.contains(&format!("via {feed}")), "{table}");

    // Remembered: the feed is asked directly, with its validators.
    let (code, out, _) = fetch_lines(cfg);
    assert_eq!(code, 0);
    assert!(out.contains("harbour: unchanged (not modified)"), "{out}");
    assert_eq!(origin.requests_to("/blog/").len(), 1);
    let asked = origin.requests_to("/blog/feeds/all.atom");
    assert_eq!(asked.len(), 2);
    assert!(asked[0].if_none_match.is_none());
    assert!(asked[1].if_none_match.is_some(), "{:?}", asked[1]);

    // The feed goes away and the page points elsewhere: found again.
    origin.script("blog/feeds/all.atom", vec![Reply::Status(404, vec![])]);
    origin.put(
        "blog/",
        "text/html",
        page(r#"<link rel="alternate" type="application/rss+xml" href="/rss.xml">"#),
    );
    origin.put("rss.xml", "application/rss+xml", RSS);
    let (code, out, err) = fetch_lines(cfg);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("harbour: new 2"), "{out}");
    let page_asks = origin.requests_to("/blog/");
    assert_eq!(page_asks.len(), 2);
    // The feed's validators are not the page's.
    assert!(page_asks[1].if_none_match.is_none());
    let (_, table, _) = tidings(&["sources", "-c", cfg]);
    assert!(
        table.contains(&format!("via {}", origin.url("rss.xml"))),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_of_several_alternates_wins_and_base_href_counts() {
    let origin = Origin::start().await;
    // JSON Feed first, relative to <base href>; then RSS and Atom.
    origin.put(
        "site/index.html",
        "text/html",
        page(
            r#"<base href="/static/">
            <link rel="alternate" type="application/feed+json" title="JSON" href="feed.json">
            <link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">
            <link rel="alternate" type="application/atom+xml" title="Atom" href="/atom.xml">"#,
        ),
    );
    origin.put("static/feed.json", "application/feed+json", JSON);
    origin.put("rss.xml", "application/rss+xml", RSS);
    origin.put("atom.xml", "application/atom+xml", ATOM);
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new(dir.path(), free_port())
        .feed_source("harbour", &origin.url("site/index.html"))
        .write();
    // The choice is logged.
    let out = Command::new(bin())
        .args(["fetch", "-c", cfg.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("harbour: new 1"), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "{} is an HTML page; using the feed it advertises: {}",
            origin.url("site/index.html"),
            origin.url("static/feed.json")
        )),
        "{stderr}"
    );
    assert_eq!(origin.requests_to("/static/feed.json").len(), 1);
    assert!(origin.requests_to("/rss.xml").is_empty());
    assert!(origin.requests_to("/atom.xml").is_empty());

    // discover lists every one, in page order, absolute.
    let (code, out, err) = discover(&origin.url("site/index.html"), true);
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            format!("json\tJSON\t{}", origin.url("static/feed.json")),
            format!("rss\tRSS\t{}", origin.url("rss.xml")),
            format!("atom\tAtom\t{}", origin.url("atom.xml")),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_without_alternates_fails_as_a_source_and_discover_probes_paths() {
    let origin = Origin::start().await;
    origin.put(
        "home",
        "text/html",
        page(r#"<link rel="icon" href="/i.png">"#),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new(dir.path(), free_port())
        .feed_source("plain", &origin.url("home"))
        .write();
    let (code, out, _) = fetch_lines(cfg.to_str().unwrap());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the document is an HTML page") && out.contains("advertises no feed"),
        "{out}"
    );

    // Nothing anywhere: exit 1, saying what was tried.
    let (code, out, err) = discover(&origin.url("home"), true);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("no feed found at") && err.contains("/rss.xml"),
        "{err}"
    );

    // Two common paths answer a feed; one answers a page.
    origin.put("rss.xml", "application/rss+xml", RSS);
    origin.put("feed.json", "application/json", JSON);
    origin.put("feed", "text/html", page(""));
    let (code, out, err) = discover(&origin.url("home"), true);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "the page advertises no feed; these common paths answer one:".to_string(),
            format!("rss\tHarbour RSS\t{}", origin.url("rss.xml")),
            format!("json\tHarbour JSON\t{}", origin.url("feed.json")),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_says_when_the_url_is_a_feed_and_keeps_the_address_policy() {
    let origin = Origin::start().await;
    origin.put("atom.xml", "application/atom+xml", ATOM);
    let (code, out, err) = discover(&origin.url("atom.xml"), true);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            format!("{} is a feed itself", origin.url("atom.xml")),
            format!("atom\tHarbour Atom\t{}", origin.url("atom.xml")),
        ]
    );
    // Loopback is refused unless TIDINGS_ALLOW_PRIVATE=1, as for sources.
    let (code, out, err) = discover(&origin.url("atom.xml"), false);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("cannot fetch"), "{err}");
    assert!(origin.requests_to("/atom.xml").len() == 1);
    // Not a URL: a usage error.
    let (code, _, err) = discover("harbour.example", true);
    assert_eq!(code, 2, "{err}");
}
