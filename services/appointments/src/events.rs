//! The event feeds.
//!
//! - [`EventFanout`]: one task tails the store's event log and broadcasts each new event to
//!   every `WatchSlots` stream, so a thousand watchers cost one reader, not a thousand.
//! - `WatchEvents` (in [`crate::service`]): one reader per subscriber from its own durable cursor;
//!   that is the bridge's feed, where resuming exactly matters more than sharing.

use std::{sync::Arc, time::Duration};

use dentismile_domain::{
    event::{EventCursor, StoredEvent},
    ports::Store,
};
use dentismile_runtime::CancellationToken;
use tokio::sync::broadcast;

/// Events read from the store per round.
pub const READ_BATCH: usize = 500;
/// Longest wait for new events before reading again anyway (a store that cannot notify, like
/// a remote cluster, is polled at this pace).
pub const IDLE_WAIT: Duration = Duration::from_secs(1);
/// Events a slow watcher may fall behind before its stream ends with ABORTED.
const BROADCAST_CAPACITY: usize = 8192;

/// Broadcasts every new event to the live watchers.
#[derive(Debug, Clone)]
pub struct EventFanout {
    sender: broadcast::Sender<Arc<StoredEvent>>,
}

impl EventFanout {
    /// Starts tailing `store` from its newest event; stops when `shutdown` is cancelled.
    pub async fn start(
        store: Arc<dyn Store>,
        shutdown: CancellationToken,
    ) -> Result<Self, dentismile_domain::ports::StoreError> {
        let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
        let mut cursor = store.latest_cursor().await?;
        let fanout = Self {
            sender: sender.clone(),
        };
        tokio::spawn(async move {
            loop {
                match store.events_after(&cursor, READ_BATCH).await {
                    Ok(events) if !events.is_empty() => {
                        for event in events {
                            cursor = event.cursor.clone();
                            // No watchers is fine: the event is simply not needed live.
                            let _ = sender.send(Arc::new(event));
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "event fan-out could not read the log; retrying");
                        tokio::select! {
                            _ = shutdown.cancelled() => return,
                            _ = tokio::time::sleep(IDLE_WAIT) => continue,
                        }
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = store.wait_for_events(&cursor, IDLE_WAIT) => {}
                }
            }
        });
        Ok(fanout)
    }

    /// A receiver of events committed from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.sender.subscribe()
    }
}

/// Reads `store` from `cursor` and sends each envelope to `send` until it refuses (the client
/// went away) or `shutdown` is cancelled.
pub async fn tail_from<F, Fut>(
    store: Arc<dyn Store>,
    mut cursor: EventCursor,
    shutdown: CancellationToken,
    mut send: F,
) -> Result<(), dentismile_domain::ports::StoreError>
where
    F: FnMut(StoredEvent) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        let events = store.events_after(&cursor, READ_BATCH).await?;
        let read_all = events.len() < READ_BATCH;
        for event in events {
            cursor = event.cursor.clone();
            if !send(event).await {
                return Ok(());
            }
        }
        if read_all {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = store.wait_for_events(&cursor, IDLE_WAIT) => {}
            }
        }
    }
}
