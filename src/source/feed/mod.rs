//! The `feed` kind: RSS 0.90–2.0, RDF, Atom 0.3 and 1.0, and JSON Feed
//! 1.0/1.1 bytes → raw items.
//!
//! `feed-rs` parses the feed, behind a recovering layer: [`decode`] turns the
//! bytes into text (BOM, UTF-16/32, HTTP charset, XML declaration, stray
//! windows-1252 bytes), [`xml`] reads that text forgivingly into a tree and
//! writes it back well-formed (so one bad spot costs at most the entries it
//! breaks), and each dialect's quirks are mended on the way (a bare `<rss>`,
//! RSS 0.9x versions, Atom 0.3's names, content types feed-rs refuses). The
//! tree then supplies what feed-rs reads too narrowly: ids, links, authors,
//! dates, categories, enclosures and the summary fallbacks podcasts and
//! video sites use. When feed-rs cannot read the mended document either, the
//! tree alone gives the items. JSON Feed is read leniently in [`json`].
//!
//! Depends only on `model`.

mod json;
mod xml;

use crate::model::{Enclosure, RawDate, RawItem};
use chrono::{DateTime, Utc};
use std::fmt;
use xml::{
    ATOM, ATOM03, CONTENT, DC, DCTERMS, Document, Element, ITUNES, MEDIA, RDF, RSS10, RSS090,
};

/// What a feed document says about itself and its items.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// The site the feed belongs to.
    pub link: Option<String>,
    /// RSS `<ttl>`, in minutes.
    pub ttl: Option<u32>,
    pub items: Vec<RawItem>,
}

/// Why a document could not be read as a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedError {
    pub reason: String,
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a readable feed: {}", self.reason)
    }
}

impl std::error::Error for FeedError {}

impl FeedError {
    fn new(reason: impl Into<String>) -> FeedError {
        FeedError {
            reason: reason.into(),
        }
    }
}

/// Reads date text (in the source's time zone when it carries no offset).
type DateParser<'a> = &'a (dyn Fn(&str) -> Option<DateTime<Utc>> + Send + Sync);

/// Parses a feed document fetched from `url`.
///
/// `content_type` is the HTTP header, for its charset; a text longer than
/// `max_text` bytes (an item's content) is cut there. `parse_date` reads
/// date text (it knows the source's time zone). Fails when the bytes are not
/// RSS, Atom or JSON Feed at all; a feed broken in places gives the items
/// that can be read.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &str,
    max_text: usize,
    parse_date: impl Fn(&str) -> Option<DateTime<Utc>> + Send + Sync + 'static,
) -> Result<ParsedFeed, FeedError> {
    let text = crate::text::decode::decode_xml(bytes, content_type);
    let body = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if body.starts_with('{') {
        return json::parse(body, &parse_date);
    }
    let blank = body.trim().is_empty();
    let mut doc = xml::parse(skip_leading_junk(body), Some(url), max_text);
    // The tree holds its own copy of every text; the decoded document goes.
    drop(text);
    let Some(root) = doc.root() else {
        return Err(FeedError::new(if blank {
            "the document is empty"
        } else {
            "the document has no XML element"
        }));
    };
    // A feed wrapped in an HTML page (a CMS template around it) is read
    // from its own root.
    let root_at = if root.local.eq_ignore_ascii_case("html") {
        doc.elements
            .iter()
            .position(|e| matches!(e.local.as_str(), "feed" | "rss" | "RDF"))
            .unwrap_or(0)
    } else {
        0
    };
    let dialect = Dialect::of(&doc.elements[root_at])?;
    let mended = doc.to_xml(&|e| dialect.mend(e));
    dialect.normalize(&mut doc);
    let feed = feed_rs::parser::Builder::new()
        .base_uri(Some(url))
        .sanitize_content(false)
        // Ids come from the tree; feed-rs need not make any.
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(|_| None)
        .build()
        .parse(mended.as_bytes())
        .ok();
    drop(mended);
    let reader = Reader {
        doc: &doc,
        root_at,
        dialect,
        parse_date: &parse_date,
    };
    Ok(reader.read(feed))
}

/// The document from its XML declaration or root on, when something else
/// comes first (a PHP warning in HTML, a stray line a CMS printed).
fn skip_leading_junk(body: &str) -> &str {
    if !body.starts_with('<') || body.starts_with("<b>") || body.starts_with("<br") {
        let head = &body[..body.floor_char_boundary(64 * 1024)];
        let start = ["<?xml", "<rss", "<feed", "<rdf:RDF", "<RDF"]
            .iter()
            .filter_map(|m| head.find(m))
            .min();
        if let Some(start) = start {
            return &body[start..];
        }
    }
    body
}

/// Which family of feed a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
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
    fn of(root: &Element) -> Result<Dialect, FeedError> {
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
            (_, name) if name.eq_ignore_ascii_case("html") => Err(FeedError::new(
                "the document is an HTML page, not RSS, Atom or JSON Feed",
            )),
            (_, name) => Err(FeedError::new(format!(
                "the root element <{name}> is not RSS, Atom or JSON Feed"
            ))),
        }
    }

    /// The tree as the reader expects it, whatever the document's spelling:
    /// Atom elements without a namespace are Atom's, and the names of CDF
    /// (Microsoft's `<CHANNEL>`, which feedparser reads) are lowercased.
    fn normalize(self, doc: &mut Document) {
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

    fn atom(self) -> bool {
        matches!(self, Dialect::Atom | Dialect::Atom03)
    }

    /// An element as feed-rs should see it, when it must differ.
    fn mend(self, e: &Element) -> Option<Element> {
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
fn atom03_to_atom10(e: &mut Element) -> bool {
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
fn mend_text_construct(e: &mut Element) -> bool {
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

/// Reads items off the tree, with feed-rs's entries where it has them.
struct Reader<'a> {
    doc: &'a Document,
    /// Where the feed's root element is in the tree.
    root_at: usize,
    dialect: Dialect,
    parse_date: DateParser<'a>,
}

impl Reader<'_> {
    /// Consumes feed-rs's feed: its texts move into the items, uncopied.
    fn read(&self, feed: Option<feed_rs::model::Feed>) -> ParsedFeed {
        let doc = self.doc;
        let root = &doc.elements[self.root_at];
        let channel = if self.dialect.atom() || root.local == "channel" {
            root
        } else {
            self.below_root()
                .find(|c| c.local == "channel")
                .unwrap_or(root)
        };
        let items = self.items(root);
        // feed-rs's entries line up with the tree's items when it read the
        // same ones; otherwise the tree alone is used.
        let (feed_title, entries): (_, Vec<Option<feed_rs::model::Entry>>) = match feed {
            Some(f) if f.entries.len() == items.len() => {
                (f.title, f.entries.into_iter().map(Some).collect())
            }
            f => (
                f.and_then(|f| f.title),
                items.iter().map(|_| None).collect(),
            ),
        };
        let feed_authors = self.authors(channel);
        let items = items
            .into_iter()
            .zip(entries)
            .map(|(item, entry)| {
                let mut raw = self.item(item, entry);
                if raw.authors.is_empty() {
                    raw.authors = feed_authors.clone();
                }
                raw
            })
            .collect();
        let title = feed_title.map(|t| t.content).or_else(|| {
            self.first_text(
                channel,
                &[
                    ("", "title"),
                    (RSS10, "title"),
                    (RSS090, "title"),
                    (ATOM, "title"),
                    (ATOM03, "title"),
                ],
            )
        });
        ParsedFeed {
            title,
            link: self.link(channel),
            ttl: self
                .first_text(channel, &[("", "ttl")])
                .and_then(|t| t.trim().parse().ok()),
            items,
        }
    }

    /// The elements inside the feed's root, in document order.
    fn below_root(&self) -> impl Iterator<Item = &Element> {
        self.doc.elements[self.root_at + 1..].iter()
    }

    /// The item elements, in document order, wherever they are: in the
    /// channel, beside it (RDF, or misplaced), or inside an element left
    /// unclosed before them; Atom entries likewise.
    fn items<'b>(&'b self, root: &'b Element) -> Vec<&'b Element> {
        if self.dialect.atom() {
            if root.local == "entry" {
                return vec![root];
            }
            return self
                .below_root()
                .filter(|c| matches!(c.local.as_str(), "entry" | "item") && is_atom(c))
                .collect();
        }
        self.below_root()
            .filter(|c| c.local == "item" && is_rss(c))
            .collect()
    }

    fn item(&self, e: &Element, entry: Option<feed_rs::model::Entry>) -> RawItem {
        let doc = self.doc;
        let atom = self.dialect.atom();
        let guid_element = if atom {
            doc.children(e).find(|c| c.local == "id" && is_atom(c))
        } else {
            doc.children(e).find(|c| c.local == "guid" && is_rss(c))
        };
        let guid = guid_element
            .map(|g| doc.text(g).trim().to_string())
            .filter(|g| !g.is_empty())
            .or_else(|| attr(e, "rdf:about").map(str::to_string).filter(|_| !atom));
        // An RSS guid is a permalink unless it says otherwise.
        let permalink = guid_element
            .filter(|g| {
                !atom
                    && !attr(g, "isPermaLink")
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
            })
            .map(|g| doc.text(g).trim().to_string())
            .filter(|g| is_web_address(g));
        let (summary, content) = match entry {
            Some(entry) => (
                entry.summary.map(|t| as_html(t, atom)),
                entry.content.and_then(|c| c.body),
            ),
            None => self.texts(e),
        };
        let title = self.title(e);
        let title = title
            .filter(|t| !t.trim().is_empty())
            .or_else(|| self.title_fallback(e));
        // An Atom id that is a web address stands in for a missing link, as
        // feedparser has it; so does CDF's `href`.
        let permalink = permalink
            .or_else(|| guid.clone().filter(|g| atom && is_web_address(g)))
            .or_else(|| attr(e, "href").map(|h| xml::join(e.base.as_deref(), h)));
        let content_base = doc
            .children(e)
            .find(|c| {
                matches!(
                    (c.ns.as_str(), c.local.as_str()),
                    (ATOM | ATOM03, "content") | (CONTENT, "encoded")
                )
            })
            .unwrap_or(e);
        RawItem {
            guid,
            link: self.link(e).or(permalink),
            title,
            authors: self.authors(e),
            summary_html: summary
                .filter(|s| !s.trim().is_empty())
                .or_else(|| self.summary_fallback(e)),
            content_html: content.filter(|s| !s.trim().is_empty()),
            published: self.date(e, published_names(atom)),
            // CDF dates an item in an attribute.
            updated: self.date(e, updated_names(atom)).or_else(|| {
                attr(e, "lastmod")
                    .and_then(|d| (self.parse_date)(d.trim()))
                    .map(|d| RawDate::At(d.fixed_offset()))
            }),
            categories: self.categories(e),
            enclosures: self.enclosures(e),
            base_url: content_base.base.clone(),
        }
    }

    /// The first of the named text elements of `e`, as HTML.
    fn html_of(&self, e: &Element, names: &[(&str, &str)]) -> Option<String> {
        let doc = self.doc;
        let found = names.iter().find_map(|(ns, local)| {
            doc.children(e)
                .find(|c| c.local == *local && (c.ns == *ns || (ns.is_empty() && is_rss(c))))
        })?;
        Some(if is_atom(found) {
            self.text_construct(found)
        } else {
            doc.text(found)
        })
    }

    fn title(&self, e: &Element) -> Option<String> {
        self.html_of(e, &[("", "title"), (ATOM, "title"), (ATOM03, "title")])
    }

    /// Summary and content read off the tree, for when feed-rs could not
    /// read the document.
    fn texts(&self, e: &Element) -> (Option<String>, Option<String>) {
        (
            self.html_of(
                e,
                &[("", "description"), (ATOM, "summary"), (ATOM03, "summary")],
            ),
            self.html_of(
                e,
                &[(CONTENT, "encoded"), (ATOM, "content"), (ATOM03, "content")],
            ),
        )
    }

    /// An Atom text construct as HTML.
    fn text_construct(&self, e: &Element) -> String {
        let mut e = e.clone();
        mend_text_construct(&mut e);
        let doc = self.doc;
        match attr(&e, "type").unwrap_or("text") {
            "xhtml" => doc.inner_xml(doc.children(&e).find(|c| c.local == "div").unwrap_or(&e)),
            "html" => doc.text(&e),
            _ if e.raw_html => doc.text(&e),
            _ => escape(&doc.text(&e)),
        }
    }

    /// The page an element (an item, or the channel) links to: RSS
    /// `<link>`, else an Atom `rel="alternate"` link (a link without `rel`
    /// is one). Never a comments page.
    fn link(&self, e: &Element) -> Option<String> {
        let doc = self.doc;
        let rss = doc
            .children(e)
            .filter(|c| c.local == "link" && is_rss(c) && attr(c, "href").is_none())
            .map(|c| (c, doc.text(c).trim().to_string()))
            .find(|(_, t)| !t.is_empty())
            .map(|(c, t)| xml::join(c.base.as_deref(), &t));
        rss.or_else(|| {
            let alternates: Vec<String> = doc
                .children(e)
                .filter(|c| c.local == "link" && (is_atom(c) || is_rss(c)))
                .filter(|c| {
                    attr(c, "rel").is_none_or(|r| r.trim().eq_ignore_ascii_case("alternate"))
                })
                .map(|c| {
                    let href = attr(c, "href").map_or_else(|| doc.text(c), str::to_string);
                    (c, href)
                })
                .filter(|(_, h)| !h.trim().is_empty())
                .map(|(c, h)| xml::join(c.base.as_deref(), &h))
                .collect();
            // Of several alternates (a Gemini or Gopher copy beside the web
            // page), the web page.
            let web = alternates.iter().position(|l| is_web_address(l));
            alternates.into_iter().nth(web.unwrap_or(0))
        })
    }

    /// The item's authors, each once, from every place feeds name them.
    fn authors(&self, e: &Element) -> Vec<String> {
        let doc = self.doc;
        let mut names = Vec::new();
        for c in doc.children(e) {
            let name = match (c.ns.as_str(), c.local.as_str()) {
                (ATOM | ATOM03, "author") => doc
                    .children(c)
                    .find(|n| n.local == "name")
                    .or_else(|| doc.children(c).find(|n| n.local == "email"))
                    .map(|n| doc.text(n)),
                (_, "author" | "managingEditor") if is_rss(c) => Some(doc.text(c)),
                (DC, "creator" | "author") | (ITUNES, "author") => Some(doc.text(c)),
                (MEDIA, "credit") if attr(c, "role").is_none_or(|r| r.contains("author")) => {
                    Some(doc.text(c))
                }
                _ => None,
            };
            if let Some(name) = name.as_deref().and_then(person_name) {
                let name = escape(&name);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// The first of the named dates that parses: a broken date never hides
    /// a good one.
    fn date(&self, e: &Element, names: &[(&str, &str)]) -> Option<RawDate> {
        let doc = self.doc;
        names.iter().find_map(|(ns, local)| {
            doc.children(e)
                .filter(|c| c.local == *local && (c.ns == *ns || (ns.is_empty() && is_rss(c))))
                .find_map(|c| (self.parse_date)(doc.text(c).trim()))
                .map(|d| RawDate::At(d.fixed_offset()))
        })
    }

    fn categories(&self, e: &Element) -> Vec<String> {
        let doc = self.doc;
        doc.children(e)
            .filter_map(|c| match (c.ns.as_str(), c.local.as_str()) {
                (ATOM | ATOM03, "category") => attr(c, "label")
                    .filter(|l| !l.trim().is_empty())
                    .or_else(|| attr(c, "term"))
                    .map(str::to_string),
                (_, "category") if is_rss(c) => Some(doc.text(c)),
                (DC, "subject") => Some(doc.text(c)),
                _ => None,
            })
            .map(|t| escape(t.trim()))
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// When an item has no title: Dublin Core's or Media RSS's.
    fn title_fallback(&self, e: &Element) -> Option<String> {
        let doc = self.doc;
        let media = doc.child(e, MEDIA, "title").or_else(|| {
            let groups = doc
                .children(e)
                .filter(|c| c.ns == MEDIA && matches!(c.local.as_str(), "group" | "content"));
            groups
                .flat_map(|g| std::iter::once(g).chain(doc.children(g)))
                .find_map(|g| doc.child(g, MEDIA, "title"))
        });
        [doc.child(e, DC, "title"), media]
            .into_iter()
            .flatten()
            .map(|c| escape(doc.text(c).trim()))
            .find(|t| !t.is_empty())
    }

    /// When an item has no summary: Media RSS's description (YouTube
    /// writes only that), else iTunes' summary or subtitle.
    fn summary_fallback(&self, e: &Element) -> Option<String> {
        let doc = self.doc;
        let media = doc.child(e, MEDIA, "description").or_else(|| {
            doc.children(e)
                .filter(|c| c.ns == MEDIA && matches!(c.local.as_str(), "group" | "content"))
                .find_map(|g| doc.child(g, MEDIA, "description"))
        });
        let media = media.map(|d| {
            let text = doc.text(d);
            if attr(d, "type").is_some_and(|t| t.contains("html")) {
                text
            } else {
                plain_to_html(&text)
            }
        });
        media
            .into_iter()
            .chain(
                [
                    doc.child(e, ITUNES, "summary"),
                    doc.child(e, ITUNES, "subtitle"),
                    doc.children(e).find(|c| c.local == "abstract" && is_rss(c)),
                ]
                .into_iter()
                .flatten()
                .map(|c| {
                    if c.raw_html {
                        doc.text(c)
                    } else {
                        plain_to_html(&doc.text(c))
                    }
                }),
            )
            .find(|s| !s.trim().is_empty())
    }

    /// RSS enclosures, Atom `rel="enclosure"` links and Media RSS content,
    /// each URL once; an iTunes duration goes to the first.
    fn enclosures(&self, e: &Element) -> Vec<Enclosure> {
        let doc = self.doc;
        // Each candidate: its element, and the attributes naming its URL,
        // type and length.
        let mut candidates: Vec<(&Element, &str, &str)> = Vec::new();
        for c in doc.children(e) {
            match (c.ns.as_str(), c.local.as_str()) {
                (_, "enclosure") if is_rss(c) => candidates.push((c, "url", "length")),
                (_, "link")
                    if (is_atom(c) || is_rss(c))
                        && attr(c, "rel").is_some_and(|r| r.trim() == "enclosure") =>
                {
                    candidates.push((c, "href", "length"))
                }
                (MEDIA, "content") => candidates.push((c, "url", "fileSize")),
                (MEDIA, "group") => candidates.extend(
                    doc.children(c)
                        .filter(|m| m.ns == MEDIA && m.local == "content")
                        .map(|m| (m, "url", "fileSize")),
                ),
                _ => {}
            }
        }
        let mut out: Vec<Enclosure> = Vec::new();
        for (c, url, length) in candidates {
            let Some(url) = attr(c, url).map(str::trim).filter(|u| !u.is_empty()) else {
                continue;
            };
            let url = xml::join(c.base.as_deref(), url);
            if out.iter().any(|o| o.url == url) {
                continue;
            }
            out.push(Enclosure {
                url,
                mime_type: attr(c, "type")
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .unwrap_or("application/octet-stream")
                    .to_string(),
                length: attr(c, length)
                    .and_then(|l| l.trim().parse().ok())
                    .unwrap_or(0),
                duration: attr(c, "duration").and_then(parse_duration),
            });
        }
        if let Some(duration) = doc
            .child(e, ITUNES, "duration")
            .and_then(|d| parse_duration(&doc.text(d)))
            && let Some(first) = out.first_mut()
            && first.duration.is_none()
        {
            first.duration = Some(duration);
        }
        out
    }

    fn first_text(&self, e: &Element, names: &[(&str, &str)]) -> Option<String> {
        names.iter().find_map(|(ns, local)| {
            self.doc
                .child(e, ns, local)
                .map(|c| self.doc.text(c).trim().to_string())
                .filter(|t| !t.is_empty())
        })
    }
}

/// Where each dialect keeps an item's publication date, best first.
fn published_names(atom: bool) -> &'static [(&'static str, &'static str)] {
    if atom {
        &[
            (ATOM, "published"),
            (ATOM03, "issued"),
            (ATOM03, "created"),
            (DCTERMS, "issued"),
            (DC, "date"),
        ]
    } else {
        &[
            ("", "pubDate"),
            (DC, "date"),
            (DCTERMS, "issued"),
            (DCTERMS, "created"),
            (ATOM, "published"),
            (DCTERMS, "date"),
        ]
    }
}

/// Where each dialect keeps when an item last changed, best first.
fn updated_names(atom: bool) -> &'static [(&'static str, &'static str)] {
    if atom {
        &[
            (ATOM, "updated"),
            (ATOM03, "modified"),
            (DCTERMS, "modified"),
        ]
    } else {
        &[
            (ATOM, "updated"),
            ("", "updated"),
            (DCTERMS, "modified"),
            ("", "lastBuildDate"),
        ]
    }
}

/// An absolute `http:` or `https:` URL, in any case.
fn is_web_address(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn attr<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// RSS elements: no namespace, RSS 1.0's or RSS 0.90's.
fn is_rss(e: &Element) -> bool {
    matches!(e.ns.as_str(), "" | RSS10 | RSS090 | RDF)
}

fn is_atom(e: &Element) -> bool {
    matches!(e.ns.as_str(), ATOM | ATOM03)
}

/// A person's name from how feeds write one: `email (Name)` and
/// `Name <email>` give the name; an email alone is kept.
fn person_name(text: &str) -> Option<String> {
    let t = crate::text::collapse_whitespace(text);
    if t.is_empty() {
        return None;
    }
    if let Some(open) = t.find('(')
        && t.ends_with(')')
    {
        let inside = t[open + 1..t.len() - 1].trim();
        let outside = t[..open].trim();
        // `email (Name)` and `Name (email)` are both common; parentheses
        // without an email in either part are part of the name.
        let email = |s: &str| s.contains('@') || s.starts_with("mailto:");
        let name = match (email(outside), email(inside)) {
            (true, false) if !inside.is_empty() => inside,
            (false, true) if !outside.is_empty() => outside,
            _ => t.as_str(),
        };
        return Some(name.to_string()).filter(|s| !s.is_empty());
    }
    if let Some(open) = t.find('<')
        && t.ends_with('>')
    {
        let name = t[..open].trim().trim_matches('"');
        return Some(
            if name.is_empty() {
                t[open + 1..t.len() - 1].trim()
            } else {
                name
            }
            .to_string(),
        );
    }
    Some(t)
}

/// A podcast duration: seconds, `MM:SS` or `HH:MM:SS` (fractions dropped).
fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = 0u64;
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 3 {
        return None;
    }
    for part in parts {
        let whole = part.split('.').next()?.trim();
        let n: u64 = whole.parse().ok()?;
        total = total.checked_mul(60)?.checked_add(n)?;
    }
    Some(total)
}

fn escape(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// Plain text as HTML: escaped, with its line breaks kept.
fn plain_to_html(text: &str) -> String {
    escape(text.trim()).replace('\n', "<br>\n")
}

/// A feed-rs text construct as HTML. RSS titles and descriptions are HTML by
/// common practice; Atom `type="text"` and JSON Feed text are plain, so they
/// are escaped to keep a literal `&lt;` literal when normalization reads
/// them as HTML.
fn as_html(text: feed_rs::model::Text, atom: bool) -> String {
    let is_plain = text.content_type.to_string().starts_with("text/plain");
    if is_plain && atom {
        escape(&text.content)
    } else {
        text.content
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(bytes: &[u8], ct: Option<&str>) -> ParsedFeed {
        parse(bytes, ct, "https://example.org/feed", usize::MAX, |t| {
            DateTime::parse_from_rfc2822(t)
                .or_else(|_| DateTime::parse_from_rfc3339(t))
                .ok()
                .map(|d| d.with_timezone(&Utc))
        })
        .unwrap()
    }

    #[test]
    fn rss2_items() {
        let f = parse_str(
            br#"<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title><link>https://example.org/</link><ttl>60</ttl>
<item><title>A &amp;amp; B</title><link>/a?utm_source=x</link><guid>g1</guid><dc:creator>Ann</dc:creator><pubDate>Mon, 31 Jul 2017 10:00:00 +0200</pubDate><description>&lt;p&gt;hi&lt;/p&gt;</description><category>News</category><enclosure url="https://example.org/a.mp3" length="12" type="audio/mpeg"/></item>
<item><title>No guid</title><link>https://example.org/b</link></item>
</channel></rss>"#,
            None,
        );
        assert_eq!(f.title.as_deref(), Some("T"));
        assert_eq!(f.ttl, Some(60));
        let a = &f.items[0];
        assert_eq!(a.guid.as_deref(), Some("g1"));
        assert_eq!(a.title.as_deref(), Some("A &amp; B"));
        assert_eq!(a.authors, ["Ann"]);
        assert_eq!(a.summary_html.as_deref(), Some("<p>hi</p>"));
        assert_eq!(a.categories, ["News"]);
        assert_eq!(a.enclosures[0].length, 12);
        assert_eq!(
            a.published,
            Some(RawDate::At(
                DateTime::parse_from_rfc3339("2017-07-31T08:00:00Z").unwrap()
            ))
        );
        assert_eq!(f.items[1].guid, None);
    }

    #[test]
    fn atom_text_titles_are_escaped_for_html_reading() {
        let f = parse_str(
            br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:x</id><updated>2017-07-31T10:00:00Z</updated>
<entry><id>urn:e1</id><title type="text">x &lt; y</title><link rel="alternate" href="https://example.org/e1"/><updated>2017-07-31T10:00:00Z</updated><content type="html">&lt;b&gt;b&lt;/b&gt;</content></entry></feed>"#,
            None,
        );
        let e = &f.items[0];
        assert_eq!(e.title.as_deref(), Some("x &lt; y"));
        assert_eq!(e.link.as_deref(), Some("https://example.org/e1"));
        assert_eq!(e.content_html.as_deref(), Some("<b>b</b>"));
    }

    #[test]
    fn http_charset_and_declarations() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Caf\xe9</title><item><title>\xc9t\xe9</title><guid>1</guid></item></channel></rss>";
        assert_eq!(
            parse_str(latin1, None).items[0].title.as_deref(),
            Some("Été")
        );
        assert_eq!(
            parse_str(latin1, Some("text/xml; charset=iso-8859-1")).items[0]
                .title
                .as_deref(),
            Some("Été")
        );
        // A wrong UTF-8 label does not beat a correct declaration.
        assert_eq!(
            parse_str(latin1, Some("text/xml; charset=utf-8")).items[0]
                .title
                .as_deref(),
            Some("Été")
        );
        // An undeclared document takes the HTTP charset.
        let bare = b"<rss version=\"2.0\"><channel><title>x</title><item><title>\xe0 la</title><guid>1</guid></item></channel></rss>";
        assert_eq!(
            parse_str(bare, Some("application/rss+xml; charset=\"windows-1252\"")).items[0]
                .title
                .as_deref(),
            Some("à la")
        );
    }

    #[test]
    fn root_xml_base_is_inherited() {
        let f = parse_str(
            br#"<?xml version="1.0"?><!-- c --><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://x.example/blog/"><title>T</title><id>urn:x</id><updated>2017-07-31T10:00:00Z</updated>
<entry><id>urn:a</id><title>a</title><updated>2017-07-31T10:00:00Z</updated></entry>
<entry><id>urn:b</id><title>b</title><updated>2017-07-31T10:00:00Z</updated><content type="html" xml:base="/other/">x</content></entry></feed>"#,
            None,
        );
        assert_eq!(
            f.items[0].base_url.as_deref(),
            Some("https://x.example/blog/")
        );
        assert_eq!(
            f.items[1].base_url.as_deref(),
            Some("https://x.example/other/")
        );
    }

    #[test]
    fn broken_documents_are_recovered() {
        let f = parse_str(
            b"<rss version=\"2.0\"><channel><title>x</title><item><title>Tom & Jerry &amp; co &#233;</title><guid>1</guid></item></channel></rss>",
            None,
        );
        assert_eq!(f.items[0].title.as_deref(), Some("Tom & Jerry & co \u{e9}"));
        let f = parse_str(
            b"<rss version=\"2.0\"><channel><title>x</title><item><title>caf\xc3\xa9 \xff ok</title><guid>1</guid></item></channel></rss>",
            None,
        );
        // A stray byte in UTF-8 is read as windows-1252, as feedparser does.
        assert_eq!(f.items[0].title.as_deref(), Some("caf\u{e9} \u{ff} ok"));
    }

    #[test]
    fn entities_are_never_expanded_nor_fetched() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><rss version="2.0"><channel><title>x</title><item><title>&d;</title><guid>1</guid></item></channel></rss>"#;
        assert_eq!(parse_str(bomb, None).items[0].title.as_deref(), Some("&d;"));
        let dir = std::env::temp_dir().join(format!("tidings-xxe-{}", std::process::id()));
        std::fs::write(&dir, "SECRET").unwrap();
        let xxe = format!(
            r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{}">]><rss version="2.0"><channel><title>x</title><item><title>a&x;b</title><guid>1</guid></item></channel></rss>"#,
            dir.display()
        );
        let title = parse_str(xxe.as_bytes(), None).items[0]
            .title
            .clone()
            .unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert!(!title.contains("SECRET"), "{title}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        for depth in [60_000, 200_000] {
            let mut doc = b"<rss version=\"2.0\"><channel><title>x</title><item><title>t</title><guid>1</guid><description>".to_vec();
            doc.extend(b"<a>".repeat(depth));
            doc.extend(b"</description></item></channel></rss>");
            // Either outcome is fine; returning at all (no stack overflow) is the point.
            let _ = parse(&doc, None, "https://x.example/", usize::MAX, |_| None);
        }
    }

    #[test]
    fn a_declaration_with_a_strange_quote_is_malformed_not_a_crash() {
        // Found by fuzzing: a multi-byte character where the quote belongs.
        assert_eq!(
            crate::text::decode::declared_encoding(
                "<?xml version=\"1.0\" encoding=\u{78d}tf-8\"?><rss/>".as_bytes()
            ),
            None
        );
        assert_eq!(
            crate::text::decode::declared_encoding(
                b"<?xml version='1.0' encoding='ISO-8859-1'?><rss/>"
            )
            .as_deref(),
            Some("ISO-8859-1")
        );
    }

    #[test]
    fn junk_before_the_feed_and_a_wrong_default_namespace() {
        let f = parse_str(
            b"<br />\n<b>Warning</b>: Undefined index in /var/www/feed.php on line 3<br />\n<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns=\"http://www.w3.org/2005/Atom\"><channel><title>T</title><item><title>Still read</title><link>https://x.example/1</link><description>Body</description></item></channel></rss>",
            None,
        );
        assert_eq!(f.items.len(), 1);
        let item = &f.items[0];
        assert_eq!(item.title.as_deref(), Some("Still read"));
        assert_eq!(item.link.as_deref(), Some("https://x.example/1"));
        assert_eq!(item.summary_html.as_deref(), Some("Body"));
    }

    #[test]
    fn feeds_inside_html_items_inside_unclosed_elements_and_web_alternates() {
        let wrapped = parse_str(
            br#"<!DOCTYPE html><html><body><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>urn:1</id><title>Wrapped</title>
<link rel="alternate" type="text/gemini" href="gemini://g.example/1"/><link rel="alternate" type="text/html" href="https://w.example/1"/></entry></feed></body></html>"#,
            None,
        );
        assert_eq!(wrapped.items.len(), 1);
        assert_eq!(
            wrapped.items[0].link.as_deref(),
            Some("https://w.example/1")
        );
        let unclosed = parse_str(
            b"<rss version='2.0'><channel><title>T</title><itunes:category text='Tech'><item><title>Inside</title><author>Author (name)</author></item><item><title>Also</title></item></channel></rss>",
            None,
        );
        let titles: Vec<_> = unclosed.items.iter().map(|i| i.title.as_deref()).collect();
        assert_eq!(titles, [Some("Inside"), Some("Also")]);
        assert_eq!(unclosed.items[0].authors, ["Author (name)"]);
    }

    #[test]
    fn html_page_is_named() {
        let e = parse(
            b"<!DOCTYPE html><html><body>hi</body></html>",
            None,
            "https://x.example/",
            usize::MAX,
            |_| None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("HTML page"), "{e}");
    }
}
