//! Group commit on SQLite: the calls a fetch makes (its claim, its state
//! read, its record) are queued to one task that runs all those waiting in
//! one transaction, each write in a savepoint of its own, and answers each
//! caller after the commit. A fetch cycle of thousands of sources pays for
//! a few hundred commits and hand-offs to a blocking thread instead of
//! three per source. Uses the connection of `super`.
//!
//! What a caller is told holds as before: `Ok` only once its work is
//! committed (so a crash loses nothing that was acknowledged), and a call
//! that fails rolls back its own savepoint only, not its neighbours'.

use super::{SqliteStore, q};
use crate::store::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// The most calls one transaction takes: enough for every source in flight
/// (`fetch.concurrency`) many times over, few enough that one commit does
/// not keep other processes sharing the file waiting long.
const MAX_BATCH: usize = 512;

/// One queued call: run inside the batch's transaction, answered after it.
pub(super) trait Job: Send {
    /// Runs the call on the transaction (a write inside its savepoint),
    /// keeping its result; `false` if it failed.
    fn run(&mut self, c: &Connection) -> bool;
    /// Answers the caller: with its result if the batch committed, else with
    /// the commit's error.
    fn answer(self: Box<Self>, commit: Result<(), Arc<rusqlite::Error>>);
    /// Whether the call writes; a batch of reads only takes no write lock.
    fn writes(&self) -> bool;
}

struct Call<T, F> {
    f: Option<F>,
    result: Option<Result<T, rusqlite::Error>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
    writes: bool,
}

impl<T, F> Job for Call<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send,
{
    fn run(&mut self, c: &Connection) -> bool {
        let result = self.f.take().map(|f| f(c));
        let ok = matches!(result, Some(Ok(_)));
        self.result = result;
        ok
    }

    fn answer(self: Box<Self>, commit: Result<(), Arc<rusqlite::Error>>) {
        let Call { result, reply, .. } = *self;
        let answer = match (commit, result) {
            (Err(e), _) => Err(StoreError::query(e)),
            (Ok(()), Some(r)) => r.map_err(q),
            (Ok(()), None) => Err(StoreError::query("the call was not run")),
        };
        // A caller that stopped waiting does not want the answer.
        let _ = reply.send(answer);
    }

    fn writes(&self) -> bool {
        self.writes
    }
}

type Queued = Box<dyn Job>;

/// The sending side, held by the store.
pub(super) type Queue = mpsc::UnboundedSender<Queued>;

/// Starts the task that runs queued calls on `conn`; it ends when every
/// sender (every clone of the store) is gone.
pub(super) fn start(conn: Arc<Mutex<Connection>>) -> Queue {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(conn, rx));
    tx
}

async fn run(conn: Arc<Mutex<Connection>>, mut rx: mpsc::UnboundedReceiver<Queued>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut c = conn.clone().lock_owned().await;
        // Calls that came while the connection was busy join this batch.
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let jobs = std::mem::take(&mut batch);
        // A panic on the blocking thread drops the jobs, and with them their
        // reply channels: their callers get an error, the task goes on.
        let _ = tokio::task::spawn_blocking(move || run_batch(&mut c, jobs)).await;
    }
}

fn run_batch(c: &mut Connection, mut jobs: Vec<Queued>) {
    let behavior = if jobs.iter().any(|j| j.writes()) {
        TransactionBehavior::Immediate
    } else {
        TransactionBehavior::Deferred
    };
    let committed = (|| {
        let tx = c.transaction_with_behavior(behavior)?;
        for job in &mut jobs {
            if !job.writes() {
                // A read has nothing to roll back.
                job.run(&tx);
                continue;
            }
            // The savepoint's statements come from the statement cache:
            // rusqlite's `savepoint()` prepares them anew for every call.
            tx.prepare_cached("SAVEPOINT job")?.execute([])?;
            // A failed call's writes are rolled back, its neighbours' kept;
            // its error is its answer.
            if !job.run(&tx) {
                tx.prepare_cached("ROLLBACK TO job")?.execute([])?;
            }
            tx.prepare_cached("RELEASE job")?.execute([])?;
        }
        tx.commit()
    })()
    .map_err(Arc::new);
    for job in jobs {
        job.answer(committed.clone());
    }
}

impl SqliteStore {
    /// Runs `f` in the next batch (see the module): `writes` says whether it
    /// writes.
    pub(super) async fn batched<T: Send + 'static>(
        &self,
        writes: bool,
        f: impl FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = Call {
            f: Some(f),
            result: None,
            reply,
            writes,
        };
        self.queue
            .send(Box::new(job))
            .map_err(|_| StoreError::query("the store's writer has stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::query("the store's writer stopped before answering"))?
    }
}

#[cfg(test)]
mod tests {
    use super::super::exec;
    use super::*;

    async fn count(db: &SqliteStore, id: &'static str) -> i64 {
        db.with(move |c| {
            c.query_row("SELECT COUNT(*) FROM sources WHERE id = ?1", [id], |r| {
                r.get(0)
            })
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_failed_call_rolls_back_only_its_own_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        // Held, the connection keeps the writer waiting: all three calls
        // queue up and go in one batch.
        let held = db.conn.clone().lock_owned().await;
        let write = |id: &'static str| {
            db.batched(true, move |c| {
                exec(c, "INSERT INTO sources (id) VALUES (?1)", [id])?;
                Ok(id)
            })
        };
        let fail = db.batched(true, |c| {
            exec(c, "INSERT INTO sources (id) VALUES ('ghost')", [])?;
            exec(c, "INSERT INTO no_such_table VALUES (1)", [])
        });
        let release = async {
            tokio::task::yield_now().await;
            drop(held);
        };
        let (a, failed, b, ()) = tokio::join!(write("a"), fail, write("b"), release);
        assert_eq!(a.unwrap(), "a");
        assert_eq!(b.unwrap(), "b");
        assert!(failed.is_err());
        assert_eq!(count(&db, "a").await, 1);
        assert_eq!(count(&db, "b").await, 1);
        assert_eq!(count(&db, "ghost").await, 0);
    }

    #[tokio::test]
    async fn a_call_sees_the_writes_queued_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let held = db.conn.clone().lock_owned().await;
        let write = db.batched(true, |c| {
            exec(c, "INSERT INTO sources (id) VALUES ('x')", [])
        });
        let read = db.batched(false, |c| {
            c.query_row("SELECT COUNT(*) FROM sources WHERE id = 'x'", [], |r| {
                r.get::<_, i64>(0)
            })
        });
        let release = async {
            tokio::task::yield_now().await;
            drop(held);
        };
        let (written, seen, ()) = tokio::join!(write, read, release);
        assert_eq!(written.unwrap(), 1);
        assert_eq!(seen.unwrap(), 1);
    }
}
