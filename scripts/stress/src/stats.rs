//! Samples and the JMeter-style summary built from them.
//!
//! A sample is one timed operation: when it started (microseconds since the Unix epoch, so
//! samples from several processes line up), how long it took, and whether it succeeded. A
//! label's row is computed the way JMeter's Summary Report does: average, min, max and standard
//! deviation over every sample (failed ones too), error % as failed / all, and throughput as
//! samples per second from the first start to the last end of that label.

use std::{collections::BTreeMap, fmt::Write as _, time::SystemTime};

use serde::{Deserialize, Serialize};

/// Microseconds since the Unix epoch, now.
pub fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// One timed operation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Start, microseconds since the Unix epoch.
    pub start_us: i64,
    /// Duration in microseconds.
    pub elapsed_us: i64,
    /// Whether it succeeded.
    pub ok: bool,
}

/// Samples by label, plus the first few distinct error messages of each label.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Samples {
    /// Every sample, by label.
    pub by_label: BTreeMap<String, Vec<Sample>>,
    /// Distinct error messages by label (at most [`MAX_ERROR_KINDS`] each), with counts.
    pub errors: BTreeMap<String, BTreeMap<String, u64>>,
}

/// How many distinct error messages are kept per label.
pub const MAX_ERROR_KINDS: usize = 8;

impl Samples {
    /// Records a success.
    pub fn ok(&mut self, label: &str, start_us: i64, elapsed_us: i64) {
        self.push(label, start_us, elapsed_us, true);
    }

    /// Records a failure with its reason.
    pub fn failed(&mut self, label: &str, start_us: i64, elapsed_us: i64, reason: &str) {
        self.push(label, start_us, elapsed_us, false);
        let kinds = self.errors.entry(label.to_string()).or_default();
        if let Some(count) = kinds.get_mut(reason) {
            *count += 1;
        } else if kinds.len() < MAX_ERROR_KINDS {
            kinds.insert(reason.to_string(), 1);
        }
    }

    fn push(&mut self, label: &str, start_us: i64, elapsed_us: i64, ok: bool) {
        self.by_label
            .entry(label.to_string())
            .or_default()
            .push(Sample {
                start_us,
                elapsed_us,
                ok,
            });
    }

    /// Adds every sample and error of `other`.
    pub fn merge(&mut self, other: Samples) {
        for (label, samples) in other.by_label {
            self.by_label.entry(label).or_default().extend(samples);
        }
        for (label, kinds) in other.errors {
            let mine = self.errors.entry(label).or_default();
            for (reason, count) in kinds {
                if let Some(total) = mine.get_mut(&reason) {
                    *total += count;
                } else if mine.len() < MAX_ERROR_KINDS {
                    mine.insert(reason, count);
                }
            }
        }
    }

    /// The summary row of `label` (all zero when it has no samples).
    pub fn row(&self, label: &str) -> Row {
        Row::of(
            label,
            self.by_label.get(label).map_or(&[][..], Vec::as_slice),
        )
    }

    /// How many samples failed, over every label.
    pub fn error_count(&self) -> u64 {
        self.by_label
            .values()
            .flatten()
            .filter(|sample| !sample.ok)
            .count() as u64
    }
}

/// One line of the summary table. Times in milliseconds, throughput per second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// What was measured.
    pub label: String,
    /// How many samples.
    pub samples: u64,
    /// Mean duration.
    pub average_ms: f64,
    /// Shortest.
    pub min_ms: f64,
    /// Longest.
    pub max_ms: f64,
    /// Population standard deviation, as JMeter reports it.
    pub std_dev_ms: f64,
    /// Failed samples, percent.
    pub error_percent: f64,
    /// Samples per second, first start to last end.
    pub throughput_per_s: f64,
    /// Median (nearest rank).
    pub p50_ms: f64,
    /// 95th percentile (nearest rank).
    pub p95_ms: f64,
    /// 99th percentile (nearest rank).
    pub p99_ms: f64,
}

impl Row {
    /// The row over `samples`.
    pub fn of(label: &str, samples: &[Sample]) -> Self {
        let mut row = Self {
            label: label.to_string(),
            samples: samples.len() as u64,
            average_ms: 0.0,
            min_ms: 0.0,
            max_ms: 0.0,
            std_dev_ms: 0.0,
            error_percent: 0.0,
            throughput_per_s: 0.0,
            p50_ms: 0.0,
            p95_ms: 0.0,
            p99_ms: 0.0,
        };
        if samples.is_empty() {
            return row;
        }
        let mut elapsed: Vec<f64> = samples.iter().map(|s| s.elapsed_us as f64 / 1e3).collect();
        elapsed.sort_by(f64::total_cmp);
        let n = elapsed.len() as f64;
        let mean = elapsed.iter().sum::<f64>() / n;
        let variance = elapsed.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let first = samples.iter().map(|s| s.start_us).min().unwrap_or(0);
        let last = samples
            .iter()
            .map(|s| s.start_us + s.elapsed_us.max(0))
            .max()
            .unwrap_or(0);
        let failed = samples.iter().filter(|s| !s.ok).count() as f64;
        row.average_ms = mean;
        row.min_ms = elapsed[0];
        row.max_ms = elapsed[elapsed.len() - 1];
        row.std_dev_ms = variance.sqrt();
        row.error_percent = 100.0 * failed / n;
        // One instantaneous sample has no span; count it over a millisecond rather than divide
        // by zero.
        row.throughput_per_s = n / ((last - first).max(1_000) as f64 / 1e6);
        row.p50_ms = percentile(&elapsed, 50.0);
        row.p95_ms = percentile(&elapsed, 95.0);
        row.p99_ms = percentile(&elapsed, 99.0);
        row
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| Label | # Samples | Average (ms) | Min (ms) | Max (ms) | Std. Dev. (ms) | Error % | Throughput (/s) | p50 (ms) | p95 (ms) | p99 (ms) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2}% | {:.1} | {:.2} | {:.2} | {:.2} |",
            row.label,
            row.samples,
            row.average_ms,
            row.min_ms,
            row.max_ms,
            row.std_dev_ms,
            row.error_percent,
            row.throughput_per_s,
            row.p50_ms,
            row.p95_ms,
            row.p99_ms
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_computed_as_jmeter_does() {
        let samples: Vec<Sample> = (1..=100)
            .map(|i| Sample {
                start_us: i * 10_000,
                elapsed_us: i * 1_000,
                ok: i != 7,
            })
            .collect();
        let row = Row::of("Book", &samples);
        assert_eq!(row.samples, 100);
        assert!((row.average_ms - 50.5).abs() < 1e-9);
        assert_eq!(row.min_ms, 1.0);
        assert_eq!(row.max_ms, 100.0);
        assert!((row.std_dev_ms - 28.866).abs() < 1e-3);
        assert!((row.error_percent - 1.0).abs() < 1e-9);
        assert_eq!(row.p50_ms, 50.0);
        assert_eq!(row.p95_ms, 95.0);
        assert_eq!(row.p99_ms, 99.0);
        // First start 10 ms, last end 1000 ms + 100 ms: 100 samples in 1.09 s.
        assert!((row.throughput_per_s - 100.0 / 1.09).abs() < 1e-6);
    }

    #[test]
    fn merging_keeps_every_sample_and_counts_errors() {
        let mut a = Samples::default();
        a.ok("Book", 0, 10);
        a.failed("Book", 5, 10, "taken");
        let mut b = Samples::default();
        b.failed("Book", 7, 10, "taken");
        b.ok("List slots", 1, 1);
        a.merge(b);
        assert_eq!(a.row("Book").samples, 3);
        assert_eq!(a.errors["Book"]["taken"], 2);
        assert_eq!(a.error_count(), 2);
        assert_eq!(a.row("missing").samples, 0);
        assert!(table(&[a.row("Book")]).contains("| Book | 3 |"));
    }
}
