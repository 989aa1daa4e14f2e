//! Dialogs: the booking confirmation, its outcome (confirmed, or taken with the nearest
//! alternatives), and the cancellation with its reason.

use dentismile_client::pb;
use dentismile_domain::jiff::SignedDuration;
use ratatui::{
    buffer::Buffer,
    layout::Rect,
    style::Style,
    text::{Line, Span},
    widgets::{Block, Clear, Paragraph, Widget, Wrap},
};

use super::{bad, bold, dim, fit, good, selected};
use crate::{
    app::{App, Dialog, Slot, appointment_times},
    layout, local_time,
};

/// How long before the start patients may still cancel (the server's rule, shown as a hint).
const CUTOFF: SignedDuration = SignedDuration::from_hours(24);

fn keys(pairs: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, (key, what)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("   "));
        }
        spans.push(Span::styled(key.to_string(), bold()));
        spans.push(Span::raw(format!(" {what}")));
    }
    Line::from(spans)
}

fn slot_lines(app: &App, slot: &Slot) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        app.clinic_name(&slot.clinic_id).to_string(),
        bold(),
    )];
    if let Some(clinic) = app.clinic(&slot.clinic_id) {
        lines.push(Line::styled(clinic.address.clone(), dim()));
    }
    lines.push(Line::raw(format!(
        "{} (Gothenburg time)",
        local_time::span(slot.start, slot.end)
    )));
    lines
}

fn text_field(label: &str, value: &str, width: usize) -> Line<'static> {
    let room = width.saturating_sub(label.chars().count() + 2);
    let count = value.chars().count();
    let shown: String = value.chars().skip(count.saturating_sub(room)).collect();
    Line::from(vec![
        Span::styled(label.to_string(), bold()),
        Span::raw(shown),
        Span::styled("▏", bold()),
    ])
}

fn appointment_lines(appointment: &pb::Appointment) -> Vec<Line<'static>> {
    let when = appointment_times(appointment)
        .map(|(s, e)| format!("{} (Gothenburg time)", local_time::span(s, e)))
        .unwrap_or_default();
    vec![
        Line::styled(appointment.clinic_name.clone(), bold()),
        Line::raw(when),
        Line::raw(format!("with {}", appointment.dentist_name)),
    ]
}

pub(super) fn render(app: &App, dialog: &Dialog, area: Rect, buf: &mut Buffer) {
    let width = 64;
    let inner_width = usize::from(layout::centered(area, width, 10).width).saturating_sub(4);
    let (title, title_style, lines): (String, Style, Vec<Line<'static>>) = match dialog {
        Dialog::ConfirmBooking {
            choices,
            selected: chosen,
            note,
        } => {
            let mut lines = Vec::new();
            if let Some(slot) = choices.get(*chosen) {
                lines.extend(slot_lines(app, slot));
            }
            if choices.len() > 1 {
                lines.push(Line::styled("Dentist (↑↓ to choose):", dim()));
                for (i, slot) in choices.iter().enumerate() {
                    let name = app.dentist_name(&slot.clinic_id, &slot.dentist_id);
                    lines.push(if i == *chosen {
                        Line::styled(format!("▶ {name}"), selected())
                    } else {
                        Line::raw(format!("  {name}"))
                    });
                }
            } else if let Some(slot) = choices.first() {
                lines.push(Line::raw(format!(
                    "with {}",
                    app.dentist_name(&slot.clinic_id, &slot.dentist_id)
                )));
            }
            lines.push(Line::raw(""));
            lines.push(text_field("Note for the dentist: ", note, inner_width));
            lines.push(Line::raw(""));
            lines.push(keys(&[("Enter", "book it"), ("Esc", "don't")]));
            (" Book this appointment? ".into(), bold(), lines)
        }
        Dialog::Booking { slot } => {
            let mut lines = slot_lines(app, slot);
            lines.push(Line::raw(""));
            lines.push(Line::styled("Booking…", bold()));
            (" Booking ".into(), bold(), lines)
        }
        Dialog::Booked { appointment } => {
            let mut lines = vec![Line::styled(
                "✔ BOOKED — your appointment is confirmed",
                good(),
            )];
            lines.push(Line::raw(""));
            lines.extend(appointment_lines(appointment));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "It is under My appointments (4), where x saves it to your calendar.",
                dim(),
            ));
            lines.push(keys(&[("Enter/Esc", "close")]));
            (" ✔ Confirmed ".into(), good(), lines)
        }
        Dialog::Taken {
            slot,
            alternatives,
            selected: chosen,
        } => {
            let mut lines = vec![
                Line::styled("✘ TAKEN — someone else booked this slot first", bad()),
                Line::raw(format!(
                    "{} at {} is no longer free.",
                    local_time::span(slot.start, slot.end),
                    app.clinic_name(&slot.clinic_id)
                )),
                Line::raw(""),
            ];
            match alternatives {
                None => lines.push(Line::styled("Looking for the nearest free slots…", dim())),
                Some(found) if found.is_empty() => {
                    lines.push(Line::raw(
                        "No free slot nearby. e finds the earliest anywhere.",
                    ));
                    lines.push(Line::raw(""));
                    lines.push(keys(&[("Esc", "close")]));
                }
                Some(found) => {
                    lines.push(Line::styled("Nearest free alternatives:", bold()));
                    for (i, alternative) in found.iter().enumerate() {
                        let text = format!(
                            "{} {} · {}",
                            local_time::span(alternative.start, alternative.end),
                            app.dentist_name(&alternative.clinic_id, &alternative.dentist_id),
                            app.clinic_name(&alternative.clinic_id),
                        );
                        // One line each, so that the list reads as a list.
                        let text = fit(&text, inner_width.saturating_sub(2));
                        lines.push(if i == *chosen {
                            Line::styled(format!("▶ {text}"), selected())
                        } else {
                            Line::raw(format!("  {text}"))
                        });
                    }
                    lines.push(Line::raw(""));
                    lines.push(keys(&[
                        ("↑↓", "choose"),
                        ("Enter", "book it"),
                        ("Esc", "close"),
                    ]));
                }
            }
            (" ✘ Taken ".into(), bad(), lines)
        }
        Dialog::NotBooked { slot, message } => {
            let mut lines = vec![Line::styled("✘ NOT BOOKED", bad()), Line::raw("")];
            lines.extend(slot_lines(app, slot));
            lines.push(Line::raw(""));
            lines.push(Line::raw(message.clone()));
            lines.push(Line::raw(""));
            lines.push(keys(&[("Enter/Esc", "close")]));
            (" ✘ Not booked ".into(), bad(), lines)
        }
        Dialog::ConfirmCancel {
            appointment,
            reason,
        } => {
            let mut lines = appointment_lines(appointment);
            lines.push(Line::raw(""));
            if let Some((start, _)) = appointment_times(appointment) {
                let until = start - CUTOFF;
                let when = format!(
                    "{} {}",
                    local_time::day(dentismile_domain::time::LocalDay::of(until)),
                    local_time::time(until)
                );
                // A hint only: the server decides, and says so if it refuses.
                lines.push(if until > app.now {
                    Line::styled(
                        format!("Patients may cancel up to 24 hours before: until {when}."),
                        dim(),
                    )
                } else {
                    Line::styled(
                        format!(
                            "The 24-hour cutoff passed on {when}: the clinic will likely refuse. \
                             Call them instead."
                        ),
                        bold(),
                    )
                });
            }
            lines.push(text_field("Reason: ", reason, inner_width));
            lines.push(Line::raw(""));
            lines.push(keys(&[("Enter", "cancel it"), ("Esc", "keep it")]));
            (" Cancel this appointment? ".into(), bold(), lines)
        }
        Dialog::NotCancelled {
            appointment,
            message,
        } => {
            let mut lines = vec![Line::styled("✘ NOT CANCELLED — it still stands", bad())];
            lines.push(Line::raw(""));
            lines.extend(appointment_lines(appointment));
            lines.push(Line::raw(""));
            lines.push(Line::raw(message.clone()));
            lines.push(Line::raw(""));
            lines.push(keys(&[("Enter/Esc", "close")]));
            (" ✘ Not cancelled ".into(), bad(), lines)
        }
        Dialog::Cancelling { appointment } => {
            let mut lines = appointment_lines(appointment);
            lines.push(Line::raw(""));
            lines.push(Line::styled("Cancelling…", bold()));
            (" Cancelling ".into(), bold(), lines)
        }
    };
    // Wrapped lines take more rows; count them so that nothing is cut off.
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner_width.max(1)))
        .sum();
    let height = rows as u16 + 2;
    let place = layout::centered(area, width, height);
    Clear.render(place, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .title(Span::styled(title, title_style))
                .padding(ratatui::widgets::Padding::horizontal(1)),
        )
        .render(place, buf);
}
