//! A small pool of reader threads, each with its own connection. In WAL mode readers see the
//! last committed state and never wait for the writer, so reads scale with the pool while
//! writes go through the one writer.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    path::Path,
    sync::Arc,
    thread,
};

use dentismile_domain::ports::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{connection::open_connection, internal};

type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// A handle to the reader threads; dropping it stops them once the queued reads are done.
#[derive(Debug)]
pub(crate) struct Readers {
    jobs: Option<flume::Sender<ReadJob>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Readers {
    /// Starts `count` readers on `path`, sharing one bounded queue.
    pub(crate) fn start(path: &Path, count: usize, queue_depth: usize) -> Result<Self, StoreError> {
        let (jobs, queue) = flume::bounded::<ReadJob>(queue_depth);
        let mut threads = Vec::with_capacity(count);
        for index in 0..count.max(1) {
            let connection = open_connection(path, true)?;
            let queue = queue.clone();
            let thread = thread::Builder::new()
                .name(format!("store-reader-{index}"))
                .spawn(move || {
                    for job in queue.iter() {
                        if catch_unwind(AssertUnwindSafe(|| job(&connection))).is_err() {
                            tracing::error!("a store read panicked");
                        }
                    }
                })
                .map_err(|e| StoreError::Unavailable(Arc::new(e)))?;
            threads.push(thread);
        }
        Ok(Self {
            jobs: Some(jobs),
            threads,
        })
    }

    /// Runs `work` on a reader connection.
    pub(crate) async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: ReadJob = Box::new(move |connection| {
            // A caller that went away no longer needs the answer.
            let _ = reply.send(work(connection));
        });
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        jobs.send_async(job).await.map_err(|_| stopped())?;
        answer
            .await
            .map_err(|_| internal(std::io::Error::other("a store read panicked")))?
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        drop(self.jobs.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable(Arc::new(std::io::Error::other(
        "the store readers have stopped",
    )))
}
