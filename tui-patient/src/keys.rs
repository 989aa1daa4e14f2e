//! What a terminal event means in the current state, and the help table that lists every key.
//! Kept apart from `update` so that `update` deals in meanings (`Action::NextWeek`), not in
//! key codes, and so that the help overlay and the mapping sit side by side.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use crate::{
    action::Action,
    app::{App, Dialog, Pane, Screen},
};

/// The help overlay: (section, [(keys, what they do)]), short enough for two columns at 80x24.
/// Every key `action_for` maps is listed (a test checks).
pub const HELP: &[(&str, &[(&str, &str)])] = &[
    (
        "Everywhere",
        &[
            ("? F1", "this help"),
            ("q Ctrl-C", "quit"),
            ("Tab S-Tab", "next / previous pane"),
            ("1 2 3 4", "go to a pane"),
            ("↑↓ k j", "move up / down"),
            ("g G Home End", "first / last"),
            ("Enter", "open / book / confirm"),
            ("Esc", "close, or go back"),
            ("r", "list again"),
            ("e", "earliest free anywhere"),
            ("S", "sign out"),
            ("mouse", "click picks; twice acts"),
        ],
    ),
    (
        "Week",
        &[
            ("←→ h l", "previous / next day"),
            ("[ ] b w", "previous / next week"),
            ("PgUp PgDn", "previous / next week"),
            ("t", "today"),
            ("d", "dentist filter"),
        ],
    ),
    (
        "My appointments",
        &[
            ("c", "cancel (with a reason)"),
            ("x", "save one as .ics"),
            ("X", "save all upcoming"),
        ],
    ),
    (
        "Typing (sign-in, dialogs)",
        &[
            ("letters", "type; Backspace deletes"),
            ("Ctrl-R", "register / sign in"),
            ("↑↓", "choose dentist or slot"),
            ("Enter Esc", "confirm / cancel"),
        ],
    ),
];

/// The action a terminal event stands for here, if any.
pub fn action_for(app: &App, event: &Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => key_action(app, key),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                column: mouse.column,
                row: mouse.row,
            }),
            MouseEventKind::ScrollUp if !app.help => Some(Action::Up),
            MouseEventKind::ScrollDown if !app.help => Some(Action::Down),
            _ => None,
        },
        Event::Resize(width, height) => Some(Action::Resize {
            width: *width,
            height: *height,
        }),
        _ => None,
    }
}

fn key_action(app: &App, key: &KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let plain = !ctrl && !key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Char('c' | 'q') if ctrl => return Some(Action::Quit),
        KeyCode::F(1) => return Some(Action::Help),
        _ => {}
    }
    if app.help {
        return match key.code {
            KeyCode::Esc | KeyCode::Char('?') => Some(Action::Help),
            KeyCode::Char('q') => Some(Action::Quit),
            _ => None,
        };
    }
    // Keys every state shares.
    let common = match key.code {
        KeyCode::Esc => Some(Action::Back),
        KeyCode::Enter => Some(Action::Activate),
        KeyCode::Up => Some(Action::Up),
        KeyCode::Down => Some(Action::Down),
        KeyCode::Tab => Some(Action::NextPane),
        KeyCode::BackTab => Some(Action::PreviousPane),
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    if app.typing() {
        return match key.code {
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char('r') if ctrl && app.dialog.is_none() => Some(Action::ToggleRegister),
            KeyCode::Char(c) if plain => Some(Action::Input(c)),
            _ => None,
        };
    }
    if app.dialog.is_some() {
        return match key.code {
            KeyCode::Char('k') => Some(Action::Up),
            KeyCode::Char('j') => Some(Action::Down),
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Char('?') => Some(Action::Help),
            _ => None,
        };
    }
    if app.screen != Screen::Main || !plain && !matches!(key.code, KeyCode::Char(_)) {
        return None;
    }
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('k') => Action::Up,
        KeyCode::Char('j') => Action::Down,
        KeyCode::Left | KeyCode::Char('h') => Action::Left,
        KeyCode::Right | KeyCode::Char('l') => Action::Right,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::PageUp | KeyCode::Char('[' | 'b') => Action::PreviousWeek,
        KeyCode::PageDown | KeyCode::Char(']' | 'w') => Action::NextWeek,
        KeyCode::Char('t') => Action::Today,
        KeyCode::Char('d') => Action::CycleDentist,
        KeyCode::Char('e') => Action::FindEarliest,
        KeyCode::Char('r') => Action::Refresh,
        KeyCode::Char('S') => Action::SignOut,
        KeyCode::Char('c') => Action::CancelAppointment,
        KeyCode::Char('x') => Action::ExportAppointment,
        KeyCode::Char('X') => Action::ExportAll,
        KeyCode::Char(c @ '1'..='4') => Action::ShowPane(Pane::ALL[usize::from(c as u8 - b'1')]),
        _ => return None,
    })
}

/// Whether `q` quits right now (nothing is being typed, no call is awaited); for the status
/// line's hint.
pub fn q_quits(app: &App) -> bool {
    !app.typing()
        && !matches!(
            app.dialog,
            Some(Dialog::Booking { .. } | Dialog::Cancelling { .. })
        )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crossterm::event::{MouseEvent, MouseEventKind};

    use super::*;
    use crate::app::Dialog;

    fn app(screen: Screen) -> App {
        let mut app = App::new("2026-11-24T09:00:00Z".parse().unwrap(), PathBuf::new());
        app.screen = screen;
        app
    }

    fn press(app: &App, code: KeyCode) -> Option<Action> {
        action_for(app, &Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn press_with(app: &App, code: KeyCode, modifiers: KeyModifiers) -> Option<Action> {
        action_for(app, &Event::Key(KeyEvent::new(code, modifiers)))
    }

    #[test]
    fn vim_keys_and_arrows_mean_the_same_on_the_main_screen() {
        let app = app(Screen::Main);
        for (a, b) in [
            (KeyCode::Char('k'), KeyCode::Up),
            (KeyCode::Char('j'), KeyCode::Down),
            (KeyCode::Char('h'), KeyCode::Left),
            (KeyCode::Char('l'), KeyCode::Right),
            (KeyCode::Char('g'), KeyCode::Home),
            (KeyCode::Char('G'), KeyCode::End),
            (KeyCode::Char('['), KeyCode::PageUp),
            (KeyCode::Char(']'), KeyCode::PageDown),
            (KeyCode::Char('b'), KeyCode::PageUp),
            (KeyCode::Char('w'), KeyCode::PageDown),
        ] {
            assert_eq!(press(&app, a), press(&app, b), "{a:?} and {b:?}");
            assert!(press(&app, a).is_some());
        }
        assert_eq!(press(&app, KeyCode::Char('q')), Some(Action::Quit));
        assert_eq!(press(&app, KeyCode::Char('?')), Some(Action::Help));
        assert_eq!(press(&app, KeyCode::Tab), Some(Action::NextPane));
        assert_eq!(press(&app, KeyCode::BackTab), Some(Action::PreviousPane));
        assert_eq!(
            press(&app, KeyCode::Char('3')),
            Some(Action::ShowPane(Pane::Earliest))
        );
        assert_eq!(press(&app, KeyCode::Char('S')), Some(Action::SignOut));
        assert_eq!(press(&app, KeyCode::Char('X')), Some(Action::ExportAll));
        assert_eq!(press(&app, KeyCode::Char('Z')), None);
    }

    #[test]
    fn text_fields_take_letters_and_ctrl_c_always_quits() {
        let app = app(Screen::SignIn);
        assert_eq!(press(&app, KeyCode::Char('q')), Some(Action::Input('q')));
        assert_eq!(press(&app, KeyCode::Char('?')), Some(Action::Input('?')));
        assert_eq!(press(&app, KeyCode::Backspace), Some(Action::Backspace));
        assert_eq!(press(&app, KeyCode::Enter), Some(Action::Activate));
        assert_eq!(
            press_with(&app, KeyCode::Char('r'), KeyModifiers::CONTROL),
            Some(Action::ToggleRegister)
        );
        assert_eq!(
            press_with(&app, KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
        assert_eq!(press(&app, KeyCode::F(1)), Some(Action::Help));
        let mut main = self::app(Screen::Main);
        main.dialog = Some(Dialog::ConfirmBooking {
            choices: vec![],
            selected: 0,
            note: String::new(),
        });
        assert_eq!(press(&main, KeyCode::Char('j')), Some(Action::Input('j')));
        assert_eq!(press(&main, KeyCode::Down), Some(Action::Down));
        assert!(!q_quits(&main));
    }

    #[test]
    fn the_help_overlay_swallows_keys_but_closes_and_quits() {
        let mut app = app(Screen::Main);
        app.help = true;
        assert_eq!(press(&app, KeyCode::Esc), Some(Action::Help));
        assert_eq!(press(&app, KeyCode::Char('?')), Some(Action::Help));
        assert_eq!(press(&app, KeyCode::Char('q')), Some(Action::Quit));
        assert_eq!(press(&app, KeyCode::Char('j')), None);
    }

    #[test]
    fn mouse_clicks_and_resizes_become_actions() {
        let app = app(Screen::Main);
        let click = Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 12,
            row: 7,
            modifiers: KeyModifiers::NONE,
        });
        assert_eq!(
            action_for(&app, &click),
            Some(Action::Click { column: 12, row: 7 })
        );
        assert_eq!(
            action_for(&app, &Event::Resize(120, 40)),
            Some(Action::Resize {
                width: 120,
                height: 40
            })
        );
    }

    #[test]
    fn the_help_lists_every_key() {
        let listed: Vec<&str> = HELP
            .iter()
            .flat_map(|(_, keys)| keys.iter().flat_map(|(k, _)| k.split_whitespace()))
            .collect();
        for key in [
            "q", "?", "F1", "Ctrl-C", "Tab", "S-Tab", "Enter", "Esc", "r", "e", "S", "c", "x", "X",
            "t", "d", "[", "]", "b", "w", "g", "G", "Home", "End", "h", "l", "k", "j", "1", "4",
            "Ctrl-R", "PgUp", "PgDn", "↑↓", "←→",
        ] {
            assert!(listed.contains(&key), "{key} is missing from the help");
        }
        for (_, keys) in HELP {
            for (key, what) in *keys {
                assert!(
                    key.chars().count() <= 12 && what.chars().count() <= 24,
                    "{key}: {what}"
                );
            }
        }
    }
}
