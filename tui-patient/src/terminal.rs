//! The real terminal: raw mode and the alternate screen (through `ratatui::init`), mouse
//! capture, a panic hook that gives the terminal back before the message prints, an input
//! thread, a one-second clock, and the draw loop.

use std::{
    io::stdout,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use crossterm::{
    event::{self, DisableMouseCapture, EnableMouseCapture, Event},
    execute,
};
use dentismile_client::Client;
use dentismile_domain::jiff::Timestamp;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::{action::Action, app::App, config::Config, keys, runtime::Driver};

/// How long the input thread waits for a key before checking whether to stop.
const INPUT_POLL: Duration = Duration::from_millis(100);

/// Runs the booker until the user quits.
pub fn run(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        // Made before the screen is taken over, so a bad URL is reported readably.
        let client = Client::new(&config.gateway).map_err(|e| anyhow::anyhow!("{e}"))?;
        install_panic_hook();
        let mut terminal = ratatui::init();
        // Without mouse capture the booker still works by keys.
        if let Err(error) = execute!(stdout(), EnableMouseCapture) {
            tracing::warn!(%error, "no mouse capture");
        }
        let app = App::new(Timestamp::now(), config.export_dir.clone());
        let driver = Driver::new(app, client, config.broker.clone());
        let result = event_loop(&mut terminal, driver).await;
        let _ = execute!(stdout(), DisableMouseCapture);
        ratatui::restore();
        result
    })
}

fn install_panic_hook() {
    // ratatui::init adds its own hook on top of this one: it restores the screen first, then
    // this one releases the mouse and logs, then the default hook prints the message.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture);
        tracing::error!("panic: {info}");
        previous(info);
    }));
}

async fn event_loop(terminal: &mut DefaultTerminal, mut driver: Driver) -> anyhow::Result<()> {
    let (events, mut input) = mpsc::unbounded_channel();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        // crossterm's reads block; a thread keeps them off the async workers.
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match event::poll(INPUT_POLL) {
                    Ok(true) => match event::read() {
                        Ok(event) => {
                            if events.send(event).is_err() {
                                return;
                            }
                        }
                        Err(error) => {
                            tracing::error!(%error, "cannot read the terminal");
                            return;
                        }
                    },
                    Ok(false) => {}
                    Err(error) => {
                        tracing::error!(%error, "cannot poll the terminal");
                        return;
                    }
                }
            }
        })
    };
    let size = terminal.size().context("cannot read the terminal size")?;
    driver.dispatch(Action::Resize {
        width: size.width,
        height: size.height,
    });
    driver.dispatch(Action::Tick(Timestamp::now()));
    driver.dispatch(Action::Started);
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    let result = loop {
        if let Err(error) = terminal.draw(|frame| frame.render_widget(&driver.app, frame.area())) {
            break Err(error).context("cannot draw");
        }
        tokio::select! {
            event = input.recv() => match event {
                Some(event) => {
                    if let Some(action) = keys::action_for(&driver.app, &event) {
                        driver.dispatch(action);
                    }
                    if matches!(event, Event::Resize(..)) {
                        terminal.autoresize().context("cannot resize")?;
                    }
                }
                None => break Err(anyhow::anyhow!("the terminal closed")),
            },
            action = driver.next() => driver.dispatch(action),
            _ = clock.tick() => driver.dispatch(Action::Tick(Timestamp::now())),
        }
        if !driver.app.running {
            break Ok(());
        }
    };
    stop.store(true, Ordering::Relaxed);
    let _ = reader.join();
    result
}
