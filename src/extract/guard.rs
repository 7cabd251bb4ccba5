//! Bounds on hostile pages, applied to the text before it is parsed: the
//! HTML parser and Readability take time that grows with the square of the
//! nesting depth and of the number of attributes on one element, so a page
//! of a hundred thousand nested `<div>`s or one tag with a hundred thousand
//! attributes would take minutes. Normal pages pass through untouched (one
//! scan, no copy).

use std::borrow::Cow;

/// Tags nested deeper than this are dropped (their text is kept). The
/// same depth as the work budget `app` holds every page to, so a tamed page
/// is within it and is never cut for its depth.
const MAX_DEPTH: usize = 256;

/// A tag with more attributes than this keeps only its name.
const MAX_ATTRIBUTES: usize = 256;

/// Pages longer than this are cut here (at a character boundary): an article
/// starts well before, and the time stays bounded.
pub(super) const MAX_BYTES: usize = 8 * 1024 * 1024;

/// Elements that close themselves or are closed by their next sibling: they
/// do not nest, whether or not the page closes them.
const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody",
    "tfoot", "colgroup", "rb", "rt", "rp", "param",
];

/// Elements whose content is text up to their end tag.
const RAW: &[&str] = &["script", "style", "textarea", "title", "xmp", "noscript"];

/// One tag found by [`scan`].
struct Tag<'a> {
    start: usize,
    end: usize,
    /// The tag name, as the page wrote it.
    name: &'a str,
    closing: bool,
    self_closing: bool,
    attributes: usize,
}

/// The page as the parser may safely take it (see the module doc).
pub fn tame(html: &str) -> Cow<'_, str> {
    let html = if html.len() > MAX_BYTES {
        let mut cut = MAX_BYTES;
        while !html.is_char_boundary(cut) {
            cut -= 1;
        }
        &html[..cut]
    } else {
        html
    };
    let mut depth = 0usize;
    // The tags to replace: where each starts and ends, and what replaces it.
    let mut keep: Vec<(usize, usize, String)> = Vec::new();
    for tag in scan(html) {
        let nests = !FLAT.iter().any(|f| f.eq_ignore_ascii_case(tag.name)) && !tag.self_closing;
        let mut replace = None;
        if tag.attributes > MAX_ATTRIBUTES {
            replace = Some(format!("<{}>", tag.name.to_ascii_lowercase()));
        }
        if nests {
            if tag.closing {
                if depth > MAX_DEPTH {
                    replace = Some(String::new());
                }
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                if depth > MAX_DEPTH {
                    replace = Some(String::new());
                }
            }
        }
        if let Some(r) = replace {
            keep.push((tag.start, tag.end, r));
        }
    }
    if keep.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for (start, end, replace) in keep {
        out.push_str(&html[at..start]);
        out.push_str(&replace);
        at = end;
    }
    out.push_str(&html[at..]);
    Cow::Owned(out)
}

/// The tags of `html`, skipping comments and the content of raw text
/// elements. A rough tokenizer: it only has to find where the nesting goes.
fn scan(html: &str) -> Vec<Tag<'_>> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'<') {
        let start = i + off;
        let rest = &html[start..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(bytes.len(), |e| start + e + 3);
            continue;
        }
        let closing = rest.as_bytes().get(1) == Some(&b'/');
        let name_at = start + 1 + usize::from(closing);
        let name_len = bytes[name_at..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !bytes[name_at].is_ascii_alphabetic() {
            i = start + 1;
            continue;
        }
        let Some(close) = bytes[name_at..].iter().position(|&b| b == b'>') else {
            break;
        };
        let end = name_at + close + 1;
        let name = &html[name_at..name_at + name_len];
        let inside = &bytes[name_at + name_len..end - 1];
        let attributes = inside.iter().filter(|&&b| b == b'=').count();
        let self_closing = inside.last() == Some(&b'/');
        i = end;
        if !closing && RAW.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            let close_tag = format!("</{}", name.to_ascii_lowercase());
            let lower_rest = &html[end..];
            i = find_ignore_case(lower_rest, &close_tag).map_or(bytes.len(), |e| end + e);
        }
        tags.push(Tag {
            start,
            end,
            name,
            closing,
            self_closing,
            attributes,
        });
    }
    tags
}

/// Where `needle` (ASCII, lowercase) first occurs in `hay`, ignoring case.
fn find_ignore_case(hay: &str, needle: &str) -> Option<usize> {
    let (hay, n) = (hay.as_bytes(), needle.as_bytes());
    let first = *n.first()?;
    // Only where the first byte matches (`<`, rare in scripts) is the rest
    // compared: one pass over a long script.
    let mut at = 0;
    while let Some(off) = hay[at..].iter().position(|&b| b == first) {
        let i = at + off;
        if hay.len() - i < n.len() {
            return None;
        }
        if hay[i..i + n.len()].eq_ignore_ascii_case(n) {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_pages_pass_untouched() {
        let page = "<html><body><div><p>One<p>Two<ul><li>a<li>b</ul><br><img src=x>\
                    <script>if (a < b) { x = '<div>'; }</script></div></body></html>";
        assert!(matches!(tame(page), Cow::Borrowed(p) if p == page));
    }

    #[test]
    fn deep_nesting_is_flattened_and_text_kept() {
        let page = format!(
            "<body>{}<p>deep text</p>{}</body>",
            "<div>".repeat(5000),
            "</div>".repeat(5000)
        );
        let tamed = tame(&page);
        assert_eq!(tamed.matches("<div>").count(), MAX_DEPTH - 1);
        assert!(tamed.contains("<p>deep text</p>"));
    }

    #[test]
    fn attribute_bombs_lose_their_attributes() {
        let attrs: String = (0..1000).map(|i| format!(" a{i}=\"x\"")).collect();
        let page = format!("<body><article{attrs}><p>text</p></article></body>");
        assert_eq!(tame(&page), "<body><article><p>text</p></article></body>");
    }

    #[test]
    fn long_pages_are_cut_at_a_character_boundary() {
        let page = "é".repeat(MAX_BYTES);
        let tamed = tame(&page);
        assert!(tamed.len() <= MAX_BYTES && tamed.len() > MAX_BYTES - 2);
    }
}
