//! The sanitizer's fast path: HTML within a small, strictly nested subset
//! (the usual shape of feed summaries: paragraphs, lists, quotes, headings,
//! links, inline emphasis, comments and a few kinds of character
//! references) sanitized in one pass over the text, into what ammonia makes
//! of it with [`super::html::sanitizer`]'s configuration: the same allow
//! list, the same attribute filter, applied in ammonia's order, serialized
//! as html5ever serializes.
//!
//! Within the subset the HTML parser's tree is the tags as written: every
//! element is closed by its own end tag, nothing is closed, reopened or
//! moved implicitly (no `<p>` inside an open `<p>`, no `<a>` inside an
//! `<a>`, a list item only where no other is open), no text is read in a
//! special mode and no character is changed by the tokenizer except CR
//! (made LF, as the parser's input does). Anything else — an element or
//! attribute syntax or reference it does not know, misnesting the parser
//! would repair, an element left open — is not guessed at: [`sanitize`]
//! answers `None` and ammonia takes the whole fragment. The tests and the
//! `html` fuzz target compare the two on every fragment the fast path
//! takes.

use std::borrow::Cow;

use url::Url;

use super::html::filter_url_attribute;
use crate::text::budget;

/// Deepest nesting the fast path takes; deeper is ammonia's (and far
/// below the work budget's [`budget::MAX_DEPTH`]).
const MAX_DEPTH: usize = 64;

const _: () = assert!(MAX_DEPTH < budget::MAX_DEPTH);

/// An element of the subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Element {
    name: &'static str,
    /// Its own allowed attributes (besides `lang` and `title`), as
    /// ammonia's default allow list gives them.
    attributes: &'static [&'static str],
    /// What the parser does at its start tag.
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Inserted where it stands (inline elements, `a` and formatting
    /// elements among them).
    Inline,
    /// Closes an open `p` (then it is not in the subset); a "special"
    /// element, which ends the parser's search for an open list item.
    Block,
    /// `li`, `dd`, `dt`: as `Block`, and closes an open item of its list.
    Item,
    /// `h1`–`h6`: as `Block`, and closes a heading that is the current node.
    Heading,
    /// `pre`: as `Block`, and drops a line feed right after its start tag.
    Pre,
    /// `br`, `wbr`: no content, no end tag.
    Void,
    /// `hr`: as `Void`, and closes an open `p`.
    VoidBlock,
}

const fn el(name: &'static str, kind: Kind) -> Element {
    Element {
        name,
        attributes: &[],
        kind,
    }
}

const ELEMENTS: &[Element] = &[
    Element {
        name: "a",
        attributes: &["href", "hreflang"],
        kind: Kind::Inline,
    },
    el("abbr", Kind::Inline),
    el("b", Kind::Inline),
    el("cite", Kind::Inline),
    el("code", Kind::Inline),
    Element {
        name: "del",
        attributes: &["cite", "datetime"],
        kind: Kind::Inline,
    },
    el("dfn", Kind::Inline),
    el("em", Kind::Inline),
    el("i", Kind::Inline),
    Element {
        name: "ins",
        attributes: &["cite", "datetime"],
        kind: Kind::Inline,
    },
    el("kbd", Kind::Inline),
    el("mark", Kind::Inline),
    Element {
        name: "q",
        attributes: &["cite"],
        kind: Kind::Inline,
    },
    el("s", Kind::Inline),
    el("samp", Kind::Inline),
    el("small", Kind::Inline),
    el("span", Kind::Inline),
    el("strong", Kind::Inline),
    el("sub", Kind::Inline),
    el("sup", Kind::Inline),
    el("u", Kind::Inline),
    el("var", Kind::Inline),
    el("p", Kind::Block),
    el("div", Kind::Block),
    Element {
        name: "blockquote",
        attributes: &["cite"],
        kind: Kind::Block,
    },
    el("ul", Kind::Block),
    Element {
        name: "ol",
        attributes: &["start"],
        kind: Kind::Block,
    },
    el("dl", Kind::Block),
    el("figure", Kind::Block),
    el("figcaption", Kind::Block),
    el("li", Kind::Item),
    el("dd", Kind::Item),
    el("dt", Kind::Item),
    el("h1", Kind::Heading),
    el("h2", Kind::Heading),
    el("h3", Kind::Heading),
    el("h4", Kind::Heading),
    el("h5", Kind::Heading),
    el("h6", Kind::Heading),
    el("pre", Kind::Pre),
    el("br", Kind::Void),
    el("wbr", Kind::Void),
    Element {
        name: "hr",
        attributes: &["align", "size", "width"],
        kind: Kind::VoidBlock,
    },
];

/// Attributes allowed on every element (ammonia's generic ones).
const GENERIC_ATTRIBUTES: &[&str] = &["lang", "title"];

/// What ammonia adds to every link (its `link_rel`).
const LINK_REL: &str = "noopener noreferrer";

/// The URL schemes [`super::html::sanitizer`] allows.
const URL_SCHEMES: &[&str] = &["http", "https", "mailto"];

fn element(name: &str) -> Option<Element> {
    ELEMENTS.iter().find(|e| e.name == name).copied()
}

/// `html` sanitized as ammonia would (see the module doc), or `None` when
/// it is outside the subset.
pub(super) fn sanitize(html: &str, base: Option<&Url>) -> Option<String> {
    if html.contains('\0') {
        return None;
    }
    // The parser's input stream makes every CR LF and lone CR a LF.
    let html: Cow<str> = if html.contains('\r') {
        Cow::Owned(html.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(html)
    };
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut open: Vec<Element> = Vec::new();
    // Tags as the work budget counts them (start and end tags; comments
    // not): more than it allows is left to the budget's rule.
    let mut tags = 0usize;
    let mut rest: &str = &html;
    while !rest.is_empty() {
        match rest.find(['<', '&']) {
            Some(0) => {}
            Some(at) => {
                text(&rest[..at], &mut out)?;
                rest = &rest[at..];
            }
            None => {
                text(rest, &mut out)?;
                break;
            }
        }
        if let Some(after) = rest.strip_prefix('&') {
            let (c, after) = reference(after)?;
            escape(c.encode_utf8(&mut [0; 4]), false, &mut out);
            rest = after;
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = comment(after)?;
        } else if let Some(after) = rest.strip_prefix("</") {
            tags += 1;
            rest = end_tag(after, &mut open, &mut out)?;
        } else {
            tags += 1;
            let (element, after) = start_tag(&rest[1..], &mut open, base, &mut out)?;
            if element.kind == Kind::Pre && after.starts_with('\n') {
                return None;
            }
            rest = after;
        }
    }
    (open.is_empty() && tags <= budget::MAX_TAGS).then_some(out)
}

/// Text without markup with its character references decoded as the
/// parser decodes them, when each is one [`reference()`] knows and no
/// character needs the parser's second look; else `None`.
pub(super) fn decode_text(text: &str) -> Option<String> {
    if !text.chars().all(|c| plain(c) || c == '\r') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut run = text;
    while let Some(at) = run.find('&') {
        out.push_str(&run[..at]);
        let (c, after) = reference(&run[at + 1..])?;
        out.push(c);
        run = after;
    }
    out.push_str(run);
    Some(out)
}

/// Text the tokenizer passes on as it is: no character it reads specially
/// or that needs a second look (controls, noncharacters, a byte order mark).
fn plain(c: char) -> bool {
    matches!(c, '\t' | '\n' | ' '..='~')
        || (c >= '\u{a0}'
            && c != '\u{feff}'
            && !('\u{fdd0}'..='\u{fdef}').contains(&c)
            && (u32::from(c) & 0xfffe) != 0xfffe)
}

/// Appends a run of text (no `<` or `&` in it), escaped.
fn text(run: &str, out: &mut String) -> Option<()> {
    // Printable ASCII, tabs and line feeds are plain; only other text needs
    // its characters looked at.
    let ascii = run
        .bytes()
        .all(|b| matches!(b, b' '..=b'~' | b'\t' | b'\n'));
    if !ascii && !run.chars().all(plain) {
        return None;
    }
    escape(run, false, out);
    Some(())
}

/// Appends `s` escaped as html5ever's serializer escapes text (`attribute`
/// false) or a double-quoted attribute value: `&`, `<`, `>`, no-break
/// spaces and, in a value, `"`; the runs between are copied whole.
fn escape(s: &str, attribute: bool, out: &mut String) {
    // By bytes, not chars: every char escaped is ASCII but the no-break
    // space, whose UTF-8 (C2 A0) starts with a byte that only starts chars,
    // so each match is at a char boundary.
    let bytes = s.as_bytes();
    let mut from = 0;
    let mut at = 0;
    while at < bytes.len() {
        let (escaped, len) = match bytes[at] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' if attribute => ("&quot;", 1),
            0xC2 if bytes.get(at + 1) == Some(&0xA0) => ("&nbsp;", 2),
            _ => {
                at += 1;
                continue;
            }
        };
        out.push_str(&s[from..at]);
        out.push_str(escaped);
        at += len;
        from = at;
    }
    out.push_str(&s[from..]);
}

/// A character reference after its `&`: the character and what follows.
/// Only the named ones below and numeric ones of plain characters, each
/// with its `;` (without, the parser's rules depend on what follows).
fn reference(after: &str) -> Option<(char, &str)> {
    const NAMED: &[(&str, char)] = &[
        ("amp;", '&'),
        ("lt;", '<'),
        ("gt;", '>'),
        ("quot;", '"'),
        ("apos;", '\''),
        ("nbsp;", '\u{a0}'),
    ];
    if let Some(&(name, c)) = NAMED.iter().find(|(name, _)| after.starts_with(name)) {
        return Some((c, &after[name.len()..]));
    }
    let number = after.strip_prefix('#')?;
    let (digits, radix) = match number.strip_prefix(['x', 'X']) {
        Some(hex) => (hex, 16),
        None => (number, 10),
    };
    let end = digits.find(';')?;
    let value = &digits[..end];
    if value.is_empty() || value.len() > 6 || !value.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(value, radix).ok()?)?;
    // The parser maps some code points (C1 controls, NUL, surrogates) to
    // others; none of those is plain.
    plain(c).then_some((c, &digits[end + 1..]))
}

/// Skips a comment (ammonia drops them) after its `<!--`: one that ends
/// at its first `-->` and holds no `--`, so that no other rule of the
/// tokenizer's (`<!-->`, `--!>`) can end it elsewhere.
fn comment(after: &str) -> Option<&str> {
    if after.starts_with('>') || after.starts_with("->") {
        return None;
    }
    let end = after.find("--")?;
    after[end..].strip_prefix("-->")
}

/// Whitespace between a tag's name and attributes (CR is made LF before).
fn space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0c')
}

/// A tag or attribute name: ASCII letters first, then letters, digits and
/// a few marks; and what follows it.
fn name<'s>(s: &'s str, marks: &str) -> Option<(&'s str, &'s str)> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || marks.contains(c)))
        .unwrap_or(s.len());
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        .then(|| s.split_at(end))
}

/// An end tag after its `</`: it must close the current node.
fn end_tag<'s>(after: &'s str, open: &mut Vec<Element>, out: &mut String) -> Option<&'s str> {
    let (name, rest) = name(after, "")?;
    let rest = rest.strip_prefix('>')?;
    let current = open.pop()?;
    if !current.name.eq_ignore_ascii_case(name) {
        return None;
    }
    out.push_str("</");
    out.push_str(current.name);
    out.push('>');
    Some(rest)
}

/// A start tag after its `<`: written with its allowed attributes when the
/// parser would insert it as the current node's child and nothing else;
/// its element and what follows it.
fn start_tag<'s>(
    after: &'s str,
    open: &mut Vec<Element>,
    base: Option<&Url>,
    out: &mut String,
) -> Option<(Element, &'s str)> {
    let (tag, mut rest) = name(after, "")?;
    let element = element(&tag.to_ascii_lowercase())?;
    let mut attributes: Vec<(String, String)> = Vec::new();
    loop {
        let trimmed = rest.trim_start_matches(space);
        if let Some(after) = trimmed.strip_prefix('>') {
            rest = after;
            break;
        }
        if let Some(after) = trimmed.strip_prefix("/>") {
            // Self-closing means nothing on other elements: not guessed at.
            if !matches!(element.kind, Kind::Void | Kind::VoidBlock) {
                return None;
            }
            rest = after;
            break;
        }
        if trimmed.len() == rest.len() && !attributes.is_empty() {
            // Attributes must be apart.
            return None;
        }
        let (attribute, after_name) = name(trimmed, "-_:.")?;
        let (value, after) = match after_name.trim_start_matches(space).strip_prefix('=') {
            Some(value) => attribute_value(value.trim_start_matches(space))?,
            None => (String::new(), after_name),
        };
        let attribute = attribute.to_ascii_lowercase();
        // The parser keeps the first of a repeated attribute.
        if !attributes.iter().any(|(n, _)| *n == attribute) {
            attributes.push((attribute, value));
        }
        rest = after;
    }
    if !may_insert(element, open) {
        return None;
    }
    write_start(element, attributes, base, out);
    if !matches!(element.kind, Kind::Void | Kind::VoidBlock) {
        if open.len() >= MAX_DEPTH {
            return None;
        }
        open.push(element);
    }
    Some((element, rest))
}

/// A quoted attribute value with its references decoded, and what follows
/// its closing quote.
fn attribute_value(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next().filter(|q| matches!(q, '"' | '\''))?;
    let s = &s[1..];
    let end = s.find(quote)?;
    let (raw, rest) = (&s[..end], &s[end + 1..]);
    let mut value = String::with_capacity(raw.len());
    let mut run = raw;
    while let Some(at) = run.find('&') {
        value.push_str(&run[..at]);
        let (c, after) = reference(&run[at + 1..])?;
        value.push(c);
        run = after;
    }
    value.push_str(run);
    if !value.chars().all(plain) {
        return None;
    }
    Some((value, rest))
}

/// Whether the parser inserts `element` as a child of the current node
/// and changes nothing else: no open `p` it would close, no open link for
/// a link, no open list item for an item, no open heading for a heading.
fn may_insert(element: Element, open: &[Element]) -> bool {
    let any = |name: &str| open.iter().any(|e| e.name == name);
    match element.kind {
        Kind::Inline if element.name == "a" => !any("a"),
        Kind::Inline | Kind::Void => true,
        Kind::Block | Kind::Pre | Kind::VoidBlock => !any("p"),
        Kind::Heading => !any("p") && !open.iter().any(|e| e.kind == Kind::Heading),
        Kind::Item => {
            // The parser looks down the open elements for an item to close,
            // past inline ones and `div`, up to the first other block.
            let item_open = open
                .iter()
                .rev()
                .find(|e| e.kind != Kind::Inline && e.name != "div" && e.name != "p")
                .is_some_and(|e| e.kind == Kind::Item);
            !any("p") && !item_open
        }
    }
}

/// Writes a start tag with the attributes ammonia keeps, in its order:
/// the allowed ones (a URL attribute only with an allowed scheme or none),
/// a link's `rel` appended, then each through the attribute filter, whose
/// dropped ones ammonia removes by swapping the last one in.
fn write_start(
    element: Element,
    attributes: Vec<(String, String)>,
    base: Option<&Url>,
    out: &mut String,
) {
    let mut kept: Vec<(Cow<str>, String)> = attributes
        .into_iter()
        .filter(|(name, value)| {
            let allowed = GENERIC_ATTRIBUTES.contains(&name.as_str())
                || element.attributes.contains(&name.as_str());
            // Of the subset's attributes only `href` is a URL to ammonia.
            allowed
                && (name != "href"
                    || match Url::parse(value) {
                        Ok(url) => URL_SCHEMES.contains(&url.scheme()),
                        Err(e) => e == url::ParseError::RelativeUrlWithoutBase,
                    })
        })
        .map(|(name, value)| (Cow::Owned(name), value))
        .collect();
    if element.name == "a" {
        kept.push((Cow::Borrowed("rel"), LINK_REL.to_string()));
    }
    let mut dropped = Vec::new();
    for (i, (name, value)) in kept.iter_mut().enumerate() {
        let new = match filter_url_attribute(base, element.name, name, value) {
            Some(Cow::Borrowed(_)) => continue,
            Some(Cow::Owned(new)) => new,
            None => {
                dropped.push(i);
                continue;
            }
        };
        *value = new;
    }
    for i in dropped.into_iter().rev() {
        kept.swap_remove(i);
    }
    out.push('<');
    out.push_str(element.name);
    for (name, value) in &kept {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape(value, true, out);
        out.push('"');
    }
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::super::html::sanitize_by_ammonia;
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.org/blog/post/").expect("test URL")
    }

    /// The fast path takes `html`, and gives what ammonia gives.
    fn same(html: &str) {
        let base = base();
        for base in [Some(&base), None] {
            let fast = sanitize(html, base).unwrap_or_else(|| panic!("not taken: {html:?}"));
            assert_eq!(fast, sanitize_by_ammonia(html, base), "{html:?}");
        }
    }

    #[test]
    fn the_usual_feed_html_takes_the_fast_path_with_ammonias_output() {
        for html in [
            "<p>Plain words. More words.</p><p>Read <a href=\"/a/1.html#more\">more</a> or see <em>the minutes</em>.</p>",
            "Text only, with &amp; &lt;tags&gt; &quot;quoted&quot; &apos;a&apos; &nbsp;and&#160;&#xA0;&#8212;&#x1F600;.",
            "<P CLASS=\"x\" Style=\"color:red\" onclick=\"alert(1)\" title=\"T &amp; &quot;U&quot;\">Up</P>",
            "<!-- wp:paragraph --><p>Block</p><!-- /wp:paragraph -->",
            "<ul>\n  <li>one</li>\n  <li><strong>two</strong> <code>x &lt; y</code></li>\n</ul><ol start=\"3\"><li>three</li></ol>",
            "<h2>Heading</h2><blockquote cite=\"/src\"><p>Quoted</p></blockquote><hr width=\"50%\" class=\"x\"><pre>  code\n  more</pre>",
            "line<br>break<br/>and<br />again<wbr>",
            "<a href='https://example.com/x?utm_source=rss&amp;id=1' hreflang=\"en\" title=\"t\" target=\"_blank\">link</a>",
            "<a href=\"javascript:alert(1)\">js</a> <a href=\"mailto:a@example.org\">mail</a> <a href=\"data:text/html,x\">data</a> <a>bare</a>",
            "<a title=\"first\" title=\"second\" href=\"http://[bad\">dup</a>",
            "<a href=\"ftp://example.org/f\" title=\"t\" lang=\"en\">ftp</a>",
            "<dl><dt>term</dt><dd>def <em>em</em></dd></dl><div><figure><figcaption>cap</figcaption></figure></div>",
            "<q cite=\"https://example.org/q\">q</q><del cite=\"x\" datetime=\"2024\">d</del><ins>i</ins>",
            "<b><i><u><s>deep</s></u></i></b><span lang=\"de\">Wort</span><sub>1</sub><sup>2</sup>",
            "<b><b><b><b>four</b></b></b></b>",
            "<em><p>block in inline</p></em><a href=\"/x\"><div>block in link</div></a>",
            "Windows\r\nline\rends<p title=\"a\r\nb\">x</p>",
            "<ul><li><ul><li>nested</li></ul></li></ul>",
            "  leading and trailing space  ",
            "Gr\u{fc}\u{df}e\u{a0}&nbsp;\u{a2} \u{ab}\u{e9}\u{bb} <i title=\"\u{a2}\u{a0}&quot;\u{e9}&amp;\">\u{65e5}\u{672c}\u{a0}</i>\u{a0}",
            "",
        ] {
            same(html);
        }
    }

    #[test]
    fn text_with_known_references_reads_as_the_parser_reads_it() {
        use super::super::html::{plain_text, plain_text_parsed};
        for text in [
            "Fish &amp; Chips",
            "It&#8217;s &quot;here&quot; &lt;now&gt;",
            "a&nbsp;b &#xA0; c\r\nd",
            "&amp;amp; once &amp;lt;",
            "caf\u{e9} &#x1F600;",
        ] {
            assert!(decode_text(text).is_some(), "{text:?}");
            assert_eq!(plain_text(text), plain_text_parsed(text), "{text:?}");
        }
        for text in ["&copy; 2024", "a &amp b", "bell\u{7}", "&#1;"] {
            assert_eq!(decode_text(text), None, "{text:?}");
        }
    }

    #[test]
    fn what_the_parser_would_repair_or_read_specially_is_left_to_ammonia() {
        for html in [
            "<p>one<p>two",
            "<p>open",
            "<p><div>x</div></p>",
            "<a href=\"/a\"><a href=\"/b\">x</a></a>",
            "<ul><li>a<li>b</ul>",
            "<b><i>x</b></i>",
            "</p>",
            "<h1><h2>x</h2></h1>",
            "<pre>\nx</pre>",
            "<script>alert(1)</script>",
            "<img src=\"x.png\">",
            "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>",
            "<table><tr><td>x</td></tr></table>",
            "a < b",
            "a &copy; b",
            "a &amp b",
            "&#128;",
            "&#0;",
            "<!-->",
            "<!-- a -- b -->",
            "<p/>",
            "<a href=x>unquoted</a>",
            "<a href=\"x\"title=\"y\">apart</a>",
            "<p>a\0b</p>",
            "<p>\u{1b}[31m</p>",
            "<P>x</p >",
            "\u{feff}bom",
        ] {
            assert_eq!(sanitize(html, Some(&base())), None, "{html:?}");
        }
    }

    /// A small deterministic generator (xorshift), so the comparison
    /// below needs no crate and runs the same every time.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    const TAGS: &[&str] = &[
        "p",
        "a",
        "em",
        "b",
        "i",
        "span",
        "ul",
        "ol",
        "li",
        "div",
        "blockquote",
        "h2",
        "pre",
        "code",
        "dl",
        "dt",
        "dd",
        "br",
        "hr",
        "q",
        "img",
        "table",
        "script",
        "font",
        "P",
        "A",
    ];
    const ATTRIBUTES: &[&str] = &[
        "href", "title", "lang", "class", "cite", "start", "onclick", "style", "HREF", "width",
        "src", "hreflang", "datetime",
    ];
    const VALUES: &[&str] = &[
        "/rel",
        "https://example.com/a?utm_source=x&amp;b=1",
        "javascript:alert(1)",
        "mailto:a@b.c",
        "x y",
        "&quot;q&quot;",
        "a&lt;b&gt;",
        "",
        "//other.example/p",
        "http://[::1",
        "tel:1",
        "#frag",
        "  /spaced  ",
        "&#233;t&#xe9;",
    ];
    const TEXTS: &[&str] = &[
        "words",
        " ",
        "\n",
        "a &amp; b",
        "x &lt; y",
        "&nbsp;",
        "caf\u{e9}",
        "\u{a0}",
        ">",
        "\"'",
        "&#8212;",
        "\r\n",
        "&copy;",
        "<",
        "<!-- c -->",
        "\t",
    ];

    fn fragment(rng: &mut Rng, depth: usize, out: &mut String) {
        for _ in 0..rng.below(4) + 1 {
            if depth > 4 || rng.below(3) == 0 {
                out.push_str(rng.pick(TEXTS));
                continue;
            }
            let tag = rng.pick(TAGS);
            out.push('<');
            out.push_str(tag);
            for _ in 0..rng.below(3) {
                out.push(' ');
                out.push_str(rng.pick(ATTRIBUTES));
                match rng.below(4) {
                    0 => {}
                    1 => out.push_str(&format!("='{}'", rng.pick(VALUES))),
                    _ => out.push_str(&format!("=\"{}\"", rng.pick(VALUES))),
                }
            }
            out.push('>');
            if matches!(tag, "br" | "hr" | "img") {
                continue;
            }
            fragment(rng, depth + 1, out);
            // Mostly closed in order; sometimes left open or misnested.
            if rng.below(12) != 0 {
                out.push_str("</");
                out.push_str(tag);
                out.push('>');
            }
        }
    }

    #[test]
    fn generated_fragments_the_fast_path_takes_come_out_as_ammonias() {
        let base = base();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut taken = 0;
        let runs = 20_000;
        for _ in 0..runs {
            let mut html = String::new();
            fragment(&mut rng, 0, &mut html);
            if let Some(fast) = sanitize(&html, Some(&base)) {
                taken += 1;
                assert_eq!(fast, sanitize_by_ammonia(&html, Some(&base)), "{html:?}");
            }
        }
        // Enough of them are taken for the comparison to mean something.
        assert!(taken > runs / 10, "only {taken} of {runs} taken");
    }
}
