//! The sign-in / registration form. The password is drawn as dots, one per character.

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Clear, Paragraph, Widget, Wrap},
};

use super::{bold, dim, fit};
use crate::{
    app::{App, Field},
    layout,
};

pub(super) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let form = &app.sign_in;
    let fields = form.fields();
    let place = layout::sign_in(area, fields.len());
    let title = if form.register {
        " Register as a patient "
    } else {
        " Sign in "
    };
    Clear.render(place.form, buf);
    Block::bordered()
        .title(Span::styled(title, bold()))
        .render(place.form, buf);
    let intro = Rect::new(
        place.form.x + 2,
        place.form.y + 1,
        place.form.width.saturating_sub(4),
        1,
    );
    Paragraph::new(Line::styled(
        if form.register {
            "Create your DentiSmile account."
        } else {
            "Book a dentist in Gothenburg."
        },
        dim(),
    ))
    .render(intro, buf);

    const LABEL: usize = 10;
    for (field, rect) in fields.iter().zip(&place.fields) {
        let focused = *field == form.field;
        let label = match field {
            Field::Email => "Email",
            Field::Password => "Password",
            Field::Name => "Your name",
        };
        let value = match field {
            Field::Email => form.email.clone(),
            Field::Name => form.name.clone(),
            Field::Password => "•".repeat(form.password.chars().count()),
        };
        let room = usize::from(rect.width).saturating_sub(LABEL + 3);
        // Show the end of a long value: that is where typing happens.
        let shown: String = {
            let count = value.chars().count();
            value.chars().skip(count.saturating_sub(room)).collect()
        };
        let marker = if focused { "▶ " } else { "  " };
        let mut spans = vec![
            Span::styled(
                format!("{marker}{label:<LABEL$}"),
                if focused { bold() } else { dim() },
            ),
            Span::raw(shown),
        ];
        if focused && !form.busy {
            spans.push(Span::styled("▏", bold()));
        }
        Paragraph::new(Line::from(spans)).render(*rect, buf);
    }

    let mut notes = vec![];
    if form.busy {
        notes.push(Line::styled(
            if form.register {
                "Registering…"
            } else {
                "Signing in…"
            },
            bold(),
        ));
    } else {
        notes.push(Line::from(vec![
            Span::styled("Enter ", bold()),
            Span::raw(if form.register { "register" } else { "sign in" }),
            Span::styled("  Tab ", bold()),
            Span::raw("next field"),
        ]));
        notes.push(Line::from(vec![
            Span::styled("Ctrl-R ", bold()),
            Span::raw(if form.register {
                "I have an account: sign in"
            } else {
                "new here: register"
            }),
        ]));
    }
    if form.register {
        notes.push(Line::styled(
            fit(
                "Passwords have 10 to 128 characters.",
                usize::from(place.notes.width),
            ),
            dim(),
        ));
    }
    Paragraph::new(notes)
        .wrap(Wrap { trim: true })
        .render(place.notes, buf);
}
