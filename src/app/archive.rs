//! RFC 5005 archived feeds: every merged feed's history as a chain of
//! immutable archive pages behind its subscription document.
//!
//! A feed's items are taken in archive order (the order tidings first
//! stored them, then by date, source and id: see `store::ArchiveKey`),
//! filtered by its `include`/`exclude`, and cut into pages of
//! `archive_page` items, the oldest first. A page is frozen once full:
//! rendered in every format and written to the store, whose first writer
//! wins, so every instance serves the same bytes forever, whatever later
//! happens to its items. Only items first stored `archive_settle` ago may
//! enter a page, so an item of a fetch still being written (its first-seen
//! time is when its fetch began) can never belong before a page that froze
//! meanwhile.
//!
//! A child of `app`: it reads and writes through the store, composes with
//! `compose`, and renders with `publish`'s formats.

use super::{App, compose};
use crate::config::Feed;
use crate::model::{ArchiveLinks, FeedMeta, Item};
use crate::serve::Rendered;
use crate::store::{ArchiveKey, ArchivePage, StoreError};
use chrono::Utc;
use tracing::info;

use super::publish::Format;

/// A feed's archive after [`App::archive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Archived {
    /// The newest frozen page's number: `None` while none is full, or
    /// when the feed keeps no archive.
    pub(super) newest: Option<u64>,
    /// Whether this call froze a page (or saw one another instance froze).
    pub(super) grew: bool,
}

impl App {
    /// Freezes every page of `feed`'s archive that has filled since the
    /// last call.
    pub(super) async fn archive(&self, feed: &Feed) -> Result<Archived, StoreError> {
        if feed.archive_page == 0 {
            return Ok(Archived::default());
        }
        let per = feed.archive_page as usize;
        let settle = chrono::Duration::from_std(self.config().server.archive_settle)
            .unwrap_or(chrono::Duration::MAX);
        let before = self
            .now()
            .checked_sub_signed(settle)
            .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
        let mut head = self.store.archive_head(&feed.id).await?;
        let start = head.as_ref().map(|(n, _)| *n);
        loop {
            let after = head.as_ref().map(|h| &h.1);
            let Some((last, mut items)) = self.next_page(feed, after, before, per).await? else {
                let newest = head.map(|(n, _)| n);
                return Ok(Archived {
                    newest,
                    grew: newest != start,
                });
            };
            let n = head.as_ref().map_or(0, |(n, _)| n + 1);
            for item in &mut items {
                compose::shown(feed, item);
            }
            let meta = self.archive_meta(feed, n, &items);
            let rendered = tokio::task::spawn_blocking(move || {
                Format::ALL.map(|format| format.render(&meta, &items))
            })
            .await
            .map_err(StoreError::query)?;
            let [rss, atom, json] = rendered;
            let page = ArchivePage {
                feed: feed.id.clone(),
                page: n,
                last,
                rss,
                atom,
                json,
            };
            if self.store.put_archive_page(page).await? {
                info!(feed = feed.id, "archived page {n}");
            }
            // Another instance may have frozen it first: carry on from
            // what the store holds.
            head = self.store.archive_head(&feed.id).await?;
        }
    }

    /// The items of the page after `after`: the next `per` the feed keeps,
    /// first stored before `before`, and the key of the last; `None` until
    /// that many exist.
    async fn next_page(
        &self,
        feed: &Feed,
        after: Option<&ArchiveKey>,
        before: chrono::DateTime<Utc>,
        per: usize,
    ) -> Result<Option<(ArchiveKey, Vec<Item>)>, StoreError> {
        let mut page = Vec::with_capacity(per);
        let mut cursor = after.cloned();
        // Filters drop items: read on in batches until the page is full or
        // the settled items end.
        let batch = per.saturating_mul(2);
        loop {
            let read = self
                .store
                .items_in_order(&feed.sources, cursor.as_ref(), before, batch)
                .await?;
            let ended = read.len() < batch;
            for (key, item) in read {
                cursor = Some(key.clone());
                if compose::keeps(feed, &item) {
                    page.push(item);
                    if page.len() == per {
                        return Ok(Some((key, page)));
                    }
                }
            }
            if ended {
                return Ok(None);
            }
        }
    }

    /// An archive page's metadata: frozen with it, so it holds nothing
    /// that varies (no hub, no ttl).
    fn archive_meta(&self, feed: &Feed, n: u64, items: &[Item]) -> FeedMeta {
        let mut meta = self.feed_meta(feed, items, None);
        meta.path = format!("feeds/{}/archive/{n}", feed.id);
        meta.ttl_minutes = None;
        meta.hub = None;
        meta.archive = Some(ArchiveLinks {
            current: format!("feeds/{}", feed.id),
            page: Some(n),
            prev: n.checked_sub(1),
            next: Some(n + 1),
        });
        meta
    }

    /// Archives every feed, and re-renders those whose newest page
    /// changed, so their subscription documents link it.
    pub(super) async fn archive_all(&self) -> Result<(), StoreError> {
        for feed in &self.config().feeds {
            if self.archive(feed).await?.grew {
                self.render_feed(feed).await;
            }
        }
        Ok(())
    }

    /// Archive page `n` of the feed `id` in every format, as served:
    /// `None` when the feed has no such page (yet).
    pub(super) async fn archive_page(
        &self,
        id: &str,
        n: u64,
    ) -> Result<Option<Vec<(String, Rendered)>>, StoreError> {
        if self.config().feed(id).is_none_or(|f| f.archive_page == 0) {
            return Ok(None);
        }
        let Some(page) = self.store.archive_page(id, n).await? else {
            return Ok(None);
        };
        let ArchivePage {
            rss,
            atom,
            json,
            last,
            ..
        } = page;
        // The page's own date: when its newest item was first stored (the
        // bytes carry the items' dates).
        let at = last.first_seen;
        Ok(Some(
            [
                (Format::Rss, rss),
                (Format::Atom, atom),
                (Format::Json, json),
            ]
            .into_iter()
            .map(|(format, body)| {
                (
                    format!("feeds/{id}/archive/{n}.{}", format.ext()),
                    Rendered::new(format.content_type(), body, at),
                )
            })
            .collect(),
        ))
    }
}
