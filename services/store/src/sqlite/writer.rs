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
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
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
    /// Transactions committed so far; see [`Writer::commits`].
    commits: Arc<AtomicU64>,
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
        let commits = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&commits);
        let thread = thread::Builder::new()
            .name("store-writer".to_string())
            .spawn(move || run(connection, queue, max_group.max(1), outbox_head, &counter))
            .map_err(|e| StoreError::Unavailable(Arc::new(e)))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
            commits,
        })
    }

    /// Groups committed since the writer started: one transaction and one fsync each, however
    /// many writes the group held. Counted before the group's replies go out, so a caller that
    /// got its answer sees its own group counted. Failed commits are not counted.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
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
    commits: &AtomicU64,
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
        commit_group(&connection, group.drain(..), commits);
        publish_outbox_head(&connection, &outbox_head);
        if last_purge.elapsed() >= PURGE_INTERVAL {
            purge_expired_keys(&connection);
            last_purge = Instant::now();
        }
    }
    tracing::debug!("store writer stopped");
}

fn commit_group(connection: &Connection, group: impl Iterator<Item = Job>, commits: &AtomicU64) {
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
            // Before the replies: the reply channel orders this before the caller's read.
            commits.fetch_add(1, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    //! Group commit, observed through the writer's commit count.
    //!
    //! How the tests make a group without sleeping: a first job parks the writer thread inside
    //! its transaction until the test releases it. While it is parked, the writer takes nothing
    //! from its queue, so the test submits the writes and waits until the queue holds every one
    //! of them (`flume::Sender::len`, a condition rather than a delay). Released, the writer
    //! commits the parked job's group, then takes the first queued write and, without
    //! blocking, every other one up to `max_group` (256 by default): one group, one commit.

    use std::sync::{Arc, mpsc};

    use dentismile_domain::{
        booking::Appointment,
        event::SlotEventKind,
        ids::{AppointmentId, UserId},
        ports::{BookOutcome, BookSlot, SlotStore, StoreError},
        slot::{SlotKey, SlotState},
    };
    use tokio::{sync::oneshot, task::JoinHandle};

    use crate::{
        conformance::{Fixture, book_command, kinds_of},
        sqlite::{SqliteStore, writes},
    };

    /// A fresh store with the conformance clinic and `count` free slots of dentist `a`.
    async fn store_with_slots(
        count: usize,
    ) -> (tempfile::TempDir, Arc<SqliteStore>, Fixture, Vec<SlotKey>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::migrate_and_open(dir.path().join("store.db")).unwrap());
        let fx = Fixture::seed(store.clone()).await;
        let slots = fx
            .publish(fx.slots('a', 1, "07:00", 10, count))
            .await
            .into_iter()
            .map(|slot| slot.key)
            .collect();
        (dir, store, fx, slots)
    }

    /// The parked writer: send (or drop) `release` to let it go on; `job` is the parking job.
    struct Parked {
        release: mpsc::Sender<()>,
        job: JoinHandle<Result<(), StoreError>>,
    }

    /// Parks the writer thread inside a job of its own and returns once it is parked.
    async fn park_writer(store: &Arc<SqliteStore>) -> Parked {
        let (parked, writer_parked) = oneshot::channel();
        let (release, released) = mpsc::channel::<()>();
        let store = store.clone();
        let job = tokio::spawn(async move {
            store
                .writer
                .write(move |_| {
                    let _ = parked.send(());
                    // Blocks the writer thread; a dropped sender (a failing test) lets it go too.
                    let _ = released.recv();
                    Ok(())
                })
                .await
        });
        writer_parked.await.unwrap();
        Parked { release, job }
    }

    impl Parked {
        async fn release(self) {
            let _ = self.release.send(());
            self.job.await.unwrap().unwrap();
        }
    }

    fn queued(store: &SqliteStore) -> usize {
        store.writer.jobs.as_ref().map_or(0, flume::Sender::len)
    }

    /// Waits until `count` writes are queued behind the parked writer. The deadline only turns
    /// a writer that stopped taking jobs into a quick failure; nothing waits on it otherwise.
    async fn until_queued(store: &SqliteStore, count: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while queued(store) < count {
            assert!(
                std::time::Instant::now() < deadline,
                "only {} of {count} writes queued after a minute",
                queued(store)
            );
            tokio::task::yield_now().await;
        }
        assert_eq!(queued(store), count);
    }

    /// Submits a write on its own task and returns once it is queued: the queue's order is the
    /// order of the calls.
    async fn submit<T: Send + 'static>(
        store: &Arc<SqliteStore>,
        write: impl Future<Output = T> + Send + 'static,
    ) -> JoinHandle<T> {
        let before = queued(store);
        let task = tokio::spawn(write);
        until_queued(store, before + 1).await;
        task
    }

    fn booking(slot: &SlotKey) -> BookSlot {
        book_command(
            slot,
            UserId::random(),
            &format!("key-{}", AppointmentId::random()),
        )
    }

    /// The state of a slot booked by `appointment`.
    fn held_by(appointment: &Appointment) -> SlotState {
        SlotState::Booked {
            appointment_id: appointment.id,
            patient_id: appointment.patient_id,
        }
    }

    async fn book(store: Arc<SqliteStore>, command: BookSlot) -> Result<BookOutcome, StoreError> {
        store.book(&command).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_bookings_share_one_commit() {
        const WRITES: usize = 64;
        let (_dir, store, fx, slots) = store_with_slots(WRITES).await;
        let before = store.write_commits();

        let parked = park_writer(&store).await;
        // All 64 race to the queue at once, from 4 worker threads.
        let tasks: Vec<_> = slots
            .iter()
            .map(|slot| tokio::spawn(book(store.clone(), booking(slot))))
            .collect();
        until_queued(&store, WRITES).await;
        parked.release().await;

        let mut booked = Vec::new();
        for (slot, task) in slots.iter().zip(tasks) {
            match task.await.unwrap().unwrap() {
                BookOutcome::Booked(appointment) => booked.push((slot, appointment)),
                other => panic!("{slot}: expected a booking, got {other:?}"),
            }
        }
        // One commit for the parked job's group, one for all 64 bookings.
        let commits = store.write_commits() - before;
        println!(
            "{WRITES} concurrent bookings took {} commit(s)",
            commits - 1
        );
        assert_eq!(commits, 2, "{WRITES} bookings should share one commit");

        // Every booking is committed and readable, with its event.
        let events = fx.all_events().await;
        for (slot, appointment) in booked {
            let stored = store.slot(slot).await.unwrap().unwrap();
            assert_eq!(stored.state, held_by(&appointment));
            assert_eq!(
                store.appointment(&appointment.id).await.unwrap(),
                Some(appointment)
            );
            assert_eq!(
                kinds_of(&events, slot),
                [SlotEventKind::Published, SlotEventKind::Booked]
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn failed_writes_leave_the_rest_of_their_group() {
        let (_dir, store, fx, slots) = store_with_slots(12).await;
        let (taken, half_written, panicked) = (&slots[0], &slots[1], &slots[2]);
        let earlier = match store.book(&booking(taken)).await.unwrap() {
            BookOutcome::Booked(appointment) => appointment,
            other => panic!("expected a booking, got {other:?}"),
        };
        let before = store.write_commits();

        let parked = park_writer(&store).await;
        let mut good = Vec::new();
        for slot in &slots[3..6] {
            good.push((
                slot,
                submit(&store, book(store.clone(), booking(slot))).await,
            ));
        }
        // A conflict: the slot was booked before. Nothing to undo, but it must not disturb.
        let conflict = submit(&store, book(store.clone(), booking(taken))).await;
        for slot in &slots[6..9] {
            good.push((
                slot,
                submit(&store, book(store.clone(), booking(slot))).await,
            ));
        }
        // A failure half-way: the earlier appointment's id again, for a free slot. The slot is
        // marked booked, then inserting the appointment breaks its primary key; the savepoint
        // must undo the slot's change, and only that.
        let mut reused = booking(half_written);
        reused.appointment_id = earlier.id;
        let failed = submit(&store, book(store.clone(), reused)).await;
        for slot in &slots[9..10] {
            good.push((
                slot,
                submit(&store, book(store.clone(), booking(slot))).await,
            ));
        }
        // A panic after a complete booking: rolled back, its caller told.
        let command = booking(panicked);
        let writer_store = store.clone();
        let panicking = submit(&store, async move {
            writer_store
                .writer
                .write(move |connection| -> Result<BookOutcome, StoreError> {
                    writes::book(connection, &command)?;
                    panic!("a write that panics after booking");
                })
                .await
        })
        .await;
        for slot in &slots[10..] {
            good.push((
                slot,
                submit(&store, book(store.clone(), booking(slot))).await,
            ));
        }
        until_queued(&store, good.len() + 3).await;
        parked.release().await;

        match conflict.await.unwrap().unwrap() {
            BookOutcome::Conflict(current) => assert_eq!(current.state, held_by(&earlier)),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert!(matches!(
            failed.await.unwrap(),
            Err(StoreError::Internal(_))
        ));
        assert!(matches!(
            panicking.await.unwrap(),
            Err(StoreError::Internal(_))
        ));
        let mut booked = Vec::new();
        for (slot, task) in good {
            match task.await.unwrap().unwrap() {
                BookOutcome::Booked(appointment) => booked.push((slot, appointment)),
                other => panic!("{slot}: expected a booking, got {other:?}"),
            }
        }
        // The parked job's group and the one group of all the others, failures included.
        assert_eq!(store.write_commits() - before, 2);

        let events = fx.all_events().await;
        for (slot, appointment) in &booked {
            let stored = store.slot(slot).await.unwrap().unwrap();
            assert_eq!(stored.state, held_by(appointment), "{slot}");
            assert_eq!(
                kinds_of(&events, slot),
                [SlotEventKind::Published, SlotEventKind::Booked]
            );
        }
        assert_eq!(
            store.slot(taken).await.unwrap().unwrap().state,
            held_by(&earlier)
        );
        assert_eq!(
            store.appointment(&earlier.id).await.unwrap(),
            Some(earlier.clone())
        );
        for slot in [half_written, panicked] {
            assert_eq!(
                store.slot(slot).await.unwrap().unwrap().state,
                SlotState::Free,
                "{slot}: a failed write's changes must be rolled back"
            );
            assert_eq!(kinds_of(&events, slot), [SlotEventKind::Published]);
        }
    }
}
