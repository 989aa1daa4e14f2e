//! The publish tab: the working-plan form and the server's preview of what it would publish.

use dentismile_domain::time::LocalDay;
use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Widget},
};

use super::{fit, pad, put};
use crate::{
    app::App,
    layout::{LABEL_WIDTH, plan_layout},
    local_time::{day_label, from_wire, period},
    plan_form::{PlanField, preview_days},
    theme::Theme,
};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

pub(super) fn render(app: &App, body: Rect, buf: &mut Buffer, theme: Theme) {
    let layout = plan_layout(body);
    let form = &app.plan;
    let dentist = app
        .dentist()
        .map(|d| d.name.clone())
        .unwrap_or_else(|| "no dentist".to_string());
    put(
        buf,
        layout.title,
        &Line::styled(
            " Publish availability from a weekly working plan",
            theme.title(),
        ),
    );
    let pick = if app.is_admin() && app.dentists().len() > 1 {
        "  (d: another dentist)"
    } else {
        ""
    };
    put(
        buf,
        layout.dentist,
        &Line::from(vec![
            Span::styled(pad(" Dentist", usize::from(LABEL_WIDTH)), theme.dim()),
            Span::styled(dentist, theme.text()),
            Span::styled(pick, theme.dim()),
        ]),
    );
    for (field, rect) in &layout.fields {
        let focused = *field == form.field;
        let label_style = if focused { theme.title() } else { theme.dim() };
        let marker = if focused { "▸" } else { " " };
        put(
            buf,
            *rect,
            &Line::styled(
                pad(
                    &format!("{marker}{}", field.label()),
                    usize::from(LABEL_WIDTH),
                ),
                label_style,
            ),
        );
        let value_rect = Rect::new(
            rect.x + LABEL_WIDTH,
            rect.y,
            rect.width.saturating_sub(LABEL_WIDTH),
            1,
        );
        match form.text(*field) {
            None => {
                for (i, day_rect) in layout.weekdays.iter().enumerate() {
                    let on = form.weekdays[i];
                    let text = format!("[{}] {} ", if on { "x" } else { " " }, WEEKDAYS[i]);
                    let style = if focused && i == form.weekday_cursor {
                        theme.selected()
                    } else if on {
                        theme.text()
                    } else {
                        theme.dim()
                    };
                    put(buf, *day_rect, &Line::styled(text, style));
                }
            }
            Some(value) => {
                let unit = match field {
                    PlanField::Hours => "  e.g. 08:00-17:00",
                    PlanField::Breaks => "  e.g. 12:00-13:00, 15:00-15:15",
                    PlanField::SlotMinutes => "  5 to 480",
                    PlanField::FirstDay | PlanField::LastDay => "  YYYY-MM-DD",
                    PlanField::Weekdays => "",
                };
                let shown = if focused {
                    format!("{value}▏")
                } else {
                    value.to_string()
                };
                let style = if focused {
                    theme.selected()
                } else {
                    theme.text()
                };
                put(
                    buf,
                    value_rect,
                    &Line::from(vec![
                        Span::styled(shown, style),
                        Span::styled(unit, theme.dim()),
                    ]),
                );
            }
        }
    }
    let width = usize::from(layout.message.width);
    let message = match (&form.error, form.waiting, &form.preview) {
        (Some(error), _, _) => Line::styled(fit(&format!(" ✗ {error}"), width), theme.error()),
        (None, true, _) => Line::styled(" Asking the server…", theme.dim()),
        (None, false, Some(p)) if p.response.conflicts.is_empty() => Line::styled(
            fit(
                " Enter publishes exactly this preview · Esc drops it · editing drops it",
                width,
            ),
            theme.good(),
        ),
        (None, false, Some(_)) => Line::styled(
            fit(
                " Conflicts: change the plan or withdraw those slots first",
                width,
            ),
            theme.error(),
        ),
        (None, false, None) => Line::styled(
            fit(
                " Enter previews the slots; nothing is saved until you confirm",
                width,
            ),
            theme.dim(),
        ),
    };
    put(buf, layout.message, &message);
    preview(app, layout.preview, buf, theme);
}

fn preview(app: &App, area: Rect, buf: &mut Buffer, theme: Theme) {
    if area.height < 2 {
        return;
    }
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.accent())
        .title(Line::styled(" Preview ", theme.title()));
    let inner = block.inner(area);
    block.render(area, buf);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line<'_>> = Vec::new();
    match &app.plan.preview {
        None => lines.push(Line::styled(
            fit(
                " Nothing previewed yet. The server expands the plan and lists any collisions with the schedule before anything is saved.",
                width,
            ),
            theme.dim(),
        )),
        Some(preview) => {
            let response = &preview.response;
            let unchanged = response.unchanged as usize;
            let days = preview_days(response);
            let new = response.slots.len().saturating_sub(unchanged);
            lines.push(Line::from(vec![
                Span::styled(format!(" {new} new slots"), theme.title()),
                Span::styled(
                    fit(
                        &format!(
                            " on {} days for {}",
                            days.len(),
                            app.dentist_name(&preview.plan.dentist_id)
                        ),
                        width.saturating_sub(14),
                    ),
                    theme.text(),
                ),
            ]));
            let conflicts = response.conflicts.len();
            lines.push(Line::styled(
                fit(
                    &format!(
                        " {unchanged} already published (left as they are) · {conflicts} {}",
                        if conflicts == 1 { "conflict" } else { "conflicts" }
                    ),
                    width,
                ),
                if conflicts == 0 { theme.dim() } else { theme.error() },
            ));
            for conflict in &response.conflicts {
                let Some(start) = conflict
                    .r#ref
                    .as_ref()
                    .and_then(|r| from_wire(r.start.as_ref()))
                else {
                    continue;
                };
                let end = from_wire(conflict.end.as_ref()).unwrap_or(start);
                let state = match dentismile_client::pb::SlotState::try_from(conflict.state) {
                    Ok(dentismile_client::pb::SlotState::Booked) => "booked",
                    Ok(dentismile_client::pb::SlotState::Withdrawn) => "withdrawn",
                    _ => "free",
                };
                lines.push(Line::styled(
                    fit(
                        &format!(
                            " ✗ collides with the {state} slot {} {}",
                            day_label(LocalDay::of(start)),
                            period(start, end)
                        ),
                        width,
                    ),
                    theme.error(),
                ));
            }
            for (day, span, count) in days {
                lines.push(Line::from(vec![
                    Span::styled(format!(" {}", pad(&day_label(day), 11)), theme.text()),
                    Span::styled(format!(" {span}  "), theme.text()),
                    Span::styled(format!("{count} slots"), theme.free()),
                ]));
            }
        }
    }
    for (y, line) in (inner.y..inner.bottom()).zip(lines) {
        put(buf, Rect::new(inner.x, y, inner.width, 1), &line);
    }
}
