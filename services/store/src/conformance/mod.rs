//! The behaviour every store backend must show, written once against the domain's ports.
//!
//! A backend's integration test instantiates every case with [`conformance_tests!`], passing a
//! [`StoreFactory`] that makes a fresh, empty, migrated store per test (a temporary SQLite file,
//! a uniquely named ScyllaDB keyspace). A factory that cannot run here (no ScyllaDB configured)
//! returns `None` after printing why, and the case is skipped.
//!
//! Cases go through the ports directly where the port's contract is the point (races, typed
//! outcomes, the outbox) and through the domain's `Scheduler` where the rules on top are.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cases;
mod fixture;

pub use cases::*;
pub use fixture::{
    Fixture, StoreFactory, all_events, book_command, clinic, kinds_of, now, patient, today,
};

/// Generates one `#[tokio::test]` per conformance case, each with a fresh store from
/// `$factory` (an expression of a type implementing [`StoreFactory`]).
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@cases $factory;
            directory_round_trips,
            publish_is_atomic_and_idempotent,
            concurrent_bookings_have_one_winner_per_slot,
            retries_with_the_same_key_return_the_same_appointment,
            cancelled_slot_can_be_booked_again,
            upcoming_appointments_page_past_cancelled_ones,
            only_free_slots_can_be_withdrawn,
            event_cursor_resumes_without_gaps_or_repeats,
            event_waiters_wake_on_commit,
            bad_input_is_rejected_and_changes_nothing,
            listings_page_in_partition_order,
            cancellation_rules,
            schedules_show_patients_to_their_clinic_only,
            working_plans_publish_idempotently,
            earliest_free_slots_span_clinics,
            accounts_are_unique_by_email,
            refresh_tokens_rotate_and_detect_reuse,
            latest_cursor_skips_to_new_events,
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let factory = $factory;
                $crate::conformance::$case(&factory).await;
            }
        )*
    };
}
