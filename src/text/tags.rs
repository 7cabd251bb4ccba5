//! A rough, linear HTML tag tokenizer: where tags start and end, what they
//! are called and how many attributes they carry. Comments come as tags
//! named `!--`; the content of raw-text elements is skipped. It is not a parser: it only has
//! to find where the nesting goes, cheaply enough to run before one.

/// Elements that close themselves or are closed by their next sibling (or
/// parent): they do not nest, whether or not the page closes them.
pub const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th",
    "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head",
    "body",
];

/// Elements whose content is text up to their end tag.
pub const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
];

/// One start or end tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag<'h> {
    /// Byte offset of the `<`.
    pub start: usize,
    /// Just past the `>`.
    pub end: usize,
    /// As the page writes it (compare with [`Tag::is`]): a slice of the
    /// page, not a copy, since every tag of a page passes through here.
    pub name: &'h str,
    pub closing: bool,
    pub self_closing: bool,
    /// Attributes given a value (`=` signs): what makes a tag expensive.
    pub attributes: usize,
    /// Where the text after it starts: past the content of a raw-text
    /// element, else `end`.
    pub resume: usize,
}

/// The name a comment comes as.
pub const COMMENT: &str = "!--";

impl Tag<'_> {
    /// Whether it is a tag of the element `name` (lowercase), in any case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// Whether it opens (or closes) a level of nesting.
    pub fn nests(&self) -> bool {
        !self.self_closing && !FLAT.iter().any(|f| self.is(f))
    }

    pub fn is_comment(&self) -> bool {
        self.name == COMMENT
    }
}

/// The tags of `html` in order. A tag without its `>` ends the scan: what
/// follows it is text.
pub fn tags(html: &str) -> Tags<'_> {
    Tags { html, at: 0 }
}

/// The iterator [`tags`] returns.
pub struct Tags<'h> {
    html: &'h str,
    at: usize,
}

impl<'h> Iterator for Tags<'h> {
    type Item = Tag<'h>;

    fn next(&mut self) -> Option<Tag<'h>> {
        let bytes = self.html.as_bytes();
        loop {
            let start = find_byte(bytes, self.at, b'<')?;
            let rest = &bytes[start + 1..];
            if rest.starts_with(b"!--") {
                let end = find(bytes, start + 4, b"-->").map_or(bytes.len(), |e| e + 3);
                self.at = end;
                return Some(Tag {
                    start,
                    end,
                    name: COMMENT,
                    closing: false,
                    self_closing: true,
                    attributes: 0,
                    resume: end,
                });
            }
            let closing = rest.first() == Some(&b'/');
            let name_at = start + 1 + usize::from(closing);
            let name_len = bytes[name_at..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if name_len == 0 || !bytes[name_at].is_ascii_alphabetic() {
                // `<!doctype …>`, `<?xml …?>` or a `<` in text.
                self.at = start + 1;
                continue;
            }
            let Some(close) = find_byte(bytes, name_at, b'>') else {
                self.at = bytes.len();
                return None;
            };
            let end = close + 1;
            let name = &self.html[name_at..name_at + name_len];
            let inside = &bytes[name_at + name_len..close];
            let mut resume = end;
            if !closing && RAW_TEXT.iter().any(|r| r.eq_ignore_ascii_case(name)) {
                resume = end_tag(bytes, end, name.as_bytes()).unwrap_or(bytes.len());
            }
            self.at = resume;
            return Some(Tag {
                start,
                end,
                closing,
                self_closing: inside.last() == Some(&b'/'),
                attributes: inside.iter().filter(|&&b| b == b'=').count(),
                name,
                resume,
            });
        }
    }
}

/// Where `needle` first stands in `bytes` at or after `from`.
pub(super) fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|p| from + p)
}

/// Where the end tag of the raw-text element `name` (`</script`, in any
/// case) first stands at or after `from`: one pass over a long script,
/// which holds few `<`.
fn end_tag(bytes: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut at = from;
    while let Some(i) = find_byte(bytes, at, b'<') {
        if bytes.get(i + 1) == Some(&b'/')
            && bytes
                .get(i + 2..i + 2 + name.len())
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// Where `byte` first stands in `bytes` at or after `from` (a page is
/// scanned whole before every parse, and a byte-at-a-time search was most
/// of the scan's cost; `memchr` reads many bytes at a time).
pub(super) fn find_byte(bytes: &[u8], from: usize, byte: u8) -> Option<usize> {
    memchr::memchr(byte, bytes.get(from..)?).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_skip_comments_and_raw_text() {
        let html =
            "<!doctype html><p a=1 b='2'>x<!-- <b> --><script>if (a<b) '<i>'</script><br/></P>";
        let found: Vec<(String, bool, bool, usize)> = tags(html)
            .filter(|t| !t.is_comment())
            .map(|t| (t.name.to_string(), t.closing, t.self_closing, t.attributes))
            .collect();
        assert_eq!(
            found,
            [
                ("p".into(), false, false, 2),
                ("script".into(), false, false, 0),
                ("script".into(), true, false, 0),
                ("br".into(), false, true, 0),
                ("P".into(), true, false, 0),
            ]
        );
        let script = "<SCRIPT>a</b>'</ScRiPt'<i></script>";
        assert_eq!(tags(script).next().map(|t| t.resume), Some(14));
    }

    #[test]
    fn bytes_are_found_past_every_word_boundary() {
        let text = "abcdefghijklmnopqrstuvwxyz";
        for (i, b) in text.bytes().enumerate() {
            assert_eq!(find_byte(text.as_bytes(), 0, b), Some(i));
            assert_eq!(find_byte(text.as_bytes(), i, b), Some(i));
            assert_eq!(find_byte(text.as_bytes(), i + 1, b), None);
        }
        assert_eq!(find(b"a-->b-->", 2, b"-->"), Some(5));
        assert_eq!(find(b"a--", 0, b"-->"), None);
    }

    #[test]
    fn an_unclosed_tag_ends_the_scan() {
        let html = format!("<b>x</b>{}", "<a".repeat(10_000));
        assert_eq!(tags(&html).count(), 2);
    }
}
