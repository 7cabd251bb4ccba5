//! The WebSub subscriber (W3C WebSub): with `[server] websub_subscribe`, a
//! `feed` source whose feed advertises a hub and its own (`rel="self"`) URL
//! is subscribed at that hub, with a callback under
//! `{base_url}/websub/{source}` and a random secret per subscription; the
//! hub's verification is answered, signed content it pushes is read through
//! the same path as a fetch, the subscription is renewed at 90% of its
//! lease and given up when the source leaves the config (or subscribing is
//! turned off). While it lives, the source is polled only every
//! `[fetch] websub_poll`.
//!
//! Not to be confused with `publish`, which pings the hub of tidings' own
//! feeds (`websub_hub`).
//!
//! Owns [`Push`]: what each source's feed advertised at its last fetch and
//! the wake-up of the subscription loop, whose times are the scheduler's
//! [`Clock`]. The subscriptions themselves live in the store, so a restart or
//! another instance carries on; each is acted on (asked for, renewed, given
//! up) by the instance that holds it
//! ([`crate::store::Store::hold_subscription`]), while any instance answers
//! its callbacks.
//!
//! This file holds the pure parts (advertised links, signatures, the
//! clock and the loop's timing); `subscriptions` is the loop's work on
//! [`App`](super::App), `callbacks` answers the hub.

mod callbacks;
mod subscriptions;
#[cfg(test)]
mod tests;

use super::clock::Clock;
use crate::schedule;
use crate::store::{Subscription, SubscriptionState};
pub(super) use callbacks::PushCallbacks;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// The lease asked for, in seconds: ten days. Hubs grant what they like;
/// the one they grant is what counts.
const LEASE_ASKED: u32 = 10 * 24 * 3600;

/// The lease assumed when a hub's verification names none.
const LEASE_ASSUMED: u32 = 24 * 3600;

/// How often the subscription loop looks at every subscription, at the
/// latest (sooner when a renewal is due or something changed).
const PASS: Duration = Duration::from_secs(60);

/// How long an instance holds the subscriptions it acts on; renewed each
/// pass, so another instance takes them over soon after it dies.
const HOLD: Duration = Duration::from_secs(3 * 60);

/// A request the hub has not verified within this is sent again.
const RETRY: Duration = Duration::from_secs(3600);

/// A subscription the hub denied is asked for again after this.
const DENIED_RETRY: Duration = Duration::from_secs(24 * 3600);

/// An unsubscription the hub has not verified within this is forgotten.
const UNSUBSCRIBE_WAIT: Duration = Duration::from_secs(3600);

/// What a feed advertises for WebSub: the hub to subscribe at and the
/// topic (its own URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Advertised {
    pub(crate) hub: url::Url,
    pub(crate) topic: url::Url,
}

/// The hub and topic a fetched feed advertises: from its HTTP `Link`
/// headers first, as W3C WebSub 4 asks, else from the document's links;
/// the first hub. `None` without both, or when either is not an http(s)
/// URL.
pub(crate) fn advertised(
    link_headers: &[String],
    hubs: &[String],
    self_link: Option<&str>,
) -> Option<Advertised> {
    let header = |rel: &str| {
        link_headers
            .iter()
            .flat_map(|h| link_values(h))
            .find(|(_, rels)| rels.iter().any(|r| r.eq_ignore_ascii_case(rel)))
            .map(|(url, _)| url)
    };
    let web = |u: String| {
        url::Url::parse(u.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
    };
    let hub = header("hub")
        .or_else(|| hubs.first().cloned())
        .and_then(web)?;
    let topic = header("self")
        .or_else(|| self_link.map(str::to_string))
        .and_then(web)?;
    Some(Advertised { hub, topic })
}

/// The links of one `Link` header value (RFC 8288): each `<URL>` with the
/// relation types of its `rel` parameter.
fn link_values(header: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = header;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        let url = rest[start + 1..start + end].to_string();
        rest = &rest[start + end + 1..];
        // The parameters run to the next link (a comma outside quotes).
        let mut quoted = false;
        let cut = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == ',' && !quoted
            })
            .map_or(rest.len(), |(i, _)| i);
        let rels = rest[..cut]
            .split(';')
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("rel").then(|| {
                    v.trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
            })
            .flatten()
            .collect();
        out.push((url, rels));
        rest = &rest[cut..];
    }
    out
}

/// Whether `header` (`X-Hub-Signature: sha256=HEX`) is the HMAC of `body`
/// with `secret`, by sha1, sha256, sha384 or sha512 (W3C WebSub 8.1).
/// Compared in constant time (`Mac::verify_slice`); an unknown method, bad
/// hex or a missing header is no match.
pub(crate) fn signed(secret: &str, header: Option<&str>, body: &[u8]) -> bool {
    fn check<M: Mac + KeyInit>(secret: &[u8], body: &[u8], signature: &[u8]) -> bool {
        match <M as KeyInit>::new_from_slice(secret) {
            Ok(mut mac) => {
                mac.update(body);
                mac.verify_slice(signature).is_ok()
            }
            Err(_) => false,
        }
    }
    let Some((method, hex_signature)) = header.and_then(|h| h.trim().split_once('=')) else {
        return false;
    };
    let Ok(signature) = hex::decode(hex_signature.trim()) else {
        return false;
    };
    let secret = secret.as_bytes();
    match method.trim().to_ascii_lowercase().as_str() {
        "sha1" => check::<Hmac<sha1::Sha1>>(secret, body, &signature),
        "sha256" => check::<Hmac<sha2::Sha256>>(secret, body, &signature),
        "sha384" => check::<Hmac<sha2::Sha384>>(secret, body, &signature),
        "sha512" => check::<Hmac<sha2::Sha512>>(secret, body, &signature),
        _ => false,
    }
}

/// A fresh subscription secret: 32 random bytes, hex (the hub's limit is
/// 200 bytes).
fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// The subscriber's state.
pub(super) struct Push {
    /// What each source's feed advertised at its last fetch. A std mutex:
    /// a map update, never held across an await.
    advertised: Mutex<HashMap<String, Advertised>>,
    /// Wakes the subscription loop: something new was advertised, or the
    /// config changed.
    wake: Notify,
}

impl Push {
    pub(super) fn new() -> Push {
        Push {
            advertised: Mutex::new(HashMap::new()),
            wake: Notify::new(),
        }
    }

    /// Notes what `source`'s feed advertised at a fetch; the loop
    /// subscribes when it is new or changed.
    pub(super) fn saw(&self, source: &str, advertised: Advertised) {
        let mut map = self.advertised.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(source) != Some(&advertised) {
            map.insert(source.to_string(), advertised);
            self.wake.notify_one();
        }
    }

    fn advertised(&self) -> HashMap<String, Advertised> {
        self.advertised
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Wakes the loop (the config changed).
    pub(super) fn wake(&self) {
        self.wake.notify_one();
    }
}

/// When a subscription next needs the loop, if ever: its renewal (or a new
/// request, when the last one went unanswered), or forgetting an
/// unsubscription the hub never verified.
pub(super) fn next_step(sub: &Subscription) -> DateTime<Utc> {
    let after = |d: Duration| sub.requested + chrono::Duration::from_std(d).unwrap_or_default();
    match sub.state {
        SubscriptionState::Active => match sub.renew_at() {
            // A renewal sent and not verified yet is sent again after
            // RETRY, though never later than the lease's end.
            Some(renew) if sub.requested >= renew => after(RETRY).min(sub.expires.unwrap_or(renew)),
            Some(renew) => renew,
            None => sub.requested,
        },
        SubscriptionState::Requested => after(RETRY),
        SubscriptionState::Denied => after(DENIED_RETRY),
        SubscriptionState::Unsubscribing => after(UNSUBSCRIBE_WAIT),
    }
}

/// Waits until `at` on `clock`, or until woken; returns whether it was woken.
pub(super) async fn wait_until(clock: &Clock, at: DateTime<Utc>, wake: &Notify) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(clock.until(at)) => false,
        _ = wake.notified() => true,
    }
}

/// The subscription loop's timing: runs `pass`, which returns when its
/// next step is due, then waits until then (at most [`PASS`]) or until
/// woken, and again, until `stop` changes.
pub(super) async fn run_passes<F, Fut>(
    clock: Clock,
    wake: &Notify,
    stop: &mut watch::Receiver<bool>,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = DateTime<Utc>>,
{
    loop {
        let next = pass().await;
        tokio::select! {
            _ = stop.changed() => return,
            _ = wait_until(&clock, next.min(later(clock.now(), PASS)), wake) => {}
        }
    }
}

/// The callback URL of a source's subscription.
fn callback(base_url: &str, source: &str) -> String {
    format!("{base_url}/websub/{source}")
}

fn later(at: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    at + chrono::Duration::from_std(d).unwrap_or(schedule::MAX_WAIT)
}
