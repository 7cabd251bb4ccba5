//! A forgiving XML reader: text as publishers write it → a small element
//! tree, and that tree written back as well-formed XML for `feed-rs`.
//!
//! What it forgives, as feedparser's loose parser does: end tags that do not
//! match (closed up to the element they name, or dropped), elements never
//! closed and documents cut short (closed at the end), unquoted or valueless
//! attributes, bare `&` and HTML entities that XML does not define, control
//! characters XML forbids, namespace prefixes never declared (the usual
//! prefixes get their usual namespaces), and HTML written unescaped inside an
//! element that carries HTML (an RSS `<description>`, Atom `type="html"`):
//! that element's inner markup is kept as its text. Nesting deeper than
//! [`MAX_DEPTH`] is flattened into the deepest element kept. No DTD is read,
//! so no entity is ever expanded or fetched.
//!
//! Each element knows its namespace URI (well-known namespaces spelled in
//! one canonical way), its local name, its attributes, its text and its
//! effective `xml:base`. Depends on nothing in the crate.

use std::collections::BTreeSet;
use url::Url;

/// Deeper elements are flattened: feeds need a handful of levels, and a
/// bounded depth keeps every walk of the tree (and `feed-rs`'s) shallow.
pub const MAX_DEPTH: usize = 128;

pub const ATOM: &str = "http://www.w3.org/2005/Atom";
pub const ATOM03: &str = "http://purl.org/atom/ns#";
pub const RSS10: &str = "http://purl.org/rss/1.0/";
pub const RSS090: &str = "http://my.netscape.com/rdf/simple/0.9/";
pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
pub const DC: &str = "http://purl.org/dc/elements/1.1/";
pub const DCTERMS: &str = "http://purl.org/dc/terms/";
pub const CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
pub const ITUNES: &str = "http://www.itunes.com/dtds/podcast-1.0.dtd";
pub const MEDIA: &str = "http://search.yahoo.com/mrss/";
pub const XHTML: &str = "http://www.w3.org/1999/xhtml";
const XML: &str = "http://www.w3.org/XML/1998/namespace";

/// Namespaces publishers spell in several ways, each with its canonical
/// spelling (compared without case and trailing `/` or `#`), and the
/// default namespaces RSS 2.0 feeds sometimes declare, which mean plain RSS.
const CANONICAL: &[(&str, &str)] = &[
    ("http://www.w3.org/2005/atom", ATOM),
    ("http://purl.org/atom/ns", ATOM03),
    ("http://purl.org/rss/1.0", RSS10),
    ("http://my.netscape.com/rdf/simple/0.9", RSS090),
    ("http://purl.org/dc/elements/1.1", DC),
    ("http://purl.org/dc/elements/1.0", DC),
    ("http://purl.org/dc/terms", DCTERMS),
    ("http://purl.org/rss/1.0/modules/content", CONTENT),
    ("http://www.itunes.com/dtds/podcast-1.0.dtd", ITUNES),
    ("https://www.itunes.com/dtds/podcast-1.0.dtd", ITUNES),
    ("http://www.itunes.com/dtds/podcast-1.0.dtd/", ITUNES),
    ("http://search.yahoo.com/mrss", MEDIA),
    ("http://video.search.yahoo.com/mrss", MEDIA),
    ("http://tools.search.yahoo.com/mrss", MEDIA),
    ("http://www.w3.org/1999/xhtml", XHTML),
    ("http://backend.userland.com/rss2", ""),
    ("http://backend.userland.com/rss", ""),
    ("http://blogs.law.harvard.edu/tech/rss", ""),
];

/// Prefixes feeds use without declaring them.
const KNOWN_PREFIXES: &[(&str, &str)] = &[
    ("atom", ATOM),
    ("atom10", ATOM),
    ("dc", DC),
    ("dcterms", DCTERMS),
    ("content", CONTENT),
    ("itunes", ITUNES),
    ("media", MEDIA),
    ("rdf", RDF),
    ("xhtml", XHTML),
    ("slash", "http://purl.org/rss/1.0/modules/slash/"),
    ("wfw", "http://wellformedweb.org/CommentAPI/"),
    ("georss", "http://www.georss.org/georss"),
    ("feedburner", "http://rssnamespace.org/feedburner/ext/1.0"),
    (
        "googleplay",
        "http://www.google.com/schemas/play-podcasts/1.0",
    ),
    ("podcast", "https://podcastindex.org/namespace/1.0"),
];

/// The canonical spelling of a namespace URI.
fn canonical_ns(uri: &str) -> String {
    let key = uri.trim().trim_end_matches(['/', '#']).to_ascii_lowercase();
    CANONICAL
        .iter()
        .find(|(k, _)| k.trim_end_matches('/') == key)
        .map_or_else(|| uri.trim().to_string(), |(_, v)| (*v).to_string())
}

/// A piece of an element's content, in document order.
#[derive(Debug, Clone)]
pub enum Content {
    Text(String),
    Element(usize),
}

/// One element of the tree.
#[derive(Debug, Clone, Default)]
pub struct Element {
    /// The name as written, prefix included.
    pub qname: String,
    /// The namespace URI, canonical; empty for none.
    pub ns: String,
    pub local: String,
    /// Attributes as written (names with their prefixes), values decoded.
    pub attrs: Vec<(String, String)>,
    /// The namespaces this element declares: prefix ("" for the default), URI.
    pub declares: Vec<(String, String)>,
    pub content: Vec<Content>,
    /// The effective `xml:base`, resolved against its parents' and the
    /// document's URL where those are absolute.
    pub base: Option<String>,
    /// The inner markup was HTML written unescaped and is kept as its text.
    pub raw_html: bool,
}

/// The tree of a document: element 0 is its root.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub elements: Vec<Element>,
    /// Prefixes used but never declared, with the namespace given to them.
    undeclared: BTreeSet<(String, String)>,
}

impl Document {
    pub fn root(&self) -> Option<&Element> {
        self.elements.first()
    }

    /// The child elements of `e`, in order.
    pub fn children<'a>(&'a self, e: &'a Element) -> impl Iterator<Item = &'a Element> + 'a {
        e.content.iter().filter_map(move |c| match c {
            Content::Element(i) => Some(&self.elements[*i]),
            Content::Text(_) => None,
        })
    }

    /// The first child of `e` in namespace `ns` named `local`.
    pub fn child<'a>(&'a self, e: &'a Element, ns: &str, local: &str) -> Option<&'a Element> {
        self.children(e).find(|c| c.ns == ns && c.local == local)
    }

    /// All text inside `e`, its descendants' included.
    pub fn text(&self, e: &Element) -> String {
        let mut out = String::new();
        self.text_into(e, &mut out);
        out
    }

    fn text_into(&self, e: &Element, out: &mut String) {
        for c in &e.content {
            match c {
                Content::Text(t) => out.push_str(t),
                Content::Element(i) => self.text_into(&self.elements[*i], out),
            }
        }
    }

    /// The content of `e` as XML (its children serialized, text escaped).
    pub fn inner_xml(&self, e: &Element) -> String {
        let mut out = String::new();
        for c in &e.content {
            self.write_content(c, &mut out, &[]);
        }
        out
    }

    /// The document as well-formed XML in UTF-8, every prefix declared.
    /// `rename` may change an element's name and attributes on the way out.
    pub fn to_xml(&self, rename: &dyn Fn(&Element) -> Option<Element>) -> String {
        let mut out = String::with_capacity(self.elements.len() * 64);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        if let Some(root) = self.root() {
            let extra: Vec<(String, String)> = self.undeclared.iter().cloned().collect();
            self.write_element(root, &mut out, &extra, rename);
        }
        out
    }

    fn write_content(&self, c: &Content, out: &mut String, extra: &[(String, String)]) {
        match c {
            Content::Text(t) => text_into(t, out),
            Content::Element(i) => self.write_element(&self.elements[*i], out, extra, &|_| None),
        }
    }

    fn write_element(
        &self,
        e: &Element,
        out: &mut String,
        extra: &[(String, String)],
        rename: &dyn Fn(&Element) -> Option<Element>,
    ) {
        let renamed = rename(e);
        let shown = renamed.as_ref().unwrap_or(e);
        out.push('<');
        out.push_str(&shown.qname);
        for (prefix, uri) in shown.declares.iter().chain(extra) {
            out.push_str(if prefix.is_empty() {
                " xmlns"
            } else {
                " xmlns:"
            });
            out.push_str(prefix);
            out.push_str("=\"");
            escape_into(uri, true, out);
            out.push('"');
        }
        for (name, value) in &shown.attrs {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            escape_into(value, true, out);
            out.push('"');
        }
        if shown.content.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for c in &shown.content {
            match c {
                Content::Text(t) => text_into(t, out),
                Content::Element(i) => self.write_element(&self.elements[*i], out, &[], rename),
            }
        }
        out.push_str("</");
        out.push_str(&shown.qname);
        out.push('>');
    }
}

/// Text content as XML: markup-heavy text (HTML an item carries) as CDATA,
/// which costs no more than the text itself, where escaping every `<` and
/// `&` would nearly triple it; other text escaped.
fn text_into(text: &str, out: &mut String) {
    let markup = text.bytes().filter(|b| matches!(b, b'<' | b'&')).count();
    if markup > 8 && markup * 8 > text.len() / 8 {
        out.push_str("<![CDATA[");
        let mut pieces = text.split("]]>");
        out.push_str(pieces.next().unwrap_or_default());
        for piece in pieces {
            out.push_str("]]]]><![CDATA[>");
            out.push_str(piece);
        }
        out.push_str("]]>");
    } else {
        escape_into(text, false, out);
    }
}

fn escape_into(text: &str, attr: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
}

/// Whether XML 1.0 allows the character in a document.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || (!c.is_ascii() && xml_char(c))
}

fn name_char(c: char) -> bool {
    name_start(c) || c.is_ascii_digit() || matches!(c, '-' | '.' | ':')
}

/// A valid XML name with at most one colon, neither first nor last.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(name_start)
        && chars.all(name_char)
        && name.matches(':').count() <= 1
        && !name.ends_with(':')
}

/// Text with entity and character references decoded, leniently: XML's five
/// entities and HTML's named ones are read, anything else stays literal.
pub fn decode_text(raw: &str) -> String {
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
    out
}

fn push_xml_chars(text: &str, out: &mut String) {
    if text.chars().all(xml_char) {
        out.push_str(text);
    } else {
        out.extend(text.chars().filter(|c| xml_char(*c)));
    }
}

/// The reference at the start of `s` (which starts with `&`): its text and
/// its length in bytes.
fn reference(s: &str) -> Option<(String, usize)> {
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
        char::from_u32(code).filter(|c| xml_char(*c))?.to_string()
    } else {
        match name {
            "amp" => "&".into(),
            "lt" => "<".into(),
            "gt" => ">".into(),
            "quot" => "\"".into(),
            "apos" => "'".into(),
            _ if name.chars().all(|c| c.is_ascii_alphanumeric()) && !name.is_empty() => {
                let reference = &s[..=end];
                let decoded = html_escape::decode_html_entities(reference);
                if decoded == reference {
                    return None;
                }
                decoded.into_owned()
            }
            _ => return None,
        }
    };
    Some((text, end + 1))
}

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
        url: url.map(str::to_string),
        overflow: 0,
        root_closed: false,
        unclosed: BTreeSet::new(),
    }
    .run()
}

struct Reader<'a> {
    text: &'a str,
    max_text: usize,
    pos: usize,
    doc: Document,
    /// Open elements, innermost last.
    stack: Vec<usize>,
    url: Option<String>,
    /// Start tags past `MAX_DEPTH` still open, whose content is flattened.
    overflow: usize,
    root_closed: bool,
    /// Names of HTML-carrying elements whose end tag was looked for and not
    /// found: no later one can find it either, so none looks again (which
    /// would make a document of unclosed descriptions quadratic).
    unclosed: BTreeSet<String>,
}

impl<'a> Reader<'a> {
    fn run(mut self) -> Document {
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

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// Reads the markup at `pos` (a `<`). False at the end of the input.
    fn markup(&mut self) -> bool {
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
    fn skip_declaration(&mut self) -> bool {
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

    fn push_text(&mut self, text: &str) {
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
    fn close(&mut self, name: &str) {
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
    fn start_tag(&mut self) -> bool {
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
                        decode_text(&body[..end])
                    }
                    _ => {
                        let start = i;
                        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>'
                        {
                            i += 1;
                        }
                        decode_text(&rest[start..i])
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
    fn open(&mut self, qname: String, attrs: Vec<(String, String)>) -> usize {
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
            Some((_, b)) => Some(join(parent_base.as_deref(), b)),
            None => parent_base,
        };
        let mut element = Element {
            qname,
            attrs: kept,
            declares,
            base,
            ..Element::default()
        };
        let (prefix, local) = match element.qname.split_once(':') {
            Some((p, l)) => (p.to_string(), l.to_string()),
            None => (String::new(), element.qname.clone()),
        };
        element.ns = self.resolve(&prefix, &element.declares);
        element.local = local;
        // Prefixed attributes need their prefixes declared too.
        let attr_prefixes: Vec<String> = element
            .attrs
            .iter()
            .filter_map(|(n, _)| n.split_once(':').map(|(p, _)| p.to_string()))
            .collect();
        for p in attr_prefixes {
            self.resolve(&p, &element.declares);
        }
        let index = self.doc.elements.len();
        self.doc.elements.push(element);
        if let Some(&top) = self.stack.last() {
            self.doc.elements[top].content.push(Content::Element(index));
        }
        self.stack.push(index);
        index
    }

    /// The namespace of `prefix` in scope; an undeclared prefix gets its
    /// usual namespace (or a made-up one) and is declared on the root.
    fn resolve(&mut self, prefix: &str, own: &[(String, String)]) -> String {
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
        let uri = KNOWN_PREFIXES
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(prefix))
            .map_or_else(
                || format!("urn:tidings:undeclared:{prefix}"),
                |(_, u)| (*u).to_string(),
            );
        self.doc
            .undeclared
            .insert((prefix.to_string(), uri.clone()));
        uri
    }

    /// Whether an element carries HTML, so that markup written unescaped
    /// inside it is its text: RSS titles, descriptions and content, iTunes
    /// summaries, and Atom text constructs of `type="html"`.
    fn takes_raw_html(&self, index: usize) -> bool {
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
    fn read_raw_html(&mut self, index: usize) {
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
fn cut(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max.min(text.len()))]
}

/// Where `</qname>` starts in `text` (any case, spaces before `>`).
fn find_end_tag(text: &str, qname: &str) -> Option<usize> {
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
fn has_markup_outside_cdata(inner: &str) -> bool {
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

/// `reference` resolved against `base` when `base` is absolute.
pub fn join(base: Option<&str>, reference: &str) -> String {
    let reference = reference.trim();
    base.and_then(|b| Url::parse(b).ok())
        .and_then(|b| b.join(reference).ok())
        .map_or_else(|| reference.to_string(), String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(text: &str) -> String {
        parse(text, None, usize::MAX).to_xml(&|_| None)
    }

    #[test]
    fn mismatched_unclosed_and_truncated() {
        assert_eq!(
            xml("<rss><channel><item><guid>a</b></guid></item><item><guid>b"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss><channel><item><guid>a</guid></item><item><guid>b</guid></item></channel></rss>"
        );
        assert_eq!(
            xml("<feed><entry><id>1</id></feed>"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed><entry><id>1</id></entry></feed>"
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
        let out = doc.to_xml(&|_| None);
        assert!(
            out.contains("xmlns:dc=\"http://purl.org/dc/elements/1.1/\""),
            "{out}"
        );
        assert!(
            out.contains("xmlns:i=\"http://www.itunes.com/dtds/podcast-1.0.dtd\""),
            "{out}"
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
}
