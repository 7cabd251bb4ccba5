//! Article extraction: from one HTML page (its bytes and URL), the title,
//! authors, publication date, canonical URL and the article body as HTML and
//! text, without the page's navigation, share bars, related lists, comments
//! and footers.
//!
//! Metadata ([`meta`]) comes from JSON-LD (schema.org `Article` and its kinds,
//! also inside `@graph`), OpenGraph and `article:*` meta tags, `<meta
//! name=author>`, `<time datetime>` and `<link rel=canonical>`; when a page has
//! none, from the visible byline (`By Name`, a line that is only bold text) and
//! date line (`31 July 2017`, `25.08.2015`) under the headline and the
//! author and date elements, a date after a publication label (`Datum:
//! 03.11.2021`), and last from a date in the page's address
//! (`/2019/08/02/slug`). The body ([`body`]) is what `dom_smoothie` (a
//! port of Mozilla's Readability) picks on the whole page, less the chrome,
//! headline, byline, captions, date stamps and link lines it kept; a
//! paragraph candidate ([`density`]: text and link density, no class
//! weights) replaces it where Readability settled on a block that is no
//! article, or on one of the article's containers that it holds.
//!
//! Dates are returned as text ([`RawDate::Text`]): normalization reads them.
//!
//! Depends only on `model`; parses HTML with `dom_query`, decodes with
//! `encoding_rs`.

mod body;
mod chrome;
mod density;

mod meta;

use crate::model::{RawDate, RawItem};
use crate::text::collapse_whitespace as collapse;
use dom_query::Document;
use url::Url;

/// What extraction found on one page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Article {
    /// The headline, as plain text.
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<RawDate>,
    pub updated: Option<RawDate>,
    /// The article body: unsanitized HTML, links as the page had them.
    pub body_html: String,
    /// The article body as text, one paragraph per line.
    pub body_text: String,
    /// The canonical URL when the page names one (absolute), else the page URL.
    pub url: Option<String>,
}

impl Article {
    /// The article as a raw item: its canonical URL is the guid and the link,
    /// the body is the content, and `base` (the page URL) resolves relative links.
    pub fn into_raw(self, base: Option<&Url>) -> RawItem {
        RawItem {
            guid: self.url.clone(),
            link: self.url,
            title: self.title,
            authors: self.authors,
            content_html: Some(self.body_html).filter(|b| !b.trim().is_empty()),
            published: self.published,
            updated: self.updated,
            base_url: base.map(Url::to_string),
            ..RawItem::default()
        }
    }
}

/// Why a page yielded no article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Nothing on the page reads like article text.
    #[error("no article text found on the page")]
    NoArticle,
}

/// Reads the article on an HTML page (see the module doc); a hostile page
/// (nested or bloated past what a page needs, or longer than 8 MiB) is
/// tamed first, so that every page is read in bounded time, and the code
/// of its scripts and style sheets, which nothing here reads, is dropped
/// before the parse. `url` is where the
/// page came from: it resolves a relative canonical link and stands in when
/// the page names none.
///
/// Fails when the page has no text that reads like an article.
pub fn extract(html: &str, url: Option<&Url>) -> Result<Article, ExtractError> {
    let html = crate::text::budget::tame_to_read(html);
    let doc = Document::from(html.as_ref());
    // The chrome first: the metadata is read outside it.
    let chrome = chrome::mark_chrome(&doc);
    let found = meta::read(&doc, url);
    let body = body::grab(doc, &chrome, url).ok_or(ExtractError::NoArticle)?;
    let mut authors = found.authors;
    if authors.is_empty()
        && let Some(byline) = body
            .byline
            .as_deref()
            // Readability takes a commenter's name for a byline too.
            .filter(|b| !chrome.holds(&collapse(b)))
            .and_then(meta::byline_names)
    {
        authors = byline;
    }
    let mut authors: Vec<String> = authors
        .iter()
        .filter_map(|a| meta::clean_author(a))
        .collect();
    authors.dedup();
    let canonical = found
        .canonical
        .as_deref()
        .and_then(|c| match url {
            Some(base) => base.join(c).ok(),
            None => Url::parse(c).ok(),
        })
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    Ok(Article {
        title: found.title,
        authors,
        published: found
            .published
            .or(body.published)
            .or_else(|| url.and_then(meta::url_date))
            .map(RawDate::Text),
        updated: found.updated.map(RawDate::Text),
        body_html: body.html,
        body_text: body.text,
        url: canonical.or_else(|| url.cloned()).map(String::from),
    })
}

#[cfg(test)]
mod tests;
