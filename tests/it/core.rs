//! The backbone end to end: an origin serving RSS 1.0, RSS 2.0, Atom, JSON
//! Feed and an ISO-8859-1 feed, plus a `files` source, through `tidings run`
//! to the feeds a reader subscribes to.

use crate::common::{Daemon, Origin, client, free_port, wait_for};
use serde_json::Value;
use std::time::Duration;

const RSS2: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Harbour Gazette</title>
  <link>https://gazette.example/</link>
  <description>News from the harbour</description>
  <item>
    <title>Ferry timetable &amp;amp; fares change</title>
    <link>/news/ferry?utm_source=rss&amp;id=7&amp;fbclid=abc</link>
    <guid isPermaLink="false">gazette-7</guid>
    <dc:creator>Ines Alvarez</dc:creator>
    <pubDate>Tue, 03 Mar 2026 09:30:00 +0200</pubDate>
    <description>&lt;p&gt;Short version.&lt;/p&gt;</description>
    <content:encoded><![CDATA[<p>The <b>ferry</b> leaves earlier.<script>alert(1)</script></p><img src="/img/ferry.jpg" onerror="x()">]]></content:encoded>
  </item>
  <item>
    <title>Fish market opens on Sundays</title>
    <link>https://gazette.example/news/fish</link>
    <pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate>
    <description>Fresh fish, now on Sundays too.</description>
  </item>
</channel>
</rss>"#;

const RSS1: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://council.example/">
    <title>Council Minutes</title>
    <link>https://council.example/</link>
    <description>Minutes of the town council</description>
  </channel>
  <item rdf:about="https://council.example/minutes/12">
    <title>Budget approved for the new library</title>
    <link>https://council.example/minutes/12</link>
    <dc:creator>Town Clerk</dc:creator>
    <dc:date>2026-02-20T18:15:00+01:00</dc:date>
    <description>The council approved the library budget by nine votes to two.</description>
  </item>
</rdf:RDF>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://observatory.example/blog/">
  <title>Observatory Notes</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-02-28T22:00:00Z</updated>
  <link href="https://observatory.example/"/>
  <entry>
    <title type="html">A comet &lt;em&gt;brightens&lt;/em&gt;</title>
    <id>tag:observatory.example,2026:comet</id>
    <link rel="alternate" href="posts/comet.html"/>
    <updated>2026-02-28T22:00:00Z</updated>
    <published>2026-02-28T16:00:00-05:00</published>
    <author><name>Dr. Amara Okafor</name></author>
    <content type="html">&lt;p&gt;The comet is now visible &lt;a href="charts/c.png"&gt;with binoculars&lt;/a&gt;.&lt;/p&gt;</content>
  </entry>
</feed>"#;

const JSONFEED: &str = r#"{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "Garden Club",
  "home_page_url": "https://garden.example/",
  "items": [
    {
      "id": "garden-1",
      "url": "https://garden.example/posts/tomatoes?utm_medium=feed",
      "title": "Planting tomatoes in March",
      "content_html": "<p>Start them indoors.</p>",
      "date_published": "2026-03-01T07:00:00Z",
      "authors": [{"name": "Pat Greenway"}]
    }
  ]
}"#;

/// ISO-8859-1 bytes: "Café crème à Zürich" and "Bäckerei öffnet".
fn latin1_feed() -> Vec<u8> {
    let text = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss version=\"2.0\"><channel><title>Z\u{fc}rich Lokal</title><link>https://zuerich.example/</link><description>Lokalnachrichten</description>\n<item><title>Caf\u{e9} cr\u{e8}me \u{e0} Z\u{fc}rich</title><link>https://zuerich.example/cafe</link><guid>https://zuerich.example/cafe</guid><pubDate>Wed, 04 Mar 2026 10:00:00 +0100</pubDate><description>B\u{e4}ckerei \u{f6}ffnet</description></item>\n</channel></rss>";
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

/// An article file in the shape of a plain exported article: title, bold
/// byline, date line, body.
const ARTICLE: &str = "\n\n# Harbour bridge reopens after two-year repair\n\n**Mara Lindqvist**  \n14 March 2026\n\nThe harbour bridge reopened to traffic on Saturday after a repair that took two years and cost more than planned.\n\nEngineers replaced the *entire* deck and half of the cables.\n";

fn config(
    origin: &Origin,
    port: u16,
    articles: &std::path::Path,
    state: &std::path::Path,
) -> String {
    let feed = |id: &str, path: &str| {
        format!(
            "[[source]]\nid = \"{id}\"\nkind = \"feed\"\nurl = \"{}\"\nschedule = \"*/2 * * * * *\"\ntags = [\"web\"]\n\n",
            origin.url(path)
        )
    };
    format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://127.0.0.1:{port}\"\n\n[store]\nstate_dir = \"{}\"\n\n[fetch]\nallow_private = true\ntimeout = \"5s\"\n\n{}{}{}{}{}[[source]]\nid = \"notes\"\nkind = \"files\"\npath = \"{}\"\n\n[[feed]]\nid = \"all\"\ntitle = \"Everything\"\ndescription = \"All sources\"\nsources = [\"*\"]\n\n[[feed]]\nid = \"web\"\ntitle = \"Web\"\ntags = [\"web\"]\nlimit = 2\n",
        state.display(),
        feed("gazette", "gazette.xml"),
        feed("council", "council.rdf"),
        feed("observatory", "atom.xml"),
        feed("garden", "feed.json"),
        feed("zurich", "latin1.xml"),
        articles.display(),
    )
}

async fn get(client: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = client.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// The JSON feed at `url` once it has `n` items.
async fn feed_with(client: &reqwest::Client, url: &str, n: usize) -> Value {
    wait_for(20, &format!("{n} items in {url}"), || async move {
        let resp = client.get(url).send().await.ok()?;
        let v: Value = serde_json::from_slice(&resp.bytes().await.ok()?).ok()?;
        (v["items"].as_array()?.len() == n).then_some(v)
    })
    .await
}

fn item<'a>(feed: &'a Value, title: &str) -> &'a Value {
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == title)
        .unwrap_or_else(|| panic!("no item titled {title:?} in {feed:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_flow_from_origin_to_reader() {
    let origin = Origin::start().await;
    origin.put("gazette.xml", "application/rss+xml", RSS2);
    origin.put("council.rdf", "application/rdf+xml", RSS1);
    origin.put("atom.xml", "application/atom+xml", ATOM);
    origin.put("feed.json", "application/feed+json", JSONFEED);
    origin.put(
        "latin1.xml",
        "application/rss+xml; charset=ISO-8859-1",
        latin1_feed(),
    );
    let dir = tempfile::tempdir().unwrap();
    let articles = dir.path().join("articles");
    std::fs::create_dir(&articles).unwrap();
    std::fs::write(articles.join("bridge.md"), ARTICLE).unwrap();
    let port = free_port();
    let cfg = dir.path().join("tidings.toml");
    std::fs::write(
        &cfg,
        config(&origin, port, &articles, &dir.path().join("state")),
    )
    .unwrap();
    let mut daemon = Daemon::start(&cfg, port, dir.path().join("stderr.log"));
    let client = client();
    let base = daemon.base.clone();

    // Feeds are rendered as their sources' fetches land, one after another.
    let all = feed_with(&client, &format!("{base}/feeds/all.json"), 7).await;

    // RSS 2.0: entities decoded once, trackers gone, link absolute, date in UTC,
    // content sanitized with absolute image URLs.
    let ferry = item(&all, "Ferry timetable & fares change");
    assert_eq!(ferry["url"], origin.url("news/ferry?id=7"));
    assert_eq!(ferry["authors"][0]["name"], "Ines Alvarez");
    assert_eq!(ferry["date_published"], "2026-03-03T07:30:00Z");
    let html = ferry["content_html"].as_str().unwrap();
    assert!(html.contains("<b>ferry</b>"), "{html}");
    assert!(
        !html.contains("script") && !html.contains("onerror"),
        "{html}"
    );
    assert!(
        html.contains(&format!("src=\"{}\"", origin.url("img/ferry.jpg"))),
        "{html}"
    );
    // RSS 1.0 with Dublin Core.
    let budget = item(&all, "Budget approved for the new library");
    assert_eq!(budget["authors"][0]["name"], "Town Clerk");
    assert_eq!(budget["date_published"], "2026-02-20T17:15:00Z");
    assert_eq!(budget["url"], "https://council.example/minutes/12");
    // Atom: xml:base resolves links; markup stripped from the title.
    let comet = item(&all, "A comet brightens");
    assert_eq!(
        comet["url"],
        "https://observatory.example/blog/posts/comet.html"
    );
    assert_eq!(comet["date_published"], "2026-02-28T21:00:00Z");
    assert_eq!(comet["date_modified"], "2026-02-28T22:00:00Z");
    assert_eq!(comet["id"], "tag:observatory.example,2026:comet");
    assert_eq!(comet["authors"][0]["name"], "Dr. Amara Okafor");
    assert!(
        comet["content_html"]
            .as_str()
            .unwrap()
            .contains("href=\"https://observatory.example/blog/charts/c.png\""),
        "{comet}"
    );
    // JSON Feed.
    let tomatoes = item(&all, "Planting tomatoes in March");
    assert_eq!(tomatoes["url"], "https://garden.example/posts/tomatoes");
    assert_eq!(tomatoes["authors"][0]["name"], "Pat Greenway");
    // ISO-8859-1, served as UTF-8.
    let cafe = item(&all, "Café crème à Zürich");
    assert!(
        cafe["content_html"]
            .as_str()
            .unwrap()
            .contains("Bäckerei öffnet"),
        "{cafe}"
    );
    // The files source: title, byline, date line and body of the article.
    let bridge = item(&all, "Harbour bridge reopens after two-year repair");
    assert_eq!(bridge["authors"][0]["name"], "Mara Lindqvist");
    assert_eq!(bridge["date_published"], "2026-03-14T00:00:00Z");
    let body = bridge["content_html"].as_str().unwrap();
    assert!(
        body.contains("<em>entire</em>") && body.contains("cost more than planned"),
        "{body}"
    );
    assert!(
        !body.contains("Mara Lindqvist") && !body.contains("14 March"),
        "{body}"
    );
    // Newest first.
    let dates: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["date_published"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);

    // The tag feed has its limit; each source has its own feed.
    let web = feed_with(&client, &format!("{base}/feeds/web.json"), 2).await;
    assert_eq!(web["items"][0]["title"], "Café crème à Zürich");
    let zurich: Value = get(&client, &format!("{base}/sources/zurich.json"), &[])
        .await
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    assert_eq!(zurich["title"], "Zürich Lokal");

    // RSS and Atom carry the same items.
    let rss = get(&client, &format!("{base}/feeds/all.rss"), &[]).await;
    assert_eq!(
        rss.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let channel = rss::Channel::read_from(&rss.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(channel.items().len(), 7);
    let ferry_rss = channel
        .items()
        .iter()
        .find(|i| i.title() == Some("Ferry timetable & fares change"))
        .unwrap();
    assert_eq!(ferry_rss.pub_date(), Some("Tue, 03 Mar 2026 07:30:00 GMT"));
    assert_eq!(
        ferry_rss.dublin_core_ext().unwrap().creators(),
        ["Ines Alvarez"]
    );
    let atom = get(&client, &format!("{base}/feeds/all.atom"), &[]).await;
    assert_eq!(
        atom.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let atom = atom_syndication::Feed::read_from(&atom.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(atom.entries().len(), 7);

    // The origin saw conditional requests on the second fetch, and answered 304.
    for path in [
        "/gazette.xml",
        "/council.rdf",
        "/atom.xml",
        "/feed.json",
        "/latin1.xml",
    ] {
        wait_for(15, &format!("a conditional GET of {path}"), || {
            let seen = origin.requests_to(path);
            async move {
                seen.iter()
                    .any(|s| {
                        s.status == 304
                            && s.if_none_match.is_some()
                            && s.if_modified_since.is_some()
                    })
                    .then_some(())
            }
        })
        .await;
        let first = &origin.requests_to(path)[0];
        assert!(
            first
                .user_agent
                .as_deref()
                .unwrap_or("")
                .starts_with("tidings/"),
            "{first:?}"
        );
        let accept = first.accept_encoding.as_deref().unwrap_or("");
        assert!(
            accept.contains("gzip") && accept.contains("br"),
            "{first:?}"
        );
    }

    // A reader's conditional GET gets 304, by ETag and by date.
    let url = format!("{base}/feeds/all.rss");
    let first = get(&client, &url, &[]).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let last_modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    assert!(
        first.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public, max-age=")
    );
    let again = get(&client, &url, &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let again = get(&client, &url, &[("If-Modified-Since", &last_modified)]).await;
    assert_eq!(again.status(), 304);
    let changed = get(&client, &url, &[("If-None-Match", "\"stale\"")]).await;
    assert_eq!(changed.status(), 200);
    // HEAD, gzip and br.
    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"].to_str().unwrap(), etag);
    assert!(head.bytes().await.unwrap().is_empty());
    let gz = get(&client, &url, &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let gz_etag = gz.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(gz_etag, etag);
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..]),
        &mut plain,
    )
    .unwrap();
    assert_eq!(
        rss::Channel::read_from(&plain[..]).unwrap().items().len(),
        7
    );
    let br = get(&client, &url, &[("Accept-Encoding", "gzip, br")]).await;
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(
        get(&client, &url, &[("If-None-Match", &gz_etag)])
            .await
            .status(),
        304
    );
    // Unknown ids.
    let missing = get(&client, &format!("{base}/feeds/nope.rss"), &[]).await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("no feed named"));
    assert_eq!(
        get(&client, &format!("{base}/sources/gazette.txt"), &[])
            .await
            .status(),
        404
    );

    // Python's feedparser reads what a reader would subscribe to.
    for (name, ext) in [
        ("all", "rss"),
        ("all", "atom"),
        ("web", "rss"),
        ("web", "atom"),
    ] {
        let bytes = get(&client, &format!("{base}/feeds/{name}.{ext}"), &[])
            .await
            .bytes()
            .await
            .unwrap();
        let path = dir.path().join(format!("{name}.{ext}"));
        std::fs::write(&path, &bytes).unwrap();
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys, feedparser\nd = feedparser.parse(sys.argv[1])\nprint(int(d.bozo), len(d.entries), d.get('bozo_exception', ''))"])
            .arg(&path)
            .output()
            .expect("python3 runs");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "feedparser failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = if name == "all" { 7 } else { 2 };
        assert_eq!(
            said.trim(),
            format!("0 {expected}"),
            "feedparser on {name}.{ext}"
        );
    }

    // SIGTERM: a clean exit, quickly.
    let (code, took) = daemon.terminate();
    assert_eq!(code, Some(0), "{}", daemon.stderr());
    assert!(took < Duration::from_secs(10), "took {took:?}");
}
