//! Sites without feeds and feeds without full text, through the real
//! binary: an `html` source that finds the articles on a front page, a
//! `full_text` feed, and the `extract` and `preview` commands.

use crate::common::{Config, Origin, free_port, tidings};
use serde_json::Value;

const FRONT: &str = include_str!("../fixtures/pages/front.html");
const JSONLD: &str = include_str!("../fixtures/pages/jsonld.html");
const OPENGRAPH: &str = include_str!("../fixtures/pages/opengraph.html");
const PLAIN: &str = include_str!("../fixtures/pages/plain.html");
const BYLINE: &str = include_str!("../fixtures/pages/byline.html");

/// Phrases of the fixtures' page chrome: none may reach a feed.
const CHROME: &[&str] = &[
    "Share on Twitter",
    "Related stories",
    "harbourwatcher",
    "All rights reserved",
    "Most read",
    "Sign up now",
    "Recent articles",
    "Leave a comment",
    "Privacy policy",
];

const HTML: &str = "text/html; charset=utf-8";

/// A config with the given sources and one feed of everything, in `dir`.
fn config(dir: &std::path::Path, sources: &str) -> String {
    Config::new(dir, free_port())
        .fetch("timeout = \"5s\"")
        .entries(sources)
        .entries("[[feed]]\nid = \"all\"\ntitle = \"All\"\nsources = [\"*\"]")
        .write_as("t.toml")
        .display()
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

/// The JSON Feed items of the `all` feed, from the store.
fn rendered_items(cfg: &str) -> Vec<Value> {
    let (code, out, err) = tidings(&["render", "-c", cfg, "all", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let feed: Value = serde_json::from_str(&out).unwrap();
    feed["items"].as_array().unwrap().clone()
}

fn item<'a>(items: &'a [Value], title: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["title"] == title)
        .unwrap_or_else(|| panic!("no item {title:?} in {items:#?}"))
}

fn assert_no_chrome(item: &Value) {
    let html = item["content_html"].as_str().unwrap_or_default();
    for c in CHROME {
        assert!(!html.contains(c), "chrome {c:?} in {html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_source_without_selectors_yields_exactly_the_articles() {
    let origin = Origin::start().await;
    let base = origin.url("");
    let front = FRONT.replace("http://news.example/", &base);
    origin.put("news/", HTML, front.clone());
    origin.put("2021/04/harbour-bridge-closes", HTML, JSONLD);
    origin.put(
        "news/science/lake-sediment-century-of-pollution",
        HTML,
        OPENGRAPH,
    );
    origin.put("en/2017/07/31/council.html", HTML, PLAIN);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"site\"\nkind = \"html\"\nurl = \"{}\"\n",
            origin.url("news/")
        ),
    );

    let (code, out, err) = run(&["fetch", "-c", &cfg]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "site: new 3, updated 0, unchanged 0\n");
    let items = rendered_items(&cfg);
    assert_eq!(items.len(), 3, "{items:#?}");

    let bridge = item(&items, "Harbour bridge closes for six months of repairs");
    assert_eq!(bridge["authors"][0]["name"], "Ilse Marquardt");
    assert_eq!(bridge["date_published"], "2021-04-06T06:30:00Z");
    assert_eq!(
        bridge["url"].as_str().unwrap(),
        origin.url("2021/04/harbour-bridge-closes")
    );
    let html = bridge["content_html"].as_str().unwrap();
    assert!(html.contains("The harbour bridge will close to all traffic"));
    assert!(html.contains("The bridge should reopen in October."));
    assert_no_chrome(bridge);

    let lake = item(&items, "Lake sediment shows a century of pollution");
    assert_eq!(lake["authors"][0]["name"], "Dr. Anneke Vos");
    let html = lake["content_html"].as_str().unwrap();
    assert!(html.contains("Cores drilled from the bed of Lake Varde"));
    assert!(html.contains("one thin layer for every year."));
    assert_no_chrome(lake);

    let council = item(&items, "Council votes to hold early election");
    assert_eq!(council["authors"][0]["name"], "Mara Lindqvist");
    assert_eq!(council["date_published"], "2017-07-31T00:00:00Z");
    assert!(
        council["content_html"]
            .as_str()
            .unwrap()
            .contains("Campaigning begins officially in two weeks.")
    );
    assert_no_chrome(council);

    // A new story on the front page: its page is fetched; the stored
    // articles are asked for only conditionally, and answer 304.
    origin.put("2021/03/library-reopens-after-two-years", HTML, BYLINE);
    let teaser = format!(
        "<main>\n  <div class=\"teaser\"><h2><a href=\"{base}2021/03/library-reopens-after-two-years\">The library reopens after two years</a></h2></div>"
    );
    let front = front.replacen("<main>", &teaser, 1);
    origin.put("news/", HTML, front.clone());
    let (code, out, err) = run(&["fetch", "-c", &cfg]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "site: new 1, updated 0, unchanged 0\n");
    for page in [
        "/2021/04/harbour-bridge-closes",
        "/news/science/lake-sediment-century-of-pollution",
        "/en/2017/07/31/council.html",
    ] {
        let seen = origin.requests_to(page);
        assert_eq!(seen.len(), 2, "{page}");
        assert!(
            seen[1].if_none_match.is_some() && seen[1].status == 304,
            "{page}: {:?}",
            seen[1]
        );
    }
    assert_eq!(
        origin
            .requests_to("/2021/03/library-reopens-after-two-years")
            .len(),
        1
    );
    let items = rendered_items(&cfg);
    assert_eq!(items.len(), 4);
    let library = item(&items, "The library reopens after two years");
    assert_eq!(library["authors"][0]["name"], "Tomas Ferreira");
    assert_eq!(library["date_published"], "2021-03-12T00:00:00Z");
    assert_no_chrome(library);
    // Nothing changed: the front page answers 304 and nothing else is asked.
    let (_, out, _) = run(&["fetch", "-c", &cfg]).await;
    assert_eq!(out, "site: unchanged (not modified)\n");
    assert_eq!(origin.requests_to("/news/").last().unwrap().status, 304);
    // An article corrected upstream is read again when the front page next
    // changes, and updated in place.
    origin.put(
        "en/2017/07/31/council.html",
        HTML,
        PLAIN.replace(
            "Campaigning begins officially in two weeks.",
            "Campaigning begins officially in three weeks.",
        ),
    );
    origin.put(
        "news/",
        HTML,
        front.replacen("<main>", "<main><p>Updated hourly.</p>", 1),
    );
    let (code, out, err) = run(&["fetch", "-c", &cfg]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "site: new 0, updated 1, unchanged 0\n");
    let items = rendered_items(&cfg);
    assert_eq!(items.len(), 4);
    let council = item(&items, "Council votes to hold early election");
    assert!(
        council["content_html"]
            .as_str()
            .unwrap()
            .contains("in three weeks."),
        "{council}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_text_feed_keeps_its_own_title_and_date() {
    let origin = Origin::start().await;
    let rss = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Gazette</title><link>{base}</link><description>d</description>
<item><title>Bridge to close (feed title)</title><link>{base}a/bridge</link><guid>{base}a/bridge</guid>
<pubDate>Tue, 06 Apr 2021 10:00:00 GMT</pubDate><description>Only a teaser.</description></item>
<item><title>Lake history in the mud</title><link>{base}a/lake</link>
<description>Another teaser.</description></item>
</channel></rss>"#,
        base = origin.url("")
    );
    origin.put("feed.xml", "application/rss+xml", rss);
    origin.put("a/bridge", HTML, JSONLD);
    origin.put("a/lake", HTML, OPENGRAPH);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"gazette\"\nkind = \"feed\"\nurl = \"{}\"\nfull_text = true\n",
            origin.url("feed.xml")
        ),
    );
    let (code, out, err) = run(&["fetch", "-c", &cfg]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "gazette: new 2, updated 0, unchanged 0\n");
    let items = rendered_items(&cfg);
    let bridge = item(&items, "Bridge to close (feed title)");
    assert_eq!(bridge["date_published"], "2021-04-06T10:00:00Z");
    assert_eq!(bridge["authors"][0]["name"], "Ilse Marquardt");
    let html = bridge["content_html"].as_str().unwrap();
    assert!(html.contains("Engineers found the corrosion"), "{html}");
    assert!(!html.contains("Only a teaser."));
    assert_no_chrome(bridge);
    let lake = item(&items, "Lake history in the mud");
    assert_eq!(lake["date_published"], "2019-11-14T10:00:00Z");
    assert!(
        lake["content_html"]
            .as_str()
            .unwrap()
            .contains("Lead concentrations rise sharply")
    );
    // The feed changes; the stored items' pages are asked for only
    // conditionally, answer 304, and the stored articles stay.
    origin.put(
        "feed.xml",
        "application/rss+xml",
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Gazette</title><link>{0}</link><description>d</description><item><title>Bridge to close (feed title)</title><link>{0}a/bridge</link><guid>{0}a/bridge</guid><description>Changed teaser.</description></item></channel></rss>",
            origin.url("")
        ),
    );
    let (code, out, err) = run(&["fetch", "-c", &cfg]).await;
    assert_eq!(code, 0, "{out}{err}");
    let seen = origin.requests_to("/a/bridge");
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1].if_none_match.is_some() && seen[1].status == 304,
        "{:?}",
        seen[1]
    );
    let items = rendered_items(&cfg);
    let bridge = item(&items, "Bridge to close (feed title)");
    assert!(
        bridge["content_html"]
            .as_str()
            .unwrap()
            .contains("Engineers found the corrosion")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_prints_items_without_storing() {
    let origin = Origin::start().await;
    origin.put("news/", HTML, FRONT);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &format!(
            "[[source]]\nid = \"list\"\nkind = \"html\"\nurl = \"{}\"\n[source.select]\nitem = \".teaser\"\ntitle = \"h2\"\nlink = \"h2 a\"\ndate = \"time\"\nsummary = \".excerpt\"\n",
            origin.url("news/")
        ),
    );
    let (code, out, err) = run(&["preview", "-c", &cfg, "list"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!(
            "Harbour bridge closes for six months of repairs\n  link:   {}\n  date:   2021-04-06T06:30:00+00:00\n",
            origin.url("2021/04/harbour-bridge-closes")
        )),
        "{out}"
    );
    assert!(out.contains("  body:   The harbour bridge will close to all traffic from Monday.\n"));
    assert!(out.contains("Council votes to hold early election\n"));
    assert!(out.contains("  date:   2017-07-31T00:00:00+00:00\n"));
    assert!(out.ends_with("3 items\n"), "{out}");
    assert!(rendered_items(&cfg).is_empty(), "preview stores nothing");
    let (code, _, err) = run(&["preview", "-c", &cfg, "nope"]).await;
    assert_eq!(code, 2, "an unknown id is a usage error");
    assert!(err.contains("no source has the id \"nope\""), "{err}");
}

#[test]
fn extract_prints_the_article_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, PLAIN).unwrap();
    let (code, out, err) = tidings(&[
        "extract",
        "--url",
        "https://news.example/en/2017/07/31/council.html",
        &page.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let found: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(found["title"], "Council votes to hold early election");
    assert_eq!(found["author"], "Mara Lindqvist");
    assert_eq!(found["published"], "2017-07-31T00:00:00+00:00");
    assert_eq!(
        found["url"],
        "https://news.example/en/2017/07/31/council.html"
    );
    let text = found["body_text"].as_str().unwrap();
    assert!(
        text.starts_with("The town council voted on Thursday"),
        "{text}"
    );
    assert!(text.ends_with("Campaigning begins officially in two weeks."));
    assert!(!text.contains("Recent articles"));
    assert!(found["body_html"].as_str().unwrap().contains("<p>"));

    let (code, _, err) = tidings(&["extract", "/nonexistent/page.html"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read /nonexistent/page.html"), "{err}");
}
