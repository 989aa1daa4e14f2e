//! Where everything goes on the screen, as pure functions of the terminal's size. Rendering
//! draws into these rectangles and `update` hit-tests mouse clicks and keeps scroll positions
//! with the same ones, so what is clicked is always what was drawn.

use ratatui::layout::{Constraint, Layout, Margin, Rect};

use crate::app::{Pane, WEEK_DAYS};

/// The brand at the left of the tab bar.
pub const BRAND: &str = " DentiSmile ";
/// Rows per clinic in the list (name and hours; neighbourhood and address).
pub const CLINIC_LINES: u16 = 2;
/// Width of the week view's time column.
pub const TIME_WIDTH: u16 = 6;
/// Below this size the screen says it is too small instead of drawing a mess.
pub const MIN_WIDTH: u16 = 60;
/// Below this size the screen says it is too small instead of drawing a mess.
pub const MIN_HEIGHT: u16 = 16;

/// The three bands of the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bands {
    /// Tab bar (one row).
    pub tabs: Rect,
    /// The focused pane.
    pub body: Rect,
    /// Status line (one row).
    pub status: Rect,
}

/// Splits the screen.
pub fn bands(area: Rect) -> Bands {
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    Bands { tabs, body, status }
}

/// The label of a pane's tab.
pub fn tab_label(pane: Pane) -> String {
    format!(" {} {} ", pane.key(), pane.title())
}

/// Each tab and where it is drawn.
pub fn tabs(tabs: Rect) -> Vec<(Pane, Rect)> {
    let mut x = tabs.x + BRAND.len() as u16 + 1;
    Pane::ALL
        .iter()
        .map(|pane| {
            let width = tab_label(*pane).len() as u16;
            let rect = Rect::new(x, tabs.y, width, 1).intersection(tabs);
            x += width + 1;
            (*pane, rect)
        })
        .collect()
}

/// The clinics pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClinicsLayout {
    /// The list's border.
    pub list_block: Rect,
    /// The list's rows.
    pub list: Rect,
    /// The map's border.
    pub map_block: Rect,
    /// The selected clinic's details (with border).
    pub details: Rect,
}

/// Lays out the clinics pane.
pub fn clinics(body: Rect) -> ClinicsLayout {
    let [list_block, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    let [map_block, details] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(8)]).areas(right);
    ClinicsLayout {
        list_block,
        list: list_block.inner(Margin::new(1, 1)),
        map_block,
        details,
    }
}

/// How many clinics fit in the list.
pub fn clinics_visible(body: Rect) -> usize {
    usize::from(clinics(body).list.height / CLINIC_LINES).max(1)
}

/// The week pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekLayout {
    /// Border.
    pub block: Rect,
    /// Day headings (one row).
    pub heading: Rect,
    /// Time rows.
    pub grid: Rect,
    /// The selected cell's details and the keys (two rows).
    pub detail: Rect,
    /// Width of one day column.
    pub day_width: u16,
}

/// Lays out the week pane.
pub fn week(body: Rect) -> WeekLayout {
    let inner = body.inner(Margin::new(1, 1));
    let [heading, grid, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(inner);
    WeekLayout {
        block: body,
        heading,
        grid,
        detail,
        day_width: inner.width.saturating_sub(TIME_WIDTH) / WEEK_DAYS as u16,
    }
}

impl WeekLayout {
    /// The rectangle of a day's column within `band` (the heading or the grid).
    pub fn column(&self, band: Rect, day: usize) -> Rect {
        Rect::new(
            band.x + TIME_WIDTH + self.day_width * day as u16,
            band.y,
            self.day_width,
            band.height,
        )
        .intersection(band)
    }

    /// The (day, shown row) under a screen position in the grid.
    pub fn cell_at(&self, column: u16, row: u16) -> Option<(usize, usize)> {
        let x0 = self.grid.x + TIME_WIDTH;
        if self.day_width == 0
            || row < self.grid.y
            || row >= self.grid.bottom()
            || column < x0
            || column >= x0 + self.day_width * WEEK_DAYS as u16
        {
            return None;
        }
        Some((
            usize::from((column - x0) / self.day_width),
            usize::from(row - self.grid.y),
        ))
    }
}

/// How many time rows fit in the week.
pub fn week_visible(body: Rect) -> usize {
    usize::from(week(body).grid.height).max(1)
}

/// A bordered list with a heading row: the earliest slots and my appointments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableLayout {
    /// Border.
    pub block: Rect,
    /// Column headings.
    pub header: Rect,
    /// Rows.
    pub rows: Rect,
    /// A line of keys at the bottom.
    pub footer: Rect,
}

/// Lays out a list pane.
pub fn table(body: Rect) -> TableLayout {
    let inner = body.inner(Margin::new(1, 1));
    let [header, rows, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    TableLayout {
        block: body,
        header,
        rows,
        footer,
    }
}

/// How many rows fit in a list pane.
pub fn table_visible(body: Rect) -> usize {
    usize::from(table(body).rows.height).max(1)
}

/// The row of a list under a screen position.
pub fn row_at(rows: Rect, column: u16, row: u16) -> Option<usize> {
    (rows.x..rows.right()).contains(&column).then_some(()).and(
        (rows.y..rows.bottom())
            .contains(&row)
            .then(|| usize::from(row - rows.y)),
    )
}

/// A box of at most `width` x `height` in the middle of `area`, leaving a margin.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(2));
    let height = height.min(area.height.saturating_sub(2));
    area.centered(Constraint::Length(width), Constraint::Length(height))
}

/// The sign-in screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLayout {
    /// The form's border.
    pub form: Rect,
    /// One row per field, in the form's order.
    pub fields: Vec<Rect>,
    /// The keys and messages below the fields.
    pub notes: Rect,
}

/// Lays out the sign-in form for `fields` fields.
pub fn sign_in(area: Rect, fields: usize) -> SignInLayout {
    let form = centered(area, 64, 9 + 2 * fields as u16);
    let inner = form.inner(Margin::new(2, 1));
    // A line of introduction, a blank, then each field on its own row with a blank between.
    let fields_rects = (0..fields)
        .map(|i| Rect::new(inner.x, inner.y + 2 + 2 * i as u16, inner.width, 1).intersection(inner))
        .collect();
    let notes_top = inner.y + 2 + 2 * fields as u16;
    let notes = Rect::new(
        inner.x,
        notes_top,
        inner.width,
        inner.bottom().saturating_sub(notes_top),
    )
    .intersection(inner);
    SignInLayout {
        form,
        fields: fields_rects,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_week_grid_fits_80_columns_and_hit_tests_its_cells() {
        let bands = bands(Rect::new(0, 0, 80, 24));
        assert_eq!(bands.body, Rect::new(0, 1, 80, 22));
        let week = week(bands.body);
        assert_eq!(week.day_width, 10);
        assert_eq!(week.grid.height, 17);
        // The first cell of the first day, and the last day.
        assert_eq!(week.cell_at(1 + TIME_WIDTH, week.grid.y), Some((0, 0)));
        assert_eq!(
            week.cell_at(1 + TIME_WIDTH + 6 * 10 + 9, week.grid.y + 3),
            Some((6, 3))
        );
        assert_eq!(week.cell_at(2, week.grid.y), None, "the time column");
        assert_eq!(week.cell_at(10, week.heading.y), None, "the headings");
    }

    #[test]
    fn tabs_and_rows_are_where_they_are_drawn() {
        let tabs = tabs(Rect::new(0, 0, 80, 1));
        assert_eq!(tabs[0].0, Pane::Clinics);
        assert_eq!(tabs[0].1.x, BRAND.len() as u16 + 1);
        assert!(tabs.windows(2).all(|w| w[0].1.right() < w[1].1.x));
        assert!(tabs[3].1.right() <= 80);
        let rows = Rect::new(2, 5, 10, 3);
        assert_eq!(row_at(rows, 3, 6), Some(1));
        assert_eq!(row_at(rows, 1, 6), None);
        assert_eq!(row_at(rows, 3, 8), None);
    }

    #[test]
    fn dialogs_never_exceed_the_screen() {
        let small = Rect::new(0, 0, 40, 10);
        let dialog = centered(small, 70, 20);
        assert!(dialog.width <= 38 && dialog.height <= 8);
        let form = sign_in(Rect::new(0, 0, 80, 24), 3);
        assert_eq!(form.fields.len(), 3);
        assert!(
            form.fields
                .iter()
                .all(|f| form.form.contains(f.as_position()))
        );
    }
}
