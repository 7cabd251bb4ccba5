//! The paragraph candidate: the article as the page's paragraphs place it,
//! by their text and link density alone, with none of Readability's class
//! and id weights.
//!
//! Readability sometimes settles on a long block that is no article: a
//! table of names beside the story (its cells are scored like
//! paragraphs), a disclosure or login box whose class reads like a body.
//! Paragraphs of prose with few links sit in the article: the region is
//! the smallest container holding most of the page's prose (so a body in
//! several sibling containers is read whole), unless links fill it (a list
//! of teasers), and its blocks, in page order, are the candidate.
//! [`super::body`] compares it with Readability's by the prose they hold
//! and the words they share.

use super::chrome::{CHROME_MARK, CUT_MARK};
use super::collapse;
use dom_query::{Document, NodeId, NodeRef};
use std::collections::HashMap;

/// Elements that start a block of text; a block holding no other block is
/// a paragraph of the page.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Paragraphs that count as prose: not table cells, terms or headings.
const PROSE_TAGS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "dd",
    "div",
    "li",
    "main",
    "p",
    "pre",
    "section",
];

/// A paragraph is prose when it has this many letters (a sentence or two)
/// and at most this share of them in links.
const PROSE_LETTERS: usize = 60;
const PROSE_LINK_SHARE: f64 = 0.3;

/// A block of the region is kept when at most this share of its letters
/// is in links (a list of links inside the article is navigation).
const KEPT_LINK_SHARE: f64 = 0.5;

/// At most this share of the region's letters are in links.
const REGION_LINK_SHARE: f64 = 0.25;

/// The region holds this share of the page's prose letters.
const REGION_SHARE: f64 = 0.6;

/// One leaf block of the page.
pub(super) struct Block<'a> {
    pub node: NodeRef<'a>,
    /// Its text, whitespace collapsed.
    pub text: String,
    pub letters: usize,
    /// The share of its letters inside links.
    pub link_share: f64,
    prose: bool,
}

impl Block<'_> {
    fn scores(&self) -> bool {
        self.prose && self.letters >= PROSE_LETTERS && self.link_share <= PROSE_LINK_SHARE
    }
}

/// The paragraph candidate found on `doc` (its chrome marked by
/// [`super::chrome::mark_chrome`], its headline and byline by `meta`): its
/// HTML, its text (one block per paragraph) and the letters of its prose.
pub(super) struct Paragraphs {
    pub html: String,
    pub text: String,
    pub prose: usize,
    /// The share of the region's letters inside links.
    pub link_share: f64,
}

pub(super) fn candidate(doc: &Document) -> Option<Paragraphs> {
    let body = doc.select("body").nodes().first().copied()?;
    let mut blocks = Vec::new();
    leaves(&body, &mut blocks);
    // Every container holds the prose letters of the paragraphs under it;
    // the region is the smallest that holds most of the page's prose. More
    // than half: the containers holding it form one chain from `<body>` down.
    let mut held: HashMap<NodeId, usize> = HashMap::new();
    let mut total = 0;
    for b in blocks.iter().filter(|b| b.scores()) {
        total += b.letters;
        for a in b.node.ancestors_it(None) {
            *held.entry(a.id).or_default() += b.letters;
        }
    }
    // Wrappers in that chain may hold the same prose: the innermost (made
    // last by the parser, so with the highest id) is the region, whatever
    // order the map gives them in.
    let (&region, _) = held
        .iter()
        .filter(|(_, n)| **n as f64 >= REGION_SHARE * total as f64)
        .min_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))?;
    let inside: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.letters > 0)
        .filter(|b| {
            std::iter::once(b.node)
                .chain(b.node.ancestors_it(None))
                .any(|a| a.id == region)
        })
        .collect();
    // A list of teasers (a linked headline over each line of prose) is no
    // article, however much prose it holds.
    let letters: usize = inside.iter().map(|b| b.letters).sum();
    let linked: f64 = inside.iter().map(|b| b.link_share * b.letters as f64).sum();
    if linked > REGION_LINK_SHARE * letters as f64 {
        return None;
    }
    let kept: Vec<&Block> = inside
        .into_iter()
        .filter(|b| b.link_share <= KEPT_LINK_SHARE)
        .collect();
    let prose = kept.iter().filter(|b| b.scores()).map(|b| b.letters).sum();
    (prose > 0).then(|| Paragraphs {
        html: kept.iter().map(|b| b.node.html().to_string()).collect(),
        text: kept
            .iter()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n"),
        prose,
        link_share: linked / letters.max(1) as f64,
    })
}

/// The letters of the page's text outside the marked chrome and what it
/// hides: more than [`candidate`]'s prose can hold, for a fraction of its
/// cost.
pub(super) fn page_letters(doc: &Document) -> usize {
    fn under(node: &NodeRef) -> usize {
        node.children_it(false)
            .map(|c| {
                if c.is_text() {
                    letter_count(&c.text())
                } else if c.is_element() && !skipped(&c) {
                    under(&c)
                } else {
                    0
                }
            })
            .sum()
    }
    doc.select("body").nodes().first().map_or(0, under)
}

/// The letters of prose paragraphs (as [`candidate`] counts them) under
/// `root`: how much of a body reads like an article.
pub(super) fn prose_letters(root: &NodeRef) -> usize {
    let mut blocks = Vec::new();
    leaves(root, &mut blocks);
    blocks
        .iter()
        .filter(|b| b.scores())
        .map(|b| b.letters)
        .sum()
}

/// The leaf blocks under `root` (blocks holding no other block), in page
/// order, without the marked chrome.
pub(super) fn blocks<'a>(root: &NodeRef<'a>) -> Vec<Block<'a>> {
    let mut out = Vec::new();
    leaves(root, &mut out);
    out
}

/// Collects the leaf blocks under `node`, skipping marked chrome; returns
/// whether `node` holds a block.
fn leaves<'a>(node: &NodeRef<'a>, out: &mut Vec<Block<'a>>) -> bool {
    let mut holds_block = false;
    for child in node.children_it(false).filter(NodeRef::is_element) {
        if skipped(&child) {
            continue;
        }
        let name = child.node_name().map(|n| n.to_ascii_lowercase());
        let block = name.as_deref().is_some_and(|n| BLOCK_TAGS.contains(&n));
        let inner = leaves(&child, out);
        if block && !inner {
            let mut raw = String::new();
            let mut linked = 0;
            text_of(&child, false, &mut raw, &mut linked);
            let text = collapse(&raw);
            let letters = letter_count(&text);
            out.push(Block {
                node: child,
                text,
                letters,
                link_share: if letters == 0 {
                    0.0
                } else {
                    linked as f64 / letters as f64
                },
                prose: name.as_deref().is_some_and(|n| PROSE_TAGS.contains(&n)),
            });
        }
        holds_block |= block || inner;
    }
    holds_block
}

/// Appends the text under `node` to `out`, skipping marked chrome (a
/// script, a share button inside a paragraph), and counts the letters
/// inside links in `linked`.
fn text_of(node: &NodeRef, in_link: bool, out: &mut String, linked: &mut usize) {
    for child in node.children_it(false) {
        if child.is_text() {
            let text = child.text();
            if in_link {
                *linked += letter_count(&text);
            }
            out.push_str(&text);
        } else if child.is_element() && !skipped(&child) {
            let link = in_link
                || child
                    .node_name()
                    .is_some_and(|n| n.eq_ignore_ascii_case("a"));
            // Inline elements join their neighbours' words; a line break
            // separates them.
            if child
                .node_name()
                .is_some_and(|n| n.eq_ignore_ascii_case("br"))
            {
                out.push(' ');
            }
            text_of(&child, link, out, linked);
        }
    }
}

/// Whether an element is left out with what it holds: marked chrome, the
/// headline and byline, and what the page hides.
fn skipped(node: &NodeRef) -> bool {
    node.has_attr(CHROME_MARK)
        || node.has_attr(CUT_MARK)
        || node.has_attr("hidden")
        || node.attr("style").is_some_and(|s| {
            let s = s.to_ascii_lowercase().replace(' ', "");
            s.contains("display:none") || s.contains("visibility:hidden")
        })
}

fn letter_count(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphanumeric()).count()
}

/// The share of `of`'s words (with their counts, case folded) that are in
/// `within`: 1 when one text holds the other.
pub(super) fn shared_words(of: &str, within: &str) -> f64 {
    let bag = |t: &str| {
        let mut m: HashMap<String, usize> = HashMap::new();
        for w in t
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            *m.entry(w.to_lowercase()).or_default() += 1;
        }
        m
    };
    let (a, b) = (bag(of), bag(within));
    let total: usize = a.values().sum();
    if total == 0 {
        return 1.0;
    }
    let common: usize = a
        .iter()
        .map(|(w, n)| (*n).min(b.get(w).copied().unwrap_or(0)))
        .sum();
    common as f64 / total as f64
}
