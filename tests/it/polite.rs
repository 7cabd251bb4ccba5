//! Polite, resilient fetching through the real daemon: Retry-After,
//! backoff, permanent moves, 410, bounded bodies and per-host limits,
//! asserted from the origin's request log and the served feeds.

use crate::common::{Config, Daemon, Origin, Reply, free_port, tidings, wait_for};
use crate::paused::InProcess;
use std::path::Path;
use std::time::Duration;

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Quay News</title><link>https://quay.example/</link><description>d</description>
<item><title>Cranes arrive at the quay</title><link>https://quay.example/cranes</link><pubDate>Fri, 06 Mar 2026 09:00:00 GMT</pubDate><description>Two new cranes.</description></item>
</channel></rss>"#;

/// A config with `fetch` settings and `(id, url)` sources polled every second.
fn config(dir: &Path, port: u16, fetch: &str, sources: &[(&str, String)]) -> std::path::PathBuf {
    sources
        .iter()
        .fold(
            Config::new(dir, port)
                .fetch("schedule = \"* * * * * *\"")
                .fetch(fetch),
            |c, (id, url)| c.feed_source(id, url),
        )
        .write()
}

/// The `tidings sources` line of one source.
fn sources_line(cfg: &Path, id: &str) -> String {
    let (code, out, err) = tidings(&["sources", "-c", &cfg.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .find(|l| l.starts_with(&format!("{id} ")))
        .unwrap_or_else(|| panic!("no row for {id} in\n{out}"))
        .to_string()
}

async fn json_items(daemon: &InProcess, path: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(&daemon.get(path).await.1).unwrap();
    v["items"].as_array().unwrap().len()
}

/// The gaps between the requests to `path`, in seconds of tokio's clock.
fn ticks(origin: &Origin, path: &str) -> Vec<f64> {
    let seen = origin.requests_to(path);
    seen.windows(2)
        .map(|w| (w[1].tick - w[0].tick).as_secs_f64())
        .collect()
}

/// In process on tokio's paused clock (see `paused`): the seconds of
/// Retry-After and backoff pass in a moment of real time.
#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_and_failures_back_off() {
    let origin = Origin::start().await;
    origin.put("busy.xml", "application/rss+xml", FEED);
    origin.put("flaky.xml", "application/rss+xml", FEED);
    origin.script(
        "busy.xml",
        vec![
            Reply::Status(429, vec![("Retry-After", "3".into())]),
            Reply::Doc,
        ],
    );
    origin.script("flaky.xml", vec![Reply::Doc, Reply::Status(500, vec![])]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        0,
        "",
        &[
            ("busy", origin.url("busy.xml")),
            ("flaky", origin.url("flaky.xml")),
        ],
    );
    let daemon = InProcess::start(&cfg).await;
    // Awaited, not slept for: the retry after 3 s, and three failures in a
    // row after the first success (1 + 2 + 4 s of backoff).
    wait_for(30, "the retry and three backed-off failures", || async {
        (origin.requests_to("/busy.xml").len() >= 2 && origin.requests_to("/flaky.xml").len() >= 4)
            .then_some(())
    })
    .await;

    // 429 + Retry-After: 3 — nothing before three seconds had passed.
    let busy = ticks(&origin, "/busy.xml");
    assert!(busy[0] >= 2.9, "second request after {:.2}s", busy[0]);
    assert_eq!(origin.requests_to("/busy.xml")[1].status, 200);
    assert_eq!(json_items(&daemon, "/sources/busy.json").await, 1);

    // 500s: each wait at least doubles (1 s interval, then 2 s, 4 s...).
    let flaky = origin.requests_to("/flaky.xml");
    assert_eq!(flaky[0].status, 200);
    assert!(
        flaky.len() >= 4 && flaky.len() <= 6,
        "{} requests",
        flaky.len()
    );
    let waits = ticks(&origin, "/flaky.xml");
    for (k, w) in waits.iter().skip(1).enumerate() {
        let floor = f64::from(1u32 << k) * 0.9;
        assert!(
            *w >= floor,
            "wait {} after failure {}: {w:.2}s < {floor}s ({waits:?})",
            k + 2,
            k + 1
        );
    }
    // A failed fetch never removes items: the feed still serves them.
    assert_eq!(json_items(&daemon, "/sources/flaky.json").await, 1);
    let row = sources_line(&cfg, "flaky");
    assert!(
        row.contains("error") && row.contains("HTTP 500 Internal Server Error"),
        "{row}"
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_moves_follow_three_redirects_and_gone_stops() {
    let origin = Origin::start().await;
    origin.put("new.xml", "application/rss+xml", FEED);
    origin.put("other.xml", "application/rss+xml", FEED);
    origin.script("old.xml", vec![Reply::Redirect(301, origin.url("new.xml"))]);
    origin.script(
        "temp.xml",
        vec![Reply::Redirect(302, origin.url("other.xml"))],
    );
    origin.script("gone.xml", vec![Reply::Status(410, vec![])]);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = config(
        dir.path(),
        port,
        "",
        &[
            ("moving", origin.url("old.xml")),
            ("temp", origin.url("temp.xml")),
            ("gone", origin.url("gone.xml")),
        ],
    );
    let mut daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    wait_for(15, "six fetches of the moving source", || {
        let n = origin.requests_to("/new.xml").len();
        async move { (n >= 6).then_some(()) }
    })
    .await;
    // Three fetches saw the 301; from then on the new URL is fetched directly.
    assert_eq!(origin.requests_to("/old.xml").len(), 3);
    assert!(sources_line(&cfg, "moving").contains(&format!("moved to {}", origin.url("new.xml"))));
    assert!(
        daemon.stderr().contains("moved permanently"),
        "{}",
        daemon.stderr()
    );
    // A temporary redirect never moves a source.
    assert!(origin.requests_to("/temp.xml").len() >= 5);
    // 410: one request, then none.
    assert_eq!(origin.requests_to("/gone.xml").len(), 1);
    assert!(sources_line(&cfg, "gone").contains("gone (HTTP 410)"));

    // Both survive a restart.
    assert_eq!(daemon.terminate().0, Some(0));
    let daemon = Daemon::start(&cfg, port, dir.path().join("log2"));
    let before = origin.requests_to("/new.xml").len();
    wait_for(10, "the moved source fetched after restart", || {
        let n = origin.requests_to("/new.xml").len();
        async move { (n > before + 1).then_some(()) }
    })
    .await;
    assert_eq!(origin.requests_to("/old.xml").len(), 3);
    assert_eq!(origin.requests_to("/gone.xml").len(), 1);
    // `tidings fetch` leaves a gone source alone too.
    let (code, out, _) = tidings(&["fetch", "-c", &cfg.display().to_string(), "gone"]);
    assert_eq!(code, 1);
    assert!(out.starts_with("gone: failed: gone (HTTP 410)"), "{out}");
    assert_eq!(origin.requests_to("/gone.xml").len(), 1);
    drop(daemon);
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_endless_and_bomb_bodies_are_cut_off_in_bounded_memory() {
    let origin = Origin::start().await;
    origin.script(
        "drip.xml",
        vec![Reply::Drip {
            bytes: 1000,
            every: Duration::from_millis(200),
        }],
    );
    origin.script("endless.xml", vec![Reply::Endless]);
    origin.script("bomb.xml", vec![Reply::GzipBomb { decoded: 64 << 20 }]);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = config(
        dir.path(),
        port,
        "timeout = \"2s\"\nmax_body = \"1MiB\"",
        &[
            ("drip", origin.url("drip.xml")),
            ("endless", origin.url("endless.xml")),
            ("bomb", origin.url("bomb.xml")),
        ],
    );
    let daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    for (id, why) in [
        ("drip", "timed out after 2s"),
        ("endless", "body larger than 1048576 bytes"),
        ("bomb", "body larger than 1048576 bytes"),
    ] {
        wait_for(20, &format!("{id} to fail"), || {
            let row = sources_line(&cfg, id);
            async move { row.contains(why).then_some(()) }
        })
        .await;
    }
    // 64 MiB of decoded bomb and an endless body, yet the daemon stayed small.
    let peak = peak_rss_kib(daemon.child.id());
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_and_total_limits_hold() {
    let origin = Origin::start().await;
    let mut sources = Vec::new();
    for i in 0..8 {
        let path = format!("slow{i}.xml");
        origin.put(&path, "application/rss+xml", FEED);
        origin.script(&path, vec![Reply::Slow(Duration::from_millis(200))]);
        // Half by IP, half by name: two hosts for the limits, one server.
        let url = if i % 2 == 0 {
            origin.url(&path)
        } else {
            format!("http://localhost:{}/{path}", origin.addr.port())
        };
        sources.push((format!("s{i}"), url));
    }
    let sources: Vec<(&str, String)> = sources
        .iter()
        .map(|(i, u)| (i.as_str(), u.clone()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = config(dir.path(), port, "concurrency = 3\nper_host = 2", &sources);
    let daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    wait_for(20, "every source fetched twice", || {
        let log = origin.log();
        async move { (log.len() >= 16).then_some(()) }
    })
    .await;
    assert_eq!(
        origin.max_in_flight(),
        3,
        "the total limit is reached but never passed"
    );
    drop(daemon);

    // One host alone: its limit is 2 even with room in the total.
    let origin = Origin::start().await;
    let mut sources = Vec::new();
    for i in 0..6 {
        let path = format!("one{i}.xml");
        origin.put(&path, "application/rss+xml", FEED);
        origin.script(&path, vec![Reply::Slow(Duration::from_millis(200))]);
        sources.push((format!("o{i}"), origin.url(&path)));
    }
    let sources: Vec<(&str, String)> = sources
        .iter()
        .map(|(i, u)| (i.as_str(), u.clone()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = config(dir.path(), port, "concurrency = 16\nper_host = 2", &sources);
    let _daemon = Daemon::start(&cfg, port, dir.path().join("log"));
    wait_for(20, "every source fetched", || {
        let log = origin.log();
        async move { (log.len() >= 6).then_some(()) }
    })
    .await;
    assert_eq!(origin.max_in_flight(), 2);
}
