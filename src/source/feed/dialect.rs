//! Which dialect a feed document is in (RSS 0.9x/2.0, RDF, Atom 0.3/1.0),
//! the spellings each needs mended before the reader reads it, and the kind
//! of Atom's text constructs.

use super::FeedError;
use super::xml::{ATOM, ATOM03, Document, Element};

/// Which family of feed a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// RSS 0.9x and 2.0, and a bare `<channel>`.
    Rss,
    /// RSS 0.90 and 1.0: RDF, items beside the channel.
    Rdf,
    /// Atom 1.0.
    Atom,
    /// Atom 0.3.
    Atom03,
}

impl Dialect {
    pub(super) fn of(root: &Element) -> Result<Dialect, FeedError> {
        match (root.ns.as_str(), root.local.as_str()) {
            (_, name) if name == "rss" || name.eq_ignore_ascii_case("channel") => Ok(Dialect::Rss),
            (_, name) if name.eq_ignore_ascii_case("rdf") => Ok(Dialect::Rdf),
            (ATOM03, "feed") => Ok(Dialect::Atom03),
            (_, "feed")
                if root
                    .attrs
                    .iter()
                    .any(|(n, v)| n == "version" && v.starts_with("0.")) =>
            {
                Ok(Dialect::Atom03)
            }
            (_, "feed" | "entry") => Ok(Dialect::Atom),
            (_, name) if name.eq_ignore_ascii_case("html") => Err(FeedError::new(super::HTML_PAGE)),
            (_, name) => Err(FeedError::new(format!(
                "the root element <{name}> is not RSS, Atom or JSON Feed"
            ))),
        }
    }

    /// The tree as the reader expects it, whatever the document's spelling:
    /// Atom elements without a namespace are Atom's, and the names of CDF
    /// (Microsoft's `<CHANNEL>`, which feedparser reads) are lowercased.
    pub(super) fn normalize(self, doc: &mut Document) {
        let cdf = doc.root().is_some_and(|r| r.local == "CHANNEL");
        // An RSS document that declares Atom as its default namespace still
        // means RSS by its unprefixed names.
        let atom_default = !self.atom()
            && doc
                .root()
                .is_some_and(|r| r.ns == ATOM && !r.qname.contains(':'));
        for e in &mut doc.elements {
            if self.atom() && e.ns.is_empty() {
                e.ns = ATOM.into();
            }
            if atom_default && e.ns == ATOM && !e.qname.contains(':') {
                e.ns.clear();
            }
            if cdf {
                e.local.make_ascii_lowercase();
                for (name, _) in &mut e.attrs {
                    name.make_ascii_lowercase();
                }
            }
        }
    }

    pub(super) fn atom(self) -> bool {
        matches!(self, Dialect::Atom | Dialect::Atom03)
    }
}

/// How an Atom text construct carries its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Construct {
    Text,
    Html,
    Xhtml,
    /// Base64 of a document (of HTML, or of a type no reader shows).
    Base64,
}

/// The kind of an Atom text construct (or content) by its `type` and Atom
/// 0.3's `mode`, as publishers write them: the three kinds, MIME names for
/// them, other text types as text, other MIME types as base64. `None` for
/// content that is elsewhere (`src`).
pub(super) fn construct_kind(e: &Element) -> Option<Construct> {
    let attr = |name: &str| {
        e.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    if e.local == "content" && attr("src").is_some() {
        return None;
    }
    let kind = attr("type").unwrap_or_default();
    let mode = attr("mode").unwrap_or_default();
    // Atom: a MIME type that is neither text nor XML means base64 content.
    let binary = kind.contains('/') && !kind.starts_with("text/") && !kind.ends_with("xml");
    if mode == "base64" || kind == "base64" || binary {
        return Some(Construct::Base64);
    }
    Some(match kind.as_str() {
        "html" | "text/html" => Construct::Html,
        "xhtml" | "application/xhtml+xml" | "text/xhtml" if mode != "escaped" => Construct::Xhtml,
        _ if mode == "escaped" => Construct::Html,
        _ => Construct::Text,
    })
}
