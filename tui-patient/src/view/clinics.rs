//! The clinic list (name, today's hours, neighbourhood and address), a small map of Gothenburg
//! placing each clinic by its coordinates, and the selected clinic's details.

use dentismile_client::pb;
use ratatui::{
    buffer::Buffer,
    layout::Rect,
    style::{Color, Style},
    symbols::Marker,
    text::{Line, Span},
    widgets::{
        Block, Paragraph, Widget, Wrap,
        canvas::{Canvas, Line as MapLine},
    },
};

use super::{bold, dim, fit, selected};
use crate::{
    app::{App, opening_hours},
    layout, local_time,
};

/// The map's extent: Gothenburg from Frölunda to Angered, in degrees (east, north).
const WEST: f64 = 11.86;
const EAST: f64 = 12.08;
const SOUTH: f64 = 57.635;
const NORTH: f64 = 57.815;

/// Göta älv from the sea to past Angered, roughly: enough to tell Hisingen from the centre.
const RIVER: &[(f64, f64)] = &[
    (11.860, 57.688),
    (11.905, 57.694),
    (11.930, 57.700),
    (11.950, 57.705),
    (11.966, 57.712),
    (11.976, 57.721),
    (11.990, 57.735),
    (12.001, 57.752),
    (12.012, 57.772),
    (12.024, 57.793),
    (12.034, 57.815),
];

/// The letter that marks a clinic on the map and in the list (digits are pane keys, so not
/// those).
pub(super) fn mark(index: usize) -> char {
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        .get(index)
        .map_or('•', |b| char::from(*b))
}

pub(super) fn render(app: &App, body: Rect, buf: &mut Buffer) {
    let place = layout::clinics(body);
    let today = app.today();
    let mut title = format!(
        " Clinics · hours {} ",
        local_time::day(today).split(' ').next().unwrap_or("today")
    );
    if app.clinics_loading {
        title.push_str("· listing… ");
    }
    Block::bordered()
        .title(Span::styled(title, bold()))
        .title_bottom(Line::styled(
            " Enter: free slots · e: earliest anywhere ",
            dim(),
        ))
        .render(place.list_block, buf);
    list(app, place.list, buf);
    map(app, place.map_block, buf);
    details(app, place.details, buf);
}

fn list(app: &App, area: Rect, buf: &mut Buffer) {
    if app.clinics.is_empty() {
        let text = if app.clinics_loading {
            "Listing clinics…"
        } else {
            "No clinics listed yet: r tries again."
        };
        Paragraph::new(text).render(area, buf);
        return;
    }
    let width = usize::from(area.width);
    let today = app.today();
    let shown = app
        .clinics
        .iter()
        .enumerate()
        .skip(app.clinic_cursor.offset)
        .take(usize::from(area.height / layout::CLINIC_LINES));
    for (line, (index, clinic)) in shown.enumerate() {
        let y = area.y + line as u16 * layout::CLINIC_LINES;
        let is_selected = index == app.clinic_cursor.selected;
        let hours = opening_hours(clinic, today).unwrap_or_else(|| "closed".to_string());
        let marker = if is_selected { "▶" } else { " " };
        let head = format!("{marker} {} ", mark(index));
        let name_room = width.saturating_sub(head.chars().count() + hours.chars().count() + 1);
        let first = format!("{head}{} {hours}", super::column(&clinic.name, name_room));
        let second = fit(
            &format!("    {} · {}", clinic.neighbourhood, clinic.address),
            width,
        );
        let style = if is_selected {
            selected()
        } else {
            Style::new()
        };
        buf.set_stringn(area.x, y, format!("{first:<width$}"), width, style);
        if y + 1 < area.bottom() {
            buf.set_stringn(area.x, y + 1, second, width, dim());
        }
    }
}

fn map(app: &App, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered().title(Span::styled(" Gothenburg ", bold()));
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.width < 4 || inner.height < 3 {
        return;
    }
    // Canvas units per terminal column, to put the selected clinic's name beside its mark.
    let per_column = (EAST - WEST) / f64::from(inner.width.saturating_sub(1).max(1));
    Canvas::default()
        .marker(Marker::Braille)
        .x_bounds([WEST, EAST])
        .y_bounds([SOUTH, NORTH])
        .paint(|ctx| {
            for pair in RIVER.windows(2) {
                ctx.draw(&MapLine::new(
                    pair[0].0,
                    pair[0].1,
                    pair[1].0,
                    pair[1].1,
                    Color::Blue,
                ));
            }
            ctx.print(11.875, 57.722, Span::styled("Hisingen", dim()));
            ctx.print(WEST, NORTH, Span::styled("↑N", dim()));
            let located = |c: &pb::Clinic| c.location.as_ref().map(|l| (l.longitude, l.latitude));
            // The selected clinic last, so that it is drawn on top of close neighbours.
            for (index, clinic) in app.clinics.iter().enumerate() {
                if index == app.clinic_cursor.selected {
                    continue;
                }
                if let Some((x, y)) = located(clinic) {
                    ctx.print(x, y, Span::raw(mark(index).to_string()));
                }
            }
            if let Some(clinic) = app.selected_clinic()
                && let Some((x, y)) = located(clinic)
            {
                let index = app.clinic_cursor.selected;
                let label = format!("{} {}", mark(index), clinic.name);
                let columns = label.chars().count() as f64;
                // Names of clinics in the east half go to the left of the mark.
                let x = if x + columns * per_column > EAST {
                    (x - (columns - 1.0) * per_column).max(WEST)
                } else {
                    x
                };
                ctx.print(x, y, Span::styled(label, selected()));
            }
        })
        .render(inner, buf);
}

/// `Mon–Fri 08:00–17:00, Sat 09:00–13:00`: consecutive days with the same hours grouped.
pub(super) fn week_hours(clinic: &pb::Clinic) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let hours = |weekday: usize| {
        clinic
            .opening_hours
            .iter()
            .find(|o| o.weekday == weekday as i32 + 1)
            .and_then(|o| o.hours.as_ref())
            .map(|h| format!("{}–{}", h.start, h.end))
    };
    let mut groups: Vec<(usize, usize, String)> = Vec::new();
    for day in 0..7 {
        let Some(range) = hours(day) else { continue };
        match groups.last_mut() {
            Some((_, last, same)) if *last + 1 == day && *same == range => *last = day,
            _ => groups.push((day, day, range)),
        }
    }
    if groups.is_empty() {
        return "no opening hours published".to_string();
    }
    groups
        .iter()
        .map(|(first, last, range)| {
            if first == last {
                format!("{} {range}", DAYS[*first])
            } else {
                format!("{}–{} {range}", DAYS[*first], DAYS[*last])
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn details(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(clinic) = app.selected_clinic() else {
        Block::bordered().render(area, buf);
        return;
    };
    let dentists = clinic
        .dentists
        .iter()
        .map(|d| d.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let lines = vec![
        Line::raw(clinic.address.clone()),
        Line::raw(week_hours(clinic)),
        Line::from(vec![Span::styled("Dentists: ", dim()), Span::raw(dentists)]),
    ];
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(Block::bordered().title(Span::styled(
            format!(
                " {} ",
                fit(&clinic.name, usize::from(area.width).saturating_sub(4))
            ),
            bold(),
        )))
        .render(area, buf);
}
