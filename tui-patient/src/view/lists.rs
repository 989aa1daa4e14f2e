//! The two list panes: the earliest free slots anywhere, and my appointments (upcoming, then
//! past and cancelled).

use dentismile_client::pb;
use ratatui::{
    buffer::Buffer,
    layout::Rect,
    style::Style,
    text::{Line, Span},
    widgets::{Block, Paragraph, Widget},
};

use super::{bad, bold, column, dim, fit, good, selected};
use crate::{
    app::{App, AppointmentLine, appointment_times, is_upcoming},
    layout, local_time,
};

/// Width of the "when" column: `Wed 25 Nov 08:00–08:30`.
const WHEN: usize = 23;

/// Splits what is left after the marker and the "when" column between two text columns.
fn widths(total: usize, last: usize) -> (usize, usize, usize) {
    let rest = total.saturating_sub(2 + WHEN + 1 + last);
    let first = rest * 11 / 20;
    (first, rest - first, last)
}

fn row(area: Rect, line: usize, text: String, style: Style, buf: &mut Buffer) {
    let width = usize::from(area.width);
    buf.set_stringn(
        area.x,
        area.y + line as u16,
        format!("{text:<width$}"),
        width,
        style,
    );
}

pub(super) fn earliest(app: &App, body: Rect, buf: &mut Buffer) {
    let place = layout::table(body);
    let mut title = " Earliest free slots at any clinic ".to_string();
    if app.earliest.loading {
        title.push_str("· looking… ");
    }
    Block::bordered()
        .title(Span::styled(title, bold()))
        .render(body, buf);
    let width = usize::from(place.rows.width);
    let (clinic_w, dentist_w, _) = widths(width, 0);
    row(
        place.header,
        0,
        format!(
            "  {}{} {}",
            column("When", WHEN + 1),
            column("Clinic", clinic_w),
            column("Dentist", dentist_w)
        ),
        dim(),
        buf,
    );
    if app.earliest.slots.is_empty() {
        let text = if app.earliest.loading {
            "Looking across every clinic…"
        } else if app.earliest.loaded {
            "No free slots anywhere within the booking horizon."
        } else {
            "r looks for the earliest free slots."
        };
        Paragraph::new(text).render(place.rows, buf);
    }
    let visible = usize::from(place.rows.height);
    for (line, (index, slot)) in app
        .earliest
        .slots
        .iter()
        .enumerate()
        .skip(app.earliest.cursor.offset)
        .take(visible)
        .enumerate()
    {
        let is_selected = index == app.earliest.cursor.selected;
        let text = format!(
            "{} {}{} {}",
            if is_selected { "▶" } else { " " },
            column(&local_time::span(slot.start, slot.end), WHEN + 1),
            column(app.clinic_name(&slot.clinic_id), clinic_w),
            column(
                app.dentist_name(&slot.clinic_id, &slot.dentist_id),
                dentist_w
            ),
        );
        let style = if is_selected {
            selected()
        } else {
            Style::new()
        };
        row(place.rows, line, text, style, buf);
    }
    Paragraph::new(Line::styled(
        fit(
            "Enter book the selected slot · r look again · Esc back",
            usize::from(place.footer.width),
        ),
        dim(),
    ))
    .render(place.footer, buf);
}

/// What an appointment's status column says, and how.
fn state(appointment: &pb::Appointment, app: &App) -> (String, Style) {
    if appointment.status == pb::AppointmentStatus::Cancelled as i32 {
        let by = if appointment.cancelled_by == pb::CancelledBy::Clinic as i32 {
            "✘ cancelled by clinic"
        } else {
            "✘ cancelled"
        };
        (by.to_string(), bad())
    } else if is_upcoming(appointment, app.now) {
        ("✔ booked".to_string(), good())
    } else {
        ("past".to_string(), dim())
    }
}

pub(super) fn appointments(app: &App, body: Rect, buf: &mut Buffer) {
    let place = layout::table(body);
    let mut title = " My appointments ".to_string();
    if app.appointments.loading {
        title.push_str("· listing… ");
    }
    Block::bordered()
        .title(Span::styled(title, bold()))
        .render(body, buf);
    let width = usize::from(place.rows.width);
    const STATE: usize = 21;
    let (clinic_w, dentist_w, _) = widths(width, STATE + 1);
    row(
        place.header,
        0,
        format!(
            "  {}{} {} {}",
            column("When (Gothenburg time)", WHEN + 1),
            column("Clinic", clinic_w),
            column("Dentist", dentist_w),
            "Status"
        ),
        dim(),
        buf,
    );
    if app.appointments.items.is_empty() {
        let text = if app.appointments.loading {
            "Listing your appointments…"
        } else {
            "No appointments yet. Pick a clinic (1) or the earliest slot (e) and book."
        };
        Paragraph::new(text).render(place.rows, buf);
    } else {
        let ordered = app.appointments.ordered(app.now);
        let lines = app.appointments.lines(app.now);
        let visible = usize::from(place.rows.height);
        for (shown, line) in lines
            .iter()
            .skip(app.appointments.cursor.offset)
            .take(visible)
            .enumerate()
        {
            match line {
                AppointmentLine::Upcoming(n) => {
                    row(place.rows, shown, format!("Upcoming ({n})"), bold(), buf);
                }
                AppointmentLine::Past(n) => {
                    row(
                        place.rows,
                        shown,
                        format!("Past and cancelled ({n})"),
                        bold(),
                        buf,
                    );
                }
                AppointmentLine::Item(index) => {
                    let Some(appointment) = ordered.get(*index) else {
                        continue;
                    };
                    let is_selected = *index == app.appointments.cursor.selected;
                    let when = appointment_times(appointment)
                        .map(|(s, e)| local_time::span(s, e))
                        .unwrap_or_default();
                    let (status, status_style) = state(appointment, app);
                    let text = format!(
                        "{} {}{} {} ",
                        if is_selected { "▶" } else { " " },
                        column(&when, WHEN + 1),
                        column(&appointment.clinic_name, clinic_w),
                        column(&appointment.dentist_name, dentist_w),
                    );
                    let y = place.rows.y + shown as u16;
                    let style = if is_selected {
                        selected()
                    } else {
                        Style::new()
                    };
                    row(place.rows, shown, text.clone(), style, buf);
                    let x = place.rows.x + text.chars().count() as u16;
                    let room = usize::from(place.rows.right().saturating_sub(x));
                    buf.set_stringn(
                        x,
                        y,
                        fit(&status, room),
                        room,
                        if is_selected {
                            status_style.patch(selected())
                        } else {
                            status_style
                        },
                    );
                }
            }
        }
    }
    Paragraph::new(Line::styled(
        fit(
            "c cancel · x save as .ics · X save all upcoming · r list again · Esc back",
            usize::from(place.footer.width),
        ),
        dim(),
    ))
    .render(place.footer, buf);
}
