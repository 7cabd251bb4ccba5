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
    /// Renders the index page from the config and the sources' stored
    /// state: one query, marked after each fetch so the health shown is
    /// current.
    pub(in crate::app) async fn render_index(&self) {
        let states: HashMap<String, SourceState> = match self.store.source_states().await {
            Ok(states) => states.into_iter().map(|s| (s.id.clone(), s)).collect(),
            Err(e) => {
                warn!("cannot render the index page: {}", fetch::error_chain(&e));
                return;
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
        let feeds = self.publisher.feeds.clone();
        let at = self.now();
        let _ = tokio::task::spawn_blocking(move || {
            let body = render::index(&page);
            feeds.put(
                serve::INDEX.to_string(),
                Rendered::new("text/html; charset=utf-8", body, at),
            )
        })
        .await;
    }
}
