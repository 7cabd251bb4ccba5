//! The index page: its data from the config and the sources' stored state
//! (with each merged feed's newest headlines), rendered into the served
//! table. Uses what `app` may use.

use crate::app::{App, public_url};
use crate::config::{Config, SourceKind};
use crate::fetch;
use crate::model::{FeedLink, Headline, Index, SourceHealth};
use crate::render;
use crate::serve::{self, Rendered};
use crate::store::SourceState;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tracing::warn;

/// The index page's data: every feed, and every source with its stored state.
fn index_page(
    config: &Config,
    states: &HashMap<String, SourceState>,
    recent: &HashMap<String, Vec<Headline>>,
) -> Index {
    Index {
        base_url: config.server.base_url.clone(),
        feeds: config
            .feeds
            .iter()
            .map(|f| FeedLink {
                id: f.id.clone(),
                title: f.title.clone(),
                description: f.description.clone(),
                recent: recent.get(&f.id).cloned().unwrap_or_default(),
            })
            .collect(),
        sources: config
            .sources
            .iter()
            .map(|s| {
                let state = states.get(&s.id);
                let (kind, origin) = match &s.kind {
                    SourceKind::Feed { url } => ("feed", Some(public_url(url))),
                    SourceKind::Html { url, .. } => ("html", Some(public_url(url))),
                    SourceKind::Files { .. } => ("files", None),
                };
                SourceHealth {
                    id: s.id.clone(),
                    kind: kind.to_string(),
                    title: s
                        .title
                        .clone()
                        .or_else(|| state.and_then(|st| st.title.clone())),
                    origin,
                    last_fetch: state.and_then(|st| st.last_fetch),
                    next_due: state.and_then(|st| st.next_due),
                    outcome: state.and_then(|st| st.last_outcome.clone()),
                    error: state.and_then(|st| st.last_error.clone()),
                    consecutive_errors: state.map_or(0, |st| st.consecutive_errors),
                    items: state.map_or(0, |st| st.items),
                }
            })
            .collect(),
    }
}

impl App {
    /// Notes that what the index page shows changed (a fetch, a merged
    /// feed's newest items, the config): the held page is dropped, and the
    /// next reader's request renders it again. Rendered on request rather
    /// than after every fetch: with 100,000 sources the page is tens of
    /// megabytes from a query of every source's state, and the fetches of
    /// a 15-minute schedule would re-render it many times a second for an
    /// operator's page read now and then.
    pub(in crate::app) fn index_changed(&self) {
        self.publisher.index_changes.fetch_add(1, Ordering::SeqCst);
        self.publisher.feeds.forget(serve::INDEX);
    }

    /// The index page for a reader: the held one, else rendered from the
    /// config and the sources' stored state (one query) and held until
    /// what it shows changes. `None` when the store cannot be read.
    pub(in crate::app) async fn rendered_index(&self) -> Option<Arc<Rendered>> {
        let lock = self.render_lock(serve::INDEX);
        let _rendering = lock.lock().await;
        // Another request may have rendered it while this one waited.
        if let Some(page) = self.publisher.feeds.get(serve::INDEX) {
            return Some(page);
        }
        let changes = self.publisher.index_changes.load(Ordering::SeqCst);
        let states: HashMap<String, SourceState> = match self.store.source_states().await {
            Ok(states) => states.into_iter().map(|s| (s.id.clone(), s)).collect(),
            Err(e) => {
                warn!("cannot render the index page: {}", fetch::error_chain(&e));
                return None;
            }
        };
        let page = {
            let recent = self
                .publisher
                .recent
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            index_page(&self.config(), &states, &recent)
        };
        let at = self.now();
        let rendered = tokio::task::spawn_blocking(move || {
            Arc::new(Rendered::new(
                "text/html; charset=utf-8",
                render::index(&page),
                at,
            ))
        })
        .await
        .ok()?;
        let feeds = &self.publisher.feeds;
        feeds.hold(serve::INDEX.to_string(), rendered.clone());
        // A change while it rendered: this reader gets the page, the next
        // one a newer.
        if self.publisher.index_changes.load(Ordering::SeqCst) != changes {
            feeds.forget(serve::INDEX);
        }
        Some(rendered)
    }
}
