//! Rendering: `impl Widget for &App`. It reads the state and never changes it; geometry comes
//! from [`crate::layout`] so mouse clicks land where things are drawn.
//!
//! Readable on dark and light terminals alike: no background colours carry meaning. Selection
//! is reverse video plus a `▶` marker, outcomes carry `✔`/`✘` and bold, and the few foreground
//! colours (green, red) only repeat what a symbol already says.

mod clinics;
mod dialogs;
mod help;
mod lists;
mod sign_in;
mod week;

#[cfg(test)]
mod tests;

use dentismile_client::Connection;
use ratatui::{
    buffer::Buffer,
    layout::{Alignment, Rect},
    style::{Color, Modifier, Style},
    text::{Line, Span},
    widgets::{Paragraph, Widget, Wrap},
};

use crate::{
    app::{App, Level, Screen},
    keys, layout,
};

/// The selected row or cell.
pub(crate) fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
}

/// Headings.
pub(crate) fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// Secondary text.
pub(crate) fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

/// Something that worked (the `✔` says it too).
pub(crate) fn good() -> Style {
    Style::new().fg(Color::Green).add_modifier(Modifier::BOLD)
}

/// Something that failed (the `✘` says it too).
pub(crate) fn bad() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
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

/// `text` padded or cut to exactly `width` characters.
pub(crate) fn column(text: &str, width: usize) -> String {
    format!("{:<width$}", fit(text, width))
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < layout::MIN_WIDTH || area.height < layout::MIN_HEIGHT {
            Paragraph::new(format!(
                "Make the terminal at least {}×{} (it is {}×{}).",
                layout::MIN_WIDTH,
                layout::MIN_HEIGHT,
                area.width,
                area.height
            ))
            .wrap(Wrap { trim: true })
            .render(area, buf);
            return;
        }
        let bands = layout::bands(area);
        match self.screen {
            Screen::SignIn => {
                title_bar(self, bands.tabs, buf);
                sign_in::render(self, area, buf);
            }
            Screen::Main => {
                title_bar(self, bands.tabs, buf);
                match self.pane {
                    crate::app::Pane::Clinics => clinics::render(self, bands.body, buf),
                    crate::app::Pane::Week => week::render(self, bands.body, buf),
                    crate::app::Pane::Earliest => lists::earliest(self, bands.body, buf),
                    crate::app::Pane::Appointments => lists::appointments(self, bands.body, buf),
                }
            }
        }
        status_line(self, bands.status, buf);
        if let Some(dialog) = &self.dialog {
            dialogs::render(self, dialog, area, buf);
        }
        if self.help {
            help::render(area, buf);
        }
    }
}

fn title_bar(app: &App, area: Rect, buf: &mut Buffer) {
    buf.set_string(area.x, area.y, layout::BRAND, bold());
    if app.screen == Screen::Main {
        for (pane, rect) in layout::tabs(area) {
            let style = if pane == app.pane {
                selected()
            } else {
                Style::new()
            };
            buf.set_stringn(
                rect.x,
                rect.y,
                layout::tab_label(pane),
                usize::from(rect.width),
                style,
            );
        }
    } else {
        buf.set_string(
            area.x + layout::BRAND.len() as u16 + 1,
            area.y,
            "dentist appointments in Gothenburg",
            dim(),
        );
    }
    if let Some(account) = &app.account {
        let used = layout::tabs(area)
            .last()
            .map_or(area.x, |(_, r)| r.right() + 1);
        let room = usize::from(area.right().saturating_sub(used + 1));
        let name = fit(&account.display_name, room);
        let x = area.right().saturating_sub(name.chars().count() as u16 + 1);
        buf.set_string(x, area.y, name, dim());
    }
}

fn connection(app: &App, wide: bool) -> Span<'static> {
    match &app.live {
        None if app.screen == Screen::SignIn => Span::raw(""),
        None => Span::styled("○ not watching", dim()),
        Some(Connection::Connecting) => Span::raw("◌ connecting…"),
        Some(Connection::Mqtt(broker)) if wide => {
            Span::styled(format!("● live · MQTT {broker}"), good())
        }
        Some(Connection::Mqtt(_)) => Span::styled("● live · MQTT", good()),
        Some(Connection::Grpc) => Span::styled("● live · gRPC stream", good()),
        Some(Connection::Offline(_)) => Span::styled("✘ offline, retrying", bad()),
    }
}

fn status_line(app: &App, area: Rect, buf: &mut Buffer) {
    let hint = if app.screen == Screen::SignIn {
        "F1 help  Ctrl-C quit"
    } else if keys::q_quits(app) {
        "? help  q quit"
    } else {
        "Esc back  Ctrl-C quit"
    };
    let mut spans = vec![Span::raw(" ")];
    let live = connection(app, area.width >= 110);
    let has_live = !live.content.is_empty();
    spans.push(live);
    if let Some(status) = app.current_status() {
        if has_live {
            spans.push(Span::styled(" │ ", dim()));
        }
        let style = match status.level {
            Level::Error => bad(),
            Level::Success => good(),
            Level::Info => Style::new(),
        };
        spans.push(Span::styled(status.text.clone(), style));
    }
    let hint_width = hint.chars().count() as u16 + 1;
    let left = Rect::new(area.x, area.y, area.width.saturating_sub(hint_width + 1), 1);
    Paragraph::new(Line::from(spans)).render(left, buf);
    Paragraph::new(Line::styled(hint, dim()))
        .alignment(Alignment::Right)
        .render(
            Rect::new(area.right() - hint_width, area.y, hint_width, 1),
            buf,
        );
}
