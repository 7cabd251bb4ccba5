//! A forgiving XML reader: text as publishers write it → a small element
//! tree, whose XHTML parts can be written as HTML.
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

mod read;
#[cfg(test)]
mod tests;

pub use read::parse;

use std::cell::RefCell;
use std::sync::Arc;
use url::Url;

/// Deeper elements are flattened: feeds need a handful of levels, and a
/// bounded depth keeps every walk of the tree shallow.
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
    /// document's URL where those are absolute. Shared: every element
    /// without an `xml:base` of its own has its parent's.
    pub base: Option<Arc<str>>,
    /// The inner markup was HTML written unescaped and is kept as its text.
    pub raw_html: bool,
}

/// The tree of a document: element 0 is its root.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub elements: Vec<Element>,
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

    /// The content of `e` as HTML: elements by their local names (XHTML
    /// as HTML writes it, void elements without an end tag), text escaped,
    /// text kept as raw HTML as it is.
    pub fn inner_html(&self, e: &Element) -> String {
        let mut out = String::new();
        self.html_into(e, &mut out);
        out
    }

    fn html_into(&self, e: &Element, out: &mut String) {
        if e.raw_html {
            self.text_into(e, out);
            return;
        }
        for c in &e.content {
            match c {
                Content::Text(t) => {
                    html_escape::encode_text_to_string(t, out);
                }
                Content::Element(i) => {
                    let child = &self.elements[*i];
                    out.push('<');
                    out.push_str(&child.local);
                    for (name, value) in &child.attrs {
                        out.push(' ');
                        out.push_str(name);
                        out.push_str("=\"");
                        html_escape::encode_double_quoted_attribute_to_string(value, out);
                        out.push('"');
                    }
                    out.push('>');
                    if child.content.is_empty() && VOID.contains(&child.local.as_str()) {
                        continue;
                    }
                    self.html_into(child, out);
                    out.push_str("</");
                    out.push_str(&child.local);
                    out.push('>');
                }
            }
        }
    }
}

/// HTML's elements that have no end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

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

/// `reference` resolved against `base` when `base` is absolute.
pub fn join(base: Option<&str>, reference: &str) -> String {
    thread_local! {
        /// The base last parsed on this thread, parsed: a feed's links
        /// share one base or a few, and parsing it again was half of each
        /// join.
        static LAST: RefCell<Option<(String, Option<Url>)>> = const { RefCell::new(None) };
    }
    let reference = reference.trim();
    let Some(base) = base else {
        return reference.to_string();
    };
    LAST.with_borrow_mut(|last| {
        if last.as_ref().is_none_or(|(text, _)| text != base) {
            *last = Some((base.to_string(), Url::parse(base).ok()));
        }
        last.as_ref()
            .and_then(|(_, url)| url.as_ref())
            .and_then(|b| b.join(reference).ok())
            .map_or_else(|| reference.to_string(), String::from)
    })
}
