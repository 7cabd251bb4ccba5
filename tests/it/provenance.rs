//! Provenance through the real binary: each item of a merged feed names
//! every source that carried it — RSS `source` and `category`, Atom
//! `source` and `via` links, JSON Feed's `_tidings` — dedupe's merged
//! copies included; a source's own feed names none. Python's feedparser
//! reads the RSS and Atom as a reader would.

use crate::common::{Config, Origin, free_port, tidings};

fn rss(title: &str, item: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>https://example.org/</link><description>d</description>{item}</channel></rss>"#
    )
}

const BRIDGE: &str = "<item><title>Harbour bridge reopens</title><link>https://harbour.example/bridge</link><pubDate>Thu, 05 Mar 2026 12:00:00 GMT</pubDate><description>The harbour bridge reopened to traffic on Saturday.</description></item>";
const FERRY: &str = "<item><title>Ferry timetable changes</title><link>https://harbour.example/ferry</link><pubDate>Thu, 05 Mar 2026 10:00:00 GMT</pubDate><description>From Monday.</description></item>";

fn render(cfg: &str, feed: &str, format: &str) -> String {
    let (code, out, err) = tidings(&["render", "-c", cfg, feed, "--format", format]);
    assert_eq!(code, 0, "{err}");
    out
}

/// What feedparser reads of each entry: title, then the source's title and
/// href (`source`), then its tags with their schemes.
fn feedparser(path: &std::path::Path) -> String {
    let script = "import sys, feedparser\nd = feedparser.parse(sys.argv[1])\nassert not d.bozo, d.get('bozo_exception')\nfor e in d.entries:\n    s = e.get('source', {})\n    print(e.title, '|', s.get('title'), s.get('href') or s.get('links', [{}])[0].get('href'), '|', ' '.join(sorted((t.get('scheme') or '') + '=' + t.term for t in e.get('tags', []))))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "feedparser: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_items_name_every_source_that_carried_them() {
    let origin = Origin::start().await;
    origin.put(
        "gazette.xml",
        "application/rss+xml",
        rss("Gazette", &format!("{BRIDGE}{FERRY}")),
    );
    origin.put("wire.xml", "application/rss+xml", rss("Wire", BRIDGE));
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new(dir.path(), free_port())
        .server("base_url = \"https://news.example.org\"")
        .entries(&format!(
            "[[source]]\nid = \"gazette\"\ntitle = \"The Gazette\"\nkind = \"feed\"\nurl = \"{}\"\ntags = [\"local\"]\n\n[[source]]\nid = \"wire\"\nkind = \"feed\"\nurl = \"{}\"\ntags = [\"agency\", \"local\"]\n\n[[feed]]\nid = \"all\"\nsources = [\"*\"]\ndedupe = true",
            origin.url("gazette.xml"),
            origin.url("wire.xml?key=s3cret")
        ))
        .write();
    let cfg = cfg.to_str().unwrap();
    let (code, out, err) = tidings(&["fetch", "-c", cfg]);
    assert_eq!(code, 0, "{out}{err}");

    // The bridge story came through both: one copy is kept (both give the
    // same date, so dedupe's fixed order picks the wire's) and the other
    // source is named too.
    let rss_text = render(cfg, "all", "rss");
    assert!(
        rss_text.contains(
            r#"<source url="https://news.example.org/sources/gazette.rss">The Gazette</source>"#
        ),
        "{rss_text}"
    );
    assert!(
        rss_text.contains(r#"<category domain="tag:tidings,2026:source">wire</category>"#),
        "{rss_text}"
    );
    assert!(
        rss_text.contains(r#"<category domain="tag:tidings,2026:tag">agency</category>"#),
        "{rss_text}"
    );
    assert!(!rss_text.contains("s3cret"), "{rss_text}");
    let rss_path = dir.path().join("all.rss");
    std::fs::write(&rss_path, &rss_text).unwrap();
    let read = feedparser(&rss_path);
    let lines: Vec<&str> = read.lines().collect();
    assert_eq!(lines.len(), 2, "{read}");
    assert_eq!(
        lines[0],
        "Harbour bridge reopens | wire https://news.example.org/sources/wire.rss | tag:tidings,2026:source=gazette tag:tidings,2026:source=wire tag:tidings,2026:tag=agency tag:tidings,2026:tag=local"
    );
    assert_eq!(
        lines[1],
        "Ferry timetable changes | The Gazette https://news.example.org/sources/gazette.rss | tag:tidings,2026:source=gazette tag:tidings,2026:tag=local"
    );

    let atom = render(cfg, "all", "atom");
    assert!(
        atom.contains(r#"<link href="https://news.example.org/sources/gazette.atom" rel="via" type="application/atom+xml" title="The Gazette"/>"#),
        "{atom}"
    );
    assert!(
        atom.contains("<source><title>The Gazette</title><id>https://news.example.org/sources/gazette.atom</id>"),
        "{atom}"
    );
    let atom_path = dir.path().join("all.atom");
    std::fs::write(&atom_path, &atom).unwrap();
    let read = feedparser(&atom_path);
    assert!(
        read.starts_with("Harbour bridge reopens | wire https://news.example.org/sources/wire.atom | tag:tidings,2026:tag=agency tag:tidings,2026:tag=local"),
        "{read}"
    );

    let json: serde_json::Value = serde_json::from_str(&render(cfg, "all", "json")).expect("JSON");
    let ids = |i: usize| -> Vec<String> {
        json["items"][i]["_tidings"]["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(0), ["wire", "gazette"]);
    assert_eq!(ids(1), ["gazette"]);
    assert_eq!(
        json["items"][0]["_tidings"]["sources"][0]["url"],
        origin.url("wire.xml")
    );
}
