//! The HTML work budget, held before any parse. The HTML parser and
//! Readability take time that grows with the square of the nesting depth
//! and of the number of attributes on one element, so 1 MB of nested
//! `<div>`s or one tag with a hundred thousand attributes took minutes.
//!
//! Two ways to hold it, each one linear scan:
//! - [`tame`], for pages (extraction, files, listings): tags nested too
//!   deep are dropped (their text kept), attribute bombs lose their
//!   attributes, the page is cut at [`MAX_BYTES`]. Normal pages pass
//!   untouched, without a copy.
//!   [`tame_to_read`] also drops the code of scripts and style sheets.
//! - [`over_budget`], for feed items: where a fragment first goes over, so
//!   that such an item is served as its text ([`flattened_text`]) instead.
//!   It reads tags as the HTML tokenizer does (quoted values, comments,
//!   foreign content), since what it misses the parser pays for.

use std::borrow::Cow;

use super::tags::{FLAT, RAW_TEXT, find, find_byte, tags};

/// Elements nested deeper than this are over the budget. Real articles
/// nest a few dozen deep.
pub const MAX_DEPTH: usize = 256;

/// Tags in one fragment beyond which it is over the budget: they bound the
/// nodes (and memory) a parse builds.
pub const MAX_TAGS: usize = 100_000;

/// A tag with more attributes than this keeps only its name.
pub const MAX_ATTRIBUTES: usize = 256;

/// Pages longer than this are cut here (at a character boundary): an
/// article starts well before, and the time stays bounded.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// The page as the parser may safely take it (see the module doc).
pub fn tame(html: &str) -> Cow<'_, str> {
    tame_with(html, false)
}

/// The page as [`tame`] makes it, and without the code of its scripts and
/// style sheets (the elements are kept, empty): for reading the page's
/// article, which reads no code. They are half of a news page's bytes, and
/// the parser reads each of them. JSON-LD scripts are data and are kept.
pub fn tame_to_read(html: &str) -> Cow<'_, str> {
    tame_with(html, true)
}

fn tame_with(html: &str, drop_code: bool) -> Cow<'_, str> {
    let html = &html[..html.floor_char_boundary(MAX_BYTES)];
    let mut depth = 0usize;
    let mut replaced: Vec<(usize, usize, String)> = Vec::new();
    for tag in tags(html).filter(|t| !t.is_comment()) {
        let mut replace = (tag.attributes > MAX_ATTRIBUTES).then(|| format!("<{}>", tag.name));
        // Only a script or style sheet that ends where the scan ends it:
        // inside `<svg>` a `<style/>` closes itself and the page goes on,
        // so what the scan would skip to the next `</style` stays.
        let code = drop_code
            && !tag.closing
            && !tag.self_closing
            && tag.resume > tag.end
            && tag.resume < html.len()
            && (tag.is("style")
                || (tag.is("script")
                    && find_ignore_case(&html.as_bytes()[tag.start..tag.end], 0, b"ld+json")
                        .is_none()));
        if tag.nests() {
            if !tag.closing {
                depth += 1;
            }
            if depth > MAX_DEPTH {
                replace = Some(String::new());
            }
            if tag.closing {
                depth = depth.saturating_sub(1);
            }
        }
        if let Some(r) = replace {
            replaced.push((tag.start, tag.end, r));
        }
        if code {
            replaced.push((tag.end, tag.resume, String::new()));
        }
    }
    if replaced.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for (start, end, r) in replaced {
        out.push_str(&html[at..start]);
        out.push_str(&r);
        at = end;
    }
    out.push_str(&html[at..]);
    Cow::Owned(out)
}

/// Where `html` first goes over the work budget ([`MAX_DEPTH`],
/// [`MAX_TAGS`]): the byte offset of the tag that opens one element too deep
/// or is one tag too many; `None` when it is within.
///
/// A cheap linear scan, not a parse: elements whose end tag may be left out
/// (`p`, `li`, table cells...) and void ones do not count towards depth,
/// the content of comments and raw-text elements (`script`, `style`...) is
/// skipped. It only needs to bound what the parser would build, so where it
/// cannot tell what the parser does it counts more, never less: tags end
/// where the HTML tokenizer ends them (not at a `>` inside a quoted
/// attribute value), names are the tokenizer's, a self-closing `/` does not
/// close an element the parser keeps open, and an end tag closes only the
/// innermost open element of its name, through phrasing elements only (a
/// stray `</x>` closes nothing, as in the parser). Inside `svg` or `math`,
/// `style` and `script` are parsed as markup, not skipped. (Found by
/// fuzzing: a `<style>` inside an attribute value, then 1 MB of tags, took
/// a minute to sanitize.)
pub fn over_budget(html: &str) -> Option<usize> {
    let bytes = html.as_bytes();
    // The elements held open that count towards depth, innermost last,
    // each with whether it is foreign content (`svg`, `math` or inside
    // one): the page is in foreign content when the innermost is.
    let mut open: Vec<(Vec<u8>, bool)> = Vec::new();
    let in_foreign = |open: &[(Vec<u8>, bool)]| open.last().is_some_and(|(_, f)| *f);
    let (mut tags, mut at) = (0usize, 0usize);
    while let Some(start) = find_byte(bytes, at, b'<') {
        let rest = &bytes[start + 1..];
        if rest.starts_with(b"!--") {
            at = comment_end(bytes, start);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = start + 1 + usize::from(closing);
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            // `<!DOCTYPE…>`, `<?…>` and `</…>` without a name run to the
            // next `>`; any other `<` is text.
            at = if matches!(rest.first(), Some(b'!' | b'?' | b'/')) {
                find(bytes, start, b">").map_or(bytes.len(), |e| e + 1)
            } else {
                start + 1
            };
            continue;
        }
        let (name_end, end, self_closing) = tag_end(bytes, name_start);
        at = end;
        tags += 1;
        if tags > MAX_TAGS {
            return Some(start);
        }
        let name = bytes[name_start..name_end].to_ascii_lowercase();
        let counted = !FLAT.iter().any(|u| u.as_bytes() == name);
        if closing {
            if !counted {
                continue;
            }
            // Inside `svg` or `math` an end tag closes the nearest open
            // element of its name through any foreign ones, as the parser's
            // rule for foreign content has it.
            for i in (0..open.len()).rev() {
                let (open_name, foreign) = &open[i];
                if *open_name == name {
                    open.truncate(i);
                    break;
                }
                if !foreign && !PHRASING.iter().any(|p| p.as_bytes() == open_name) {
                    break;
                }
            }
            continue;
        }
        if !in_foreign(&open)
            && name != b"noscript"
            && RAW_TEXT.iter().any(|r| r.as_bytes() == name)
        {
            let mut close = b"</".to_vec();
            close.extend_from_slice(&name);
            at = find_ignore_case(bytes, at, &close).unwrap_or(bytes.len());
            continue;
        }
        if counted {
            let foreign = in_foreign(&open) || is_foreign(&name);
            if self_closing && foreign {
                // In foreign content `<path …/>` is closed at once: icons
                // drawn with hundreds of them are no depth.
                continue;
            }
            open.push((name, foreign));
            if open.len() > MAX_DEPTH {
                return Some(start);
            }
        }
    }
    None
}

fn is_foreign(name: &[u8]) -> bool {
    name == b"svg" || name == b"math"
}

/// Elements an end tag of an element around them closes as well, in the
/// parser: not special, not a scope boundary.
const PHRASING: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "label", "mark", "nobr", "q", "s", "samp", "small", "span", "strike", "strong",
    "sub", "sup", "time", "tt", "u", "var",
];

/// The end of the tag whose name starts at `from`, as the HTML tokenizer
/// reads it: (where the name ends, just past the tag's `>`, whether it is
/// self-closing). A `>` inside a quoted attribute value does not end the
/// tag; a quote starts a value only after `=`; a `/` right before the `>`
/// makes it self-closing unless it is part of an unquoted value.
fn tag_end(bytes: &[u8], from: usize) -> (usize, usize, bool) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Name,
        BeforeAttribute,
        Attribute,
        AfterAttribute,
        BeforeValue,
        Quoted(u8),
        Unquoted,
        AfterQuoted,
    }
    let space = |b: u8| matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ');
    let mut state = State::Name;
    let mut name_end = bytes.len();
    let mut slash = false;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        if let State::Quoted(quote) = state {
            if b == quote {
                state = State::AfterQuoted;
            }
            continue;
        }
        if state == State::Name && (space(b) || b == b'/' || b == b'>') {
            name_end = i;
        }
        if b == b'>' {
            return (name_end, i + 1, slash);
        }
        slash = b == b'/' && !matches!(state, State::BeforeValue | State::Unquoted);
        state = match (state, b) {
            (State::Name, b) if space(b) || b == b'/' => State::BeforeAttribute,
            (State::Name, _) => State::Name,
            (State::BeforeAttribute | State::AfterQuoted, b) if space(b) || b == b'/' => {
                State::BeforeAttribute
            }
            (State::Attribute | State::AfterAttribute, b'=') => State::BeforeValue,
            (State::Attribute | State::AfterAttribute, b) if space(b) => State::AfterAttribute,
            (State::Attribute | State::AfterAttribute, b'/') => State::BeforeAttribute,
            (State::BeforeValue, b) if space(b) => State::BeforeValue,
            (State::BeforeValue, b'"' | b'\'') => State::Quoted(b),
            (State::BeforeValue | State::Unquoted, b) if !space(b) => State::Unquoted,
            (State::Unquoted, _) => State::BeforeAttribute,
            _ => State::Attribute,
        };
    }
    (name_end, bytes.len(), false)
}

/// Just past the comment that opens at `start` (`<!--`), where the HTML
/// tokenizer ends it: `<!-->` and `<!--->` end at once, others at `-->` or
/// `--!>`.
fn comment_end(bytes: &[u8], start: usize) -> usize {
    let body = start + 4;
    if bytes.get(body) == Some(&b'>') {
        return body + 1;
    }
    if bytes.get(body..body + 2) == Some(b"->") {
        return body + 2;
    }
    let ends = [(b"-->".as_slice(), 3), (b"--!>".as_slice(), 4)];
    ends.iter()
        .filter_map(|(needle, len)| find(bytes, body, needle).map(|e| e + len))
        .min()
        .unwrap_or(bytes.len())
}

/// Cuts `html` before the point where it goes over the budget (see
/// [`over_budget`]): what comes first, usually the article, is kept.
pub fn cut_to_budget(html: &mut String) {
    if let Some(cut) = over_budget(html) {
        html.truncate(cut);
    }
}

/// The text of HTML, without parsing it: tags, comments and raw-text
/// content dropped by the same linear scan, entities decoded, whitespace
/// collapsed.
pub fn flattened_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len() / 2);
    let mut at = 0;
    for tag in tags(html) {
        text.push_str(&html[at..tag.start]);
        text.push(' ');
        at = tag.resume;
    }
    if let Some(rest) = html.get(at..) {
        // An unclosed tag ends the scan; its text is not markup.
        text.push_str(rest.split('<').next().unwrap_or(rest));
    }
    html_escape::decode_html_entities(&text)
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where `needle` (lowercase) first starts in `bytes` at or after `from`,
/// in any case.
pub(super) fn find_ignore_case(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_pages_pass_untouched() {
        let page = "<html><body><div><p>One<p>Two<ul><li>a<li>b</ul><br><img src=x>\
                    <script>if (a < b) { x = '<div>'; }</script></div></body></html>";
        assert!(matches!(tame(page), Cow::Borrowed(p) if p == page));
        assert_eq!(over_budget(page), None);
    }

    #[test]
    fn deep_nesting_is_flattened_and_text_kept() {
        let page = format!(
            "<body>{}<p>deep text</p>{}</body>",
            "<div>".repeat(5000),
            "</div>".repeat(5000)
        );
        let tamed = tame(&page);
        assert_eq!(tamed.matches("<div>").count(), MAX_DEPTH);
        assert!(tamed.contains("<p>deep text</p>"));
        assert_eq!(over_budget(&tamed), None);
        assert_eq!(over_budget(&page), Some("<body>".len() + MAX_DEPTH * 5));
    }

    #[test]
    fn icons_drawn_in_svg_are_no_depth() {
        // A page of 400 share buttons, each an inline SVG of self-closed
        // paths in a group: the parser closes each path at once and each
        // `</svg>` closes its group, so the page is 3 deep, not 1,200.
        let icon = "<button><svg viewBox=\"0 0 48 48\"><g><path d=\"M0 0h48\"/>\
                    <circle r=2 /></g></svg></button>";
        let page = format!(
            "<body><div>{}<p>The article.</p></div></body>",
            icon.repeat(400)
        );
        assert_eq!(over_budget(&page), None);
        // A `/` in an unquoted value closes nothing, and in HTML a
        // self-closing `<div/>` stays open: both still count.
        let unquoted = format!("<svg>{}</svg>", "<g d=M0/>".repeat(MAX_DEPTH + 1));
        assert!(over_budget(&unquoted).is_some());
        let html = "<div/>".repeat(MAX_DEPTH + 1);
        assert!(over_budget(&html).is_some());
    }

    #[test]
    fn pages_to_read_lose_their_code_but_not_their_data() {
        let page = "<head><style>p { color: red }</style>\
                    <script type=\"application/ld+json\">{\"a\": 1}</script></head>\
                    <body><SCRIPT src=x>if (a < b) { x = '<div>'; }</SCRIPT><p>text</p>\
                    <script></script></body>";
        assert_eq!(
            tame_to_read(page),
            "<head><style></style><script type=\"application/ld+json\">{\"a\": 1}</script>\
             </head><body><SCRIPT src=x></SCRIPT><p>text</p><script></script></body>"
        );
        assert!(matches!(tame(page), Cow::Borrowed(_)));
        // A self-closed or unclosed one is left to the parser.
        for page in [
            "<svg><style/></svg><p>text</p>",
            "<p>text</p><script>if (a < b) {",
        ] {
            assert_eq!(tame_to_read(page), page);
        }
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

    #[test]
    fn many_tags_are_over_budget_and_text_is_flat() {
        let page = "<b>x</b>".repeat(MAX_TAGS);
        assert_eq!(over_budget(&page), Some(MAX_TAGS / 2 * 8));
        assert_eq!(
            flattened_text("<p>a &amp; b</p><script>x<y</script><!-- c -->d<e"),
            "a & b d"
        );
    }

    #[test]
    fn fragments_over_the_budget_are_found_and_cut() {
        let article = "<div><p>One<p>Two<ul><li>a<li>b</ul><img src=x><br></div>".repeat(5000);
        assert_eq!(over_budget(&article), None);
        let deep = format!("{}x", "<div>".repeat(MAX_DEPTH + 1));
        assert_eq!(over_budget(&deep), Some(MAX_DEPTH * 5));
        // Closed elements do not add up; raw text and comments are skipped.
        let flat = format!(
            "{}<script>{}</script><!--{}-->",
            "<b>x</b>".repeat(1000),
            "<div>".repeat(1000),
            "<div>".repeat(1000)
        );
        assert_eq!(over_budget(&flat), None);
        let many = "<br>".repeat(MAX_TAGS + 1);
        assert_eq!(over_budget(&many), Some(MAX_TAGS * 4));
        let mut page = format!("<p>kept</p>{deep}");
        cut_to_budget(&mut page);
        assert_eq!(page.len(), "<p>kept</p>".len() + MAX_DEPTH * 5);
    }

    #[test]
    fn the_work_budget_is_not_fooled_by_what_the_parser_reads_otherwise() {
        let n = MAX_DEPTH + 1;
        for (what, html) in [
            (
                "a <style> inside an attribute value",
                format!("<a href=\"x><style>\">{}", "<div>".repeat(n)),
            ),
            ("self-closed divs", "<div/>".repeat(n)),
            ("stray end tags", "<div></x>".repeat(n)),
            ("an end tag of an outer element", "<x><div></x>".repeat(n)),
            (
                "a name the tokenizer reads whole",
                "<div\"x></div>".repeat(n),
            ),
            (
                "an abrupt comment",
                format!("<!-->{}-->", "<div>".repeat(n)),
            ),
            (
                "a comment closed by --!>",
                format!("<!-- --!>{}-->", "<div>".repeat(n)),
            ),
            (
                "a < that starts no tag",
                format!("<3 {}", "<div>".repeat(n)),
            ),
            ("svg's style", format!("<svg><style>{}", "<g>".repeat(n))),
        ] {
            assert!(over_budget(&html).is_some(), "{what}");
        }
        // Closed through phrasing elements, as the parser closes them.
        let sloppy = "<div><span><b>x</div>".repeat(5000);
        assert_eq!(over_budget(&sloppy), None);
        let quoted = format!("<a title=\"<div>\">x</a>{}", "<div></div>".repeat(5000));
        assert_eq!(over_budget(&quoted), None);
    }
}
