//! The article pages behind a source's items (`full_text`, `html`
//! sources): fetched conditionally once stored, within the article bound,
//! extracted, and merged into the items.

use super::{Normalizing, ReadError, cpu, normalize_ruled, page_html};
use crate::app::App;
use crate::config::Source;
use crate::extract;
use crate::fetch;
use crate::model::{Item, RawItem};
use crate::rules::Rules;
use crate::store::PageValidators;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use tracing::warn;

/// At most this many article pages are fetched in one fetch of a source;
/// the rest wait for the next one.
pub(super) const MAX_ARTICLES: usize = 30;

/// A listed item with the article behind it: the item's own title, date and
/// authors win, the article fills what the item lacks and gives the body.
fn merge(mut raw: RawItem, article: extract::Article, page: &url::Url) -> RawItem {
    if raw.title.is_none() {
        raw.title = article.title;
    }
    if raw.authors.is_empty() {
        raw.authors = article.authors;
    }
    if raw.published.is_none() {
        raw.published = article.published;
    }
    if raw.updated.is_none() {
        raw.updated = article.updated;
    }
    if raw.link.is_none() {
        raw.link = article.url;
    }
    if !article.body_html.trim().is_empty() {
        raw.content_html = Some(article.body_html);
    }
    raw.base_url = Some(page.to_string());
    raw
}

impl App {
    /// Fetches the article page behind each item and takes its body; the
    /// item's own title, date and authors stay where it has them. A page the
    /// store already has is asked for again only conditionally, with its
    /// stored validators: unchanged (304), its item is left out and the
    /// stored article kept; changed, it is read again and updated in place.
    /// New items go first within [`MAX_ARTICLES`]. A new item whose page
    /// cannot be read is kept as it is when it has a title, else left out;
    /// either way its page is tried again on the next fetch (a stored item
    /// with no page read is asked for it unconditionally). Returns the items and the
    /// validators of the pages read.
    /// Without `follow`, the items as they are and no pages read.
    pub(super) async fn with_articles(
        &self,
        source: &Source,
        pairs: Vec<(RawItem, Item)>,
        follow: bool,
        now: DateTime<Utc>,
        preview: bool,
    ) -> Result<(Vec<Item>, Vec<PageValidators>), ReadError> {
        if !follow {
            return Ok((
                pairs.into_iter().map(|(_, item)| item).collect(),
                Vec::new(),
            ));
        }
        let (known, stored) = if preview {
            (HashSet::new(), HashMap::new())
        } else {
            let ids: Vec<String> = pairs.iter().map(|(_, i)| i.id.clone()).collect();
            let known = self.store.known_ids(&source.id, &ids).await?;
            let stored = self.store.page_validators(&source.id).await?;
            (known, stored)
        };
        let mut pairs = pairs;
        // Stable: new items keep their order, ahead of the re-checks.
        pairs.sort_by_key(|(_, item)| known.contains(&item.id));
        let jobs = pairs.into_iter().take(MAX_ARTICLES).map(|(raw, item)| {
            let is_known = known.contains(&item.id);
            let stored = &stored;
            async move {
                let link = item.link.as_deref().and_then(|l| url::Url::parse(l).ok());
                let Some(link) = link else {
                    return (!is_known).then_some((item, None));
                };
                // A stored item without a page read is one whose page
                // failed: it is asked for again, unconditionally.
                let validators = stored.get(link.as_str());
                let titled = raw.title.is_some();
                // Held from the request to the normalized item: the body and
                // its DOM live that long.
                let _slot = self.ingest.articles.acquire().await;
                let read = match self.fetch_article(source, &link, validators).await {
                    Ok(Some((article, page, fresh))) => {
                        let n = Normalizing::of(source, self.config().fetch.max_item);
                        cpu(source.timeout, "normalizing", move || {
                            let merged = merge(raw, article, &page);
                            let ctx = n.context(Some(&page), now);
                            Some((normalize_ruled(merged, &ctx, &n.rules), fresh))
                        })
                        .await
                    }
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                match read {
                    Ok(Some((item, fresh))) => Some((item, Some(fresh))),
                    Ok(None) => None,
                    Err(e) => {
                        let e = crate::app::printable(&e.text(), crate::app::MAX_ERROR);
                        warn!(source = source.id, "article {link}: {e}");
                        (!is_known && titled).then_some((item, None))
                    }
                }
            }
        });
        let (items, pages): (Vec<Item>, Vec<Option<PageValidators>>) =
            futures_util::future::join_all(jobs)
                .await
                .into_iter()
                .flatten()
                .unzip();
        Ok((items, pages.into_iter().flatten().collect()))
    }

    /// One article page, fetched through the shared fetcher (conditionally
    /// when `validators` are given) and extracted; with the URL it was read
    /// from (after redirects) and its new validators. `None` when it has not
    /// changed.
    pub(super) async fn fetch_article(
        &self,
        source: &Source,
        url: &url::Url,
        validators: Option<&PageValidators>,
    ) -> Result<Option<(extract::Article, url::Url, PageValidators)>, ReadError> {
        let req = self.request(
            source,
            url,
            (
                validators.and_then(|v| v.etag.as_deref()),
                validators.and_then(|v| v.last_modified.as_deref()),
            ),
            true,
        );
        let body = match self.ingest.fetcher.get(&req).await {
            Ok(fetch::Response { body: Some(b), .. }) => b,
            Ok(_) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let fresh = PageValidators {
            url: url.to_string(),
            etag: body.etag.clone(),
            last_modified: body.last_modified.clone(),
        };
        let rules = source.rules.clone();
        let max_item = self.config().fetch.max_item;
        let id = source.id.clone();
        let article = cpu(source.timeout, "extraction", move || {
            let html = page_html(&body.bytes, body.content_type.as_deref());
            let article = ruled_article(&rules, &html, &body.url, max_item);
            if rules.body.is_some() && article.as_ref().is_ok_and(|(_, found)| !found) {
                warn!(
                    source = id,
                    "article {}: the rules' body selector matched nothing; the extracted body is kept",
                    body.url
                );
            }
            article.map(|(a, _)| Some((a, body.url, fresh)))
        })
        .await??;
        Ok(article)
    }
}

/// The article on a page, read through the source's rules: `remove`
/// before extraction, the `body` elements instead of the extracted body
/// (when on the page), then the body rewrites; and whether the `body`
/// elements were found. A page where extraction finds no article still
/// gives one when the `body` elements are there.
fn ruled_article(
    rules: &Rules,
    html: &str,
    url: &url::Url,
    max_item: usize,
) -> Result<(extract::Article, bool), extract::ExtractError> {
    let (page, body) = rules.page(html);
    let page = page.as_deref().unwrap_or(html);
    let mut article = match (extract::extract(page, Some(url)), &body) {
        (Ok(article), _) => article,
        (Err(_), Some(_)) => extract::Article {
            url: Some(url.to_string()),
            ..extract::Article::default()
        },
        (Err(e), None) => return Err(e),
    };
    let found = body.is_some();
    if let Some(body) = body {
        article.body_html = body;
    }
    if let std::borrow::Cow::Owned(b) = rules.rewrite_body(&article.body_html, max_item) {
        article.body_html = b;
    }
    Ok((article, found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RawDate;

    #[test]
    fn the_items_own_fields_win_and_the_article_gives_the_body() {
        let page = url::Url::parse("https://news.example/a").unwrap();
        let article = extract::Article {
            title: Some("Page title".into()),
            authors: vec!["Page Author".into()],
            published: Some(RawDate::Text("2026-01-02".into())),
            updated: None,
            body_html: "<p>Body</p>".into(),
            body_text: "Body".into(),
            url: Some("https://news.example/a-canonical".into()),
        };
        let listed = RawItem {
            title: Some("Listed title".into()),
            link: Some("https://news.example/a".into()),
            summary_html: Some("Teaser".into()),
            ..RawItem::default()
        };
        let merged = merge(listed, article.clone(), &page);
        assert_eq!(merged.title.as_deref(), Some("Listed title"));
        assert_eq!(merged.authors, ["Page Author"]);
        assert_eq!(merged.published, article.published);
        assert_eq!(merged.link.as_deref(), Some("https://news.example/a"));
        assert_eq!(merged.content_html.as_deref(), Some("<p>Body</p>"));
        assert_eq!(merged.base_url.as_deref(), Some("https://news.example/a"));
        // An empty body leaves the item's own content.
        let empty = extract::Article {
            body_html: "  ".into(),
            ..article
        };
        let kept = merge(
            RawItem {
                content_html: Some("<p>Own</p>".into()),
                ..RawItem::default()
            },
            empty,
            &page,
        );
        assert_eq!(kept.content_html.as_deref(), Some("<p>Own</p>"));
        assert_eq!(
            kept.link.as_deref(),
            Some("https://news.example/a-canonical")
        );
    }
}
