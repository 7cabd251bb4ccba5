//! A source's health beyond ok and error: a source that suddenly lists no
//! items (a feed emptied, a listing whose selectors no longer match after a
//! redesign) is a warning in `fetch`, `sources`, the log, the index page
//! and `/metrics`, not `ok`; a feed with `error_items = true` shows one item
//! per source in trouble, saying what and since when.

use crate::common::{Config, Daemon, Origin, Reply, free_port, http, tidings, wait_for};

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour news</title><link>https://harbour.example/</link><description>d</description>
<item><title>Ferry timetable changes</title><link>https://harbour.example/ferry</link><pubDate>Thu, 05 Mar 2026 12:00:00 GMT</pubDate><description>From Monday.</description></item>
</channel></rss>"#;

const EMPTY_RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour news</title><link>https://harbour.example/</link><description>d</description>
</channel></rss>"#;

/// A page after a redesign: no `.teaser` any more.
const REDESIGNED: &str = r#"<!doctype html><html><head><title>Town hall</title></head><body>
<main><div class="card"><h3><a href="/notices/1">Road works on Quay Street</a></h3></div></main></body></html>"#;

fn render(cfg: &str, feed: &str) -> String {
    let (code, out, err) = tidings(&["render", "-c", cfg, feed, "--format", "atom"]);
    assert_eq!(code, 0, "{err}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_that_empties_is_a_warning_and_an_error_item_until_it_recovers() {
    let origin = Origin::start().await;
    origin.put("harbour.xml", "application/rss+xml", RSS);
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new(dir.path(), free_port())
        .feed_source("harbour", &origin.url("harbour.xml"))
        .entries(
            "[[feed]]\nid = \"watched\"\nsources = [\"*\"]\nerror_items = true\n\n[[feed]]\nid = \"plain\"\nsources = [\"*\"]",
        )
        .write();
    let cfg = cfg.to_str().unwrap();
    let (code, out, err) = tidings(&["fetch", "-c", cfg]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("harbour: new 1"), "{out}");
    assert!(!render(cfg, "watched").contains("lists no items"));

    origin.put("harbour.xml", "application/rss+xml", EMPTY_RSS);
    let (code, out, err) = tidings(&["fetch", "-c", cfg]);
    assert_eq!(code, 0, "a warning is no failure: {out}{err}");
    assert!(
        out.contains("harbour: warning: listed no items, where 1 were stored before"),
        "{out}"
    );
    assert!(err.contains("listed no items"), "logged: {err}");
    let (_, sources, _) = tidings(&["sources", "-c", cfg]);
    let row = sources.lines().find(|l| l.starts_with("harbour")).unwrap();
    assert!(row.contains("warning"), "{sources}");
    assert!(row.contains("listed no items"), "{sources}");

    let watched = render(cfg, "watched");
    assert!(
        watched.contains("<title>Harbour news lists no items</title>"),
        "{watched}"
    );
    assert!(
        watched.contains("Ferry timetable changes"),
        "the old items stay: {watched}"
    );
    let plain = render(cfg, "plain");
    assert!(!plain.contains("lists no items"), "{plain}");
    let id = |feed: &str| {
        feed.split("<id>")
            .filter_map(|s| s.split_once("</id>"))
            .map(|(id, _)| id.to_string())
            .find(|id| id.contains("trouble/harbour"))
    };
    let first = id(&watched).expect("a trouble item id");

    // Still broken, now failing: one spell of trouble, one item.
    // (Replies by request number: two were served.)
    origin.script(
        "harbour.xml",
        vec![
            Reply::Doc,
            Reply::Doc,
            Reply::Status(500, vec![]),
            Reply::Doc,
        ],
    );
    let (code, out, _) = tidings(&["fetch", "-c", cfg]);
    assert_eq!(code, 1, "{out}");
    let watched = render(cfg, "watched");
    assert!(watched.contains("Harbour news is failing"), "{watched}");
    assert!(watched.contains("HTTP 500"), "{watched}");
    assert_eq!(id(&watched).as_deref(), Some(first.as_str()), "{watched}");

    // Items again: well, and the item goes.
    origin.put("harbour.xml", "application/rss+xml", RSS);
    let (code, out, _) = tidings(&["fetch", "-c", cfg]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("warning"), "{out}");
    let (_, sources, _) = tidings(&["sources", "-c", cfg]);
    let row = sources.lines().find(|l| l.starts_with("harbour")).unwrap();
    assert!(row.contains(" ok "), "{sources}");
    assert_eq!(id(&render(cfg, "watched")), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_that_matches_nothing_is_a_warning_on_the_index_page_and_in_metrics() {
    let origin = Origin::start().await;
    origin.put("notices", "text/html", REDESIGNED);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = Config::new(dir.path(), port)
        .fetch("schedule = \"*/2 * * * * *\"")
        .entries(&format!(
            "[[source]]\nid = \"notices\"\ntitle = \"Town notices\"\nkind = \"html\"\nurl = \"{}\"\n[source.select]\nitem = \".teaser\"\ntitle = \"h2\"\nlink = \"h2 a\"\n\n[[feed]]\nid = \"all\"\nsources = [\"*\"]\nerror_items = true",
            origin.url("notices")
        ))
        .write();
    let daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    let client = http();
    let metrics = format!("{}/metrics", daemon.base);
    let text = wait_for(20, "a warning counted in /metrics", || {
        let (client, metrics) = (client.clone(), metrics.clone());
        async move {
            let body = client.get(&metrics).send().await.ok()?.text().await.ok()?;
            body.lines()
                .any(|l| {
                    l.starts_with("tidings_fetches_total")
                        && l.contains("source=\"notices\"")
                        && l.contains("outcome=\"warning\"")
                })
                .then_some(body)
        }
    })
    .await;
    assert!(!text.contains("outcome=\"changed\""), "{text}");
    // The index page is rendered after the fetch is counted.
    let index = wait_for(10, "the warning on the index page", || {
        let (client, url) = (client.clone(), format!("{}/", daemon.base));
        async move {
            let page = client.get(&url).send().await.ok()?.text().await.ok()?;
            page.contains("class=\"warn\"").then_some(page)
        }
    })
    .await;
    assert!(
        index.contains("selectors may no longer fit the page"),
        "{index}"
    );
    let feed = wait_for(10, "the error item in the served feed", || {
        let (client, url) = (client.clone(), format!("{}/feeds/all.json", daemon.base));
        async move {
            let body = client.get(&url).send().await.ok()?.text().await.ok()?;
            body.contains("Town notices lists no items").then_some(body)
        }
    })
    .await;
    let json: serde_json::Value = serde_json::from_str(&feed).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 1, "{feed}");
    assert!(daemon.stderr().contains("the listing matched no items"));
}
