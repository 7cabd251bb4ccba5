//! The `feed` kind: RSS 0.9x/1.0/2.0, Atom and JSON Feed bytes → raw items,
//! with `feed-rs`.
//!
//! The text encoding is decided here, from the bytes: a BOM first, then the
//! HTTP charset, then the XML declaration (RFC 7303). Depends only on `model`.

use crate::model::{Enclosure, RawDate, RawItem};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::fmt;

/// What a feed document says about itself and its items.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// The site the feed belongs to.
    pub link: Option<String>,
    /// RSS `<ttl>`, in minutes.
    pub ttl: Option<u32>,
    pub items: Vec<RawItem>,
}

/// Why a document could not be read as a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedError {
    pub reason: String,
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a readable feed: {}", self.reason)
    }
}

impl std::error::Error for FeedError {}

/// Parses a feed document fetched from `url`.
///
/// `content_type` is the HTTP header, for its charset. `parse_date` reads
/// date text (it knows the source's time zone). Fails when the bytes are not
/// RSS, Atom or JSON Feed.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &str,
    parse_date: impl Fn(&str) -> Option<DateTime<Utc>> + Send + Sync + 'static,
) -> Result<ParsedFeed, FeedError> {
    let doc = to_parser_encoding(bytes, content_type);
    let parse_date = std::sync::Arc::new(parse_date);
    // A parser keeps state from a failed parse, so each attempt gets its own.
    let parser = || {
        let parse_date = parse_date.clone();
        feed_rs::parser::Builder::new()
            .base_uri(Some(url))
            .sanitize_content(false)
            // An empty id marks items without one of their own; normalization
            // then derives a stable id from the link or the content.
            .id_generator(|_, _, _| String::new())
            .timestamp_parser(move |t| parse_date(t))
            .build()
    };
    // A lenient reader's second chance: bytes that are not valid in their
    // encoding, and bare `&`, are the commonest breakage of real feeds.
    let feed = match parser().parse(doc.as_ref()) {
        Ok(feed) => feed,
        Err(e) => match repair(&doc) {
            Some(fixed) => parser().parse(&fixed[..]),
            None => Err(e),
        }
        .map_err(|e| FeedError {
            reason: describe(&e, bytes),
        })?,
    };
    let rss = !matches!(
        feed.feed_type,
        feed_rs::model::FeedType::Atom | feed_rs::model::FeedType::JSON
    );
    let plain = |t: &feed_rs::model::Text| as_html(t, rss);
    // feed-rs resolves links with the xml:base in scope, but keeps only the
    // content element's own xml:base; relative URLs in content need the
    // root element's when the content has none.
    let root_base = root_xml_base(&doc);
    let items = feed
        .entries
        .iter()
        .map(|e| RawItem {
            guid: Some(e.id.trim().to_string()).filter(|s| !s.is_empty()),
            link: main_link(&e.links),
            title: e.title.as_ref().map(&plain),
            authors: e.authors.iter().filter_map(|p| p.name.clone()).collect(),
            summary_html: e.summary.as_ref().map(&plain),
            content_html: e.content.as_ref().and_then(|c| c.body.clone()),
            published: e.published.map(|d| RawDate::At(d.fixed_offset())),
            updated: e.updated.map(|d| RawDate::At(d.fixed_offset())),
            categories: e
                .categories
                .iter()
                .map(|c| c.label.clone().unwrap_or_else(|| c.term.clone()))
                .collect(),
            enclosures: e
                .media
                .iter()
                .flat_map(|m| &m.content)
                .filter_map(|c| {
                    Some(Enclosure {
                        url: c.url.as_ref()?.to_string(),
                        mime_type: c
                            .content_type
                            .as_ref()
                            .map(|t| t.to_string())
                            .unwrap_or_else(|| "application/octet-stream".into()),
                        length: c.size.unwrap_or(0),
                    })
                })
                .collect(),
            base_url: e.base.clone().or_else(|| root_base.clone()),
        })
        .collect();
    Ok(ParsedFeed {
        title: feed.title.as_ref().map(|t| t.content.clone()),
        link: main_link(&feed.links),
        ttl: feed.ttl,
        items,
    })
}

/// A text construct as HTML. RSS titles and descriptions are HTML by common
/// practice; Atom `type="text"` and JSON Feed text are plain, so they are
/// escaped to keep a literal `&lt;` literal when normalization reads them as
/// HTML.
fn as_html(text: &feed_rs::model::Text, rss: bool) -> String {
    let is_plain = text.content_type.to_string().starts_with("text/plain");
    if is_plain && !rss {
        html_escape::encode_text(&text.content).into_owned()
    } else {
        text.content.clone()
    }
}

/// The item's own page: an alternate link (or one without `rel`), else the
/// first link that is not `self`, `enclosure` or `replies`.
fn main_link(links: &[feed_rs::model::Link]) -> Option<String> {
    links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| {
            links.iter().find(|l| {
                !matches!(
                    l.rel.as_deref(),
                    Some("self" | "enclosure" | "replies" | "hub")
                )
            })
        })
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// The document with invalid byte sequences replaced (U+FFFD) and bare `&`
/// escaped, declared as UTF-8; `None` when there is nothing to repair.
fn repair(doc: &[u8]) -> Option<Vec<u8>> {
    let encoding = xml_declared_encoding(doc)
        .and_then(|d| encoding_rs::Encoding::for_label(d.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, lossy) = encoding.decode(doc);
    let mut out = String::with_capacity(text.len() + 64);
    let mut escaped = false;
    let mut rest: &str = &text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if is_reference(rest) {
            out.push('&');
        } else {
            out.push_str("&amp;");
            escaped = true;
        }
        rest = &rest[1..];
    }
    out.push_str(rest);
    (lossy || escaped || encoding != encoding_rs::UTF_8).then(|| redeclare_utf8(out.as_bytes()))
}

/// Whether `s` (starting at `&`) starts an entity or character reference.
fn is_reference(s: &str) -> bool {
    let body = &s[1..];
    let Some(end) = body.find(';') else {
        return false;
    };
    let name = &body[..end];
    if let Some(num) = name.strip_prefix('#') {
        return match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()),
        };
    }
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// The `xml:base` attribute of the document's root element, if any.
fn root_xml_base(doc: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(&doc[..doc.len().min(4096)])
        .unwrap_or_else(|e| std::str::from_utf8(&doc[..e.valid_up_to()]).unwrap_or(""));
    let mut rest = text;
    // Skip the XML declaration, comments, processing instructions and doctype.
    let root = loop {
        let at = rest.find('<')?;
        rest = &rest[at..];
        if rest.starts_with("<?") || rest.starts_with("<!") {
            rest = &rest[rest.find('>')? + 1..];
        } else {
            break &rest[..rest.find('>')?];
        }
    };
    let at = root.find("xml:base")? + "xml:base".len();
    let value = root[at..].trim_start().strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &value[1..];
    Some(html_escape::decode_html_entities(&value[..value.find(quote)?]).into_owned())
}

/// A clearer error than the parser's for the commonest mistake: an HTML page
/// where a feed was expected.
fn describe(e: &feed_rs::parser::ParseFeedError, bytes: &[u8]) -> String {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    if head.contains("<!doctype html") || head.contains("<html") {
        "the document is an HTML page, not RSS, Atom or JSON Feed".into()
    } else if bytes.iter().all(u8::is_ascii_whitespace) {
        "the document is empty".into()
    } else {
        e.to_string()
    }
}

/// The bytes as the XML/JSON parser should see them. The parser honours a BOM
/// and the XML declaration itself; an HTTP charset that the document does not
/// declare (or that contradicts it, as RFC 7303 lets HTTP do) is applied here
/// by transcoding to UTF-8 and declaring that.
fn to_parser_encoding<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Cow<'a, [u8]> {
    if encoding_rs::Encoding::for_bom(bytes).is_some() {
        return Cow::Borrowed(bytes);
    }
    let Some(http) = content_type
        .and_then(charset_of)
        .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
    else {
        return Cow::Borrowed(bytes);
    };
    let declared =
        xml_declared_encoding(bytes).and_then(|d| encoding_rs::Encoding::for_label(d.as_bytes()));
    if http == encoding_rs::UTF_8 {
        // A UTF-8 label on bytes that are not UTF-8 is a common server
        // misconfiguration: then trust the document's own declaration.
        if declared.is_none() || std::str::from_utf8(bytes).is_ok() {
            return match declared {
                Some(d) if d != encoding_rs::UTF_8 => Cow::Owned(redeclare_utf8(bytes)),
                _ => Cow::Borrowed(bytes),
            };
        }
        return Cow::Borrowed(bytes);
    }
    if declared == Some(http) {
        return Cow::Borrowed(bytes);
    }
    let (text, _, _) = http.decode(bytes);
    Cow::Owned(redeclare_utf8(text.as_bytes()))
}

fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The `encoding` of the XML declaration at the start of the document.
fn xml_declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(256)];
    let text = std::str::from_utf8(head)
        .unwrap_or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""));
    let decl = text.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")? + "encoding".len();
    let rest = decl[at..].trim_start().strip_prefix('=')?.trim_start();
    // Only the two XML quotes delimit a value; anything else is malformed.
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].to_string())
}

/// The document with its XML declaration (if any) saying UTF-8.
fn redeclare_utf8(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix("<?xml")
        && let Some(end) = rest.find("?>")
    {
        let mut out = String::with_capacity(text.len());
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        out.push_str(&rest[end + 2..]);
        return out.into_bytes();
    }
    text.into_owned().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(bytes: &[u8], ct: Option<&str>) -> ParsedFeed {
        parse(bytes, ct, "https://example.org/feed", |t| {
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
        assert_eq!(f.items[1].base_url.as_deref(), Some("/other/"));
        assert_eq!(root_xml_base(b"<rss version=\"2.0\">"), None);
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
        assert_eq!(f.items[0].title.as_deref(), Some("caf\u{e9} \u{fffd} ok"));
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
            let _ = parse(&doc, None, "https://x.example/", |_| None);
        }
    }

    #[test]
    fn a_declaration_with_a_strange_quote_is_malformed_not_a_crash() {
        // Found by fuzzing: a multi-byte character where the quote belongs.
        assert_eq!(
            xml_declared_encoding(
                "<?xml version=\"1.0\" encoding=\u{78d}tf-8\"?><rss/>".as_bytes()
            ),
            None
        );
        assert_eq!(
            xml_declared_encoding(b"<?xml version='1.0' encoding='ISO-8859-1'?><rss/>").as_deref(),
            Some("ISO-8859-1")
        );
    }

    #[test]
    fn html_page_is_named() {
        let e = parse(
            b"<!DOCTYPE html><html><body>hi</body></html>",
            None,
            "https://x.example/",
            |_| None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("HTML page"), "{e}");
    }
}
