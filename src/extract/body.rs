//! The article body: `dom_smoothie` (a port of Readability) picks the
//! article on the whole page, then the page chrome it kept (see `chrome`)
//! is cut from it; a body that came out short is checked against other
//! candidates (see [`grab`]).
//!
//! Cutting after, not before, matters: cutting the page first changes what
//! Readability picks, and on real pages it then loses the article (a
//! wrapper named like chrome, a header holding the first paragraphs) far
//! more often than it gains one; but Readability keeps a newsletter box, a
//! share bar or captions that sit inside the article's container.

use super::chrome::{
    ARTICLE_CONTAINERS, CHROME_MARK, CUT_MARK, ChromeLines, REPEATED_CHARS, cut_chrome, is_chrome,
};
use super::{collapse, density};
use dom_query::{Document, NodeRef};
use dom_smoothie::{Config, Readability, TextMode};
use url::Url;

/// A body below this many letters (some 200 words) is checked against the
/// other candidates. Letters, not words: Chinese and Japanese text has no
/// spaces.
const SHORT_BODY_LETTERS: usize = 1000;

/// Another candidate replaces the chosen body when it has this many times
/// its letters.
const FAR_LONGER: usize = 2;

/// The paragraph candidate replaces Readability's body when it holds this
/// many times its prose letters and the two share less than [`AGREEMENT`]
/// of the candidate's words: they found different blocks, and the one that
/// reads far more like an article wins.
const PROSE_MARGIN: usize = 4;
const AGREEMENT: f64 = 0.3;

/// The paragraph candidate also replaces Readability's body when it holds
/// this many times its prose and [`HOLDS`] of the body's words: the same
/// article, of which Readability took only one of the sibling containers.
/// And at most [`WIDER_LINK_SHARE`] of the wider region's letters are in
/// links: an article's prose links little, where teasers under it (a
/// linked headline over each summary) link a twentieth or more.
const WIDER_MARGIN: usize = 2;
const HOLDS: f64 = 0.9;
const WIDER_LINK_SHARE: f64 = 0.03;

/// The article body, with what Readability read as its byline and
/// publication date (the metadata's last resort).
pub(super) struct Body {
    pub html: String,
    pub text: String,
    pub byline: Option<String>,
    pub published: Option<String>,
}

/// Readability reads pages of up to this many elements (news pages have a
/// few thousand).
const MAX_ELEMENTS: usize = 60_000;

/// Below this many letters, a body that is all chrome is no article.
const CHROME_ONLY_CHARS: usize = SHORT_BODY_LETTERS;

/// One candidate body: its HTML and its text.
struct Candidate {
    html: String,
    text: String,
    letters: usize,
    /// The letters of its prose paragraphs ([`density::prose_letters`]).
    prose: usize,
    /// Whether it is short and all of it was marked as chrome (a menu, a
    /// cookie notice): the last resort, after the page's other candidates.
    chrome_only: bool,
}

impl Candidate {
    fn new(html: String, text: String, prose: usize) -> Option<Candidate> {
        let letters = text.chars().filter(|c| c.is_alphanumeric()).count();
        (letters > 0).then_some(Candidate {
            html,
            text,
            letters,
            prose,
            chrome_only: false,
        })
    }
}

/// The article body from the page (parsed as `doc`, its chrome
/// marked by [`mark_chrome`](super::chrome::mark_chrome), its headline and
/// byline by `meta`), or `None` when it holds no text.
///
/// Readability (`dom_smoothie`) picks the article on the whole page; the
/// marked chrome, headline, byline and captions are then cut from what it
/// picked. Readability on the whole page keeps far more articles whole than
/// on a page cut first, but it sometimes settles on one short block (a
/// teaser, a caption, one of several sibling containers): a short body is
/// checked against Readability on the page cut first and against the
/// page's article container, and the far longer one wins.
///
/// The page is parsed once: Readability changes the document it reads, so
/// it reads a copy (a copy of the tree costs a small part of a parse), and
/// what it picked is cut where it stands, never serialized and parsed again.
pub(super) fn grab(doc: Document, chrome: &ChromeLines, url: Option<&Url>) -> Option<Body> {
    let first = readability(doc.clone(), url);
    let byline = first.as_ref().and_then(|(a, _)| a.byline.clone());
    let published = first.as_ref().and_then(|(a, _)| a.published_time.clone());
    let mut chosen = first.and_then(|(_, picked)| tidy(&picked, chrome));
    // The paragraph candidate wins only with [`PROSE_MARGIN`] times the
    // pick's prose: on a page with fewer letters than that outside its
    // chrome, it is not read at all.
    let worth_reading = chosen
        .as_ref()
        .is_none_or(|c| WIDER_MARGIN * c.prose <= density::page_letters(&doc));
    if worth_reading && let Some(p) = density::candidate(&doc) {
        let wins = chosen.as_ref().is_none_or(|c| {
            (p.prose >= PROSE_MARGIN * c.prose
                && density::shared_words(&p.text, &c.text) < AGREEMENT)
                || (p.prose >= WIDER_MARGIN * c.prose
                    && p.link_share <= WIDER_LINK_SHARE
                    && density::shared_words(&c.text, &p.text) >= HOLDS)
        });
        if wins {
            // Its blocks, copied out of the page, in one element as
            // Readability's pick is.
            let picked = Document::from(format!("<div>{}</div>", p.html));
            chosen = picked
                .select_single("body > div")
                .nodes()
                .first()
                .and_then(|root| tidy_root(root, chrome));
        }
    }
    let body = |c: Candidate| Body {
        html: c.html,
        text: c.text,
        byline: byline.clone(),
        published: published.clone(),
    };
    if chosen
        .as_ref()
        .is_some_and(|c| c.letters >= SHORT_BODY_LETTERS)
    {
        return chosen.map(body);
    }
    // What Readability picked may be chrome and nothing else: a menu or a
    // cookie notice on a page whose text it missed. But an article may sit
    // in a container named like chrome (`<div class="widget Blog">`): it
    // is kept when nothing else is found and it holds a paragraph of prose
    // (a menu holds none).
    let (chosen, chrome_only) = match chosen {
        Some(c) if c.chrome_only => (None, Some(c)),
        c => (c, None),
    };
    let cut = doc;
    cut_chrome(&cut);
    let container = |sel: &str| {
        let html = cut.select(sel).first().inner_html().to_string();
        let text = paragraphs(&html);
        Candidate::new(html, text, 0)
    };
    let article = container(ARTICLE_CONTAINERS);
    // The whole page is the last resort: it is never better than a body.
    let page = container("body");
    let recut = readability(cut, url).and_then(|(a, _)| {
        Candidate::new(a.content.to_string(), a.text_content.trim().to_string(), 0)
    });
    let mut best = chosen;
    for other in [recut, article].into_iter().flatten() {
        let better = best
            .as_ref()
            .is_none_or(|b| other.letters >= FAR_LONGER * b.letters);
        if better {
            best = Some(other);
        }
    }
    best.or(chrome_only.filter(|c| c.prose > 0))
        .or(page)
        .map(body)
}

/// What Readability finds on `doc`, when it finds any text: the article and
/// the document it left, which holds what it picked.
fn readability(doc: Document, url: Option<&Url>) -> Option<(dom_smoothie::Article, Document)> {
    let config = Config {
        text_mode: TextMode::Formatted,
        // The classes tell `tidy` what is chrome; it drops them after.
        keep_classes: true,
        // Readability scores a page up to four times over: past this many
        // elements it gives up, and the linear fallbacks of `grab` read it.
        max_elements_to_parse: MAX_ELEMENTS,
        ..Config::default()
    };
    let mut r = Readability::with_document(doc, url.map(Url::as_str), Some(config)).ok()?;
    r.parse()
        .ok()
        .filter(|a| !a.text_content.trim().is_empty())
        .map(|a| (a, r.doc))
}

/// Whether an element of the article Readability picked is to be cut: the
/// headline and byline, chrome marked on the page, captions, and chrome by
/// its class (Readability rebuilds some elements, losing the marks but not
/// the classes it was told to keep).
fn to_cut(node: &NodeRef) -> bool {
    node.has_attr(CUT_MARK)
        || node.has_attr(CHROME_MARK)
        || node
            .node_name()
            .is_some_and(|n| n.eq_ignore_ascii_case("figcaption"))
        || is_chrome(node)
}

/// What Readability picked in `picked`, the document it left, tidied
/// ([`tidy_root`]).
fn tidy(picked: &Document, chrome: &ChromeLines) -> Option<Candidate> {
    let root = picked
        .select_single(READABILITY_ROOT)
        .nodes()
        .first()
        .copied()?;
    tidy_root(&root, chrome)
}

/// The element Readability puts what it picked in.
const READABILITY_ROOT: &str = "#readability-page-1";

/// Cut from a picked body (`root`, taken out of its page so that it reads
/// as the article alone): the marked chrome, headline and byline, captions,
/// and the date stamps and link lines among its blocks ([`cut_blocks`]);
/// each only while it is a small part of the body, so that a container
/// mistaken for chrome never takes the article with it.
fn tidy_root(root: &NodeRef, chrome: &ChromeLines) -> Option<Candidate> {
    // Detached, its page's containers (an `<article>` around it) no longer
    // tell what inside it is chrome: only the body itself does.
    root.remove_from_parent();
    let root_sel = dom_query::Selection::from(*root);
    let total = text_len(&root_sel);
    let chrome_only = total < CHROME_ONLY_CHARS && outside_cuts(root) == 0;
    let mut cut = 0;
    let elements: Vec<NodeRef> = std::iter::once(*root)
        .chain(root.descendants_it())
        .filter(NodeRef::is_element)
        .collect();
    for node in &elements {
        if (node.parent().is_none() && node.id != root.id) || !to_cut(node) {
            continue;
        }
        let len = text_len(&dom_query::Selection::from(*node));
        if len * 3 <= total && (cut + len) * 2 <= total {
            cut += len;
            node.remove_from_parent();
        }
    }
    // A line repeated in the body (a share bar under every paragraph, a
    // photo credit under every picture) is not the article: only its first
    // occurrence stays; a line that is the text of the page's chrome goes.
    let mut seen = std::collections::HashSet::new();
    for node in root.descendants().iter().filter(|n| n.is_element()) {
        let leaf_block = node.node_name().is_some_and(|n| {
            ["p", "li", "div", "span"]
                .iter()
                .any(|t| n.eq_ignore_ascii_case(t))
        });
        if !leaf_block || node.parent().is_none() || !node.element_children().is_empty() {
            continue;
        }
        let text = collapse(&node.text());
        if text.is_empty() || text.chars().count() > REPEATED_CHARS {
            continue;
        }
        let len = text_len(&dom_query::Selection::from(*node));
        let repeated = chrome.holds(&text) || !seen.insert(text);
        if repeated && (cut + len) * 2 <= total {
            cut += len;
            node.remove_from_parent();
        }
    }
    cut_blocks(root, (total / 2).saturating_sub(cut));
    for node in std::iter::once(*root).chain(root.descendants()) {
        if node.is_element() {
            node.remove_attrs(&[CUT_MARK, CHROME_MARK, "class"]);
        }
    }
    let prose = density::prose_letters(root);
    let mut found = Candidate::new(
        root.html().to_string(),
        root.formatted_text().trim().to_string(),
        prose,
    )?;
    found.chrome_only = chrome_only;
    Some(found)
}

/// The letters under `node` outside the elements [`to_cut`] marks.
fn outside_cuts(node: &NodeRef) -> usize {
    node.children_it(false)
        .map(|c| {
            if c.is_text() {
                c.text().chars().filter(|c| !c.is_whitespace()).count()
            } else if c.is_element() && !to_cut(&c) {
                outside_cuts(&c)
            } else {
                0
            }
        })
        .sum()
}

/// A leaf block with this share of its letters in links is a link line
/// (`Lakers vs Nets: NBA make final decision [VIDEO]`, `Related: …`).
const LINK_LINE_SHARE: f64 = 0.8;

/// A block of at most this many words, without a sentence's end, over a
/// link line is its heading (`DON'T MISS`, `You may also like...`).
const HEADING_WORDS: usize = 5;

/// Cuts the leaf blocks of a body that are no article text, up to
/// `budget` letters, and returns the letters cut: date stamps (`Updated
/// 5:27 am CST, Wednesday, November 20, 2019`), link lines (a related
/// story, `Read more: …`) and the short heading over them. A link line in
/// a list or a table stays (a list of references, a table of downloads
/// is content), and so does a bare address (`https://…` as a paragraph).
fn cut_blocks(root: &NodeRef, budget: usize) -> usize {
    let blocks = density::blocks(root);
    let link_line: Vec<bool> = blocks
        .iter()
        .map(|b| {
            let in_list = b.node.node_name().is_some_and(|n| {
                ["li", "dd", "dt", "td", "th"]
                    .iter()
                    .any(|t| n.eq_ignore_ascii_case(t))
            });
            b.letters > 0 && b.link_share >= LINK_LINE_SHARE && !in_list && b.text.contains(' ')
        })
        .collect();
    let heading = |b: &density::Block| {
        b.letters > 0
            && b.link_share < LINK_LINE_SHARE
            && b.text.split_whitespace().count() <= HEADING_WORDS
            && !b.text.ends_with(['.', '!', '?'])
    };
    let doomed: Vec<bool> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            link_line[i]
                || (b.letters > 0 && b.text.chars().count() <= REPEATED_CHARS && is_stamp(&b.text))
                || (heading(b) && link_line.get(i + 1) == Some(&true))
        })
        .collect();
    let mut cut = 0;
    for (b, d) in blocks.iter().zip(doomed) {
        let len = b.text.chars().filter(|c| !c.is_whitespace()).count();
        if d && cut + len <= budget {
            cut += len;
            b.node.remove_from_parent();
        }
    }
    cut
}

/// Whether a line holds only a date and time and their labels (`Updated
/// 5:27 am CST, Wednesday, November 20, 2019`, `PUBLISHED: 10:48, Tue,
/// Nov 19, 2019`, `Published 1 day ago`): a stamp, not article text. Every
/// word is a number, a month, a weekday, a time or zone word or a label,
/// and the numbers make a date (a month or `ago` beside them, a `/`, or
/// three of them: `10:48 19.11.`).
fn is_stamp(text: &str) -> bool {
    const MONTHS: &[&str] = &[
        "jan",
        "january",
        "feb",
        "february",
        "mar",
        "march",
        "apr",
        "april",
        "may",
        "jun",
        "june",
        "jul",
        "july",
        "aug",
        "august",
        "sep",
        "sept",
        "september",
        "oct",
        "october",
        "nov",
        "november",
        "dec",
        "december",
    ];
    const OTHER: &[&str] = &[
        "mon",
        "monday",
        "tue",
        "tues",
        "tuesday",
        "wed",
        "wednesday",
        "thu",
        "thurs",
        "thursday",
        "fri",
        "friday",
        "sat",
        "saturday",
        "sun",
        "sunday",
        "am",
        "pm",
        "a",
        "p",
        "m",
        "est",
        "edt",
        "cst",
        "cdt",
        "mst",
        "mdt",
        "pst",
        "pdt",
        "et",
        "pt",
        "ct",
        "gmt",
        "utc",
        "bst",
        "cet",
        "cest",
        "published",
        "updated",
        "posted",
        "last",
        "modified",
        "on",
        "at",
        "date",
        "day",
        "days",
        "hour",
        "hours",
        "hr",
        "hrs",
        "minute",
        "minutes",
        "min",
        "mins",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "h",
        "uhr",
        "um",
        "le",
        "à",
        "de",
        "del",
        "el",
    ];
    if super::meta::is_date_line(text) {
        return true;
    }
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut dated = false;
    let mut numbered = false;
    for w in &words {
        let digits = w.trim_end_matches(['s', 't', 'n', 'd', 'r', 'h']);
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            numbered = true;
        } else if MONTHS.contains(&w.as_str()) || w == "ago" {
            dated = true;
        } else if !OTHER.contains(&w.as_str()) {
            return false;
        }
    }
    numbered && (dated || text.contains('/') || words.len() >= 3)
}

fn text_len(sel: &dom_query::Selection) -> usize {
    sel.text().chars().filter(|c| !c.is_whitespace()).count()
}

/// The text of the block elements in `html`, one per paragraph.
fn paragraphs(html: &str) -> String {
    Document::from(html)
        .select("p, li, h2, h3, h4, blockquote, pre")
        .nodes()
        .iter()
        .map(|n| collapse(&n.text()))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}
