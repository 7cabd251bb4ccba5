//! Feeds on request: a declared `[[feed]]` narrowed by a reader's query
//! (`serve` parses and checks it, and keeps what is rendered here). The
//! query narrows and never widens, except `limit`: `sources` keeps the
//! feed's sources named (each must be one of them), `tags` its sources
//! with any of the tags (each must be one a source of the feed has),
//! `include`/`exclude` filter on the text a feed's own filters read, on
//! top of them; `limit` replaces the feed's (up to `serve`'s cap). The
//! feed's dedupe and content mode stay; no WebSub hub is advertised (the
//! hub is pinged for declared feeds only).

use super::{App, Format, compose};
use crate::config::Feed;
use crate::fetch;
use crate::serve::{Answer, BadParameter, FeedQuery, Rendered};
use tracing::warn;

impl App {
    /// The feed `id` in the format `ext`, narrowed by `query`.
    pub(super) async fn render_query(&self, id: &str, ext: &str, query: &FeedQuery) -> Answer {
        let config = self.config();
        let (Some(feed), Some(format)) = (
            config.feed(id),
            Format::ALL.into_iter().find(|f| f.ext() == ext),
        ) else {
            return Answer::NoFeed;
        };
        if let Some(s) = query.sources.iter().find(|s| !feed.sources.contains(s)) {
            return Answer::Refused(BadParameter::new(
                "sources",
                format!("{s:?} is not a source of the feed {id:?}"),
            ));
        }
        let tagged = |source: &str, tags: &[String]| {
            config
                .source(source)
                .is_some_and(|s| s.tags.iter().any(|t| tags.contains(t)))
        };
        if let Some(t) = query.tags.iter().find(|t| {
            !feed
                .sources
                .iter()
                .any(|s| tagged(s, std::slice::from_ref(t)))
        }) {
            return Answer::Refused(BadParameter::new(
                "tags",
                format!("no source of the feed {id:?} has the tag {t:?}"),
            ));
        }
        let sources: Vec<String> = feed
            .sources
            .iter()
            .filter(|s| query.sources.is_empty() || query.sources.contains(s))
            .filter(|s| query.tags.is_empty() || tagged(s, &query.tags))
            .cloned()
            .collect();
        let narrowed = Feed {
            sources,
            limit: query.limit.unwrap_or(feed.limit),
            ..feed.clone()
        };
        let filtered =
            query.filters() || !feed.include.is_empty() || !feed.exclude.is_empty() || feed.dedupe;
        // As for declared feeds: filters and dedupe drop items, so look
        // further back for enough candidates.
        let candidates = if filtered {
            narrowed.limit.saturating_mul(5)
        } else {
            narrowed.limit
        };
        let mut items = match self.store.items(&narrowed.sources, candidates).await {
            Ok(items) => items,
            Err(e) => {
                warn!(
                    feed = id,
                    "cannot render on request: {}",
                    fetch::error_chain(&e)
                );
                return Answer::Unavailable;
            }
        };
        if query.filters() {
            items.retain(|i| query.keeps(&compose::filter_text(i)));
        }
        let items = compose::compose(&narrowed, items);
        let mut meta = self.meta(
            format!("feeds/{id}?{}", query.canonical()),
            feed.title.clone(),
            feed.description.clone(),
            &narrowed.sources,
            &items,
        );
        meta.hub = None;
        // One label per feed, whatever the query: the metric's series stay
        // bounded.
        self.metrics.rendered(&format!("feeds/{id}?query"));
        let rendered = tokio::task::spawn_blocking(move || {
            Rendered::new(
                format.content_type(),
                format.render(&meta, &items),
                meta.updated,
            )
        })
        .await;
        match rendered {
            Ok(r) => Answer::Rendered(r),
            Err(e) => {
                warn!(
                    feed = id,
                    "rendering on request failed: {}",
                    fetch::error_chain(&e)
                );
                Answer::Unavailable
            }
        }
    }
}
