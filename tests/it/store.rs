//! The store's behaviour, one suite run against every backend: each test is
//! written once over `Arc<dyn Store>` and run on SQLite and on PostgreSQL
//! (see `pg` for the server), opened through `store::open` by URL as the
//! daemon opens them.

use crate::pg::TestDb;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;
use tidings::model::Item;
use tidings::store::{
    self, FetchOutcome, FetchRecord, Location, PageValidators, SaveSummary, Store, Subscription,
    SubscriptionState, Verification,
};

/// A store and what must outlive it (its directory or database).
pub struct Fixture {
    pub store: Arc<dyn Store>,
    url: String,
    dir: tempfile::TempDir,
    _db: Option<TestDb>,
}

impl Fixture {
    pub async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let url = "sqlite://t.db".to_string();
        let store = store::open(&url, dir.path()).await.unwrap();
        Fixture {
            store,
            url,
            dir,
            _db: None,
        }
    }

    pub async fn postgres() -> Fixture {
        let db = TestDb::new().await;
        let url = db.url.clone();
        let store = store::open(&url, std::path::Path::new("unused"))
            .await
            .unwrap();
        Fixture {
            store,
            url,
            dir: tempfile::tempdir().unwrap(),
            _db: Some(db),
        }
    }

    /// Another connection to the same database, as another instance has.
    async fn reopen(&self) -> Arc<dyn Store> {
        store::open(&self.url, self.dir.path()).await.unwrap()
    }
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).unwrap()
}

fn item(id: &str, title: &str, published: i64) -> Item {
    Item {
        source: "s".into(),
        id: id.into(),
        link: Some(format!("https://example.org/{id}")),
        title: title.into(),
        authors: vec!["Ann".into()],
        published: at(published),
        dated: true,
        ..Item::default()
    }
}

fn fetched(items: Vec<Item>, secs: i64) -> FetchRecord {
    FetchRecord {
        source: "s".into(),
        at: at(secs),
        next_due: at(secs + 60),
        location: Location {
            url: Some("https://example.org/feed".into()),
            ..Location::default()
        },
        outcome: FetchOutcome::Fetched {
            pages: Vec::new(),
            etag: Some("\"e1\"".into()),
            last_modified: None,
            title: Some("S".into()),
            items,
        },
        max_items: 5000,
        warning: None,
        health_changed: false,
        interval: None,
        keep_polls: 0,
    }
}

async fn upsert_updates_in_place_and_failures_keep_items(f: Fixture) {
    let store = &f.store;
    let s = store
        .record_fetch(fetched(
            vec![item("a", "A", 100), item("b", "B", 200)],
            1000,
        ))
        .await
        .unwrap();
    let first = s.version.expect("a write that changed items has a version");
    assert_eq!(
        s,
        SaveSummary {
            new: 2,
            updated: 0,
            unchanged: 0,
            dropped: 0,
            version: Some(first),
        }
    );
    let s = store
        .record_fetch(fetched(
            vec![item("a", "A2", 100), item("b", "B", 200)],
            2000,
        ))
        .await
        .unwrap();
    let second = s.version.expect("a write that changed items has a version");
    assert!(second > first);
    assert_eq!(
        s,
        SaveSummary {
            new: 0,
            updated: 1,
            unchanged: 1,
            dropped: 0,
            version: Some(second),
        }
    );
    // The change poll names the source with the version of its last write.
    let changes = store.changes_since(0).await.unwrap();
    assert_eq!(
        (changes.sources, changes.versions),
        (vec!["s".to_string()], vec![second])
    );
    let items = store.items(&["s".into()], 10).await.unwrap();
    assert_eq!(
        items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
        ["B", "A2"]
    );
    assert_eq!(items[1].updated, Some(at(2000)));
    assert_eq!(items[1].authors, ["Ann"]);
    store
        .record_fetch(FetchRecord {
            source: "s".into(),
            at: at(3000),
            next_due: at(3060),
            location: Location {
                gone: true,
                ..Location::default()
            },
            outcome: FetchOutcome::Failed {
                error: "HTTP 500".into(),
            },
            max_items: 5000,
            warning: None,
            health_changed: false,
            interval: None,
            keep_polls: 0,
        })
        .await
        .unwrap();
    let st = store.source_state("s").await.unwrap().unwrap();
    assert_eq!(st.consecutive_errors, 1);
    assert_eq!(st.etag.as_deref(), Some("\"e1\""));
    assert_eq!(st.items, 2);
    assert_eq!(st.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(st.next_due, Some(at(3060)));
    assert!(st.gone);
    assert_eq!(store.source_states().await.unwrap(), vec![st]);
}

async fn undated_items_keep_first_seen(f: Fixture) {
    let store = &f.store;
    let mut a = item("a", "A", 500);
    a.dated = false;
    store
        .record_fetch(fetched(vec![a.clone()], 500))
        .await
        .unwrap();
    a.published = at(900);
    let s = store.record_fetch(fetched(vec![a], 900)).await.unwrap();
    assert_eq!(s.unchanged, 1);
    let items = store.items(&["s".into()], 10).await.unwrap();
    assert_eq!(items[0].published, at(500));
}

async fn items_merge_sources_in_a_stable_order(f: Fixture) {
    let store = &f.store;
    for source in ["b", "a", "B"] {
        let mut r = fetched(
            vec![item("x", "X", 100), item("y", "Y", 100), item("z", "Z", 50)],
            1000,
        );
        r.source = source.into();
        if let FetchOutcome::Fetched { items, .. } = &mut r.outcome {
            for i in items {
                i.source = source.into();
            }
        }
        store.record_fetch(r).await.unwrap();
    }
    let sources = ["a".to_string(), "b".into(), "B".into()];
    let got: Vec<String> = store
        .items(&sources, 5)
        .await
        .unwrap()
        .iter()
        .map(|i| format!("{}/{}", i.source, i.id))
        .collect();
    // Newest first, ties by source and id compared byte-wise ("B" < "a").
    assert_eq!(got, ["B/x", "B/y", "a/x", "a/y", "b/x"]);
}

/// A merged read over many sources (some empty, some with ties) is the
/// newest `limit` of all their items, as sorting them all
/// gives: the store reads each source's newest first and skips sources
/// whose newest cannot make the cut.
async fn merged_reads_are_the_newest_of_all(f: Fixture) {
    let store = &f.store;
    let mut all = Vec::new();
    // Deterministic, scattered dates: sources' newest items interleave.
    let mut x: i64 = 7;
    for s in 0..40 {
        let source = format!("m{s:02}");
        if s % 9 == 4 {
            continue; // no items at all
        }
        let items: Vec<Item> = (0..(s % 7 + 1))
            .map(|k| {
                x = (x * 48_271) % 2_147_483_647;
                // Every fifth source's items all share one date (ties).
                let published = if s % 5 == 0 { 5_000 } else { x % 10_000 };
                let mut it = item(&format!("i{k}"), "t", published);
                it.source = source.clone();
                it
            })
            .collect();
        all.extend(
            items
                .iter()
                .map(|i| (i.published, i.source.clone(), i.id.clone())),
        );
        let mut r = fetched(items, 20_000);
        r.source = source;
        store.record_fetch(r).await.unwrap();
    }
    let mut sources: Vec<String> = (0..40).map(|s| format!("m{s:02}")).collect();
    sources.reverse();
    for limit in [1, 3, 10, 50, 500] {
        let got: Vec<String> = store
            .items(&sources, limit)
            .await
            .unwrap()
            .iter()
            .map(|i| format!("{}/{}", i.source, i.id))
            .collect();
        all.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.cmp(&b.1))
                .then_with(|| a.2.cmp(&b.2))
        });
        let want: Vec<String> = all
            .iter()
            .take(limit)
            .map(|(_, s, i)| format!("{s}/{i}"))
            .collect();
        assert_eq!(got, want, "limit {limit}");
    }
    // Only sources without items: nothing.
    assert!(
        store
            .items(&["m04".into(), "none".into()], 5)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A merged read after a write shows the write, whoever made it: the
/// backend may keep each source's newest date between reads (SQLite does),
/// and a newer item, an update that moves an item's date, a push, another
/// instance's fetch, a pruned source and a source that gets its first
/// items must all show in the next read as in a fresh one.
async fn merged_reads_see_every_write_since_the_last(f: Fixture) {
    let store = &f.store;
    let other = f.reopen().await;
    let sources: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let record = |source: &str, items: Vec<(&str, i64)>, secs: i64| {
        let items = items
            .into_iter()
            .map(|(id, published)| {
                let mut it = item(id, id, published);
                it.source = source.into();
                it
            })
            .collect();
        let mut r = fetched(items, secs);
        r.source = source.into();
        r
    };
    let newest = |items: Vec<Item>| -> Vec<String> {
        items
            .iter()
            .map(|i| format!("{}/{}", i.source, i.id))
            .collect()
    };
    store
        .record_fetch(record("a", vec![("a1", 100), ("a2", 200)], 1000))
        .await
        .unwrap();
    store
        .record_fetch(record("b", vec![("b1", 300)], 1000))
        .await
        .unwrap();
    store
        .record_fetch(record("c", vec![("c1", 50)], 1000))
        .await
        .unwrap();
    assert_eq!(
        newest(store.items(&sources, 2).await.unwrap()),
        ["b/b1", "a/a2"]
    );
    // A newer item of a source that could not make the cut before.
    store
        .record_fetch(record("c", vec![("c1", 50), ("c2", 400)], 1100))
        .await
        .unwrap();
    assert_eq!(
        newest(store.items(&sources, 2).await.unwrap()),
        ["c/c2", "b/b1"]
    );
    // Another instance's fetch: a source without items gets its first.
    other
        .record_fetch(record("d", vec![("d1", 500)], 1200))
        .await
        .unwrap();
    assert_eq!(
        newest(store.items(&sources, 2).await.unwrap()),
        ["d/d1", "c/c2"]
    );
    // An update moving an item's date later, by the other instance.
    other
        .record_fetch(record("a", vec![("a1", 600), ("a2", 200)], 1300))
        .await
        .unwrap();
    assert_eq!(
        newest(store.items(&sources, 2).await.unwrap()),
        ["a/a1", "d/d1"]
    );
    // A push.
    let mut pushed = item("b2", "b2", 700);
    pushed.source = "b".into();
    store
        .record_push("b", at(1400), vec![pushed], 5000)
        .await
        .unwrap();
    assert_eq!(
        newest(store.items(&sources, 2).await.unwrap()),
        ["b/b2", "a/a1"]
    );
    // Pruning down to each source's newest: an older newest is still read.
    store.prune(at(0), 0, 1).await.unwrap();
    assert_eq!(
        newest(store.items(&sources, 10).await.unwrap()),
        ["b/b2", "a/a1", "d/d1", "c/c2"]
    );
    // The other instance read nothing until now: the same as this one.
    assert_eq!(
        newest(other.items(&sources, 10).await.unwrap()),
        ["b/b2", "a/a1", "d/d1", "c/c2"]
    );
}

async fn prune_keeps_the_newest(f: Fixture) {
    let store = &f.store;
    let items = (0..10)
        .map(|i| item(&format!("i{i}"), "x", i * 10))
        .collect();
    store.record_fetch(fetched(items, 1000)).await.unwrap();
    let before = store.changes_since(0).await.unwrap().version;
    let n = store.prune(at(1000), 3, 5000).await.unwrap();
    assert_eq!(n, 7);
    let left = store.items(&["s".into()], 10).await.unwrap();
    assert_eq!(
        left.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["i9", "i8", "i7"]
    );
    // A feed that keeps listing the pruned items does not bring them back.
    let again = (0..10)
        .map(|i| item(&format!("i{i}"), "x", i * 10))
        .collect();
    let summary = store.record_fetch(fetched(again, 2000)).await.unwrap();
    assert_eq!((summary.new, summary.unchanged), (0, 10));
    assert_eq!(store.items(&["s".into()], 10).await.unwrap().len(), 3);
    let ids: Vec<String> = ["i0", "i9", "zz"].iter().map(|s| s.to_string()).collect();
    let mut known: Vec<String> = store
        .known_ids("s", &ids)
        .await
        .unwrap()
        .into_iter()
        .collect();
    known.sort();
    assert_eq!(known, ["i0", "i9"]);
    // max_items caps a source whatever the items' age.
    assert_eq!(store.prune(at(0), 0, 2).await.unwrap(), 1);
    assert_eq!(store.items(&["s".into()], 10).await.unwrap().len(), 2);
    // Pruning is a change other instances must render.
    assert_eq!(store.changes_since(before).await.unwrap().sources, ["s"]);
    // Reopening runs no migration twice.
    f.reopen().await;
}

/// `max_items` holds on every recorded fetch: of a fetch listing more, only
/// the newest are stored, the rest kept as tombstones (never new again);
/// stored items pushed beyond the cap by newer ones are pruned at once; and
/// tombstones are bounded by what one fetch lists, the least recently
/// listed going first.
async fn the_item_cap_holds_on_every_fetch(f: Fixture) {
    let store = &f.store;
    let listed = |ids: std::ops::Range<i64>| -> Vec<Item> {
        ids.map(|i| item(&format!("i{i:03}"), "x", i)).collect()
    };
    let capped = |items: Vec<Item>, secs: i64| {
        let mut r = fetched(items, secs);
        r.max_items = 3;
        r
    };
    let s = store
        .record_fetch(capped(listed(0..10), 1000))
        .await
        .unwrap();
    assert_eq!((s.new, s.unchanged, s.dropped), (3, 0, 7));
    let ids = |items: Vec<Item>| items.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.items(&["s".into()], 10).await.unwrap()),
        ["i009", "i008", "i007"]
    );
    // Listed again: nothing new.
    let s = store
        .record_fetch(capped(listed(0..10), 1001))
        .await
        .unwrap();
    assert_eq!((s.new, s.unchanged, s.dropped), (0, 10, 0));
    assert!(!s.changed());
    // Two newer items push two stored ones out.
    let s = store
        .record_fetch(capped(listed(0..12), 1002))
        .await
        .unwrap();
    assert_eq!((s.new, s.unchanged, s.dropped), (2, 8, 2));
    assert_eq!(
        ids(store.items(&["s".into()], 10).await.unwrap()),
        ["i011", "i010", "i009"]
    );
    // Older items than the stored ones are not kept, nor new.
    let mut older = listed(0..3);
    for i in &mut older {
        i.id = format!("old{}", i.id);
    }
    let s = store.record_fetch(capped(older, 1003)).await.unwrap();
    assert_eq!((s.new, s.dropped), (0, 3));
    assert_eq!(store.items(&["s".into()], 10).await.unwrap().len(), 3);
    // A fetch of 20 fresh ids pushes the stored three out; tombstones are
    // then bounded by the 20 it listed, so of the older ids only the three
    // it pruned keep theirs. Listed again, none of the 20 is new.
    let s = store
        .record_fetch(capped(listed(100..120), 1004))
        .await
        .unwrap();
    assert_eq!((s.new, s.dropped), (3, 20));
    let s = store
        .record_fetch(capped(listed(100..120), 1005))
        .await
        .unwrap();
    assert_eq!((s.new, s.unchanged, s.dropped), (0, 20, 0));
    let mut known: Vec<String> = store
        .known_ids("s", &ids(listed(0..12)))
        .await
        .unwrap()
        .into_iter()
        .collect();
    known.sort();
    assert_eq!(known, ["i009", "i010", "i011"]);
    f.reopen().await;
}

async fn concurrent_opens_migrate_once(f: Fixture) {
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = f.url.clone();
            let dir = f.dir.path().to_path_buf();
            tokio::spawn(async move { store::open(&url, &dir).await.map(|_| ()) })
        })
        .collect();
    for open in opens {
        open.await.unwrap().unwrap();
    }
    f.store.ping().await.unwrap();
}

async fn a_claim_is_exclusive_until_recorded_or_expired(f: Fixture) {
    let store = &f.store;
    // Never fetched: due at once, to one instance.
    assert!(store.claim("s", at(1000), at(1010), "one").await.unwrap());
    assert!(!store.claim("s", at(1001), at(1011), "two").await.unwrap());
    // The holder may renew its own lease.
    assert!(store.claim("s", at(1002), at(1012), "one").await.unwrap());
    // A record ends the lease; the source is then not due until next_due.
    store
        .record_fetch(fetched(vec![item("a", "A", 100)], 1003))
        .await
        .unwrap();
    assert!(!store.claim("s", at(1004), at(1014), "two").await.unwrap());
    assert!(!store.claim("s", at(1004), at(1014), "one").await.unwrap());
    assert!(store.claim("s", at(1063), at(1073), "two").await.unwrap());
    // The holder died: its lease runs out and another instance takes over.
    assert!(!store.claim("s", at(1072), at(1082), "one").await.unwrap());
    assert!(store.claim("s", at(1073), at(1083), "one").await.unwrap());
    // A released lease is free at once.
    store.release("s", "two").await.unwrap();
    assert!(!store.claim("s", at(1074), at(1084), "two").await.unwrap());
    store.release("s", "one").await.unwrap();
    assert!(store.claim("s", at(1074), at(1084), "two").await.unwrap());
}

async fn concurrent_claims_have_one_winner(f: Fixture) {
    let mut stores = vec![f.store.clone()];
    for _ in 0..3 {
        stores.push(f.reopen().await);
    }
    for round in 0..5 {
        let source = format!("s{round}");
        let claims: Vec<_> = (0..16)
            .map(|i| {
                let store = stores[i % stores.len()].clone();
                let source = source.clone();
                tokio::spawn(async move {
                    store
                        .claim(&source, at(1000), at(1100), &format!("i{i}"))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for c in claims {
            won += usize::from(c.await.unwrap());
        }
        assert_eq!(won, 1, "{source}: {won} instances claimed it");
    }
}

async fn changes_are_versioned(f: Fixture) {
    let store = &f.store;
    let start = store.changes_since(0).await.unwrap();
    assert!(start.sources.is_empty());
    store
        .record_fetch(fetched(vec![item("a", "A", 100)], 1000))
        .await
        .unwrap();
    let first = store.changes_since(start.version).await.unwrap();
    assert_eq!(first.sources, ["s"]);
    assert!(first.version > start.version);
    // Unchanged items, a 304 or a failure change nothing a reader sees.
    store
        .record_fetch(fetched(vec![item("a", "A", 100)], 1100))
        .await
        .unwrap();
    let mut failed = fetched(vec![], 1200);
    failed.outcome = FetchOutcome::Failed {
        error: "timeout".into(),
    };
    store.record_fetch(failed).await.unwrap();
    let none = store.changes_since(first.version).await.unwrap();
    assert!(none.sources.is_empty(), "{none:?}");
    assert_eq!(none.version, first.version);
    // Another connection sees the same changes.
    let other = f.reopen().await;
    assert_eq!(other.changes_since(start.version).await.unwrap(), first);
}

async fn known_ids_are_those_stored_for_the_source(f: Fixture) {
    let store = f.store.clone();
    store
        .record_fetch(fetched(vec![item("a", "x", 10)], 1000))
        .await
        .unwrap();
    let ids = ["a".to_string(), "b".to_string()];
    let known = store.known_ids("s", &ids).await.unwrap();
    assert_eq!(known, std::collections::HashSet::from(["a".to_string()]));
    assert!(store.known_ids("other", &ids).await.unwrap().is_empty());
}

async fn page_validators_are_kept_per_source(f: Fixture) {
    let store = f.store.clone();
    let mut record = fetched(vec![item("a", "x", 10)], 1000);
    let page = PageValidators {
        url: "https://example.org/a".into(),
        etag: Some("\"p1\"".into()),
        last_modified: None,
    };
    if let FetchOutcome::Fetched { pages, .. } = &mut record.outcome {
        pages.push(page.clone());
    }
    store.record_fetch(record).await.unwrap();
    let stored = store.page_validators("s").await.unwrap();
    assert_eq!(stored.get("https://example.org/a"), Some(&page));
    assert!(store.page_validators("other").await.unwrap().is_empty());
}

async fn health_is_kept_with_when_trouble_began(f: Fixture) {
    let store = f.store.clone();
    let state = || async { store.source_state("s").await.unwrap().unwrap() };
    store
        .record_fetch(fetched(vec![item("a", "A", 100)], 1000))
        .await
        .unwrap();
    assert_eq!(state().await.last_outcome.as_deref(), Some("ok"));
    assert_eq!(state().await.troubled_since, None);
    // A warning: read, kept as such, since its first fetch; a 304 and a
    // failure after it keep the spell's start.
    let mut empty = fetched(vec![], 2000);
    empty.warning = Some("listed no items".into());
    empty.health_changed = true;
    let before = store.changes_since(0).await.unwrap().version;
    store.record_fetch(empty).await.unwrap();
    let s = state().await;
    assert_eq!(s.last_outcome.as_deref(), Some("warning"));
    assert_eq!(s.last_error.as_deref(), Some("listed no items"));
    assert_eq!(s.troubled_since, Some(at(2000)));
    assert_eq!(s.consecutive_errors, 0);
    assert_eq!(s.items, 1, "a warning keeps the items");
    // A change of health is announced to other instances.
    assert_eq!(store.changes_since(before).await.unwrap().sources, ["s"]);
    let mut unmodified = fetched(vec![], 3000);
    unmodified.outcome = FetchOutcome::NotModified;
    unmodified.warning = Some("listed no items".into());
    store.record_fetch(unmodified).await.unwrap();
    let mut failed = fetched(vec![], 4000);
    failed.outcome = FetchOutcome::Failed {
        error: "HTTP 500".into(),
    };
    store.record_fetch(failed).await.unwrap();
    let s = state().await;
    assert_eq!(s.last_outcome.as_deref(), Some("error"));
    assert_eq!(s.troubled_since, Some(at(2000)));
    assert_eq!(s.consecutive_errors, 1);
    // Well again: the spell ends.
    store
        .record_fetch(fetched(vec![item("b", "B", 200)], 5000))
        .await
        .unwrap();
    let s = state().await;
    assert_eq!(s.last_outcome.as_deref(), Some("ok"));
    assert_eq!((s.troubled_since, s.last_error), (None, None));
}

async fn archives_follow_arrival_order_and_freeze_once(f: Fixture) {
    let store = f.store.clone();
    // Two fetches: b (dated later) arrives first, then a and c together.
    store
        .record_fetch(fetched(vec![item("b", "B", 500)], 1000))
        .await
        .unwrap();
    store
        .record_fetch(fetched(
            vec![item("c", "C", 300), item("a", "A", 200)],
            2000,
        ))
        .await
        .unwrap();
    let sources = ["s".to_string()];
    let all = store
        .items_in_order(&sources, None, at(10_000), 10)
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|(_, i)| i.id.as_str()).collect();
    assert_eq!(ids, ["b", "a", "c"], "arrival, then date");
    assert_eq!(all[0].0.first_seen, at(1000));
    // After a key, and only what was first stored before a time.
    let after = store
        .items_in_order(&sources, Some(&all[0].0), at(10_000), 10)
        .await
        .unwrap();
    assert_eq!(after.len(), 2);
    assert_eq!(after[0].1.id, "a");
    let settled = store
        .items_in_order(&sources, None, at(1500), 10)
        .await
        .unwrap();
    assert_eq!(settled.len(), 1);
    assert!(
        store
            .items_in_order(&["other".to_string()], None, at(10_000), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A merged feed over more sources than SQLite takes parameters (32,766).
    let many: Vec<String> = (0..40_000)
        .map(|n| format!("other{n}"))
        .chain(["s".to_string()])
        .collect();
    assert_eq!(
        store
            .items_in_order(&many, None, at(10_000), 10)
            .await
            .unwrap()
            .len(),
        3
    );

    assert_eq!(store.archive_head("all").await.unwrap(), None);
    let page = store::ArchivePage {
        feed: "all".into(),
        page: 0,
        last: all[1].0.clone(),
        rss: b"<rss/>".to_vec(),
        atom: b"<feed/>".to_vec(),
        json: b"{}".to_vec(),
    };
    assert!(store.put_archive_page(page.clone()).await.unwrap());
    let mut other = page.clone();
    other.rss = b"<rss>changed</rss>".to_vec();
    assert!(!store.put_archive_page(other).await.unwrap(), "frozen once");
    assert_eq!(store.archive_page("all", 0).await.unwrap(), Some(page));
    assert_eq!(store.archive_page("all", 1).await.unwrap(), None);
    assert_eq!(
        store.archive_head("all").await.unwrap(),
        Some((0, all[1].0.clone()))
    );
    assert_eq!(store.archive_head("else").await.unwrap(), None);
}

async fn a_discovered_feed_is_kept_across_a_reopen(f: Fixture) {
    let mut record = fetched(vec![item("a", "x", 10)], 1000);
    record.location.feed_url = Some("https://example.org/feed.xml".into());
    f.store.record_fetch(record).await.unwrap();
    let reopened = f.reopen().await;
    let st = reopened.source_state("s").await.unwrap().unwrap();
    assert_eq!(st.feed_url.as_deref(), Some("https://example.org/feed.xml"));
    // A fetch of the page that found none clears it.
    reopened
        .record_fetch(fetched(vec![item("a", "x", 10)], 2000))
        .await
        .unwrap();
    let st = reopened.source_state("s").await.unwrap().unwrap();
    assert_eq!(st.feed_url, None);
}

async fn polls_and_the_learned_interval_are_kept_and_bounded(f: Fixture) {
    let poll = |secs: i64, items: Vec<Item>| {
        let mut record = fetched(items, secs);
        record.keep_polls = 3;
        record.interval = Some(chrono::Duration::minutes(42));
        record
    };
    f.store
        .record_fetch(poll(1000, vec![item("a", "x", 10), item("b", "y", 10)]))
        .await
        .unwrap();
    f.store
        .record_fetch(poll(2000, vec![item("a", "x", 10), item("c", "z", 10)]))
        .await
        .unwrap();
    let mut not_modified = poll(3000, Vec::new());
    not_modified.outcome = FetchOutcome::NotModified;
    f.store.record_fetch(not_modified).await.unwrap();
    // A failure is no poll.
    let mut failed = poll(3500, Vec::new());
    failed.outcome = FetchOutcome::Failed {
        error: "HTTP 500".into(),
    };
    f.store.record_fetch(failed).await.unwrap();
    f.store
        .record_fetch(poll(4000, vec![item("d", "w", 10)]))
        .await
        .unwrap();
    let reopened = f.reopen().await;
    let polls = reopened.polls("s", 10).await.unwrap();
    // The oldest beyond `keep_polls` went; oldest first; new items counted.
    let seen: Vec<(i64, u32)> = polls
        .iter()
        .map(|p| (p.at.timestamp(), p.new_items))
        .collect();
    assert_eq!(seen, [(2000, 1), (3000, 0), (4000, 1)]);
    assert_eq!(reopened.polls("s", 1).await.unwrap().len(), 1);
    assert!(reopened.polls("other", 10).await.unwrap().is_empty());
    let st = reopened.source_state("s").await.unwrap().unwrap();
    assert_eq!(st.interval, Some(chrono::Duration::minutes(42)));
}

fn subscription(holder: &str, requested: i64) -> Subscription {
    Subscription {
        source: "s".into(),
        hub: "https://hub.example/".into(),
        topic: "https://example.org/feed".into(),
        secret: "0123456789abcdef".into(),
        state: SubscriptionState::Requested,
        requested: at(requested),
        lease_seconds: None,
        expires: None,
        holder: Some(holder.into()),
        held_until: Some(at(requested + 300)),
    }
}

async fn subscriptions_are_held_verified_and_removed(f: Fixture) {
    let store = &f.store;
    let other = f.reopen().await;
    assert_eq!(store.subscription("s").await.unwrap(), None);
    assert!(
        store
            .put_subscription(&subscription("a", 1000))
            .await
            .unwrap()
    );
    // Another instance cannot overwrite it or take it while a's hold runs.
    assert!(
        !other
            .put_subscription(&subscription("b", 1100))
            .await
            .unwrap()
    );
    assert!(
        !other
            .hold_subscription("s", at(1100), at(1400), "b")
            .await
            .unwrap()
    );
    assert!(
        !other
            .hold_subscription("none", at(1100), at(1400), "b")
            .await
            .unwrap()
    );
    // a keeps it; then its hold runs out and b takes it.
    assert!(
        store
            .hold_subscription("s", at(1200), at(1500), "a")
            .await
            .unwrap()
    );
    assert!(
        !other
            .hold_subscription("s", at(1499), at(1800), "b")
            .await
            .unwrap()
    );
    assert!(
        other
            .hold_subscription("s", at(1500), at(1800), "b")
            .await
            .unwrap()
    );
    // Released, it is free at once.
    other.release_subscriptions("b").await.unwrap();
    assert!(
        store
            .hold_subscription("s", at(1600), at(1900), "a")
            .await
            .unwrap()
    );

    // A verification of another topic, or an unsubscription never asked
    // for, changes nothing.
    let topic = "https://example.org/feed";
    let subscribe = Verification::Subscribe { lease_seconds: 600 };
    assert!(
        !store
            .verify_subscription("s", "https://example.org/other", subscribe, at(2000))
            .await
            .unwrap()
    );
    assert!(
        !store
            .verify_subscription("s", topic, Verification::Unsubscribe, at(2000))
            .await
            .unwrap()
    );
    assert!(
        !store
            .verify_subscription("t", topic, subscribe, at(2000))
            .await
            .unwrap()
    );
    let held = other.subscription("s").await.unwrap().unwrap();
    assert_eq!(
        (held.state, held.expires),
        (SubscriptionState::Requested, None)
    );
    assert!(!held.live(at(2000)));
    // Verified: active until the lease ends; renewed at 90% of it.
    assert!(
        store
            .verify_subscription("s", topic, subscribe, at(2000))
            .await
            .unwrap()
    );
    let live = other.subscription("s").await.unwrap().unwrap();
    assert_eq!(live.state, SubscriptionState::Active);
    assert_eq!(live.lease_seconds, Some(600));
    assert_eq!(live.expires, Some(at(2600)));
    assert_eq!(live.secret, "0123456789abcdef");
    assert_eq!(live.holder.as_deref(), Some("a"));
    assert!(live.live(at(2599)) && !live.live(at(2600)));
    assert_eq!(live.renew_at(), Some(at(2540)));
    // A renewal's verification extends it; a denial applies only to a
    // subscription not yet verified.
    assert!(
        store
            .verify_subscription("s", topic, subscribe, at(2540))
            .await
            .unwrap()
    );
    assert!(
        !store
            .verify_subscription("s", topic, Verification::Denied, at(2541))
            .await
            .unwrap()
    );
    assert_eq!(
        store.subscription("s").await.unwrap().unwrap().expires,
        Some(at(3140))
    );

    // Unsubscribing: the hub's verification removes it.
    let mut leaving = live.clone();
    leaving.state = SubscriptionState::Unsubscribing;
    leaving.requested = at(2600);
    assert!(store.put_subscription(&leaving).await.unwrap());
    assert!(
        !store
            .verify_subscription("s", topic, subscribe, at(2601))
            .await
            .unwrap()
    );
    assert!(
        store
            .verify_subscription("s", topic, Verification::Unsubscribe, at(2601))
            .await
            .unwrap()
    );
    assert_eq!(other.subscription("s").await.unwrap(), None);

    // Denied, and removed outright.
    let mut second = subscription("a", 3000);
    second.source = "t".into();
    assert!(store.put_subscription(&second).await.unwrap());
    assert!(
        store
            .put_subscription(&subscription("a", 3000))
            .await
            .unwrap()
    );
    assert!(
        store
            .verify_subscription("t", topic, Verification::Denied, at(3001))
            .await
            .unwrap()
    );
    let all = other.subscriptions().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|s| (s.source.as_str(), s.state))
            .collect::<Vec<_>>(),
        [
            ("s", SubscriptionState::Requested),
            ("t", SubscriptionState::Denied)
        ]
    );
    store.remove_subscription("t").await.unwrap();
    assert_eq!(other.subscriptions().await.unwrap().len(), 1);
    // The secret never shows in Debug.
    assert!(!format!("{:?}", all[0]).contains("0123456789abcdef"));
}

async fn pushes_write_items_but_not_the_fetch_state(f: Fixture) {
    let store = &f.store;
    store
        .record_fetch(fetched(vec![item("a", "A", 100)], 1000))
        .await
        .unwrap();
    let before = store.source_state("s").await.unwrap().unwrap();
    let version = store.changes_since(0).await.unwrap().version;
    let s = store
        .record_push(
            "s",
            at(1500),
            vec![item("a", "A", 100), item("b", "B", 200)],
            5000,
        )
        .await
        .unwrap();
    assert_eq!((s.new, s.updated, s.unchanged), (1, 0, 1));
    let after = store.source_state("s").await.unwrap().unwrap();
    assert_eq!(after.etag, before.etag);
    assert_eq!(after.next_due, before.next_due);
    assert_eq!(after.last_fetch, before.last_fetch);
    assert_eq!(after.items, 2);
    let changes = store.changes_since(version).await.unwrap();
    assert_eq!(changes.sources, ["s"]);
    // The same push again changes nothing; the cap holds for pushes too.
    let s = store
        .record_push("s", at(1600), vec![item("b", "B", 200)], 5000)
        .await
        .unwrap();
    assert!(!s.changed());
    let s = store
        .record_push("s", at(1700), vec![item("c", "C", 300)], 2)
        .await
        .unwrap();
    assert_eq!((s.new, s.dropped), (1, 1));
    let titles: Vec<String> = store
        .items(&["s".into()], 10)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["C", "B"]);
}

/// Runs each named behaviour on every backend.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Fixture::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Fixture::postgres().await).await;
                }
            )*
        }
    };
}

on_every_backend!(
    upsert_updates_in_place_and_failures_keep_items,
    undated_items_keep_first_seen,
    items_merge_sources_in_a_stable_order,
    merged_reads_are_the_newest_of_all,
    merged_reads_see_every_write_since_the_last,
    prune_keeps_the_newest,
    the_item_cap_holds_on_every_fetch,
    concurrent_opens_migrate_once,
    a_claim_is_exclusive_until_recorded_or_expired,
    concurrent_claims_have_one_winner,
    changes_are_versioned,
    known_ids_are_those_stored_for_the_source,
    page_validators_are_kept_per_source,
    health_is_kept_with_when_trouble_began,
    archives_follow_arrival_order_and_freeze_once,
    a_discovered_feed_is_kept_across_a_reopen,
    polls_and_the_learned_interval_are_kept_and_bounded,
    subscriptions_are_held_verified_and_removed,
    pushes_write_items_but_not_the_fetch_state,
);
