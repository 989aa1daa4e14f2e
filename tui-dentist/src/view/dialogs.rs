//! Dialogs over the main screen, and the help overlay.

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, BorderType, Clear, Widget},
};

use super::{fit, pad, put, wrap};
use crate::{
    app::{App, Dialog},
    keys::HELP,
    layout::centered,
    local_time::{clock, day_label, period},
    schedule::{Entry, EntryState},
    theme::Theme,
};

/// Draws a framed box titled `title` in the middle of `area` holding `lines`.
fn framed(
    area: Rect,
    buf: &mut Buffer,
    theme: Theme,
    title: &str,
    lines: Vec<Line<'_>>,
    width: u16,
) {
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let rect = centered(area, width.min(area.width.saturating_sub(2)), height);
    Clear.render(rect, buf);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.accent())
        .title(Line::styled(format!(" {title} "), theme.title()));
    let inner = block.inner(rect);
    block.render(rect, buf);
    for (y, line) in (inner.y..inner.bottom()).zip(lines) {
        put(
            buf,
            Rect::new(inner.x + 1, y, inner.width.saturating_sub(2), 1),
            &line,
        );
    }
}

fn input<'a>(label: &str, value: &str, theme: Theme, width: usize) -> Line<'a> {
    let shown = fit(
        &format!("{value}▏"),
        width.saturating_sub(label.chars().count() + 1),
    );
    Line::from(vec![
        Span::styled(format!("{label} "), theme.dim()),
        Span::styled(shown, theme.selected()),
    ])
}

fn hint<'a>(text: &str, theme: Theme) -> Line<'a> {
    Line::styled(text.to_string(), theme.dim())
}

fn who(entry: &Entry) -> (String, String) {
    match &entry.state {
        EntryState::Booked {
            patient_name,
            reason,
            ..
        } => (patient_name.clone(), reason.clone()),
        _ => (String::new(), String::new()),
    }
}

pub(super) fn render(app: &App, dialog: &Dialog, area: Rect, buf: &mut Buffer, theme: Theme) {
    let width: u16 = if area.width >= 100 { 84 } else { 72 };
    let inner = usize::from(width.min(area.width.saturating_sub(2))).saturating_sub(4);
    let when = |e: &Entry| format!("{} {}", day_label(e.day), period(e.start, e.end));
    match dialog {
        Dialog::Cancel { entry, reason } => {
            let (patient, note) = who(entry);
            let mut lines = vec![Line::from(vec![
                Span::styled(patient, theme.booked()),
                Span::styled(format!(" · {}", when(entry)), theme.text()),
            ])];
            if !note.is_empty() {
                lines.push(Line::styled(fit(&format!("“{note}”"), inner), theme.dim()));
            }
            lines.extend([
                Line::raw(""),
                hint("Why? The patient is told the reason.", theme),
                input("Reason:", reason, theme, inner),
                Line::raw(""),
                hint("Enter cancels the appointment · Esc keeps it", theme),
            ]);
            framed(area, buf, theme, "Cancel the appointment", lines, width);
        }
        Dialog::Withdraw { entry } => {
            let lines = vec![
                Line::styled(
                    format!("Withdraw the free slot {}?", when(entry)),
                    theme.text(),
                ),
                hint(
                    "Patients can no longer book it; a publishes it again.",
                    theme,
                ),
                Line::raw(""),
                hint("y or Enter withdraws · n or Esc keeps it", theme),
            ];
            framed(area, buf, theme, "Withdraw a slot", lines, width);
        }
        Dialog::Republish { entry } => {
            let lines = vec![
                Line::styled(format!("Publish {} again?", when(entry)), theme.text()),
                hint("It becomes free and bookable.", theme),
                Line::raw(""),
                hint("y or Enter publishes · n or Esc keeps it withdrawn", theme),
            ];
            framed(area, buf, theme, "Publish a withdrawn slot", lines, width);
        }
        Dialog::AddSlot {
            day,
            start,
            minutes,
            field,
            error,
        } => {
            let field_line = |label: &str, value: &str, focused: bool| {
                let value = if focused {
                    format!("{value}▏")
                } else {
                    value.to_string()
                };
                Line::from(vec![
                    Span::styled(pad(label, 9), theme.dim()),
                    Span::styled(
                        pad(&value, 8),
                        if focused {
                            theme.selected()
                        } else {
                            theme.text()
                        },
                    ),
                ])
            };
            let mut lines = vec![
                Line::styled(
                    format!("A new free slot on {}", day_label(*day)),
                    theme.text(),
                ),
                Line::raw(""),
                field_line("Start", start, *field == 0),
                field_line("Minutes", minutes, *field == 1),
                Line::raw(""),
            ];
            match error {
                Some(error) => lines.push(Line::styled(
                    fit(&format!("✗ {error}"), inner),
                    theme.error(),
                )),
                None => lines.push(hint(
                    "Checked against opening hours and the day's slots first.",
                    theme,
                )),
            }
            lines.push(hint("Enter publishes · Tab next field · Esc closes", theme));
            framed(area, buf, theme, "Add a slot", lines, width);
        }
        Dialog::ClearDay {
            day,
            dentist_id,
            bookings,
            free,
            reason,
        } => {
            let mut lines = vec![
                Line::styled(
                    fit(
                        &format!("{}, {}:", day_label(*day), app.dentist_name(dentist_id)),
                        inner,
                    ),
                    theme.title(),
                ),
                Line::styled(
                    fit(
                        &format!(
                            "cancels {} {} and withdraws {} free {}, in one step.",
                            bookings.len(),
                            if bookings.len() == 1 {
                                "appointment"
                            } else {
                                "appointments"
                            },
                            free.len(),
                            if free.len() == 1 { "slot" } else { "slots" }
                        ),
                        inner,
                    ),
                    theme.text(),
                ),
                Line::raw(""),
            ];
            if bookings.is_empty() {
                lines.push(hint("No patient is affected.", theme));
            } else {
                lines.push(Line::styled("Patients affected:", theme.title()));
                let room = usize::from(area.height.saturating_sub(15)).max(1);
                for entry in bookings.iter().take(room) {
                    let (patient, note) = who(entry);
                    let note = if note.is_empty() {
                        String::new()
                    } else {
                        format!(" · “{note}”")
                    };
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {} ", clock(entry.start)), theme.text()),
                        Span::styled(patient, theme.booked()),
                        Span::styled(fit(&note, inner.saturating_sub(30)), theme.dim()),
                    ]));
                }
                if bookings.len() > room {
                    lines.push(hint(
                        &format!("  and {} more", bookings.len() - room),
                        theme,
                    ));
                }
                lines.push(Line::raw(""));
                lines.push(input("Reason told to every patient:", reason, theme, inner));
            }
            lines.push(Line::raw(""));
            lines.push(hint(
                "Enter makes the day unavailable · Esc keeps it",
                theme,
            ));
            framed(area, buf, theme, "Make the day unavailable", lines, width);
        }
        Dialog::ImportPath { path } => {
            let lines = vec![
                hint(
                    "Columns: dentistId,clinicId,clinicName,patientId,startTime,endTime,status",
                    theme,
                ),
                hint(
                    "Every line is checked first; nothing changes unless all are good.",
                    theme,
                ),
                Line::raw(""),
                input("File", path, theme, inner),
                Line::raw(""),
                hint("Enter checks the file · Ctrl-U clears · Esc closes", theme),
            ];
            framed(area, buf, theme, "Import slots.csv", lines, width);
        }
        Dialog::ImportConfirm { path, plan } => {
            let dentists: Vec<String> = plan
                .publish
                .iter()
                .map(|(d, slots)| format!("{} ({})", app.dentist_name(d), slots.len()))
                .collect();
            let lines = vec![
                Line::styled(
                    fit(
                        &format!("{path}: all {} rows passed every check.", plan.rows),
                        inner,
                    ),
                    theme.good(),
                ),
                Line::raw(""),
                Line::styled(
                    fit(
                        &format!("{} new slots: {}", plan.new_slots(), dentists.join(", ")),
                        inner,
                    ),
                    theme.text(),
                ),
                hint(
                    &format!(
                        "{} already on the schedule, {} withdrawn rows (no change)",
                        plan.unchanged, plan.withdrawn
                    ),
                    theme,
                ),
                Line::raw(""),
                hint(
                    "y or Enter publishes them · n or Esc cancels the import",
                    theme,
                ),
            ];
            framed(area, buf, theme, "Import slots.csv", lines, width);
        }
        Dialog::ImportErrors {
            path,
            errors,
            scroll,
        } => {
            let room = usize::from(area.height.saturating_sub(8)).max(1);
            let mut lines = vec![Line::styled(
                fit(
                    &format!(
                        "{path}: {} bad {}. Nothing was changed.",
                        errors.len(),
                        if errors.len() == 1 { "line" } else { "lines" }
                    ),
                    inner,
                ),
                theme.error(),
            )];
            lines.push(Line::raw(""));
            let start = (*scroll).min(errors.len().saturating_sub(1));
            let reason_width = inner.saturating_sub(11);
            let mut shown_errors = 0;
            for error in errors.iter().skip(start) {
                let wrapped = wrap(&error.reason, reason_width);
                if shown_errors > 0 && lines.len() - 2 + wrapped.len() > room {
                    break;
                }
                for (i, part) in wrapped.into_iter().enumerate() {
                    let number = if i == 0 {
                        format!("line {:<5}", error.line)
                    } else {
                        " ".repeat(10)
                    };
                    lines.push(Line::from(vec![
                        Span::styled(number, theme.title()),
                        Span::styled(part, theme.text()),
                    ]));
                }
                shown_errors += 1;
            }
            let shown = format!(
                "{}–{} of {} · ↑↓ scroll · Esc closes",
                start + 1,
                start + shown_errors,
                errors.len()
            );
            lines.push(Line::raw(""));
            lines.push(hint(&shown, theme));
            framed(area, buf, theme, "Import refused", lines, width.max(84));
        }
        Dialog::ExportPath { path } => {
            let what = match app.schedule.mode {
                crate::app::ViewMode::Day => format!("{} on screen", day_label(app.schedule.day)),
                crate::app::ViewMode::Week => "the week on screen".to_string(),
            };
            let lines = vec![
                hint(
                    &format!("Writes {what} in the columns of slots.csv."),
                    theme,
                ),
                Line::raw(""),
                input("File", path, theme, inner),
                Line::raw(""),
                hint("Enter writes the file · Ctrl-U clears · Esc closes", theme),
            ];
            framed(area, buf, theme, "Export slots.csv", lines, width);
        }
    }
}

/// The help overlay: every key, in two columns.
pub(super) fn help(area: Rect, buf: &mut Buffer, theme: Theme) {
    let width = area.width.saturating_sub(4).min(100);
    let half = usize::from(width.saturating_sub(2)) / 2;
    let key_width = 14;
    let left_sections = ["Everywhere", "Sign-in", "Dialogs"];
    let mut columns: [Vec<Line<'_>>; 2] = [Vec::new(), Vec::new()];
    let mut last_section = "";
    for (section, keys, what) in HELP {
        let column = usize::from(!left_sections.contains(section));
        if *section != last_section {
            if !columns[column].is_empty() {
                columns[column].push(Line::raw(""));
            }
            columns[column].push(Line::styled(section.to_string(), theme.title()));
            last_section = section;
        }
        columns[column].push(Line::from(vec![
            Span::styled(format!(" {}", pad(keys, key_width)), theme.text()),
            Span::styled(fit(what, half.saturating_sub(key_width + 3)), theme.dim()),
        ]));
    }
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let rect = centered(area, width, height);
    Clear.render(rect, buf);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.accent())
        .title(Line::styled(" Keys · Esc or ? closes ", theme.title()));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let column_width = inner.width / 2;
    for (index, column) in columns.into_iter().enumerate() {
        let x = inner.x + 1 + column_width * u16::try_from(index).unwrap_or(0);
        for (y, line) in (inner.y..inner.bottom()).zip(column) {
            put(
                buf,
                Rect::new(x, y, column_width.saturating_sub(1), 1),
                &line,
            );
        }
    }
}
