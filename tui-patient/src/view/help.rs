//! The help overlay: every key, from [`crate::keys::HELP`], in two columns so it fits 80x24.

use ratatui::{
    buffer::Buffer,
    layout::{Constraint, Layout, Margin, Rect},
    text::{Line, Span},
    widgets::{Block, Clear, Paragraph, Widget},
};

use super::{bold, dim};
use crate::{keys::HELP, layout};

const KEY_WIDTH: usize = 13;

fn section(title: &str, keys: &[(&str, &str)], lines: &mut Vec<Line<'static>>) {
    if !lines.is_empty() {
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(title.to_string(), bold()));
    for (key, what) in keys {
        lines.push(Line::from(vec![
            Span::styled(format!("{key:<KEY_WIDTH$}"), bold()),
            Span::raw(what.to_string()),
        ]));
    }
}

pub(super) fn render(area: Rect, buf: &mut Buffer) {
    // On a narrow terminal the help covers the whole pane, so no stray border peeks out.
    let place = if area.width < 90 {
        layout::bands(area).body
    } else {
        layout::centered(area, 78, 22)
    };
    Clear.render(place, buf);
    Block::bordered()
        .title(Span::styled(" Keys ", bold()))
        .title_bottom(Line::styled(" Esc or ? closes ", dim()))
        .render(place, buf);
    let inner = place.inner(Margin::new(2, 1));
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .spacing(2)
            .areas(inner);
    let mut first = Vec::new();
    let mut second = Vec::new();
    for (i, (title, keys)) in HELP.iter().enumerate() {
        section(title, keys, if i == 0 { &mut first } else { &mut second });
    }
    Paragraph::new(first).render(left, buf);
    Paragraph::new(second).render(right, buf);
}
