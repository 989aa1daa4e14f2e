//! What a key or a mouse event means in the current state, and the help table listing every
//! key. Which keys are text depends on [`InputMode`]: in a free-text field every printable key
//! is text; in the plan form only what times, dates and numbers contain is, so letters stay
//! commands there.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use crate::{
    action::Action,
    app::{App, Dialog, InputMode, Tab},
};

/// The help overlay: (section, keys, what they do). Every key the program knows is here.
pub const HELP: &[(&str, &str, &str)] = &[
    ("Everywhere", "? F1", "this help"),
    ("Everywhere", "q Ctrl-C", "quit"),
    ("Everywhere", "Tab S-Tab", "next / previous tab"),
    ("Everywhere", "1 2 3", "go to a tab"),
    ("Everywhere", "Esc", "close a dialog"),
    ("Everywhere", "r", "read again"),
    ("Everywhere", "n", "newest notification"),
    ("Everywhere", "d D", "next/prev dentist"),
    ("Everywhere", "C", "next clinic (admin)"),
    ("Everywhere", "S", "sign out"),
    ("Everywhere", "mouse", "click; wheel scrolls"),
    ("Sign-in", "Tab ↑ ↓", "email / password"),
    ("Sign-in", "Enter", "sign in"),
    ("Sign-in", "Esc", "quit"),
    ("Dialogs", "Enter y", "confirm"),
    ("Dialogs", "Esc n", "cancel"),
    ("Dialogs", "Tab ↑ ↓", "next field, scroll"),
    ("Schedule", "← → h l", "previous / next day"),
    ("Schedule", "↑ ↓ k j", "previous / next slot"),
    ("Schedule", "[ ] PgUp PgDn", "previous / next week"),
    ("Schedule", "t Home", "today"),
    ("Schedule", "v", "day / week view"),
    ("Schedule", "Enter Space", "act on the slot"),
    ("Schedule", "c", "cancel appointment"),
    ("Schedule", "x", "withdraw a free slot"),
    ("Schedule", "a", "add a slot"),
    ("Schedule", "u", "day unavailable"),
    ("Schedule", "i e", "import / export CSV"),
    ("Publish", "↑ ↓ k j", "previous/next field"),
    ("Publish", "← → h l Space", "pick weekdays"),
    ("Publish", "0-9 : - ,", "type into the field"),
    ("Publish", "Bksp Ctrl-U", "delete char / field"),
    ("Publish", "Enter p", "preview / publish"),
    ("Publish", "Esc", "drop the preview"),
];

/// What `event` means; `None` if nothing.
pub fn event_action(app: &App, event: &Event) -> Option<Action> {
    match event {
        Event::Key(key) => key_action(app, *key),
        Event::Mouse(mouse) => mouse_action(*mouse),
        Event::Resize(width, height) => Some(Action::Resize {
            width: *width,
            height: *height,
        }),
        _ => None,
    }
}

fn mouse_action(mouse: MouseEvent) -> Option<Action> {
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
            column: mouse.column,
            row: mouse.row,
        }),
        MouseEventKind::ScrollUp => Some(Action::Up),
        MouseEventKind::ScrollDown => Some(Action::Down),
        _ => None,
    }
}

/// What `key` means.
pub fn key_action(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('c') if ctrl => return Some(Action::Quit),
        KeyCode::Char('u') if ctrl => return Some(Action::ClearInput),
        KeyCode::F(1) => return Some(Action::Help),
        KeyCode::Esc => return Some(Action::Back),
        KeyCode::Enter => return Some(Action::Submit),
        KeyCode::Tab => return Some(Action::FocusNext),
        KeyCode::BackTab => return Some(Action::FocusPrevious),
        KeyCode::Backspace => return Some(Action::Backspace),
        KeyCode::Up => return Some(Action::Up),
        KeyCode::Down => return Some(Action::Down),
        KeyCode::Left => return Some(Action::Left),
        KeyCode::Right => return Some(Action::Right),
        KeyCode::PageUp => return Some(Action::PreviousWeek),
        KeyCode::PageDown => return Some(Action::NextWeek),
        KeyCode::Home => return Some(Action::Today),
        _ => {}
    }
    let KeyCode::Char(c) = key.code else {
        return None;
    };
    if ctrl || key.modifiers.contains(KeyModifiers::ALT) {
        return None;
    }
    match app.input_mode() {
        InputMode::Text => return Some(Action::Input(c)),
        InputMode::Form if c.is_ascii_digit() || ":-, ".contains(c) => {
            return Some(Action::Input(c));
        }
        InputMode::Form if app.dialog.is_some() => {
            return (c == '?').then_some(Action::Help);
        }
        InputMode::Form | InputMode::Command => {}
    }
    if matches!(
        app.dialog,
        Some(
            Dialog::Withdraw { .. }
                | Dialog::Republish { .. }
                | Dialog::ImportConfirm { .. }
                | Dialog::ImportErrors { .. }
        )
    ) {
        return match c {
            'y' => Some(Action::Submit),
            'n' => Some(Action::Back),
            'k' => Some(Action::Up),
            'j' => Some(Action::Down),
            'q' => Some(Action::Quit),
            '?' => Some(Action::Help),
            _ => None,
        };
    }
    let action = match c {
        'q' => Action::Quit,
        '?' => Action::Help,
        'k' => Action::Up,
        'j' => Action::Down,
        'h' => Action::Left,
        'l' => Action::Right,
        '[' => Action::PreviousWeek,
        ']' => Action::NextWeek,
        't' => Action::Today,
        'v' => Action::ToggleView,
        'd' => Action::NextDentist,
        'D' => Action::PreviousDentist,
        'C' => Action::NextClinic,
        'p' => Action::Preview,
        'a' => Action::AddSlot,
        'x' => Action::Withdraw,
        'c' => Action::CancelBooking,
        'u' => Action::ClearDay,
        'i' => Action::Import,
        'e' => Action::Export,
        'r' => Action::Refresh,
        'n' => Action::JumpToNotification,
        'S' => Action::SignOut,
        '1' => Action::ShowTab(Tab::Schedule),
        '2' => Action::ShowTab(Tab::Publish),
        '3' => Action::ShowTab(Tab::Operations),
        ' ' => Action::Submit,
        _ => return None,
    };
    Some(action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn press(app: &App, code: KeyCode) -> Option<Action> {
        key_action(app, KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn letters_are_text_while_typing_and_commands_otherwise() {
        let signed_out = App::new(fixtures::now(), true);
        assert_eq!(
            press(&signed_out, KeyCode::Char('q')),
            Some(Action::Input('q'))
        );
        assert_eq!(
            key_action(
                &signed_out,
                KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        let mut app = fixtures::app();
        assert_eq!(press(&app, KeyCode::Char('q')), Some(Action::Quit));
        assert_eq!(press(&app, KeyCode::Char('j')), Some(Action::Down));
        assert_eq!(press(&app, KeyCode::Char(']')), Some(Action::NextWeek));
        app.tab = Tab::Publish;
        assert_eq!(press(&app, KeyCode::Char('3')), Some(Action::Input('3')));
        assert_eq!(press(&app, KeyCode::Char(' ')), Some(Action::Input(' ')));
        assert_eq!(press(&app, KeyCode::Char('p')), Some(Action::Preview));
        app.tab = Tab::Schedule;
        app.dialog = Some(Dialog::ImportPath {
            path: String::new(),
        });
        assert_eq!(press(&app, KeyCode::Char('q')), Some(Action::Input('q')));
        assert_eq!(press(&app, KeyCode::Esc), Some(Action::Back));
        app.dialog = Some(Dialog::Withdraw {
            entry: fixtures::entries()[0].clone(),
        });
        assert_eq!(press(&app, KeyCode::Char('y')), Some(Action::Submit));
        assert_eq!(press(&app, KeyCode::Char('n')), Some(Action::Back));
    }

    #[test]
    fn the_mouse_clicks_and_scrolls() {
        let app = fixtures::app();
        let click = Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 3,
            row: 4,
            modifiers: KeyModifiers::NONE,
        });
        assert_eq!(
            event_action(&app, &click),
            Some(Action::Click { column: 3, row: 4 })
        );
        let wheel = Event::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: 0,
            row: 0,
            modifiers: KeyModifiers::NONE,
        });
        assert_eq!(event_action(&app, &wheel), Some(Action::Down));
        assert_eq!(
            event_action(&app, &Event::Resize(120, 40)),
            Some(Action::Resize {
                width: 120,
                height: 40
            })
        );
    }

    #[test]
    fn the_help_lists_every_command_key() {
        let keys: String = HELP
            .iter()
            .map(|(_, keys, _)| *keys)
            .collect::<Vec<_>>()
            .join(" ");
        for key in [
            "q", "?", "[", "]", "t", "v", "d", "D", "C", "p", "a", "x", "c", "u", "i", "e", "r",
            "n", "S", "1",
        ] {
            assert!(
                keys.split_whitespace().any(|k| k == key),
                "{key} is missing from the help"
            );
        }
    }
}
