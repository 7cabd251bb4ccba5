//! `schedule = "adaptive"` through the binary: each `tidings fetch` is a
//! poll recorded in the store; the interval learned from that history is
//! shown by `sources` (and sets the next due time), shrinking for a source
//! that keeps bringing new items and growing for one that only answers
//! `304`, within `[fetch] adaptive_min`/`adaptive_max`. Elapsed time is
//! simulated by moving the recorded polls back, not by sleeping.

use crate::common::{Config, Origin, free_port, tidings};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::path::Path;

fn rss(items: usize) -> String {
    let items: String = (0..items)
        .map(|i| {
            format!(
                "<item><title>Story {i}</title><link>https://news.example/{i}</link><guid>n{i}</guid></item>"
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>https://news.example/</link><description>d</description>{items}</channel></rss>"#
    )
}

/// The SCHEDULE and NEXT DUE cells of `id`'s row in `tidings sources`.
fn row(cfg: &str, id: &str) -> (String, DateTime<Utc>) {
    let (code, out, err) = tidings(&["sources", "-c", cfg]);
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{id} ")))
        .unwrap_or_else(|| panic!("no row for {id}: {out}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    // ID KIND SCHEDULE(adaptive N) LAST-FETCH(3 words) OUTCOME NEXT-DUE(3 words)
    let schedule = format!("{} {}", cells[2], cells.get(3).copied().unwrap_or(""));
    let due =
        NaiveDateTime::parse_from_str(&format!("{} {}", cells[8], cells[9]), "%Y-%m-%d %H:%M:%S")
            .unwrap_or_else(|e| panic!("{e}: {line}"))
            .and_utc();
    (schedule, due)
}

/// Moves `id`'s recorded polls `hours` into the past, as if they had been
/// made then.
fn age_polls(state: &Path, id: &str, hours: i64) {
    let db = rusqlite::Connection::open(state.join("tidings.db")).unwrap();
    let moved = db
        .execute(
            "UPDATE polls SET at = at - ?2 WHERE source = ?1",
            rusqlite::params![id, hours * 3_600_000],
        )
        .unwrap();
    assert!(moved > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interval_shrinks_for_an_active_source_and_grows_for_a_quiet_one() {
    let origin = Origin::start().await;
    origin.put("busy.xml", "application/rss+xml", rss(3));
    origin.put("quiet.xml", "application/rss+xml", rss(2));
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new(dir.path(), free_port())
        .fetch("adaptive_min = \"10m\"\nadaptive_max = \"4h\"")
        .entries(&format!(
            "[[source]]\nid = \"busy\"\nkind = \"feed\"\nurl = \"{}\"\nschedule = \"adaptive\"\n\n\
             [[source]]\nid = \"quiet\"\nkind = \"feed\"\nurl = \"{}\"\nschedule = \"adaptive\"\n\n\
             [[source]]\nid = \"fixed\"\nkind = \"feed\"\nurl = \"{}\"\n",
            origin.url("busy.xml"),
            origin.url("quiet.xml"),
            origin.url("quiet.xml"),
        ))
        .write();
    let cfg = cfg.to_str().unwrap();
    let (code, out, err) = tidings(&["check", "-c", cfg]);
    assert_eq!(code, 0, "{out}{err}");

    // Before any fetch: adaptive, nothing learned yet.
    let (code, out, _) = tidings(&["sources", "-c", cfg]);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with("busy ") && l.contains(" adaptive ")),
        "{out}"
    );

    // The first fetch's items are the back catalogue: no rate yet.
    let (code, out, err) = tidings(&["fetch", "-c", cfg]);
    assert_eq!(code, 0, "{out}{err}");
    let (busy, _) = row(cfg, "busy");
    let (quiet, _) = row(cfg, "quiet");
    assert_eq!(busy, "adaptive 15m");
    assert_eq!(quiet, "adaptive 15m");
    let (_, fixed, _) = tidings(&["sources", "-c", cfg]);
    assert!(
        fixed
            .lines()
            .any(|l| l.starts_with("fixed ") && l.contains("*/15 * * * *")),
        "{fixed}"
    );

    // The busy feed gains items on every fetch; the quiet one answers 304.
    for n in [6, 9, 12] {
        origin.put("busy.xml", "application/rss+xml", rss(n));
        let (code, out, err) = tidings(&["fetch", "-c", cfg]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("busy: new 3"), "{out}");
        assert!(out.contains("quiet: unchanged (not modified)"), "{out}");
    }
    let before = Utc::now();
    let (busy, busy_due) = row(cfg, "busy");
    // Shrunk, to the lower bound (the rule alone would poll every few
    // minutes), and applied to the next due time.
    assert_eq!(busy, "adaptive 10m");
    assert!(
        busy_due >= before + chrono::Duration::minutes(9),
        "{busy_due}"
    );
    assert!(
        busy_due <= before + chrono::Duration::minutes(16),
        "{busy_due}"
    );

    // A day of polls that brought nothing: the quiet source backs off, to
    // the upper bound.
    let (quiet_before, _) = row(cfg, "quiet");
    assert_eq!(quiet_before, "adaptive 15m");
    age_polls(&dir.path().join("state"), "quiet", 24);
    let (code, out, err) = tidings(&["fetch", "-c", cfg, "quiet"]);
    assert_eq!(code, 0, "{out}{err}");
    let (quiet, quiet_due) = row(cfg, "quiet");
    assert_eq!(quiet, "adaptive 4h");
    assert!(
        quiet_due >= Utc::now() + chrono::Duration::minutes(235),
        "{quiet_due}"
    );

    // Between the bounds: six hours of silence after a busy spell backs
    // off to a tenth of them.
    age_polls(&dir.path().join("state"), "busy", 6);
    let (code, out, err) = tidings(&["fetch", "-c", cfg, "busy"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("busy: unchanged"), "{out}");
    let (busy, _) = row(cfg, "busy");
    assert_eq!(busy, "adaptive 36m");
}

#[test]
fn check_refuses_bad_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new(dir.path(), free_port())
        .fetch("adaptive_min = \"2h\"\nadaptive_max = \"30m\"")
        .entries(
            "[[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://example.org/f\"\nschedule = \"adaptive\"\n",
        )
        .write();
    let (code, _, err) = tidings(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("fetch.adaptive_min: adaptive_min (2h) is longer than adaptive_max (30m)"),
        "{err}"
    );
}
