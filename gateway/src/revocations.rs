//! The sessions that have ended, whose access tokens the gateway must refuse although their
//! signatures are still good.
//!
//! Fed two ways: by every Logout that passes through this gateway (at once, before the reply
//! reaches the client, so "signed out" means signed out here immediately), and by the auth
//! service's `WatchRevokedSessions` stream (sessions ended through other gateways, or by
//! refresh-token replay detection; typically within half a second). An entry is forgotten once
//! every access token of its session has expired.

use std::{
    collections::HashMap,
    ops::ControlFlow,
    sync::{Arc, RwLock},
    time::Duration,
};

use dentismile_auth::tokens::ACCESS_TOKEN_LIFETIME;
use dentismile_domain::{accounts::SessionId, jiff::Timestamp, time::add_saturating};
use dentismile_proto::v1::{
    RevokedSession, WatchRevokedSessionsRequest, auth_service_client::AuthServiceClient,
};
use dentismile_runtime::{CancellationToken, wire};
use tokio::time::{Interval, MissedTickBehavior};
use tokio_stream::{Stream, StreamExt};
use tonic::Status;

use crate::backends::ReplicaSet;

/// Revoked sessions with the instant after which they no longer matter.
#[derive(Debug, Default)]
pub struct RevocationList {
    sessions: RwLock<HashMap<SessionId, Timestamp>>,
}

impl RevocationList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `session` ended at `at`.
    pub fn revoke(&self, session: SessionId, at: Timestamp) {
        let forget_after = add_saturating(at, ACCESS_TOKEN_LIFETIME);
        self.sessions
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(session, forget_after);
    }

    /// Whether tokens of `session` must be refused.
    pub fn is_revoked(&self, session: &SessionId) -> bool {
        self.sessions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(session)
    }

    /// Drops entries whose tokens have all expired by `now`.
    pub fn prune(&self, now: Timestamp) {
        self.sessions
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, forget_after| *forget_after > now);
    }

    /// How many sessions are listed.
    pub fn len(&self) -> usize {
        self.sessions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How often sessions whose tokens have all expired are forgotten while the feed is open.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Keeps `list` in step with the auth service until `shutdown`: reconnects with backoff after
/// any failure, resuming from the newest revocation seen.
pub fn follow_auth_service(
    list: Arc<RevocationList>,
    auth: AuthServiceClient<ReplicaSet>,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        let mut since: Option<Timestamp> = None;
        let mut backoff = Duration::from_millis(100);
        let mut prune = tokio::time::interval(PRUNE_EVERY);
        prune.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let mut client = auth.clone();
            let request = WatchRevokedSessionsRequest {
                since: since.map(wire::timestamp),
            };
            let outcome = tokio::select! {
                _ = shutdown.cancelled() => return,
                outcome = client.watch_revoked_sessions(request) => outcome,
            };
            match outcome {
                Ok(response) => {
                    backoff = Duration::from_millis(100);
                    let feed = response.into_inner();
                    if apply_feed(&list, feed, &mut since, &mut prune, &shutdown)
                        .await
                        .is_break()
                    {
                        return;
                    }
                }
                Err(status) => {
                    tracing::warn!(%status, "cannot reach the auth service's revocation feed; retrying");
                }
            }
            list.prune(Timestamp::now());
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    });
}

/// Applies one open revocation feed to `list`, moving `since` to the newest revocation, until
/// the feed ends or fails (`Continue`: reconnect) or `shutdown` (`Break`). A healthy feed never
/// ends, so expired entries are dropped at every tick of `prune` meanwhile.
async fn apply_feed(
    list: &RevocationList,
    mut feed: impl Stream<Item = Result<RevokedSession, Status>> + Unpin,
    since: &mut Option<Timestamp>,
    prune: &mut Interval,
    shutdown: &CancellationToken,
) -> ControlFlow<()> {
    loop {
        let message = tokio::select! {
            _ = shutdown.cancelled() => return ControlFlow::Break(()),
            _ = prune.tick() => {
                list.prune(Timestamp::now());
                continue;
            }
            message = feed.next() => message,
        };
        match message {
            Some(Ok(revoked)) => {
                let session = SessionId::parse(&revoked.session_id);
                let at = wire::instant(revoked.revoked_at.as_ref());
                if let (Ok(session), Ok(at)) = (session, at) {
                    list.revoke(session, at);
                    *since = Some(since.map_or(at, |s| s.max(at)));
                }
            }
            None => return ControlFlow::Continue(()),
            Some(Err(status)) => {
                tracing::warn!(%status, "revocation feed interrupted; reconnecting");
                return ControlFlow::Continue(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use dentismile_domain::jiff::SignedDuration;

    use super::*;

    #[test]
    fn revoked_sessions_are_forgotten_once_their_tokens_expired() {
        let list = RevocationList::new();
        let session = SessionId::random();
        let at: Timestamp = "2026-11-24T10:00:00Z".parse().unwrap();
        list.revoke(session, at);
        assert!(list.is_revoked(&session));
        assert!(!list.is_revoked(&SessionId::random()));
        list.prune(at + SignedDuration::from_mins(10));
        assert!(list.is_revoked(&session));
        list.prune(at + SignedDuration::from_mins(16));
        assert!(list.is_empty());
    }

    #[tokio::test]
    async fn an_open_feed_keeps_forgetting_expired_sessions() {
        let list = Arc::new(RevocationList::new());
        let long_ago = Timestamp::now() - SignedDuration::from_mins(20);
        let first = SessionId::random();
        list.revoke(first, long_ago);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn({
            let list = list.clone();
            let shutdown = shutdown.clone();
            async move {
                // A healthy feed with nothing new to say: it never ends.
                let feed = tokio_stream::pending();
                let mut prune = tokio::time::interval(Duration::from_millis(1));
                apply_feed(&list, feed, &mut None, &mut prune, &shutdown).await
            }
        });
        while list.is_revoked(&first) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // And again at later ticks, not only at the first.
        let second = SessionId::random();
        list.revoke(second, long_ago);
        while list.is_revoked(&second) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        shutdown.cancel();
        assert!(task.await.unwrap().is_break());
    }
}
