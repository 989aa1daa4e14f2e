//! Styles that read on dark and light terminals alike: the terminal's own foreground and
//! background everywhere, the named ANSI colours only as accents (each terminal theme picks
//! readable shades of those for its background), never a fixed white, black or grey, and
//! selection by reversing colours. Every state also has a symbol or a word, so nothing is told
//! by colour alone, and with `NO_COLOR` only bold, dim and reverse remain.

use ratatui::style::{Color, Modifier, Style};

/// The styles of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    colors: bool,
}

impl Theme {
    /// With or without colours.
    pub fn new(colors: bool) -> Self {
        Self { colors }
    }

    fn color(self, color: Color) -> Style {
        if self.colors {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// Plain text.
    pub fn text(self) -> Style {
        Style::new()
    }

    /// Secondary text: hints, labels.
    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    /// Titles and headings.
    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The current tab, focused field or selected slot.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// A free slot.
    pub fn free(self) -> Style {
        self.color(Color::Green)
    }

    /// A booked slot: the terminal's own colour, bold, so the names stand out on any
    /// background.
    pub fn booked(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// A withdrawn slot.
    pub fn withdrawn(self) -> Style {
        Style::new().add_modifier(Modifier::DIM | Modifier::CROSSED_OUT)
    }

    /// The current-time line and today's heading.
    pub fn now(self) -> Style {
        self.color(Color::Magenta).add_modifier(Modifier::BOLD)
    }

    /// Errors.
    pub fn error(self) -> Style {
        self.color(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Good news: serving, connected, published.
    pub fn good(self) -> Style {
        self.color(Color::Green)
    }

    /// Frames and accents.
    pub fn accent(self) -> Style {
        self.color(Color::Blue)
    }
}
