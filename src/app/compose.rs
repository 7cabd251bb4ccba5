//! Feed composition: from the candidate items of a `[[feed]]`'s sources
//! (newest first, as the store gives them) to the items the feed shows —
//! include/exclude filters, dedupe across sources, the limit, and summary
//! mode.
//!
//! Pure: no I/O, no clock, so the same candidates always give the same feed.
//! A child of `app`, the composition root; it uses `model`, the checked
//! [`Feed`] from `config`, and `normalize`'s plain-text reading of HTML.
//!
//! A feed with `error_items` also shows, first, one item per source that
//! is failing or lists nothing ([`trouble_item`]).
//!
//! Dedupe clusters items that share a canonical URL or whose texts have
//! near-identical similarity hashes, transitively, and keeps one item per
//! cluster: the earliest copy (its id, link and date, so a guid never
//! changes when later copies arrive), carrying the richest copy's text.

use crate::config::{ContentMode, Feed};
use crate::model::Item;
use crate::normalize;
use crate::store::SourceState;
use chrono::SecondsFormat;
use html_escape::encode_text;

/// The item a feed with `error_items` shows for a source in trouble
/// (`warning` or `error`), as RSS-Bridge does: one per spell of trouble
/// (its id names when the spell began, so a reader sees it once, and a new
/// one when the source breaks again), dated when it began. `name` is the
/// source's title or id, `link` where it lives (shown without secrets).
/// `None` while the source is well.
pub fn trouble_item(state: &SourceState, name: &str, link: Option<String>) -> Option<Item> {
    let since = state.troubled_since?;
    let failing = match state.last_outcome.as_deref() {
        Some("error") => true,
        Some("warning") => false,
        _ => return None,
    };
    let when = since.to_rfc3339_opts(SecondsFormat::Secs, true);
    let why = state.last_error.as_deref().unwrap_or("no reason recorded");
    let (title, what) = if failing {
        (
            format!("{name} is failing"),
            format!(
                "tidings cannot read this source since {when} ({} fetches in a row failed).",
                state.consecutive_errors
            ),
        )
    } else {
        (
            format!("{name} lists no items"),
            format!("This source has listed no items since {when}."),
        )
    };
    let last = state
        .last_fetch
        .map(|t| {
            format!(
                " <p>Last tried {}.</p>",
                t.to_rfc3339_opts(SecondsFormat::Secs, true)
            )
        })
        .unwrap_or_default();
    Some(Item {
        source: state.id.clone(),
        id: format!(
            "tag:tidings,2026:trouble/{}/{}",
            state.id,
            since.timestamp()
        ),
        link,
        title,
        authors: vec!["tidings".into()],
        summary_html: Some(format!(
            "<p>{}</p> <p>{}</p>{last}",
            encode_text(&what),
            encode_text(why)
        )),
        content_html: None,
        published: since,
        dated: true,
        updated: None,
        categories: Vec::new(),
        enclosures: Vec::new(),
        also_via: Vec::new(),
    })
}

/// Two texts whose 64-bit simhashes differ in at most this many bits are
/// the same article (the usual threshold for near-duplicate web pages).
const MAX_HAMMING: u32 = 3;

/// Texts with fewer shingles than this are too short for their simhash to
/// tell articles apart ("Untitled", a one-line note), so they are matched
/// by URL only.
const MIN_SHINGLES: usize = 24;

/// Words per shingle.
const SHINGLE: usize = 3;

/// The items a feed shows, newest first: `candidates` (newest first)
/// filtered, deduplicated when the feed asks, cut to its limit, with the
/// full content dropped in summary mode.
pub fn compose(feed: &Feed, candidates: Vec<Item>) -> Vec<Item> {
    let filtered: Vec<Item> = candidates.into_iter().filter(|i| keeps(feed, i)).collect();
    let mut out = if feed.dedupe {
        dedupe(filtered)
    } else {
        filtered
    };
    out.truncate(feed.limit);
    for i in &mut out {
        shown(feed, i);
    }
    out
}

/// The item as the feed shows it: in summary mode, without its full
/// content (and with a summary made from it when it has none).
pub fn shown(feed: &Feed, item: &mut Item) {
    if feed.content == ContentMode::Summary {
        if item.summary_html.is_none() {
            item.summary_html = item.content_html.as_deref().map(summarize);
        }
        item.content_html = None;
    }
}

/// The text `include` and `exclude` are matched against: the title, a line
/// break, and the plain text of the summary (else of the content, from which
/// summary mode would make the summary). Plain text, so a pattern never
/// matches markup.
pub(crate) fn filter_text(item: &Item) -> String {
    let body = item
        .summary_html
        .as_deref()
        .or(item.content_html.as_deref())
        .map(normalize::plain_text)
        .unwrap_or_default();
    format!("{}\n{body}", item.title)
}

/// Whether the feed's `include` and `exclude` keep the item.
pub fn keeps(feed: &Feed, item: &Item) -> bool {
    if feed.include.is_empty() && feed.exclude.is_empty() {
        return true;
    }
    let text = filter_text(item);
    (feed.include.is_empty() || feed.include.iter().any(|r| r.is_match(&text)))
        && !feed.exclude.iter().any(|r| r.is_match(&text))
}

/// One item per cluster of copies, newest first.
fn dedupe(items: Vec<Item>) -> Vec<Item> {
    let keys: Vec<Keys> = items.iter().map(Keys::of).collect();
    let mut sets = DisjointSets::new(items.len());
    for i in 0..items.len() {
        for j in i + 1..items.len() {
            if keys[i].same_article(&keys[j]) {
                sets.union(i, j);
            }
        }
    }
    let mut clusters: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    for i in 0..items.len() {
        clusters[sets.find(i)].push(i);
    }
    let mut out: Vec<Item> = clusters
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(|c| merge(&items, &keys, &c))
        .collect();
    out.sort_by(newest_first);
    out
}

/// The store's order: newest first, ties by source and id.
fn newest_first(a: &Item, b: &Item) -> std::cmp::Ordering {
    b.published
        .cmp(&a.published)
        .then_with(|| a.source.cmp(&b.source))
        .then_with(|| a.id.cmp(&b.id))
}

/// The earliest copy of a cluster, with the text of its richest copy.
fn merge(items: &[Item], keys: &[Keys], cluster: &[usize]) -> Item {
    // Earliest first; among copies of the same time the richest; then a
    // fixed order, so the choice never depends on the candidates' order.
    let earliest = cluster
        .iter()
        .copied()
        .min_by(|&a, &b| {
            items[a]
                .published
                .cmp(&items[b].published)
                .then_with(|| keys[b].richness.cmp(&keys[a].richness))
                .then_with(|| newest_first(&items[b], &items[a]))
        })
        .unwrap_or(cluster[0]);
    let richest = cluster
        .iter()
        .copied()
        .max_by(|&a, &b| {
            keys[a]
                .richness
                .cmp(&keys[b].richness)
                // Prefer the earliest among equally rich copies.
                .then_with(|| items[b].published.cmp(&items[a].published))
                .then_with(|| newest_first(&items[a], &items[b]))
        })
        .unwrap_or(earliest);
    let mut kept = items[earliest].clone();
    let mut via: Vec<String> = cluster
        .iter()
        .map(|&i| items[i].source.clone())
        .filter(|s| *s != kept.source)
        .collect();
    via.sort();
    via.dedup();
    kept.also_via = via;
    if keys[richest].richness > keys[earliest].richness {
        let rich = &items[richest];
        kept.summary_html = rich.summary_html.clone();
        kept.content_html = rich.content_html.clone();
        if kept.authors.is_empty() {
            kept.authors = rich.authors.clone();
        }
        if kept.categories.is_empty() {
            kept.categories = rich.categories.clone();
        }
        if kept.enclosures.is_empty() {
            kept.enclosures = rich.enclosures.clone();
        }
    }
    kept
}

/// What dedupe compares of one item.
struct Keys {
    url: Option<String>,
    /// `None` when the text is too short to compare by content.
    simhash: Option<u64>,
    /// Characters of plain text in the item's content, else its summary.
    richness: usize,
}

impl Keys {
    fn of(item: &Item) -> Keys {
        let body = item
            .content_html
            .as_deref()
            .or(item.summary_html.as_deref())
            .map(normalize::plain_text)
            .unwrap_or_default();
        Keys {
            url: item.link.as_deref().and_then(canonical_url),
            // The body only: syndicated copies often retitle an article
            // ("… | Site"), but rarely rewrite it.
            simhash: simhash(&body),
            richness: body.chars().count(),
        }
    }

    fn same_article(&self, other: &Keys) -> bool {
        let same_url = self.url.is_some() && self.url == other.url;
        let same_text = match (self.simhash, other.simhash) {
            (Some(a), Some(b)) => (a ^ b).count_ones() <= MAX_HAMMING,
            _ => false,
        };
        same_url || same_text
    }
}

/// The URL two copies of one article share, or `None` for a link that is not
/// an http(s) URL. Tracking parameters are already gone (normalization
/// removes them); on top of that, `http` and `https` are one scheme, the host
/// is lowercase without a leading `www.`, a trailing `/` of the path and the
/// fragment are dropped, and query parameters are sorted.
fn canonical_url(link: &str) -> Option<String> {
    let url = url::Url::parse(link).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    let mut query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    query.sort();
    let query = if query.is_empty() {
        String::new()
    } else {
        let mut q = url::form_urlencoded::Serializer::new(String::from("?"));
        q.extend_pairs(&query);
        q.finish()
    };
    Some(format!("{host}{port}{path}{query}"))
}

/// A 64-bit simhash (Charikar) of the text's word shingles, lowercased; `None`
/// when the text has fewer than [`MIN_SHINGLES`] shingles.
fn simhash(text: &str) -> Option<u64> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() < SHINGLE + MIN_SHINGLES - 1 {
        return None;
    }
    let mut weights = [0i64; 64];
    for shingle in words.windows(SHINGLE) {
        let h = shingle_hash(shingle);
        for (bit, w) in weights.iter_mut().enumerate() {
            if h >> bit & 1 == 1 {
                *w += 1;
            } else {
                *w -= 1;
            }
        }
    }
    Some(
        weights
            .iter()
            .enumerate()
            .filter(|(_, w)| **w > 0)
            .fold(0u64, |acc, (bit, _)| acc | 1 << bit),
    )
}

/// A stable hash of the words, each followed by a separator.
fn shingle_hash(words: &[String]) -> u64 {
    crate::text::fnv1a(words.iter().flat_map(|w| w.bytes().chain([0])))
}

/// Union-find over item indices.
struct DisjointSets {
    parent: Vec<usize>,
}

impl DisjointSets {
    fn new(n: usize) -> DisjointSets {
        DisjointSets {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        // The smaller index becomes the root, so roots do not depend on the
        // order of unions.
        if ra < rb {
            self.parent[rb] = ra;
        } else if rb < ra {
            self.parent[ra] = rb;
        }
    }
}

/// The first paragraph-sized part of an article, for summary mode.
fn summarize(html: &str) -> String {
    let text = normalize::plain_text(html);
    if text.chars().count() <= 300 {
        return format!("<p>{}</p>", html_escape::encode_text(&text));
    }
    // The last space within the first 300 bytes; text without one (a long
    // URL, CJK) is cut hard at the 300th character.
    let hard = text.char_indices().nth(300).map_or(text.len(), |(i, _)| i);
    let cut = text
        .char_indices()
        .take_while(|(i, _)| *i < 300)
        .filter(|(_, c)| c.is_whitespace())
        .last()
        .map_or(hard, |(i, _)| i);
    format!("<p>{}…</p>", html_escape::encode_text(&text[..cut]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Utc};
    use regex::Regex;

    #[test]
    fn summaries_of_text_without_spaces_are_bounded() {
        let s = summarize(&"字".repeat(100_000));
        assert_eq!(s, format!("<p>{}…</p>", "字".repeat(300)));
    }

    const ARTICLE: &str = "<p>The harbour bridge reopened to traffic on Saturday after a repair that took two years and cost more than planned. Engineers replaced the entire deck and half of the cables, the city said.</p>";

    fn feed() -> Feed {
        Feed {
            id: "all".into(),
            title: "All".into(),
            description: String::new(),
            sources: vec!["a".into(), "b".into(), "c".into()],
            limit: 50,
            include: vec![],
            exclude: vec![],
            dedupe: true,
            content: ContentMode::Full,
            error_items: false,
            archive_page: 0,
        }
    }

    fn item(source: &str, id: &str, link: &str, day: u32, html: &str) -> Item {
        Item {
            source: source.into(),
            id: id.into(),
            link: Some(link.into()),
            title: format!("Title {id}"),
            content_html: Some(html.into()),
            published: Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap(),
            dated: true,
            ..Item::default()
        }
    }

    fn ids(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .map(|i| format!("{}:{}", i.source, i.id))
            .collect()
    }

    #[test]
    fn canonical_urls_ignore_scheme_www_slash_fragment_and_param_order() {
        let c = |s| canonical_url(s).unwrap();
        assert_eq!(
            c("https://www.Example.org/a/?b=2&a=1#top"),
            c("http://example.org/a?a=1&b=2")
        );
        assert_ne!(c("https://example.org/a"), c("https://example.org/b"));
        assert_ne!(c("https://example.org/a?id=1"), c("https://example.org/a"));
        assert_eq!(canonical_url("urn:x:y"), None);
    }

    #[test]
    fn simhash_is_close_for_small_edits_and_far_for_other_texts() {
        let a = simhash(&normalize::plain_text(ARTICLE)).unwrap();
        let edited = ARTICLE.replace("the city said", "the city said on Monday");
        let b = simhash(&normalize::plain_text(&edited)).unwrap();
        assert!(
            (a ^ b).count_ones() <= MAX_HAMMING,
            "{}",
            (a ^ b).count_ones()
        );
        let other = "A comet is now visible with binoculars in the evening sky, low in the west after sunset, and it will brighten further over the coming two weeks, astronomers said.";
        let c = simhash(other).unwrap();
        assert!((a ^ c).count_ones() > 10, "{}", (a ^ c).count_ones());
        assert_eq!(simhash("Untitled"), None);
    }

    #[test]
    fn same_url_through_two_sources_is_shown_once_as_the_earliest_copy() {
        let early = item("b", "b-77", "https://news.example/a", 2, "<p>short</p>");
        let late = item("a", "guid-1", "https://www.news.example/a/", 3, ARTICLE);
        let other = item("c", "x", "https://news.example/other", 1, "<p>x</p>");
        let out = compose(&feed(), vec![late, early, other]);
        assert_eq!(ids(&out), ["b:b-77", "c:x"]);
        // The earliest copy's identity and date, the richest copy's text.
        assert_eq!(out[0].link.as_deref(), Some("https://news.example/a"));
        assert_eq!(out[0].published.day(), 2);
        assert_eq!(out[0].content_html.as_deref(), Some(ARTICLE));
        // Provenance: the copy merged away is named.
        assert_eq!(out[0].also_via, ["a"]);
        assert!(out[1].also_via.is_empty());
    }

    #[test]
    fn same_text_under_other_urls_is_shown_once() {
        let a = item("a", "1", "https://one.example/x", 5, ARTICLE);
        let mirrored = ARTICLE.replace("the city said", "the city said.</p><p>Share this");
        let b = item("b", "2", "https://mirror.example/y", 4, &mirrored);
        let out = compose(&feed(), vec![a, b]);
        assert_eq!(ids(&out), ["b:2"]);
        // Without dedupe both stay.
        let mut f = feed();
        f.dedupe = false;
        let a = item("a", "1", "https://one.example/x", 5, ARTICLE);
        let b = item("b", "2", "https://mirror.example/y", 4, ARTICLE);
        assert_eq!(compose(&f, vec![a, b]).len(), 2);
    }

    #[test]
    fn clusters_are_transitive_and_independent_of_order() {
        // a~b by URL, b~c by text: one article.
        let a = item("a", "1", "https://one.example/x", 3, "<p>tiny</p>");
        let b = item("b", "2", "https://one.example/x", 2, ARTICLE);
        let c = item("c", "3", "https://two.example/z", 4, ARTICLE);
        let d = item("c", "4", "https://two.example/d", 1, "<p>else</p>");
        let forward = compose(&feed(), vec![a.clone(), b.clone(), c.clone(), d.clone()]);
        let backward = compose(&feed(), vec![d, c, b, a]);
        assert_eq!(ids(&forward), ["b:2", "c:4"]);
        assert_eq!(forward, backward);
    }

    #[test]
    fn short_texts_match_by_url_only() {
        let a = item("a", "1", "https://one.example/x", 3, "<p>Untitled</p>");
        let mut b = item("b", "2", "https://two.example/y", 2, "<p>Untitled</p>");
        b.title = a.title.clone();
        assert_eq!(compose(&feed(), vec![a, b]).len(), 2);
    }

    #[test]
    fn include_and_exclude_match_title_and_plain_summary() {
        let mut f = feed();
        f.include = vec![Regex::new("(?i)bridge").unwrap()];
        f.exclude = vec![Regex::new("(?i)sponsored").unwrap()];
        let bridge = item("a", "1", "https://x.example/1", 3, ARTICLE);
        let mut ad = item("a", "2", "https://x.example/2", 2, ARTICLE);
        ad.title = "Sponsored: bridges".into();
        let mut markup = item("a", "3", "https://x.example/3", 1, "<p>nothing</p>");
        // A pattern never matches markup.
        markup.summary_html = Some("<p class=\"bridge\">nothing here</p>".into());
        let out = compose(&f, vec![bridge, ad, markup]);
        assert_eq!(ids(&out), ["a:1"]);
    }

    #[test]
    fn limit_applies_after_dedupe_and_summary_mode_drops_content() {
        let mut f = feed();
        f.limit = 1;
        f.content = ContentMode::Summary;
        let a = item("a", "1", "https://x.example/1", 3, ARTICLE);
        let b = item("b", "2", "https://x.example/1", 2, ARTICLE);
        let c = item("c", "3", "https://x.example/3", 1, "<p>Other news</p>");
        let out = compose(&f, vec![a, b, c]);
        assert_eq!(ids(&out), ["b:2"]);
        assert_eq!(out[0].content_html, None);
        let summary = out[0].summary_html.as_deref().unwrap();
        assert!(summary.starts_with("<p>The harbour bridge"), "{summary}");
        assert!(summary.len() < ARTICLE.len() + 10);
    }

    #[test]
    fn summaries_are_kept_and_long_text_is_cut_at_a_word() {
        assert_eq!(summarize("<p>a &amp; b</p>"), "<p>a &amp; b</p>");
        let long = format!("<p>{}</p>", "word ".repeat(100));
        let s = summarize(&long);
        assert!(s.ends_with("word…</p>"), "{s}");
        assert!(s.len() < 320, "{s}");
    }
}
