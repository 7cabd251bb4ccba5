//! Scale-out through the real binary: two `tidings run` on one PostgreSQL
//! database share 100 sources on a loopback origin. Asserted from the
//! origin's request log (no due time fetched twice; after a `kill -9` the
//! survivor fetches everything) and from what both serve (same bytes, same
//! ETags, changes seen by both).

use crate::common::{Daemon, Origin, client, free_port, wait_for};
use crate::pg::TestDb;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SOURCES: usize = 100;

/// Every source is due every this many seconds.
const EVERY: i64 = 3;

fn feed(i: usize, title: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Source {i}</title><link>https://s{i}.example/</link><description>d</description>
<item><title>{title}</title><link>https://s{i}.example/post</link><guid>post-{i}</guid><pubDate>Fri, 06 Mar 2026 09:{:02}:{:02} GMT</pubDate><description>Post {i}.</description></item>
</channel></rss>"#,
        i / 60,
        i % 60
    )
}

/// One instance's config: its own port and state dir; the same store,
/// sources, feeds and public `base_url` as every other instance.
fn config(dir: &Path, port: u16, store_url: &str, origin: &Origin) -> PathBuf {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://feeds.example\"\n\
         [store]\nurl = \"{store_url}\"\nstate_dir = \"{}\"\n\
         [fetch]\nallow_private = true\nschedule = \"*/{EVERY} * * * * *\"\ntimeout = \"1s\"\nconcurrency = 32\nper_host = 16\n\
         [[feed]]\nid = \"all\"\nsources = [\"*\"]\nlimit = {SOURCES}\n",
        dir.join("state").display()
    );
    for i in 0..SOURCES {
        text.push_str(&format!(
            "[[source]]\nid = \"s{i}\"\nkind = \"feed\"\nurl = \"{}\"\n",
            origin.url(&format!("s{i}.xml"))
        ));
    }
    let path = dir.join("tidings.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Body and ETag of `path` on `daemon`.
async fn get(daemon: &Daemon, path: &str) -> (Vec<u8>, String) {
    let resp = client()
        .get(format!("{}/{path}", daemon.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path} on {}", daemon.base);
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    (resp.bytes().await.unwrap().to_vec(), etag)
}

/// Waits until both daemons serve `path` with the same bytes and ETag and
/// `ok` holds for the body; returns the body.
async fn same_on_both(a: &Daemon, b: &Daemon, path: &str, ok: impl Fn(&str) -> bool) -> String {
    wait_for(60, &format!("the same {path} on both"), || async {
        let (body_a, tag_a) = get(a, path).await;
        let (body_b, tag_b) = get(b, path).await;
        let text = String::from_utf8(body_a.clone()).unwrap();
        (body_a == body_b && tag_a == tag_b && ok(&text)).then_some(text)
    })
    .await
}

fn items_in(json: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["items"].as_array().map_or(0, Vec::len)
}

/// Fails when a source was fetched twice for one due time. A source is due
/// at each multiple of `EVERY` seconds plus its jitter (the daemon's own function), so
/// every fetch falls in the window from one due time to the next. Two fetches
/// in one window that also came close together (under half the interval)
/// are two instances serving the same due time; the gap keeps a fetch that
/// woke a few milliseconds early, or ran late under load, from counting.
/// `clock` pairs an instant with the wall time, to place the origin's
/// instants on the wall clock the schedule runs on.
fn assert_one_fetch_per_due_time(origin: &Origin, clock: (Instant, SystemTime)) {
    let wall_ms = |at: Instant| {
        let since_epoch = clock.1.duration_since(UNIX_EPOCH).unwrap();
        since_epoch.as_millis() as i64 - (clock.0 - at).as_millis() as i64
    };
    for i in 0..SOURCES {
        let id = format!("s{i}");
        let jitter = tidings::schedule::jitter(&id, chrono::Duration::seconds(EVERY));
        let window =
            |at: Instant| (wall_ms(at) - jitter.num_milliseconds()).div_euclid(EVERY * 1000);
        let seen = origin.requests_to(&format!("/{id}.xml"));
        for pair in seen.windows(2) {
            let gap = pair[1].at - pair[0].at;
            assert!(
                window(pair[0].at) != window(pair[1].at)
                    || gap >= Duration::from_millis(EVERY as u64 * 500),
                "{id} fetched twice for the due time {} × {EVERY} s + {jitter}, {gap:?} apart",
                window(pair[1].at)
            );
        }
    }
}

/// How many fetches a daemon's log reports.
fn fetches_logged(d: &Daemon) -> usize {
    d.stderr()
        .lines()
        .filter(|l| l.contains("new ") || l.contains("unchanged"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_sources_and_serve_the_same_feeds() {
    let db = TestDb::new().await;
    let origin = Origin::start().await;
    for i in 0..SOURCES {
        origin.put(
            &format!("s{i}.xml"),
            "application/rss+xml",
            feed(i, &format!("Post {i}")),
        );
    }
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (port_a, port_b) = (free_port(), free_port());
    let a = Daemon::start(
        &config(dir_a.path(), port_a, &db.url, &origin),
        port_a,
        dir_a.path().join("log"),
    );
    let mut b = Daemon::start(
        &config(dir_b.path(), port_b, &db.url, &origin),
        port_b,
        dir_b.path().join("log"),
    );

    // Every source fetched, and both serve every item, byte for byte.
    same_on_both(&a, &b, "feeds/all.json", |t| items_in(t) == SOURCES).await;
    for path in ["feeds/all.rss", "feeds/all.atom", "sources/s7.atom"] {
        same_on_both(&a, &b, path, |_| true).await;
    }

    // A change fetched by either instance reaches both.
    origin.put(
        "s42.xml",
        "application/rss+xml",
        feed(42, "Post 42, revised"),
    );
    same_on_both(&a, &b, "feeds/all.rss", |t| t.contains("Post 42, revised")).await;
    same_on_both(&a, &b, "sources/s42.json", |t| {
        t.contains("Post 42, revised")
    })
    .await;
    assert!(
        fetches_logged(&a) > 0 && fetches_logged(&b) > 0,
        "both instances fetch: {} and {}",
        fetches_logged(&a),
        fetches_logged(&b)
    );

    // kill -9 one: its leases run out (three 1 s timeouts) and the other
    // fetches every source.
    b.child.kill().unwrap();
    b.child.wait().unwrap();
    let killed = Instant::now();
    wait_for(90, "the survivor to fetch every source", || async {
        let log = origin.log();
        (0..SOURCES)
            .all(|i| {
                let path = format!("/s{i}.xml");
                log.iter().any(|s| s.path == path && s.at > killed)
            })
            .then_some(())
    })
    .await;
    assert_one_fetch_per_due_time(&origin, (Instant::now(), SystemTime::now()));
}
