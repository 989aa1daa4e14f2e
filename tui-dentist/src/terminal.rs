//! The real terminal: raw mode, the alternate screen and mouse capture, a panic hook that puts
//! the terminal back before the message is printed, a thread reading input, and the loop that
//! feeds actions to [`update`] and draws after each.

use std::{io::stdout, time::Duration};

use anyhow::Context;
use crossterm::{
    event::{DisableMouseCapture, EnableMouseCapture, Event},
    execute,
};
use dentismile_client::Client;
use dentismile_domain::jiff::Timestamp;
use tokio::sync::mpsc;
use tracing::{error, info, warn};

use crate::{action::Action, app::App, config::Config, keys, runtime::Driver, update::update};

/// Restores the terminal when dropped, whichever way the loop ends.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = execute!(stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

/// Logs a panic and turns mouse capture off; installed before ratatui's own hook, which
/// leaves raw mode and the alternate screen first and then calls this one.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture);
        error!(%info, "panic");
        previous(info);
    }));
}

/// Runs the program until the user quits.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let client = Client::new(&config.gateway).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (actions, mut answers) = mpsc::unbounded_channel();
    let mut driver = Driver::new(client, config.broker.clone(), actions);
    let mut app = App::new(Timestamp::now(), config.colors);
    app.gateway = config.gateway.clone();

    install_panic_hook();
    let mut terminal = ratatui::try_init().context("cannot take over the terminal")?;
    let _restore = Restore;
    execute!(stdout(), EnableMouseCapture).context("cannot capture the mouse")?;
    let size = terminal.size().context("cannot read the terminal's size")?;
    app.size = (size.width, size.height);
    info!(gateway = %config.gateway, "started");

    // crossterm's reads block, so they get a thread of their own.
    let (events_sender, mut events) = mpsc::unbounded_channel::<Event>();
    std::thread::spawn(move || {
        loop {
            match crossterm::event::read() {
                Ok(event) => {
                    if events_sender.send(event).is_err() {
                        return;
                    }
                }
                Err(error) => {
                    warn!(%error, "reading the terminal failed");
                    return;
                }
            }
        }
    });

    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        terminal
            .draw(|frame| frame.render_widget(&app, frame.area()))
            .context("cannot draw")?;
        let action = tokio::select! {
            event = events.recv() => match event {
                Some(event) => keys::event_action(&app, &event),
                None => Some(Action::Quit),
            },
            Some(action) = answers.recv() => Some(action),
            _ = ticks.tick() => Some(Action::Tick(Timestamp::now())),
        };
        if let Some(action) = action {
            for command in update(&mut app, action) {
                driver.run(command);
            }
        }
        // Whatever else is already waiting is applied before the next draw.
        while let Ok(action) = answers.try_recv() {
            for command in update(&mut app, action) {
                driver.run(command);
            }
        }
        if app.quit {
            break;
        }
    }
    driver.shut_down().await;
    info!("quit");
    Ok(())
}
