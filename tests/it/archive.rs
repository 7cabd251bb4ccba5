//! RFC 5005 archived feeds through the real daemon: the subscription
//! document links `prev-archive` to the newest full page, each page links
//! back to the one before it and to `current`, carries `fh:archive`, is
//! served immutable with a strong ETag, and keeps its bytes as items
//! change, across restarts, and on two instances sharing a PostgreSQL
//! store. Walking the chain from the subscription document reaches every
//! item once; feedparser reads every page; newsboat subscribed to the
//! subscription document sees each item once.

use crate::common::{Config, Daemon, Origin, free_port, http, newsboat_reload, wait_for};
use crate::pg::TestDb;
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

/// An RSS feed of items `from..to`, item `i` dated `i` hours after a
/// fixed time.
fn feed(from: usize, to: usize) -> String {
    let mut items = String::new();
    for i in from..to {
        items.push_str(&format!(
            "<item><title>Notice {i}</title><link>https://town.example/notices/{i}</link><guid>https://town.example/notices/{i}</guid><pubDate>{}</pubDate><description>Notice number {i} of the town hall.</description></item>",
            (chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap()
                + chrono::Duration::hours(i as i64))
            .to_rfc2822()
        ));
    }
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Town hall</title><link>https://town.example/</link><description>Notices</description>{items}</channel></rss>"#
    )
}

fn config(dir: &Path, port: u16, origin: &Origin, store: Option<&str>) -> std::path::PathBuf {
    let c = Config::new(dir, port)
        .server("base_url = \"https://news.example.org\"\narchive_settle = \"1s\"")
        .fetch("schedule = \"*/1 * * * * *\"")
        .feed_source("town", &origin.url("town.xml"))
        .entries("[[feed]]\nid = \"all\"\nsources = [\"*\"]\nlimit = 50\narchive_page = 10");
    if let Some(url) = store {
        let text = c
            .text()
            .replace("[store]\n", &format!("[store]\nurl = \"{url}\"\n"));
        let path = dir.join("tidings.toml");
        std::fs::write(&path, text).unwrap();
        return path;
    }
    c.write()
}

/// The `href` of the Atom link with `rel`.
fn link(doc: &str, rel: &str) -> Option<String> {
    doc.split("<link ")
        .skip(1)
        .filter_map(|l| l.split_once("/>").map(|(attrs, _)| attrs))
        .find(|attrs| attrs.contains(&format!("rel=\"{rel}\"")))
        .and_then(|attrs| attrs.split("href=\"").nth(1))
        .and_then(|h| h.split('"').next())
        .map(str::to_string)
}

/// The entry ids of an Atom document, in order (the feed's own id first
/// is skipped).
fn entry_ids(doc: &str) -> Vec<String> {
    doc.split("<entry>")
        .skip(1)
        .filter_map(|e| e.split("<id>").nth(1)?.split("</id>").next())
        .map(str::to_string)
        .collect()
}

/// Served on `base` instead of the public base URL the documents name.
fn local(url: &str, base: &str) -> String {
    url.replace("https://news.example.org", base)
}

async fn get(url: &str) -> reqwest::Response {
    http().get(url).send().await.unwrap()
}

/// Walks from the subscription document back through every archive page;
/// returns the pages' (number, bytes) newest first and every entry id met.
async fn walk(base: &str) -> (Vec<(String, String)>, Vec<String>) {
    let current = get(&format!("{base}/feeds/all.atom"))
        .await
        .text()
        .await
        .unwrap();
    let mut ids = entry_ids(&current);
    let mut pages = Vec::new();
    let mut next = link(&current, "prev-archive");
    while let Some(url) = next {
        let r = get(&local(&url, base)).await;
        assert_eq!(r.status(), 200, "{url}");
        let page = r.text().await.unwrap();
        assert!(page.contains("<fh:archive"), "{page}");
        assert!(page.contains("xmlns:fh=\"http://purl.org/syndication/history/1.0\""));
        assert_eq!(
            link(&page, "current").as_deref(),
            Some("https://news.example.org/feeds/all.atom")
        );
        ids.extend(entry_ids(&page));
        next = link(&page, "prev-archive");
        pages.push((url, page));
    }
    (pages, ids)
}

fn feedparser_reads(path: &Path) -> usize {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, feedparser\nd = feedparser.parse(sys.argv[1])\nassert not d.bozo, d.get('bozo_exception')\nprint(len(d.entries))",
        ])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "feedparser: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_chain_holds_every_item_once_and_pages_never_change() {
    let origin = Origin::start().await;
    origin.put("town.xml", "application/rss+xml", feed(0, 25));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = config(dir.path(), port, &origin, None);
    let mut daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    let base = daemon.base.clone();
    wait_for(20, "two full pages linked", || {
        let base = base.clone();
        async move {
            let doc = get(&format!("{base}/feeds/all.atom"))
                .await
                .text()
                .await
                .ok()?;
            (link(&doc, "prev-archive")?.ends_with("/archive/1.atom")).then_some(())
        }
    })
    .await;

    let (pages, ids) = walk(&base).await;
    assert_eq!(pages.len(), 2);
    // Oldest first within a page; page 0 holds the oldest.
    assert_eq!(
        entry_ids(&pages[1].1),
        (0..10)
            .map(|i| format!("https://town.example/notices/{i}"))
            .collect::<Vec<_>>()
    );
    assert!(
        link(&pages[1].1, "prev-archive").is_none(),
        "page 0 is the first"
    );
    assert!(
        link(&pages[0].1, "next-archive")
            .unwrap()
            .ends_with("/archive/2.atom")
    );
    // The current document holds all 25 (limit 50); pages repeat none.
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 25, "every item reached: {ids:?}");
    let in_pages: Vec<String> = pages.iter().flat_map(|(_, p)| entry_ids(p)).collect();
    let unique: HashSet<&String> = in_pages.iter().collect();
    assert_eq!(in_pages.len(), 20);
    assert_eq!(unique.len(), in_pages.len(), "no repeats among pages");

    // Served immutable, with a strong ETag that answers 304.
    let page0 = format!("{base}/feeds/all/archive/0.atom");
    let r = get(&page0).await;
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"'), "strong: {etag}");
    let r = http()
        .get(&page0)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    // Every format of every page reads in feedparser.
    for n in 0..2 {
        for ext in ["rss", "atom"] {
            let body = get(&format!("{base}/feeds/all/archive/{n}.{ext}"))
                .await
                .bytes()
                .await
                .unwrap();
            let path = dir.path().join(format!("page{n}.{ext}"));
            std::fs::write(&path, &body).unwrap();
            assert_eq!(feedparser_reads(&path), 10, "page {n}.{ext}");
        }
        let json: serde_json::Value = serde_json::from_str(
            &get(&format!("{base}/feeds/all/archive/{n}.json"))
                .await
                .text()
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["items"].as_array().unwrap().len(), 10);
        assert_eq!(json["_tidings"]["archive"], true);
    }
    let rss1 = get(&format!("{base}/feeds/all/archive/1.rss"))
        .await
        .text()
        .await
        .unwrap();
    assert!(rss1.contains("<fh:archive"), "{rss1}");
    assert!(rss1.contains("rel=\"prev-archive\""), "{rss1}");
    // Not full yet, or no such page: 404.
    assert_eq!(
        get(&format!("{base}/feeds/all/archive/2.atom"))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(&format!("{base}/feeds/all/archive/x.atom"))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(&format!("{base}/feeds/nope/archive/0.atom"))
            .await
            .status(),
        404
    );

    // Items change in place, and 15 new ones come: old pages keep their
    // bytes; two more pages fill.
    let before: Vec<Vec<u8>> = futures_bytes(&base, 2).await;
    let revised = feed(0, 40).replace("Notice number 3 of", "Revised notice 3 of");
    origin.put("town.xml", "application/rss+xml", revised);
    wait_for(20, "four full pages linked", || {
        let base = base.clone();
        async move {
            let doc = get(&format!("{base}/feeds/all.atom"))
                .await
                .text()
                .await
                .ok()?;
            (link(&doc, "prev-archive")?.ends_with("/archive/3.atom")).then_some(())
        }
    })
    .await;
    assert_eq!(
        futures_bytes(&base, 2).await,
        before,
        "frozen pages never change"
    );
    let (pages, ids) = walk(&base).await;
    assert_eq!(pages.len(), 4);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 40);

    // A restart serves the same bytes.
    let all_before = futures_bytes(&base, 4).await;
    daemon.terminate();
    drop(daemon);
    let daemon = Daemon::start(&cfg, port, dir.path().join("log2"));
    let base = daemon.base.clone();
    wait_for(20, "served again", || {
        let base = base.clone();
        async move { (get(&format!("{base}/feeds/all.atom")).await.status() == 200).then_some(()) }
    })
    .await;
    assert_eq!(futures_bytes(&base, 4).await, all_before);

    // newsboat, subscribed to the subscription document, sees each item once.
    let db = newsboat_reload(
        dir.path().join("newsboat"),
        &[format!("{base}/feeds/all.rss")],
    )
    .await;
    let (rows, distinct): (i64, i64) = db
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT guid) FROM rss_item",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, distinct), (40, 40));
}

/// The bytes of archive pages `0..n` in every format.
async fn futures_bytes(base: &str, n: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for page in 0..n {
        for ext in ["rss", "atom", "json"] {
            let r = get(&format!("{base}/feeds/all/archive/{page}.{ext}")).await;
            assert_eq!(r.status(), 200, "page {page}.{ext}");
            out.push(r.bytes().await.unwrap().to_vec());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_serve_the_same_archive_bytes() {
    let db = TestDb::new().await;
    let origin = Origin::start().await;
    origin.put("town.xml", "application/rss+xml", feed(0, 30));
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (port_a, port_b) = (free_port(), free_port());
    let a = Daemon::start(
        &config(dir_a.path(), port_a, &origin, Some(&db.url)),
        port_a,
        dir_a.path().join("log"),
    );
    let b = Daemon::start(
        &config(dir_b.path(), port_b, &origin, Some(&db.url)),
        port_b,
        dir_b.path().join("log"),
    );
    for d in [&a, &b] {
        let base = d.base.clone();
        wait_for(30, "three full pages served", || {
            let base = base.clone();
            async move {
                (get(&format!("{base}/feeds/all/archive/2.json"))
                    .await
                    .status()
                    == 200)
                    .then_some(())
            }
        })
        .await;
    }
    assert_eq!(
        futures_bytes(&a.base, 3).await,
        futures_bytes(&b.base, 3).await
    );
}
