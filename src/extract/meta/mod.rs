//! The page's metadata: headline, authors, dates and canonical URL, from
//! structured data first and the visible byline last. Also marks the headline
//! and the byline and date lines for [`super::body`] to cut.
//!
//! This file reads the structured data (JSON-LD, `<meta>`) and puts the
//! answer together; `title` takes the site's name off `<title>`, `byline`
//! finds the authors, `dates` the dates.

mod byline;
mod dates;
mod title;

use byline::{
    WRITTEN_BY, card_authors, classed_authors, completed, is_given_name, labelled_authors,
    marked_authors, visible_byline, without_credit,
};
pub(super) use byline::{byline_names, clean_author};
pub(super) use dates::url_date;
use dates::{dated_element, european, labelled_date, local_day, opening_date, time_element};
use title::{
    heading_text, holds_headline, is_masthead, is_masthead_text, names_site, sets_off, shares_word,
    site_names, title_tag, without_site,
};

use super::chrome::{CHROME_MARK, CUT_MARK, in_chrome, in_hard_chrome};
use super::collapse;
use dom_query::{Document, NodeRef};
use serde_json::{Map, Value};
use std::cell::OnceCell;
use std::collections::HashMap;
use url::Url;

/// What the metadata says; `None` where the page says nothing.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub canonical: Option<String>,
}

/// schema.org types whose `headline`, `author` and dates describe the page's
/// article (a recipe, a how-to and a forum's opening post are what their
/// pages are about, as an article is).
const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "NewsArticle",
    "BlogPosting",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "LiveBlogPosting",
    "TechArticle",
    "ScholarlyArticle",
    "SocialMediaPosting",
    "DiscussionForumPosting",
    "Report",
    "Recipe",
    "HowTo",
];

/// How many text blocks under the headline may hold the byline and date.
const BYLINE_BLOCKS: usize = 6;

/// Whether `text` is a line holding only a date (see [`dates::date_line`]).
pub(super) fn is_date_line(text: &str) -> bool {
    dates::date_line(text).is_some()
}

/// A block this long is body text: the byline search stops there.
const BODY_BLOCK_CHARS: usize = 100;

/// Reads the metadata (see the module doc) and marks the headline, byline
/// and date elements with [`CUT_MARK`]. `url`, where the page came from,
/// helps tell the site's name in the title from the headline.
pub(super) fn read(doc: &Document, url: Option<&Url>) -> Found {
    let parts = Parts::of(doc);
    // A page's broken JSON-LD block is skipped, not fatal: the others and
    // the meta tags still count.
    let ld_values: Vec<Value> = parts
        .json_ld
        .iter()
        .filter_map(|s| serde_json::from_str::<Value>(s.text().trim()).ok())
        .collect();
    let ld = json_ld(&ld_values);
    let metas = meta_tags(&parts.metas);
    let meta = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| metas.get(*k))
            .map(|v| collapse(&html_escape::decode_html_entities(v)))
            .filter(|v| !v.is_empty())
    };

    let sites = site_names(&metas, ld.as_ref(), url);
    let declared = ld
        .as_ref()
        .and_then(|a| text_of(a.get("headline")).or_else(|| text_of(a.get("name"))))
        .or_else(|| {
            meta(&[
                "og:title",
                "twitter:title",
                "dc:title",
                "dc.title",
                "parsely-title",
            ])
        });
    let whole_tag = parts.title.as_ref().map(|t| collapse(&t.text()));
    let heading = headline(&parts, &sites, [declared.as_deref(), whole_tag.as_deref()]);
    let heading_text = heading.as_ref().map(heading_text);
    let tag = parts.title.as_ref().and_then(title_tag);
    let title = declared
        .map(|t| without_site(&t, &sites))
        // A declared title that is only the site's name, or a section's
        // (`Pressemitteilungen`) sharing no word with a `<title>` that the
        // headline shares one with, names no article.
        .filter(|t| {
            !is_masthead_text(t, &sites)
                && !matches!((&tag, &heading_text), (Some(tag), Some(h))
                    if tag.split_whitespace().count() >= 3
                        && !shares_word(t, tag)
                        && shares_word(h, tag))
        })
        .or_else(|| {
            // Without a declared title, the headline and the `<title>`
            // should say the same thing; when they share no word, one is
            // the page's chrome (a section or the site's name), and the
            // one with more words names the page more closely.
            match (heading_text.clone().filter(|t| !t.is_empty()), &tag) {
                (Some(h), Some(t))
                    if !shares_word(&h, t)
                        && t.split_whitespace().count() > h.split_whitespace().count() =>
                {
                    tag.clone()
                }
                (h, _) => h.or_else(|| tag.clone()),
            }
        });
    let title = title.map(|t| without_site(&t, &sites));
    // A declared title often carries the site's name or a section
    // (`Headline | Site`, `Section: Headline`) that the visible headline
    // lacks: the headline wins when the title holds it.
    // The declared title may also be an older or a search engine's wording
    // of the headline the page shows (`Kein Zutritt mehr` over `Kein
    // Zugang mehr`): when the two share most of their words, the visible
    // headline is what the reader saw, unless it holds the title and more
    // (a kicker or a section before it: `Local News | Headline`).
    // And where the visible headline is the `<title>` (less the site's
    // name) word for word, the two the reader sees agree: a declared title
    // that says something else (`Wikimedia list article`) is for others.
    let title = match (title, &heading_text) {
        (Some(t), Some(h))
            if (t.len() > h.len() && holds_headline(&t, h) && sets_off(&t, h))
                || (h.split_whitespace().count() >= 2
                    && rewords(h, &t)
                    && !h.to_lowercase().contains(&t.to_lowercase()))
                || (h.split_whitespace().count() >= AGREED_WORDS
                    && tag
                        .as_deref()
                        .is_some_and(|g| g.to_lowercase() == h.to_lowercase())
                    && !t.to_lowercase().contains(&h.to_lowercase())) =>
        {
            Some(h.clone())
        }
        (t, _) => t,
    };
    let title = title.map(|t| without_site(&t, &sites));
    let title = title.map(|t| dates::after_opening_date(&t).map_or(t.clone(), str::to_string));
    if let (Some(h), Some(heading_text), Some(title)) = (&heading, &heading_text, &title) {
        let (a, b) = (heading_text.to_lowercase(), title.to_lowercase());
        if !a.is_empty() && (a.contains(&b) || b.contains(&a)) {
            h.set_attr(CUT_MARK, "");
        }
    }

    // The headline's own header is no chrome for its byline and date, even
    // where a wrapper of the article is named like chrome (`<div
    // id="sidebar">` holding the headline and the text): the marks on the
    // headline's ancestors are lifted while the metadata is read. So are
    // those on the ancestors of the page's one hAtom entry (Blogger's
    // `<div class="post hentry">` in a `<div class="widget Blog">`, its
    // headline an `<h3>`): its byline and date are the article's.
    let entry = match parts.entries.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let lifted: Vec<(NodeRef, String)> = heading
        .iter()
        .chain(entry.iter())
        .flat_map(|h| std::iter::once(*h).chain(h.ancestors_it(None)))
        .filter_map(|a| a.attr(CHROME_MARK).map(|v| (a, v.to_string())))
        .collect();
    for (a, _) in &lifted {
        a.remove_attr(CHROME_MARK);
    }

    let visible = heading.as_ref().map(visible_byline).unwrap_or_default();

    let mut declared = ld
        .as_ref()
        .map(|a| names(a.get("author"), &ld_values))
        .unwrap_or_default();
    let mut tagged = meta(&[
        "author",
        "article:author",
        "dc.creator",
        "byl",
        "parsely-author",
        "sailthru.author",
    ])
    .filter(|a| !a.starts_with("http://") && !a.starts_with("https://"))
    .map(|a| vec![a.strip_prefix("By ").unwrap_or(&a).to_string()])
    .unwrap_or_default();
    // The first source that names someone wins, but the site's own name as
    // the author (`ORF.at`, `National Geographic`) says who published, not
    // who wrote: a writer named by a later source beats it.
    // Yoast's reading-time labels: `twitter:label1` "Written by" names the
    // writer in `twitter:data1`.
    let mut labelled = meta(&["twitter:label1"])
        .filter(|l| WRITTEN_BY.contains(&l.to_lowercase().as_str()))
        .and_then(|_| meta(&["twitter:data1"]))
        .map(|a| vec![a])
        .unwrap_or_default();
    // The page's texts, walked at most once for the author's and the
    // date's label searches: the chrome marks they read stay as they are
    // until the lifted ones are put back.
    let texts = OnceCell::new();
    let texts = || texts.get_or_init(|| page_texts(doc)).as_slice();
    // The sources are read in turn, a later one only where the earlier
    // found no writer: the element searches cost more than the rest.
    let mut visible_authors = Some(visible.authors);
    let mut sources: [&mut dyn FnMut() -> Vec<String>; 11] = [
        &mut || std::mem::take(&mut declared),
        &mut || std::mem::take(&mut tagged),
        &mut || std::mem::take(&mut labelled),
        &mut || marked_authors(doc, in_chrome),
        &mut || visible_authors.take().unwrap_or_default(),
        &mut || classed_authors(doc, in_chrome),
        &mut || card_authors(doc, in_chrome),
        &mut || labelled_authors(texts()),
        // Last, the author's box, the article's footer or a caption.
        &mut || marked_authors(doc, in_hard_chrome),
        &mut || classed_authors(doc, in_hard_chrome),
        &mut || card_authors(doc, in_hard_chrome),
    ];
    let mut first_named: Option<Vec<String>> = None;
    let mut authors = None;
    for source in &mut sources {
        let found = source();
        if found.is_empty() {
            continue;
        }
        // A user name (`christian.stadtfeld`) says who posted, and an
        // organization (`Hanns-Seidel-Stiftung e.V.`, `finanztreff.de`)
        // who published; a later source may name the writer.
        if !found
            .iter()
            .all(|n| names_site(n, &sites) || is_handle(n) || is_organization(n))
        {
            authors = Some(found);
            break;
        }
        first_named.get_or_insert(found);
    }
    let authors: Vec<String> = authors
        .or(first_named)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| without_credit(a, |p| names_site(p, &sites)))
        .collect();
    // A writer named by a given name alone (`Nils`) whom the page names in
    // full elsewhere.
    let authors = match authors.as_slice() {
        [one] if is_given_name(one) => vec![completed(doc, one).unwrap_or_else(|| one.clone())],
        _ => authors,
    };

    let shown = visible.date.clone();
    let published = ld
        .as_ref()
        .and_then(|a| text_of(a.get("datePublished")).or_else(|| text_of(a.get("dateCreated"))))
        .or_else(|| {
            meta(&[
                "article:published_time",
                "og:published_time",
                "datepublished",
                "date",
                "pubdate",
                "dc.date",
                "dc.date.issued",
                "parsely-pub-date",
                "sailthru.date",
                "publication_date",
                "publish-date",
                "publishdate",
                "dcterms.date",
                "dcterms.created",
                "dc.date.created",
                "datecreated",
                "uploaddate",
            ])
        })
        // The page's JSON-LD may describe it as no article (a `WebPage`,
        // a `Recipe`, a `VideoObject`) and still date it.
        .or_else(|| typed_date(&ld_values))
        .or_else(|| time_element(doc, in_chrome))
        .or(visible.date)
        .or_else(|| dated_element(doc, in_chrome))
        .or_else(|| labelled_date(texts()))
        // Last, a date in the article's header or footer, or a caption,
        // or the one that opens the title (`23.01.2022 - Headline`).
        .or_else(|| time_element(doc, in_hard_chrome))
        .or_else(|| dated_element(doc, in_hard_chrome))
        .or_else(|| whole_tag.as_deref().and_then(opening_date))
        .map(|d| {
            local_day(&d, || shown.or_else(|| time_element(doc, in_chrome)))
                .or_else(|| european(&d))
                .unwrap_or(d)
        });
    let updated = ld
        .as_ref()
        .and_then(|a| text_of(a.get("dateModified")))
        .or_else(|| meta(&["article:modified_time", "og:updated_time", "datemodified"]));

    let canonical = parts
        .links
        .iter()
        .find(|l| {
            l.attr("rel").is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("canonical"))
            })
        })
        .and_then(|l| l.attr("href"))
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| meta(&["og:url"]))
        .or_else(|| {
            ld.as_ref().and_then(|a| {
                text_of(a.get("url")).or_else(|| match a.get("mainEntityOfPage") {
                    Some(Value::Object(o)) => text_of(o.get("@id")),
                    other => text_of(other),
                })
            })
        });

    for (a, mark) in &lifted {
        a.set_attr(CHROME_MARK, mark);
    }

    Found {
        title,
        authors,
        published,
        updated,
        canonical,
    }
}

/// Whether an author is a user name: one lowercase word (`jancak`,
/// `christian.stadtfeld`).
fn is_handle(name: &str) -> bool {
    !name.contains(char::is_whitespace)
        && name.chars().any(char::is_alphabetic)
        && !name.chars().any(char::is_uppercase)
}

/// Words of an organization's name: a legal form (`e.V.`, `GmbH`), or a
/// newsroom's (`Redaktion`, `Editorial Team`), lowercase.
const ORGANIZATION_WORDS: &[&str] = &[
    "e.v.",
    "ev",
    "gmbh",
    "ag",
    "ltd",
    "ltd.",
    "inc",
    "inc.",
    "llc",
    "s.a.",
    "gbr",
    "kg",
    "redaktion",
    "editorial",
    "newsroom",
    "team",
    "agencies",
    "stiftung",
    "verband",
];

/// Whether an author is an organization, not a writer: its name holds a
/// legal form or a newsroom's word ([`ORGANIZATION_WORDS`]), or is a
/// host name (`finanztreff.de`, `Motorsport-Total.com`).
fn is_organization(name: &str) -> bool {
    name.split_whitespace().any(|w| {
        let w = w.to_lowercase();
        ORGANIZATION_WORDS.contains(&w.as_str())
            || w.rsplit_once('.').is_some_and(|(host, tld)| {
                !host.is_empty()
                    && (2..=4).contains(&tld.len())
                    && tld.chars().all(|c| c.is_ascii_lowercase())
            })
    })
}

/// A visible headline that is the `<title>` word for word beats the
/// declared title when it has this many words (a section's name, `News`,
/// may be both).
const AGREED_WORDS: usize = 4;

/// A visible headline shares this share of the words of the longer of it
/// and the declared title when it words the same headline.
const REWORDED_SHARE: f64 = 0.6;

/// Whether `heading` and `title` are two wordings of one headline: most of
/// the words of the longer are in the other.
fn rewords(heading: &str, title: &str) -> bool {
    let words = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (h, t) = (words(heading), words(title));
    let common = h.iter().filter(|w| t.contains(w)).count();
    common as f64 >= REWORDED_SHARE * h.len().max(t.len()) as f64
}

/// The elements of the page the metadata reads, found in one walk of the
/// page (a selector for each was a walk each), in document order.
#[derive(Default)]
struct Parts<'a> {
    /// `script[type="application/ld+json"]`.
    json_ld: Vec<NodeRef<'a>>,
    /// `meta[content]`.
    metas: Vec<NodeRef<'a>>,
    /// `link[rel][href]`.
    links: Vec<NodeRef<'a>>,
    h1: Vec<NodeRef<'a>>,
    h2: Vec<NodeRef<'a>>,
    /// The first `<title>`.
    title: Option<NodeRef<'a>>,
    /// hAtom entries: elements of class `hentry`.
    entries: Vec<NodeRef<'a>>,
}

impl<'a> Parts<'a> {
    fn of(doc: &'a Document) -> Parts<'a> {
        let mut parts = Parts::default();
        for node in doc.root().descendants_it() {
            let Some(element) = node.element_ref() else {
                continue;
            };
            let has = |name: &str| element.attrs.iter().any(|a| &*a.name.local == name);
            if element.attrs.iter().any(|a| {
                &*a.name.local == "class" && a.value.split_ascii_whitespace().any(|c| c == "hentry")
            }) {
                parts.entries.push(node);
            }
            let list = match &*element.name.local {
                "script"
                    if element.attrs.iter().any(|a| {
                        &*a.name.local == "type"
                            && a.value.eq_ignore_ascii_case("application/ld+json")
                    }) =>
                {
                    &mut parts.json_ld
                }
                "meta" if has("content") => &mut parts.metas,
                "link" if has("rel") && has("href") => &mut parts.links,
                "h1" => &mut parts.h1,
                "h2" => &mut parts.h2,
                "title" => {
                    parts.title.get_or_insert(node);
                    continue;
                }
                _ => continue,
            };
            list.push(node);
        }
        parts
    }
}

/// The first schema.org article object in the page's JSON-LD (`values`,
/// one a script), looking into arrays and `@graph`.
fn json_ld(values: &[Value]) -> Option<Map<String, Value>> {
    fn find(value: &Value) -> Option<&Map<String, Value>> {
        match value {
            Value::Array(list) => list.iter().find_map(find),
            Value::Object(obj) => {
                if let Some(found) = obj.get("@graph").and_then(find) {
                    return Some(found);
                }
                let typed = match obj.get("@type") {
                    Some(Value::String(t)) => ARTICLE_TYPES.contains(&t.as_str()),
                    Some(Value::Array(ts)) => ts
                        .iter()
                        .any(|t| t.as_str().is_some_and(|t| ARTICLE_TYPES.contains(&t))),
                    _ => false,
                };
                typed.then_some(obj)
            }
            _ => None,
        }
    }
    values.iter().find_map(find).map(|obj| {
        let mut obj = obj.clone();
        obj.remove("@graph");
        obj
    })
}

/// The first `datePublished` (or a video's `uploadDate`) of any object in
/// the page's JSON-LD, whatever its type.
fn typed_date(values: &[Value]) -> Option<String> {
    fn find(value: &Value) -> Option<String> {
        match value {
            Value::Array(list) => list.iter().find_map(find),
            Value::Object(obj) => text_of(obj.get("datePublished"))
                .or_else(|| text_of(obj.get("uploadDate")))
                .or_else(|| obj.values().find_map(find)),
            _ => None,
        }
    }
    values.iter().find_map(find)
}

/// The `name` of the JSON-LD object whose `@id` is `id`, anywhere in the
/// page's JSON-LD: Yoast's graphs name the author once, in a `Person`, and
/// the article refers to it (`"author": {"@id": "…#author"}`).
fn named_by_id(values: &[Value], id: &str) -> Option<String> {
    fn find(value: &Value, id: &str) -> Option<String> {
        match value {
            Value::Array(list) => list.iter().find_map(|v| find(v, id)),
            Value::Object(obj) => {
                if obj.get("@id").and_then(Value::as_str) == Some(id)
                    && let Some(name) = text_of(obj.get("name"))
                {
                    return Some(name);
                }
                obj.values().find_map(|v| find(v, id))
            }
            _ => None,
        }
    }
    values.iter().find_map(|v| find(v, id))
}

/// A JSON-LD value as text: a string, or the first string of a list.
fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => {
            Some(collapse(&html_escape::decode_html_entities(s))).filter(|s| !s.is_empty())
        }
        Value::Array(list) => list.iter().find_map(|v| text_of(Some(v))),
        _ => None,
    }
}

/// Author names from a JSON-LD `author`: a string, an object with a `name`
/// (or the `@id` of one elsewhere in the page's JSON-LD, `values`), or a
/// list of either.
fn names(value: Option<&Value>, values: &[Value]) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![collapse(s)],
        Some(Value::Object(o)) => text_of(o.get("name"))
            .or_else(|| {
                o.get("@id")
                    .and_then(Value::as_str)
                    .and_then(|id| named_by_id(values, id))
            })
            .into_iter()
            .collect(),
        Some(Value::Array(list)) => list.iter().flat_map(|v| names(Some(v), values)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|n| !n.is_empty())
    .collect()
}

/// `<meta>` contents by lowercased `property`, `name` or `itemprop` (each
/// of the words of one); the first of each wins.
fn meta_tags(metas: &[NodeRef]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for m in metas {
        let Some(content) = m.attr("content") else {
            continue;
        };
        // RDFa lets one tag give several properties
        // (`property="og:title twitter:title"`).
        for key in ["property", "name", "itemprop"] {
            if let Some(k) = m.attr(key) {
                for k in k.split_ascii_whitespace() {
                    map.entry(k.to_ascii_lowercase())
                        .or_insert_with(|| content.to_string());
                }
            }
        }
    }
    map
}

/// A headline is at most this many words: an `<h1>` holding more is a
/// caption or a teaser set in one.
const HEADLINE_WORDS: usize = 30;

/// The headline element: the first `<h1>` that a title (`titles`, the
/// declared one and the `<title>`) holds, even in what looks like chrome,
/// else the first `<h1>` outside the page chrome, else the first such
/// `<h2>`; never the site's masthead (see [`is_masthead`]) nor a text
/// longer than a headline.
fn headline<'a>(
    parts: &Parts<'a>,
    sites: &[String],
    titles: [Option<&str>; 2],
) -> Option<NodeRef<'a>> {
    let held = parts.h1.iter().find(|h| {
        let text = heading_text(h);
        titles.iter().flatten().any(|t| holds_headline(t, &text))
            && !is_masthead(h, &collapse(&h.text()), sites)
    });
    if held.is_some() {
        return held.copied();
    }
    [&parts.h1, &parts.h2].iter().find_map(|tags| {
        tags.iter()
            .find(|h| {
                let text = collapse(&h.text());
                !in_chrome(h)
                    && !text.is_empty()
                    && text.split_whitespace().count() <= HEADLINE_WORDS
                    && !is_masthead(h, &text, sites)
            })
            .copied()
    })
}

/// The page's texts outside the chrome, each text node's whitespace
/// collapsed, the blank ones left out, in document order: what the label
/// searches read (a label and its value may be in elements of their own).
fn page_texts(doc: &Document) -> Vec<String> {
    fn texts(node: &NodeRef, out: &mut Vec<String>) {
        for child in node.children_it(false) {
            if child.is_text() {
                let text = collapse(&child.text());
                if !text.is_empty() {
                    out.push(text);
                }
            } else if child.is_element() && !child.has_attr(CHROME_MARK) {
                texts(&child, out);
            }
        }
    }
    let mut all = Vec::new();
    if let Some(body) = doc.select_single("body").nodes().first() {
        texts(body, &mut all);
    }
    all
}

/// Which chrome hides an element from the metadata: [`in_chrome`], or, as
/// the last resort, only [`in_hard_chrome`] (a header, a footer, a
/// caption or an author's box may say who wrote the article and when).
pub(super) type Hidden = fn(&NodeRef) -> bool;

/// The first `Some` that `read` makes of the texts (as `text_of` reads
/// them, whitespace collapsed, at most a body block long) of the elements
/// `selector` matches outside the chrome (what `hidden` says it is), in
/// document order: bylines and dates in elements whose class names them.
pub(super) fn first_labelled<T>(
    doc: &Document,
    selector: &str,
    hidden: Hidden,
    text_of: fn(&NodeRef) -> String,
    mut read: impl FnMut(&str) -> Option<T>,
) -> Option<T> {
    doc.select(selector)
        .nodes()
        .iter()
        .filter(|n| !hidden(n))
        .find_map(|n| {
            let text = collapse(&text_of(n));
            if text.is_empty() || text.chars().count() > BODY_BLOCK_CHARS {
                return None;
            }
            read(&text)
        })
}

#[cfg(test)]
mod tests {
    use super::byline::{by_line, is_name};
    use super::dates::date_line;

    #[test]
    fn date_lines_and_names() {
        assert_eq!(date_line("31 July 2017").as_deref(), Some("31 July 2017"));
        assert_eq!(
            date_line("Published: March 12, 2021 at 10:30 am").as_deref(),
            Some("March 12, 2021 at 10:30 am")
        );
        assert_eq!(
            date_line("Monday, 2017-07-31").as_deref(),
            Some("2017-07-31")
        );
        assert_eq!(date_line("31 July 2017 was a hot day"), None);
        for (line, day) in [
            ("am 25.08.2015 22:30", "2015-08-25"),
            ("Datum: 19.11.2021", "2021-11-19"),
            ("23.09.22", "2022-09-23"),
            ("Stand: 4. Februar 2022, 13:10 Uhr", "2022-02-04"),
            ("1. November 2023 um 11:54 Uhr", "2023-11-01"),
            ("Veröffentlicht am Montag, 3. März 2025", "2025-03-03"),
            ("01-11-2023 10:29", "2023-11-01"),
            ("12 de marzo de 2021", "2021-03-12"),
            ("le 5 juillet 2019 à 10h30", "2019-07-05"),
            ("15 августа 2016, 13:43", "2016-08-15"),
            ("terça-feira, 3 de maio de 2022 às 10:30", "2022-05-03"),
            ("sábado, 14 de mayo de 2022", "2022-05-14"),
            ("12 października 2021", "2021-10-12"),
            ("21. tammikuuta 2015", "2015-01-21"),
            ("2019年6月24日", "2019-06-24"),
            ("2019年6月24日（月） 18時30分", "2019-06-24"),
            ("2022년 5월 3일 오후 3:30", "2022-05-03"),
            ("2019.06.24 10:47", "2019-06-24"),
        ] {
            assert_eq!(date_line(line).as_deref(), Some(day), "{line}");
        }
        assert_eq!(date_line("31.02.2021"), None);
        assert_eq!(date_line("2019年2月30日"), None);
        assert_eq!(date_line("2019年6月24日に発表された"), None);
        assert_eq!(date_line("Tel. 12.34.5678"), None);
        assert!(is_name("Ludwig van Beethoven"));
        assert!(is_name("Dr. Anneke Vos"));
        assert!(!is_name("The council voted on Thursday to dissolve itself"));
        assert_eq!(
            by_line("By Ana Silva and Bo Li"),
            Some(vec!["Ana Silva".to_string(), "Bo Li".to_string()])
        );
        assert_eq!(by_line("By the way, it rained"), None);
        // A role after the name, and what follows it, describe the name.
        assert_eq!(
            by_line(
                "By Ana Silva, Senior Staff Technologist, Speech, Privacy, and Technology Project"
            ),
            Some(vec!["Ana Silva".to_string()])
        );
        assert_eq!(
            by_line("By Ana Silva, Bo Li, Games Editor"),
            Some(vec!["Ana Silva".to_string(), "Bo Li".to_string()])
        );
    }
}
