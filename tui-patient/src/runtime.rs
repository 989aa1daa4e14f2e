//! [`Driver`]: runs what `update` asks for. Each [`Command`] becomes a task on the shared
//! `dentismile-client` whose answer comes back as an [`Action`]; the live feed is owned here and
//! its updates become actions too. The terminal loop and the tests drive the same `Driver`, so
//! the tests exercise the real wiring, not a copy of it.

use dentismile_client::{Broker, Client, LiveFeed, LiveUpdate};
use dentismile_domain::{jiff::Timestamp, time::LocalDay};
use tokio::{sync::mpsc, task::JoinSet};

use crate::{
    action::{Action, Command},
    app::App,
    update::update,
};

/// How many earliest free slots to list.
const EARLIEST: u32 = 20;
/// Days after a taken slot searched for alternatives at the same clinic.
const ALTERNATIVE_DAYS: i32 = 6;

/// The state, the client and the running I/O.
#[derive(Debug)]
pub struct Driver {
    /// The state.
    pub app: App,
    client: Client,
    broker: Option<Broker>,
    feed: Option<LiveFeed>,
    sender: mpsc::UnboundedSender<Action>,
    receiver: mpsc::UnboundedReceiver<Action>,
    // Dropping the driver aborts whatever is still under way.
    tasks: JoinSet<()>,
}

impl Driver {
    /// A driver of `app` talking to the gateway through `client`, with live updates from
    /// `broker` (or the gateway's stream).
    pub fn new(app: App, client: Client, broker: Option<Broker>) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            app,
            client,
            broker,
            feed: None,
            sender,
            receiver,
            tasks: JoinSet::new(),
        }
    }

    /// Applies an action and starts the I/O it asks for.
    pub fn dispatch(&mut self, action: Action) {
        match &action {
            // Keystrokes may be a password: never logged.
            Action::Input(_) | Action::Backspace | Action::Tick(_) => {}
            // Where live updates come from is worth keeping at the default level (an offline
            // feed says why only here).
            Action::Live(dentismile_client::LiveUpdate::Connection(connection)) => {
                tracing::info!(?connection, "live updates")
            }
            other => tracing::debug!(action = ?other, "action"),
        }
        for command in update(&mut self.app, action) {
            self.run(command);
        }
        // Forget finished tasks so the set does not grow.
        while self.tasks.try_join_next().is_some() {}
    }

    /// The next answer from a task or the live feed.
    pub async fn next(&mut self) -> Action {
        loop {
            tokio::select! {
                // The driver holds a sender, so the channel never closes.
                Some(action) = self.receiver.recv() => return action,
                update = next_live(&mut self.feed) => match update {
                    Some(update) => return Action::Live(update),
                    None => self.feed = None,
                },
            }
        }
    }

    fn run(&mut self, command: Command) {
        match &command {
            // The file's contents would only swamp the log.
            Command::Export { path, .. } => tracing::info!(path = %path.display(), "export"),
            command => tracing::info!(?command, "command"),
        }
        match command {
            Command::Watch(Some(watch)) => match &self.feed {
                Some(feed) => feed.set_watch(watch),
                None => {
                    self.feed = Some(LiveFeed::start(
                        self.client.clone(),
                        self.broker.clone(),
                        watch,
                    ));
                }
            },
            Command::Watch(None) => self.feed = None,
            command => {
                let client = self.client.clone();
                let sender = self.sender.clone();
                self.tasks.spawn(async move {
                    if let Some(action) = perform(&client, command).await {
                        // The receiver is gone only when the program is ending.
                        let _ = sender.send(action);
                    }
                });
            }
        }
    }
}

async fn next_live(feed: &mut Option<LiveFeed>) -> Option<LiveUpdate> {
    match feed {
        Some(feed) => feed.next().await,
        None => std::future::pending().await,
    }
}

/// Runs one command; its answer as an action.
async fn perform(client: &Client, command: Command) -> Option<Action> {
    let action = match command {
        Command::SignIn { email, password } => {
            Action::SignedIn(client.login(&email, &password.0).await)
        }
        Command::Register {
            email,
            password,
            name,
        } => Action::SignedIn(client.register(&email, &password.0, &name).await),
        Command::SignOut => Action::SignedOut(client.logout().await),
        Command::CheckSession => Action::SessionChecked(client.refresh_if_needed().await),
        Command::LoadClinics => Action::ClinicsLoaded(client.clinics().await),
        Command::LoadSlots { request, watch } => {
            let result = client
                .slots(
                    &watch.clinic_id,
                    &watch.from_day,
                    &watch.to_day,
                    None,
                    false,
                )
                .await;
            Action::SlotsLoaded { request, result }
        }
        Command::LoadEarliest => Action::EarliestLoaded(client.earliest_free(EARLIEST, &[]).await),
        Command::Book { slot, note } => {
            let result = client.book(&slot.slot_ref(), &note).await;
            Action::Booked { slot, result }
        }
        Command::FindAlternatives { taken } => {
            let result = alternatives(client, &taken).await;
            Action::AlternativesLoaded { taken, result }
        }
        Command::LoadAppointments => Action::AppointmentsLoaded(client.my_appointments().await),
        Command::Cancel {
            appointment_id,
            reason,
        } => Action::Cancelled(client.cancel(&appointment_id, &reason).await),
        Command::Export { path, contents } => {
            let written = tokio::task::spawn_blocking(move || {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("{}: {e}", parent.display()))?;
                }
                std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
                Ok(path)
            })
            .await
            .unwrap_or_else(|e| Err(format!("the export stopped: {e}")));
            Action::Exported(written)
        }
        Command::Watch(_) => return None,
    };
    log_failure(&action);
    Some(action)
}

/// Failed calls go to the log with the server's full words (the status line may cut them).
fn log_failure(action: &Action) {
    let error = match action {
        Action::SignedIn(Err(e))
        | Action::SignedOut(Err(e))
        | Action::SessionChecked(Err(e))
        | Action::ClinicsLoaded(Err(e))
        | Action::SlotsLoaded { result: Err(e), .. }
        | Action::EarliestLoaded(Err(e))
        | Action::Booked { result: Err(e), .. }
        | Action::AlternativesLoaded { result: Err(e), .. }
        | Action::AppointmentsLoaded(Err(e))
        | Action::Cancelled(Err(e)) => e.to_string(),
        Action::Exported(Err(e)) => e.clone(),
        _ => return,
    };
    tracing::warn!(%error, "call failed");
}

/// Free slots around a taken one: its clinic from the day before to a week after, and, if that
/// offers few, the earliest anywhere. Ranking them is `update`'s job.
async fn alternatives(
    client: &Client,
    taken: &crate::app::Slot,
) -> Result<Vec<dentismile_client::pb::Slot>, dentismile_client::ClientError> {
    let today = LocalDay::of(Timestamp::now());
    let from = taken.day.plus_days(-1).max(today);
    let to = taken.day.plus_days(ALTERNATIVE_DAYS);
    let mut found = client
        .slots(
            &taken.clinic_id,
            &from.to_string(),
            &to.to_string(),
            None,
            true,
        )
        .await?;
    if found.len() < crate::app::ALTERNATIVES + 1 {
        found.extend(client.earliest_free(EARLIEST, &[]).await?);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exports_write_the_file_and_answer_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::new(Timestamp::now(), dir.path().to_path_buf());
        // Nothing listens there: nothing in this test touches the network.
        let client = Client::new("http://127.0.0.1:1").unwrap();
        let mut driver = Driver::new(app, client, None);
        let path = dir.path().join("new").join("a.ics");
        driver.run(Command::Export {
            path: path.clone(),
            contents: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
        });
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), driver.next())
            .await
            .unwrap();
        assert_eq!(answer, Action::Exported(Ok(path.clone())));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
        );
        driver.dispatch(answer);
        assert!(
            driver.app.status.unwrap().text.contains("a.ics"),
            "the status line says where"
        );
    }

    #[tokio::test]
    async fn a_failed_call_comes_back_as_an_action_not_a_crash() {
        let app = App::new(Timestamp::now(), std::path::PathBuf::new());
        let client = Client::new("http://127.0.0.1:1").unwrap();
        let mut driver = Driver::new(app, client, None);
        driver.dispatch(Action::Started);
        let answer = tokio::time::timeout(std::time::Duration::from_secs(10), driver.next())
            .await
            .unwrap();
        assert!(
            matches!(answer, Action::ClinicsLoaded(Err(_))),
            "{answer:?}"
        );
        driver.dispatch(answer);
        assert!(driver.app.running);
        assert!(!driver.app.clinics_loading);
    }
}
