//! Ingest throughput: bytes of RSS per second through parse + normalize +
//! store (the daemon's path after a fetch), beside bare feed-rs parsing the
//! same corpus in the same run, and each part alone.
//!
//! The store is a real SQLite file in `$TMPDIR` (a disk, unless TMPDIR
//! points at a tmpfs).
//!
//! `cargo bench --features bench --bench ingest`

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tidings::store::{SqliteStore, Store};

/// 100 feeds of 20 items, about 1.8 MB.
fn corpus() -> Vec<Vec<u8>> {
    (0..100).map(|f| common::feed(f, 20)).collect()
}

fn ingest(c: &mut Criterion) {
    let docs = corpus();
    let bytes: usize = docs.iter().map(Vec::len).sum();
    let url = url::Url::parse("https://example.org/feed.xml").unwrap();
    let now = chrono::Utc::now();
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));

    group.bench_function("feed-rs parse", |b| {
        b.iter(|| {
            for doc in &docs {
                let feed = feed_rs::parser::parse(&doc[..]).unwrap();
                assert_eq!(feed.entries.len(), 20);
            }
        })
    });

    group.bench_function("tidings parse+normalize", |b| {
        b.iter(|| {
            for doc in &docs {
                let (_, items) = tidings::bench::read("s", &url, doc, now).unwrap();
                assert_eq!(items.len(), 20);
            }
        })
    });

    // A real SQLite file; every iteration writes new sources, so each item
    // is an insert, as in a cold fetch cycle.
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt
        .block_on(SqliteStore::open(&dir.path().join("bench.db")))
        .unwrap();
    let round = AtomicUsize::new(0);
    group.bench_function("tidings parse+normalize+store", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let r = round.fetch_add(1, Ordering::Relaxed);
                for (i, doc) in docs.iter().enumerate() {
                    let saved = rt
                        .block_on(tidings::bench::ingest(
                            &store as &dyn Store,
                            &format!("s{r}-{i}"),
                            &url,
                            doc,
                            now,
                        ))
                        .unwrap();
                    assert_eq!(saved.new, 20);
                }
            }
            start.elapsed()
        })
    });
    // The daemon's path: fetches finish while others are being written, so
    // the store's batch writer commits many records per transaction. All
    // 100 ingests run concurrently inside one `block_on`, so parsing stays
    // serial on this thread (as feed-rs above) while the writes queue to the
    // batch task.
    group.bench_function("tidings parse+normalize+store, batched", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let r = round.fetch_add(1, Ordering::Relaxed);
                let sources: Vec<String> = (0..docs.len()).map(|i| format!("b{r}-{i}")).collect();
                let saved = rt.block_on(futures_util::future::join_all(
                    docs.iter().zip(&sources).map(|(doc, source)| {
                        tidings::bench::ingest(&store as &dyn Store, source, &url, doc, now)
                    }),
                ));
                for s in saved {
                    assert_eq!(s.unwrap().new, 20);
                }
            }
            start.elapsed()
        })
    });
    // The write alone: the same items, already read.
    let read: Vec<_> = docs
        .iter()
        .map(|d| tidings::bench::read("s", &url, d, now).unwrap().1)
        .collect();
    group.bench_function("store only", |b| {
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                let r = round.fetch_add(1, Ordering::Relaxed);
                for (i, items) in read.iter().enumerate() {
                    let source = format!("s{r}-{i}");
                    let items: Vec<_> = items
                        .iter()
                        .cloned()
                        .map(|mut it| {
                            it.source = source.clone();
                            it
                        })
                        .collect();
                    let start = Instant::now();
                    rt.block_on(
                        store.record_fetch(tidings::bench::record(&source, now, None, items)),
                    )
                    .unwrap();
                    took += start.elapsed();
                }
            }
            took
        })
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
