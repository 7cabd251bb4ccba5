//! Reading feeds of every dialect, broken or not.

use super::*;
use crate::model::RawDate;

fn parse_str(bytes: &[u8], ct: Option<&str>) -> ParsedFeed {
    parse(bytes, ct, "https://example.org/feed", usize::MAX, |t| {
        DateTime::parse_from_rfc2822(t)
            .or_else(|_| DateTime::parse_from_rfc3339(t))
            .ok()
            .map(|d| d.with_timezone(&Utc))
    })
    .unwrap()
}

#[test]
fn rss2_items() {
    let f = parse_str(
        br#"<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title><link>https://example.org/</link><ttl>60</ttl>
<item><title>A &amp;amp; B</title><link>/a?utm_source=x</link><guid>g1</guid><dc:creator>Ann</dc:creator><pubDate>Mon, 31 Jul 2017 10:00:00 +0200</pubDate><description>&lt;p&gt;hi&lt;/p&gt;</description><category>News</category><enclosure url="https://example.org/a.mp3" length="12" type="audio/mpeg"/></item>
<item><title>No guid</title><link>https://example.org/b</link></item>
</channel></rss>"#,
        None,
    );
    assert_eq!(f.title.as_deref(), Some("T"));
    assert_eq!(f.ttl, Some(60));
    let a = &f.items[0];
    assert_eq!(a.guid.as_deref(), Some("g1"));
    assert_eq!(a.title.as_deref(), Some("A &amp; B"));
    assert_eq!(a.authors, ["Ann"]);
    assert_eq!(a.summary_html.as_deref(), Some("<p>hi</p>"));
    assert_eq!(a.categories, ["News"]);
    assert_eq!(a.enclosures[0].length, 12);
    assert_eq!(
        a.published,
        Some(RawDate::At(
            DateTime::parse_from_rfc3339("2017-07-31T08:00:00Z").unwrap()
        ))
    );
    assert_eq!(f.items[1].guid, None);
}

#[test]
fn atom_text_titles_are_escaped_for_html_reading() {
    let f = parse_str(
        br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:x</id><updated>2017-07-31T10:00:00Z</updated>
<entry><id>urn:e1</id><title type="text">x &lt; y</title><link rel="alternate" href="https://example.org/e1"/><updated>2017-07-31T10:00:00Z</updated><content type="html">&lt;b&gt;b&lt;/b&gt;</content></entry></feed>"#,
        None,
    );
    let e = &f.items[0];
    assert_eq!(e.title.as_deref(), Some("x &lt; y"));
    assert_eq!(e.link.as_deref(), Some("https://example.org/e1"));
    assert_eq!(e.content_html.as_deref(), Some("<b>b</b>"));
}

#[test]
fn http_charset_and_declarations() {
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Caf\xe9</title><item><title>\xc9t\xe9</title><guid>1</guid></item></channel></rss>";
    assert_eq!(
        parse_str(latin1, None).items[0].title.as_deref(),
        Some("Été")
    );
    assert_eq!(
        parse_str(latin1, Some("text/xml; charset=iso-8859-1")).items[0]
            .title
            .as_deref(),
        Some("Été")
    );
    // A wrong UTF-8 label does not beat a correct declaration.
    assert_eq!(
        parse_str(latin1, Some("text/xml; charset=utf-8")).items[0]
            .title
            .as_deref(),
        Some("Été")
    );
    // An undeclared document takes the HTTP charset.
    let bare = b"<rss version=\"2.0\"><channel><title>x</title><item><title>\xe0 la</title><guid>1</guid></item></channel></rss>";
    assert_eq!(
        parse_str(bare, Some("application/rss+xml; charset=\"windows-1252\"")).items[0]
            .title
            .as_deref(),
        Some("à la")
    );
}

#[test]
fn root_xml_base_is_inherited() {
    let f = parse_str(
        br#"<?xml version="1.0"?><!-- c --><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://x.example/blog/"><title>T</title><id>urn:x</id><updated>2017-07-31T10:00:00Z</updated>
<entry><id>urn:a</id><title>a</title><updated>2017-07-31T10:00:00Z</updated></entry>
<entry><id>urn:b</id><title>b</title><updated>2017-07-31T10:00:00Z</updated><content type="html" xml:base="/other/">x</content></entry></feed>"#,
        None,
    );
    assert_eq!(
        f.items[0].base_url.as_deref(),
        Some("https://x.example/blog/")
    );
    assert_eq!(
        f.items[1].base_url.as_deref(),
        Some("https://x.example/other/")
    );
}

#[test]
fn broken_documents_are_recovered() {
    let f = parse_str(
        b"<rss version=\"2.0\"><channel><title>x</title><item><title>Tom & Jerry &amp; co &#233;</title><guid>1</guid></item></channel></rss>",
        None,
    );
    assert_eq!(f.items[0].title.as_deref(), Some("Tom & Jerry & co \u{e9}"));
    let f = parse_str(
        b"<rss version=\"2.0\"><channel><title>x</title><item><title>caf\xc3\xa9 \xff ok</title><guid>1</guid></item></channel></rss>",
        None,
    );
    // A stray byte in UTF-8 is read as windows-1252, as feedparser does.
    assert_eq!(f.items[0].title.as_deref(), Some("caf\u{e9} \u{ff} ok"));
}

#[test]
fn entities_are_never_expanded_nor_fetched() {
    let bomb = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><rss version="2.0"><channel><title>x</title><item><title>&d;</title><guid>1</guid></item></channel></rss>"#;
    assert_eq!(parse_str(bomb, None).items[0].title.as_deref(), Some("&d;"));
    let dir = std::env::temp_dir().join(format!("tidings-xxe-{}", std::process::id()));
    std::fs::write(&dir, "SECRET").unwrap();
    let xxe = format!(
        r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{}">]><rss version="2.0"><channel><title>x</title><item><title>a&x;b</title><guid>1</guid></item></channel></rss>"#,
        dir.display()
    );
    let title = parse_str(xxe.as_bytes(), None).items[0]
        .title
        .clone()
        .unwrap();
    std::fs::remove_file(&dir).unwrap();
    assert!(!title.contains("SECRET"), "{title}");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for depth in [60_000, 200_000] {
        let mut doc = b"<rss version=\"2.0\"><channel><title>x</title><item><title>t</title><guid>1</guid><description>".to_vec();
        doc.extend(b"<a>".repeat(depth));
        doc.extend(b"</description></item></channel></rss>");
        // Either outcome is fine; returning at all (no stack overflow) is the point.
        let _ = parse(&doc, None, "https://x.example/", usize::MAX, |_| None);
    }
}

#[test]
fn a_declaration_with_a_strange_quote_is_malformed_not_a_crash() {
    // Found by fuzzing: a multi-byte character where the quote belongs.
    assert_eq!(
        crate::text::decode::declared_encoding(
            "<?xml version=\"1.0\" encoding=\u{78d}tf-8\"?><rss/>".as_bytes()
        ),
        None
    );
    assert_eq!(
        crate::text::decode::declared_encoding(
            b"<?xml version='1.0' encoding='ISO-8859-1'?><rss/>"
        )
        .as_deref(),
        Some("ISO-8859-1")
    );
}

#[test]
fn junk_before_the_feed_and_a_wrong_default_namespace() {
    let f = parse_str(
        b"<br />\n<b>Warning</b>: Undefined index in /var/www/feed.php on line 3<br />\n<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns=\"http://www.w3.org/2005/Atom\"><channel><title>T</title><item><title>Still read</title><link>https://x.example/1</link><description>Body</description></item></channel></rss>",
        None,
    );
    assert_eq!(f.items.len(), 1);
    let item = &f.items[0];
    assert_eq!(item.title.as_deref(), Some("Still read"));
    assert_eq!(item.link.as_deref(), Some("https://x.example/1"));
    assert_eq!(item.summary_html.as_deref(), Some("Body"));
}

#[test]
fn feeds_inside_html_items_inside_unclosed_elements_and_web_alternates() {
    let wrapped = parse_str(
        br#"<!DOCTYPE html><html><body><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>urn:1</id><title>Wrapped</title>
<link rel="alternate" type="text/gemini" href="gemini://g.example/1"/><link rel="alternate" type="text/html" href="https://w.example/1"/></entry></feed></body></html>"#,
        None,
    );
    assert_eq!(wrapped.items.len(), 1);
    assert_eq!(
        wrapped.items[0].link.as_deref(),
        Some("https://w.example/1")
    );
    let unclosed = parse_str(
        b"<rss version='2.0'><channel><title>T</title><itunes:category text='Tech'><item><title>Inside</title><author>Author (name)</author></item><item><title>Also</title></item></channel></rss>",
        None,
    );
    let titles: Vec<_> = unclosed.items.iter().map(|i| i.title.as_deref()).collect();
    assert_eq!(titles, [Some("Inside"), Some("Also")]);
    assert_eq!(unclosed.items[0].authors, ["Author (name)"]);
}

#[test]
fn html_page_is_named() {
    let e = parse(
        b"<!DOCTYPE html><html><body>hi</body></html>",
        None,
        "https://x.example/",
        usize::MAX,
        |_| None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("HTML page"), "{e}");
}

#[test]
fn websub_hubs_and_self_links_are_read_from_every_dialect() {
    let atom = parse_str(
        br#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://example.org/">
<title>A</title><link rel="self" href="/atom.xml"/><link rel="hub" href="https://hub.example/"/>
<link rel="alternate" href="/"/><link rel="hub" href="hub2"/></feed>"#,
        None,
    );
    assert_eq!(
        atom.hubs,
        ["https://hub.example/", "https://example.org/hub2"]
    );
    assert_eq!(
        atom.self_link.as_deref(),
        Some("https://example.org/atom.xml")
    );
    let rss = parse_str(
        br#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>R</title>
<link>https://example.org/</link><atom:link rel="hub" href="https://hub.example/"/>
<atom:link href="https://example.org/rss.xml" rel="self" type="application/rss+xml"/></channel></rss>"#,
        None,
    );
    assert_eq!(rss.hubs, ["https://hub.example/"]);
    assert_eq!(
        rss.self_link.as_deref(),
        Some("https://example.org/rss.xml")
    );
    assert_eq!(rss.link.as_deref(), Some("https://example.org/"));
    let json = parse_str(
        br#"{"version":"https://jsonfeed.org/version/1.1","title":"J","feed_url":"https://example.org/feed.json",
"hubs":[{"type":"rssCloud","url":"https://cloud.example/"},{"type":"WebSub","url":"https://hub.example/"}],"items":[]}"#,
        None,
    );
    assert_eq!(json.hubs, ["https://hub.example/"]);
    assert_eq!(
        json.self_link.as_deref(),
        Some("https://example.org/feed.json")
    );
    let none = parse_str(
        b"<rss version=\"2.0\"><channel><title>N</title></channel></rss>",
        None,
    );
    assert!(none.hubs.is_empty() && none.self_link.is_none());
}
