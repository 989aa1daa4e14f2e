//! The week view: days as columns, local start times as rows, one `●` per free dentist in a
//! cell, `·` where every slot at that time is taken or over.

use ratatui::{
    buffer::Buffer,
    layout::{Alignment, Rect},
    style::Modifier,
    text::{Line, Span},
    widgets::{Block, Paragraph, Widget, Wrap},
};

use super::{bold, dim, fit, selected};
use crate::{
    app::{App, WEEK_DAYS},
    layout, local_time,
};

pub(super) fn render(app: &App, body: Rect, buf: &mut Buffer) {
    let place = layout::week(body);
    let week = &app.week;
    let Some(clinic_id) = &week.clinic_id else {
        Paragraph::new(vec![
            Line::styled("No clinic chosen yet.", bold()),
            Line::raw(""),
            Line::raw("1 shows the clinics; Enter on one opens its week here."),
            Line::raw("e finds the earliest free slot at any clinic."),
        ])
        .wrap(Wrap { trim: true })
        .block(Block::bordered().title(Span::styled(" Week ", bold())))
        .render(body, buf);
        return;
    };
    let dentist = match &week.dentist {
        Some(id) => app.dentist_name(clinic_id, id).to_string(),
        None => "all dentists".to_string(),
    };
    let mut title = format!(
        " {} · {} – {} · {dentist} ",
        app.clinic_name(clinic_id),
        local_time::day(week.first_day),
        local_time::day(week.last_day())
    );
    if week.loading() {
        title.push_str("· listing… ");
    }
    let rows = week.rows();
    let visible = usize::from(place.grid.height);
    let below = rows.len().saturating_sub(week.scroll + visible);
    let mut block = Block::bordered().title(Span::styled(
        fit(&title, usize::from(body.width).saturating_sub(2)),
        bold(),
    ));
    if week.scroll > 0 || below > 0 {
        block = block.title_bottom(
            Line::styled(
                format!(" ↑ {} earlier · ↓ {below} later ", week.scroll),
                dim(),
            )
            .alignment(Alignment::Right),
        );
    }
    block.render(body, buf);

    let today = app.today();
    for (i, day) in week.days().iter().enumerate() {
        let mut style = if *day == today {
            bold().add_modifier(Modifier::UNDERLINED)
        } else {
            bold()
        };
        if i == week.cursor_day {
            style = selected();
        }
        let label = if *day == today {
            format!("Today {}", day.date().day())
        } else {
            local_time::day_heading(*day)
        };
        Paragraph::new(Line::styled(
            fit(&label, usize::from(place.day_width)),
            style,
        ))
        .alignment(Alignment::Center)
        .render(place.column(place.heading, i), buf);
    }

    if rows.is_empty() {
        let text = if week.loading() {
            "Listing slots…"
        } else {
            "No slots published these days. ] shows the next week."
        };
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .render(place.grid, buf);
    }
    let cursor_row = week.cursor_row(&rows);
    for (shown, (row, minute)) in rows
        .iter()
        .enumerate()
        .skip(week.scroll)
        .take(visible)
        .enumerate()
    {
        let y = place.grid.y + shown as u16;
        let on_row = cursor_row == Some(row);
        buf.set_string(
            place.grid.x,
            y,
            local_time::clock(*minute),
            if on_row { bold() } else { dim() },
        );
        for day in 0..WEEK_DAYS {
            let free = week.cell(day, *minute, app.now).len();
            let date = week.first_day.plus_days(day as i32);
            let exists = week
                .slots
                .values()
                .any(|s| s.day == date && s.minute == *minute);
            let cell = if free > 0 {
                "●".repeat(free.min(4))
            } else if exists {
                "·".to_string()
            } else {
                String::new()
            };
            let is_cursor = on_row && day == week.cursor_day;
            let (text, style) = if is_cursor {
                (format!("▶{cell}"), selected())
            } else if free > 0 {
                (cell, bold())
            } else {
                (cell, dim())
            };
            let rect = place.column(Rect::new(place.grid.x, y, place.grid.width, 1), day);
            // The cursor's cell is filled edge to edge so that reverse video shows it plainly.
            if is_cursor {
                buf.set_style(
                    Rect::new(rect.x, rect.y, rect.width.saturating_sub(1), 1),
                    style,
                );
            }
            Paragraph::new(Line::styled(text, style))
                .alignment(Alignment::Center)
                .render(
                    Rect::new(rect.x, rect.y, rect.width.saturating_sub(1), 1),
                    buf,
                );
        }
    }

    detail(app, &rows, place.detail, buf);
}

fn detail(app: &App, rows: &[i32], area: Rect, buf: &mut Buffer) {
    let week = &app.week;
    let width = usize::from(area.width);
    let first = match week.cursor_row(rows) {
        Some(row) => {
            let minute = rows[row];
            let when = format!(
                "{} {}",
                local_time::day(week.cursor_date()),
                local_time::clock(minute)
            );
            let free = week.cell(week.cursor_day, minute, app.now);
            if free.is_empty() {
                Line::from(vec![
                    Span::styled(when, bold()),
                    Span::raw(" — nothing free"),
                ])
            } else {
                let who = free
                    .iter()
                    .map(|s| {
                        format!(
                            "{} (until {})",
                            app.dentist_name(&s.clinic_id, &s.dentist_id),
                            local_time::time(s.end)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                Line::from(vec![
                    Span::styled(when, bold()),
                    Span::raw(" — free: "),
                    Span::raw(who),
                ])
            }
        }
        None => Line::raw(""),
    };
    let keys = fit(
        "Enter book · ←→ day · ↑↓ time · [ ] week · t today · d dentist · ? help",
        width,
    );
    Paragraph::new(vec![first, Line::styled(keys, dim())]).render(area, buf);
}
