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

/// The first item's summary and content.
fn texts(doc: &str) -> (Option<String>, Option<String>) {
    let f = parse_str(doc.as_bytes(), None);
    let item = f.items.into_iter().next().unwrap();
    (item.summary_html, item.content_html)
}

fn atom_entry(inner: &str) -> String {
    format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>urn:e</id><title>E</title>{inner}</entry></feed>"#
    )
}

#[test]
fn atom_text_constructs_of_every_type() {
    // Plain text is escaped, so that it reads as the text it is.
    let (summary, content) = texts(&atom_entry(
        r#"<summary>1 &lt; 2 &amp; 3</summary><content type="text">a &lt;b&gt; tag</content>"#,
    ));
    assert_eq!(summary.as_deref(), Some("1 &lt; 2 &amp; 3"));
    assert_eq!(content.as_deref(), Some("a &lt;b&gt; tag"));
    // Escaped HTML and HTML in CDATA are HTML; MIME names and any case too.
    let (summary, content) = texts(&atom_entry(
        r#"<summary type="HTML">&lt;b&gt;x&lt;/b&gt;</summary><content type="text/html"><![CDATA[<p>y &amp; z</p>]]></content>"#,
    ));
    assert_eq!(summary.as_deref(), Some("<b>x</b>"));
    assert_eq!(content.as_deref(), Some("<p>y &amp; z</p>"));
    // XHTML: the div's content as HTML, names without prefixes, void
    // elements once, text escaped again.
    let (summary, content) = texts(&atom_entry(
        r#"<summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a<br/>b</div></summary>
<content type="application/xhtml+xml"><x:div xmlns:x="http://www.w3.org/1999/xhtml"><x:p class="c">1 &lt; 2 &amp;amp;</x:p><x:p/></x:div></content>"#,
    ));
    assert_eq!(summary.as_deref(), Some("a<br>b"));
    assert_eq!(
        content.as_deref(),
        Some(r#"<p class="c">1 &lt; 2 &amp;amp;</p><p></p>"#)
    );
    // XHTML that is not one div is kept whole.
    let (_, content) = texts(&atom_entry(
        r#"<content type="xhtml"><p>one</p><p>two</p></content>"#,
    ));
    assert_eq!(content.as_deref(), Some("<p>one</p><p>two</p>"));
}

#[test]
fn atom_content_elsewhere_base64_and_other_types() {
    let (_, content) = texts(&atom_entry(
        r#"<summary>S</summary><content type="text/html" src="https://example.org/body"/>"#,
    ));
    assert_eq!(content, None);
    // "<p>Hi &amp; bye</p>" in base64, as a MIME type that is not text.
    let (_, content) = texts(&atom_entry(
        r#"<content type="application/octet-stream">PHA+SGkgJmFtcDsg
YnllPC9wPg==</content>"#,
    ));
    assert_eq!(content.as_deref(), Some("<p>Hi &amp; bye</p>"));
    // Another text type is plain text.
    let (_, content) = texts(&atom_entry(
        r#"<content type="text/markdown">*a* &lt;b&gt;</content>"#,
    ));
    assert_eq!(content.as_deref(), Some("*a* &lt;b&gt;"));
}

#[test]
fn atom_03_modes_and_markup_in_text() {
    let doc = |inner: &str| {
        format!(
            r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Plain <b>bold</b></title><entry><id>urn:e</id><title>E</title>{inner}</entry></feed>"#
        )
    };
    let (summary, content) = texts(&doc(
        r#"<summary>Hello <b>you</b></summary><content type="text/html" mode="escaped">&lt;i&gt;i&lt;/i&gt;</content>"#,
    ));
    // Undeclared markup in a text construct is markup, as feedparser has it.
    assert_eq!(summary.as_deref(), Some("Hello <b>you</b>"));
    assert_eq!(content.as_deref(), Some("<i>i</i>"));
    let (_, content) = texts(&doc(
        r#"<content type="text/html" mode="xml"><p>In <em>XML</em></p></content>"#,
    ));
    assert_eq!(content.as_deref(), Some("<p>In <em>XML</em></p>"));
    let (_, content) = texts(&doc(
        r#"<content type="text/html" mode="base64">PGI+Yjwv Yj4=</content>"#,
    ));
    assert_eq!(content.as_deref(), Some("<b>b</b>"));
    let f = parse_str(doc("").as_bytes(), None);
    assert_eq!(f.title.as_deref(), Some("Plain <b>bold</b>"));
}

#[test]
fn rss_description_content_encoded_cdata_and_entities() {
    let (summary, content) = texts(
        r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title><item><title>I</title>
<description>
  &lt;p&gt;Short &amp;amp; sweet&lt;/p&gt;
</description>
<content:encoded><![CDATA[
  <p>Long &amp; <b>full</b> &eacute;</p>
]]></content:encoded></item></channel></rss>"#,
    );
    assert_eq!(summary.as_deref(), Some("<p>Short &amp; sweet</p>"));
    assert_eq!(
        content.as_deref(),
        Some("<p>Long &amp; <b>full</b> &eacute;</p>")
    );
    // Unescaped HTML in a description is its text, its entities HTML's.
    let (summary, content) = texts(
        "<rss version=\"0.91\"><channel><title>T</title><item><title>I</title><description>Caf&eacute; <i>open</i></description></item></channel></rss>",
    );
    assert_eq!(summary.as_deref(), Some("Caf&eacute; <i>open</i>"));
    assert_eq!(content, None);
}

#[test]
fn rdf_items_and_their_dublin_core_description() {
    let f = parse_str(
        br#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://example.org/"><title>Channel</title></channel>
<item rdf:about="https://example.org/1"><title>One</title><link>https://example.org/1</link><dc:description>Said in DC</dc:description></item>
<item rdf:about="https://example.org/2"><title>Two</title><description>Said in RSS</description><dc:description>Not this</dc:description></item>
</rdf:RDF>"#,
        None,
    );
    assert_eq!(f.title.as_deref(), Some("Channel"));
    let summaries: Vec<_> = f.items.iter().map(|i| i.summary_html.as_deref()).collect();
    assert_eq!(summaries, [Some("Said in DC"), Some("Said in RSS")]);
}

#[test]
fn summary_fallbacks_still_fill_an_empty_summary() {
    let (summary, _) = texts(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><title>T</title><entry><id>urn:v</id><title>V</title><summary>  </summary>
<media:group><media:description>Line one
Line &lt;two&gt;</media:description></media:group></entry></feed>"#,
    );
    assert_eq!(summary.as_deref(), Some("Line one<br>\nLine &lt;two&gt;"));
    let (summary, _) = texts(
        r#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>P</title><item><title>E</title><itunes:summary>An &amp; episode</itunes:summary></item></channel></rss>"#,
    );
    assert_eq!(summary.as_deref(), Some("An &amp; episode"));
}
