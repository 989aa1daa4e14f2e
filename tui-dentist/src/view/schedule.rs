//! The schedule tab: a week side by side or one day in detail, with the current time marked.

use dentismile_domain::time::LocalDay;
use ratatui::{
    buffer::Buffer,
    layout::Rect,
    style::Style,
    text::{Line, Span},
};

use super::{fit, pad, put};
use crate::{
    app::{App, ViewMode},
    layout::{Row, ScheduleLayout, column_offset, list_rows, schedule_layout},
    local_time::{clock, day_label, day_label_with_year, iso_week, period, weekday_short},
    schedule::{Entry, EntryState},
    theme::Theme,
};

pub(super) fn render(app: &App, body: Rect, buf: &mut Buffer, theme: Theme) {
    let layout = schedule_layout(app, body);
    title(app, &layout, buf, theme);
    match app.schedule.mode {
        ViewMode::Week => week(app, &layout, buf, theme),
        ViewMode::Day => day(app, &layout, buf, theme),
    }
    details(app, &layout, buf, theme);
}

fn loaded(app: &App) -> bool {
    app.schedule.loaded.is_some() && app.schedule.loaded == app.wanted_schedule()
}

fn title(app: &App, layout: &ScheduleLayout, buf: &mut Buffer, theme: Theme) {
    let dentist = app
        .dentist()
        .map(|d| d.name.clone())
        .unwrap_or_else(|| "no dentist".to_string());
    let monday = app.monday();
    let sunday = monday.plus_days(6);
    let what = match app.schedule.mode {
        ViewMode::Week => format!(
            "Week {} · {} – {}",
            iso_week(monday),
            day_label(monday),
            day_label_with_year(sunday)
        ),
        ViewMode::Day => {
            let day = app.schedule.day;
            let today = if day == app.today() { " (today)" } else { "" };
            format!("{}{today}", day_label_with_year(day))
        }
    };
    let pick = if app.is_admin() && app.dentists().len() > 1 {
        " (d: next)"
    } else {
        ""
    };
    let loading = if app.schedule.pending.is_some() {
        " · reading…"
    } else {
        ""
    };
    let mut spans = vec![
        Span::styled(format!(" {what}"), theme.title()),
        Span::styled(format!(" · {dentist}{pick}{loading}"), theme.text()),
    ];
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let legend = "  · free  ● booked  × withdrawn ";
    if used + legend.chars().count() <= usize::from(layout.title.width) {
        let pad = usize::from(layout.title.width) - used - legend.chars().count();
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled("  ·", theme.free()));
        spans.push(Span::styled(" free  ", theme.dim()));
        spans.push(Span::styled("●", theme.booked()));
        spans.push(Span::styled(" booked  ", theme.dim()));
        spans.push(Span::styled("×", theme.withdrawn()));
        spans.push(Span::styled(" withdrawn ", theme.dim()));
    }
    put(buf, layout.title, &Line::from(spans));
}

fn entry_style(entry: &Entry, theme: Theme) -> Style {
    match entry.state {
        EntryState::Free => theme.free(),
        EntryState::Booked { .. } => theme.booked(),
        EntryState::Withdrawn => theme.withdrawn(),
    }
}

fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

fn week(app: &App, layout: &ScheduleLayout, buf: &mut Buffer, theme: Theme) {
    let today = app.today();
    for (day, rect) in &layout.lists {
        let heading = Rect::new(rect.x, layout.headings.y, rect.width, 1);
        let style = if *day == app.schedule.day {
            theme.selected().patch(theme.title())
        } else if *day == today {
            theme.now()
        } else {
            theme.title()
        };
        let mut text = format!("{} {}", weekday_short(day.weekday()), day.date().day());
        if *day == today && text.len() + 6 < usize::from(rect.width) {
            text.push_str(" today");
        }
        put(
            buf,
            heading,
            &Line::styled(pad(&text, usize::from(rect.width.saturating_sub(1))), style),
        );
        column(app, *day, *rect, layout.offset, buf, theme);
    }
}

fn column(app: &App, day: LocalDay, rect: Rect, offset: usize, buf: &mut Buffer, theme: Theme) {
    let width = usize::from(rect.width.saturating_sub(1));
    let entries = app.day_entries(day);
    if !loaded(app) {
        return;
    }
    if entries.is_empty() {
        put(
            buf,
            rect,
            &Line::styled(fit("no slots", width), theme.dim()),
        );
        return;
    }
    let now_at = app.now_position(day);
    let height = usize::from(rect.height);
    let rows = list_rows(
        entries.len(),
        now_at,
        height,
        column_offset(offset, entries.len(), now_at, height),
    );
    for (y, row) in (rect.y..rect.bottom()).zip(rows) {
        let line_rect = Rect::new(rect.x, y, rect.width.saturating_sub(1), 1);
        match row {
            Row::Now => {
                let text = format!("─{}{}", clock(app.now), "─".repeat(width));
                put(
                    buf,
                    line_rect,
                    &Line::styled(fit_exact(&text, width), theme.now()),
                );
            }
            Row::Slot(index) => {
                let Some(entry) = entries.get(index) else {
                    continue;
                };
                // Narrow columns keep the name and drop the booked mark: a name on a slot
                // says booked, and the bold style says it again.
                let label = match &entry.state {
                    EntryState::Free => "·".to_string(),
                    EntryState::Booked { patient_name, .. } if width >= 16 => {
                        format!("●{patient_name}")
                    }
                    EntryState::Booked { patient_name, .. } => first_name(patient_name).to_string(),
                    EntryState::Withdrawn => "×".to_string(),
                };
                let text = format!("{} {label}", clock(entry.start));
                let selected = day == app.schedule.day && index == app.schedule.selected;
                let style = if selected {
                    entry_style(entry, theme).patch(theme.selected())
                } else {
                    entry_style(entry, theme)
                };
                put(buf, line_rect, &Line::styled(pad(&text, width), style));
            }
        }
    }
}

/// `text` cut to exactly `width` characters (for rules).
fn fit_exact(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

fn day(app: &App, layout: &ScheduleLayout, buf: &mut Buffer, theme: Theme) {
    let Some((day, rect)) = layout.lists.first() else {
        return;
    };
    let width = usize::from(rect.width);
    let name_width = 22.min(width / 4);
    let heading = format!(
        " {}{}{}Reason",
        pad("Time", 14),
        pad("State", 11),
        pad("Patient", name_width + 1)
    );
    put(
        buf,
        layout.headings,
        &Line::styled(fit(&heading, width), theme.dim()),
    );
    if !loaded(app) {
        put(
            buf,
            *rect,
            &Line::styled(" Reading the schedule…", theme.dim()),
        );
        return;
    }
    let entries = app.day_entries(*day);
    if entries.is_empty() {
        put(
            buf,
            *rect,
            &Line::styled(
                fit(
                    " No slots this day. a adds one; the Publish tab plans a week.",
                    width,
                ),
                theme.dim(),
            ),
        );
        return;
    }
    let rows = list_rows(
        entries.len(),
        app.now_position(*day),
        usize::from(rect.height),
        layout.offset,
    );
    for (y, row) in (rect.y..rect.bottom()).zip(rows) {
        let line_rect = Rect::new(rect.x, y, rect.width, 1);
        match row {
            Row::Now => {
                let text = format!(" ── now {} {}", clock(app.now), "─".repeat(width));
                put(
                    buf,
                    line_rect,
                    &Line::styled(fit_exact(&text, width), theme.now()),
                );
            }
            Row::Slot(index) => {
                let Some(entry) = entries.get(index) else {
                    continue;
                };
                let (mark, patient, reason) = match &entry.state {
                    EntryState::Free => ("·", String::new(), String::new()),
                    EntryState::Booked {
                        patient_name,
                        reason,
                        ..
                    } => ("●", patient_name.clone(), reason.clone()),
                    EntryState::Withdrawn => ("×", String::new(), String::new()),
                };
                let text = format!(
                    " {}{}{}{}",
                    pad(&period(entry.start, entry.end), 14),
                    pad(&format!("{mark} {}", entry.state_name()), 11),
                    pad(&patient, name_width + 1),
                    reason
                );
                let style = if index == app.schedule.selected {
                    entry_style(entry, theme).patch(theme.selected())
                } else {
                    entry_style(entry, theme)
                };
                put(buf, line_rect, &Line::styled(pad(&text, width), style));
            }
        }
    }
}

fn details(app: &App, layout: &ScheduleLayout, buf: &mut Buffer, theme: Theme) {
    let width = usize::from(layout.details.width);
    let rect = Rect::new(layout.details.x, layout.details.y, layout.details.width, 1);
    if !loaded(app) {
        return;
    }
    let Some(entry) = app.selected_entry() else {
        put(
            buf,
            rect,
            &Line::styled(
                fit(
                    &format!(
                        " {}: no slots. a adds one; the Publish tab plans a week.",
                        day_label(app.schedule.day)
                    ),
                    width,
                ),
                theme.dim(),
            ),
        );
        return;
    };
    let when = format!(
        " {} {} ",
        day_label(entry.day),
        period(entry.start, entry.end)
    );
    let (what, keys) = match &entry.state {
        EntryState::Free => ("free".to_string(), "Enter/x withdraws · u day off"),
        EntryState::Booked {
            patient_name,
            reason,
            ..
        } => {
            let reason = if reason.is_empty() {
                String::new()
            } else {
                format!(": “{reason}”")
            };
            (
                format!("booked by {patient_name}{reason}"),
                "Enter/c cancels",
            )
        }
        EntryState::Withdrawn => ("withdrawn".to_string(), "Enter/a publishes again"),
    };
    // The keys are dropped before the patient's words are cut.
    let keys = format!(" · {keys}");
    let room = width.saturating_sub(when.chars().count());
    let mut spans = vec![
        Span::styled(when, theme.title()),
        Span::styled(fit(&what, room), entry_style(entry, theme)),
    ];
    if what.chars().count() + keys.chars().count() <= room {
        spans.push(Span::styled(keys, theme.dim()));
    }
    put(buf, rect, &Line::from(spans));
}
