//! The operations tab: the gateway's live figures, its components' health and the MQTT bridge.

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
    widgets::{Sparkline, Widget},
};

use super::{fit, pad, put, wrap};
use crate::{
    app::{App, Sample},
    local_time::{clock_seconds, from_wire},
    theme::Theme,
};

/// Which figure of a sample a sparkline draws.
type Pick = fn(&Sample) -> f64;

pub(super) fn render(app: &App, body: Rect, buf: &mut Buffer, theme: Theme) {
    let operations = &app.operations;
    let width = usize::from(body.width);
    let mut y = body.y;
    let mut line = |buf: &mut Buffer, line: Line<'_>| {
        if y < body.bottom() {
            put(buf, Rect::new(body.x, y, body.width, 1), &line);
        }
        y += 1;
        y - 1
    };
    let as_of = operations
        .status
        .as_ref()
        .and_then(|s| from_wire(s.as_of.as_ref()))
        .map(|t| format!("as of {}", clock_seconds(t)))
        .unwrap_or_default();
    line(
        buf,
        Line::from(vec![
            Span::styled(
                " Operations · the system as the gateway sees it ",
                theme.title(),
            ),
            Span::styled(as_of, theme.dim()),
        ]),
    );
    if let Some(problem) = &operations.problem {
        for part in wrap(&format!("✗ {problem}"), width.saturating_sub(2)) {
            line(buf, Line::styled(format!(" {part}"), theme.error()));
        }
    }
    let Some(status) = &operations.status else {
        if operations.problem.is_none() {
            line(buf, Line::styled(" Reading the figures…", theme.dim()));
        }
        return;
    };
    line(
        buf,
        Line::styled(" Traffic over the last 10 seconds", theme.title()),
    );
    let spark_x = body.x + 30;
    let spark_width = body.width.saturating_sub(31);
    let figures: [(&str, String, Pick); 3] = [
        (
            "Requests/s",
            format!("{:>8.1}", status.requests_per_second),
            |s| s.requests,
        ),
        (
            "Bookings/s",
            format!("{:>8.1}", status.bookings_per_second),
            |s| s.bookings,
        ),
        (
            "Errors/s",
            format!("{:>8.1}", status.errors_per_second),
            |s| s.errors,
        ),
    ];
    for (label, value, pick) in figures {
        let style = if label == "Errors/s" && status.errors_per_second > 0.0 {
            theme.error()
        } else {
            theme.text()
        };
        let row = line(
            buf,
            Line::from(vec![
                Span::styled(format!("   {}", pad(label, 16)), theme.dim()),
                Span::styled(value, style),
            ]),
        );
        if row < body.bottom() && spark_width > 4 {
            // Tenths, so rates below one per second still show.
            let data: Vec<u64> = operations
                .history
                .iter()
                .rev()
                .take(usize::from(spark_width))
                .rev()
                .map(|s| (pick(s) * 10.0).round().max(0.0) as u64)
                .collect();
            Sparkline::default()
                .data(data)
                .style(if label == "Errors/s" {
                    theme.error()
                } else {
                    theme.good()
                })
                .render(Rect::new(spark_x, row, spark_width, 1), buf);
        }
    }
    line(
        buf,
        Line::from(vec![
            Span::styled(format!("   {}", pad("p99 latency", 16)), theme.dim()),
            Span::styled(format!("{:>8.1} ms", status.p99_latency_ms), theme.text()),
        ]),
    );
    line(
        buf,
        Line::styled(
            fit(
                &format!(
                    "   Since the gateway started: {} requests · {} bookings · {} errors",
                    status.requests_total, status.bookings_total, status.errors_total
                ),
                width,
            ),
            theme.dim(),
        ),
    );
    line(buf, Line::styled(" Components", theme.title()));
    if status.components.is_empty() {
        line(buf, Line::styled("   none reported", theme.dim()));
    }
    for component in &status.components {
        let (mark, state, style) = if component.serving {
            ("●", "serving", theme.good())
        } else {
            ("✗", "NOT SERVING", theme.error())
        };
        line(
            buf,
            Line::from(vec![
                Span::styled(format!("   {mark} "), style),
                Span::styled(pad(&component.name, 14), theme.text()),
                Span::styled(pad(state, 13), style),
                Span::styled(
                    fit(&component.address, width.saturating_sub(32)),
                    theme.dim(),
                ),
            ]),
        );
        if !component.serving && !component.detail.is_empty() {
            line(
                buf,
                Line::styled(
                    fit(&format!("     {}", component.detail), width),
                    theme.error(),
                ),
            );
        }
    }
    line(buf, Line::styled(" MQTT bridge", theme.title()));
    if status.brokers.is_empty() {
        line(
            buf,
            Line::styled("   publishes to no broker (MQTT is off)", theme.dim()),
        );
    }
    for broker in &status.brokers {
        let (mark, state, style) = if broker.connected {
            ("●", "connected", theme.good())
        } else {
            ("✗", "DISCONNECTED", theme.error())
        };
        line(
            buf,
            Line::from(vec![
                Span::styled(format!("   {mark} "), style),
                Span::styled(format!("{} ", broker.address), theme.text()),
                Span::styled(format!("{state} "), style),
                Span::styled(
                    fit(
                        &format!(
                            "· lag {:.2} s · {} acked · {} in flight",
                            broker.lag_seconds, broker.events_acknowledged, broker.events_in_flight
                        ),
                        width.saturating_sub(broker.address.chars().count() + 18),
                    ),
                    theme.dim(),
                ),
            ]),
        );
    }
}
