//! Which dialect a feed document is in (RSS 0.9x/2.0, RDF, Atom 0.3/1.0),
//! and the mends each needs before feed-rs reads it.

use super::FeedError;
use super::xml::{self, ATOM, ATOM03, Document, Element};

/// Which family of feed a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// RSS 0.9x and 2.0, and a bare `<channel>`.
    Rss,
    /// RSS 0.90 and 1.0: RDF, items beside the channel.
    Rdf,
    /// Atom 1.0.
    Atom,
    /// Atom 0.3, mended into 1.0 for feed-rs.
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

    /// An element as feed-rs should see it, when it must differ.
    pub(super) fn mend(self, e: &Element) -> Option<Element> {
        let root = matches!(self, Dialect::Rss) && e.local == "rss" && e.ns.is_empty();
        let text_construct = matches!(e.ns.as_str(), ATOM | ATOM03)
            && matches!(
                e.local.as_str(),
                "title" | "subtitle" | "summary" | "content" | "rights"
            );
        // Most elements pass as they are; only these are copied to change.
        if !root && !text_construct && !matches!(self, Dialect::Atom03) {
            return None;
        }
        let mut out = e.clone();
        let mut changed = false;
        if root {
            // feed-rs knows RSS by its version; every 0.9x and 2.0 feed
            // reads as 2.0, its superset.
            out.attrs.retain(|(n, _)| n != "version");
            out.attrs.push(("version".into(), "2.0".into()));
            changed = true;
        }
        if matches!(self, Dialect::Atom03) {
            changed |= atom03_to_atom10(&mut out);
        }
        if text_construct {
            changed |= mend_text_construct(&mut out);
        }
        changed.then_some(out)
    }
}

/// Atom 0.3's namespace and names, as Atom 1.0 spells them.
pub(super) fn atom03_to_atom10(e: &mut Element) -> bool {
    let mut changed = false;
    for (_, uri) in &mut e.declares {
        if uri == ATOM03 {
            *uri = ATOM.into();
            changed = true;
        }
    }
    if e.ns == ATOM03 {
        let renamed = match e.local.as_str() {
            "issued" => "published",
            "modified" => "updated",
            "tagline" => "subtitle",
            "copyright" => "rights",
            _ => "",
        };
        if !renamed.is_empty() {
            e.qname = match e.qname.split_once(':') {
                Some((prefix, _)) => format!("{prefix}:{renamed}"),
                None => renamed.to_string(),
            };
            changed = true;
        }
    }
    changed
}

/// A text construct's `type` (and Atom 0.3's `mode`) as feed-rs reads them:
/// MIME names for the three kinds become the kinds, an empty type goes,
/// and base64 content is decoded.
pub(super) fn mend_text_construct(e: &mut Element) -> bool {
    let attr = |name: &str| {
        e.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    if attr("src").is_some() {
        return false;
    }
    let kind = attr("type").unwrap_or_default();
    let mode = attr("mode").unwrap_or_default();
    // Atom: a MIME type that is neither text nor XML means base64 content.
    let binary = kind.contains('/') && !kind.starts_with("text/") && !kind.ends_with("xml");
    let base64 = mode == "base64" || kind == "base64" || binary;
    let new_kind = match kind.as_str() {
        "text" | "html" | "xhtml" if !base64 && mode.is_empty() => return false,
        "text/html" | "html" | "base64" => "html",
        _ if binary => "html",
        "application/xhtml+xml" | "text/xhtml" | "xhtml" => "xhtml",
        _ if mode == "escaped" || base64 => "html",
        "" | "text/plain" | "text" => "text",
        _ => return false,
    };
    if base64 {
        let text: String = e
            .content
            .iter()
            .filter_map(|c| match c {
                xml::Content::Text(t) => Some(t.as_str()),
                xml::Content::Element(_) => None,
            })
            .collect::<String>()
            .split_whitespace()
            .collect();
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        e.content = vec![xml::Content::Text(decoded)];
    }
    e.attrs.retain(|(n, _)| n != "type" && n != "mode");
    e.attrs.push(("type".into(), new_kind.into()));
    true
}
