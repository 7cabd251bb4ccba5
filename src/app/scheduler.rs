//! Scheduling: each source's loop (due time, lease, fetch, record), the
//! watch for changes other instances made, and the hourly prune.
//!
//! Owns [`Scheduler`]: when each source is next due, this instance's
//! lease name and the daemon's one [`Clock`], which every wait and every
//! timestamp in `app` reads. Reads and records through [`App`].

use super::clock::Clock;
use super::{App, Failure, GONE};
use crate::config::{Source, SourceKind};
use crate::fetch;
use crate::schedule;
use crate::store::SourceState;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tracing::{debug, info, warn};

/// The scheduler's state.
pub(super) struct Scheduler {
    // When each source is next due, for the feeds' Cache-Control. A std
    // mutex: it guards a map update and is never held across an await.
    due: Mutex<HashMap<String, DateTime<Utc>>>,
    /// This process's name on the leases it takes.
    pub(super) instance: String,
    /// The one clock of the daemon (see [`Clock`]).
    pub(super) clock: Clock,
}

impl Scheduler {
    pub(super) fn new(clock: Clock) -> Scheduler {
        Scheduler {
            due: Mutex::new(HashMap::new()),
            instance: instance_name(clock.now()),
            clock,
        }
    }

    /// Sets when `id` is next due.
    pub(super) fn set_due(&self, id: &str, at: DateTime<Utc>) {
        self.due
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string(), at);
    }

    /// When `id` is next due, if known.
    pub(super) fn due(&self, id: &str) -> Option<DateTime<Utc>> {
        self.due
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .copied()
    }

    /// The earliest due time among `ids`.
    pub(super) fn earliest_due<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a String>,
    ) -> Option<DateTime<Utc>> {
        let due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        ids.into_iter().filter_map(|id| due.get(id)).min().copied()
    }
}

/// A lease lasts this many times the source's fetch timeout: long enough for
/// the fetch (whose timeout also covers waiting for a connection slot) and
/// the store write, short enough that a dead instance's sources are soon
/// taken over.
const LEASE_TIMEOUTS: u32 = 3;

/// How often an instance looks for changes another instance made, and
/// looks again at a source another instance is fetching.
const POLL: Duration = Duration::from_secs(1);

/// A name for this process's leases, unique among the instances sharing a
/// store: the process id and the start time.
fn instance_name(now: DateTime<Utc>) -> String {
    format!("pid{}-{}", std::process::id(), now.timestamp_micros())
}

impl App {
    /// When a source is next due: now if it was never fetched, if its due
    /// time passed while the daemon was down, or if its URL changed in the
    /// config since.
    pub(super) async fn first_due(&self, source: &Source) -> DateTime<Utc> {
        let config_url = match &source.kind {
            SourceKind::Feed { url } | SourceKind::Html { url, .. } => Some(url.to_string()),
            SourceKind::Files { .. } => None,
        };
        let stored = match self.store.source_state(&source.id).await {
            Ok(Some(s))
                if s.last_fetch.is_some()
                    && (config_url.is_none() || s.config_url == config_url) =>
            {
                s.next_due
            }
            _ => None,
        };
        let at = stored.unwrap_or_else(|| self.now());
        self.scheduler.set_due(&source.id, at);
        at
    }

    /// Fetches `source` on its schedule until `stop` changes.
    ///
    /// The loop's future is the source's task state, held while it sleeps
    /// between fetches (at 100,000 sources, all but a few hundred sleep):
    /// so every call that awaits more than a store call is boxed, its state
    /// allocated only while it runs, and the loop holds only the source,
    /// its due time, the stop and the sleep.
    pub(super) async fn source_loop(
        self: Arc<Self>,
        source: Arc<Source>,
        mut stop: watch::Receiver<bool>,
    ) {
        // At start every source reads its state at once: in turns too.
        let turn = tokio::select! {
            _ = stop.changed() => return,
            turn = self.ingest.due.acquire() => turn,
        };
        let mut due = Box::pin(self.first_due(&source)).await;
        drop(turn);
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = self.scheduler.clock.sleep_until(due) => {}
            }
            // Held until this round ends (see `Ingest::due`); the semaphore
            // is never closed, so an error cannot come.
            let _turn = tokio::select! {
                _ = stop.changed() => return,
                turn = self.ingest.due.acquire() => turn,
            };
            let now = self.now();
            // A hub pushes this source's changes: poll only for safety.
            if let Some(later) = Box::pin(self.push_holds_off(&source, now)).await {
                debug!(source = source.id, %later, "not polled: its hub pushes it");
                self.scheduler.set_due(&source.id, later);
                due = later;
                continue;
            }
            let lease = chrono::Duration::from_std(source.timeout * LEASE_TIMEOUTS)
                .unwrap_or(schedule::MAX_WAIT);
            match self
                .store
                .claim(&source.id, now, now + lease, &self.scheduler.instance)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    due = Box::pin(self.due_elsewhere(&source.id, now)).await;
                    continue;
                }
                Err(e) => {
                    warn!(
                        source = source.id,
                        "store unavailable: {}",
                        fetch::error_chain(&e)
                    );
                    due = self.now() + chrono::Duration::seconds(30);
                    continue;
                }
            }
            // A stop cancels the reading and hands the source back.
            let Some(report) = Box::pin(self.fetch_now(&source, now, stop.clone())).await else {
                self.release(&source.id).await;
                return;
            };
            match &report.result {
                Err(Failure::Gone) => {
                    warn!(source = source.id, "{GONE}");
                    self.release(&source.id).await;
                    let _ = stop.changed().await;
                    return;
                }
                Err(Failure::Store(e)) => {
                    warn!(
                        source = source.id,
                        "store unavailable: {}",
                        fetch::error_chain(e)
                    );
                    self.release(&source.id).await;
                    due = self.now() + chrono::Duration::seconds(30);
                    continue;
                }
                Ok(_) => info!(source = source.id, "{report}"),
                Err(_) => warn!(source = source.id, "{report}"),
            }
            due = self
                .scheduler
                .due(&source.id)
                .unwrap_or_else(|| self.now() + chrono::Duration::minutes(15));
        }
    }

    /// When to look again at a source whose claim was refused: at its next
    /// due time when another instance has fetched it, else (another instance
    /// is fetching it now) in a moment, to take over if that one dies.
    pub(super) async fn due_elsewhere(&self, id: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        let soon = now + chrono::Duration::from_std(POLL).unwrap_or_default();
        match self.store.source_state(id).await {
            Ok(Some(SourceState {
                next_due: Some(at), ..
            })) if at > now => {
                self.scheduler.set_due(id, at);
                self.set_refresh(id);
                self.mark(None, false);
                at
            }
            Ok(_) => soon,
            Err(e) => {
                warn!(source = id, "store unavailable: {}", fetch::error_chain(&e));
                soon
            }
        }
    }

    /// Hands a claimed source back without fetching it.
    pub(super) async fn release(&self, id: &str) {
        if let Err(e) = self.store.release(id, &self.scheduler.instance).await {
            warn!(
                source = id,
                "cannot release the lease: {}",
                fetch::error_chain(&e)
            );
        }
    }

    /// Every [`POLL`], re-renders the feeds of sources whose items another
    /// instance (or this one) changed since `version`.
    pub(super) async fn watch_loop(
        self: Arc<Self>,
        mut version: u64,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(POLL) => {}
            }
            match self.store.changes_since(version).await {
                Ok(changes) => {
                    version = changes.version;
                    self.mark_changes(changes);
                }
                Err(e) => warn!("cannot look for changes: {}", fetch::error_chain(&e)),
            }
        }
    }

    pub(super) async fn prune_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            let store = self.config().store.clone();
            let before = self.now() - chrono::Duration::days(i64::from(store.retain_days));
            let max_items = u32::try_from(self.config().fetch.max_items).unwrap_or(u32::MAX);
            match self.store.prune(before, store.keep_min, max_items).await {
                Ok(0) => {}
                Ok(n) => {
                    info!("pruned {n} old items");
                    self.render_all().await;
                }
                Err(e) => warn!("pruning failed: {}", fetch::error_chain(&e)),
            }
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            }
        }
    }

    /// Freezes the archive pages whose items settled, though nothing
    /// changed since: every half `archive_settle`, at least every second
    /// and at most every ten minutes.
    pub(super) async fn archive_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            let every = (self.config().server.archive_settle / 2).clamp(
                std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(600),
            );
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if let Err(e) = self.archive_all().await {
                warn!("archiving failed: {}", fetch::error_chain(&e));
            }
        }
    }
}
