//! The subscriber's pure parts: signatures, advertised links, renewal
//! times and the loop's timing on tokio's paused clock.

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
        r#"<https://example.org/feed>; rel="self", <https://hub.example/>; rel="hub""#.to_string(),
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
