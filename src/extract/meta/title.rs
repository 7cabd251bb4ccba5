//! The headline from `<title>`: the site's names the page gives (or a
//! Chinese, Japanese or Korean site's name gives itself), and the
//! title without them. Uses only `super`'s helpers and the DOM.

use super::text_of;
use crate::extract::collapse;
use dom_query::{NodeId, NodeRef};
use serde_json::{Map, Value};
use std::collections::HashMap;
use url::Url;

/// What separates a site's name (or a section) from the headline in a title.
const TITLE_SEPARATORS: &[&str] = &[
    " | ", " – ", " — ", " - ", " :: ", " : ", " · ", " » ", " • ", " │ ", "|", "_", "-",
];

/// A title segment longer than this many words is not a site's name.
const SITE_NAME_WORDS: usize = 5;

/// The page's own names for its site, as comparison keys (see [`name_key`]):
/// `og:site_name`, `application-name`, the JSON-LD publisher, and the host's
/// labels (`www.chefkoch.de` gives `chefkoch` and `chefkochde`).
pub(super) fn site_names(
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
/// a name or held by one, or a name in a script without spaces that says
/// it is a site (see [`is_east_asian_site`]).
pub(super) fn names_site(segment: &str, sites: &[String]) -> bool {
    let key = name_key(segment);
    (key.chars().count() >= 3
        && segment.split_whitespace().count() <= SITE_NAME_WORDS
        && sites.iter().any(|s| {
            key.contains(s.as_str()) || (s.contains(key.as_str()) && 2 * key.len() >= s.len())
        }))
        || is_east_asian_site(segment)
}

/// The words a Chinese, Japanese or Korean site's name ends with: net,
/// encyclopedia, channel, daily, news, online (`新华网`, `百度百科`,
/// `NHKニュース`), which a host's Latin letters cannot name.
const EAST_ASIAN_SITE_ENDS: &[&str] = &[
    "网",
    "網",
    "网站",
    "百科",
    "频道",
    "頻道",
    "日报",
    "日報",
    "新闻",
    "新聞",
    "在线",
    "ニュース",
    "新聞社",
    "뉴스",
    "신문",
];

/// At most this many characters make an East Asian site's name.
const EAST_ASIAN_SITE_CHARS: usize = 8;

/// Whether `c` is a letter of a script written without spaces between
/// words (Chinese, Japanese, Korean).
fn is_spaceless_script(c: char) -> bool {
    c.is_alphabetic() && c as u32 >= 0x2E80
}

/// Whether a title segment is a site's name by its own words in a script
/// without spaces: short, and ending with one of [`EAST_ASIAN_SITE_ENDS`].
fn is_east_asian_site(segment: &str) -> bool {
    let segment = segment.trim();
    segment.chars().count() <= EAST_ASIAN_SITE_CHARS
        && EAST_ASIAN_SITE_ENDS.iter().any(|e| segment.ends_with(e))
}

/// The title without the site's name: a trailing ` | Site` (and what
/// follows it, a tagline or a section) or a leading `Site: `, when the page
/// names that site; what is left must still read as a headline.
pub(super) fn without_site(title: &str, sites: &[String]) -> String {
    if sites.is_empty() {
        return title.to_string();
    }
    let mut cuts: Vec<(usize, usize)> = TITLE_SEPARATORS
        .iter()
        .flat_map(|sep| title.match_indices(sep).map(|(i, m)| (i, i + m.len())))
        // A bare hyphen or underscore joins words (`Caritas-Präsidentin`)
        // unless it follows a space or punctuation (`标题 _站名`, `！-网`)
        // or stands between two characters of a script without spaces,
        // which joins no compound (`蔡健雅_百度百科`).
        .filter(|&(i, end)| {
            let before = title[..i].chars().next_back();
            end - i > 1
                || &title[i..end] == "|"
                || before.is_some_and(|c| !c.is_alphanumeric())
                || (before.is_some_and(is_spaceless_script)
                    && title[end..].chars().next().is_some_and(is_spaceless_script))
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

/// Words too common to say that two titles speak of the same thing.
pub(super) const COMMON_WORDS: &[&str] = &[
    "and", "the", "for", "with", "from", "of", "in", "on", "to", "a", "an", "und", "der", "die",
    "das", "den", "dem", "des", "ein", "eine", "mit", "von", "für", "im", "am", "zu", "et", "le",
    "la", "les", "de", "du", "des", "un", "une", "y", "el", "los", "las",
];

/// Whether two texts have a word (of two letters or more, not one of the
/// [`COMMON_WORDS`]) in common, ignoring case.
pub(super) fn shares_word(a: &str, b: &str) -> bool {
    let words = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 2)
            .map(str::to_lowercase)
            .filter(|w| !COMMON_WORDS.contains(&w.as_str()))
            .collect()
    };
    let b = words(b);
    // A script without spaces (Chinese, Japanese) has no words to share.
    a.chars().any(is_spaceless_script) || words(a).iter().any(|w| b.contains(w))
}

/// The page's `<title>` (`title`, the first in the page: an inline svg
/// has titles of its own) without a ` | Site name` tail.
pub(super) fn title_tag(title: &NodeRef) -> Option<String> {
    let title = collapse(&title.text());
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

/// Class words of a kicker: a topic line set before the headline inside
/// its element (`<span class="dachzeile">`, `article-heading__kicker`),
/// which a reader takes for a label, not for the headline's words.
const KICKER_WORDS: &[&str] = &[
    "kicker",
    "dachzeile",
    "spitzmarke",
    "overline",
    "topline",
    "roofline",
    "eyebrow",
    "supertitle",
    "overtitle",
    "pretitle",
];

/// Class words of a label that opens a headline element, before the
/// headline's words (`<h1><span class="subtitle">Olympia</span>
/// Headline</h1>`, `<div class="topic-label">`, `<span class="h1small">`,
/// `<span class="titleheader">`): read as a kicker only there, since
/// after the headline the same words name its subtitle.
const LEADING_KICKER_WORDS: &[&str] = &[
    "subtitle",
    "topic",
    "label",
    "h1small",
    "titleheader",
    "h5",
    "h6",
    "category",
    "rubric",
    "rubrik",
];

/// The element that opens `heading` (nothing but blanks before it) when
/// it is a kicker by [`LEADING_KICKER_WORDS`] and two words or more of
/// the headline follow it.
fn leading_kicker<'a>(heading: &NodeRef<'a>) -> Option<NodeRef<'a>> {
    let mut children = heading.children_it(false);
    let first = children.find(|c| !(c.is_text() && c.text().trim().is_empty()))?;
    let after: String = children.map(|c| c.text().to_string()).collect();
    (first.is_element()
        && has_class_word(&first, LEADING_KICKER_WORDS)
        && after.split_whitespace().count() >= 2)
        .then_some(first)
}

/// Class words of a heading's permalink marker (`<a class="headerlink">¶</a>`).
const PERMALINK_WORDS: &[&str] = &["headerlink", "permalink"];

/// Class names that hide an element from the eye (a screen reader's copy
/// of the site's name in an `<h1>`).
const HIDDEN_CLASSES: &[&str] = &[
    "aural",
    "sr-only",
    "visually-hidden",
    "visuallyhidden",
    "screen-reader-text",
    "element-invisible",
    "hidden",
];

/// Whether one of `node`'s class words (split at anything but a letter or
/// a digit) is in `words`.
fn has_class_word(node: &NodeRef, words: &[&str]) -> bool {
    node.attr("class").is_some_and(|c| {
        c.split(|ch: char| !ch.is_alphanumeric())
            .any(|w| words.iter().any(|k| w.eq_ignore_ascii_case(k)))
    })
}

/// The headline element's text without a kicker, style sheets, scripts or
/// ruby readings (`<rt>`) in it, and without the separator left before the headline's words
/// (`<span class="kicker">Topic</span><span class="sr-only">: </span>`);
/// its whole text where nothing else is left.
pub(super) fn heading_text(heading: &NodeRef) -> String {
    fn push(node: &NodeRef, lead: Option<NodeId>, out: &mut String) {
        for child in node.children_it(false) {
            if child.is_text() {
                out.push_str(&child.text());
            } else if child.is_element() {
                let unread = child.node_name().is_some_and(|n| {
                    matches!(
                        &*n,
                        "style" | "script" | "noscript" | "template" | "svg" | "rt" | "rp"
                    )
                });
                let label = has_class_word(&child, KICKER_WORDS)
                    || has_class_word(&child, PERMALINK_WORDS)
                    || lead == Some(child.id);
                // Inline elements run on (`<ruby>`, `<b>`); a block or a
                // label parts words.
                let block = child
                    .node_name()
                    .is_some_and(|n| matches!(&*n, "br" | "div" | "p" | "li" | "header"));
                if label || block {
                    out.push(' ');
                }
                let skip = unread || label;
                if !skip {
                    push(&child, None, out);
                }
            }
        }
    }
    let mut out = String::new();
    push(heading, leading_kicker(heading).map(|k| k.id), &mut out);
    let text = collapse(&out);
    let text = text.trim_start_matches(|c: char| c.is_whitespace() || ":|-–—·•".contains(c));
    if text.chars().any(char::is_alphanumeric) {
        text.to_string()
    } else {
        collapse(&heading.text())
    }
}

/// Whether an `<h1>` is the site's logo or a screen reader's label, not
/// the page's headline: hidden by its class, its text the site's name, or
/// all of it a link to the site's home page.
pub(super) fn is_masthead(heading: &NodeRef, text: &str, sites: &[String]) -> bool {
    let hidden = heading.attr("class").is_some_and(|c| {
        c.split_ascii_whitespace()
            .any(|w| HIDDEN_CLASSES.iter().any(|h| w.eq_ignore_ascii_case(h)))
    });
    let whole = collapse(&heading.text());
    let home_link = heading.descendants_it().any(|a| {
        a.node_name().is_some_and(|n| &*n == "a")
            && (a.attr("href").is_some_and(|h| is_home(&h))
                || a.attr("rel")
                    .is_some_and(|r| r.eq_ignore_ascii_case("home")))
            && collapse(&a.text()) == whole
    });
    let logo = std::iter::once(*heading)
        .chain(heading.descendants_it())
        .any(|n| {
            has_class_word(&n, LOGO_WORDS)
                || n.attr("class").is_some_and(|c| {
                    c.split_ascii_whitespace()
                        .any(|w| LOGO_CLASSES.iter().any(|l| w.eq_ignore_ascii_case(l)))
                })
        });
    is_masthead_text(text, sites) || hidden || home_link || logo
}

/// Class words of a site's logo or name in its masthead (`site-title`,
/// `brand`).
const LOGO_WORDS: &[&str] = &["logo", "brand", "branding", "masthead", "sitename"];

/// Whole class names of a site's name in its masthead.
const LOGO_CLASSES: &[&str] = &["site-title", "site-name", "site-logo"];

/// Whether `text` is one of the site's names, or most of one: stricter
/// than [`names_site`], since a headline may hold the site's name
/// (`ICON Magazine names its editor`); a page may also give its headline
/// as its `application-name`, so a name is short.
pub(super) fn is_masthead_text(text: &str, sites: &[String]) -> bool {
    let key = name_key(text);
    !key.is_empty()
        && text.split_whitespace().count() <= SITE_NAME_WORDS
        && sites
            .iter()
            .any(|s| *s == key || (s.contains(key.as_str()) && 2 * key.len() >= s.len()))
}

/// Whether a link's address is a site's home page: `/`, a scheme and a
/// host with no path, or an index page (`index.html`, `../`).
fn is_home(href: &str) -> bool {
    let href = href.trim();
    let path = match href.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => href,
    };
    let last = path.rsplit('/').next().unwrap_or("");
    !href.is_empty()
        && (matches!(path, "" | "/")
            || (path
                .split('/')
                .rev()
                .skip(1)
                .all(|s| matches!(s, "" | "." | ".."))
                && (last.is_empty() || last.starts_with("index."))))
}

/// Whether `title` holds `heading` as its headline, ignoring case: a
/// headline of two words or more (four characters of a script without
/// spaces), or a single word the title sets off by a separator
/// (`Penny - Wiki`).
pub(super) fn holds_headline(title: &str, heading: &str) -> bool {
    let (title, heading) = (title.to_lowercase(), heading.to_lowercase());
    let Some(at) = title.find(&heading).filter(|_| !heading.is_empty()) else {
        return false;
    };
    let sized = heading.split_whitespace().count() >= 2
        || (heading.chars().any(is_spaceless_script) && heading.chars().count() >= 4);
    let (before, after) = (&title[..at], &title[at + heading.len()..]);
    sized
        || TITLE_SEPARATORS.iter().filter(|s| s.len() > 1).any(|s| {
            (before.is_empty() && after.starts_with(s)) || (after.is_empty() && before.ends_with(s))
        })
}

/// Whether `heading`, which `title` holds, is set off in it at one end at
/// least (`Section: Headline`, `Headline | Site`, `The Headline`): the
/// title starts or ends with it, or a separator or a mark sets it off
/// there; not a fragment in mid-phrase (`The Open Journalism Project:
/// Better…` holds `Open Journalism Project:`).
pub(super) fn sets_off(title: &str, heading: &str) -> bool {
    let (title, heading) = (title.to_lowercase(), heading.to_lowercase());
    let Some(at) = title.find(&heading) else {
        return false;
    };
    let (before, after) = (
        title[..at].trim_end(),
        title[at + heading.len()..].trim_start(),
    );
    let mark = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    mark(before.chars().next_back()) || mark(after.chars().next())
}
