//! The hub's calls to the subscriber: verifications answered against the
//! stored subscriptions, signed content read through the same path as a
//! fetch; [`PushCallbacks`] is what the `/websub/{source}` routes see.
//! Uses `super` and what `app` may use.

use super::super::App;
use super::{LEASE_ASKED, LEASE_ASSUMED, signed};
use crate::config::SourceKind;
use crate::fetch;
use crate::serve::{Callbacks, Delivery, Intent};
use crate::store::{SubscriptionState, Verification};
use std::sync::Arc;
use tracing::{info, warn};

/// The callback routes' view of the app.
pub(in crate::app) struct PushCallbacks(pub(in crate::app) Arc<App>);

#[async_trait::async_trait]
impl Callbacks for PushCallbacks {
    /// A hub's verification of the subscription of `source`: true (echo
    /// the challenge) when it confirms one this daemon asked for.
    async fn verify(&self, source: &str, topic: &str, intent: Intent) -> bool {
        let app = &*self.0;
        let verification = match intent {
            // Never longer than asked for: a verification is not
            // authenticated, and a forged one must not stretch a lease.
            Intent::Subscribe { lease_seconds } => Verification::Subscribe {
                lease_seconds: lease_seconds.unwrap_or(LEASE_ASSUMED).clamp(1, LEASE_ASKED),
            },
            Intent::Unsubscribe => Verification::Unsubscribe,
            Intent::Denied => Verification::Denied,
        };
        let now = app.now();
        match app
            .store
            .verify_subscription(source, topic, verification, now)
            .await
        {
            Ok(true) => {
                info!(source, topic, ?verification, "hub verified");
                app.push.wake();
                true
            }
            Ok(false) => {
                warn!(
                    source,
                    topic,
                    ?verification,
                    "verification refused: not a subscription asked for"
                );
                false
            }
            Err(e) => {
                warn!(source, "cannot verify: {}", fetch::error_chain(&e));
                false
            }
        }
    }

    /// Content a hub pushed for `source`: read as a fetched feed is
    /// (parsed, normalized, articles fetched with `full_text`) and written
    /// as pushed items, when its signature matches the subscription's
    /// secret.
    async fn deliver(
        &self,
        source: &str,
        signature: Option<&str>,
        content_type: Option<&str>,
        body: bytes::Bytes,
    ) -> Delivery {
        let app = &*self.0;
        let config = app.config();
        let Some(source) = config
            .source(source)
            .filter(|s| matches!(s.kind, SourceKind::Feed { .. }))
        else {
            return Delivery::Gone;
        };
        let sub = match app.store.subscription(&source.id).await {
            Ok(Some(sub))
                if matches!(
                    sub.state,
                    SubscriptionState::Active | SubscriptionState::Requested
                ) =>
            {
                sub
            }
            Ok(_) => return Delivery::Gone,
            Err(e) => {
                warn!(
                    source = source.id,
                    "cannot read the subscription: {}",
                    fetch::error_chain(&e)
                );
                return Delivery::Failed;
            }
        };
        if !signed(&sub.secret, signature, &body) {
            app.metrics.pushed(&source.id, false, 0);
            warn!(
                source = source.id,
                "pushed content ignored: its X-Hub-Signature does not match the subscription's secret"
            );
            return Delivery::Ignored;
        }
        let Ok(topic) = url::Url::parse(&sub.topic) else {
            return Delivery::Ignored;
        };
        let now = app.now();
        let body = fetch::Body {
            bytes: body,
            content_type: content_type.map(str::to_string),
            etag: None,
            last_modified: None,
            url: topic,
            links: Vec::new(),
        };
        let slot = app.ingest.in_flight.acquire().await;
        let read = app.read_feed(source, body, now, false).await;
        let items = match read {
            Ok(crate::app::ingest::Listing {
                outcome: crate::store::FetchOutcome::Fetched { items, .. },
                ..
            }) => items,
            Ok(_) => Vec::new(),
            Err(e) => {
                warn!(
                    source = source.id,
                    "pushed content unreadable: {}",
                    e.text()
                );
                return Delivery::Ignored;
            }
        };
        let max_items = u32::try_from(config.fetch.max_items).unwrap_or(u32::MAX);
        let written = app
            .store
            .record_push(&source.id, now, items, max_items)
            .await;
        drop(slot);
        match written {
            Ok(summary) => {
                app.metrics
                    .pushed(&source.id, true, summary.new + summary.updated);
                info!(
                    source = source.id,
                    new = summary.new,
                    updated = summary.updated,
                    "pushed by the hub"
                );
                app.wrote(&source.id, summary.version);
                app.mark(summary.changed().then(|| source.id.clone()), false);
                Delivery::Accepted
            }
            Err(e) => {
                warn!(
                    source = source.id,
                    "cannot write pushed items: {}",
                    fetch::error_chain(&e)
                );
                Delivery::Failed
            }
        }
    }

    fn max_body(&self) -> usize {
        usize::try_from(self.0.config().fetch.max_body).unwrap_or(usize::MAX)
    }
}
