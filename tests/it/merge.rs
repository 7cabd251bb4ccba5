//! `[[feed]]` composition through the binary: three sources that carry the
//! same articles (one with tracking parameters, one under another guid, one
//! mirroring the text at another URL), merged with and without dedupe,
//! filtered, and in summary mode.

use crate::common::{Origin, tidings};
use serde_json::Value;

pub const BRIDGE: &str = "The harbour bridge reopened to traffic on Saturday after a repair that took two years and cost more than planned. Engineers replaced the entire deck and half of the cables, the city said, and the ferry returns to its winter timetable.";
pub const COMET: &str = "A comet is now visible with binoculars in the evening sky, low in the west after sunset. It will brighten further over the coming two weeks, astronomers at the observatory said, before it fades again in April.";

/// RSS: the bridge article with tracking parameters (the richest copy, but
/// not the first), and a sponsored item.
pub fn wire_rss() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Wire</title><link>https://wire.example/</link><description>Wire service</description>
<item><title>Harbour bridge reopens</title>
<link>https://news.example/bridge?utm_source=wire&amp;utm_medium=rss&amp;fbclid=x1</link>
<guid isPermaLink="false">wire-1</guid><pubDate>Tue, 03 Mar 2026 10:00:00 GMT</pubDate>
<description>Bridge open again.</description>
<content:encoded><![CDATA[<p>{BRIDGE}</p><p>Traffic is expected to be heavy all week.</p>]]></content:encoded></item>
<item><title>Sponsored: the best bridge insurance</title><link>https://wire.example/ad</link>
<guid>https://wire.example/ad</guid><pubDate>Wed, 04 Mar 2026 10:00:00 GMT</pubDate>
<description>Buy now.</description></item>
</channel></rss>"#
    )
}

/// Atom: the same bridge article, earlier, under another id, with only a
/// summary; and the comet article.
pub fn paper_atom() -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Paper</title><id>urn:paper</id>
<updated>2026-03-02T09:00:00Z</updated>
<entry><title>Bridge reopens after repair</title><id>tag:paper.example,2026:77</id>
<link href="https://news.example/bridge"/><updated>2026-03-02T09:00:00Z</updated>
<author><name>Mara Lindqvist</name></author>
<summary>The bridge is open again.</summary></entry>
<entry><title>Comet brightens</title><id>tag:paper.example,2026:78</id>
<link href="https://paper.example/comet"/><updated>2026-03-01T20:00:00Z</updated>
<content type="html">&lt;p&gt;{COMET}&lt;/p&gt;</content></entry>
</feed>"#
    )
}

/// JSON Feed: the comet article's text at another URL, later.
pub fn mirror_json() -> String {
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Mirror",
        "items": [{
            "id": "m-1",
            "url": "https://mirror.example/2026/comet.html",
            "title": "Comet now visible | Mirror",
            "content_html": format!("<div><p>{COMET}</p></div>"),
            "date_published": "2026-03-05T08:00:00Z"
        }]
    })
    .to_string()
}

/// Serves the three sources on `origin`.
pub fn serve_sources(origin: &Origin) {
    origin.put("wire.xml", "application/rss+xml", wire_rss());
    origin.put("paper.atom", "application/atom+xml", paper_atom());
    origin.put("mirror.json", "application/feed+json", mirror_json());
}

/// `[[source]]` entries for the three sources.
pub fn sources_toml(origin: &Origin) -> String {
    [
        ("wire", "wire.xml"),
        ("paper", "paper.atom"),
        ("mirror", "mirror.json"),
    ]
    .iter()
    .map(|(id, path)| {
        format!(
            "[[source]]\nid = \"{id}\"\nkind = \"feed\"\nurl = \"{}\"\nschedule = \"*/2 * * * * *\"\ntags = [\"news\"]\n\n",
            origin.url(path)
        )
    })
    .collect()
}

fn render(cfg: &str, feed: &str, format: &str) -> String {
    let (code, out, err) = tidings(&["render", "-c", cfg, feed, "--format", format]);
    assert_eq!(code, 0, "{err}");
    out
}

fn titles(feed: &Value) -> Vec<&str> {
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_feeds_dedupe_filter_and_summarize() {
    let origin = Origin::start().await;
    serve_sources(&origin);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tidings.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\nstate_dir = \"{}\"\n\n[fetch]\nallow_private = true\n\n{}\
             [[feed]]\nid = \"merged\"\nsources = [\"*\"]\ndedupe = true\n\n\
             [[feed]]\nid = \"plain\"\ntags = [\"news\"]\n\n\
             [[feed]]\nid = \"filtered\"\nsources = [\"wire\", \"paper\"]\ninclude = [\"(?i)bridge\"]\nexclude = [\"(?i)sponsored\"]\n\n\
             [[feed]]\nid = \"brief\"\nsources = [\"wire\"]\ncontent = \"summary\"\n",
            dir.path().join("state").display(),
            sources_toml(&origin),
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap().to_string();
    let (code, out, err) = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || tidings(&["fetch", "-c", &cfg])
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}{err}");

    // Without dedupe, every copy, newest first.
    let plain: Value = serde_json::from_str(&render(&cfg, "plain", "json")).unwrap();
    assert_eq!(
        titles(&plain),
        [
            "Comet now visible | Mirror",
            "Sponsored: the best bridge insurance",
            "Harbour bridge reopens",
            "Bridge reopens after repair",
            "Comet brightens",
        ]
    );

    // With dedupe: the bridge article once (same URL once trackers are gone,
    // another guid), the comet once (the same text at another URL). Each is
    // the earliest copy, carrying the richest copy's text.
    let merged: Value = serde_json::from_str(&render(&cfg, "merged", "json")).unwrap();
    assert_eq!(
        titles(&merged),
        [
            "Sponsored: the best bridge insurance",
            "Bridge reopens after repair",
            "Comet brightens",
        ]
    );
    let bridge = &merged["items"][1];
    assert_eq!(bridge["id"], "tag:paper.example,2026:77");
    assert_eq!(bridge["url"], "https://news.example/bridge");
    assert_eq!(bridge["date_published"], "2026-03-02T09:00:00Z");
    assert_eq!(bridge["authors"][0]["name"], "Mara Lindqvist");
    let html = bridge["content_html"].as_str().unwrap();
    assert!(html.contains("Traffic is expected"), "{html}");
    assert_eq!(merged["items"][2]["url"], "https://paper.example/comet");
    // The same in every format.
    let rss = render(&cfg, "merged", "rss");
    assert_eq!(rss.matches("<item>").count(), 3, "{rss}");
    assert_eq!(rss.matches("news.example/bridge").count(), 1, "{rss}");
    let atom = render(&cfg, "merged", "atom");
    assert_eq!(atom.matches("<entry>").count(), 3, "{atom}");

    // include/exclude on title and summary.
    let filtered: Value = serde_json::from_str(&render(&cfg, "filtered", "json")).unwrap();
    assert_eq!(
        titles(&filtered),
        ["Harbour bridge reopens", "Bridge reopens after repair"]
    );

    // Summary mode: the source's summary, no full content in any format.
    let brief: Value = serde_json::from_str(&render(&cfg, "brief", "json")).unwrap();
    assert_eq!(brief["items"][1]["content_html"], "Bridge open again.");
    let rss = render(&cfg, "brief", "rss");
    assert!(!rss.contains("content:encoded"), "{rss}");
    assert!(!rss.contains("Traffic is expected"), "{rss}");
    let atom = render(&cfg, "brief", "atom");
    assert!(!atom.contains("<content"), "{atom}");
}
