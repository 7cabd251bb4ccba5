//! Interop with real consumers of what tidings serves: Python's feedparser
//! on RSS and Atom, the JSON Feed 1.1 required fields (feedparser 6.0 cannot
//! read JSON Feed, so they are checked here), newsboat subscribing to the
//! merged RSS and Atom feeds, headless Chromium rendering the index page
//! (whose every link must resolve), and the OPML list.
//!
//! The tools are required: a missing one fails the test with how to install
//! it (`.ci/run` installs them).

use crate::common::{Daemon, Origin, free_port, http, newsboat_reload, tidings, wait_for};
use crate::merge::{serve_sources, sources_toml};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// Runs a tool, failing with an install hint when it is missing.
fn run_tool(cmd: &mut Command, hint: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?} ({e}); {hint}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{:?} failed: {}{}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

async fn fetch_text(url: &str) -> (u16, String) {
    let resp = http().get(url).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// feedparser's verdict on a file: `bozo entries`.
pub(crate) fn feedparser(path: &Path) -> String {
    let out = run_tool(
        Command::new("python3")
            .args([
                "-c",
                "import sys, feedparser\nd = feedparser.parse(sys.argv[1])\nprint(int(d.bozo), len(d.entries), d.get('bozo_exception', ''))",
            ])
            .arg(path),
        "install feedparser: python3 -m pip install feedparser",
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// JSON Feed 1.1's required fields (<https://jsonfeed.org/version/1.1>).
fn check_json_feed(v: &Value, url: &str) {
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1", "{url}");
    assert!(v["title"].is_string(), "{url}: title");
    assert_eq!(v["feed_url"], url);
    let items = v["items"].as_array().expect("items is an array");
    for item in items {
        assert!(
            item["id"].as_str().is_some_and(|s| !s.is_empty()),
            "{url}: {item}"
        );
        assert!(
            item["content_html"].is_string() || item["content_text"].is_string(),
            "{url}: {item}"
        );
        if let Some(d) = item.get("date_published") {
            chrono::DateTime::parse_from_rfc3339(d.as_str().unwrap()).expect("RFC 3339 date");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_accept_every_feed_and_the_index_page() {
    let origin = Origin::start().await;
    serve_sources(&origin);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = dir.path().join("tidings.toml");
    std::fs::write(
        &cfg,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://127.0.0.1:{port}\"\n\n\
             [store]\nstate_dir = \"{}\"\n\n[fetch]\nallow_private = true\n\n{}\
             [[feed]]\nid = \"merged\"\ntitle = \"Merged news\"\ndescription = \"Every source, once\"\nsources = [\"*\"]\ndedupe = true\n",
            dir.path().join("state").display(),
            sources_toml(&origin),
        ),
    )
    .unwrap();
    let daemon = Daemon::start(&cfg, port, dir.path().join("stderr.log"));
    let base = daemon.base.clone();
    wait_for(20, "the merged feed", || async {
        let (_, body) = fetch_text(&format!("{base}/feeds/merged.json")).await;
        let v: Value = serde_json::from_str(&body).ok()?;
        (v["items"].as_array()?.len() == 3).then_some(())
    })
    .await;
    // Every source fetched once, so the index shows their health.
    wait_for(20, "every source's health", || async {
        let (_, body) = fetch_text(&format!("{base}/")).await;
        (body.matches("<div>ok · ").count() == 3).then_some(())
    })
    .await;

    // feedparser: bozo 0 on RSS and Atom; JSON Feed checked field by field.
    let feeds = [
        ("feeds/merged", 3),
        ("sources/wire", 2),
        ("sources/paper", 2),
        ("sources/mirror", 1),
    ];
    for (path, n) in feeds {
        for ext in ["rss", "atom"] {
            let url = format!("{base}/{path}.{ext}");
            let (status, body) = fetch_text(&url).await;
            assert_eq!(status, 200, "{url}");
            let file = dir.path().join(format!("{}.{ext}", path.replace('/', "-")));
            std::fs::write(&file, body).unwrap();
            assert_eq!(feedparser(&file), format!("0 {n}"), "feedparser on {url}");
        }
        let url = format!("{base}/{path}.json");
        let (_, body) = fetch_text(&url).await;
        let v: Value = serde_json::from_str(&body).unwrap();
        check_json_feed(&v, &url);
        assert_eq!(v["items"].as_array().unwrap().len(), n, "{url}");
    }

    // newsboat subscribes to the merged RSS and Atom feeds and sees every
    // item once. One cache per format: newsboat keys items by guid across
    // feeds, and the two formats give each item the same id.
    let mut ids_by_format = Vec::new();
    for ext in ["rss", "atom"] {
        let url = format!("{base}/feeds/merged.{ext}");
        let db = newsboat_reload(
            dir.path().join(format!("newsboat-{ext}")),
            std::slice::from_ref(&url),
        )
        .await;
        let mut st = db
            .prepare("SELECT title, guid FROM rss_item WHERE feedurl = ?1 ORDER BY title")
            .unwrap();
        let rows: Vec<(String, String)> = st
            .query_map([&url], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let titles: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Bridge reopens after repair",
                "Comet brightens",
                "Sponsored: the best bridge insurance"
            ],
            "newsboat's items of {url}"
        );
        let mut guids: Vec<String> = rows.into_iter().map(|(_, g)| g).collect();
        guids.sort();
        guids.dedup();
        assert_eq!(guids.len(), 3, "{guids:?}");
        ids_by_format.push(guids);
    }
    assert_eq!(ids_by_format[0], ids_by_format[1]);

    // Headless Chromium renders the index page; every link on it resolves.
    let profile = tempfile::tempdir().unwrap();
    let index_url = format!("{base}/");
    let user_data = format!("--user-data-dir={}", profile.path().display());
    let out = tokio::task::spawn_blocking(move || {
        run_tool(
            Command::new("chromium").args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                &user_data,
                "--dump-dom",
                &index_url,
            ]),
            "install Chromium: apt-get install -y chromium",
        )
    })
    .await
    .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(dom.contains("<h1>tidings</h1>"), "{dom}");
    assert!(dom.contains("Merged news"), "{dom}");
    for id in ["wire", "paper", "mirror"] {
        assert!(dom.contains(&format!("id=\"source-{id}\"")), "{dom}");
    }
    let parts: Vec<&str> = dom.split("href=\"").collect();
    // The feeds' newest items link to their articles, elsewhere.
    let items = parts
        .windows(2)
        .filter(|w| w[0].ends_with("class=\"item\" "))
        .count();
    assert!(items >= 1, "the merged feed's newest items: {dom}");
    let hrefs: Vec<String> = parts
        .windows(2)
        .filter(|w| !w[0].ends_with("class=\"item\" "))
        .filter_map(|w| w[1].split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .collect();
    // 3 autodiscovery links, 3 feed links, 3 sources × (origin + 3 formats),
    // and the OPML list.
    assert_eq!(hrefs.len(), 3 + 3 + 3 * 4 + 1, "{hrefs:#?}");
    for (ext, mime) in [
        ("rss", "application/rss+xml"),
        ("atom", "application/atom+xml"),
        ("json", "application/feed+json"),
    ] {
        assert!(
            dom.contains(&format!(
                "<link rel=\"alternate\" type=\"{mime}\" title=\"Merged news ("
            )),
            "{dom}"
        );
        assert!(hrefs.contains(&format!("{base}/feeds/merged.{ext}")));
    }
    for href in &hrefs {
        let (status, _) = fetch_text(href).await;
        assert_eq!(status, 200, "{href}");
    }

    // The OPML list: served, and the same as `tidings opml export`.
    let resp = http().get(format!("{base}/opml")).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/x-opml; charset=utf-8");
    let served = resp.text().await.unwrap();
    assert!(
        served.contains(&format!(
            "<outline text=\"news\" title=\"news\">\n  <outline type=\"rss\" text=\"wire\" title=\"wire\" xmlUrl=\"{base}/sources/wire.rss\"/>"
        )),
        "{served}"
    );
    let (code, exported, err) = tidings(&["opml", "export", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(exported, served);
}
