//! Bytes → text: which encoding a document is in, decided as feedparser and
//! RFC 7303 decide it for feeds (and as browsers do for pages), and the
//! document decoded to UTF-8.
//!
//! The order: a byte order mark; else the shape of the first bytes (UTF-16
//! and UTF-32 without a BOM start `<` with NULs around it); else the HTTP
//! charset; else the document's own declaration (the XML declaration, in
//! either quote, for feeds; a `<meta charset>` or `http-equiv` in the head
//! for pages); else UTF-8. A page whose bytes are all UTF-8, with some past
//! ASCII, is read as UTF-8 whatever its labels say (as trafilatura reads
//! it): a legacy encoding's text is almost never valid UTF-8, while pages
//! converted to UTF-8 that kept their old `<meta>` are common.
//! A document that claims UTF-8 but holds bytes that are not UTF-8 keeps its
//! valid runs and reads each stray byte as windows-1252, the encoding such
//! bytes are in practice (feedparser falls back the same way, but for the
//! whole document). A document that names no encoding at all and is not
//! UTF-8 is in a legacy encoding nobody named: `chardetng` (Firefox's
//! detector) guesses which, where feedparser without chardet reads
//! windows-1252.

use super::budget::find_ignore_case;
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// A Unicode encoding that `encoding_rs` does not decode (it follows the
/// WHATWG list, which has no UTF-32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Utf32 {
    Le,
    Be,
}

/// How the bytes are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Skip `bom` bytes, then decode with the encoding.
    Whatwg(&'static Encoding, usize),
    Utf32(Utf32, usize),
}

/// An XML document (a feed) as UTF-8 text, without a BOM.
pub fn decode_xml(bytes: &[u8], content_type: Option<&str>) -> String {
    decode(bytes, content_type, declared_encoding, false)
}

/// An HTML page as UTF-8 text, without a BOM.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> String {
    decode(bytes, content_type, meta_charset, true)
}

fn decode(
    bytes: &[u8],
    content_type: Option<&str>,
    declared: fn(&[u8]) -> Option<String>,
    utf8_wins: bool,
) -> String {
    match plan(bytes, content_type, declared) {
        Plan::Whatwg(encoding, bom) => {
            let body = &bytes[bom..];
            let utf8 = || {
                (utf8_wins && encoding.is_ascii_compatible())
                    .then(|| std::str::from_utf8(body).ok())
                    .flatten()
                    .filter(|text| !text.is_ascii())
            };
            if encoding == UTF_8 {
                utf8_or_windows_1252(body)
            } else if let Some(text) = utf8() {
                text.to_string()
            } else {
                encoding.decode_without_bom_handling(body).0.into_owned()
            }
        }
        Plan::Utf32(order, bom) => utf32(&bytes[bom..], order),
    }
}

fn plan(bytes: &[u8], content_type: Option<&str>, declared: fn(&[u8]) -> Option<String>) -> Plan {
    match bytes {
        [0x00, 0x00, 0xFE, 0xFF, ..] => return Plan::Utf32(Utf32::Be, 4),
        [0xFF, 0xFE, 0x00, 0x00, ..] => return Plan::Utf32(Utf32::Le, 4),
        [0xEF, 0xBB, 0xBF, ..] => return Plan::Whatwg(UTF_8, 3),
        [0xFE, 0xFF, ..] => return Plan::Whatwg(UTF_16BE, 2),
        [0xFF, 0xFE, ..] => return Plan::Whatwg(UTF_16LE, 2),
        [0x00, 0x00, 0x00, b'<', ..] => return Plan::Utf32(Utf32::Be, 0),
        [b'<', 0x00, 0x00, 0x00, ..] => return Plan::Utf32(Utf32::Le, 0),
        [0x00, b'<', ..] => return Plan::Whatwg(UTF_16BE, 0),
        [b'<', 0x00, ..] => return Plan::Whatwg(UTF_16LE, 0),
        _ => {}
    }
    // The bytes are ASCII-compatible here, so a label naming a 16- or
    // 32-bit encoding is wrong, and the bytes are read as UTF-8.
    let ascii_compatible = |e: &'static Encoding| {
        if e == UTF_16BE || e == UTF_16LE {
            UTF_8
        } else {
            e
        }
    };
    let label = |l: &str| {
        let l = l.trim();
        if l.to_ascii_lowercase().starts_with("utf-32") || l.eq_ignore_ascii_case("ucs-4") {
            return Some(UTF_8);
        }
        Encoding::for_label(l.as_bytes()).map(ascii_compatible)
    };
    let http = content_type.and_then(charset_param).and_then(|c| label(&c));
    let declared = declared(bytes).and_then(|d| label(&d));
    let chosen = match (http, declared) {
        // A UTF-8 label from a server on a document that declares something
        // else and is not UTF-8 is a server misconfiguration.
        (Some(h), Some(d)) if h == UTF_8 && d != UTF_8 && std::str::from_utf8(bytes).is_err() => d,
        (Some(h), _) => h,
        (None, Some(d)) => d,
        (None, None) if !mostly_utf8(bytes) => {
            // No script runs in a feed, so ISO-2022-JP may be guessed.
            let mut detector =
                chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
            detector.feed(bytes, true);
            detector.guess(None, chardetng::Utf8Detection::Deny)
        }
        (None, None) => UTF_8,
    };
    Plan::Whatwg(chosen, 0)
}

/// The `charset` parameter of a Content-Type, unquoted (either quote).
pub fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

/// The `encoding` of the XML declaration at the start of the document.
pub fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
    };
    let decl = text.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")? + "encoding".len();
    let rest = decl[at..].trim_start().strip_prefix('=')?.trim_start();
    // Only the two XML quotes delimit a value; anything else is malformed.
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].to_string())
}

/// How far into a page [`meta_charset`] looks for a `<meta>` naming its
/// charset, when no `<body>` tag ends the search sooner.
const HEAD_SCAN_BYTES: usize = 256 * 1024;

/// The charset a page's `<meta charset=…>`, or the `charset` of its
/// `<meta http-equiv=Content-Type content=…>`, names: the HTML Standard's
/// prescan (its attribute grammar, comments skipped, labels no encoding
/// has passed over), read on through the head as Chrome and Firefox read
/// it, not only the first 1024 bytes: an archive's banner or a head full of
/// scripts pushes the `<meta>` past them. A `charset` attribute of another
/// element (`<script charset=utf-8>`) names that resource's, not the
/// page's; scripts and style sheets are skipped whole.
pub fn meta_charset(bytes: &[u8]) -> Option<String> {
    let page = &bytes[..bytes.len().min(HEAD_SCAN_BYTES)];
    let mut at = 0;
    while let Some(lt) = page[at..].iter().position(|b| *b == b'<') {
        at += lt;
        let rest = &page[at..];
        if rest.starts_with(b"<!--") {
            at = find_ignore_case(page, at + 2, b"-->").map_or(page.len(), |e| e + 3);
            continue;
        }
        let name_len = rest[1..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or(rest.len() - 1);
        if name_len == 0 || !rest[1].is_ascii_alphabetic() {
            // An end tag, a doctype, a processing instruction or a stray `<`.
            at += 1 + rest[1..]
                .iter()
                .position(|b| *b == b'>')
                .unwrap_or(rest.len() - 1);
            continue;
        }
        let name = rest[1..1 + name_len].to_ascii_lowercase();
        let (attributes, end) = attributes(&rest[1 + name_len..])?;
        at += 1 + name_len + end;
        match name.as_slice() {
            b"body" => return None,
            b"script" | b"style" => {
                let close: &[u8] = if name == b"script" {
                    b"</script"
                } else {
                    b"</style"
                };
                at = find_ignore_case(page, at, close).unwrap_or(page.len());
            }
            b"meta" => {
                let get = |key: &str| attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v);
                let label = get("charset").cloned().or_else(|| {
                    get("http-equiv")
                        .filter(|v| v.eq_ignore_ascii_case("content-type"))
                        .and_then(|_| get("content"))
                        .and_then(|c| content_charset(c))
                });
                if let Some(label) =
                    label.filter(|l| Encoding::for_label(l.trim().as_bytes()).is_some())
                {
                    return Some(label);
                }
            }
            _ => {}
        }
    }
    None
}

/// A tag's attributes, names lowercased, as the prescan's "get an
/// attribute" reads them, and how many bytes they took up to and with the
/// tag's `>`; `None` when the bytes end before the tag does (the prescan
/// then stops: a cut value may name another encoding).
fn attributes(tag: &[u8]) -> Option<(Vec<(String, String)>, usize)> {
    let text = |from: usize, to: usize| String::from_utf8_lossy(&tag[from..to]).into_owned();
    let skip_space = |mut i: usize| {
        while tag.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let mut found = Vec::new();
    let mut i = 0;
    loop {
        while tag
            .get(i)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/')
        {
            i += 1;
        }
        match tag.get(i) {
            None => return None,
            Some(b'>') => return Some((found, i + 1)),
            Some(_) => {}
        }
        let start = i;
        while tag
            .get(i)
            .is_some_and(|b| !matches!(b, b'=' | b'>' | b'/') && !b.is_ascii_whitespace())
        {
            i += 1;
        }
        let name = text(start, i).to_ascii_lowercase();
        i = skip_space(i);
        if tag.get(i) != Some(&b'=') {
            found.push((name, String::new()));
            continue;
        }
        i = skip_space(i + 1);
        let value = match tag.get(i) {
            Some(q @ (b'"' | b'\'')) => {
                let close = tag[i + 1..]
                    .iter()
                    .position(|b| b == q)
                    .map(|e| i + 1 + e)?;
                let value = text(i + 1, close);
                i = close + 1;
                value
            }
            _ => {
                let from = i;
                while tag
                    .get(i)
                    .is_some_and(|b| *b != b'>' && !b.is_ascii_whitespace())
                {
                    i += 1;
                }
                text(from, i)
            }
        };
        found.push((name, value));
    }
}

/// The charset a `<meta http-equiv>`'s `content` names (`text/html;
/// charset=gb2312`), as the HTML Standard extracts it.
fn content_charset(content: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("charset") {
        let rest = lower[from + at + "charset".len()..].trim_start();
        from += at + "charset".len();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().filter(|_| rest[1..].contains(q)),
            _ => rest
                .split(|c: char| c.is_ascii_whitespace() || c == ';')
                .next(),
        };
        return value.filter(|v| !v.is_empty()).map(str::to_string);
    }
    None
}

/// Whether undeclared bytes are UTF-8, perhaps with a few stray bytes: at
/// least as many valid multi-byte characters as bytes that are not UTF-8.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += chunk.invalid().len();
    }
    invalid == 0 || multibyte >= invalid
}

/// UTF-8 text, with every byte that is not part of a valid UTF-8 sequence
/// read as windows-1252.
fn utf8_or_windows_1252(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push_str(&WINDOWS_1252.decode_without_bom_handling(chunk.invalid()).0);
        }
    }
    out
}

fn utf32(bytes: &[u8], order: Utf32) -> String {
    bytes
        .chunks(4)
        .map(|c| {
            let word = match (order, c) {
                (Utf32::Le, [a, b, c, d]) => u32::from_le_bytes([*a, *b, *c, *d]),
                (Utf32::Be, [a, b, c, d]) => u32::from_be_bytes([*a, *b, *c, *d]),
                _ => 0xFFFD,
            };
            char::from_u32(word).unwrap_or('\u{FFFD}')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, be: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend(if be { [0xFE, 0xFF] } else { [0xFF, 0xFE] });
        }
        for unit in text.encode_utf16() {
            out.extend(if be {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    fn utf32_bytes(text: &str, be: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut push = |c: u32| out.extend(if be { c.to_be_bytes() } else { c.to_le_bytes() });
        if bom {
            push(0xFEFF);
        }
        text.chars().for_each(|c| push(c as u32));
        out
    }

    #[test]
    fn unicode_encodings_with_and_without_bom() {
        let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>Été ✓</rss>";
        for be in [true, false] {
            for bom in [true, false] {
                assert_eq!(
                    decode_xml(&utf16(doc, be, bom), None),
                    doc,
                    "utf-16 be={be} bom={bom}"
                );
                assert_eq!(
                    decode_xml(&utf32_bytes(doc, be, bom), None),
                    doc,
                    "utf-32 be={be} bom={bom}"
                );
            }
        }
        assert_eq!(decode_xml(b"\xEF\xBB\xBF<rss/>", None), "<rss/>");
    }

    #[test]
    fn labels_in_either_quote_and_http_first() {
        let gb = b"<?xml version='1.0' encoding='gb2312'?><rss>\xc4\xe3\xba\xc3</rss>";
        assert!(decode_xml(gb, None).contains("你好"));
        assert!(decode_xml(gb, Some("text/xml; charset='gb2312'")).contains("你好"));
        let latin = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss>caf\xe9</rss>";
        assert!(decode_xml(latin, Some("application/xml;charset=utf-8")).contains("café"));
        assert!(
            decode_xml(
                b"<rss>caf\xe9</rss>",
                Some("text/xml; charset=\"iso-8859-1\"")
            )
            .contains("café")
        );
        // A 16-bit label on ASCII bytes is wrong: they are read as UTF-8.
        assert!(
            decode_xml(
                "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>é</rss>".as_bytes(),
                None
            )
            .contains('é')
        );
    }

    #[test]
    fn an_unnamed_legacy_encoding_is_guessed() {
        let (euc, _, _) = encoding_rs::EUC_JP.encode("<rss><title>ゲーム三昧な正月</title></rss>");
        assert_eq!(
            decode_xml(&euc, Some("text/xml")),
            "<rss><title>ゲーム三昧な正月</title></rss>"
        );
    }

    #[test]
    fn stray_windows_1252_bytes_in_utf8() {
        assert_eq!(
            decode_xml(
                b"<rss>caf\xc3\xa9 \x93quoted\x94 \x80</rss>",
                Some("text/xml; charset=utf-8")
            ),
            "<rss>caf\u{e9} \u{201c}quoted\u{201d} \u{20ac}</rss>"
        );
    }

    #[test]
    fn pages_name_their_charset_in_a_meta() {
        let latin1 = b"<html><head><meta charset=\"iso-8859-1\"></head><body>caf\xe9</body></html>";
        assert!(decode_html(latin1, None).contains("café"));
        let equiv =
            b"<meta http-equiv=Content-Type content='text/html; charset=windows-1252'>caf\xe9";
        assert!(decode_html(equiv, None).contains("café"));
        assert!(decode_html(b"caf\xe9", Some("text/html; charset=windows-1252")).contains("café"));
        assert!(decode_html("café".as_bytes(), None).contains("café"));
    }

    #[test]
    fn a_page_all_in_utf8_is_utf8_whatever_its_label() {
        let converted = "<meta charset=gb2312><title>你好</title>".as_bytes();
        assert_eq!(
            decode_html(converted, None),
            "<meta charset=gb2312><title>你好</title>"
        );
        let served = "<p>café</p>".as_bytes();
        assert_eq!(
            decode_html(served, Some("text/html; charset=iso-8859-1")),
            "<p>café</p>"
        );
        // Bytes that are not UTF-8 keep their label, and ISO-2022-JP's
        // escapes are ASCII.
        let gb = b"<meta charset=gb2312><title>\xc4\xe3\xba\xc3</title>";
        assert!(decode_html(gb, None).contains("你好"));
        let jis = b"<meta charset=iso-2022-jp>\x1b$B$3$s\x1b(B";
        assert!(decode_html(jis, None).contains("こん"));
    }

    #[test]
    fn a_late_meta_counts_and_other_elements_charsets_do_not() {
        // An archive's banner: a script's charset, then the page's `<meta>`
        // past the first 1024 bytes.
        let banner = format!(
            "<html><head><script src=/a.js charset=\"utf-8\"></script>\
             <script>var html = '<meta charset=koi8-r>';</script><!-- {} -->",
            "x".repeat(2000)
        );
        let mut page = banner.into_bytes();
        page.extend(b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"/>");
        page.extend(b"<title>\xc4\xe3\xba\xc3</title></head><body></body></html>");
        assert_eq!(meta_charset(&page).as_deref(), Some("gb2312"));
        assert!(decode_html(&page, None).contains("<title>你好</title>"));

        // Attributes in either quote, in any case, in any order; a label
        // that names no encoding is passed over for the next.
        assert_eq!(
            meta_charset(
                b"<META CONTENT='text/html;charset = \"Shift_JIS\"' HTTP-EQUIV=content-type>"
            )
            .as_deref(),
            Some("shift_jis")
        );
        assert_eq!(
            meta_charset(b"<meta charset=bogus><meta charset=iso-8859-2>").as_deref(),
            Some("iso-8859-2")
        );
        // A `content` charset without the `http-equiv` is no declaration,
        // and the search ends at the body.
        assert_eq!(
            meta_charset(b"<meta name=x content='charset=koi8-r'>"),
            None
        );
        assert_eq!(meta_charset(b"<body><p><meta charset=koi8-r>"), None);
        // Unclosed tags, quotes and comments end the scan without a panic.
        for broken in [
            &b"<meta charset='utf-8"[..],
            b"<!-- <meta charset=utf-8>",
            b"<",
            b"<m",
            b"<meta",
        ] {
            assert_eq!(
                meta_charset(broken),
                None,
                "{}",
                String::from_utf8_lossy(broken)
            );
        }
    }
}
