//! Which events a broker has acknowledged. rumqttc's `publish` returns once a message is queued,
//! not once the broker has it; what the broker has is only known from the acknowledgements the
//! event loop reports later, by packet id. This tracker follows each publish from queued, to sent
//! with a packet id, to acknowledged, and yields the cursor up to which every event is
//! acknowledged: the only cursor the bridge may save.

use std::collections::{HashMap, VecDeque};

use dentismile_domain::jiff::Timestamp;

/// What a queued publish carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tracked {
    /// The slot event with this sequence number (bridge-local, per session).
    Event(u64),
    /// A summary or status message: its acknowledgement moves no cursor.
    Other,
}

#[derive(Debug)]
struct Pending {
    cursor: String,
    occurred_at: Option<Timestamp>,
    acked: bool,
}

/// How far the run of acknowledged events grew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advance {
    /// The cursor after the last event of the run: safe to save.
    pub cursor: String,
    /// Events the run grew by.
    pub events: u64,
    /// When the last of them was committed, if known.
    pub occurred_at: Option<Timestamp>,
}

/// Follows the publishes of one MQTT session.
#[derive(Debug)]
pub struct AckTracker {
    /// Handed to the client, not yet seen leaving, in order.
    queued: VecDeque<Tracked>,
    /// Sent, awaiting acknowledgement, by packet id.
    sent: HashMap<u16, Tracked>,
    /// Events in feed order from `first_seq`, until acknowledged with everything before them.
    events: VecDeque<Pending>,
    first_seq: u64,
}

impl AckTracker {
    /// A tracker for a new session.
    pub fn new() -> Self {
        Self {
            queued: VecDeque::new(),
            sent: HashMap::new(),
            events: VecDeque::new(),
            first_seq: 0,
        }
    }

    /// An event with feed cursor `cursor`, committed at `occurred_at`, was handed to the client.
    pub fn queued_event(&mut self, cursor: String, occurred_at: Option<Timestamp>) {
        let seq = self.first_seq + self.events.len() as u64;
        self.events.push_back(Pending {
            cursor,
            occurred_at,
            acked: false,
        });
        self.queued.push_back(Tracked::Event(seq));
    }

    /// Another message was handed to the client.
    pub fn queued_other(&mut self) {
        self.queued.push_back(Tracked::Other);
    }

    /// The event loop sent the oldest queued publish with packet id `pkid`. (rumqttc sends
    /// requests in the order they were queued.)
    pub fn sent(&mut self, pkid: u16) {
        if let Some(tracked) = self.queued.pop_front() {
            self.sent.insert(pkid, tracked);
        }
    }

    /// The broker acknowledged packet `pkid`. Returns how the run of acknowledged events from
    /// the oldest grew, if it did: its end is the new saved-cursor candidate.
    pub fn acked(&mut self, pkid: u16) -> Option<Advance> {
        let Some(Tracked::Event(seq)) = self.sent.remove(&pkid) else {
            return None;
        };
        let index = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.events.get_mut(index)?.acked = true;
        let mut advance: Option<Advance> = None;
        while self.events.front().is_some_and(|p| p.acked) {
            let Some(done) = self.events.pop_front() else {
                break;
            };
            self.first_seq += 1;
            let events = advance.as_ref().map_or(0, |a| a.events) + 1;
            advance = Some(Advance {
                cursor: done.cursor,
                events,
                occurred_at: done.occurred_at,
            });
        }
        advance
    }

    /// Publishes queued or sent and not yet acknowledged.
    pub fn outstanding(&self) -> usize {
        self.queued.len() + self.sent.len()
    }
}

impl Default for AckTracker {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_moves_only_over_a_run_of_acknowledged_events() {
        let mut tracker = AckTracker::new();
        tracker.queued_event("c1".into(), None);
        tracker.queued_other();
        tracker.queued_event("c2".into(), None);
        tracker.queued_event("c3".into(), None);
        assert_eq!(tracker.outstanding(), 4);
        for pkid in 1..=4 {
            tracker.sent(pkid);
        }
        // c2 acknowledged first: nothing may be saved, c1 is still open.
        assert_eq!(tracker.acked(3), None);
        // The status message's acknowledgement moves nothing.
        assert_eq!(tracker.acked(2), None);
        // c1 closes the gap: c1 and c2 are now both safe.
        let advance = tracker.acked(1).unwrap();
        assert_eq!((advance.cursor.as_str(), advance.events), ("c2", 2));
        assert_eq!(tracker.acked(4).unwrap().cursor, "c3");
        assert_eq!(tracker.outstanding(), 0);
        // An unknown or repeated packet id changes nothing.
        assert_eq!(tracker.acked(4), None);
    }

    #[test]
    fn packet_ids_are_reused_after_acknowledgement() {
        let mut tracker = AckTracker::new();
        tracker.queued_event("c1".into(), None);
        tracker.sent(1);
        assert_eq!(tracker.acked(1).unwrap().cursor, "c1");
        tracker.queued_event("c2".into(), None);
        tracker.sent(1);
        assert_eq!(tracker.acked(1).unwrap().cursor, "c2");
    }
}
