//! What a run found, as JSON (for scripts and the CI smoke test) and as Markdown (for people
//! and BENCHMARKS.md).

use std::{collections::BTreeMap, fmt::Write as _};

use serde::{Deserialize, Serialize};

use crate::stats::{Row, table};

/// The consistency block: every number must be 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consistency {
    /// Confirmed bookings checked.
    pub confirmed_bookings: u64,
    /// Slots that two different bookings were confirmed for, or that the event log announced
    /// as booked twice without a release between.
    pub slots_booked_twice: u64,
    /// Confirmed bookings the store does not hold (the slot is not booked by that appointment).
    pub confirmed_missing_from_store: u64,
    /// Confirmed bookings whose `booked` event never reached the booking patient's own
    /// subscription.
    pub booked_events_never_received_by_patient: u64,
    /// Confirmed bookings whose `booked` event never reached the independent monitor.
    pub booked_events_never_received_by_monitor: u64,
    /// Contention mode: raced slots that every racer was told were taken, yet nobody got.
    pub raced_slots_without_winner: u64,
}

impl Consistency {
    /// Whether every check passed.
    pub fn clean(&self) -> bool {
        self.slots_booked_twice == 0
            && self.confirmed_missing_from_store == 0
            && self.booked_events_never_received_by_patient == 0
            && self.booked_events_never_received_by_monitor == 0
            && self.raced_slots_without_winner == 0
    }
}

/// One target of the issue and whether this run met it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    /// What.
    pub name: String,
    /// The measured value.
    pub measured: f64,
    /// The bound.
    pub bound: f64,
    /// Whether it was met.
    pub met: bool,
}

/// Everything a run found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// The run's name, e.g. `embedded broker, 1000 users`.
    pub name: String,
    /// When it ran (UTC).
    pub date: String,
    /// Settings, as `flag: value`.
    pub settings: BTreeMap<String, String>,
    /// The plan's rows: MQTT Connect, Subscribe, Login, List slots, Book, publish-to-receive.
    pub rows: Vec<Row>,
    /// Baselines and the saturated booking phase.
    pub baselines: Vec<Row>,
    /// Saturated booking throughput ÷ gRPC echo throughput, same concurrency and connections.
    pub booking_to_echo_ratio: f64,
    /// The plan's booking throughput ÷ gRPC echo throughput (arrival-limited by the ramp).
    pub plan_booking_to_echo_ratio: f64,
    /// Most MQTT connections of virtual patients open at the same moment.
    pub peak_mqtt_connections: u64,
    /// MQTT messages delivered to the virtual patients.
    pub mqtt_messages_to_patients: u64,
    /// The same, per second of the plan.
    pub mqtt_messages_per_second: f64,
    /// Worker processes used.
    pub processes: u64,
    /// Bookings confirmed / lost races / failed, in the plan.
    pub plan_bookings: BookingCounts,
    /// Failed samples in the plan's rows.
    pub plan_errors: u64,
    /// Failed samples in the saturated phase and the baselines.
    pub other_errors: u64,
    /// Distinct error messages by label, with counts.
    pub error_messages: BTreeMap<String, BTreeMap<String, u64>>,
    /// The consistency block.
    pub consistency: Consistency,
    /// The targets.
    pub targets: Vec<Target>,
}

/// How the plan's bookings ended.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BookingCounts {
    /// Confirmed.
    pub confirmed: u64,
    /// Lost a race (contention mode).
    pub lost_races: u64,
    /// Failed otherwise.
    pub failed: u64,
    /// Never attempted.
    pub not_attempted: u64,
}

impl Report {
    /// As Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {}\n", self.name);
        let _ = writeln!(out, "Run at {} (UTC).", self.date);
        let settings: Vec<String> = self
            .settings
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(out, "Settings: `{}`.\n", settings.join(" "));
        out.push_str(&table(&self.rows));
        let _ = writeln!(
            out,
            "\nPeak concurrent MQTT connections of virtual patients: {} (in {} worker process{}). \
             MQTT messages delivered to them: {} ({:.0}/s over the plan).",
            self.peak_mqtt_connections,
            self.processes,
            if self.processes == 1 { "" } else { "es" },
            self.mqtt_messages_to_patients,
            self.mqtt_messages_per_second
        );
        let b = &self.plan_bookings;
        let _ = writeln!(
            out,
            "Bookings: {} confirmed, {} lost races, {} failed, {} not attempted; {} failed samples in the plan.\n",
            b.confirmed, b.lost_races, b.failed, b.not_attempted, self.plan_errors
        );
        let _ = writeln!(out, "Baselines and saturated booking (same run):\n");
        out.push_str(&table(&self.baselines));
        let _ = writeln!(
            out,
            "\nSaturated booking throughput ÷ gRPC echo ceiling: **{:.1}%** (the plan's own booking rate, limited by the ramp: {:.2}% of it).\n",
            100.0 * self.booking_to_echo_ratio,
            100.0 * self.plan_booking_to_echo_ratio
        );
        let c = &self.consistency;
        let _ = writeln!(
            out,
            "Consistency ({} confirmed bookings checked against the store and the event stream):\n",
            c.confirmed_bookings
        );
        let _ = writeln!(out, "| check | count |\n| --- | ---: |");
        let _ = writeln!(out, "| slots booked twice | {} |", c.slots_booked_twice);
        let _ = writeln!(
            out,
            "| confirmed bookings missing from the store | {} |",
            c.confirmed_missing_from_store
        );
        let _ = writeln!(
            out,
            "| booked events never received (booking patient) | {} |",
            c.booked_events_never_received_by_patient
        );
        let _ = writeln!(
            out,
            "| booked events never received (independent monitor) | {} |",
            c.booked_events_never_received_by_monitor
        );
        let _ = writeln!(
            out,
            "| raced slots nobody got | {} |",
            c.raced_slots_without_winner
        );
        let _ = writeln!(out, "\nTargets:\n");
        for target in &self.targets {
            let _ = writeln!(
                out,
                "- {}: {:.2} (bound {:.2}) — {}",
                target.name,
                target.measured,
                target.bound,
                if target.met { "met" } else { "MISSED" }
            );
        }
        if !self.error_messages.is_empty() {
            let _ = writeln!(out, "\nErrors by label:\n");
            for (label, kinds) in &self.error_messages {
                for (message, count) in kinds {
                    let _ = writeln!(out, "- {label}: {count} × {message}");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_violation_makes_the_block_unclean() {
        let mut consistency = Consistency::default();
        assert!(consistency.clean());
        consistency.booked_events_never_received_by_monitor = 1;
        assert!(!consistency.clean());
        let report = Report {
            consistency,
            ..Report::default()
        };
        let text = report.markdown();
        assert!(text.contains("| booked events never received (independent monitor) | 1 |"));
        let json = serde_json::to_string(&report).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back.consistency, report.consistency);
    }
}
