//! The forgiving reader: text → tree, mending what is broken on the way.

use super::*;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// Reads `text` into a tree. `url` is the document's own address, the base
/// of relative `xml:base` values. A run of text longer than `max_text`
/// bytes is cut there (an item's content is cut later anyway; cutting here
/// keeps every copy of it small). Returns an empty document when there is
/// no element at all.
pub fn parse(text: &str, url: Option<&str>, max_text: usize) -> Document {
    Reader {
        text,
        max_text,
        pos: 0,
        doc: Document::default(),
        stack: Vec::new(),
        url: url.map(Arc::from),
        overflow: 0,
        root_closed: false,
        unclosed: BTreeSet::new(),
    }
    .run()
}

/// Text with entity and character references decoded, leniently: XML's five
/// entities and HTML's named ones are read, anything else stays literal.
/// Text with no reference and no forbidden char is borrowed as it is.
pub fn decode_text(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') && plain_xml_chars(raw) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        push_xml_chars(&rest[..at], &mut out);
        rest = &rest[at..];
        match reference(rest) {
            Some((decoded, len)) => {
                push_xml_chars(&decoded, &mut out);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    push_xml_chars(rest, &mut out);
    Cow::Owned(out)
}

/// Whether every char of `text` is one XML allows. Almost all text is
/// printable ASCII and other UTF-8 that XML allows, which a byte scan tells
/// without decoding each char: the only non-ASCII chars XML forbids in a
/// `str`, U+FFFE and U+FFFF, start with 0xEF.
fn plain_xml_chars(text: &str) -> bool {
    text.bytes()
        .all(|b| (b >= 0x20 && b != 0xEF) || matches!(b, b'\t' | b'\n' | b'\r'))
        || text.chars().all(xml_char)
}

pub(super) fn push_xml_chars(text: &str, out: &mut String) {
    if plain_xml_chars(text) {
        out.push_str(text);
    } else {
        out.extend(text.chars().filter(|c| xml_char(*c)));
    }
}

/// The reference at the start of `s` (which starts with `&`): its text and
/// its length in bytes. XML's five entities, which escaped HTML is full of,
/// are borrowed, not allocated.
pub(super) fn reference(s: &str) -> Option<(Cow<'static, str>, usize)> {
    let end = s[1..].char_indices().take(40).find(|(_, c)| *c == ';')?.0 + 1;
    let name = &s[1..end];
    let text = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        // Windows-1252's C1 range, as browsers and feedparser read it.
        let code = match code {
            0x80..=0x9F => {
                let byte = [code as u8];
                let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
                text.chars().next().map_or(code, |c| c as u32)
            }
            code => code,
        };
        Cow::Owned(char::from_u32(code).filter(|c| xml_char(*c))?.to_string())
    } else {
        match name {
            "amp" => Cow::Borrowed("&"),
            "lt" => Cow::Borrowed("<"),
            "gt" => Cow::Borrowed(">"),
            "quot" => Cow::Borrowed("\""),
            "apos" => Cow::Borrowed("'"),
            _ if name.chars().all(|c| c.is_ascii_alphanumeric()) && !name.is_empty() => {
                let reference = &s[..=end];
                let decoded = html_escape::decode_html_entities(reference);
                if decoded == reference {
                    return None;
                }
                Cow::Owned(decoded.into_owned())
            }
            _ => return None,
        }
    };
    Some((text, end + 1))
}

pub(super) struct Reader<'a> {
    text: &'a str,
    max_text: usize,
    pos: usize,
    doc: Document,
    /// Open elements, innermost last.
    stack: Vec<usize>,
    url: Option<Arc<str>>,
    /// Start tags past `MAX_DEPTH` still open, whose content is flattened.
    overflow: usize,
    root_closed: bool,
    /// Names of HTML-carrying elements whose end tag was looked for and not
    /// found: no later one can find it either, so none looks again (which
    /// would make a document of unclosed descriptions quadratic).
    unclosed: BTreeSet<String>,
}

impl<'a> Reader<'a> {
    pub(super) fn run(mut self) -> Document {
        while self.pos < self.text.len() && !self.root_closed {
            let rest = &self.text[self.pos..];
            let Some(at) = rest.find('<') else {
                self.push_text(&decode_text(rest));
                break;
            };
            if at > 0 {
                self.push_text(&decode_text(&rest[..at]));
            }
            self.pos += at;
            if !self.markup() {
                break;
            }
        }
        self.doc
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// Reads the markup at `pos` (a `<`). False at the end of the input.
    pub(super) fn markup(&mut self) -> bool {
        let rest = self.rest();
        if let Some(body) = rest.strip_prefix("<!--") {
            return match body.find("-->") {
                Some(end) => {
                    self.pos += 4 + end + 3;
                    true
                }
                None => false,
            };
        }
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").unwrap_or(body.len());
            let mut text = String::with_capacity(end);
            push_xml_chars(&body[..end], &mut text);
            self.push_text(&text);
            self.pos = (self.pos + 9 + end + 3).min(self.text.len());
            return true;
        }
        if rest.starts_with("<!") {
            return self.skip_declaration();
        }
        if let Some(body) = rest.strip_prefix("<?") {
            return match body.find("?>").or_else(|| body.find('>')) {
                Some(end) => {
                    self.pos += 2 + end + 1;
                    true
                }
                None => false,
            };
        }
        if let Some(body) = rest.strip_prefix("</") {
            let Some(end) = body.find('>') else {
                return false;
            };
            let name = body[..end].trim();
            self.close(name);
            self.pos += 2 + end + 1;
            return true;
        }
        if rest[1..].chars().next().is_some_and(name_start) {
            return self.start_tag();
        }
        self.push_text("<");
        self.pos += 1;
        true
    }

    /// Skips a `<!DOCTYPE …>` (with an internal subset) or another
    /// declaration: DTDs are never read.
    pub(super) fn skip_declaration(&mut self) -> bool {
        let mut depth = 0usize;
        let mut quote = None;
        for (i, c) in self.rest().char_indices().skip(2) {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '[') => depth += 1,
                (None, ']') => depth = depth.saturating_sub(1),
                (None, '>') if depth == 0 => {
                    self.pos += i + 1;
                    return true;
                }
                _ => {}
            }
        }
        false
    }

    pub(super) fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let Some(&top) = self.stack.last() else {
            return;
        };
        let max = self.max_text;
        let content = &mut self.doc.elements[top].content;
        match content.last_mut() {
            Some(Content::Text(t)) => t.push_str(cut(text, max.saturating_sub(t.len()))),
            _ => content.push(Content::Text(cut(text, max).to_string())),
        }
    }

    /// Closes the open element named `name` and every element inside it; an
    /// end tag that names no open element is dropped.
    pub(super) fn close(&mut self, name: &str) {
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let found = self
            .stack
            .iter()
            .rposition(|&i| self.doc.elements[i].qname == name)
            .or_else(|| {
                self.stack
                    .iter()
                    .rposition(|&i| self.doc.elements[i].qname.eq_ignore_ascii_case(name))
            });
        if let Some(at) = found {
            self.stack.truncate(at);
            if self.stack.is_empty() {
                self.root_closed = true;
            }
        }
    }

    /// Reads a start tag at `pos`. False when the input ends inside it.
    pub(super) fn start_tag(&mut self) -> bool {
        let rest = self.rest();
        let name_len = rest[1..]
            .char_indices()
            .find(|(_, c)| !name_char(*c))
            .map_or(rest.len() - 1, |(i, _)| i);
        let qname = rest[1..1 + name_len].to_string();
        let mut i = 1 + name_len;
        let mut attrs: Vec<(String, String)> = Vec::new();
        let bytes = rest.as_bytes();
        let self_closing = loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            match bytes.get(i) {
                None => return false,
                Some(b'>') => {
                    i += 1;
                    break false;
                }
                Some(b'/') if bytes.get(i + 1) == Some(&b'>') => {
                    i += 2;
                    break true;
                }
                // A tag left open: the next one starts here.
                Some(b'<') => break false,
                Some(b'/' | b'=' | b'"' | b'\'') => {
                    i += 1;
                    continue;
                }
                Some(_) => {}
            }
            let start = i;
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !b"=>/<\"'".contains(&bytes[i])
            {
                i += 1;
            }
            let name = &rest[start..i];
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let value = if bytes.get(i) == Some(&b'=') {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                match bytes.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let body = &rest[i + 1..];
                        let end = body
                            .find(q as char)
                            .or_else(|| body.find('>'))
                            .unwrap_or(body.len());
                        i += 1 + end + usize::from(body[end..].starts_with(q as char));
                        decode_text(&body[..end]).into_owned()
                    }
                    _ => {
                        let start = i;
                        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>'
                        {
                            i += 1;
                        }
                        decode_text(&rest[start..i]).into_owned()
                    }
                }
            } else {
                name.to_string()
            };
            if valid_name(name) && !attrs.iter().any(|(n, _)| n == name) {
                attrs.push((name.to_string(), value));
            }
        };
        self.pos += i;
        if !valid_name(&qname) {
            return true;
        }
        if self.root_closed {
            return false;
        }
        if self.stack.len() >= MAX_DEPTH {
            if !self_closing {
                self.overflow += 1;
            }
            return true;
        }
        // An item or entry never holds another: an unclosed one ends where
        // the next begins.
        let local = qname.rsplit(':').next().unwrap_or_default();
        if matches!(local, "item" | "entry")
            && self
                .stack
                .iter()
                .any(|&i| self.doc.elements[i].qname == qname)
        {
            self.close(&qname);
        }
        let index = self.open(qname, attrs);
        if self_closing {
            self.stack.pop();
            if self.stack.is_empty() {
                self.root_closed = true;
            }
        } else if self.takes_raw_html(index) {
            self.read_raw_html(index);
        }
        true
    }

    /// Adds an element as the innermost open one.
    pub(super) fn open(&mut self, qname: String, attrs: Vec<(String, String)>) -> usize {
        let mut declares = Vec::new();
        let mut kept = Vec::with_capacity(attrs.len());
        for (name, value) in attrs {
            if name == "xmlns" {
                declares.push((String::new(), canonical_ns(&value)));
            } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                declares.push((prefix.to_string(), canonical_ns(&value)));
            } else {
                kept.push((name, value));
            }
        }
        let parent = self.stack.last().map(|&p| &self.doc.elements[p]);
        let parent_base = parent
            .and_then(|p| p.base.clone())
            .or_else(|| self.url.clone());
        let base = match kept.iter().find(|(n, _)| n == "xml:base") {
            Some((_, b)) => Some(Arc::from(join(parent_base.as_deref(), b))),
            None => parent_base,
        };
        let (prefix, local) = qname.split_once(':').unwrap_or(("", &qname));
        let ns = self.resolve(prefix, &declares);
        let local = local.to_string();
        let element = Element {
            qname,
            ns,
            local,
            attrs: kept,
            declares,
            base,
            ..Element::default()
        };
        let index = self.doc.elements.len();
        self.doc.elements.push(element);
        if let Some(&top) = self.stack.last() {
            self.doc.elements[top].content.push(Content::Element(index));
        }
        self.stack.push(index);
        index
    }

    /// The namespace of `prefix` in scope; an undeclared prefix gets its
    /// usual namespace (or a made-up one).
    pub(super) fn resolve(&self, prefix: &str, own: &[(String, String)]) -> String {
        if prefix == "xml" {
            return XML.into();
        }
        let scopes = self
            .stack
            .iter()
            .rev()
            .map(|&i| &self.doc.elements[i].declares);
        for declares in std::iter::once(own).chain(scopes.map(Vec::as_slice)) {
            if let Some((_, uri)) = declares.iter().find(|(p, _)| p == prefix) {
                return uri.clone();
            }
        }
        if prefix.is_empty() {
            return String::new();
        }
        KNOWN_PREFIXES
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(prefix))
            .map_or_else(
                || format!("urn:tidings:undeclared:{prefix}"),
                |(_, u)| (*u).to_string(),
            )
    }

    /// Whether an element carries HTML, so that markup written unescaped
    /// inside it is its text: RSS titles, descriptions and content, iTunes
    /// summaries, and Atom text constructs of `type="html"`.
    pub(super) fn takes_raw_html(&self, index: usize) -> bool {
        let e = &self.doc.elements[index];
        let rss = matches!(e.ns.as_str(), "" | RSS10 | RSS090);
        match (e.ns.as_str(), e.local.as_str()) {
            (_, "title" | "description") if rss => true,
            (CONTENT, "encoded") | (ITUNES, "summary" | "subtitle") => true,
            (ATOM | ATOM03, "title" | "summary" | "content" | "subtitle") => {
                e.attrs.iter().any(|(n, v)| {
                    (n == "type" && (v == "html" || v == "text/html"))
                        || (n == "mode" && v == "escaped")
                })
            }
            _ => false,
        }
    }

    /// For an element that carries HTML: when its inner text holds markup
    /// that is not in CDATA, takes that markup, up to the element's end
    /// tag, as the element's text.
    pub(super) fn read_raw_html(&mut self, index: usize) {
        let qname = self.doc.elements[index].qname.clone();
        if self.unclosed.contains(&qname) {
            return;
        }
        let rest = self.rest();
        let Some(end) = find_end_tag(rest, &qname) else {
            self.unclosed.insert(qname);
            return;
        };
        let inner = &rest[..end];
        if !has_markup_outside_cdata(inner) {
            return;
        }
        let mut text = String::with_capacity(inner.len());
        for piece in inner.split("<![CDATA[") {
            for part in piece.split("]]>") {
                push_xml_chars(part, &mut text);
            }
        }
        text.truncate(cut(&text, self.max_text).len());
        let e = &mut self.doc.elements[index];
        e.content.push(Content::Text(text));
        e.raw_html = true;
        let close_len = rest[end..].find('>').map_or(rest.len() - end, |g| g + 1);
        self.pos += end + close_len;
        self.stack.pop();
        if self.stack.is_empty() {
            self.root_closed = true;
        }
    }
}

/// At most the first `max` bytes of `text`, cut at a character boundary.
pub(super) fn cut(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max.min(text.len()))]
}

/// Where `</qname>` starts in `text` (any case, spaces before `>`).
pub(super) fn find_end_tag(text: &str, qname: &str) -> Option<usize> {
    let lower = qname.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = text[from..].find("</") {
        let start = from + at;
        let after = &text[start + 2..];
        if after.len() >= lower.len()
            && after.is_char_boundary(lower.len())
            && after[..lower.len()].eq_ignore_ascii_case(&lower)
            && after[lower.len()..].trim_start().starts_with('>')
        {
            return Some(start);
        }
        from = start + 2;
    }
    None
}

/// Whether `inner` has a tag outside its CDATA sections.
pub(super) fn has_markup_outside_cdata(inner: &str) -> bool {
    let mut rest = inner;
    while let Some(at) = rest.find('<') {
        let here = &rest[at..];
        if let Some(body) = here.strip_prefix("<![CDATA[") {
            match body.find("]]>") {
                Some(end) => rest = &body[end + 3..],
                None => return false,
            }
        } else if here.starts_with("<!--") {
            match here.find("-->") {
                Some(end) => rest = &here[end + 3..],
                None => return false,
            }
        } else if here[1..].starts_with(|c: char| name_start(c) || c == '/') {
            return true;
        } else {
            rest = &here[1..];
        }
    }
    false
}
