//! The event log: each clinic-day partition's outbox rows, copied in order into one global log
//! whose positions are the cursors the bridge resumes from.
//!
//! Why two steps. An event is written in the same conditional batch as its change, so it
//! exists if and only if the change does; that batch can only touch the change's own
//! partition. A reader, though, needs one order over every partition and a cursor that fits in
//! a few bytes. So a *sequencer* copies events from the partitions into `event_log`, assigning
//! positions 1, 2, 3, ... with a conditional batch on the log's current segment
//! (`IF head = <read>`), and records each copied event's position in `event_positions`.
//!
//! - Which partitions to look at: every writer registers its partition in
//!   `pending_event_partitions` before its conditional write. The sequencer reads the
//!   registrations, copies what each partition holds beyond its last sequenced seq, and deletes
//!   a registration only when the partition is drained *and* the registration is older than
//!   the write lease (by then its writer has finished). The delete carries the timestamp of the
//!   registration it saw, so a newer registration survives it.
//! - No event is copied twice: a partition's progress is its highest seq in `event_positions`.
//!   Positions are written after each append; `confirmed` on the segment says up to where they
//!   are known written, and every round first rewrites those between `confirmed` and `head`
//!   (idempotent) so progress is exact before anything new is appended.
//! - No event is skipped: positions are assigned once, in order, without gaps, and a reader
//!   only ever reads positions below the head it saw; a partition's events are copied in seq
//!   order, contiguously from its progress.
//! - Order: within a partition, seq order (consecutive from 1). Across partitions, the order
//!   in which the sequencer copied them, which in one round is by the events' times: close to,
//!   but weaker than, the commit order of the embedded store.
//!
//! Sequencing runs inline in `events_after`, `latest_cursor` and `wait_for_events`, so events
//! are visible to readers as soon as their write returns; several processes may sequence at
//! once, the segment's CAS lets one append at a time.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    ops::ControlFlow,
    time::{Duration, Instant, SystemTime},
};

use dentismile_domain::{
    event::{EventCursor, SlotEvent, StoredEvent},
    ports::StoreError,
    slot::PartitionKey,
};
use scylla::client::session::Session;

use super::{
    ScyllaStore,
    cursor::{decode_cursor, encode_cursor},
    driver_errors::is_unknown_outcome,
    rows::{EventRow, LogRow, PendingRow, RowKind, SegmentHeadRow, SequencedRow, TailRow},
    select_rows,
    slots::seq_value,
    statements::{Cql, Statements},
    values::{Values, bigint, day, from_cql_date, text, timestamp, uuid},
};

/// Positions per log segment (one partition of `event_log`): small enough for a healthy
/// partition (tens of MB), large enough that segments change rarely.
pub(crate) const SEGMENT_SIZE: i64 = 100_000;

/// Shards of `pending_event_partitions`, so registrations do not all hit one partition.
pub(crate) const SHARDS: i32 = 8;

/// Most events appended by one conditional batch (keeps it well under ScyllaDB's batch size
/// warning).
const MAX_APPEND: usize = 200;

/// Rounds of one sequencing pass.
const MAX_ROUNDS: usize = 16;

const TAIL_KEY: &str = "tail";

/// What a process remembers between passes: the segment being written.
#[derive(Debug)]
pub(crate) struct SequencerState {
    segment: i64,
}

impl SequencerState {
    pub(crate) fn new(segment: i64) -> Self {
        Self { segment }
    }
}

/// The segment of a position (position 0, the empty log, is in segment 0).
pub(crate) fn segment_of(position: i64) -> i64 {
    if position <= 0 {
        0
    } else {
        (position - 1) / SEGMENT_SIZE
    }
}

/// The head of segment `k` before anything is written to it.
fn segment_base(segment: i64) -> i64 {
    segment * SEGMENT_SIZE
}

/// The last position of segment `k`.
fn segment_end(segment: i64) -> i64 {
    (segment + 1) * SEGMENT_SIZE
}

/// The registration shard of a partition: FNV-1a of `clinic/day`, stable across processes and
/// builds (unlike the standard library's hasher).
pub(crate) fn shard_of(partition: &PartitionKey) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in partition.to_string().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i32::try_from(hash % SHARDS.unsigned_abs()).expect("a shard index is small")
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Where the log ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tail {
    segment: i64,
    /// The last position written.
    pub head: i64,
    /// The last position whose `event_positions` row is known written.
    confirmed: i64,
    /// `head` as stored (`None` for a segment never written), for the CAS condition.
    stored_head: Option<i64>,
}

impl Tail {
    fn of(segment: i64, row: Option<SegmentHeadRow>) -> Self {
        let stored_head = row.as_ref().and_then(|r| r.head);
        let head = stored_head.unwrap_or(segment_base(segment));
        let confirmed = row
            .and_then(|r| r.confirmed)
            .unwrap_or(segment_base(segment))
            .min(head);
        Self {
            segment,
            head,
            confirmed,
            stored_head,
        }
    }

    fn is_closed(&self) -> bool {
        self.head == segment_end(self.segment) && self.confirmed == self.head
    }

    fn room(&self) -> usize {
        usize::try_from(segment_end(self.segment) - self.head)
            .unwrap_or(0)
            .min(MAX_APPEND)
    }
}

/// A writer's registration of its partition, renewed when a write takes long.
pub(crate) struct Lease {
    partition: PartitionKey,
    registered: Instant,
}

impl Lease {
    /// Registers again if this registration may be forgotten before the write ends.
    pub(crate) async fn refresh(&mut self, store: &ScyllaStore) -> Result<(), StoreError> {
        if self.registered.elapsed() > store.write_lease / 4 {
            store.register(&self.partition).await?;
            self.registered = Instant::now();
        }
        Ok(())
    }
}

/// A registration as the sequencer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Registration {
    shard: i32,
    partition: PartitionKey,
    written_micros: Option<i64>,
}

/// Events ready to append: each partition's new events in seq order.
#[derive(Debug, Default)]
struct Collected {
    entries: Vec<SlotEvent>,
    /// Partitions all of whose events are in `entries` or already in the log.
    complete: HashSet<PartitionKey>,
}

/// Merges each partition's events (already in seq order) into one list of at most `room`,
/// earliest event first, keeping every partition's seq order. Returns the list and the
/// partitions whose events were all taken.
fn merge(
    mut queues: Vec<(PartitionKey, VecDeque<SlotEvent>)>,
    room: usize,
) -> (Vec<SlotEvent>, HashSet<PartitionKey>) {
    let mut merged = Vec::new();
    while merged.len() < room {
        let next = queues
            .iter()
            .enumerate()
            .filter_map(|(index, (partition, queue))| {
                queue
                    .front()
                    .map(|event| ((event.occurred_at, partition.clone(), event.seq), index))
            })
            .min();
        let Some((_, index)) = next else { break };
        if let Some(event) = queues[index].1.pop_front() {
            merged.push(event);
        }
    }
    let emptied = queues
        .into_iter()
        .filter(|(_, queue)| queue.is_empty())
        .map(|(partition, _)| partition)
        .collect();
    (merged, emptied)
}

/// The conditional batch appending `entries` after `tail`.
fn append_plan(tail: &Tail, entries: &[SlotEvent]) -> Vec<(Cql, Values)> {
    let count = i64::try_from(entries.len()).unwrap_or(0);
    let mut statements = vec![(
        Cql::SegmentCas,
        Values::new()
            .set("head", bigint(tail.head + count))
            .set("confirmed", bigint(tail.head))
            .key("segment", bigint(tail.segment))
            .cond("head", tail.stored_head.map(bigint)),
    )];
    for (offset, event) in (1..).zip(entries) {
        let partition = event.slot.partition();
        statements.push((
            Cql::LogInsert,
            Values::new()
                .value("segment", bigint(tail.segment))
                .value("position", bigint(tail.head + offset))
                .value("event_id", uuid(event.event_id.as_uuid()))
                .value("clinic_id", text(partition.clinic_id.as_str()))
                .value("day", day(partition.day))
                .value("seq", bigint(seq_value(event.seq)))
                .value("kind", text(event.kind.name()))
                .value("dentist_id", text(event.slot.dentist_id.as_str()))
                .value("slot_start", timestamp(event.slot.start))
                .value("slot_end", timestamp(event.slot_end))
                .value("occurred_at", timestamp(event.occurred_at)),
        ));
    }
    statements
}

fn position_insert(partition: &PartitionKey, seq: u64, position: i64) -> (Cql, Values) {
    (
        Cql::PositionInsert,
        Values::new()
            .value("clinic_id", text(partition.clinic_id.as_str()))
            .value("day", day(partition.day))
            .value("seq", bigint(seq_value(seq)))
            .value("position", bigint(position)),
    )
}

/// The segment hint stored in `event_log_tail`, or 0.
pub(crate) async fn read_tail_hint(
    session: &Session,
    statements: &Statements,
) -> Result<i64, StoreError> {
    let rows = select_rows::<TailRow>(
        session,
        &statements.tail,
        Values::new().key("meta_key", text(TAIL_KEY)),
        1,
    )
    .await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|row| row.segment)
        .unwrap_or(0))
}

impl ScyllaStore {
    /// Registers a partition about to be written (before its conditional write).
    pub(crate) async fn register_pending(
        &self,
        partition: &PartitionKey,
    ) -> Result<Lease, StoreError> {
        self.register(partition).await?;
        Ok(Lease {
            partition: partition.clone(),
            registered: Instant::now(),
        })
    }

    async fn register(&self, partition: &PartitionKey) -> Result<(), StoreError> {
        let values = Values::new()
            .value("shard", scylla::value::CqlValue::Int(shard_of(partition)))
            .value("clinic_id", text(partition.clinic_id.as_str()))
            .value("day", day(partition.day))
            .value(
                "registered_at",
                timestamp(dentismile_domain::jiff::Timestamp::now()),
            );
        self.write(Cql::PendingRegister, values).await
    }

    async fn registrations(&self) -> Result<Vec<Registration>, StoreError> {
        let mut registrations = Vec::new();
        for shard in 0..SHARDS {
            let values = Values::new().key("shard", scylla::value::CqlValue::Int(shard));
            self.scan::<PendingRow>(&self.statements.pending, values, |row| {
                registrations.push(Registration {
                    shard,
                    partition: PartitionKey {
                        clinic_id: super::rows::clinic_id(&row.clinic_id)?,
                        day: from_cql_date(row.day)?,
                    },
                    written_micros: row.registered_micros,
                });
                Ok(ControlFlow::Continue(()))
            })
            .await?;
        }
        Ok(registrations)
    }

    /// The log's tail, read at LOCAL_SERIAL (which also completes an append in flight).
    async fn read_tail(&self, state: &mut SequencerState) -> Result<Tail, StoreError> {
        loop {
            let row = self
                .select_one::<SegmentHeadRow>(
                    &self.statements.segment_head_serial,
                    Values::new().key("segment", bigint(state.segment)),
                )
                .await?;
            let tail = Tail::of(state.segment, row);
            if !tail.is_closed() {
                return Ok(tail);
            }
            state.segment += 1;
            // A hint for processes that start later; losing it only costs them a walk.
            let hint = Values::new()
                .value("meta_key", text(TAIL_KEY))
                .value("segment", bigint(state.segment));
            if let Err(error) = self.write(Cql::TailSet, hint).await {
                tracing::warn!(%error, "could not record the event log's segment hint");
            }
        }
    }

    /// Rewrites the `event_positions` rows of the log entries in (`after`, `up_to`].
    async fn write_positions(
        &self,
        segment: i64,
        after: i64,
        up_to: i64,
    ) -> Result<(), StoreError> {
        let values = Values::new()
            .key("segment", bigint(segment))
            .key("position", bigint(after))
            .key("position", bigint(up_to));
        let mut entries = Vec::new();
        self.scan::<LogRow>(&self.statements.log_range, values, |row| {
            let (position, _, event) = row.into_entry()?;
            entries.push((position, event));
            Ok(ControlFlow::Continue(()))
        })
        .await?;
        self.record_positions(&entries).await
    }

    async fn record_positions(&self, entries: &[(i64, SlotEvent)]) -> Result<(), StoreError> {
        let mut by_partition: HashMap<PartitionKey, Vec<(Cql, Values)>> = HashMap::new();
        for (position, event) in entries {
            let partition = event.slot.partition();
            let insert = position_insert(&partition, event.seq, *position);
            by_partition.entry(partition).or_default().push(insert);
        }
        for writes in by_partition.into_values() {
            self.write_batch(writes).await?;
        }
        Ok(())
    }

    /// Each registered partition's events not yet in the log, merged, at most `room`.
    async fn collect(
        &self,
        registrations: &[Registration],
        room: usize,
    ) -> Result<Collected, StoreError> {
        let mut seen = HashSet::new();
        let mut queues = Vec::new();
        let mut truncated = HashSet::new();
        for registration in registrations {
            let partition = &registration.partition;
            if !seen.insert(partition.clone()) {
                continue;
            }
            let progress = self
                .select_one::<SequencedRow>(
                    &self.statements.sequenced_up_to,
                    Values::new().partition(partition),
                )
                .await?
                .map_or(0, |row| row.seq);
            let values = Values::new()
                .partition(partition)
                .key("row_kind", text(RowKind::Event.name()))
                .key("seq", bigint(progress));
            // One more than fits tells whether the partition has more than this round takes.
            let rows = self
                .select::<EventRow>(&self.statements.events_after_seq, values, room + 1)
                .await?;
            let mut queue = VecDeque::new();
            for (expected, row) in (progress + 1..).zip(rows) {
                if row.seq != expected {
                    // A hole can only be a seq whose event is not readable yet; stop before it
                    // so nothing after it is sequenced first.
                    tracing::warn!(%partition, seq = expected, "event missing; sequencing stops before it");
                    truncated.insert(partition.clone());
                    break;
                }
                queue.push_back(row.into_event(&partition.clinic_id)?);
            }
            if queue.len() > room {
                queue.truncate(room);
                truncated.insert(partition.clone());
            }
            queues.push((partition.clone(), queue));
        }
        let (entries, emptied) = merge(queues, room);
        let complete = emptied
            .into_iter()
            .filter(|partition| !truncated.contains(partition))
            .collect();
        Ok(Collected { entries, complete })
    }

    /// One sequencing pass: copies every registered partition's new events into the log and
    /// forgets registrations that are done. Returns the log's tail after it.
    async fn sequence(&self) -> Result<Tail, StoreError> {
        let mut state = self.sequencer.lock().await;
        let pass_started = now_micros();
        let registrations = self.registrations().await?;
        let mut tail = self.read_tail(&mut state).await?;
        if registrations.is_empty() && tail.confirmed == tail.head {
            return Ok(tail);
        }
        let mut drained: HashSet<PartitionKey> = HashSet::new();
        // Positions this pass wrote itself: (tail.confirmed, written_through] need no rewrite.
        let mut written_through = tail.confirmed;
        for round in 0..MAX_ROUNDS {
            if round > 0 {
                tail = self.read_tail(&mut state).await?;
            }
            let from = if (tail.confirmed..=tail.head).contains(&written_through) {
                written_through
            } else {
                tail.confirmed
            };
            if from < tail.head {
                self.write_positions(tail.segment, from, tail.head).await?;
            }
            written_through = tail.head;
            let collected = self.collect(&registrations, tail.room()).await?;
            if collected.entries.is_empty() && tail.confirmed == tail.head {
                drained.extend(collected.complete);
                break;
            }
            let everything = collected.complete.len()
                == registrations
                    .iter()
                    .map(|r| &r.partition)
                    .collect::<HashSet<_>>()
                    .len();
            match self.cas(append_plan(&tail, &collected.entries)).await {
                Ok(reply) if reply.applied => {
                    let entries: Vec<(i64, SlotEvent)> =
                        (tail.head + 1..).zip(collected.entries).collect();
                    tail.head += i64::try_from(entries.len()).unwrap_or(0);
                    match self.record_positions(&entries).await {
                        Ok(()) => written_through = tail.head,
                        // The next round (or pass) rewrites them from the log.
                        Err(error) => {
                            tracing::warn!(%error, "could not record event positions yet")
                        }
                    }
                    drained.extend(collected.complete);
                    if everything && entries.is_empty() {
                        break;
                    }
                }
                // Another sequencer appended first, or the outcome is unknown: the next round
                // reads the tail serially and carries on from whatever is there.
                Ok(_) => {}
                Err(error) if is_unknown_outcome(&error) => {}
                Err(error) => return Err(error),
            }
        }
        self.forget_registrations(&registrations, &drained, pass_started)
            .await;
        Ok(tail)
    }

    /// Deletes registrations of drained partitions whose writers must have finished.
    async fn forget_registrations(
        &self,
        registrations: &[Registration],
        drained: &HashSet<PartitionKey>,
        pass_started: i64,
    ) {
        let lease = i64::try_from(self.write_lease.as_micros()).unwrap_or(i64::MAX);
        let finished_before = pass_started.saturating_sub(lease);
        for registration in registrations {
            let Some(written) = registration.written_micros else {
                continue;
            };
            if written >= finished_before || !drained.contains(&registration.partition) {
                continue;
            }
            let values = Values::new()
                .timestamp(written)
                .key("shard", scylla::value::CqlValue::Int(registration.shard))
                .key("clinic_id", text(registration.partition.clinic_id.as_str()))
                .key("day", day(registration.partition.day));
            if let Err(error) = self.write(Cql::PendingDelete, values).await {
                tracing::debug!(%error, "could not forget a registration; the next pass will");
            }
        }
    }

    /// Sequences, falling back to the tail as it is when sequencing cannot run now (another
    /// process is sequencing, or the cluster is busy): readers then see what is already in the
    /// log, which is never wrong, only possibly not the newest.
    async fn sequenced_tail(&self) -> Result<Tail, StoreError> {
        match self.sequence().await {
            Ok(tail) => Ok(tail),
            Err(error) if error.is_retryable() => {
                tracing::debug!(%error, "sequencing deferred");
                let mut state = self.sequencer.lock().await;
                self.read_tail(&mut state).await
            }
            Err(error) => Err(error),
        }
    }

    pub(crate) async fn read_events_after(
        &self,
        cursor: &EventCursor,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let after = decode_cursor(self.store_id, cursor)?;
        let tail = self.sequenced_tail().await?;
        if after > tail.head {
            // Issued by a store that has since lost events or was replaced: resuming from it
            // would silently skip what comes next.
            return Err(StoreError::InvalidCursor(cursor.as_str().to_string()));
        }
        let mut events = Vec::new();
        let mut position = after;
        while events.len() < limit && position < tail.head {
            let segment = segment_of(position + 1);
            let values = Values::new()
                .key("segment", bigint(segment))
                .key("position", bigint(position));
            let rows = self
                .select::<LogRow>(&self.statements.log_after, values, limit - events.len())
                .await?;
            if rows.is_empty() {
                // Entries are written with the head that covers them, so this is a damaged log.
                return Err(StoreError::Corrupt(format!(
                    "event log position {} is missing below head {}",
                    position + 1,
                    tail.head
                )));
            }
            for row in rows {
                let (entry_position, _, event) = row.into_entry()?;
                if entry_position > tail.head {
                    return Ok(events);
                }
                position = entry_position;
                events.push(StoredEvent {
                    cursor: encode_cursor(self.store_id, entry_position),
                    event,
                });
            }
        }
        Ok(events)
    }

    pub(crate) async fn poll_for_events(&self, cursor: &EventCursor, max_wait: Duration) {
        let Ok(after) = decode_cursor(self.store_id, cursor) else {
            // events_after reports the bad cursor; do not make the caller wait for it.
            return;
        };
        let deadline = Instant::now() + max_wait;
        loop {
            match self.sequenced_tail().await {
                Ok(tail) if tail.head > after => return,
                Ok(_) => {}
                Err(error) => tracing::debug!(%error, "polling for events"),
            }
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            tokio::time::sleep(self.event_poll_interval.min(deadline - now)).await;
        }
    }

    pub(crate) async fn newest_cursor(&self) -> Result<EventCursor, StoreError> {
        let tail = self.sequenced_tail().await?;
        Ok(if tail.head == 0 {
            EventCursor::beginning()
        } else {
            encode_cursor(self.store_id, tail.head)
        })
    }
}

#[cfg(test)]
mod tests {
    use dentismile_domain::{
        event::SlotEventKind,
        ids::{ClinicId, DentistId, EventId},
        jiff::Timestamp,
        slot::SlotKey,
        time::LocalDay,
    };

    use super::*;
    use crate::scylla::statements::bind_markers;

    fn event(clinic: &str, start: &str, seq: u64, at: &str) -> SlotEvent {
        let start: Timestamp = start.parse().unwrap();
        SlotEvent {
            event_id: EventId::random(),
            seq,
            kind: SlotEventKind::Published,
            slot: SlotKey::new(
                ClinicId::parse(clinic).unwrap(),
                DentistId::parse("dr-a").unwrap(),
                start,
            )
            .unwrap(),
            slot_end: start + dentismile_domain::jiff::SignedDuration::from_mins(30),
            occurred_at: at.parse().unwrap(),
        }
    }

    #[test]
    fn segments_hold_consecutive_positions() {
        assert_eq!(segment_of(0), 0);
        assert_eq!(segment_of(1), 0);
        assert_eq!(segment_of(SEGMENT_SIZE), 0);
        assert_eq!(segment_of(SEGMENT_SIZE + 1), 1);
        assert_eq!(segment_base(1), SEGMENT_SIZE);
        assert_eq!(segment_end(1), 2 * SEGMENT_SIZE);
        let fresh = Tail::of(3, None);
        assert_eq!(
            (fresh.head, fresh.confirmed, fresh.stored_head),
            (3 * SEGMENT_SIZE, 3 * SEGMENT_SIZE, None)
        );
        assert_eq!(fresh.room(), MAX_APPEND);
        let full = Tail::of(
            0,
            Some(SegmentHeadRow {
                head: Some(SEGMENT_SIZE),
                confirmed: Some(SEGMENT_SIZE - 5),
            }),
        );
        assert!(
            !full.is_closed(),
            "a full segment closes once its positions are confirmed"
        );
        assert_eq!(full.room(), 0);
        let closed = Tail {
            confirmed: SEGMENT_SIZE,
            ..full
        };
        assert!(closed.is_closed());
    }

    #[test]
    fn shards_are_stable_and_in_range() {
        let partition = PartitionKey {
            clinic_id: ClinicId::parse("majorna").unwrap(),
            day: LocalDay::parse("2026-03-29").unwrap(),
        };
        let shard = shard_of(&partition);
        assert!((0..SHARDS).contains(&shard));
        // FNV-1a is fixed: the same partition maps to the same shard in every build.
        assert_eq!(shard, shard_of(&partition.clone()));
        let spread: HashSet<i32> = (1..=28)
            .map(|d| {
                shard_of(&PartitionKey {
                    day: LocalDay::parse(&format!("2026-02-{d:02}")).unwrap(),
                    ..partition.clone()
                })
            })
            .collect();
        assert!(spread.len() > SHARDS as usize / 2, "{spread:?}");
    }

    #[test]
    fn merging_keeps_each_partition_in_seq_order() {
        let a1 = event(
            "clinic-a",
            "2026-11-25T08:00:00Z",
            1,
            "2026-11-24T10:00:00Z",
        );
        let a2 = event(
            "clinic-a",
            "2026-11-25T09:00:00Z",
            2,
            "2026-11-24T09:00:00Z",
        );
        let b1 = event(
            "clinic-b",
            "2026-11-25T08:00:00Z",
            1,
            "2026-11-24T09:30:00Z",
        );
        let queues = vec![
            (
                a1.slot.partition(),
                VecDeque::from([a1.clone(), a2.clone()]),
            ),
            (b1.slot.partition(), VecDeque::from([b1.clone()])),
        ];
        let (merged, emptied) = merge(queues.clone(), 10);
        // b1 is earlier than a1; a2 is earlier than both but must follow a1.
        assert_eq!(merged, [b1.clone(), a1.clone(), a2.clone()]);
        assert_eq!(emptied.len(), 2);
        let (merged, emptied) = merge(queues, 2);
        assert_eq!(merged, [b1.clone(), a1.clone()]);
        assert_eq!(emptied, HashSet::from([b1.slot.partition()]));
    }

    #[test]
    fn appends_bind_every_marker_in_order() {
        let tail = Tail::of(0, None);
        let entries = [
            event(
                "clinic-a",
                "2026-11-25T08:00:00Z",
                1,
                "2026-11-24T10:00:00Z",
            ),
            event(
                "clinic-a",
                "2026-11-25T09:00:00Z",
                2,
                "2026-11-24T10:00:00Z",
            ),
        ];
        let plan = append_plan(&tail, &entries);
        assert_eq!(plan.len(), 3);
        for (cql, values) in &plan {
            assert_eq!(bind_markers(cql.text()), values.names(), "{cql:?}");
        }
        // The segment moves from "never written" (null) to head 2, confirmed up to 0.
        let segment = plan[0].1.clone().into_cql();
        assert_eq!(segment[0], Some(bigint(2)));
        assert_eq!(segment[1], Some(bigint(0)));
        assert_eq!(segment[3], None);
        let second = plan[2].1.clone().into_cql();
        assert_eq!(second[1], Some(bigint(2)), "positions follow the head");
        let (cql, values) = position_insert(&entries[0].slot.partition(), 1, 1);
        assert_eq!(bind_markers(cql.text()), values.names());
    }
}
