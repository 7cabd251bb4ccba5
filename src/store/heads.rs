//! Each source's newest item date, kept in memory between merged reads so
//! that a merged feed over many sources does not read every source's
//! newest index entry again on every render (at 1,000 sources of 1,000
//! items each those are ~1,000 index pages, more than SQLite's page cache).
//!
//! Kept valid by the store's change version ([`super::Store::changes_since`]):
//! every write that changes a source's items (an insert, an update, the
//! cap, pruning) bumps the version of its source in the same transaction,
//! so a reader that brings the kept dates up to the version of its own
//! snapshot forgets exactly the sources written since, also those another
//! instance sharing the database wrote. SQLite's merged read uses a date
//! only as an upper bound (to order sources and to stop at the first one
//! that cannot place), PostgreSQL's as the exact newest (to pick the
//! sources and a floor in one statement).
//! Pure; depends on nothing else of the store.

use std::collections::HashMap;
use std::sync::Mutex;

/// The kept dates and the change version they hold for.
#[derive(Debug, Default)]
pub(crate) struct Heads {
    known: Mutex<Known>,
}

#[derive(Debug, Default)]
struct Known {
    version: u64,
    /// A source's newest `published` (the backend's own number for it);
    /// `None` for a source without items.
    newest: HashMap<String, Option<i64>>,
}

impl Heads {
    /// The version the kept dates hold for: a reader asks its snapshot for
    /// the sources changed after it and passes them to [`Heads::advance`].
    pub(crate) fn version(&self) -> u64 {
        self.lock().version
    }

    /// Brings the kept dates from `from` (what [`Heads::version`] said) up
    /// to `to`, the version of the reader's snapshot, forgetting `changed`
    /// (the sources changed after `from` in that snapshot). When another
    /// reader moved the cache in between, it is emptied instead: what it
    /// holds may be from a snapshot newer or older than this one.
    pub(crate) fn advance(&self, from: u64, to: u64, changed: &[String]) {
        let mut known = self.lock();
        if known.version == to {
            return;
        }
        if known.version == from && to > from {
            for source in changed {
                known.newest.remove(source);
            }
        } else {
            known.newest.clear();
        }
        known.version = to;
    }

    /// The kept date of each of `sources` (by position), `None` where none
    /// is kept.
    pub(crate) fn get(&self, sources: &[String]) -> Vec<Option<Option<i64>>> {
        let known = self.lock();
        sources
            .iter()
            .map(|s| known.newest.get(s).copied())
            .collect()
    }

    /// Keeps dates read in a snapshot at `version`; dropped when the cache
    /// has moved to another version since (they may be out of date there).
    pub(crate) fn keep(&self, version: u64, read: impl IntoIterator<Item = (String, Option<i64>)>) {
        let mut known = self.lock();
        if known.version == version {
            known.newest.extend(read);
        }
    }

    /// [`Heads::get`], and the sources of those without a kept date: the
    /// ones a read must look up.
    pub(crate) fn lookup<'a>(
        &self,
        sources: &'a [String],
    ) -> (Vec<Option<Option<i64>>>, Vec<&'a String>) {
        let kept = self.get(sources);
        let missing = sources
            .iter()
            .zip(&kept)
            .filter_map(|(s, k)| k.is_none().then_some(s))
            .collect();
        (kept, missing)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        // The map is consistent after every call (each is one step), so a
        // panic elsewhere while it was held leaves it usable.
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_change_forgets_only_the_changed_sources() {
        let heads = Heads::default();
        heads.advance(0, 3, &[]);
        heads.keep(3, [("a".into(), Some(10)), ("b".into(), None)]);
        assert_eq!(
            heads.get(&s(&["a", "b", "c"])),
            [Some(Some(10)), Some(None), None]
        );
        heads.advance(heads.version(), 4, &s(&["b"]));
        let sources = s(&["a", "b"]);
        let (kept, missing) = heads.lookup(&sources);
        assert_eq!(kept, [Some(Some(10)), None]);
        assert_eq!(missing, [&sources[1]]);
        assert_eq!(heads.version(), 4);
    }

    #[test]
    fn dates_from_another_snapshot_are_not_kept() {
        let heads = Heads::default();
        heads.advance(0, 5, &[]);
        // Read at version 4 by a reader that was overtaken.
        heads.keep(4, [("a".into(), Some(1))]);
        assert_eq!(heads.get(&s(&["a"])), [None]);
        heads.keep(5, [("a".into(), Some(2))]);
        // Another reader moved the cache from under this one: all go.
        heads.advance(3, 6, &[]);
        assert_eq!(heads.get(&s(&["a"])), [None]);
        assert_eq!(heads.version(), 6);
        // A version going back (the database was replaced) empties it too.
        heads.keep(6, [("a".into(), Some(2))]);
        heads.advance(6, 2, &[]);
        assert_eq!(heads.get(&s(&["a"])), [None]);
    }
}
