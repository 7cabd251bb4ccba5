//! What the web serves, through the binary: one fixture per dialect,
//! encoding and breakage that real feeds show (tests/fixtures/feeds/), served
//! over loopback, fetched by `tidings fetch` and rendered as JSON Feed; each
//! served item's title, link, date, author and content is checked.

use crate::common::{Origin, tidings};
use serde_json::Value;
use std::collections::BTreeMap;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/feeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend(if big_endian {
            [0xFE, 0xFF]
        } else {
            [0xFF, 0xFE]
        });
    }
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

fn utf32(text: &str, big_endian: bool) -> Vec<u8> {
    std::iter::once('\u{feff}')
        .chain(text.chars())
        .flat_map(|c| {
            if big_endian {
                (c as u32).to_be_bytes()
            } else {
                (c as u32).to_le_bytes()
            }
        })
        .collect()
}

/// Every fixture (and every encoding of `encodings.xml`) by source id, with
/// the content type it is served with.
fn documents() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let xml = "application/rss+xml";
    let mut docs = vec![
        ("podcast", xml, fixture("podcast.xml")),
        ("authors", xml, fixture("rss-authors.xml")),
        ("atom03", "application/atom+xml", fixture("atom03.xml")),
        ("bare", xml, fixture("rss-bare.xml")),
        ("rss094", xml, fixture("rss094.xml")),
        ("youtube", "application/atom+xml", fixture("youtube.xml")),
        ("raw", xml, fixture("unescaped-html.xml")),
        ("json1", "application/json", fixture("jsonfeed-v1.json")),
        ("cut", xml, fixture("truncated.xml")),
        ("broken", "text/xml", fixture("illformed.xml")),
        ("dates", xml, fixture("dates.xml")),
        ("links", xml, fixture("links.xml")),
        (
            "types",
            "application/atom+xml",
            fixture("atom-content-types.xml"),
        ),
    ];
    let template = String::from_utf8(fixture("encodings.xml")).unwrap();
    let doc = |label: &str| template.replace("ENCODING", label);
    docs.push(("utf16be", xml, utf16(&doc("UTF-16"), true, true)));
    docs.push(("utf16le", xml, utf16(&doc("UTF-16"), false, true)));
    docs.push(("utf16nobom", xml, utf16(&doc("UTF-16BE"), true, false)));
    docs.push(("utf32be", xml, utf32(&doc("UTF-32"), true)));
    docs.push(("utf32le", xml, utf32(&doc("UTF-32"), false)));
    let chinese = doc("gb2312")
        .replace("Été à Zürich – 你好", "你好，世界")
        .replace('"', "'");
    let (gb, _, _) = encoding_rs::GBK.encode(&chinese);
    docs.push(("gb2312", xml, gb.into_owned()));
    // Declared UTF-8 by the server and the document, holding windows-1252
    // bytes (a CMS pasting from a word processor).
    let mut mixed = doc("UTF-8")
        .replace("Été à Zürich – 你好", "Quote")
        .into_bytes();
    let at = mixed.windows(5).position(|w| w == b"Quote").unwrap();
    mixed.splice(at..at + 5, b"\x93Smart\x94 caf\xe9".iter().copied());
    docs.push(("cp1252", "application/rss+xml; charset=utf-8", mixed));
    docs
}

/// Items by title, as the source's JSON Feed serves them.
fn served(cfg: &str, id: &str) -> BTreeMap<String, Value> {
    let (code, out, err) = tidings(&["render", "-c", cfg, id, "--format", "json"]);
    assert_eq!(code, 0, "render {id}: {err}");
    let feed: Value = serde_json::from_str(&out).unwrap();
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap_or_default().to_string(),
                i.clone(),
            )
        })
        .collect()
}

/// The item's title, link, date, first author and a piece of its content.
fn check(
    items: &BTreeMap<String, Value>,
    title: &str,
    link: Option<&str>,
    date: Option<&str>,
    author: Option<&str>,
    content: &str,
) {
    let item = items
        .get(title)
        .unwrap_or_else(|| panic!("no item {title:?} among {:?}", items.keys()));
    assert_eq!(item["url"].as_str(), link, "{title}: link");
    if let Some(date) = date {
        assert_eq!(item["date_published"].as_str(), Some(date), "{title}: date");
    }
    assert_eq!(
        item["authors"][0]["name"].as_str(),
        author,
        "{title}: author"
    );
    let html = item["content_html"].as_str().unwrap_or_default();
    assert!(
        html.contains(content),
        "{title}: content {html:?} lacks {content:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dialect_encoding_and_breakage_is_read() {
    let origin = Origin::start().await;
    let docs = documents();
    let mut toml = String::new();
    for (id, content_type, body) in &docs {
        let path = format!("{id}.feed");
        origin.put(&path, content_type, body.clone());
        toml.push_str(&format!(
            "[[source]]\nid = \"{id}\"\nkind = \"feed\"\nurl = \"{}\"\n\n[[feed]]\nid = \"{id}\"\nsources = [\"{id}\"]\nlimit = 50\n\n",
            origin.url(&path)
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tidings.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\nstate_dir = \"{}\"\n\n[fetch]\nallow_private = true\n\n{toml}",
            dir.path().join("state").display()
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
    assert_eq!(code, 0, "every source is read: {out}{err}");
    assert!(!err.contains("panic"), "{err}");

    let s = |id| served(&cfg, id);

    let podcast = s("podcast");
    check(
        &podcast,
        "Episode 12: Tides",
        Some("https://pod.example/12"),
        Some("2026-03-02T06:00:00Z"),
        Some("Lena Berg"),
        "twice a day",
    );
    let episode = &podcast["Episode 12: Tides"]["attachments"][0];
    assert_eq!(episode["url"], "https://pod.example/12.mp3");
    assert_eq!(episode["duration_in_seconds"], 3723);
    // The channel's iTunes author stands in for the item's; the subtitle for its summary.
    check(
        &podcast,
        "Episode 11",
        Some("https://pod.example/11"),
        None,
        Some("Harbour Radio"),
        "Short one",
    );

    let authors = s("authors");
    check(
        &authors,
        "Email then name",
        Some("https://a.example/1"),
        None,
        Some("Ann Smith"),
        "One.",
    );
    check(
        &authors,
        "Email only",
        Some("https://a.example/2"),
        None,
        Some("bob@a.example"),
        "Two.",
    );
    check(
        &authors,
        "Atom inside RSS",
        Some("https://a.example/3"),
        None,
        Some("Cleo Park"),
        "Three.",
    );

    check(
        &s("atom03"),
        "Atom zero three",
        Some("https://old.example/p1"),
        Some("2026-03-01T09:00:00Z"),
        Some("Old Writer"),
        "<b>body</b>",
    );
    check(
        &s("bare"),
        "No version at all",
        Some("https://bare.example/1"),
        Some("2026-03-01T10:00:00Z"),
        None,
        "Bare body.",
    );
    check(
        &s("rss094"),
        "RSS 0.94 item",
        Some("https://old.example/094"),
        None,
        None,
        "Version 0.94.",
    );
    check(
        &s("youtube"),
        "Building the bridge",
        Some("https://www.youtube.com/watch?v=abc"),
        Some("2026-03-02T15:00:00Z"),
        Some("Harbour Channel"),
        "deck was lifted",
    );

    let raw = s("raw");
    check(
        &raw,
        "Raw markup",
        Some("https://raw.example/1"),
        None,
        None,
        "second &amp; <img src=\"http://127.0.0.1:",
    );
    check(
        &raw,
        "After it",
        Some("https://raw.example/2"),
        None,
        None,
        "Fine.",
    );

    let json = s("json1");
    check(
        &json,
        "Tags as a string",
        Some("https://j.example/101"),
        Some("2026-03-01T07:00:00Z"),
        Some("Feed Author"),
        "Plain text body.",
    );
    assert_eq!(
        json["Tags as a string"]["tags"],
        serde_json::json!(["harbour"])
    );
    assert_eq!(
        json["Tags as a string"]["attachments"][0]["duration_in_seconds"],
        300
    );
    check(
        &json,
        "Second",
        Some("https://j.example/102"),
        None,
        Some("Item Author"),
        "<p>x</p>",
    );
    assert_eq!(json.len(), 2);

    let cut = s("cut");
    check(
        &cut,
        "Before the cut",
        Some("https://cut.example/1"),
        None,
        None,
        "Whole.",
    );
    check(
        &cut,
        "Also whole",
        Some("https://cut.example/2"),
        None,
        None,
        "Whole too.",
    );

    let broken = s("broken");
    check(
        &broken,
        "Mismatched & unclosed",
        Some("https://broken.example/1"),
        None,
        Some("Dana Kim"),
        "Café",
    );
    check(
        &broken,
        "Unquoted attribute",
        Some("https://broken.example/2"),
        None,
        None,
        "Two",
    );
    check(
        &broken,
        "Unclosed item before",
        Some("https://broken.example/3"),
        None,
        None,
        "",
    );

    let dates = s("dates");
    check(
        &dates,
        "pubDate beats dc:date",
        Some("https://d.example/1"),
        Some("2026-03-03T10:00:00Z"),
        None,
        "1",
    );
    check(
        &dates,
        "Bad dc:date keeps pubDate",
        Some("https://d.example/2"),
        Some("2026-03-02T10:00:00Z"),
        None,
        "2",
    );
    check(
        &dates,
        "dcterms issued",
        Some("https://d.example/3"),
        Some("2026-03-01T10:00:00Z"),
        None,
        "3",
    );
    check(
        &dates,
        "Slash date",
        Some("https://d.example/4"),
        Some("2020-01-10T14:33:00Z"),
        None,
        "4",
    );

    let links = s("links");
    check(&links, "Comments are not the link", None, None, None, "1");
    check(
        &links,
        "Permalink guid",
        Some("https://l.example/2"),
        None,
        None,
        "2",
    );

    let types = s("types");
    check(
        &types,
        "Base64",
        Some("https://t.example/1"),
        None,
        Some("T"),
        "<p>Base sixty-four</p>",
    );
    check(
        &types,
        "XHTML MIME",
        Some("https://t.example/2"),
        None,
        Some("T"),
        "XHTML <em>mime</em>",
    );
    check(
        &types,
        "Empty type",
        Some("https://t.example/3"),
        None,
        Some("T"),
        "Plain &amp; simple",
    );

    for id in ["utf16be", "utf16le", "utf16nobom", "utf32be", "utf32le"] {
        check(
            &s(id),
            "Été à Zürich – 你好",
            Some("https://e.example/1"),
            Some("2026-03-01T10:00:00Z"),
            Some("Zoë"),
            "Déjà vu",
        );
    }
    check(
        &s("gb2312"),
        "你好，世界",
        Some("https://e.example/1"),
        None,
        Some("Zoë"),
        "Déjà vu",
    );
    check(
        &s("cp1252"),
        "\u{201c}Smart\u{201d} café",
        Some("https://e.example/1"),
        None,
        Some("Zoë"),
        "Déjà vu",
    );
}
