//! The WebSub subscriber, through the real binary: a hub the test runs on
//! loopback records the daemon's subscribe and unsubscribe requests,
//! verifies them against the daemon's callback with a challenge, and
//! pushes signed content. Shown: subscription and verification (the
//! challenge echoed, a wrong topic refused), a signed push served at once
//! with no request to the origin, a badly signed one ignored, polling
//! relaxed while the subscription lives, renewal before the lease ends,
//! resumption after a restart, a new subscription once the old one
//! expired, unsubscription when the source leaves the config, and two
//! instances on one PostgreSQL asking for one subscription and both taking
//! its pushes.
//!
//! (The publishing side, pings of tidings' own feeds, is `websub`.)

use crate::common::{Config, Daemon, Origin, free_port, http, wait_for};
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One subscriber request the hub got (`hub.*` fields, names without
/// `hub.`).
type Form = BTreeMap<String, String>;

/// One verification the hub made: the mode, the callback's status,
/// whether its body was the challenge, and when it was answered.
#[derive(Debug, Clone)]
struct Verified {
    mode: String,
    status: u16,
    echoed: bool,
    at: Instant,
}

#[derive(Default)]
struct HubState {
    requests: Mutex<Vec<Form>>,
    /// When each request came.
    received: Mutex<Vec<Instant>>,
    verified: Mutex<Vec<Verified>>,
    /// The lease granted by each verification in turn; the last repeats.
    grants: Mutex<VecDeque<u32>>,
    /// Requests verified at most (the rest are accepted and left).
    verify_at_most: AtomicUsize,
}

/// A loopback WebSub hub: accepts (202) every subscriber request, then
/// verifies it against its callback as W3C WebSub 5.3 says.
struct Hub {
    url: String,
    state: Arc<HubState>,
}

impl Hub {
    async fn start(grants: &[u32]) -> Hub {
        let state = Arc::new(HubState {
            grants: Mutex::new(grants.iter().copied().collect()),
            verify_at_most: AtomicUsize::new(usize::MAX),
            ..HubState::default()
        });
        let app = Router::new()
            .route("/hub", post(request))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hub", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Hub { url, state }
    }

    fn requests(&self) -> Vec<Form> {
        self.state.requests.lock().unwrap().clone()
    }

    fn verified(&self) -> Vec<Verified> {
        self.state.verified.lock().unwrap().clone()
    }

    /// The requests of one mode.
    fn of_mode(&self, mode: &str) -> Vec<Form> {
        self.requests()
            .into_iter()
            .filter(|f| f["mode"] == mode)
            .collect()
    }

    /// Waits for the `n`-th request of `mode` and its verification.
    async fn wait_verified(&self, mode: &str, n: usize, daemon: &Daemon) -> Form {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.verified().iter().filter(|v| v.mode == mode).count() < n {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {mode} request {n} verified; the hub got {:?}; {}",
                self.requests()
                    .iter()
                    .map(|f| &f["mode"])
                    .collect::<Vec<_>>(),
                daemon.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let v: Vec<Verified> = self
            .verified()
            .into_iter()
            .filter(|v| v.mode == mode)
            .collect();
        assert_eq!(
            (v[n - 1].status, v[n - 1].echoed),
            (200, true),
            "{}",
            daemon.stderr()
        );
        self.of_mode(mode)[n - 1].clone()
    }

    /// When the `n`-th verification (of any mode) was answered.
    fn verified_at(&self, n: usize) -> Instant {
        self.verified()[n - 1].at
    }

    /// When the `n`-th request came.
    fn received_at(&self, n: usize) -> Instant {
        self.state.received.lock().unwrap()[n - 1]
    }
}

async fn request(State(state): State<Arc<HubState>>, body: String) -> axum::http::StatusCode {
    let form: Form = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .map(|(k, v)| (k.trim_start_matches("hub.").to_string(), v))
        .collect();
    let n = {
        let mut requests = state.requests.lock().unwrap();
        requests.push(form.clone());
        state.received.lock().unwrap().push(Instant::now());
        requests.len()
    };
    if n <= state.verify_at_most.load(Ordering::SeqCst) {
        let state = state.clone();
        // Verified after the answer, as hubs do.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let lease = {
                let mut grants = state.grants.lock().unwrap();
                if grants.len() > 1 {
                    grants.pop_front().unwrap()
                } else {
                    grants[0]
                }
            };
            let challenge = format!("challenge-{n}-{}", lease * 7919);
            let (status, body) = verify(
                &form["callback"],
                &form["mode"],
                &form["topic"],
                &challenge,
                lease,
            )
            .await;
            state.verified.lock().unwrap().push(Verified {
                mode: form["mode"].clone(),
                status,
                echoed: body == challenge,
                at: Instant::now(),
            });
        });
    }
    axum::http::StatusCode::ACCEPTED
}

/// A verification GET against `callback`; returns the status and body.
async fn verify(
    callback: &str,
    mode: &str,
    topic: &str,
    challenge: &str,
    lease: u32,
) -> (u16, String) {
    let mut url = url::Url::parse(callback).unwrap();
    url.query_pairs_mut()
        .append_pair("hub.mode", mode)
        .append_pair("hub.topic", topic)
        .append_pair("hub.challenge", challenge)
        .append_pair("hub.lease_seconds", &lease.to_string());
    let resp = http().get(url).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn hmac_hex<M: Mac + KeyInit>(secret: &str, body: &[u8]) -> String {
    let mut mac = <M as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Pushes `body` to `callback` as a hub does, with `signature` as
/// `X-Hub-Signature` (if any); returns the status.
async fn push(callback: &str, body: &str, signature: Option<String>) -> u16 {
    let mut req = http()
        .post(callback)
        .header("content-type", "application/rss+xml")
        .body(body.to_string());
    if let Some(s) = signature {
        req = req.header("x-hub-signature", s);
    }
    req.send().await.unwrap().status().as_u16()
}

fn sha256(secret: &str, body: &str) -> Option<String> {
    Some(format!(
        "sha256={}",
        hmac_hex::<Hmac<sha2::Sha256>>(secret, body.as_bytes())
    ))
}

/// An RSS feed advertising `hub` and its own URL `me`, with an item per
/// title.
fn rss(hub: &str, me: &str, titles: &[&str]) -> String {
    let items: String = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "<item><title>{t}</title><link>https://wire.example/{i}-{}</link><pubDate>Thu, 05 Mar 2026 {:02}:00:00 GMT</pubDate><description>About {t}.</description></item>\n",
                t.len(),
                i + 1
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel>\
         <title>Wire</title><link>https://wire.example/</link>\
         <atom:link rel=\"hub\" href=\"{hub}\"/><atom:link rel=\"self\" href=\"{me}\" type=\"application/rss+xml\"/>\n\
         {items}</channel></rss>"
    )
}

async fn served(base: &str) -> String {
    http()
        .get(format!("{base}/sources/wire.rss"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A daemon subscribing, its origin and hub.
struct Setup {
    dir: tempfile::TempDir,
    port: u16,
    origin: Origin,
    hub: Hub,
    topic: String,
    config: Config,
}

impl Setup {
    async fn new(grants: &[u32], schedule: &str) -> Setup {
        let hub = Hub::start(grants).await;
        let origin = Origin::start().await;
        let topic = origin.url("wire.xml");
        origin.put(
            "wire.xml",
            "application/rss+xml",
            rss(&hub.url, &topic, &["Harbour opens"]),
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = Config::new(dir.path(), port)
            .server(&format!(
                "base_url = \"http://127.0.0.1:{port}\"\nwebsub_subscribe = true"
            ))
            .entries(&format!(
                "[[source]]\nid = \"wire\"\nkind = \"feed\"\nurl = \"{topic}\"\nschedule = \"{schedule}\"\n"
            ));
        Setup {
            dir,
            port,
            origin,
            hub,
            topic,
            config,
        }
    }

    /// Starts a daemon, logging its held-off polls and subscription
    /// passes (debug) for the tests to wait on.
    fn start(&self, log: &str) -> Daemon {
        Daemon::start_with(
            &self.config.write(),
            self.port,
            self.dir.path().join(log),
            &[(
                "RUST_LOG",
                "info,tidings::app::scheduler=debug,tidings::app::push=debug",
            )],
        )
    }

    fn callback(&self) -> String {
        format!("http://127.0.0.1:{}/websub/wire", self.port)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_subscription_takes_signed_pushes_and_relaxes_polling() {
    // Polled every 2 s until the hub pushes.
    let s = Setup::new(&[3600], "*/2 * * * * *").await;
    let daemon = s.start("stderr.log");
    let sub = s.hub.wait_verified("subscribe", 1, &daemon).await;
    assert_eq!(sub["topic"], s.topic);
    assert_eq!(sub["callback"], s.callback());
    assert_eq!(sub["lease_seconds"], "864000");
    let secret = sub["secret"].clone();
    assert!(
        secret.len() >= 32 && secret.chars().all(|c| c.is_ascii_hexdigit()),
        "{secret}"
    );

    // Verifications that confirm nothing asked for are refused: another
    // topic, an unsubscription, another source; a request without a
    // challenge is malformed.
    let other = s.origin.url("other.xml");
    assert_eq!(
        verify(&s.callback(), "subscribe", &other, "c1", 60).await.0,
        404
    );
    assert_eq!(
        verify(&s.callback(), "unsubscribe", &s.topic, "c2", 60)
            .await
            .0,
        404
    );
    let stranger = format!("http://127.0.0.1:{}/websub/nope", s.port);
    assert_eq!(
        verify(&stranger, "subscribe", &s.topic, "c3", 60).await.0,
        404
    );
    let mut bare = url::Url::parse(&s.callback()).unwrap();
    bare.query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.topic", &s.topic);
    let bare = http().get(bare).send().await.unwrap();
    assert_eq!(bare.status(), 400);

    // Polling relaxes to the safety interval: the source's due times (every
    // 2 s) pass without a request to the origin.
    let held_off = || {
        daemon
            .stderr()
            .matches("not polled: its hub pushes it")
            .count()
    };
    wait_for(20, "a poll held off", || async {
        (held_off() >= 1).then_some(())
    })
    .await;
    let polled = s.origin.requests_to("/wire.xml").len();
    wait_for(20, "two more polls held off", || async {
        (held_off() >= 3).then_some(())
    })
    .await;
    assert_eq!(
        s.origin.requests_to("/wire.xml").len(),
        polled,
        "polled while the hub pushes: {}",
        daemon.stderr()
    );

    // A push signed with the secret is served at once, with no request to
    // the origin, read as a fetch is: the item already stored is not
    // stored again, the new one's HTML is sanitized and its link cleaned.
    let pushed = rss(
        &s.hub.url,
        &s.topic,
        &["Harbour opens", "Ferry back on winter timetable"],
    )
    .replace(
        "<description>About Ferry back on winter timetable.</description>",
        "<description>&lt;p onclick=\"steal()\"&gt;From Monday.&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>",
    )
    .replace("-30</link>", "-30?utm_source=hub</link>");
    let sent = Instant::now();
    assert_eq!(
        push(&s.callback(), &pushed, sha256(&secret, &pushed)).await,
        202
    );
    let took = wait_for(10, "the pushed item served", || async {
        served(&daemon.base)
            .await
            .contains("Ferry back on winter timetable")
            .then(|| sent.elapsed())
    })
    .await;
    assert!(took < Duration::from_secs(1), "served after {took:?}");
    assert_eq!(s.origin.requests_to("/wire.xml").len(), polled);
    let feed = served(&daemon.base).await;
    assert_eq!(
        feed.matches("<title>Harbour opens</title>").count(),
        1,
        "{feed}"
    );
    assert!(feed.contains("From Monday."), "{feed}");
    assert!(
        !feed.contains("alert(1)") && !feed.contains("steal()"),
        "{feed}"
    );
    assert!(feed.contains("https://wire.example/1-30<"), "{feed}");
    assert!(!feed.contains("utm_source"), "{feed}");

    // Badly signed, unsigned or signed with another secret: acknowledged
    // (W3C WebSub 8.1) but ignored, the feed unchanged.
    let forged = rss(&s.hub.url, &s.topic, &["Forged item"]);
    let wrong = format!(
        "sha1={}",
        hmac_hex::<Hmac<sha1::Sha1>>("not the secret", forged.as_bytes())
    );
    assert_eq!(push(&s.callback(), &forged, Some(wrong)).await, 202);
    assert_eq!(push(&s.callback(), &forged, None).await, 202);
    let tampered = forged.replace("Forged item", "Forged item!");
    assert_eq!(
        push(&s.callback(), &tampered, sha256(&secret, &forged)).await,
        202
    );
    wait_for(10, "three ignored pushes logged", || async {
        (daemon.stderr().matches("pushed content ignored").count() >= 3).then_some(())
    })
    .await;
    let metrics = http()
        .get(format!("{}/metrics", daemon.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for counted in [
        "tidings_websub_pushes_total{source=\"wire\",outcome=\"ignored\"} 3",
        "tidings_websub_pushes_total{source=\"wire\",outcome=\"accepted\"} 1",
    ] {
        assert!(metrics.contains(counted), "{counted} in {metrics}");
    }
    let after = served(&daemon.base).await;
    assert!(!after.contains("Forged item"), "{after}");
    assert!(after.contains("Ferry back on winter timetable"));
    // Signed with sha512 works too; a source without a subscription is
    // gone for the hub.
    let third = rss(&s.hub.url, &s.topic, &["Bridge closed for repairs"]);
    let sha512 = format!(
        "sha512={}",
        hmac_hex::<Hmac<sha2::Sha512>>(&secret, third.as_bytes())
    );
    assert_eq!(push(&s.callback(), &third, Some(sha512)).await, 202);
    assert_eq!(push(&stranger, &third, sha256(&secret, &third)).await, 410);
    wait_for(10, "the sha512-signed item served", || async {
        served(&daemon.base)
            .await
            .contains("Bridge closed for repairs")
            .then_some(())
    })
    .await;
    assert_eq!(s.origin.requests_to("/wire.xml").len(), polled);
    assert_eq!(s.hub.of_mode("subscribe").len(), 1, "{}", daemon.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_renew_survive_restarts_and_end_with_their_source() {
    // The first lease is 4 s: renewed at 90% of it; the renewal's lease
    // is an hour.
    let s = Setup::new(&[4, 3600], "0 0 * * *").await;
    let mut daemon = s.start("first.log");
    let first = s.hub.wait_verified("subscribe", 1, &daemon).await;
    let renewal = s.hub.wait_verified("subscribe", 2, &daemon).await;
    // Asked for again once 90% of the lease (3.6 s) had passed, before
    // its end.
    let after = s.hub.received_at(2) - s.hub.verified_at(1);
    assert!(
        after >= Duration::from_secs(3) && after < Duration::from_secs(4),
        "renewed {after:?} after a 4 s lease began"
    );
    assert_eq!(
        renewal["secret"], first["secret"],
        "a renewal keeps its secret"
    );
    assert_eq!(renewal["topic"], first["topic"]);

    // Restarted: the subscription is carried on, not asked for again, and
    // pushes signed with its secret are taken.
    let (code, _) = daemon.terminate();
    assert_eq!(code, Some(0));
    let fetched = s.origin.requests_to("/wire.xml").len();
    let daemon = s.start("second.log");
    let pushed = rss(
        &s.hub.url,
        &s.topic,
        &["Harbour opens", "Night trains return"],
    );
    assert_eq!(
        push(&s.callback(), &pushed, sha256(&first["secret"], &pushed)).await,
        202
    );
    wait_for(10, "the item pushed after the restart", || async {
        served(&daemon.base)
            .await
            .contains("Night trains return")
            .then_some(())
    })
    .await;
    // Its first look at the subscriptions asked for nothing.
    wait_for(10, "a pass over the subscriptions", || async {
        daemon
            .stderr()
            .contains("subscriptions looked at")
            .then_some(())
    })
    .await;
    assert_eq!(s.hub.requests().len(), 2, "{}", daemon.stderr());
    assert_eq!(s.origin.requests_to("/wire.xml").len(), fetched);

    // The source leaves the config: the hub is asked to end it, verifies,
    // and later pushes are gone.
    let calm = s.origin.url("calm.xml");
    s.origin.put(
        "calm.xml",
        "application/rss+xml",
        rss(&s.hub.url, &calm, &[]).replace("<atom:link rel=\"hub\"", "<atom:link rel=\"nohub\""),
    );
    Config::new(s.dir.path(), s.port)
        .server(&format!(
            "base_url = \"http://127.0.0.1:{}\"\nwebsub_subscribe = true",
            s.port
        ))
        .feed_source("calm", &calm)
        .write();
    daemon.signal("HUP");
    let gone = s.hub.wait_verified("unsubscribe", 1, &daemon).await;
    assert_eq!(gone["topic"], s.topic);
    assert_eq!(gone["callback"], s.callback());
    assert!(!gone.contains_key("secret"));
    assert_eq!(
        push(&s.callback(), &pushed, sha256(&first["secret"], &pushed)).await,
        410
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_subscription_is_asked_for_anew_after_a_restart() {
    // A hub that verifies only the first request; the lease runs out
    // while the daemon is down (moved into the past in the store, rather
    // than waited for).
    let s = Setup::new(&[3600], "0 0 * * *").await;
    s.hub.state.verify_at_most.store(1, Ordering::SeqCst);
    let mut daemon = s.start("first.log");
    let first = s.hub.wait_verified("subscribe", 1, &daemon).await;
    assert_eq!(daemon.terminate().0, Some(0));
    let before = s.hub.requests().len();
    let db = rusqlite::Connection::open(s.dir.path().join("state/tidings.db")).unwrap();
    let ran_out = chrono::Utc::now().timestamp_millis() - 1000;
    let moved = db
        .execute(
            "UPDATE websub_subscriptions SET expires = ?1, requested = ?1 - 3600000 WHERE source = 'wire'",
            [ran_out],
        )
        .unwrap();
    assert_eq!(moved, 1);
    drop(db);
    let daemon = s.start("second.log");
    wait_for(20, "a new subscription", || async {
        (s.hub.requests().len() > before).then_some(())
    })
    .await;
    let again = s.hub.requests()[before].clone();
    assert_eq!(again["mode"], "subscribe", "{}", daemon.stderr());
    assert_eq!(again["topic"], s.topic);
    assert_ne!(
        again["secret"], first["secret"],
        "a new subscription, a new secret"
    );
    // Pushes signed with the old secret are not taken.
    let pushed = rss(&s.hub.url, &s.topic, &["Stale secret"]);
    assert_eq!(
        push(&s.callback(), &pushed, sha256(&first["secret"], &pushed)).await,
        202
    );
    wait_for(10, "the stale push ignored", || async {
        daemon
            .stderr()
            .contains("pushed content ignored")
            .then_some(())
    })
    .await;
    assert!(!served(&daemon.base).await.contains("Stale secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_store_subscribe_once_and_both_take_pushes() {
    let db = crate::pg::TestDb::new().await;
    let s = Setup::new(&[3600], "*/2 * * * * *").await;
    let port_b = free_port();
    // The same config (one base_url, as behind a load balancer), each
    // instance on its own port.
    let text = s
        .config
        .text()
        .replace("[store]\n", &format!("[store]\nurl = \"{}\"\n", db.url));
    let config_a = s.dir.path().join("a.toml");
    let config_b = s.dir.path().join("b.toml");
    std::fs::write(&config_a, &text).unwrap();
    std::fs::write(
        &config_b,
        text.replace(
            &format!("listen = \"127.0.0.1:{}\"", s.port),
            &format!("listen = \"127.0.0.1:{port_b}\""),
        ),
    )
    .unwrap();
    // The hub leaves the request unverified for now: the source stays
    // polled (every 2 s) by both instances, and both see its hub.
    s.hub.state.verify_at_most.store(0, Ordering::SeqCst);
    let a = Daemon::start(&config_a, s.port, s.dir.path().join("a.log"));
    let b = Daemon::start(&config_b, port_b, s.dir.path().join("b.log"));
    let fetched = |d: &Daemon| d.stderr().matches("wire: ").count();
    wait_for(30, "both instances fetching the source", || async {
        (fetched(&a) >= 2 && fetched(&b) >= 2).then_some(())
    })
    .await;
    // One subscription was asked for, by one instance.
    let requests = s.hub.requests();
    assert_eq!(requests.len(), 1, "{}\n{}", a.stderr(), b.stderr());
    let sub = requests[0].clone();
    let asked = |d: &Daemon| d.stderr().matches("subscription requested").count();
    assert_eq!(asked(&a) + asked(&b), 1);
    // Verified through the other instance (any instance answers).
    let callback_b = format!("http://127.0.0.1:{port_b}/websub/wire");
    assert_eq!(
        verify(&callback_b, "subscribe", &s.topic, "from-the-hub", 3600).await,
        (200, "from-the-hub".to_string())
    );
    // A push reaching either instance is taken, and both serve it.
    let pushed = rss(
        &s.hub.url,
        &s.topic,
        &["Harbour opens", "Tram line extended"],
    );
    let callback_b = format!("http://127.0.0.1:{port_b}/websub/wire");
    assert_eq!(
        push(&callback_b, &pushed, sha256(&sub["secret"], &pushed)).await,
        202
    );
    for daemon in [&a, &b] {
        wait_for(10, "the pushed item on both instances", || async {
            served(&daemon.base)
                .await
                .contains("Tram line extended")
                .then_some(())
        })
        .await;
    }
}
