//! Authors: marked-up authors, byline elements, the visible lines under
//! the headline and names after a label in the page's text, each name
//! cleaned of its lead-in and trail. Uses `super`,
//! `dates` for the date lines and `super::super::body` for the chrome.

use super::dates::{MONTHS, date_in, date_line, leading_date, opening_date};
use super::title::COMMON_WORDS;
use super::{BODY_BLOCK_CHARS, BYLINE_BLOCKS, Hidden, first_labelled};
use crate::extract::chrome::{CUT_MARK, in_hard_chrome};
use crate::extract::collapse;
use dom_query::{Document, NodeRef};
use regex::Regex;
use std::sync::LazyLock;

/// A byline's lead-in (`von`, `Par`, `Autor:`, `Veröffentlicht von`,
/// `Post author By`), or that word alone (`<span>By</span>`): not part
/// of the name.
pub(super) static LEAD_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:post author\s+)?(?:(?:text und interview|interview|text|written|posted|published|geschrieben|erstellt|veröffentlicht|eingestellt|artikel|ein beitrag|publié|publicado|escrito|pubblicato|scritto)\s+)?(?:by|von|vom|par|por|door)(?:\s*:\s*|\s+|$)(?-i:\b)|^(?i:autor|autorin|author|auteur|autore|verfasser|verfasst von|text und interview|text und fotos?|text|interview|artikel von|von|by|par|por)\s*:\s*",
    )
    .expect("lead-in pattern")
});

/// What trails a name in a byline: a degree (`, PhD`, `, M.D.`), a dash
/// or bar before the date, a handle, a link to the author's other articles.
pub(super) static TRAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:,\s*(?:ph\.?\s?d|m\.?\s?d|m\.?\s?sc|b\.?\s?sc|mba|mph|rdn?|rn)\.?)*(?:\s+@\w+)?(?:\s+(?:alle|weitere) artikel)?\s*[-–—|:]*\s*$",
    )
    .expect("trail pattern")
});

/// An author name as a reader wants it: without a lead-in or a trail
/// (see [`LEAD_IN`], [`TRAIL`]); `None` for what is no name at all, a
/// comment form's field (`Name *`), a commenter (`Aylin sagt:`) or a bare
/// label (`Posted on`).
pub(in crate::extract) fn clean_author(name: &str) -> Option<String> {
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
        "veröffentlicht",
        "publiziert",
        "geschrieben",
        "written",
        "text",
    ]
    .contains(&lower.as_str());
    // A date's weekday or month taken for a name (`Donnerstag`, `Posted
    // Monday`) names no one.
    let dated = lower
        .split_whitespace()
        .all(|w| is_date_word(w.trim_matches(|c: char| !c.is_alphanumeric())));
    // An e-mail address or a link names no one, nor do initials alone
    // (`I.`).
    let address = name.split_whitespace().all(is_address)
        || !name
            .split(|c: char| !c.is_alphabetic())
            .any(|w| w.chars().count() >= 2);
    if commenter || label || bare || dated || address {
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

/// The labels before a date, and German weekdays: with the month names of
/// `text` and `dates` and English weekdays, a byline of these alone is a
/// date line.
const DATE_WORDS: &[&str] = &[
    "posted",
    "published",
    "updated",
    "on",
    "am",
    "veröffentlicht",
    "aktualisiert",
    "date",
    "datum",
    "erscheinungsdatum",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
];

/// Whether `word` (lowercase) is a weekday, a month or a date's label.
fn is_date_word(word: &str) -> bool {
    DATE_WORDS.contains(&word)
        || crate::text::WEEKDAYS.contains(&word)
        || crate::text::MONTHS.contains(&word)
        || MONTHS.iter().any(|names| names.contains(&word))
}

/// Authors marked up as such: `rel=author` links and `itemprop=author`.
pub(super) fn marked_authors(doc: &Document, hidden: Hidden) -> Vec<String> {
    let mut names = Vec::new();
    for n in doc
        .select(r#"a[rel~="author"], [itemprop="author"]"#)
        .nodes()
    {
        if hidden(n) {
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

/// The user names that hCard markup and forum and blog software give a
/// post's writer (`<span class="author vcard"><a class="fn">marc</a>`,
/// `<a class="username">r23</a>`, Blogger's `<span class="post-author
/// vcard"><span class="fn">`) outside the chrome, where nothing names the
/// writer in full: the first such element whose text is a name or one
/// word (`delta201`, `c1ph4`), which is what a reader sees as the author.
/// The same markup names each commenter: nothing inside a comment counts.
pub(super) fn card_authors(doc: &Document, hidden: Hidden) -> Vec<String> {
    let in_comment = |n: &NodeRef| {
        std::iter::once(*n).chain(n.ancestors_it(None)).any(|a| {
            ["class", "id"].iter().any(|k| {
                a.attr(k)
                    .is_some_and(|v| v.to_ascii_lowercase().contains("comment"))
            })
        })
    };
    doc.select(
        r#".author .fn, .author.fn, .vcard.author, .post-author .fn, .username, .user-name, [class~="author-name"]"#,
    )
    .nodes()
    .iter()
    .filter(|n| !hidden(n) && !in_comment(n))
    .find_map(|n| {
        let text = collapse(&n.text());
        let text = text.strip_prefix("By ").unwrap_or(&text);
        let one_word = !text.contains(char::is_whitespace)
            && (2..=40).contains(&text.chars().count())
            && text.chars().any(char::is_alphabetic)
            && !text.contains('@');
        (one_word || is_name(text)).then(|| vec![text.to_string()])
    })
    .unwrap_or_default()
}

/// The labels before a writer's name in `twitter:label1`.
pub(super) const WRITTEN_BY: &[&str] = &[
    "written by",
    "verfasst von",
    "geschrieben von",
    "écrit par",
    "escrito por",
    "scritto da",
    "geschreven door",
];

/// Names in the page's author and byline elements (`<span class="author
/// vcard">`, `<div class="autor">`, `<span class="auteurs">`, `<span
/// class="field-contributor">`,
/// `<p class="byline__author">VON Name am 21. April 2020</p>`,
/// `<p class="date-author">Name, 01.12.2021</p>`, and those that name
/// them for their tests: `<div data-testid="prism-byline">`) outside the
/// chrome: the first element that names someone.
pub(super) fn classed_authors(doc: &Document, hidden: Hidden) -> Vec<String> {
    first_labelled(
        doc,
        r#"[class*="author" i], [class*="autor" i], [class*="auteur" i], [class*="byline" i], [class*="contributor" i], [data-testid*="author" i], [data-testid*="byline" i]"#,
        hidden,
        spaced_text,
        |text| Some(byline_parts(text)).filter(|names| !names.is_empty()),
    )
    .unwrap_or_default()
}

/// The text of `node` with ` | ` between sibling elements that abut
/// (`<span>By</span><span><a>J.R. Stone</a></span><span>Thursday, …`):
/// the page's style sheet sets them apart, the text alone would run them
/// together (`ByJ.R. StoneThursday`).
fn spaced_text(node: &NodeRef) -> String {
    fn push(node: &NodeRef, out: &mut String) {
        let mut after_element = false;
        for child in node.children_it(false) {
            if child.is_text() {
                out.push_str(&child.text());
                after_element = false;
            } else if child.is_element() {
                if after_element {
                    out.push_str(" | ");
                }
                push(&child, out);
                after_element = true;
            }
        }
    }
    let mut out = String::new();
    push(node, &mut out);
    out
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
    // A date between separators (`Name | Thursday, November 9, 2023`) is
    // read whole: its commas part no names.
    let parts = text
        .split(['|', '·', '•'])
        .filter(|segment| date_line(segment).is_none())
        .flat_map(|segment| segment.split([',', ';']));
    for part in parts {
        let part = LEAD_IN.replace(part.trim(), "");
        let end = NAME_ENDS
            .iter()
            .filter_map(|e| part.find(e))
            .min()
            .unwrap_or(part.len());
        let part = &part[..end];
        // A joining word set apart between names (`<a>Ana</a><span> y
        // </span><a>Bo</a>`) joins them.
        let joiner = ["and", "und", "y", "et", "e", "&"]
            .iter()
            .any(|j| part.trim().eq_ignore_ascii_case(j));
        if joiner || date_line(part).is_some() || part.trim().is_empty() {
            continue;
        }
        // `Name, Senior Staff Technologist, Project`: the role and what
        // follows it describe the name before it.
        if !names.is_empty() && is_role(part) {
            break;
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

/// Words that name a writer's job, not a writer.
const ROLE_WORDS: &[&str] = &[
    "editor",
    "correspondent",
    "reporter",
    "writer",
    "staff",
    "contributor",
    "columnist",
    "technologist",
    "director",
    "producer",
    "analyst",
    "journalist",
    "photographer",
    "redakteur",
    "redakteurin",
    "korrespondent",
    "korrespondentin",
    "fotograf",
    "fotografin",
];

/// Whether a part of a byline names a job (`Senior Staff Technologist`,
/// `Games Editor`).
fn is_role(part: &str) -> bool {
    part.split_whitespace()
        .any(|w| ROLE_WORDS.contains(&w.to_lowercase().as_str()))
}

/// What the lines right under the headline say.
#[derive(Debug, Default)]
pub(super) struct Visible {
    pub(super) authors: Vec<String>,
    pub(super) date: Option<String>,
}

/// Reads the byline and date lines among the first text blocks after the
/// headline (`By Name`, a line that is only bold text, `31 July 2017`,
/// `Name / 22.04.2020 / 06:15`),
/// marking each one it reads so it is cut from the body.
pub(super) fn visible_byline(heading: &NodeRef) -> Visible {
    let mut found = Visible::default();
    let mut blocks = 0;
    let mut long_blocks = 0;
    let mut node = next_in_order(heading, true);
    while let Some(n) = node {
        node = next_in_order(&n, !is_text_block(&n));
        if !is_text_block(&n) || in_hard_chrome(&n) {
            continue;
        }
        let text = collapse(&n.text());
        if text.is_empty() {
            continue;
        }
        if text.chars().count() > BODY_BLOCK_CHARS {
            // The article's first paragraphs may open with a dateline
            // (`29.11.2022 – Text`): read, not cut.
            long_blocks += 1;
            if found.date.is_none() {
                found.date = opening_date(&text);
            }
            if found.date.is_some() || long_blocks == DATELINE_BLOCKS {
                break;
            }
            continue;
        }
        // Past the first paragraph, only datelines are read.
        if long_blocks > 0 {
            continue;
        }
        if blocks == BYLINE_BLOCKS {
            break;
        }
        blocks += 1;
        let mut matched = false;
        for part in text
            .split(['|', '·', '•'])
            .flat_map(|p| p.split(" / "))
            .map(str::trim)
        {
            if let Some(names) = by_line(part) {
                found.authors.extend(names);
                matched = true;
            } else if let Some(date) = date_in(part) {
                found.date.get_or_insert(date);
                matched = true;
            } else if let Some(date) = leading_date(part) {
                found.date.get_or_insert(date);
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
    if found.date.is_none() {
        found.date = date_before(heading);
    }
    found
}

/// How many of the article's first paragraphs are read for a dateline.
const DATELINE_BLOCKS: usize = 2;

/// How many text blocks before the headline may hold its date.
const BLOCKS_BEFORE: usize = 2;

/// The date in a line right before the headline, in its element's
/// siblings or its parent's (`<h3>02.01.2022</h3><h1>…`, `<small>31.01.2022
/// 2. Liga</small><h1>…`).
fn date_before(heading: &NodeRef) -> Option<String> {
    let mut blocks = 0;
    let mut at = *heading;
    for _ in 0..2 {
        let mut prev = at.prev_element_sibling();
        while let Some(p) = prev {
            prev = p.prev_element_sibling();
            let inline = p
                .node_name()
                .is_some_and(|n| INLINE.contains(&n.to_ascii_lowercase().as_str()));
            if !(inline || is_text_block(&p)) || in_hard_chrome(&p) {
                return None;
            }
            let text = collapse(&p.text());
            if text.is_empty() {
                continue;
            }
            if text.chars().count() > BODY_BLOCK_CHARS || blocks == BLOCKS_BEFORE {
                return None;
            }
            blocks += 1;
            // Not cut: before the headline, it is no part of what the
            // body's reader reads under it.
            if let Some(date) = text
                .split(['|', '·', '•'])
                .find_map(|p| date_in(p).or_else(|| leading_date(p)))
            {
                return Some(date);
            }
        }
        at = at.parent()?;
    }
    None
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
pub(in crate::extract) fn byline_names(text: &str) -> Option<Vec<String>> {
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

/// The labels that set off the writer's name in a text of the page
/// (`<h5>Autor: </h5>Name`, `<strong>Text:</strong> Name`, `<i>von
/// Name</i>`), lowercase, each with what may end it: a colon, or a space
/// before the name.
const AUTHOR_LABELS: &[&str] = &[
    "autor:",
    "autorin:",
    "autoren:",
    "author:",
    "authors:",
    "auteur:",
    "autore:",
    "verfasser:",
    "verfasserin:",
    "redaktion:",
    "text:",
    "texte:",
    "text von ",
    "verfasst von ",
    "geschrieben von ",
    "written by ",
    "posted by ",
];

/// Lead-in words that name the writer after them only in a text that is
/// a byline and nothing else, of two words or more, not a sentence's end
/// (`<i>von Daniela Obers</i>`): in a sentence they are words like any
/// other (`Portrait by <a>Name</a>`, `von Künstlern`, `von Mystery Bag.`).
const BARE_LEAD_INS: &[&str] = &["von ", "by ", "par ", "por ", "door "];

/// What ends a labelled writer's name in the text after it: a credit,
/// an agency or a date (`Peter Maahn/SP-X`, `Bo2man am 29.12.2010`,
/// `Eberhard Fuhr (Pressesprecher)`).
const LABELLED_NAME_ENDS: &[&str] = &[
    "/", "|", "(", ",", ";", " am ", " on ", " le ", " - ", " – ", " — ", "•", "·",
];

/// The writers a label names in the page's texts outside the chrome (see
/// [`AUTHOR_LABELS`], [`BARE_LEAD_INS`]): the name in the label's own
/// text, or in the text right after a label that stands alone, up to what
/// ends it ([`LABELLED_NAME_ENDS`]); only what reads as names (`von 5`
/// names no one), from a text no longer than a byline; `all` is the
/// page's text (see [`page_texts`](super::page_texts)).
pub(super) fn labelled_authors(all: &[String]) -> Vec<String> {
    all.iter()
        .enumerate()
        .filter(|(_, text)| text.chars().count() <= BODY_BLOCK_CHARS)
        .find_map(|(i, text)| {
            let lower = text.to_lowercase();
            if let Some(by) = BARE_LEAD_INS.iter().find(|l| lower.starts_with(*l)) {
                let name = text.get(by.len()..)?.trim();
                return (name.split_whitespace().count() >= 2
                    && !name.ends_with('.')
                    && is_labelled_name(name))
                .then(|| vec![name.to_string()]);
            }
            let label = AUTHOR_LABELS
                .iter()
                .find(|l| lower.starts_with(*l) || (l.ends_with(' ') && lower == l.trim_end()))?;
            let own = text.get(label.len()..).unwrap_or_default().trim();
            let after = if own.is_empty() {
                all.get(i + 1)?.as_str()
            } else {
                own
            };
            let end = LABELLED_NAME_ENDS
                .iter()
                .filter_map(|e| after.find(e))
                .min()
                .unwrap_or(after.len());
            let names: Vec<String> = after[..end]
                .split(" und ")
                .flat_map(|s| s.split(" and "))
                .flat_map(|s| s.split(" & "))
                .map(|s| s.trim().trim_end_matches(['.', ':']).to_string())
                .collect();
            (!names.is_empty() && names.iter().all(|n| is_labelled_name(n))).then_some(names)
        })
        .unwrap_or_default()
}

/// Whether what a label sets off reads as a writer's name: a name, not a
/// job, with no punctuation a title or a list has (`Text: Headline:
/// Subheading`, `von Künstlern, Bands, DJs`).
fn is_labelled_name(name: &str) -> bool {
    is_name(name) && !is_role(name) && !name.contains([',', ':', ';', '?', '!'])
}

/// `By Name` or `By Name and Name` as names.
pub(super) fn by_line(text: &str) -> Option<Vec<String>> {
    let rest = BY.iter().find_map(|by| {
        text.get(..by.len())
            .filter(|t| t.eq_ignore_ascii_case(by))
            .map(|_| &text[by.len()..])
    })?;
    // `By Name, Games Editor, Section`: the role and what follows it
    // describe the name before it.
    let segments: Vec<&str> = rest.split(", ").collect();
    let end = segments
        .iter()
        .skip(1)
        .position(|s| is_role(s))
        .map_or(segments.len(), |k| k + 1);
    let rest = segments[..end].join(", ");
    let names: Vec<String> = rest
        .split(" and ")
        .flat_map(|s| s.split(" und "))
        .flat_map(|s| s.split(" et "))
        .flat_map(|s| s.split(", "))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!names.is_empty() && names.iter().all(|n| is_name(n))).then_some(names)
}

/// What opens a byline line under the headline, in any case (`By`,
/// `Von`, `Par`, `Text:`): the names follow.
const BY: &[&str] = &[
    "by ",
    "von ",
    "par ",
    "por ",
    "door ",
    "text: ",
    "text von ",
    "autor: ",
    "autorin: ",
    "author: ",
];

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
pub(super) fn is_name(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    (1..=5).contains(&words.len())
        && text.len() <= 60
        && !text.chars().any(|c| c.is_ascii_digit())
        && words
            .iter()
            .all(|w| w.chars().next().is_some_and(char::is_uppercase) || NAME_PARTICLES.contains(w))
}

/// Words that qualify a writer's job (`Games Editor`, `Senior Staff
/// Writer`): trimmed with it from the end of a name.
const DESK_WORDS: &[&str] = &[
    "senior",
    "chief",
    "deputy",
    "managing",
    "executive",
    "associate",
    "contributing",
    "staff",
    "news",
    "sports",
    "games",
    "politics",
    "business",
    "tech",
    "technology",
    "science",
    "health",
    "travel",
    "culture",
    "opinion",
    "local",
    "digital",
    "freier",
    "freie",
];

/// What a photo credit after a writer's name opens with (`Name Foto:
/// Name`).
const PHOTO_CREDITS: &[&str] = &[
    " Foto:",
    " Fotos:",
    " Photo:",
    " Photos:",
    " Bild:",
    " Bilder:",
    " Illustration:",
];

/// An author as a reader wants it, without the credit around the name:
/// a part that names the site (`Rob Picheta, CNN`, `unocero - Alberto
/// Ávila`: `names_site` says which), a job after the name without a comma
/// (`Ben Silverman Games Editor`), a photo credit, an address (`Name -
/// http://…`, `name[at]host`); `None` when nothing else is left.
pub(super) fn without_credit(name: &str, names_site: impl Fn(&str) -> bool) -> Option<String> {
    let mut name = name.trim().to_string();
    if let Some(i) = PHOTO_CREDITS.iter().filter_map(|c| name.find(c)).min() {
        name.truncate(i);
    }
    let parts: Vec<&str> = name
        .split([',', '|'])
        .flat_map(|p| p.split(" - "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let kept: Vec<String> = parts
        .iter()
        .filter(|p| !(parts.len() > 1 && names_site(p)))
        .map(|p| {
            let words: Vec<&str> = p.split_whitespace().filter(|w| !is_address(w)).collect();
            without_job(&words.join(" "), &names_site)
        })
        .filter(|p| !p.is_empty())
        .collect();
    if kept.is_empty() {
        return None;
    }
    let unchanged = kept.len() == parts.len() && kept.iter().zip(&parts).all(|(k, p)| k == p);
    Some(if unchanged { name } else { kept.join(", ") })
}

/// Whether a word of a byline is an address: a link or an e-mail address
/// (in brackets or not).
fn is_address(word: &str) -> bool {
    let part = word.trim_matches(|c: char| "()<>[]".contains(c));
    part.contains("://")
        || part.starts_with("www.")
        || part.contains("[at]")
        || (part.contains('@') && part.contains('.') && !part.contains(' '))
}

/// A name without the job after it (`Ben Silverman Games Editor`, `Adam
/// Aaronson PhillyVoice Staff`): the trailing words that name a job, its
/// desk or the site, when one names a job; two words are always kept.
fn without_job(part: &str, names_site: &impl Fn(&str) -> bool) -> String {
    let words: Vec<&str> = part.split_whitespace().collect();
    if words.len() < 3 || !words[2..].iter().any(|w| is_role(w)) {
        return part.to_string();
    }
    let mut end = words.len();
    while end > 2 {
        let w = words[end - 1];
        let lower = w.to_lowercase();
        if is_role(w) || DESK_WORDS.contains(&lower.as_str()) || names_site(w) {
            end -= 1;
        } else {
            break;
        }
    }
    words[..end].join(" ")
}

/// Whether a writer is named by one given name only (`Nils`), which the
/// page may give in full elsewhere.
pub(super) fn is_given_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.chars().count() >= 3
        && chars.next().is_some_and(char::is_uppercase)
        && chars.all(char::is_lowercase)
}

/// The full name of a writer the metadata names by one given name
/// (`Nils`), as the page's author elements give it (`<p
/// class="full-name">Todd Bates</p>`, an author's bio: `<p
/// class="author-bio">Nils Pickert ist…`), outside the chrome that names
/// no writer.
pub(super) fn completed(doc: &Document, given: &str) -> Option<String> {
    let pattern = format!(
        r"(?:^|[^\p{{L}}])({})\s+((?:\p{{Lu}}\.\s*)?\p{{Lu}}[\p{{L}}'’-]+)",
        regex::escape(given)
    );
    let full = Regex::new(&pattern).ok()?;
    // Elements whose own class, rel or itemprop names an author, not an
    // ancestor's.
    doc.select(
        r#"[class*="author" i], [class*="autor" i], [class*="byline" i], [class*="bio" i], [class*="name" i], [rel~="author"], [itemprop="author"]"#,
    )
    .nodes()
    .iter()
    .filter(|n| !in_hard_chrome(n))
    .find_map(|n| {
        let text = collapse(&n.text());
        if text.chars().count() > COMPLETING_CHARS {
            return None;
        }
        // Within one text: a name and the bio after it in elements of
        // their own (`<h3>Matthias</h3><p>Medizinstudent, …`) are no
        // full name.
        let (given, surname) = n.descendants_it().filter(|t| t.is_text()).find_map(|t| {
            let text = collapse(&t.text());
            let c = full.captures(&text)?;
            Some((c.get(1)?.as_str().to_string(), c.get(2)?.as_str().to_string()))
        })?;
        let (given, surname) = (given.as_str(), surname.as_str());
        let name = format!("{given} {surname}");
        let lower = surname.to_lowercase();
        (surname != given
            && !is_date_word(&lower)
            && !COMMON_WORDS.contains(&lower.as_str())
            && !is_role(surname)
            && clean_author(surname).is_some()
            && is_name(&name))
            .then_some(name)
    })
}

/// An element longer than this is read no further for a writer's full
/// name (an author's bio is a few sentences).
const COMPLETING_CHARS: usize = 1000;
