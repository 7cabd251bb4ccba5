//! The forgiving XML reader on broken documents.

use super::*;

/// The tree as nested tags (names as written, texts as they are), to show
/// its shape.
fn xml(text: &str) -> String {
    fn write(doc: &Document, e: &Element, out: &mut String) {
        out.push_str(&format!("<{}>", e.qname));
        for c in &e.content {
            match c {
                Content::Text(t) => out.push_str(t),
                Content::Element(i) => write(doc, &doc.elements[*i], out),
            }
        }
        out.push_str(&format!("</{}>", e.qname));
    }
    let doc = parse(text, None, usize::MAX);
    let mut out = String::new();
    write(&doc, doc.root().unwrap(), &mut out);
    out
}

#[test]
fn mismatched_unclosed_and_truncated() {
    assert_eq!(
        xml("<rss><channel><item><guid>a</b></guid></item><item><guid>b"),
        "<rss><channel><item><guid>a</guid></item><item><guid>b</guid></item></channel></rss>"
    );
    assert_eq!(
        xml("<feed><entry><id>1</id></feed>"),
        "<feed><entry><id>1</id></entry></feed>"
    );
}

#[test]
fn attributes_entities_and_control_characters() {
    let doc = parse(
        "<a x=1 y='q\"' z w=\"a&b\" x=2>caf&eacute; &nbsp;&amp;&bogus; &#x2014;&#150;\u{1}</a>",
        None,
        usize::MAX,
    );
    let a = doc.root().unwrap();
    assert_eq!(
        a.attrs,
        [
            ("x".into(), "1".into()),
            ("y".into(), "q\"".into()),
            ("z".into(), "z".into()),
            ("w".into(), "a&b".into())
        ]
    );
    assert_eq!(doc.text(a), "café \u{a0}&&bogus; —–");
}

#[test]
fn unescaped_html_in_a_description_is_its_text() {
    let doc = parse(
        "<rss><channel><item><description><p>Hi <br> there &amp; <![CDATA[<b>x</b>]]></p></description><title>T</title></item></channel></rss>",
        None,
        usize::MAX,
    );
    let desc = doc
        .elements
        .iter()
        .find(|e| e.local == "description")
        .unwrap();
    assert!(desc.raw_html);
    assert_eq!(doc.text(desc), "<p>Hi <br> there &amp; <b>x</b></p>");
    assert!(doc.elements.iter().any(|e| e.local == "title"));
    // Escaped and CDATA descriptions are read as text as usual.
    let doc = parse(
        "<rss><description><![CDATA[<p>a</p>]]></description></rss>",
        None,
        usize::MAX,
    );
    let desc = doc
        .elements
        .iter()
        .find(|e| e.local == "description")
        .unwrap();
    assert!(!desc.raw_html);
    assert_eq!(doc.text(desc), "<p>a</p>");
}

#[test]
fn prefixes_and_namespaces() {
    let doc = parse(
        "<rss xmlns:i='http://www.itunes.com/DTDs/Podcast-1.0.dtd'><i:author>A</i:author><dc:creator>B</dc:creator><x:y/></rss>",
        None,
        usize::MAX,
    );
    let names: Vec<_> = doc
        .elements
        .iter()
        .map(|e| (e.ns.as_str(), e.local.as_str()))
        .collect();
    assert_eq!(names[1], (ITUNES, "author"));
    assert_eq!(names[2], (DC, "creator"));
    assert_eq!(names[3], ("urn:tidings:undeclared:x", "y"));
}

#[test]
fn xhtml_is_written_as_html() {
    let doc = parse(
        "<div xmlns='http://www.w3.org/1999/xhtml'><x:p x:class='a&amp;b' xmlns:x='http://www.w3.org/1999/xhtml'>1 &lt; 2<br/><x:span/></x:p></div>",
        None,
        usize::MAX,
    );
    assert_eq!(
        doc.inner_html(doc.root().unwrap()),
        "<p x:class=\"a&amp;b\">1 &lt; 2<br><span></span></p>"
    );
}

#[test]
fn xml_base_is_resolved_down_the_tree() {
    let doc = parse(
        "<feed xml:base='/blog/'><entry xml:base='p/'><link href='x'/></entry></feed>",
        Some("https://ex.org/feed"),
        usize::MAX,
    );
    assert_eq!(
        doc.elements[2].base.as_deref(),
        Some("https://ex.org/blog/p/")
    );
}

#[test]
fn long_texts_are_cut_where_the_reader_says() {
    let doc = parse(
        &format!(
            "<rss><description>{}é</description><title>é{}</title></rss>",
            "a".repeat(9),
            "<b>x</b>".repeat(5)
        ),
        None,
        10,
    );
    let texts: Vec<String> = doc.elements[1..].iter().map(|e| doc.text(e)).collect();
    assert_eq!(texts, ["aaaaaaaaa", "é<b>x</b>"]);
}

#[test]
fn unclosed_html_elements_are_read_in_one_pass() {
    // Each unclosed description would search the rest of the document
    // for its end tag: 50,000 of them in a quadratic reader take minutes.
    let doc = format!(
        "<rss><channel>{}</channel></rss>",
        "<item><description><b>x</item>".repeat(50_000)
    );
    let started = std::time::Instant::now();
    let tree = parse(&doc, None, usize::MAX);
    assert_eq!(
        tree.elements.iter().filter(|e| e.local == "item").count(),
        50_000
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn nesting_is_bounded_and_doctypes_are_skipped() {
    let deep = format!(
        "<!DOCTYPE r [<!ENTITY a \"x\">]><r>{}t{}</r>",
        "<a>".repeat(100_000),
        "</a>".repeat(100_000)
    );
    let doc = parse(&deep, None, usize::MAX);
    assert_eq!(doc.elements.len(), MAX_DEPTH);
    assert_eq!(doc.text(doc.root().unwrap()), "t");
}
