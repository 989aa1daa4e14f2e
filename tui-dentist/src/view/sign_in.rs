//! The sign-in screen.

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, BorderType, Widget},
};

use super::{fit, put, status_line};
use crate::{
    app::{App, SignInField},
    layout::sign_in_layout,
    theme::Theme,
};

pub(super) fn render(app: &App, area: Rect, buf: &mut Buffer, theme: Theme) {
    let layout = sign_in_layout(area);
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.accent())
        .title(Line::styled(
            " DentiSmile · the dentist's schedule ",
            theme.title(),
        ))
        .render(layout.panel, buf);
    let x = layout.panel.x + 2;
    let width = layout.panel.width.saturating_sub(4);
    let row = |offset: u16| Rect::new(x, layout.panel.y + offset, width, 1);
    let w = usize::from(width);
    put(
        buf,
        row(1),
        &Line::styled(
            fit("Sign in with your clinic staff account.", w),
            theme.text(),
        ),
    );
    put(
        buf,
        row(2),
        &Line::styled(
            fit("Dentists: <dentist-id>@<clinic-id>.dentismile.test", w),
            theme.dim(),
        ),
    );
    put(
        buf,
        row(3),
        &Line::styled(
            fit("Clinic admins: admin@<clinic-id>.dentismile.test", w),
            theme.dim(),
        ),
    );
    let form = &app.sign_in;
    let field = |label: &str, value: String, focused: bool, rect: Rect, buf: &mut Buffer| {
        let label_rect = Rect::new(x, rect.y, 11, 1);
        put(
            buf,
            label_rect,
            &Line::styled(
                label.to_string(),
                if focused { theme.title() } else { theme.dim() },
            ),
        );
        let shown = if focused {
            format!("{value}▏")
        } else {
            value
        };
        let style = if focused {
            theme.selected()
        } else {
            theme.text()
        };
        buf.set_style(rect, style);
        put(
            buf,
            rect,
            &Line::styled(fit(&shown, usize::from(rect.width)), style),
        );
    };
    field(
        "Email",
        form.email.clone(),
        form.field == SignInField::Email,
        layout.email,
        buf,
    );
    field(
        "Password",
        "•".repeat(form.password.chars().count()),
        form.field == SignInField::Password,
        layout.password,
        buf,
    );
    let hint = if form.waiting {
        "Signing in…"
    } else {
        "Enter signs in · Tab switches field · Esc quits · F1 help"
    };
    put(
        buf,
        layout.hints,
        &Line::styled(fit(hint, usize::from(layout.hints.width)), theme.dim()),
    );
    if !app.gateway.is_empty() && layout.hints.height > 1 {
        put(
            buf,
            Rect::new(x, layout.hints.y + 2, width, 1),
            &Line::from(vec![
                Span::styled("Server: ", theme.dim()),
                Span::styled(fit(&app.gateway, w.saturating_sub(8)), theme.text()),
            ]),
        );
    }
    status_line(app, layout.status, buf, theme, false);
}
