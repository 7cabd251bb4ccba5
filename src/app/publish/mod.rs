//! Publishing: what readers get. Marks (which feeds a fetch changed), the
//! one renderer that renders each marked feed once per round, on-demand
//! source feeds, feed metadata built in one place, the index page and OPML,
//! WebSub pings and each feed's next refresh (for `Cache-Control`).
//!
//! Owns [`Publisher`]: the served table and the renderer's state. Reads the
//! store and the scheduler's due times through [`App`].
//!
//! The feed formats are `format`'s, the index page `index`'s.

mod format;
mod index;

pub use format::Format;

use super::{App, compose, opml_export, public_url};
use crate::config::Feed;
use crate::fetch;
use crate::model::{ArchiveLinks, FeedMeta, Headline, Item, SourceRef};
use crate::opml;
use crate::serve::{self, Feeds, Put, Queries, Rendered};
use crate::store::{Changes, SourceState, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// How many of a merged feed's newest items the index page shows.
const RECENT_ON_INDEX: usize = 3;

/// The renderer rests this many times as long as a round took, so it
/// spends at most a fifth of its time rendering however fast marks come.
const REST_PER_ROUND: u32 = 4;

/// The longest rest: how stale a merged feed may be, beyond its render,
/// when a round is slow.
const MAX_REST: std::time::Duration = std::time::Duration::from_secs(2);

/// The publisher's state.
pub(super) struct Publisher {
    pub(super) feeds: Arc<Feeds>,
    /// Feeds on request kept (served by `serve`), dropped when their feed
    /// is rendered again.
    pub(super) queries: Arc<Queries>,
    // One lock per feed path, held from the store query to the swap, so a
    // render that read the store earlier never replaces a newer one.
    rendering: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// When this process opened the app: the `Last-Modified` of the OPML
    /// list, which changes only with the config.
    started: DateTime<Utc>,
    /// What waits for the renderer; `None` while nothing renders (the
    /// one-shot commands), so marks are not kept for nobody. A std mutex:
    /// never held across an await.
    pending: Mutex<Option<Pending>>,
    /// Wakes the renderer after a mark.
    marked: Notify,
    /// Each merged feed's newest items as last rendered, for the index page.
    recent: Mutex<HashMap<String, Vec<Headline>>>,
    /// Counts the changes to what the index page shows; a page rendered
    /// before the latest is not held (see [`App::rendered_index`]).
    index_changes: AtomicU64,
    /// The change version of each source's last write that this instance
    /// made and marked itself, until the change poll sees it (and passes
    /// over it, instead of marking it again).
    own: Mutex<HashMap<String, u64>>,
}

impl Publisher {
    pub(super) fn new(started: DateTime<Utc>) -> Publisher {
        Publisher {
            feeds: Arc::new(Feeds::default()),
            queries: Arc::new(Queries::default()),
            rendering: Mutex::new(HashMap::new()),
            started: started.trunc_subsecs(0),
            pending: Mutex::new(None),
            marked: Notify::new(),
            recent: Mutex::new(HashMap::new()),
            index_changes: AtomicU64::new(0),
            own: Mutex::new(HashMap::new()),
        }
    }
}

/// Where a published feed's bytes live (see `serve::Feeds`).
#[derive(Debug, Clone, Copy)]
enum Hold {
    InMemory,
    OnDemand,
}

/// Sources whose feeds (their own and the merged feeds drawing on them) wait
/// to be rendered.
#[derive(Debug, Default)]
struct Pending {
    sources: HashSet<String>,
}

/// How long the renderer rests after a round that took `took`.
fn rest_after(took: std::time::Duration) -> std::time::Duration {
    took.saturating_mul(REST_PER_ROUND).min(MAX_REST)
}

/// The `updated` date of a feed with no items: fixed, so every instance
/// renders the same bytes, and after 1990, since feed validators reject
/// earlier dates (the Unix epoch among them) as implausible.
fn empty_feed_date() -> DateTime<Utc> {
    DateTime::from_timestamp(946_684_800, 0).unwrap_or_default()
}

/// The sources of `changes` to mark: all but those whose last change is
/// this instance's own write, marked when it was made (`own`, whose entry
/// the poll has now seen and so drops).
fn changed_elsewhere(own: &mut HashMap<String, u64>, changes: Changes) -> Vec<String> {
    changes
        .sources
        .into_iter()
        .zip(changes.versions)
        .filter(|(source, version)| match own.remove(source) {
            Some(mine) => mine != *version,
            None => true,
        })
        .map(|(source, _)| source)
        .collect()
}

impl App {
    /// Notes that this instance's own write set `source`'s change version
    /// to `version`: the mark that follows it is the only one it needs.
    /// Without a renderer (and so no change poll), nothing is kept.
    pub(super) fn wrote(&self, source: &str, version: Option<u64>) {
        let Some(version) = version else { return };
        if self
            .publisher
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
        {
            self.publisher
                .own
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(source.to_string(), version);
        }
    }

    /// Marks the sources another instance changed, of those the change
    /// poll found (see [`changed_elsewhere`]).
    pub(super) fn mark_changes(&self, changes: Changes) {
        let others = {
            let mut own = self.publisher.own.lock().unwrap_or_else(|p| p.into_inner());
            changed_elsewhere(&mut own, changes)
        };
        if !others.is_empty() {
            self.mark(others, false);
        }
    }

    /// Marks the feeds of the sources `changed` (their own and the merged
    /// ones drawing on them) for the renderer, and the index page as out
    /// of date if `index`. Without a renderer, no feed is kept.
    pub(super) fn mark(&self, changed: impl IntoIterator<Item = String>, index: bool) {
        if index {
            self.index_changed();
        }
        let mut pending = self
            .publisher
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(pending) = pending.as_mut() {
            pending.sources.extend(changed);
            // A mark of nothing still wakes the renderer: its round sets
            // the merged feeds' refresh times.
            self.publisher.marked.notify_one();
        }
    }

    /// Starts the renderer: from now on marks are kept, and rendered until
    /// `stop` changes.
    pub(super) fn spawn_renderer(self: &Arc<Self>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        self.publisher
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_default();
        tokio::spawn(self.clone().render_loop(stop))
    }

    /// Renders what was marked, each feed once per round however often it
    /// was marked during the previous one, and rests after a round for
    /// [`REST_PER_ROUND`] times as long as it took (at most [`MAX_REST`]):
    /// marks made meanwhile wait for the next round. A merged feed over
    /// 100,000 sources takes tens of milliseconds to render and holds the
    /// store's connection for its read; rendered after every fetch of a
    /// cycle, it took most of a core and delayed every fetch's write.
    /// A stop ends a round between two feeds, or the rest: a round after a
    /// cycle of 100,000 sources takes minutes, and a stopping daemon must
    /// not hold its store (or systemd's stop timeout) for that; what is
    /// left is rendered from the store on the next start.
    pub(super) async fn render_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut rest = std::time::Duration::ZERO;
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(rest) => {}
            }
            tokio::select! {
                _ = stop.changed() => return,
                _ = self.publisher.marked.notified() => {}
            }
            // Real time, not tokio's: on a paused clock (the tests) a
            // store read may let the clock jump to the next timer.
            let began = std::time::Instant::now();
            let Pending { sources } = self
                .publisher
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            if !sources.is_empty() {
                let sources: Vec<String> = sources.into_iter().collect();
                self.render_changed(&sources, &stop).await;
            }
            if *stop.borrow() {
                return;
            }
            self.refresh_feeds();
            rest = rest_after(began.elapsed());
        }
    }

    /// Renders every feed and every source's own feed from the store, and
    /// the OPML list; the index page is rendered again when next asked for.
    pub async fn render_all(&self) {
        let config = self.config();
        self.publisher.feeds.put(
            serve::OPML.to_string(),
            Rendered::new(
                "text/x-opml; charset=utf-8",
                opml_export(&config, opml::Target::Served),
                self.publisher.started,
            ),
        );
        for source in &config.sources {
            self.render_source(&source.id).await;
        }
        for feed in &config.feeds {
            self.render_feed(feed).await;
        }
        self.index_changed();
    }

    /// Re-renders the feeds of the sources `ids` and every feed drawing on
    /// any of them, each once, until `stop` says to stop.
    pub(super) async fn render_changed(&self, ids: &[String], stop: &watch::Receiver<bool>) {
        let config = self.config();
        for id in ids.iter().filter(|id| config.source(id).is_some()) {
            if *stop.borrow() {
                return;
            }
            self.render_source(id).await;
        }
        let changed: HashSet<&str> = ids.iter().map(String::as_str).collect();
        for feed in config
            .feeds
            .iter()
            .filter(|f| f.sources.iter().any(|s| changed.contains(s.as_str())))
        {
            if *stop.borrow() {
                return;
            }
            self.render_feed(feed).await;
        }
    }

    pub(super) fn render_lock(&self, path: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.publisher
            .rendering
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(path.to_string())
            .or_default()
            .clone()
    }

    /// Publishes a source's own feed (on demand: see `serve::Feeds`). With
    /// no WebSub hub to tell of changes, only a feed whose bytes are kept
    /// for readers is rendered: any other is rendered when a reader asks,
    /// from the store as it is then, so rendering it after every change
    /// (three formats and their digests, for every changed fetch of
    /// 100,000 sources) would be work no one reads.
    pub(super) async fn render_source(&self, id: &str) {
        let path = format!("sources/{id}");
        if self.config().server.websub_hub.is_none() && !self.publisher.feeds.kept(&path) {
            self.set_refresh(id);
            return;
        }
        let lock = self.render_lock(&path);
        let _rendering = lock.lock().await;
        let Some((meta, items)) = self.source_feed(id).await else {
            return;
        };
        self.publish(meta, items, Hold::OnDemand).await;
        self.set_refresh(id);
    }

    /// Renders a source's own feed for a reader, when its bytes are not
    /// kept; false when there is no such source.
    pub(super) async fn render_source_on_demand(&self, id: &str) -> bool {
        if self.config().source(id).is_none() {
            return false;
        }
        let path = format!("sources/{id}");
        let lock = self.render_lock(&path);
        let _rendering = lock.lock().await;
        let Some((meta, items)) = self.source_feed(id).await else {
            return false;
        };
        let feeds = self.publisher.feeds.clone();
        self.metrics.rendered(&path);
        tokio::task::spawn_blocking(move || {
            for format in Format::ALL {
                let (path, rendered) = format.rendered(&meta, &items);
                feeds.keep(path, rendered);
            }
        })
        .await
        .is_ok()
    }

    /// A source's newest 50 items, and its feed's metadata.
    pub(super) async fn source_feed(&self, id: &str) -> Option<(FeedMeta, Vec<Item>)> {
        let items = match self.store.items(&[id.to_string()], 50).await {
            Ok(items) => items,
            Err(e) => {
                warn!(source = id, "cannot render: {}", fetch::error_chain(&e));
                return None;
            }
        };
        let configured = self.config().source(id).and_then(|s| s.title.clone());
        let title = match (configured, self.store.source_state(id).await) {
            (Some(t), _) => t,
            (None, Ok(Some(SourceState { title: Some(t), .. }))) if !t.is_empty() => t,
            _ => id.to_string(),
        };
        let meta = self.meta(
            format!("sources/{id}"),
            title,
            format!("Items of the source {id}"),
            &[id.to_string()],
            &items,
        );
        Some((meta, items))
    }

    pub(super) async fn render_feed(&self, feed: &Feed) {
        let lock = self.render_lock(&format!("feeds/{}", feed.id));
        let _rendering = lock.lock().await;
        // Its items may have changed: what was rendered on request is stale.
        self.publisher.queries.forget(&feed.id);
        // Pages that filled are frozen first, so the subscription document
        // links the newest.
        let archived = match self.archive(feed).await {
            Ok(archived) => archived.newest,
            Err(e) => {
                warn!(feed = feed.id, "cannot archive: {}", fetch::error_chain(&e));
                self.store
                    .archive_head(&feed.id)
                    .await
                    .ok()
                    .flatten()
                    .map(|(n, _)| n)
            }
        };
        let items = match self.feed_items(feed).await {
            Ok(items) => items,
            Err(e) => {
                warn!(feed = feed.id, "cannot render: {}", fetch::error_chain(&e));
                return;
            }
        };
        let headlines = items
            .iter()
            .take(RECENT_ON_INDEX)
            .map(|i| Headline {
                title: i.title.clone(),
                link: i.link.clone(),
            })
            .collect();
        self.publisher
            .recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(feed.id.clone(), headlines);
        self.index_changed();
        let meta = self.feed_meta(feed, &items, archived);
        self.publish(meta, items, Hold::InMemory).await;
    }

    /// A merged feed's subscription document's metadata, naming its sources
    /// for its items' provenance, and linking the newest page of its
    /// archive (`archived`).
    pub(super) fn feed_meta(&self, feed: &Feed, items: &[Item], archived: Option<u64>) -> FeedMeta {
        let mut meta = self.meta(
            format!("feeds/{}", feed.id),
            feed.title.clone(),
            feed.description.clone(),
            &feed.sources,
            items,
        );
        let config = self.config();
        // Only the sources these items name: a feed over 100,000 sources
        // renders 50 items, and its render should not cost a reference to
        // every source.
        let named: HashSet<&str> = items.iter().map(|i| i.source.as_str()).collect();
        meta.sources = named
            .into_iter()
            .filter_map(|id| config.source(id))
            .map(|s| {
                let r = SourceRef {
                    id: s.id.clone(),
                    title: s.title.clone().unwrap_or_else(|| s.id.clone()),
                    url: s.kind.url().map(public_url),
                    tags: s.tags.clone(),
                };
                (s.id.clone(), r)
            })
            .collect();
        meta.archive = (feed.archive_page > 0).then(|| ArchiveLinks {
            current: format!("feeds/{}", feed.id),
            page: None,
            prev: archived,
            next: None,
        });
        meta
    }

    /// A feed's items, as [`compose::compose`] makes them from its sources'
    /// newest.
    pub(super) async fn feed_items(&self, feed: &Feed) -> Result<Vec<Item>, StoreError> {
        let filtered = !feed.include.is_empty() || !feed.exclude.is_empty() || feed.dedupe;
        // Filters and dedupe drop items, so look further back for enough
        // candidates.
        let candidates = if filtered {
            feed.limit.saturating_mul(5)
        } else {
            feed.limit
        };
        let items = self.store.items(&feed.sources, candidates).await?;
        let items = compose::compose(feed, items);
        if !feed.error_items {
            return Ok(items);
        }
        let config = self.config();
        let mut troubles: Vec<Item> = self
            .store
            .source_states()
            .await?
            .iter()
            .filter(|s| feed.sources.contains(&s.id))
            .filter_map(|state| {
                let source = config.source(&state.id);
                let name = source
                    .and_then(|s| s.title.clone())
                    .or_else(|| state.title.clone().filter(|t| !t.is_empty()))
                    .unwrap_or_else(|| state.id.clone());
                let link = source.and_then(|s| s.kind.url()).map(public_url);
                compose::trouble_item(state, &name, link)
            })
            .collect();
        troubles.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.id.cmp(&b.id)));
        troubles.extend(items);
        Ok(troubles)
    }

    pub(super) fn meta(
        &self,
        path: String,
        title: String,
        description: String,
        sources: &[String],
        items: &[Item],
    ) -> FeedMeta {
        let config = self.config();
        let updated = items
            .iter()
            .map(Item::modified)
            .max()
            .unwrap_or_else(empty_feed_date);
        // The interval is taken at the items' newest change, not at the
        // clock: every instance, rendering the same items at any time, must
        // produce the same bytes (an irregular cron's interval varies).
        // Each schedule once: a feed over 100,000 sources has a few
        // schedules, and each interval walks the cron expression twice.
        let mut schedules = HashSet::new();
        let ttl = sources
            .iter()
            .filter_map(|id| config.source(id))
            .filter(|s| schedules.insert(s.schedule.as_str()))
            .map(|s| s.schedule.interval(updated).num_minutes().max(1) as u32)
            .min();
        FeedMeta {
            path,
            title,
            description,
            base_url: config.server.base_url.clone(),
            ttl_minutes: ttl,
            hub: config.server.websub_hub.clone(),
            updated,
            sources: Default::default(),
            archive: None,
        }
    }

    /// Renders a feed in every format into the served table, and pings the
    /// WebSub hub for each format whose bytes replaced different ones. The
    /// first render of a path after start is not a change readers missed, so
    /// it is not pinged.
    async fn publish(&self, meta: FeedMeta, items: Vec<Item>, hold: Hold) {
        let feeds = self.publisher.feeds.clone();
        let path = meta.path.clone();
        let hub = meta.hub.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut changed = Vec::new();
            let mut rendered_any = false;
            for format in Format::ALL {
                let (path, rendered) = format.rendered(&meta, &items);
                let put = match hold {
                    Hold::InMemory => feeds.put(path, rendered),
                    Hold::OnDemand => feeds.put_on_demand(path, rendered),
                };
                match put {
                    Put::Changed => {
                        rendered_any = true;
                        changed.push(meta.url(format.ext()));
                    }
                    Put::First => rendered_any = true,
                    Put::Same => {}
                }
            }
            (rendered_any, changed)
        })
        .await;
        let changed = match done {
            Ok((true, changed)) => {
                self.metrics.rendered(&path);
                info!(feed = path, "rendered");
                changed
            }
            Ok((false, _)) => return,
            Err(e) => {
                warn!(feed = path, "rendering failed: {}", fetch::error_chain(&e));
                return;
            }
        };
        if let Some(hub) = hub {
            for topic in changed {
                self.ping(hub.clone(), topic);
            }
        }
    }

    /// Sends the publish ping for `topic` in the background: a slow hub must
    /// not hold up rendering. A failed ping is logged; the next change pings
    /// again.
    pub(super) fn ping(&self, hub: String, topic: String) {
        let fetcher = self.ingest.fetcher.clone();
        let fetch = self.config().fetch.clone();
        let (user_agent, timeout) = (fetch.user_agent, fetch.timeout);
        tokio::spawn(async move {
            match fetcher.publish(&hub, &topic, &user_agent, timeout).await {
                Ok(()) => info!(feed = topic, hub, "hub notified"),
                Err(e) => warn!(
                    feed = topic,
                    hub,
                    "hub ping failed: {}",
                    fetch::error_chain(&e)
                ),
            }
        });
    }

    /// Updates the next-refresh time of the source's own feed; the merged
    /// feeds' follow in the renderer's next round ([`App::refresh_feeds`]).
    pub(super) fn set_refresh(&self, id: &str) {
        if let Some(at) = self.scheduler.due(id) {
            self.publisher
                .feeds
                .set_refresh(&format!("sources/{id}"), at);
        }
    }

    /// Sets each merged feed's next-refresh time: its sources' earliest due
    /// time. Once per render round rather than per fetch: with thousands of
    /// sources in a feed, per fetch was quadratic in a cycle.
    pub(super) fn refresh_feeds(&self) {
        for feed in &self.config().feeds {
            if let Some(at) = self.scheduler.earliest_due(&feed.sources) {
                self.publisher
                    .feeds
                    .set_refresh(&format!("feeds/{}", feed.id), at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_renderer_rests_four_times_its_round_up_to_two_seconds() {
        let ms = std::time::Duration::from_millis;
        assert_eq!(rest_after(ms(0)), ms(0));
        assert_eq!(rest_after(ms(30)), ms(120));
        assert_eq!(rest_after(ms(499)), ms(1996));
        assert_eq!(rest_after(ms(900)), MAX_REST);
        assert_eq!(rest_after(std::time::Duration::MAX), MAX_REST);
    }

    fn changes(of: &[(&str, u64)]) -> Changes {
        Changes {
            version: of.iter().map(|(_, v)| *v).max().unwrap_or(0),
            sources: of.iter().map(|(s, _)| s.to_string()).collect(),
            versions: of.iter().map(|(_, v)| *v).collect(),
        }
    }

    #[test]
    fn the_change_poll_passes_over_this_instances_own_writes_only() {
        let mut own = HashMap::from([("mine".to_string(), 7), ("overtaken".to_string(), 8)]);
        // `mine` was last changed by this instance (version 7); `overtaken`
        // was written here at 8 and by another instance since (9); `theirs`
        // only by another.
        let seen = changed_elsewhere(
            &mut own,
            changes(&[("mine", 7), ("overtaken", 9), ("theirs", 10)]),
        );
        assert_eq!(seen, ["overtaken", "theirs"]);
        // Each entry is dropped once seen: a later change of `mine` by
        // another instance is marked.
        assert!(own.is_empty());
        assert_eq!(
            changed_elsewhere(&mut own, changes(&[("mine", 11)])),
            ["mine"]
        );
    }

    /// A stop sent while a round of renders is under way ends it after the
    /// feed being rendered: the renderer returns long before the round's
    /// last source (here, before the second half of 400).
    #[tokio::test]
    async fn a_stop_ends_a_round_of_renders_between_two_feeds() {
        const SOURCES: usize = 400;
        let dir = tempfile::tempdir().expect("temp dir");
        // With a hub, so that every source's own feed is rendered.
        let sources: String = (0..SOURCES)
            .map(|i| {
                format!(
                    "[[source]]\nid = \"s{i}\"\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/{i}\"\n"
                )
            })
            .collect();
        let text = format!("[server]\nwebsub_hub = \"http://127.0.0.1:9/hub\"\n\n{sources}");
        let config = crate::config::Config::parse(dir.path().join("t.toml"), &text).unwrap();
        let app = App::open(config).await.unwrap();
        let (stop, stopped) = watch::channel(false);
        let renderer = app.spawn_renderer(stopped);
        app.mark((0..SOURCES).map(|i| format!("s{i}")), false);
        let rendered = |app: &App| app.metrics.encode().matches("feed=\"sources/s").count();
        // Bounded, so that a renderer that renders nothing fails the test
        // instead of hanging it.
        tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while rendered(&app) == 0 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("a source's feed rendered within 30 s");
        stop.send(true).unwrap();
        renderer.await.unwrap();
        let done = rendered(&app);
        assert!(
            done < SOURCES / 2,
            "{done} of {SOURCES} rendered after the stop"
        );
    }
}
