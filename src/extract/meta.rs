//! The page's metadata: headline, authors, dates and canonical URL, from
//! structured data first and the visible byline last. Also marks the headline
//! and the byline and date lines for [`super::body`] to cut.

use super::body::{CUT_MARK, in_chrome};
use super::collapse;
use dom_query::{Document, NodeRef};
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::LazyLock;
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
/// article.
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
    "Report",
];

/// How many text blocks under the headline may hold the byline and date.
const BYLINE_BLOCKS: usize = 6;

/// A block this long is body text: the byline search stops there.
const BODY_BLOCK_CHARS: usize = 100;

/// Reads the metadata (see the module doc) and marks the headline, byline
/// and date elements with [`CUT_MARK`]. `url`, where the page came from,
/// helps tell the site's name in the title from the headline.
pub(super) fn read(doc: &Document, url: Option<&Url>) -> Found {
    let ld = json_ld(doc);
    let metas = meta_tags(doc);
    let meta = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| metas.get(*k))
            .map(|v| collapse(&html_escape::decode_html_entities(v)))
            .filter(|v| !v.is_empty())
    };

    let heading = headline(doc);
    let heading_text = heading.as_ref().map(|h| collapse(&h.text()));
    let title = ld
        .as_ref()
        .and_then(|a| text_of(a.get("headline")).or_else(|| text_of(a.get("name"))))
        .or_else(|| meta(&["og:title", "twitter:title"]))
        .or_else(|| {
            // Without a declared title, the headline and the `<title>`
            // should say the same thing; when they share no word, one is
            // the page's chrome (a section or the site's name), and the
            // one with more words names the page more closely.
            let tag = title_tag(doc);
            match (heading_text.clone().filter(|t| !t.is_empty()), &tag) {
                (Some(h), Some(t))
                    if !shares_word(&h, t)
                        && t.split_whitespace().count() > h.split_whitespace().count() =>
                {
                    tag
                }
                (h, _) => h.or(tag),
            }
        });
    // A declared title often carries the site's name or a section
    // (`Headline | Site`, `Section: Headline`) that the visible headline
    // lacks: the headline wins when the title holds it.
    let title = match (title, &heading_text) {
        (Some(t), Some(h))
            if h.split_whitespace().count() >= 2
                && t.len() > h.len()
                && t.to_lowercase().contains(&h.to_lowercase()) =>
        {
            Some(h.clone())
        }
        (t, _) => t,
    };
    let sites = site_names(&metas, ld.as_ref(), url);
    let title = title.map(|t| without_site(&t, &sites));
    if let (Some(h), Some(heading_text), Some(title)) = (&heading, &heading_text, &title) {
        let (a, b) = (heading_text.to_lowercase(), title.to_lowercase());
        if !a.is_empty() && (a.contains(&b) || b.contains(&a)) {
            h.set_attr(CUT_MARK, "");
        }
    }

    let visible = heading.as_ref().map(visible_byline).unwrap_or_default();

    let declared = ld
        .as_ref()
        .map(|a| names(a.get("author")))
        .unwrap_or_default();
    let tagged = meta(&[
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
    let labelled = meta(&["twitter:label1"])
        .filter(|l| WRITTEN_BY.contains(&l.to_lowercase().as_str()))
        .and_then(|_| meta(&["twitter:data1"]))
        .map(|a| vec![a])
        .unwrap_or_default();
    let sources = [
        declared,
        tagged,
        labelled,
        marked_authors(doc),
        visible.authors,
        classed_authors(doc),
    ];
    let authors = sources
        .iter()
        .find(|a| !a.is_empty() && !a.iter().all(|n| names_site(n, &sites)))
        .or_else(|| sources.iter().find(|a| !a.is_empty()))
        .cloned()
        .unwrap_or_default();

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
            ])
        })
        .or_else(|| time_element(doc))
        .or(visible.date)
        .or_else(|| dated_element(doc))
        .map(|d| european(&d).unwrap_or(d));
    let updated = ld
        .as_ref()
        .and_then(|a| text_of(a.get("dateModified")))
        .or_else(|| meta(&["article:modified_time", "og:updated_time", "datemodified"]));

    let canonical = doc
        .select("link[rel][href]")
        .nodes()
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

    Found {
        title,
        authors,
        published,
        updated,
        canonical,
    }
}

/// The first schema.org article object in the page's JSON-LD, looking into
/// arrays and `@graph`.
fn json_ld(doc: &Document) -> Option<Map<String, Value>> {
    fn find(value: Value) -> Option<Map<String, Value>> {
        match value {
            Value::Array(list) => list.into_iter().find_map(find),
            Value::Object(mut obj) => {
                if let Some(graph) = obj.remove("@graph")
                    && let Some(found) = find(graph)
                {
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
    doc.select(r#"script[type="application/ld+json"]"#)
        .nodes()
        .iter()
        // A page's broken JSON-LD block is skipped, not fatal: the others
        // and the meta tags still count.
        .filter_map(|s| serde_json::from_str::<Value>(s.text().trim()).ok())
        .find_map(find)
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

/// Author names from a JSON-LD `author`: a string, an object with a `name`,
/// or a list of either.
fn names(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![collapse(s)],
        Some(Value::Object(o)) => text_of(o.get("name")).into_iter().collect(),
        Some(Value::Array(list)) => list.iter().flat_map(|v| names(Some(v))).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|n| !n.is_empty())
    .collect()
}

/// `<meta>` contents by lowercased `property`, `name` or `itemprop`; the
/// first of each wins.
fn meta_tags(doc: &Document) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for m in doc.select("meta[content]").nodes() {
        let Some(content) = m.attr("content") else {
            continue;
        };
        for key in ["property", "name", "itemprop"] {
            if let Some(k) = m.attr(key) {
                map.entry(k.trim().to_ascii_lowercase())
                    .or_insert_with(|| content.to_string());
            }
        }
    }
    map
}

/// The headline element: the first `<h1>` outside the page chrome, else the
/// first such `<h2>`.
fn headline(doc: &Document) -> Option<NodeRef<'_>> {
    ["h1", "h2"].iter().find_map(|tag| {
        doc.select(tag)
            .nodes()
            .iter()
            .find(|h| !in_chrome(h) && !collapse(&h.text()).is_empty())
            .cloned()
    })
}

/// What separates a site's name (or a section) from the headline in a title.
const TITLE_SEPARATORS: &[&str] = &[
    " | ", " – ", " — ", " - ", " :: ", " · ", " » ", " • ", " │ ", "|", "_", "-",
];

/// A title segment longer than this many words is not a site's name.
const SITE_NAME_WORDS: usize = 5;

/// The page's own names for its site, as comparison keys (see [`name_key`]):
/// `og:site_name`, `application-name`, the JSON-LD publisher, and the host's
/// labels (`www.chefkoch.de` gives `chefkoch` and `chefkochde`).
fn site_names(
    metas: &HashMap<String, String>,
    ld: Option<&Map<String, Value>>,
    url: Option<&Url>,
) -> Vec<String> {
    let mut names: Vec<String> = ["og:site_name", "application-name", "twitter:site"]
        .iter()
        .filter_map(|k| metas.get(*k))
        .map(|v| name_key(v))
        .collect();
    if let Some(Value::Object(p)) = ld.and_then(|a| a.get("publisher")) {
        names.extend(text_of(p.get("name")).map(|n| name_key(&n)));
    }
    if let Some(host) = url.and_then(Url::host_str) {
        let host = host.strip_prefix("www.").unwrap_or(host);
        let labels: Vec<&str> = host.split('.').collect();
        names.push(name_key(host));
        // The labels before the top-level domain, long enough not to be
        // a word any headline could hold (`co`, `de`, `news`).
        names.extend(
            labels[..labels.len().saturating_sub(1)]
                .iter()
                .filter(|l| l.chars().count() >= 5)
                .map(|l| name_key(l)),
        );
    }
    names.retain(|n| n.chars().count() >= 3);
    names
}

/// A name as a comparison key: lowercased letters and digits only, German
/// umlauts spelt out as hosts spell them (`glücklich` ~ `gluecklich`).
fn name_key(name: &str) -> String {
    let mut key = String::new();
    for c in name.to_lowercase().chars() {
        match c {
            'ä' => key.push_str("ae"),
            'ö' => key.push_str("oe"),
            'ü' => key.push_str("ue"),
            'ß' => key.push_str("ss"),
            c if c.is_alphanumeric() => key.push(c),
            _ => {}
        }
    }
    key
}

/// Whether a title segment is one of the site's names: short, and holding
/// a name or held by one.
fn names_site(segment: &str, sites: &[String]) -> bool {
    let key = name_key(segment);
    key.chars().count() >= 3
        && segment.split_whitespace().count() <= SITE_NAME_WORDS
        && sites.iter().any(|s| {
            key.contains(s.as_str()) || (s.contains(key.as_str()) && 2 * key.len() >= s.len())
        })
}

/// The title without the site's name: a trailing ` | Site` (and what
/// follows it, a tagline or a section) or a leading `Site: `, when the page
/// names that site; what is left must still read as a headline.
fn without_site(title: &str, sites: &[String]) -> String {
    if sites.is_empty() {
        return title.to_string();
    }
    let mut cuts: Vec<(usize, usize)> = TITLE_SEPARATORS
        .iter()
        .flat_map(|sep| title.match_indices(sep).map(|(i, m)| (i, i + m.len())))
        // A bare hyphen or underscore joins words (`Caritas-Präsidentin`)
        // unless it follows a space or punctuation (`标题 _站名`, `！-网`).
        .filter(|&(i, end)| {
            end - i > 1
                || &title[i..end] == "|"
                || title[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| !c.is_alphanumeric())
        })
        .collect();
    cuts.sort_unstable();
    let keeps = |rest: &str| {
        let rest = rest.trim();
        rest.split_whitespace().count() >= 2 || rest.chars().count() >= 6
    };
    for (k, &(start, end)) in cuts.iter().enumerate() {
        let next = cuts
            .get(k + 1..)
            .and_then(|c| c.iter().find(|c| c.0 >= end))
            .map_or(title.len(), |c| c.0);
        if names_site(&title[end..next], sites) && keeps(&title[..start]) {
            return title[..start].trim().to_string();
        }
    }
    // A leading name is set off by a spaced separator (`Site | Headline`),
    // not a hyphen, which also joins a compound (`Site-Rezepte`).
    if let Some(&(start, end)) = cuts.first()
        && end - start > 1
        && names_site(&title[..start], sites)
        && keeps(&title[end..])
    {
        return title[end..].trim().to_string();
    }
    title.to_string()
}

/// Whether two texts have a word (of two letters or more) in common,
/// ignoring case.
fn shares_word(a: &str, b: &str) -> bool {
    let words = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 2)
            .map(str::to_lowercase)
            .collect()
    };
    let b = words(b);
    // A script without spaces (Chinese, Japanese) has no words to share.
    a.chars().any(|c| c.is_alphabetic() && c as u32 >= 0x2E80)
        || words(a).iter().any(|w| b.contains(w))
}

/// `<title>` without a ` | Site name` tail.
fn title_tag(doc: &Document) -> Option<String> {
    let title = collapse(&doc.select("title").text());
    // Without a name to recognise, a tail is taken for the site's when it
    // is shorter than what it follows (`Google - Site Reliability
    // Engineering` is a site's name followed by a book's).
    let cut = [" | ", " – ", " — ", " - ", " :: "]
        .iter()
        .filter_map(|sep| title.rfind(sep).map(|i| (i, i + sep.len())))
        .max()
        .filter(|&(i, end)| title[end..].chars().count() < title[..i].chars().count())
        .map_or(title.as_str(), |(i, _)| &title[..i]);
    Some(cut.trim().to_string()).filter(|t| !t.is_empty())
}

/// A byline's lead-in (`von`, `Par`, `Autor:`, `Veröffentlicht von`,
/// `Post author By`): not part of the name.
static LEAD_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:post author\s+)?(?:(?:text und interview|interview|text|written|posted|published|geschrieben|erstellt|veröffentlicht|eingestellt|artikel|ein beitrag|publié|publicado|escrito|pubblicato|scritto)\s+)?(?:by|von|vom|par|por|door)(?:\s*:\s*|\s+)(?-i:\b)|^(?i:autor|autorin|author|auteur|autore|verfasser|verfasst von|text|interview|artikel von|von|by|par|por)\s*:\s*",
    )
    .expect("lead-in pattern")
});

/// What trails a name in a byline: a dash or bar before the date, a
/// handle, a link to the author's other articles.
static TRAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\s+@\w+)?(?:\s+(?:alle|weitere) artikel)?\s*[-–—|:]*\s*$")
        .expect("trail pattern")
});

/// An author name as a reader wants it: without a lead-in or a trail
/// (see [`LEAD_IN`], [`TRAIL`]); `None` for what is no name at all, a
/// comment form's field (`Name *`), a commenter (`Aylin sagt:`) or a bare
/// label (`Posted on`).
pub(super) fn clean_author(name: &str) -> Option<String> {
    let name = collapse(name);
    let lower = name.to_lowercase();
    let commenter = [" says:", " sagt:", " a dit :", " dice:"]
        .iter()
        .any(|s| lower.ends_with(s));
    let label = lower.starts_with("name ")
        && (lower.contains('*') || lower.contains("erforderlich") || lower.contains("required"));
    let bare = [
        "name",
        "posted",
        "posted on",
        "posted by",
        "published",
        "veröffentlicht am",
        "publiziert am",
        "follow",
        "no author",
        "author",
        "autor",
        "admin",
        "administrator",
    ]
    .contains(&lower.as_str());
    if commenter || label || bare {
        return None;
    }
    // `AuthorAndreas Kalt`: a label glued to the name.
    let name = ["Author", "Autor"]
        .iter()
        .find_map(|l| {
            name.strip_prefix(l)
                .filter(|rest| rest.chars().next().is_some_and(char::is_uppercase))
        })
        .unwrap_or(&name);
    // `Veröffentlicht vonChris Jung`: a lead-in glued to the name.
    let name = [
        "Veröffentlicht von",
        "Geschrieben von",
        "Posted by",
        "Written by",
    ]
    .iter()
    .find_map(|l| {
        name.strip_prefix(l)
            .filter(|rest| rest.chars().next().is_some_and(char::is_uppercase))
    })
    .unwrap_or(name);
    let name = LEAD_IN.replace(name, "");
    let name = TRAIL.replace(&name, "");
    let name = name.trim();
    name.chars()
        .any(char::is_alphabetic)
        .then(|| name.to_string())
}

/// Authors marked up as such: `rel=author` links and `itemprop=author`.
fn marked_authors(doc: &Document) -> Vec<String> {
    let mut names = Vec::new();
    for n in doc
        .select(r#"a[rel~="author"], [itemprop="author"]"#)
        .nodes()
    {
        if in_chrome(n) {
            continue;
        }
        let named = dom_query::Selection::from(*n).select(r#"[itemprop="name"]"#);
        let text = if named.exists() {
            collapse(&named.text())
        } else {
            collapse(&n.attr("content").unwrap_or_else(|| n.text()))
        };
        let text = text.strip_prefix("By ").unwrap_or(&text).to_string();
        if is_name(&text) && !names.contains(&text) {
            names.push(text);
        }
    }
    names
}

/// The labels before a writer's name in `twitter:label1`.
const WRITTEN_BY: &[&str] = &[
    "written by",
    "verfasst von",
    "geschrieben von",
    "écrit par",
    "escrito por",
    "scritto da",
    "geschreven door",
];

/// Names in the page's author and byline elements (`<span class="author
/// vcard">`, `<p class="byline__author">VON Name am 21. April 2020</p>`,
/// `<p class="date-author">Name, 01.12.2021</p>`) outside the chrome: the
/// first element that names someone.
fn classed_authors(doc: &Document) -> Vec<String> {
    doc.select(r#"[class*="author" i], [class*="byline" i]"#)
        .nodes()
        .iter()
        .filter(|n| !in_chrome(n))
        .find_map(|n| {
            let text = collapse(&n.text());
            if text.is_empty() || text.chars().count() > BODY_BLOCK_CHARS {
                return None;
            }
            Some(byline_parts(&text)).filter(|names| !names.is_empty())
        })
        .unwrap_or_default()
}

/// Where a byline's names end: the date or place that follows them.
const NAME_ENDS: &[&str] = &[
    " am ", " on ", " le ", " el ", " il ", " um ", " at ", " - ", " – ",
];

/// The names in a byline's text, split at its separators and at `und`,
/// `and`, `et`, `y`, each without its lead-in (`Von`, `Autor:`), and
/// only where every part left reads like a name.
fn byline_parts(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for part in text.split(['|', '·', '•', ',', ';']) {
        let part = LEAD_IN.replace(part.trim(), "");
        let end = NAME_ENDS
            .iter()
            .filter_map(|e| part.find(e))
            .min()
            .unwrap_or(part.len());
        let part = &part[..end];
        if date_line(part).is_some() || part.trim().is_empty() {
            continue;
        }
        for name in part
            .split(" und ")
            .flat_map(|p| p.split(" and "))
            .flat_map(|p| p.split(" et "))
            .flat_map(|p| p.split(" y "))
        {
            match clean_author(name) {
                Some(n) if is_name(&n) => {
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
                _ => return Vec::new(),
            }
        }
    }
    names
}

/// The first `<time datetime>` (or `itemprop=datePublished`) outside the
/// page chrome: one in a comment or a related list dates something else.
fn time_element(doc: &Document) -> Option<String> {
    doc.select(r#"time[datetime], [itemprop="datePublished"]"#)
        .nodes()
        .iter()
        .filter(|t| !in_chrome(t))
        .find_map(|t| {
            t.attr("datetime")
                .or_else(|| t.attr("content"))
                .map(|d| collapse(&d))
                .filter(|d| !d.is_empty())
                // `datetime="01-11-2023 10:29"`: not ISO 8601, read as
                // the date line it is.
                .and_then(|d| {
                    if d.starts_with(|c: char| c.is_ascii_digit()) && d.get(4..5) != Some("-") {
                        date_line(&d)
                    } else {
                        Some(d)
                    }
                })
        })
}

/// What the lines right under the headline say.
#[derive(Debug, Default)]
struct Visible {
    authors: Vec<String>,
    date: Option<String>,
}

/// Reads the byline and date lines among the first text blocks after the
/// headline (`By Name`, a line that is only bold text, `31 July 2017`),
/// marking each one it reads so it is cut from the body.
fn visible_byline(heading: &NodeRef) -> Visible {
    let mut found = Visible::default();
    let mut blocks = 0;
    let mut node = next_in_order(heading, true);
    while let Some(n) = node {
        node = next_in_order(&n, !is_text_block(&n));
        if !is_text_block(&n) || in_chrome(&n) {
            continue;
        }
        let text = collapse(&n.text());
        if text.is_empty() {
            continue;
        }
        if text.chars().count() > BODY_BLOCK_CHARS || blocks == BYLINE_BLOCKS {
            break;
        }
        blocks += 1;
        let mut matched = false;
        for part in text.split(['|', '·', '•']).map(str::trim) {
            if let Some(names) = by_line(part) {
                found.authors.extend(names);
                matched = true;
            } else if let Some(date) = date_line(part) {
                found.date.get_or_insert(date);
                matched = true;
            }
        }
        if !matched && let Some((name, rest)) = bold_name(&n, &text) {
            found.authors.push(name);
            if let Some(date) = date_line(&rest) {
                found.date.get_or_insert(date);
            }
            matched = true;
        }
        if matched {
            n.set_attr(CUT_MARK, "");
        }
    }
    found
}

/// The next element in document order: the first child when `descend`, else
/// the next sibling of the node or of its nearest ancestor that has one.
fn next_in_order<'a>(node: &NodeRef<'a>, descend: bool) -> Option<NodeRef<'a>> {
    if descend && let Some(child) = node.first_element_child() {
        return Some(child);
    }
    let mut at = *node;
    loop {
        if let Some(next) = at.next_element_sibling() {
            return Some(next);
        }
        at = at.parent()?;
    }
}

/// Inline elements a text block may contain.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "br", "em", "i", "img", "small", "span", "strong", "sup", "sub", "time", "u",
];

/// A block element holding only text and inline elements.
fn is_text_block(node: &NodeRef) -> bool {
    let name = node.node_name().map(|n| n.to_ascii_lowercase());
    let block = matches!(
        name.as_deref(),
        Some("p" | "div" | "h2" | "h3" | "h4" | "h5" | "h6" | "address" | "span" | "time" | "li")
    );
    block
        && node.element_children().iter().all(|c| {
            c.node_name()
                .is_some_and(|n| INLINE.contains(&n.to_ascii_lowercase().as_str()))
        })
}

/// The names in a byline that Readability found (`By Ana Silva and Bo
/// Li`, `Ana Silva, Bo Li`), or `None` when it does not read like names.
pub(super) fn byline_names(text: &str) -> Option<Vec<String>> {
    let text = collapse(text);
    let rest = ["By ", "by ", "BY "]
        .iter()
        .find_map(|p| text.strip_prefix(p))
        .unwrap_or(&text);
    let names: Vec<String> = rest
        .split(" and ")
        .flat_map(|s| s.split([',', ';', '|']))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let plausible = |n: &String| {
        n.split_whitespace().count() <= 5
            && !n.contains("://")
            && !n.chars().any(|c| c.is_ascii_digit())
    };
    (!names.is_empty() && names.len() <= 6 && names.iter().all(plausible)).then_some(names)
}

/// `By Name` or `By Name and Name` as names.
fn by_line(text: &str) -> Option<Vec<String>> {
    let rest = text
        .strip_prefix("By ")
        .or_else(|| text.strip_prefix("by "))
        .or_else(|| text.strip_prefix("BY "))?;
    let names: Vec<String> = rest
        .split(" and ")
        .flat_map(|s| s.split(", "))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!names.is_empty() && names.iter().all(|n| is_name(n))).then_some(names)
}

/// A block whose bold part is a name and whose rest is empty or a date
/// (`<strong>Name</strong><br>31 July 2017`), or text that is `**Name**`.
/// Returns the name and the rest of the text.
fn bold_name(node: &NodeRef, text: &str) -> Option<(String, String)> {
    if let Some(name) = text
        .strip_prefix("**")
        .and_then(|t| t.strip_suffix("**"))
        .map(str::trim)
        .filter(|n| is_name(n))
    {
        return Some((name.to_string(), String::new()));
    }
    let bold = dom_query::Selection::from(*node).select("strong, b");
    let name = collapse(&bold.first().text());
    if !is_name(&name) {
        return None;
    }
    let rest = collapse(&text.replacen(&name, "", 1));
    (rest.is_empty() || date_line(&rest).is_some()).then_some((name, rest))
}

/// Words that may start in lowercase inside a name.
const NAME_PARTICLES: &[&str] = &[
    "van", "von", "de", "der", "den", "da", "di", "du", "del", "la", "le", "al", "bin", "ibn", "y",
];

/// Looks like a person's name: one to five words, each capitalized (or a
/// particle like `van`), no digits.
fn is_name(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    (1..=5).contains(&words.len())
        && text.len() <= 60
        && !text.chars().any(|c| c.is_ascii_digit())
        && words
            .iter()
            .all(|w| w.chars().next().is_some_and(char::is_uppercase) || NAME_PARTICLES.contains(w))
}

static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    let month = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";
    let day = r"\d{1,2}(?:st|nd|rd|th)?";
    let date = format!(
        r"{day}\.?\s+{month},?\s+\d{{4}}|{month}\s+{day},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{4}}"
    );
    let time = r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,5})?)?";
    let pattern = format!(
        r"(?i)^(?:(?:published|posted|updated|on|date)\s*:?\s+)?(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?((?:{date}){time})$"
    );
    Regex::new(&pattern).expect("the date line pattern is valid")
});

/// The date in a line that holds only a date (`31 July 2017`, `Published
/// July 31, 2017 at 10:00`, `am 25.08.2015 22:30`, `Stand: 4. Februar
/// 2022, 13:10 Uhr`), without its label: English dates as written, the
/// day-first dates of European pages as `YYYY-MM-DD` (normalization reads
/// no German month names and no dotted dates).
fn date_line(text: &str) -> Option<String> {
    let text = text.trim();
    DATE_LINE
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
        .or_else(|| european(text))
}

/// A declared date written the European way (`11.11.2021`, `5. November
/// 2021, 10:39 Uhr`) as `YYYY-MM-DD`; `None` for any other date.
fn european(date: &str) -> Option<String> {
    EUROPEAN_DATE_LINE
        .captures(date.trim())
        .and_then(|c| european_day(&c))
}

/// Month names of the languages the date lines are read in, beyond
/// English: German and Dutch, French, Spanish, Italian (January first).
const MONTHS: [&[&str]; 12] = [
    &["januar", "jänner", "janvier", "enero", "gennaio", "januari"],
    &[
        "februar", "feber", "février", "fevrier", "febrero", "febbraio", "februari",
    ],
    &["märz", "maerz", "mars", "marzo", "maart"],
    &["april", "avril", "abril", "aprile"],
    &["mai", "mayo", "maggio", "mei"],
    &["juni", "juin", "junio", "giugno"],
    &["juli", "juillet", "julio", "luglio"],
    &["august", "août", "aout", "agosto", "augustus"],
    &["september", "septembre", "septiembre", "settembre"],
    &["oktober", "octobre", "octubre", "ottobre"],
    &["november", "novembre", "noviembre"],
    &[
        "dezember",
        "décembre",
        "decembre",
        "diciembre",
        "dicembre",
        "december",
    ],
];

static EUROPEAN_DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    let names = MONTHS
        .iter()
        .flat_map(|m| m.iter())
        .copied()
        .collect::<Vec<_>>()
        .join("|");
    let label = r"(?:(?:veröffentlicht|aktualisiert|erschienen|publié|publicado|pubblicato|stand|datum|date|fecha|data|vom|am|le|el|il|on)\s*:?\s*)*";
    let weekday = r"(?:[[:alpha:]]+,\s*)?";
    let time =
        r"(?:\s*(?:,|\||-|um|à|a las|alle|ore)?\s*\d{1,2}[:.h]\d{2}(?::\d{2})?\s*(?:uhr|h)?)?";
    let pattern = format!(
        r"(?i)^{label}{weekday}(?:(?P<d>\d{{1,2}})\.\s*(?P<m>\d{{1,2}})\.\s*(?P<y>\d{{4}}|\d{{2}})|(?P<d2>\d{{1,2}})-(?P<m2>\d{{1,2}})-(?P<y2>\d{{4}})|(?P<d3>\d{{1,2}})\.?\s*(?:de\s+)?(?P<name>{names})\.?\s*(?:de\s+)?(?P<y3>\d{{4}})){time}$"
    );
    Regex::new(&pattern).expect("the European date line pattern is valid")
});

/// The day a match of [`EUROPEAN_DATE_LINE`] names, as `YYYY-MM-DD`, when
/// it is a real calendar day.
fn european_day(c: &regex::Captures) -> Option<String> {
    let num = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u32>().ok());
    let (day, month, year) = if let Some(d) = num("d") {
        (d, num("m")?, num("y")?)
    } else if let Some(d) = num("d2") {
        (d, num("m2")?, num("y2")?)
    } else {
        let name = c.name("name")?.as_str().to_lowercase();
        let month = MONTHS.iter().position(|m| m.contains(&name.as_str()))? as u32 + 1;
        (num("d3")?, month, num("y3")?)
    };
    // Two-digit years on news pages are this century's.
    let year = if year < 100 { 2000 + year } else { year };
    chrono::NaiveDate::from_ymd_opt(year as i32, month, day)
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// A date in the page's dated elements (a class or id naming a date, an
/// `itemprop=datePublished` without a machine-readable value), outside the
/// chrome: the last resort, after the lines under the headline.
fn dated_element(doc: &Document) -> Option<String> {
    doc.select(r#"[itemprop="datePublished"], [class*="date" i], [id*="date" i], [class*="datum" i], time"#)
        .nodes()
        .iter()
        .filter(|n| !in_chrome(n))
        .find_map(|n| {
            let text = collapse(&n.text());
            if text.is_empty() || text.chars().count() > BODY_BLOCK_CHARS {
                return None;
            }
            text.split(['|', '·', '•'])
                .find_map(date_line)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            assert_eq!(date_line(line).as_deref(), Some(day), "{line}");
        }
        assert_eq!(date_line("31.02.2021"), None);
        assert_eq!(date_line("Tel. 12.34.5678"), None);
        assert!(is_name("Ludwig van Beethoven"));
        assert!(is_name("Dr. Anneke Vos"));
        assert!(!is_name("The council voted on Thursday to dissolve itself"));
        assert_eq!(
            by_line("By Ana Silva and Bo Li"),
            Some(vec!["Ana Silva".to_string(), "Bo Li".to_string()])
        );
        assert_eq!(by_line("By the way, it rained"), None);
    }
}
