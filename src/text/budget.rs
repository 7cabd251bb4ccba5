//! The HTML work budget, held before any parse. The HTML parser and
//! Readability take time that grows with the square of the nesting depth
//! and of the number of attributes on one element, so 1 MB of nested
//! `<div>`s or one tag with a hundred thousand attributes took minutes.
//!
//! Two ways to hold it, both one linear scan ([`super::tags`]):
//! - [`tame`], for pages (extraction, files, listings): tags nested too
//!   deep are dropped (their text kept), attribute bombs lose their
//!   attributes, the page is cut at [`MAX_BYTES`]. Normal pages pass
//!   untouched, without a copy.
//! - [`over_budget`], for feed items: where a fragment first goes over, so
//!   that such an item is served as its text ([`flattened_text`]) instead.

use std::borrow::Cow;

use super::tags::tags;

/// Elements nested deeper than this are over the budget. Real articles
/// nest a few dozen deep.
pub const MAX_DEPTH: usize = 256;

/// Tags in one fragment beyond which it is over the budget: they bound the
/// nodes (and memory) a parse builds.
pub const MAX_TAGS: usize = 100_000;

/// A tag with more attributes than this keeps only its name.
pub const MAX_ATTRIBUTES: usize = 256;

/// Pages longer than this are cut here (at a character boundary): an
/// article starts well before, and the time stays bounded.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// The page as the parser may safely take it (see the module doc).
pub fn tame(html: &str) -> Cow<'_, str> {
    let html = &html[..html.floor_char_boundary(MAX_BYTES)];
    let mut depth = 0usize;
    let mut replaced: Vec<(usize, usize, String)> = Vec::new();
    for tag in tags(html).filter(|t| !t.is_comment()) {
        let mut replace = (tag.attributes > MAX_ATTRIBUTES).then(|| format!("<{}>", tag.name));
        if tag.nests() {
            if !tag.closing {
                depth += 1;
            }
            if depth > MAX_DEPTH {
                replace = Some(String::new());
            }
            if tag.closing {
                depth = depth.saturating_sub(1);
            }
        }
        if let Some(r) = replace {
            replaced.push((tag.start, tag.end, r));
        }
    }
    if replaced.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for (start, end, r) in replaced {
        out.push_str(&html[at..start]);
        out.push_str(&r);
        at = end;
    }
    out.push_str(&html[at..]);
    Cow::Owned(out)
}

/// Where `html` first goes over the budget ([`MAX_DEPTH`], [`MAX_TAGS`]):
/// the byte offset of the tag that opens one element too deep or is one tag
/// too many; `None` when it is within.
pub fn over_budget(html: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (count, tag) in tags(html).filter(|t| !t.is_comment()).enumerate() {
        if count >= MAX_TAGS {
            return Some(tag.start);
        }
        if !tag.nests() {
            continue;
        }
        if tag.closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            if depth > MAX_DEPTH {
                return Some(tag.start);
            }
        }
    }
    None
}

/// Cuts `html` before the point where it goes over the budget (see
/// [`over_budget`]): what comes first, usually the article, is kept.
pub fn cut_to_budget(html: &mut String) {
    if let Some(cut) = over_budget(html) {
        html.truncate(cut);
    }
}

/// The text of HTML, without parsing it: tags, comments and raw-text
/// content dropped by the same linear scan, entities decoded, whitespace
/// collapsed.
pub fn flattened_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len() / 2);
    let mut at = 0;
    for tag in tags(html) {
        text.push_str(&html[at..tag.start]);
        text.push(' ');
        at = tag.resume;
    }
    if let Some(rest) = html.get(at..) {
        // An unclosed tag ends the scan; its text is not markup.
        text.push_str(rest.split('<').next().unwrap_or(rest));
    }
    super::collapse_whitespace(&html_escape::decode_html_entities(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_pages_pass_untouched() {
        let page = "<html><body><div><p>One<p>Two<ul><li>a<li>b</ul><br><img src=x>\
                    <script>if (a < b) { x = '<div>'; }</script></div></body></html>";
        assert!(matches!(tame(page), Cow::Borrowed(p) if p == page));
        assert_eq!(over_budget(page), None);
    }

    #[test]
    fn deep_nesting_is_flattened_and_text_kept() {
        let page = format!(
            "<body>{}<p>deep text</p>{}</body>",
            "<div>".repeat(5000),
            "</div>".repeat(5000)
        );
        let tamed = tame(&page);
        assert_eq!(tamed.matches("<div>").count(), MAX_DEPTH);
        assert!(tamed.contains("<p>deep text</p>"));
        assert_eq!(over_budget(&tamed), None);
        assert_eq!(over_budget(&page), Some("<body>".len() + MAX_DEPTH * 5));
    }

    #[test]
    fn attribute_bombs_lose_their_attributes() {
        let attrs: String = (0..1000).map(|i| format!(" a{i}=\"x\"")).collect();
        let page = format!("<body><article{attrs}><p>text</p></article></body>");
        assert_eq!(tame(&page), "<body><article><p>text</p></article></body>");
    }

    #[test]
    fn long_pages_are_cut_at_a_character_boundary() {
        let page = "é".repeat(MAX_BYTES);
        let tamed = tame(&page);
        assert!(tamed.len() <= MAX_BYTES && tamed.len() > MAX_BYTES - 2);
    }

    #[test]
    fn many_tags_are_over_budget_and_text_is_flat() {
        let page = "<b>x</b>".repeat(MAX_TAGS);
        assert_eq!(over_budget(&page), Some(MAX_TAGS / 2 * 8));
        assert_eq!(
            flattened_text("<p>a &amp; b</p><script>x<y</script><!-- c -->d<e"),
            "a & b d"
        );
    }

    #[test]
    fn fragments_over_the_budget_are_found_and_cut() {
        let article = "<div><p>One<p>Two<ul><li>a<li>b</ul><img src=x><br></div>".repeat(5000);
        assert_eq!(over_budget(&article), None);
        let deep = format!("{}x", "<div>".repeat(MAX_DEPTH + 1));
        assert_eq!(over_budget(&deep), Some(MAX_DEPTH * 5));
        // Closed elements do not add up; raw text and comments are skipped.
        let flat = format!(
            "{}<script>{}</script><!--{}-->",
            "<b>x</b>".repeat(1000),
            "<div>".repeat(1000),
            "<div>".repeat(1000)
        );
        assert_eq!(over_budget(&flat), None);
        let many = "<br>".repeat(MAX_TAGS + 1);
        assert_eq!(over_budget(&many), Some(MAX_TAGS * 4));
        let mut page = format!("<p>kept</p>{deep}");
        cut_to_budget(&mut page);
        assert_eq!(page.len(), "<p>kept</p>".len() + MAX_DEPTH * 5);
    }
}
