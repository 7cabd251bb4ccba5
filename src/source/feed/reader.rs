//! The tree's reading of the feed and each item: title, ids, links,
//! authors, dates, categories, enclosures, summary and content (Atom text
//! constructs of every type) and the summary fallbacks.

use super::dialect::{Construct, Dialect, construct_kind};
use super::xml::{
    self, ATOM, ATOM03, CONTENT, DC, DCTERMS, Document, Element, ITUNES, MEDIA, RDF, RSS10, RSS090,
};
use super::{DateParser, ParsedFeed};
use crate::model::{Enclosure, RawDate, RawItem};

/// Reads the feed and its items off the tree.
pub(super) struct Reader<'a> {
    pub(super) doc: &'a Document,
    /// Where the feed's root element is in the tree.
    pub(super) root_at: usize,
    pub(super) dialect: Dialect,
    pub(super) parse_date: DateParser<'a>,
}

impl Reader<'_> {
    pub(super) fn read(&self) -> ParsedFeed {
        let doc = self.doc;
        let root = &doc.elements[self.root_at];
        let channel = if self.dialect.atom() || root.local == "channel" {
            root
        } else {
            self.below_root()
                .find(|c| c.local == "channel")
                .unwrap_or(root)
        };
        let feed_authors = self.authors(channel);
        let items = self
            .items(root)
            .into_iter()
            .map(|item| {
                let mut raw = self.item(item);
                if raw.authors.is_empty() {
                    raw.authors = feed_authors.clone();
                }
                raw
            })
            .collect();
        // As HTML: whoever shows it reads it as such (`plain_text`).
        let title = self
            .html_of(
                channel,
                &[
                    ("", "title"),
                    (RSS10, "title"),
                    (RSS090, "title"),
                    (ATOM, "title"),
                    (ATOM03, "title"),
                ],
            )
            .filter(|t| !t.trim().is_empty());
        ParsedFeed {
            title,
            link: self.link(channel),
            ttl: self
                .first_text(channel, &[("", "ttl")])
                .and_then(|t| t.trim().parse().ok()),
            items,
            hubs: self.rel_links(channel, "hub"),
            self_link: self.rel_links(channel, "self").into_iter().next(),
        }
    }

    /// The `href` of each of an element's links whose `rel` names `rel`
    /// (Atom `<link>`, RSS `<atom:link>`), made absolute.
    pub(super) fn rel_links(&self, e: &Element, rel: &str) -> Vec<String> {
        self.doc
            .children(e)
            .filter(|c| c.local == "link" && (is_atom(c) || is_rss(c)))
            .filter(|c| {
                attr(c, "rel")
                    .is_some_and(|r| r.split_whitespace().any(|r| r.eq_ignore_ascii_case(rel)))
            })
            .filter_map(|c| {
                let href = attr(c, "href")?.trim();
                (!href.is_empty()).then(|| xml::join(c.base.as_deref(), href))
            })
            .collect()
    }

    /// The elements inside the feed's root, in document order.
    pub(super) fn below_root(&self) -> impl Iterator<Item = &Element> {
        self.doc.elements[self.root_at + 1..].iter()
    }

    /// The item elements, in document order, wherever they are: in the
    /// channel, beside it (RDF, or misplaced), or inside an element left
    /// unclosed before them; Atom entries likewise.
    pub(super) fn items<'b>(&'b self, root: &'b Element) -> Vec<&'b Element> {
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

    pub(super) fn item(&self, e: &Element) -> RawItem {
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
        let (summary, content) = self.texts(e);
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
            base_url: content_base.base.as_deref().map(str::to_owned),
        }
    }

    /// The first of the named text elements of `e`, as HTML.
    pub(super) fn html_of(&self, e: &Element, names: &[(&str, &str)]) -> Option<String> {
        let doc = self.doc;
        let found = names.iter().find_map(|(ns, local)| {
            doc.children(e)
                .find(|c| c.local == *local && (c.ns == *ns || (ns.is_empty() && is_rss(c))))
        })?;
        if is_atom(found) {
            self.text_construct(found)
        } else {
            Some(doc.text(found))
        }
    }

    pub(super) fn title(&self, e: &Element) -> Option<String> {
        self.html_of(e, &[("", "title"), (ATOM, "title"), (ATOM03, "title")])
    }

    /// An item's summary and content, as HTML: RSS `<description>` and
    /// `<content:encoded>`, Atom `<summary>` and `<content>`.
    /// The white space around them is no part of them.
    pub(super) fn texts(&self, e: &Element) -> (Option<String>, Option<String>) {
        (
            self.html_of(
                e,
                &[
                    ("", "description"),
                    (ATOM, "summary"),
                    (ATOM03, "summary"),
                    (DC, "description"),
                ],
            )
            .map(trim),
            self.html_of(
                e,
                &[(CONTENT, "encoded"), (ATOM, "content"), (ATOM03, "content")],
            )
            .map(trim),
        )
    }

    /// An Atom text construct (or content) as HTML, by its type: plain text
    /// escaped, HTML as it is, XHTML serialized as HTML, base64 decoded.
    /// Content that is elsewhere (`src`) has none here.
    pub(super) fn text_construct(&self, e: &Element) -> Option<String> {
        let doc = self.doc;
        let has_elements = || doc.children(e).next().is_some();
        Some(match construct_kind(e)? {
            Construct::Xhtml => doc.inner_html(xhtml_body(doc, e)),
            Construct::Html if e.raw_html || !has_elements() => doc.text(e),
            // HTML written as elements (Atom 0.3's `mode="xml"`): its markup.
            Construct::Html => doc.inner_html(e),
            Construct::Base64 => {
                let text: String = doc.text(e).split_whitespace().collect();
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            }
            // Markup in text (Atom 0.3's `mode="xml"`, or undeclared) is
            // markup, as feedparser reads it.
            Construct::Text if has_elements() => doc.inner_html(e),
            Construct::Text => escape(&doc.text(e)),
        })
    }

    /// The page an element (an item, or the channel) links to: RSS
    /// `<link>`, else an Atom `rel="alternate"` link (a link without `rel`
    /// is one). Never a comments page.
    pub(super) fn link(&self, e: &Element) -> Option<String> {
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
    pub(super) fn authors(&self, e: &Element) -> Vec<String> {
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
    pub(super) fn date(&self, e: &Element, names: &[(&str, &str)]) -> Option<RawDate> {
        let doc = self.doc;
        names.iter().find_map(|(ns, local)| {
            doc.children(e)
                .filter(|c| c.local == *local && (c.ns == *ns || (ns.is_empty() && is_rss(c))))
                .find_map(|c| (self.parse_date)(doc.text(c).trim()))
                .map(|d| RawDate::At(d.fixed_offset()))
        })
    }

    pub(super) fn categories(&self, e: &Element) -> Vec<String> {
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
    pub(super) fn title_fallback(&self, e: &Element) -> Option<String> {
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
    pub(super) fn summary_fallback(&self, e: &Element) -> Option<String> {
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
    pub(super) fn enclosures(&self, e: &Element) -> Vec<Enclosure> {
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

    pub(super) fn first_text(&self, e: &Element, names: &[(&str, &str)]) -> Option<String> {
        names.iter().find_map(|(ns, local)| {
            self.doc
                .child(e, ns, local)
                .map(|c| self.doc.text(c).trim().to_string())
                .filter(|t| !t.is_empty())
        })
    }
}

/// What an XHTML construct holds: the content of its one `<div>` (which
/// the construct's type requires), or everything when it has more.
fn xhtml_body<'a>(doc: &'a Document, e: &'a Element) -> &'a Element {
    let mut elements = doc.children(e);
    let only_div = elements
        .next()
        .filter(|div| div.local == "div" && elements.next().is_none());
    let text_outside = e.content.iter().any(|c| match c {
        xml::Content::Text(t) => !t.trim().is_empty(),
        xml::Content::Element(_) => false,
    });
    match only_div {
        Some(div) if !text_outside => div,
        _ => e,
    }
}

/// Where each dialect keeps an item's publication date, best first.
pub(super) fn published_names(atom: bool) -> &'static [(&'static str, &'static str)] {
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
pub(super) fn updated_names(atom: bool) -> &'static [(&'static str, &'static str)] {
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
pub(super) fn is_web_address(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

pub(super) fn attr<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// RSS elements: no namespace, RSS 1.0's or RSS 0.90's.
pub(super) fn is_rss(e: &Element) -> bool {
    matches!(e.ns.as_str(), "" | RSS10 | RSS090 | RDF)
}

pub(super) fn is_atom(e: &Element) -> bool {
    matches!(e.ns.as_str(), ATOM | ATOM03)
}

/// A person's name from how feeds write one: `email (Name)` and
/// `Name <email>` give the name; an email alone is kept.
pub(super) fn person_name(text: &str) -> Option<String> {
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
pub(super) fn parse_duration(text: &str) -> Option<u64> {
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

/// `text` without the white space around it, in place.
fn trim(mut text: String) -> String {
    text.truncate(text.trim_end().len());
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
    text
}

pub(super) fn escape(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// Plain text as HTML: escaped, with its line breaks kept.
pub(super) fn plain_to_html(text: &str) -> String {
    escape(text.trim()).replace('\n', "<br>\n")
}
