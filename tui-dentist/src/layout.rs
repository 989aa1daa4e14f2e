//! The geometry of every screen, computed from the state and the terminal's size. Rendering and
//! mouse hit-testing both use it, so what is drawn where is also what a click there means.

use dentismile_domain::time::LocalDay;
use ratatui::layout::Rect;

use crate::{
    app::{App, Screen, SignInField, Tab, ViewMode},
    plan_form::PlanField,
};

/// The smallest terminal the screens are laid out for.
pub const MIN_SIZE: (u16, u16) = (80, 24);
/// Width of a plan form label.
pub const LABEL_WIDTH: u16 = 14;
/// Width of one weekday box in the plan form, `[x] Mon `.
pub const WEEKDAY_WIDTH: u16 = 8;

/// The main screen's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainLayout {
    /// The tab bar's titles.
    pub tabs: Vec<(Tab, Rect)>,
    /// The whole top row.
    pub top: Rect,
    /// The selected tab's content.
    pub body: Rect,
    /// Notifications, with a title row.
    pub notifications: Rect,
    /// The key hints line.
    pub hints: Rect,
    /// The status line.
    pub status: Rect,
}

/// Lays out the main screen.
pub fn main_layout(app: &App, area: Rect) -> MainLayout {
    let notification_rows = if area.height >= 34 { 6 } else { 3 };
    let top = Rect::new(area.x, area.y, area.width, 1.min(area.height));
    let status = Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1);
    let hints = Rect::new(area.x, area.bottom().saturating_sub(2), area.width, 1);
    let notifications_y = area.bottom().saturating_sub(2 + notification_rows);
    let notifications = Rect::new(area.x, notifications_y, area.width, notification_rows);
    let body_y = area.y + 1;
    let body = Rect::new(
        area.x,
        body_y,
        area.width,
        notifications_y.saturating_sub(body_y),
    );
    let mut tabs = Vec::new();
    let mut x = area.x + 1;
    for tab in app.tabs() {
        let width = u16::try_from(tab.title().len()).unwrap_or(0) + 4;
        tabs.push((tab, Rect::new(x, area.y, width, 1)));
        x += width + 1;
    }
    MainLayout {
        tabs,
        top,
        body,
        notifications,
        hints,
        status,
    }
}

/// The sign-in form's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLayout {
    /// The framed panel.
    pub panel: Rect,
    /// The email field.
    pub email: Rect,
    /// The password field.
    pub password: Rect,
    /// Below the fields: hints.
    pub hints: Rect,
    /// The status line.
    pub status: Rect,
}

/// Lays out the sign-in screen.
pub fn sign_in_layout(area: Rect) -> SignInLayout {
    let status = Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1);
    let width = area.width.saturating_sub(4).min(72);
    let height = 14.min(area.height.saturating_sub(2));
    let panel = centered(
        Rect::new(area.x, area.y, area.width, area.height.saturating_sub(1)),
        width,
        height,
    );
    let inner_x = panel.x + 2;
    let inner_width = panel.width.saturating_sub(4);
    let field_x = inner_x + 11;
    let field_width = inner_width.saturating_sub(11);
    SignInLayout {
        panel,
        email: Rect::new(field_x, panel.y + 5, field_width, 1),
        password: Rect::new(field_x, panel.y + 7, field_width, 1),
        hints: Rect::new(
            inner_x,
            panel.y + 9,
            inner_width,
            panel.height.saturating_sub(10),
        ),
        status,
    }
}

/// `width` x `height` in the middle of `area` (clamped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// What a line of a slot list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// The slot at this index of the day.
    Slot(usize),
    /// The current-time line.
    Now,
}

/// The visible rows of a day's list of `count` slots with the "now" line before slot
/// `now_at`, scrolled so that `selected` is visible: `offset` rows are skipped.
pub fn list_rows(count: usize, now_at: Option<usize>, height: usize, offset: usize) -> Vec<Row> {
    all_rows(count, now_at)
        .into_iter()
        .skip(offset)
        .take(height)
        .collect()
}

fn all_rows(count: usize, now_at: Option<usize>) -> Vec<Row> {
    let mut rows = Vec::with_capacity(count + 1);
    for index in 0..count {
        if now_at == Some(index) {
            rows.push(Row::Now);
        }
        rows.push(Row::Slot(index));
    }
    if now_at.is_some_and(|at| at >= count) {
        rows.push(Row::Now);
    }
    rows
}

/// How many rows to skip so the selected slot shows, a third of the way down when scrolled.
pub fn list_offset(count: usize, now_at: Option<usize>, selected: usize, height: usize) -> usize {
    let rows = all_rows(count, now_at);
    if rows.len() <= height || height == 0 {
        return 0;
    }
    let selected_row = rows
        .iter()
        .position(|r| *r == Row::Slot(selected))
        .unwrap_or(0);
    selected_row
        .saturating_sub(height / 3)
        .min(rows.len() - height)
}

/// The selected day's scroll applied to another day's list: the same, so a time sits at
/// about the same height across the week, but never past the end, and none when it fits.
pub fn column_offset(offset: usize, count: usize, now_at: Option<usize>, height: usize) -> usize {
    let total = count + usize::from(now_at.is_some());
    offset.min(total.saturating_sub(height))
}

/// The schedule tab's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleLayout {
    /// Title row.
    pub title: Rect,
    /// Column headings (week) or table heading (day).
    pub headings: Rect,
    /// One list per day shown, with the day.
    pub lists: Vec<(LocalDay, Rect)>,
    /// Details of the selected slot.
    pub details: Rect,
    /// Rows skipped at the top of every list.
    pub offset: usize,
}

/// Lays out the schedule tab in `body`.
pub fn schedule_layout(app: &App, body: Rect) -> ScheduleLayout {
    let details_rows = 1;
    let title = Rect::new(body.x, body.y, body.width, 1);
    let headings = Rect::new(body.x, body.y + 1, body.width, 1);
    let list_height = body.height.saturating_sub(2 + details_rows);
    let details = Rect::new(body.x, body.y + 2 + list_height, body.width, details_rows);
    let lists = match app.schedule.mode {
        ViewMode::Day => vec![(
            app.schedule.day,
            Rect::new(body.x, body.y + 2, body.width, list_height),
        )],
        ViewMode::Week => {
            let monday = app.monday();
            let width = body.width / 7;
            (0..7u16)
                .map(|i| {
                    let last = i == 6;
                    let w = if last { body.width - width * 6 } else { width };
                    (
                        monday.plus_days(i32::from(i)),
                        Rect::new(body.x + width * i, body.y + 2, w, list_height),
                    )
                })
                .collect()
        }
    };
    let day = app.schedule.day;
    let offset = list_offset(
        app.day_entries(day).len(),
        app.now_position(day),
        app.schedule.selected,
        usize::from(list_height),
    );
    ScheduleLayout {
        title,
        headings,
        lists,
        details,
        offset,
    }
}

/// The publish tab's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLayout {
    /// The title row.
    pub title: Rect,
    /// The dentist row.
    pub dentist: Rect,
    /// One row per field.
    pub fields: Vec<(PlanField, Rect)>,
    /// The weekday boxes, Monday first.
    pub weekdays: Vec<Rect>,
    /// The form's error or hint.
    pub message: Rect,
    /// The preview.
    pub preview: Rect,
}

/// Lays out the publish tab in `body`.
pub fn plan_layout(body: Rect) -> PlanLayout {
    let row = |i: u16| Rect::new(body.x, body.y + i, body.width, 1);
    let fields: Vec<(PlanField, Rect)> = PlanField::ALL
        .iter()
        .zip(2u16..)
        .map(|(field, i)| (*field, row(i)))
        .collect();
    let weekdays = (0..7u16)
        .map(|i| {
            Rect::new(
                body.x + LABEL_WIDTH + i * WEEKDAY_WIDTH,
                body.y + 2,
                WEEKDAY_WIDTH,
                1,
            )
        })
        .collect();
    PlanLayout {
        title: row(0),
        dentist: row(1),
        fields,
        weekdays,
        message: row(8),
        preview: Rect::new(
            body.x,
            body.y + 9,
            body.width,
            body.height.saturating_sub(9),
        ),
    }
}

/// What a click landed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A tab title.
    Tab(Tab),
    /// A slot of a day.
    Slot(LocalDay, usize),
    /// A sign-in field.
    SignIn(SignInField),
    /// A plan form field.
    PlanField(PlanField),
    /// A weekday box of the plan form, Monday = 0.
    Weekday(usize),
    /// A notification line (0 = newest).
    Notification(usize),
    /// Nothing clickable.
    Nothing,
}

fn contains(rect: Rect, column: u16, row: u16) -> bool {
    column >= rect.x && column < rect.right() && row >= rect.y && row < rect.bottom()
}

/// What is at `(column, row)` on a screen of the app's size.
pub fn hit(app: &App, column: u16, row: u16) -> Target {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    if app.help || app.dialog.is_some() {
        return Target::Nothing;
    }
    if app.screen == Screen::SignIn {
        let layout = sign_in_layout(area);
        if contains(layout.email, column, row) {
            return Target::SignIn(SignInField::Email);
        }
        if contains(layout.password, column, row) {
            return Target::SignIn(SignInField::Password);
        }
        return Target::Nothing;
    }
    let main = main_layout(app, area);
    if let Some((tab, _)) = main.tabs.iter().find(|(_, r)| contains(*r, column, row)) {
        return Target::Tab(*tab);
    }
    if contains(main.notifications, column, row) && row > main.notifications.y {
        let index = usize::from(row - main.notifications.y - 1);
        if index < app.notifications.len() {
            return Target::Notification(index);
        }
        return Target::Nothing;
    }
    if !contains(main.body, column, row) {
        return Target::Nothing;
    }
    match app.tab {
        Tab::Schedule => {
            let layout = schedule_layout(app, main.body);
            for (day, rect) in &layout.lists {
                if !contains(*rect, column, row) {
                    continue;
                }
                let count = app.day_entries(*day).len();
                let now_at = app.now_position(*day);
                let height = usize::from(rect.height);
                let offset = column_offset(layout.offset, count, now_at, height);
                let rows = list_rows(count, now_at, height, offset);
                return match rows.get(usize::from(row - rect.y)) {
                    Some(Row::Slot(index)) => Target::Slot(*day, *index),
                    _ => Target::Nothing,
                };
            }
            Target::Nothing
        }
        Tab::Publish => {
            let layout = plan_layout(main.body);
            if let Some(i) = layout
                .weekdays
                .iter()
                .position(|r| contains(*r, column, row))
            {
                return Target::Weekday(i);
            }
            layout
                .fields
                .iter()
                .find(|(_, r)| contains(*r, column, row))
                .map_or(Target::Nothing, |(field, _)| Target::PlanField(*field))
        }
        Tab::Operations => Target::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_now_line_sits_between_the_slots_around_it_and_the_selection_stays_visible() {
        assert_eq!(
            list_rows(3, Some(1), 10, 0),
            [Row::Slot(0), Row::Now, Row::Slot(1), Row::Slot(2)]
        );
        assert_eq!(list_rows(2, Some(2), 10, 0).last(), Some(&Row::Now));
        assert_eq!(list_offset(5, None, 4, 10), 0, "everything fits");
        let offset = list_offset(30, Some(10), 29, 12);
        let rows = list_rows(30, Some(10), 12, offset);
        assert!(rows.contains(&Row::Slot(29)));
        let offset = list_offset(30, Some(10), 12, 12);
        let rows = list_rows(30, Some(10), 12, offset);
        assert!(rows.contains(&Row::Slot(12)) && rows.contains(&Row::Now));
    }

    #[test]
    fn centred_boxes_stay_inside_small_screens() {
        let area = Rect::new(0, 0, 80, 24);
        assert_eq!(centered(area, 40, 10), Rect::new(20, 7, 40, 10));
        assert_eq!(centered(area, 100, 30), area);
    }
}
