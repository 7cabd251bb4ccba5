//! Render time of a 50-item feed — store query, composition, RSS + Atom +
//! JSON, tags — from stores of 10,000, 100,000 and 1,000,000 items (1,000
//! sources of 10, 100 and 1,000 items each), for one source, a merged feed of
//! 10 sources, and one of all 1,000. It must not grow with the store.
//!
//! `cargo bench --features bench --bench render`
//!
//! The stores are real SQLite files, written once into
//! `target/bench-data/` (about 1.3 GB; the first run spends a minute or two
//! on them) and reused.

mod common;

use chrono::{Duration as Days, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::Duration;
use tidings::store::{SqliteStore, Store};

const SOURCES: usize = 1000;

/// A store of `SOURCES` sources with `depth` items each, made once.
async fn store(depth: usize) -> SqliteStore {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("store-{depth}.db"));
    let done = dir.join(format!("store-{depth}.done"));
    if path.exists() && done.exists() {
        return SqliteStore::open(&path).await.unwrap();
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let url = url::Url::parse("https://example.org/feed.xml").unwrap();
    let now = Utc::now();
    // Twenty real normalized items, repeated with new ids and older dates.
    let (_, template) = tidings::bench::read("t", &url, &common::feed(1, 20), now).unwrap();
    for s in 0..SOURCES {
        let source = format!("s{s:04}");
        let items = (0..depth)
            .map(|k| {
                let mut item = template[k % template.len()].clone();
                item.source = source.clone();
                item.id = format!("{source}-{k}");
                item.published = now - Days::minutes((k * 97 + s * 13) as i64);
                item
            })
            .collect();
        store
            .record_fetch(tidings::bench::record(&source, now, None, items))
            .await
            .unwrap();
    }
    std::fs::write(&done, "").unwrap();
    store
}

fn render(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let all: Vec<String> = (0..SOURCES).map(|s| format!("s{s:04}")).collect();
    let mut group = c.benchmark_group("render 50 items");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(5));
    for depth in [10, 100, 1000] {
        let store = rt.block_on(store(depth));
        let size = depth * SOURCES;
        for (name, sources) in [
            ("one source", &all[..1]),
            ("10 sources", &all[..10]),
            ("1000 sources", &all[..]),
        ] {
            group.bench_with_input(BenchmarkId::new(name, size), &sources, |b, sources| {
                b.iter(|| {
                    let bytes = rt
                        .block_on(tidings::bench::render_feed(
                            &store as &dyn Store,
                            sources,
                            50,
                        ))
                        .unwrap();
                    assert!(bytes > 0);
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
