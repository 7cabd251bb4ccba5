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
//! Owns [`Push`]: what each source's feed advertised at its last fetch, the
//! wake-up of the subscription loop, and its [`Clock`]. The subscriptions
//! themselves live in the store, so a restart or another instance carries
//! on; each is acted on (asked for, renewed, given up) by the instance that
//! holds it ([`crate::store::Store::hold_subscription`]), while any instance
//! answers its callbacks.

use super::App;
use crate::config::{Source, SourceKind};
use crate::fetch;
use crate::schedule;
use crate::serve::{Callbacks, Delivery, Intent};
use crate::store::{Subscription, SubscriptionState, Verification};
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tracing::{debug, info, warn};

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

/// Wall-clock time that also follows tokio's clock: the later of
/// `Utc::now()` and the time at start plus tokio's elapsed time. In a
/// running daemon the two agree; on a paused tokio clock (tests),
/// advancing it moves this clock, so renewals can be timed exactly.
#[derive(Debug, Clone, Copy)]
pub(super) struct Clock {
    start: DateTime<Utc>,
    at: tokio::time::Instant,
}

impl Clock {
    pub(super) fn new() -> Clock {
        Clock {
            start: Utc::now(),
            at: tokio::time::Instant::now(),
        }
    }

    pub(super) fn now(&self) -> DateTime<Utc> {
        let followed = chrono::Duration::from_std(self.at.elapsed())
            .map_or(self.start, |elapsed| self.start + elapsed);
        Utc::now().max(followed)
    }

    /// How long until `at`; zero when it has passed.
    pub(super) fn until(&self, at: DateTime<Utc>) -> Duration {
        (at - self.now()).to_std().unwrap_or_default()
    }
}

/// The subscriber's state.
pub(super) struct Push {
    /// What each source's feed advertised at its last fetch. A std mutex:
    /// a map update, never held across an await.
    advertised: Mutex<HashMap<String, Advertised>>,
    /// Wakes the subscription loop: something new was advertised, or the
    /// config changed.
    wake: Notify,
    pub(super) clock: Clock,
}

impl Push {
    pub(super) fn new() -> Push {
        Push {
            advertised: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            clock: Clock::new(),
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

impl App {
    /// Runs the subscriptions until `stop` changes: each pass asks for new
    /// ones, renews, retries and gives up what is due, then sleeps until
    /// the next step is due (at most [`PASS`]) or something changes. On
    /// stop, this instance's holds are given up.
    pub(super) async fn push_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let app = &*self;
        run_passes(app.push.clock, &app.push.wake, &mut stop, || {
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
        let now = self.push.clock.now();
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
    /// once verified, or after [`UNSUBSCRIBE_WAIT`]. Returns when to look
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
    pub(super) async fn push_holds_off(
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

    /// A hub's verification of the subscription of `source`: true (echo
    /// the challenge) when it confirms one this daemon asked for.
    async fn verify_callback(&self, source: &str, topic: &str, intent: Intent) -> bool {
        let verification = match intent {
            // Never longer than asked for: a verification is not
            // authenticated, and a forged one must not stretch a lease.
            Intent::Subscribe { lease_seconds } => Verification::Subscribe {
                lease_seconds: lease_seconds.unwrap_or(LEASE_ASSUMED).clamp(1, LEASE_ASKED),
            },
            Intent::Unsubscribe => Verification::Unsubscribe,
            Intent::Denied => Verification::Denied,
        };
        let now = self.push.clock.now();
        match self
            .store
            .verify_subscription(source, topic, verification, now)
            .await
        {
            Ok(true) => {
                info!(source, topic, ?verification, "hub verified");
                self.push.wake();
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
    async fn deliver_callback(
        &self,
        source: &str,
        signature: Option<&str>,
        content_type: Option<&str>,
        body: bytes::Bytes,
    ) -> Delivery {
        let config = self.config();
        let Some(source) = config
            .source(source)
            .filter(|s| matches!(s.kind, SourceKind::Feed { .. }))
        else {
            return Delivery::Gone;
        };
        let sub = match self.store.subscription(&source.id).await {
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
            self.metrics.pushed(&source.id, false, 0);
            warn!(
                source = source.id,
                "pushed content ignored: its X-Hub-Signature does not match the subscription's secret"
            );
            return Delivery::Ignored;
        }
        let Ok(topic) = url::Url::parse(&sub.topic) else {
            return Delivery::Ignored;
        };
        let now = Utc::now();
        let body = fetch::Body {
            bytes: body,
            content_type: content_type.map(str::to_string),
            etag: None,
            last_modified: None,
            url: topic,
            links: Vec::new(),
        };
        let slot = self.ingest.in_flight.acquire().await;
        let read = self.read_feed(source, body, now, false).await;
        let items = match read {
            Ok(super::ingest::Listing {
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
        let written = self
            .store
            .record_push(&source.id, now, items, max_items)
            .await;
        drop(slot);
        match written {
            Ok(summary) => {
                self.metrics
                    .pushed(&source.id, true, summary.new + summary.updated);
                info!(
                    source = source.id,
                    new = summary.new,
                    updated = summary.updated,
                    "pushed by the hub"
                );
                self.mark(summary.changed().then(|| source.id.clone()), false);
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
}

/// The callback routes' view of the app.
pub(super) struct PushCallbacks(pub(super) Arc<App>);

#[async_trait::async_trait]
impl Callbacks for PushCallbacks {
    async fn verify(&self, source: &str, topic: &str, intent: Intent) -> bool {
        self.0.verify_callback(source, topic, intent).await
    }

    async fn deliver(
        &self,
        source: &str,
        signature: Option<&str>,
        content_type: Option<&str>,
        body: bytes::Bytes,
    ) -> Delivery {
        self.0
            .deliver_callback(source, signature, content_type, body)
            .await
    }

    fn max_body(&self) -> usize {
        usize::try_from(self.0.config().fetch.max_body).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hmac_hex<M: Mac + KeyInit>(secret: &str, body: &[u8]) -> String {
        let mut mac = <M as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn signatures_of_every_method_are_checked() {
        let body = b"<feed/>";
        let s1 = format!("sha1={}", hmac_hex::<Hmac<sha1::Sha1>>("k", body));
        let s256 = format!("sha256={}", hmac_hex::<Hmac<sha2::Sha256>>("k", body));
        let s384 = format!("SHA384={}", hmac_hex::<Hmac<sha2::Sha384>>("k", body));
        let s512 = format!("sha512={}", hmac_hex::<Hmac<sha2::Sha512>>("k", body));
        for s in [&s1, &s256, &s384, &s512] {
            assert!(signed("k", Some(s), body), "{s}");
            assert!(!signed("other", Some(s), body), "{s}");
            assert!(!signed("k", Some(s), b"<feed>changed</feed>"), "{s}");
        }
        assert!(!signed("k", None, body));
        assert!(!signed("k", Some("md5=00"), body));
        assert!(!signed("k", Some("sha256=not hex"), body));
        assert!(!signed("k", Some(&s256[..20]), body));
    }

    #[test]
    fn link_headers_win_over_the_document() {
        let headers = vec![
            r#"<https://example.org/feed>; rel="self", <https://hub.example/>; rel="hub""#
                .to_string(),
        ];
        let a = advertised(&headers, &["https://other.example/".into()], None).unwrap();
        assert_eq!(a.hub.as_str(), "https://hub.example/");
        assert_eq!(a.topic.as_str(), "https://example.org/feed");
        let doc = advertised(
            &[r#"<https://example.org/>; rel="alternate""#.into()],
            &["https://hub.example/a".into()],
            Some("https://example.org/rss"),
        )
        .unwrap();
        assert_eq!(doc.hub.as_str(), "https://hub.example/a");
        assert!(advertised(&[], &["https://hub.example/".into()], None).is_none());
        assert!(advertised(&[], &["ftp://hub.example/".into()], Some("https://e.org/")).is_none());
        let values = link_values(r#"<a>; title="x, y"; rel="hub self", <b>;rel=next"#);
        assert_eq!(
            values,
            [
                ("a".to_string(), vec!["hub".to_string(), "self".to_string()]),
                ("b".to_string(), vec!["next".to_string()])
            ]
        );
    }

    fn active(clock: &Clock, lease_seconds: u32) -> Subscription {
        let now = clock.now();
        Subscription {
            source: "s".into(),
            hub: "https://hub.example/".into(),
            topic: "https://example.org/feed".into(),
            secret: "k".into(),
            state: SubscriptionState::Active,
            requested: now,
            lease_seconds: Some(lease_seconds),
            expires: Some(now + chrono::Duration::seconds(i64::from(lease_seconds))),
            holder: None,
            held_until: None,
        }
    }

    /// The loop's timing on tokio's paused clock: a subscription of a
    /// ten-day lease wakes the loop at 90% of it (not before), and a
    /// renewal sent but not verified is sent again after RETRY, never past
    /// the lease's end.
    #[tokio::test(start_paused = true)]
    async fn renewal_is_due_at_ninety_percent_of_the_lease() {
        let clock = Clock::new();
        let wake = Notify::new();
        let sub = active(&clock, 10 * 24 * 3600);
        let due = next_step(&sub);
        assert_eq!(due, sub.expires.unwrap() - chrono::Duration::days(1));
        let started = tokio::time::Instant::now();
        let waiter = wait_until(&clock, due, &wake);
        tokio::pin!(waiter);
        // Nine days less a second: still waiting.
        tokio::time::advance(Duration::from_secs(9 * 24 * 3600 - 1)).await;
        assert!(
            futures_util::poll!(waiter.as_mut()).is_pending(),
            "woke before 90% of the lease"
        );
        assert!(clock.now() < due);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(!waiter.await, "a timer, not a wake-up");
        // Timers fire on whole milliseconds.
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(9 * 24 * 3600)
                && waited < Duration::from_secs(9 * 24 * 3600 + 1),
            "{waited:?}"
        );
        assert!(clock.now() >= due && clock.now() < sub.expires.unwrap());

        // The renewal went out now; unanswered, it is due again after RETRY.
        let sent = Subscription {
            requested: clock.now(),
            ..sub.clone()
        };
        assert_eq!(next_step(&sent), later(clock.now(), RETRY));
        // Close to the end, the retry comes no later than the end.
        let short = active(&clock, 100);
        let sent = Subscription {
            requested: short.renew_at().unwrap(),
            ..short.clone()
        };
        assert_eq!(next_step(&sent), short.expires.unwrap());
        // A wake-up (something changed) ends the wait early.
        wake.notify_one();
        assert!(wait_until(&clock, later(clock.now(), PASS), &wake).await);
    }

    /// The loop itself on tokio's paused clock, over 30 days: with every
    /// renewal verified at once, a ten-day lease is renewed at day 9, 18
    /// and 27, to the millisecond; with none verified, the renewal is sent
    /// again every hour until the lease ends.
    #[tokio::test(start_paused = true)]
    async fn the_loop_renews_each_lease_at_ninety_percent() {
        use std::cell::RefCell;
        const DAY: i64 = 24 * 3600;
        let clock = Clock::new();
        let wake = Notify::new();
        let start = clock.now();
        let lease = 10 * 24 * 3600;
        for verified in [true, false] {
            let sub = RefCell::new(active(&clock, lease));
            let sent = RefCell::new(Vec::new());
            let (stop_tx, mut stop) = watch::channel(false);
            let began = clock.now();
            let pass = || async {
                let now = clock.now();
                let mut sub = sub.borrow_mut();
                if next_step(&sub) <= now {
                    sent.borrow_mut().push((now - began).num_milliseconds());
                    sub.requested = now;
                    if verified {
                        sub.expires = Some(now + chrono::Duration::seconds(i64::from(lease)));
                    }
                }
                let done = if verified {
                    sent.borrow().len() == 3
                } else {
                    sub.expires.is_some_and(|e| e <= now)
                };
                if done {
                    let _ = stop_tx.send(true);
                }
                next_step(&sub)
            };
            run_passes(clock, &wake, &mut stop, pass).await;
            let mut sent = sent.into_inner();
            // The last hourly retry falls due at the lease's very end: it
            // and the end may come a fraction of a millisecond apart.
            sent.dedup_by(|a, b| (*a - *b).abs() <= 2);
            let expected: Vec<i64> = if verified {
                vec![9 * DAY * 1000, 18 * DAY * 1000, 27 * DAY * 1000]
            } else {
                (0..=24).map(|h| (9 * DAY + h * 3600) * 1000).collect()
            };
            assert_eq!(sent.len(), expected.len(), "{sent:?}");
            for (at, want) in sent.iter().zip(&expected) {
                // Timers fire on whole milliseconds.
                assert!((*at - want).abs() <= 2, "sent at {at} ms, due at {want} ms");
            }
        }
        assert!(clock.now() - start >= chrono::Duration::days(37));
    }
}
