//! `schedule = "adaptive"` in the fetch sequence: the source's poll history
//! read from the store, this fetch added to it, and the interval the rule
//! ([`crate::schedule::adaptive::learn`]) gives, as the schedule the next
//! due time is computed on — so jitter, backoff, Retry-After and freshness
//! hints apply as for any schedule.

use super::App;
use crate::config::Source;
use crate::fetch;
use crate::schedule::Schedule;
use crate::schedule::adaptive::{self, Bounds, Poll};
use crate::store::FetchOutcome;
use chrono::{DateTime, Utc};
use tracing::warn;

/// Polls of history kept per adaptive source.
pub(super) const KEEP: u32 = adaptive::HISTORY as u32;

impl App {
    /// The schedule the fetch at `now` with `outcome` computes the next due
    /// time on, and the interval to record: the source's own schedule (and
    /// none) unless it is adaptive.
    pub(super) async fn timing(
        &self,
        source: &Source,
        now: DateTime<Utc>,
        outcome: &FetchOutcome,
    ) -> (Schedule, Option<chrono::Duration>) {
        if !source.adaptive {
            return (source.schedule.clone(), None);
        }
        let fetch = self.config().fetch.clone();
        let day = chrono::Duration::days(1);
        let bounds = Bounds {
            min: chrono::Duration::from_std(fetch.adaptive_min).unwrap_or(day),
            max: chrono::Duration::from_std(fetch.adaptive_max).unwrap_or(day),
        };
        let mut polls: Vec<Poll> = match self.store.polls(&source.id, KEEP).await {
            Ok(polls) => polls
                .into_iter()
                .map(|p| Poll {
                    at: p.at,
                    new_items: p.new_items,
                })
                .collect(),
            Err(e) => {
                warn!(
                    source = source.id,
                    "cannot read the poll history: {}",
                    fetch::error_chain(&e)
                );
                Vec::new()
            }
        };
        let new_items = match outcome {
            FetchOutcome::Fetched { items, .. } => Some(self.new_items(source, items).await),
            FetchOutcome::NotModified => Some(0),
            FetchOutcome::Failed { .. } => None,
        };
        if let Some(new_items) = new_items {
            polls.push(Poll { at: now, new_items });
        }
        let interval = adaptive::learn(&polls, now, bounds);
        (Schedule::every(interval), Some(interval))
    }

    /// How many of `items` the store does not know yet (nor has pruned):
    /// what the store write will count as new.
    async fn new_items(&self, source: &Source, items: &[crate::model::Item]) -> u32 {
        let mut ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        // Unknown when the store cannot say: counted as none, so a store
        // failure never shortens the interval.
        let known = match self.store.known_ids(&source.id, &ids).await {
            Ok(known) => known.len(),
            Err(e) => {
                warn!(
                    source = source.id,
                    "cannot count the new items: {}",
                    fetch::error_chain(&e)
                );
                ids.len()
            }
        };
        // The store keeps at most `max_items` of them.
        let new = ids
            .len()
            .saturating_sub(known)
            .min(self.config().fetch.max_items);
        u32::try_from(new).unwrap_or(u32::MAX)
    }
}
