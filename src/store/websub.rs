//! What the store keeps of the WebSub subscriptions this daemon asked hubs
//! for: [`Subscription`], its [`SubscriptionState`], and what a hub's
//! [`Verification`] applies to. Plain data; depends on nothing else.

use chrono::{DateTime, Utc};
use std::fmt;

/// Where a WebSub subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    /// Asked for; the hub has not verified it yet.
    Requested,
    /// Verified: the hub delivers until `expires`.
    Active,
    /// An unsubscription was asked for; the row goes once the hub verifies it.
    Unsubscribing,
    /// The hub refused it (`hub.mode=denied`).
    Denied,
}

impl SubscriptionState {
    /// The name both backends store.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Requested => "requested",
            SubscriptionState::Active => "active",
            SubscriptionState::Unsubscribing => "unsubscribing",
            SubscriptionState::Denied => "denied",
        }
    }

    /// The state a stored name stands for; an unknown name (written by a
    /// newer version) reads as `Requested`, which is asked for again.
    pub fn parse(name: &str) -> SubscriptionState {
        match name {
            "active" => SubscriptionState::Active,
            "unsubscribing" => SubscriptionState::Unsubscribing,
            "denied" => SubscriptionState::Denied,
            _ => SubscriptionState::Requested,
        }
    }
}

/// A WebSub subscription of one source at a hub.
#[derive(Clone, PartialEq)]
pub struct Subscription {
    pub source: String,
    /// The hub's URL, as the feed advertised it.
    pub hub: String,
    /// The feed's `rel="self"` URL, the `hub.topic`.
    pub topic: String,
    /// The `hub.secret` given with the request: pushed content must carry
    /// an HMAC of its body made with it.
    pub secret: String,
    pub state: SubscriptionState,
    /// When the last request (subscribe or unsubscribe) was sent.
    pub requested: DateTime<Utc>,
    /// The lease the hub granted, in seconds, once verified.
    pub lease_seconds: Option<u32>,
    /// When that lease ends.
    pub expires: Option<DateTime<Utc>>,
    /// The instance that renews it (and asks for it), until `held_until`.
    pub holder: Option<String>,
    pub held_until: Option<DateTime<Utc>>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret signs what the hub pushes: never printed.
        f.debug_struct("Subscription")
            .field("source", &self.source)
            .field("hub", &self.hub)
            .field("topic", &self.topic)
            .field("secret", &"***")
            .field("state", &self.state)
            .field("requested", &self.requested)
            .field("lease_seconds", &self.lease_seconds)
            .field("expires", &self.expires)
            .field("holder", &self.holder)
            .field("held_until", &self.held_until)
            .finish()
    }
}

impl Subscription {
    /// Whether the hub delivers at `now`: verified, and its lease runs.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.state == SubscriptionState::Active && self.expires.is_some_and(|e| e > now)
    }

    /// When to renew it: once 90% of its lease has passed (a lease of a
    /// day is renewed 2.4 h before it ends); `None` unless active.
    pub fn renew_at(&self) -> Option<DateTime<Utc>> {
        let expires = self
            .expires
            .filter(|_| self.state == SubscriptionState::Active)?;
        let lease = chrono::Duration::seconds(i64::from(self.lease_seconds.unwrap_or(0)));
        Some(expires - lease / 10)
    }
}

/// What a hub's verification request confirms (W3C WebSub 5.3, 5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// A subscription (or its renewal), with the lease the hub grants.
    Subscribe { lease_seconds: u32 },
    /// An unsubscription this daemon asked for.
    Unsubscribe,
    /// The hub refused the subscription.
    Denied,
}

/// The states a verification applies to (see [`Store::verify_subscription`](super::Store::verify_subscription)).
pub fn verifiable(verification: Verification) -> &'static [SubscriptionState] {
    match verification {
        Verification::Subscribe { .. } => {
            &[SubscriptionState::Requested, SubscriptionState::Active]
        }
        Verification::Unsubscribe => &[SubscriptionState::Unsubscribing],
        Verification::Denied => &[SubscriptionState::Requested],
    }
}
