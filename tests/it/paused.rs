//! The daemon in process (`tidings::app::run`, with a real listener, a real
//! SQLite file and a real origin on loopback) on tokio's paused clock:
//! schedules, backoff, leases and reloads, checked to the millisecond over
//! hours of virtual time that pass in a moment of real time.
//!
//! Each test runs on a current-thread runtime whose clock starts paused, so
//! time moves only when every task waits for a timer; the origin runs on
//! the same runtime and stamps each request with tokio's clock
//! (`Seen::tick`).

use crate::common::{Config, Origin, Reply, http, renders};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::time::Duration;
use tidings::app::Control;
use tidings::schedule::{Schedule, after_failure, after_success};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep};

fn rss(title: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Site</title><link>http://example.com/</link>
<item><title>{title}</title><link>http://example.com/{title}</link><guid>http://example.com/{title}</guid>
<pubDate>Mon, 31 Jul 2017 12:00:00 GMT</pubDate><description>About {title}.</description></item>
</channel></rss>"#
    )
}

fn source(id: &str, url: &str, schedule: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nkind = \"feed\"\nurl = \"{url}\"\nschedule = \"{schedule}\"\n"
    )
}

/// A daemon running in this runtime.
pub(crate) struct InProcess {
    control: mpsc::Sender<Control>,
    task: JoinHandle<Result<(), tidings::AppError>>,
    base: String,
}

impl InProcess {
    pub(crate) async fn start(config: &Path) -> InProcess {
        let config = tidings::Config::load(config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (control, rx) = mpsc::channel(4);
        let task = tokio::spawn(tidings::app::run(config, Some(listener), rx));
        InProcess {
            control,
            task,
            base,
        }
    }

    async fn reload(&self) {
        self.control.send(Control::Reload).await.unwrap();
    }

    pub(crate) async fn stop(self) {
        self.control.send(Control::Stop).await.unwrap();
        self.task.await.unwrap().unwrap();
    }

    /// The fetches of `source` this instance counted in `/metrics`.
    async fn fetches(&self, source: &str) -> usize {
        let label = format!("source=\"{source}\"");
        self.get("/metrics")
            .await
            .1
            .lines()
            .filter(|l| l.starts_with("tidings_fetches_total") && l.contains(&label))
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum::<f64>() as usize
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let r = http()
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// The times of the requests to `path`, as offsets from `start`.
fn offsets(origin: &Origin, path: &str, start: Instant) -> Vec<Duration> {
    origin
        .requests_to(path)
        .iter()
        .map(|s| s.tick - start)
        .collect()
}

fn gaps(times: &[Duration]) -> Vec<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

fn std(d: chrono::Duration) -> Duration {
    d.to_std().unwrap()
}

/// How far the first wait may be off, in milliseconds: the real time the
/// daemon took to start (open the store, render), which the wall clock
/// counts and the paused clock does not.
const START: u64 = 2000;

/// The longest a `*/15 * * * *` source waits from one fetch to the next:
/// to the next quarter hour, plus its jitter (under a tenth of the
/// interval). Less than this made the tests depend on the wall clock: a
/// first fetch just after a quarter hour waits almost all of it.
const QUARTER_AND_JITTER: Duration = Duration::from_secs(900 + 90);

/// `a` and `b` differ by at most `ms` milliseconds.
fn near(a: Duration, b: Duration, ms: u64) -> bool {
    a.abs_diff(b) <= Duration::from_millis(ms)
}

/// Waits on the paused clock, in virtual steps of 10 ms, until `path` has
/// seen `n` requests; at most `within` of virtual time.
async fn requests(origin: &Origin, path: &str, n: usize, within: Duration) {
    let until = Instant::now() + within;
    while origin.requests_to(path).len() < n {
        assert!(
            Instant::now() < until,
            "{path}: {} requests, not {n}, within {within:?}",
            origin.requests_to(path).len()
        );
        sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_cron_schedule_is_kept_to_the_millisecond() {
    let origin = Origin::start().await;
    origin.put("/news.xml", "application/rss+xml", rss("One"));
    let dir = tempfile::tempdir().unwrap();
    let every = "*/15 * * * *";
    let config = Config::new(dir.path(), 0)
        .entries(&source("news", &origin.url("news.xml"), every))
        .write();
    let (start, wall) = (Instant::now(), Utc::now());
    let real = std::time::Instant::now();
    let daemon = InProcess::start(&config).await;
    sleep(Duration::from_secs(3 * 3600)).await;
    let times = offsets(&origin, "/news.xml", start);

    // Fetched at once, then at the times `after_success` gives: the first
    // wait to within the real time the start took (until virtual time
    // overtakes it, the daemon's clock is the wall clock). That wait is
    // the next cron point plus the source's jitter, or half an interval
    // when the point is nearer, and then the second is the rest of the way
    // to the point after; from there on, exactly a quarter-hour apart.
    let schedule: Schedule = every.parse().unwrap();
    assert!(times[0] < Duration::from_millis(5), "{times:?}");
    let first = std(after_success(&schedule, "news", wall, None) - wall);
    let gaps = gaps(&times);
    assert!(near(gaps[0], first, START), "{gaps:?} vs {first:?}");
    assert!(gaps[1] <= Duration::from_secs(900) + Duration::from_millis(2));
    for gap in &gaps[2..] {
        assert!(near(*gap, Duration::from_secs(900), 2), "{gaps:?}");
    }
    // None missing at the end.
    assert!(times[times.len() - 1] + Duration::from_secs(900) > Duration::from_secs(3 * 3600));
    // Every fetch after the first was conditional and answered 304.
    let seen = origin.requests_to("/news.xml");
    assert!(seen[1..].iter().all(|s| s.status == 304), "{seen:?}");

    let (status, body) = daemon.get("/sources/news.rss").await;
    assert_eq!(status, 200);
    assert!(body.contains("<title>One</title>"), "{body}");
    daemon.stop().await;
    // Three hours of schedule in (much) less than a minute of real time.
    assert!(
        real.elapsed() < Duration::from_secs(60),
        "{:?}",
        real.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_exactly_and_retry_after_is_honoured() {
    let origin = Origin::start().await;
    origin.put("/flaky.xml", "application/rss+xml", rss("Back"));
    let retry_after = 7200;
    origin.script(
        "/flaky.xml",
        vec![
            Reply::Status(500, vec![]),
            Reply::Status(500, vec![]),
            Reply::Status(500, vec![]),
            Reply::Status(503, vec![("retry-after", retry_after.to_string())]),
            Reply::Doc,
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let every = "*/10 * * * *";
    let config = Config::new(dir.path(), 0)
        .entries(&source("flaky", &origin.url("flaky.xml"), every))
        .write();
    let start = Instant::now();
    let daemon = InProcess::start(&config).await;
    requests(&origin, "/flaky.xml", 6, Duration::from_secs(8 * 3600)).await;
    let times = offsets(&origin, "/flaky.xml", start);
    let gaps = gaps(&times);

    // After the n-th failure in a row the wait is the one `after_failure`
    // gives (the interval doubled per earlier failure, plus a stable
    // jitter), never less than the server's Retry-After; a success goes
    // back to the schedule.
    let schedule: Schedule = every.parse().unwrap();
    let t = Utc::now();
    let backoff = |n: u32, retry: Option<i64>| {
        std(after_failure(
            &schedule,
            "flaky",
            t,
            n,
            retry.map(chrono::Duration::seconds),
        ) - t)
    };
    let expected = [
        backoff(1, None),
        backoff(2, None),
        backoff(3, None),
        backoff(4, Some(retry_after)),
    ];
    assert_eq!(expected[3], Duration::from_secs(7200), "Retry-After wins");
    for (n, (gap, want)) in gaps.iter().zip(expected).enumerate() {
        let within = if n == 0 { START } else { 2 };
        assert!(near(*gap, want, within), "{gaps:?} vs {expected:?}");
    }
    assert!(expected[0] >= Duration::from_secs(600) && expected[1] >= Duration::from_secs(1200));
    // The success is served; the next fetch keeps to the cron schedule.
    assert!(gaps[4] <= Duration::from_secs(600 + 60), "{gaps:?}");
    let (status, body) = daemon.get("/sources/flaky.rss").await;
    assert_eq!(status, 200);
    assert!(body.contains("<title>Back</title>"), "{body}");
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn two_instances_on_one_store_fetch_each_due_time_once() {
    let origin = Origin::start().await;
    origin.put("/shared.xml", "application/rss+xml", rss("Shared"));
    let dir = tempfile::tempdir().unwrap();
    let config = Config::new(dir.path(), 0)
        .entries(&source("shared", &origin.url("shared.xml"), "*/15 * * * *"))
        .write();
    let start = Instant::now();
    let a = InProcess::start(&config).await;
    let b = InProcess::start(&config).await;
    sleep(Duration::from_secs(2 * 3600)).await;
    let times = offsets(&origin, "/shared.xml", start);
    // One fetch per due time, whichever instance claimed it (the first two
    // waits as in `a_cron_schedule_is_kept_to_the_millisecond`). Each
    // instance's clock is its wall-clock start plus the paused clock's
    // time, so the two differ by the real time between their starts: a
    // due time may be met by either, within that.
    let gaps = gaps(&times);
    assert!(
        gaps[0] >= Duration::from_millis(450_000 - START),
        "{times:?}"
    );
    for gap in &gaps[2..] {
        assert!(near(*gap, Duration::from_secs(900), START), "{times:?}");
    }
    // The two counted as many fetches as the origin saw: none twice.
    assert_eq!(
        a.fetches("shared").await + b.fetches("shared").await,
        times.len()
    );
    // Both serve what either fetched; then one stops and the other keeps
    // the schedule alone, to the millisecond once it has fetched.
    for d in [&a, &b] {
        assert!(d.get("/sources/shared.rss").await.1.contains("Shared"));
    }
    a.stop().await;
    let before = times.len();
    sleep(Duration::from_secs(3600)).await;
    let after = offsets(&origin, "/shared.xml", start);
    assert_eq!(after.len(), before + 4, "{after:?}");
    let alone = self::gaps(&after);
    assert!(near(alone[before - 1], Duration::from_secs(900), START));
    for gap in &alone[before..] {
        assert!(near(*gap, Duration::from_secs(900), 2), "{after:?}");
    }
    b.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_dead_instances_lease_is_waited_out_then_taken_over() {
    let origin = Origin::start().await;
    origin.put("/orphan.xml", "application/rss+xml", rss("Orphan"));
    let dir = tempfile::tempdir().unwrap();
    let path = Config::new(dir.path(), 0)
        .entries(&source("orphan", &origin.url("orphan.xml"), "*/15 * * * *"))
        .write();
    // An instance that claimed the source for 20 minutes and died.
    let config = tidings::Config::load(&path).unwrap();
    let store = tidings::store::open(&config.store.url, &tidings::app::state_dir(&config))
        .await
        .unwrap();
    let claimed: DateTime<Utc> = Utc::now();
    let lease = Duration::from_secs(20 * 60);
    assert!(
        store
            .claim(
                "orphan",
                claimed,
                claimed + chrono::Duration::from_std(lease).unwrap(),
                "dead"
            )
            .await
            .unwrap()
    );
    drop(store);
    let start = Instant::now();
    let daemon = InProcess::start(&path).await;
    requests(&origin, "/orphan.xml", 1, Duration::from_secs(3600)).await;
    // Not before the lease ran out (on the wall clock, which leads the
    // paused one by the real time the start took), and at the first look
    // after (one a second).
    let taken = offsets(&origin, "/orphan.xml", start)[0];
    assert!(
        taken + Duration::from_millis(START) >= lease
            && taken <= lease + Duration::from_millis(1100),
        "{taken:?}"
    );
    assert!(daemon.get("/sources/orphan.rss").await.1.contains("Orphan"));
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_reload_starts_stops_and_keeps_sources_at_once() {
    let origin = Origin::start().await;
    origin.put("/a.xml", "application/rss+xml", rss("Alpha"));
    origin.put("/b.xml", "application/rss+xml", rss("Beta"));
    let dir = tempfile::tempdir().unwrap();
    let every = "*/15 * * * *";
    let a = source("a", &origin.url("a.xml"), every);
    let b = source("b", &origin.url("b.xml"), every);
    let config = |entries: &[&str]| {
        let mut c = Config::new(dir.path(), 0);
        for e in entries {
            c = c.entries(e);
        }
        c.write()
    };
    config(&[&a]);
    let start = Instant::now();
    let daemon = InProcess::start(&dir.path().join("tidings.toml")).await;
    sleep(Duration::from_secs(60)).await;
    assert_eq!(origin.requests_to("/a.xml").len(), 1);

    // A new source is fetched as soon as the reload is read.
    config(&[&a, &b]);
    let reloaded = Instant::now();
    daemon.reload().await;
    requests(&origin, "/b.xml", 1, Duration::from_secs(1)).await;
    let first_b = origin.requests_to("/b.xml")[0].tick;
    assert!(
        first_b - reloaded < Duration::from_millis(50),
        "{:?}",
        first_b - reloaded
    );
    assert!(daemon.get("/sources/b.rss").await.1.contains("Beta"));

    // An invalid config is refused; both sources keep their schedule.
    std::fs::write(
        dir.path().join("tidings.toml"),
        std::fs::read_to_string(dir.path().join("tidings.toml"))
            .unwrap()
            .replace(every, "every so often"),
    )
    .unwrap();
    daemon.reload().await;
    sleep(Duration::from_secs(3600)).await;
    let a_times = offsets(&origin, "/a.xml", start);
    assert!(a_times.len() >= 4, "{a_times:?}");
    for gap in &gaps(&a_times)[2..] {
        assert!(near(*gap, Duration::from_secs(900), 2), "{a_times:?}");
    }
    assert!(origin.requests_to("/b.xml").len() >= 4);
    assert_eq!(daemon.get("/sources/a.rss").await.0, 200);

    // A source removed is stopped and its feed goes.
    config(&[&b]);
    daemon.reload().await;
    sleep(Duration::from_millis(10)).await;
    let stopped = origin.requests_to("/a.xml").len();
    sleep(Duration::from_secs(3600)).await;
    assert_eq!(origin.requests_to("/a.xml").len(), stopped);
    assert_eq!(daemon.get("/sources/a.rss").await.0, 404);
    assert!(daemon.get("/sources/b.rss").await.1.contains("Beta"));
    daemon.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_change_is_rendered_and_fetches_that_change_nothing_are_not() {
    let origin = Origin::start().await;
    origin.put("/one.xml", "application/rss+xml", rss("Once"));
    let dir = tempfile::tempdir().unwrap();
    let config = Config::new(dir.path(), 0)
        .entries(&source("one", &origin.url("one.xml"), "*/15 * * * *"))
        .entries("[[feed]]\nid = \"all\"\nsources = [\"*\"]\n")
        .write();
    let daemon = InProcess::start(&config).await;
    requests(&origin, "/one.xml", 1, Duration::from_secs(1)).await;
    // Long past the renderer's round and the change poll (every second).
    sleep(Duration::from_secs(30)).await;
    let renders = |metrics: &str| renders(metrics, "feeds/all");
    // Once at start (empty) and once for the fetch that changed it.
    assert_eq!(renders(&daemon.get("/metrics").await.1), 2.0);
    // Fetches that change nothing render nothing.
    sleep(Duration::from_secs(3600)).await;
    assert!(origin.requests_to("/one.xml").len() >= 4);
    assert_eq!(renders(&daemon.get("/metrics").await.1), 2.0);
    assert!(daemon.get("/feeds/all.rss").await.1.contains("Once"));
    daemon.stop().await;
}

/// The index page is rendered when asked for, held while nothing changes
/// (the same bytes and `ETag`, a `304` for the tag), and shows each fetch's
/// outcome on the next request after it.
#[tokio::test(start_paused = true)]
async fn the_index_page_is_rendered_on_request_and_shows_each_fetch() {
    let origin = Origin::start().await;
    origin.put("/one.xml", "application/rss+xml", rss("First"));
    origin.script("/one.xml", vec![Reply::Doc, Reply::Status(500, Vec::new())]);
    let dir = tempfile::tempdir().unwrap();
    let config = Config::new(dir.path(), 0)
        .entries(&source("one", &origin.url("one.xml"), "*/15 * * * *"))
        .write();
    let daemon = InProcess::start(&config).await;
    requests(&origin, "/one.xml", 1, Duration::from_secs(1)).await;
    sleep(Duration::from_secs(5)).await;
    let page = || async {
        let r = http()
            .get(format!("{}/", daemon.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let tag = r.headers()["etag"].to_str().unwrap().to_string();
        (tag, r.text().await.unwrap())
    };
    let (tag, first) = page().await;
    assert!(!first.contains("500"), "{first}");
    assert_eq!(page().await, (tag.clone(), first.clone()));
    let not_modified = http()
        .get(format!("{}/", daemon.base))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);
    requests(&origin, "/one.xml", 2, QUARTER_AND_JITTER).await;
    sleep(Duration::from_secs(5)).await;
    let (after_tag, after) = page().await;
    assert_ne!(after_tag, tag);
    assert!(after.contains("500"), "{after}");
    daemon.stop().await;
}

/// With no WebSub hub, a source's own feed is rendered when a reader asks
/// for it, not after each fetch that changed it; once its bytes are kept
/// for readers, a change renders it again at once, so the kept bytes never
/// go stale.
#[tokio::test(start_paused = true)]
async fn a_sources_own_feed_is_rendered_for_readers_and_kept_fresh() {
    let origin = Origin::start().await;
    origin.put("/one.xml", "application/rss+xml", rss("First"));
    let dir = tempfile::tempdir().unwrap();
    let config = Config::new(dir.path(), 0)
        .entries(&source("one", &origin.url("one.xml"), "*/15 * * * *"))
        .write();
    let daemon = InProcess::start(&config).await;
    requests(&origin, "/one.xml", 1, Duration::from_secs(1)).await;
    sleep(Duration::from_secs(30)).await;
    let renders = |metrics: &str| renders(metrics, "sources/one");
    assert_eq!(renders(&daemon.get("/metrics").await.1), 0.0);
    assert!(daemon.get("/sources/one.rss").await.1.contains("First"));
    assert_eq!(renders(&daemon.get("/metrics").await.1), 1.0);
    // Read again: served from the kept bytes.
    assert!(daemon.get("/sources/one.json").await.1.contains("First"));
    assert_eq!(renders(&daemon.get("/metrics").await.1), 1.0);
    origin.put("/one.xml", "application/rss+xml", rss("Second"));
    requests(&origin, "/one.xml", 2, QUARTER_AND_JITTER).await;
    sleep(Duration::from_secs(30)).await;
    assert_eq!(renders(&daemon.get("/metrics").await.1), 2.0);
    assert!(daemon.get("/sources/one.atom").await.1.contains("Second"));
    assert_eq!(renders(&daemon.get("/metrics").await.1), 2.0);
    daemon.stop().await;
}
