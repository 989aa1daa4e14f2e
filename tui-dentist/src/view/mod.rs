//! Rendering: `impl Widget for &App`. It reads the state and never changes it; where things go
//! comes from [`crate::layout`], which the mouse handling uses too.

mod dialogs;
mod operations;
mod publish;
mod schedule;
mod sign_in;

#[cfg(test)]
mod tests;

use dentismile_client::Connection;
use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
    widgets::Widget,
};

use crate::{
    app::{App, Level, NotificationKind, Screen, Tab},
    layout::{MIN_SIZE, main_layout},
    local_time::{clock, day_label, moment},
    theme::Theme,
};

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme::new(self.colors);
        if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
            too_small(area, buf, theme);
            return;
        }
        match self.screen {
            Screen::SignIn => sign_in::render(self, area, buf, theme),
            Screen::Main => render_main(self, area, buf, theme),
        }
        if self.help {
            dialogs::help(area, buf, theme);
        }
    }
}

fn too_small(area: Rect, buf: &mut Buffer, theme: Theme) {
    let lines = [
        format!(
            "The terminal is {}x{}; make it at least {}x{}.",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        ),
        "q quits.".to_string(),
    ];
    for (row, text) in (area.y..area.bottom()).zip(lines) {
        buf.set_stringn(area.x, row, text, usize::from(area.width), theme.text());
    }
}

/// Draws `line` on one row of `area` (the first), clipped to its width.
pub(crate) fn put(buf: &mut Buffer, area: Rect, line: &Line<'_>) {
    if area.height > 0 && area.width > 0 {
        buf.set_line(area.x, area.y, line, area.width);
    }
}

/// `text` cut to `width` characters, with `…` when cut.
pub(crate) fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

/// Splits `text` at spaces into lines of at most `width` characters (longer words are cut).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

/// `text` padded with spaces (or cut) to exactly `width` characters.
pub(crate) fn pad(text: &str, width: usize) -> String {
    format!("{:<width$}", fit(text, width))
}

fn render_main(app: &App, area: Rect, buf: &mut Buffer, theme: Theme) {
    let layout = main_layout(app, area);
    top_bar(app, &layout, buf, theme);
    match app.tab {
        Tab::Schedule => schedule::render(app, layout.body, buf, theme),
        Tab::Publish => publish::render(app, layout.body, buf, theme),
        Tab::Operations => operations::render(app, layout.body, buf, theme),
    }
    notifications(app, layout.notifications, buf, theme);
    hints(app, layout.hints, buf, theme);
    status_line(app, layout.status, buf, theme, true);
    if let Some(dialog) = &app.dialog {
        dialogs::render(app, dialog, area, buf, theme);
    }
}

fn top_bar(app: &App, layout: &crate::layout::MainLayout, buf: &mut Buffer, theme: Theme) {
    buf.set_style(layout.top, theme.text());
    let mut tabs_end = layout.top.x;
    for (tab, rect) in &layout.tabs {
        let style = if *tab == app.tab {
            theme.selected().patch(theme.title())
        } else {
            theme.dim()
        };
        let number = match tab {
            Tab::Schedule => 1,
            Tab::Publish => 2,
            Tab::Operations => 3,
        };
        put(
            buf,
            *rect,
            &Line::from(Span::styled(format!(" {number} {} ", tab.title()), style)),
        );
        tabs_end = rect.right();
    }
    let who = app
        .account
        .as_ref()
        .map(|a| a.display_name.clone())
        .unwrap_or_default();
    let clinic = app.clinic().map(|c| c.name.clone()).unwrap_or_default();
    let time = format!("{} {}", day_label(app.today()), clock(app.now));
    let room = usize::from(layout.top.right().saturating_sub(tabs_end + 2));
    let candidates = [
        format!("{who} · {clinic} · {time} "),
        format!("{clinic} · {time} "),
        format!("{time} "),
    ];
    if let Some(text) = candidates.iter().find(|t| t.chars().count() <= room) {
        let width = u16::try_from(text.chars().count()).unwrap_or(0);
        let x = layout.top.right().saturating_sub(width);
        buf.set_string(x, layout.top.y, text, theme.dim());
    }
}

fn notifications(app: &App, area: Rect, buf: &mut Buffer, theme: Theme) {
    let title = if app.notifications.is_empty() {
        "─ Notifications ".to_string()
    } else {
        format!(
            "─ Notifications ({}; n or a click shows the slot) ",
            app.notifications.len()
        )
    };
    let rule = format!(
        "{title}{}",
        "─".repeat(usize::from(area.width).saturating_sub(title.chars().count()))
    );
    buf.set_stringn(
        area.x,
        area.y,
        rule,
        usize::from(area.width),
        theme.accent(),
    );
    let width = usize::from(area.width);
    if app.notifications.is_empty() {
        put(
            buf,
            Rect::new(area.x, area.y + 1, area.width, 1),
            &Line::styled(
                fit(
                    " Bookings and cancellations by patients appear here as they happen.",
                    width,
                ),
                theme.dim(),
            ),
        );
        return;
    }
    for (row, notification) in (area.y + 1..area.bottom()).zip(app.notifications.iter()) {
        let (mark, verb, style) = match notification.kind {
            NotificationKind::Booked => ("●", "booked   ", theme.booked()),
            NotificationKind::Cancelled => ("○", "cancelled", theme.free()),
        };
        let who = notification
            .patient
            .clone()
            .unwrap_or_else(|| match notification.kind {
                NotificationKind::Booked => "a patient".to_string(),
                NotificationKind::Cancelled => "a booking".to_string(),
            });
        let mut text = format!("{}–{}", moment(notification.start), clock(notification.end));
        if app.is_admin() {
            text.push_str(&format!(
                " · {}",
                app.dentist_name(&notification.dentist_id)
            ));
        }
        text.push_str(&format!(" · {who}"));
        if let Some(reason) = notification.reason.as_ref().filter(|r| !r.is_empty()) {
            text.push_str(&format!(": “{reason}”"));
        }
        if notification.kind == NotificationKind::Cancelled {
            text.push_str(" · free again");
        }
        let line = Line::from(vec![
            Span::styled(format!(" {} ", clock(notification.at)), theme.dim()),
            Span::styled(format!("{mark} {verb} "), style),
            Span::styled(fit(&text, width.saturating_sub(19)), theme.text()),
        ]);
        put(buf, Rect::new(area.x, row, area.width, 1), &line);
    }
}

fn hints(app: &App, area: Rect, buf: &mut Buffer, theme: Theme) {
    // Two versions: what must fit in 80 columns, and the longer one when there is room.
    let (short, long) = if app.dialog.is_some() {
        (
            "Enter confirms · Esc closes · ? help",
            "Enter confirms · Esc closes · ? help",
        )
    } else {
        match app.tab {
            Tab::Schedule => (
                "←→ day  [] week  ↑↓ slot  v view  Enter act  u day off  i/e csv  ? help  q quit",
                "←→ day  [ ] week  ↑↓ slot  t today  v view  c cancel  x withdraw  a add  u day off  i/e csv  n newest  ? help  q quit",
            ),
            Tab::Publish => (
                "↑↓ field  Space weekday  Enter preview, again publishes  Esc drop  ? help",
                "↑↓ field  ←→ Space weekdays  type times and dates  Enter preview, Enter again publishes  Esc drop preview  ? help  q quit",
            ),
            Tab::Operations => (
                "refreshed every 2 s · r now · Tab other tabs · ? help · q quit",
                "refreshed every 2 s · r now · Tab other tabs · ? help · q quit",
            ),
        }
    };
    let width = usize::from(area.width);
    let text = if long.chars().count() < width {
        long
    } else {
        short
    };
    put(
        buf,
        area,
        &Line::styled(fit(&format!(" {text}"), width), theme.dim()),
    );
}

/// The status message on the left and, when signed in, where live updates come from.
pub(crate) fn status_line(app: &App, area: Rect, buf: &mut Buffer, theme: Theme, with_live: bool) {
    let (live, live_style) = match &app.live {
        Some(Connection::Mqtt(broker)) => (format!("● live: {broker} "), theme.good()),
        Some(Connection::Grpc) => ("● live: gateway stream ".to_string(), theme.good()),
        Some(Connection::Offline(_)) => ("○ live: offline, retrying ".to_string(), theme.error()),
        Some(Connection::Connecting) | None => ("○ live: connecting ".to_string(), theme.dim()),
    };
    let live = if with_live { live } else { String::new() };
    let live_width = u16::try_from(live.chars().count()).unwrap_or(0);
    let message_width = usize::from(area.width.saturating_sub(live_width + 1));
    if let Some(status) = &app.status {
        let (mark, style) = match status.level {
            Level::Info => ("", theme.text()),
            Level::Error => ("✗ ", theme.error()),
        };
        put(
            buf,
            area,
            &Line::styled(
                fit(&format!(" {mark}{}", status.text), message_width),
                style,
            ),
        );
    }
    buf.set_string(
        area.right().saturating_sub(live_width),
        area.y,
        live,
        live_style,
    );
}
