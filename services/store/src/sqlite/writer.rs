//! The one writer thread, with group commit.
//!
//! SQLite allows one writer at a time, and every commit pays an fsync. So one thread owns the
//! only writing connection and commits in groups: it takes the first queued job, then every job
//! that queued up meanwhile (up to a bound), runs each inside its own savepoint in one
//! transaction, and commits once: one fsync for the whole group. A job that fails rolls back to
//! its savepoint without disturbing the others. Replies go out only after the COMMIT returned,
//! so nothing is ever confirmed that is not on disk.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    path::Path,
    sync::Arc,
    thread,
    time::{Duration, Instant},
};

use dentismile_domain::ports::StoreError;
use rusqlite::Connection;
use tokio::sync::{oneshot, watch};

use super::{DbResult, connection::open_connection, internal};

/// What a job leaves to do once its group's commit has settled: reply to its caller with its
/// own result, or with the commit's error.
type Completion = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// A write: runs on the writer's connection inside a savepoint and says whether it succeeded
/// (keep its changes) or failed (roll them back), and how to reply. When the group's
/// transaction could not even begin, it gets that error instead of a connection.
type Job = Box<dyn FnOnce(Result<&Connection, &StoreError>) -> (bool, Completion) + Send>;

/// How often expired idempotency keys are deleted.
const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// A handle to the writer thread. Dropping it lets the thread finish the queued jobs and stop.
#[derive(Debug)]
pub(crate) struct Writer {
    jobs: Option<flume::Sender<Job>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer on `path`. `outbox_head` receives the highest outbox position after
    /// every commit, to wake event watchers.
    pub(crate) fn start(
        path: &Path,
        max_group: usize,
        queue_depth: usize,
        outbox_head: watch::Sender<i64>,
    ) -> Result<Self, StoreError> {
        let connection = open_connection(path, false)?;
        let (jobs, queue) = flume::bounded::<Job>(queue_depth);
        let thread = thread::Builder::new()
            .name("store-writer".to_string())
            .spawn(move || run(connection, queue, max_group.max(1), outbox_head))
            .map_err(|e| StoreError::Unavailable(Arc::new(e)))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `work` in the next group and returns its result once the group is committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |connection| {
            let result = match connection {
                Ok(connection) => work(connection),
                Err(error) => Err(error.clone()),
            };
            let succeeded = result.is_ok();
            let completion: Completion = Box::new(move |commit_error| {
                let outcome = match (result, commit_error) {
                    (Err(own), _) => Err(own),
                    (Ok(_), Some(commit_error)) => Err(commit_error.clone()),
                    (Ok(value), None) => Ok(value),
                };
                // The caller may have gone away (timeout, disconnect): the write stands and a
                // retry with the same key will find it.
                let _ = reply.send(outcome);
            });
            (succeeded, completion)
        });
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        jobs.send_async(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| {
            internal(std::io::Error::other(
                "the writer dropped a job without answering (it panicked)",
            ))
        })?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has committed what was queued.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable(Arc::new(std::io::Error::other(
        "the store writer has stopped",
    )))
}

fn run(
    connection: Connection,
    queue: flume::Receiver<Job>,
    max_group: usize,
    outbox_head: watch::Sender<i64>,
) {
    publish_outbox_head(&connection, &outbox_head);
    let mut last_purge = Instant::now();
    let mut group = Vec::with_capacity(max_group);
    while let Ok(first) = queue.recv() {
        group.push(first);
        while group.len() < max_group {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&connection, group.drain(..));
        publish_outbox_head(&connection, &outbox_head);
        if last_purge.elapsed() >= PURGE_INTERVAL {
            purge_expired_keys(&connection);
            last_purge = Instant::now();
        }
    }
    tracing::debug!("store writer stopped");
}

fn commit_group(connection: &Connection, group: impl Iterator<Item = Job>) {
    let mut completions: Vec<Completion> = Vec::new();
    let begin = connection.execute_batch("BEGIN IMMEDIATE").db();
    if let Err(error) = begin {
        tracing::error!(error = %error, "could not begin a write transaction");
        for job in group {
            let (_, completion) = job(Err(&error));
            completion(None);
        }
        return;
    }
    for job in group {
        completions.push(run_in_savepoint(connection, job));
    }
    match connection.execute_batch("COMMIT").db() {
        Ok(()) => {
            for completion in completions {
                completion(None);
            }
        }
        Err(error) => {
            tracing::error!(error = %error, jobs = completions.len(), "commit failed; nothing in the group was written");
            let _ = connection.execute_batch("ROLLBACK");
            for completion in completions {
                completion(Some(&error));
            }
        }
    }
}

fn run_in_savepoint(connection: &Connection, job: Job) -> Completion {
    if let Err(error) = connection.execute_batch("SAVEPOINT job").db() {
        tracing::error!(error = %error, "could not open a savepoint");
        return job(Err(&error)).1;
    }
    match catch_unwind(AssertUnwindSafe(|| job(Ok(connection)))) {
        Ok((true, completion)) => {
            let _ = connection.execute_batch("RELEASE job");
            completion
        }
        Ok((false, completion)) => {
            let _ = connection.execute_batch("ROLLBACK TO job; RELEASE job");
            completion
        }
        Err(_) => {
            // The job's reply channel was dropped with it: its caller sees an internal error.
            tracing::error!("a store write panicked; its changes were rolled back");
            let _ = connection.execute_batch("ROLLBACK TO job; RELEASE job");
            Box::new(|_| {})
        }
    }
}

fn publish_outbox_head(connection: &Connection, outbox_head: &watch::Sender<i64>) {
    match super::outbox_head(connection) {
        Ok(head) => {
            outbox_head.send_if_modified(|current| {
                let advanced = head > *current;
                if advanced {
                    *current = head;
                }
                advanced
            });
        }
        Err(error) => tracing::warn!(error = %error, "could not read the outbox head"),
    }
}

fn purge_expired_keys(connection: &Connection) {
    let now_ms = jiff_now_ms();
    match connection.execute(
        "DELETE FROM idempotency_keys WHERE expires_ms <= ?1",
        [now_ms],
    ) {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "forgot expired idempotency keys"),
        Err(error) => tracing::warn!(error = %error, "could not purge idempotency keys"),
    }
}

fn jiff_now_ms() -> i64 {
    dentismile_domain::jiff::Timestamp::now().as_millisecond()
}
