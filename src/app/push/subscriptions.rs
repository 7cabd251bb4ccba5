//! The subscription loop's work on [`App`]: each pass asks hubs for new
//! subscriptions, renews, retries and gives up what is due, holding each
//! subscription it acts on; and whether a live subscription holds off a
//! source's poll. Uses `super` (timing, secrets, callbacks' URL) and what
//! `app` may use.

use super::super::App;
use super::{
    Advertised, HOLD, LEASE_ASKED, PASS, callback, later, new_secret, next_step, run_passes,
};
use crate::config::{Source, SourceKind};
use crate::fetch;
use crate::schedule;
use crate::store::{Subscription, SubscriptionState};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::watch;
use tracing::{debug, info, warn};

impl App {
    /// Runs the subscriptions until `stop` changes: each pass asks for new
    /// ones, renews, retries and gives up what is due, then sleeps until
    /// the next step is due (at most [`PASS`]) or something changes. On
    /// stop, this instance's holds are given up.
    pub(in crate::app) async fn push_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let app = &*self;
        run_passes(app.scheduler.clock, &app.push.wake, &mut stop, || {
            app.push_pass()
        })
        .await;
        if let Err(e) = self
            .store
            .release_subscriptions(&self.scheduler.instance)
            .await
        {
            warn!("cannot release subscriptions: {}", fetch::error_chain(&e));
        }
    }

    /// One look at every subscription and at every source that advertises
    /// a hub; returns when the next step is due.
    async fn push_pass(&self) -> DateTime<Utc> {
        let config = self.config();
        let now = self.now();
        let mut next = later(now, PASS);
        let enabled = config.server.websub_subscribe;
        let rows = match self.store.subscriptions().await {
            Ok(rows) => rows,
            Err(e) => {
                warn!("cannot read subscriptions: {}", fetch::error_chain(&e));
                return next;
            }
        };
        let advertised = self.push.advertised();
        let wanted = |id: &str| {
            enabled
                && config
                    .source(id)
                    .is_some_and(|s| matches!(s.kind, SourceKind::Feed { .. }))
        };
        for sub in &rows {
            let instance = &self.scheduler.instance;
            match self
                .store
                .hold_subscription(&sub.source, now, later(now, HOLD), instance)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    warn!(
                        source = sub.source,
                        "cannot hold the subscription: {}",
                        fetch::error_chain(&e)
                    );
                    continue;
                }
            }
            let now_advertised = advertised.get(&sub.source);
            let moved = now_advertised
                .is_some_and(|a| a.hub.as_str() != sub.hub || a.topic.as_str() != sub.topic);
            if !wanted(&sub.source) {
                if let Some(at) = self.give_up(sub, now).await {
                    next = next.min(at);
                }
                continue;
            }
            if moved && let Some(a) = now_advertised {
                // The feed moved to another hub or topic: a new
                // subscription, with a new secret, replaces the old one,
                // which is left to lapse (an unsubscription of it could not
                // be verified: the callback now confirms only the new
                // topic), and whose pushes no longer match.
                if let Some(at) = self.subscribe(&sub.source, a, None, now).await {
                    next = next.min(at);
                }
                continue;
            }
            let step = next_step(sub);
            if step > now {
                next = next.min(step);
                continue;
            }
            let advertised = Advertised {
                hub: match url::Url::parse(&sub.hub) {
                    Ok(u) => u,
                    Err(_) => continue,
                },
                topic: match url::Url::parse(&sub.topic) {
                    Ok(u) => u,
                    Err(_) => continue,
                },
            };
            // A live subscription is renewed with its secret; otherwise a
            // new request gets a new one.
            let keep = sub.live(now).then(|| sub.clone());
            if let Some(at) = self.subscribe(&sub.source, &advertised, keep, now).await {
                next = next.min(at);
            }
        }
        if enabled {
            for (id, a) in &advertised {
                if wanted(id)
                    && !rows.iter().any(|r| &r.source == id)
                    && let Some(at) = self.subscribe(id, a, None, now).await
                {
                    next = next.min(at);
                }
            }
        }
        debug!(subscriptions = rows.len(), %next, "subscriptions looked at");
        next
    }

    /// Asks `advertised.hub` for (or renews, with `renew`'s secret) the
    /// subscription of `source`, writing it first so the hub's verification
    /// finds it. Returns when to look at it next; `None` when another
    /// instance holds it or the store failed.
    async fn subscribe(
        &self,
        source: &str,
        advertised: &Advertised,
        renew: Option<Subscription>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let config = self.config();
        let sub = match renew {
            Some(live) => Subscription {
                requested: now,
                holder: Some(self.scheduler.instance.clone()),
                held_until: Some(later(now, HOLD)),
                ..live
            },
            None => Subscription {
                source: source.to_string(),
                hub: advertised.hub.to_string(),
                topic: advertised.topic.to_string(),
                secret: match new_secret() {
                    Ok(s) => s,
                    Err(e) => {
                        warn!(source, "no random secret: {e}");
                        return None;
                    }
                },
                state: SubscriptionState::Requested,
                requested: now,
                lease_seconds: None,
                expires: None,
                holder: Some(self.scheduler.instance.clone()),
                held_until: Some(later(now, HOLD)),
            },
        };
        match self.store.put_subscription(&sub).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                warn!(
                    source,
                    "cannot write the subscription: {}",
                    fetch::error_chain(&e)
                );
                return None;
            }
        }
        if self.send(&sub, "subscribe", &config.server.base_url).await {
            info!(
                source,
                hub = sub.hub,
                topic = sub.topic,
                "subscription requested"
            );
        }
        Some(next_step(&sub))
    }

    /// Gives up a subscription whose source left the config (or with
    /// subscribing turned off): asks the hub to end it, then forgets it
    /// once verified, or after [`UNSUBSCRIBE_WAIT`](super::UNSUBSCRIBE_WAIT). Returns when to look
    /// at it again.
    async fn give_up(&self, sub: &Subscription, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let forget = match sub.state {
            SubscriptionState::Unsubscribing => next_step(sub) <= now,
            SubscriptionState::Denied => true,
            SubscriptionState::Requested | SubscriptionState::Active => {
                let leaving = Subscription {
                    state: SubscriptionState::Unsubscribing,
                    requested: now,
                    ..sub.clone()
                };
                match self.store.put_subscription(&leaving).await {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(e) => {
                        warn!(
                            source = sub.source,
                            "cannot write the subscription: {}",
                            fetch::error_chain(&e)
                        );
                        return None;
                    }
                }
                let base_url = self.config().server.base_url.clone();
                if self.send(&leaving, "unsubscribe", &base_url).await {
                    info!(
                        source = sub.source,
                        hub = sub.hub,
                        "unsubscription requested"
                    );
                    return Some(next_step(&leaving));
                }
                // The hub could not be told: nothing more to wait for.
                true
            }
        };
        if forget && let Err(e) = self.store.remove_subscription(&sub.source).await {
            warn!(
                source = sub.source,
                "cannot forget the subscription: {}",
                fetch::error_chain(&e)
            );
        }
        (!forget).then(|| next_step(sub))
    }

    /// Sends a `mode` request for `sub` to its hub; false (logged) when
    /// the hub refused it or could not be reached.
    async fn send(&self, sub: &Subscription, mode: &str, base_url: &str) -> bool {
        let Ok(hub) = url::Url::parse(&sub.hub) else {
            return false;
        };
        let config = self.config();
        let callback = callback(base_url, &sub.source);
        let lease = LEASE_ASKED.to_string();
        let mut form = vec![
            ("hub.mode", mode),
            ("hub.topic", sub.topic.as_str()),
            ("hub.callback", callback.as_str()),
        ];
        if mode == "subscribe" {
            form.push(("hub.secret", sub.secret.as_str()));
            form.push(("hub.lease_seconds", lease.as_str()));
        }
        match self
            .ingest
            .fetcher
            .hub_request(&hub, &form, &config.fetch.user_agent, config.fetch.timeout)
            .await
        {
            Ok(()) => true,
            Err(e) => {
                warn!(
                    source = sub.source,
                    hub = sub.hub,
                    "the hub refused the {mode} request: {}",
                    fetch::error_chain(&e)
                );
                false
            }
        }
    }

    /// When a source has a live subscription and was polled within `[fetch]
    /// websub_poll`: the time to look again instead of polling now (its
    /// next due time by its schedule, no later than the safety interval's
    /// end), so polling resumes on its own schedule when the subscription
    /// ends. `None`: poll as usual.
    pub(in crate::app) async fn push_holds_off(
        &self,
        source: &Source,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let config = self.config();
        if !config.server.websub_subscribe || !matches!(source.kind, SourceKind::Feed { .. }) {
            return None;
        }
        let sub = self.store.subscription(&source.id).await.ok()??;
        if !sub.live(now) {
            return None;
        }
        let polled = self
            .store
            .source_state(&source.id)
            .await
            .ok()??
            .last_fetch?;
        let safety = later(polled, config.fetch.websub_poll);
        (safety > now)
            .then(|| schedule::after_success(&source.schedule, &source.id, now, None).min(safety))
    }
}
