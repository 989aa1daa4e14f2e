//! [`Driver`]: runs each [`Command`] as a task against the shared `dentismile-client` (gRPC
//! calls, the MQTT/gRPC live feed, files) and sends the outcome back as an [`Action`]. Nothing
//! here touches the screen or the state.
//!
//! The import's I/O halves, [`check_import`] and [`publish_import`], are public so the
//! integration tests can run exactly what the `i` key runs against a real system.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use dentismile_client::{
    Broker, Client, ClientError, LiveFeed, Watch,
    pb::{self, operations_service_client::OperationsServiceClient},
    slots_csv::LineError,
};
use dentismile_domain::{booking::BookingPolicy, jiff::Timestamp, slot::Slot, time::LocalDay};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::{
    action::{Action, Command, DayReport},
    import::{self, ImportPlan, ImportScope, PUBLISH_BATCH},
    local_time::to_wire,
    schedule::{Entry, EntryState, domain_clinic},
};

/// Most days one schedule request may span (the server's limit is 31, inclusive).
const SCHEDULE_SPAN: i32 = 31;

/// Runs commands; answers arrive on the action channel given to [`Driver::new`].
#[derive(Debug)]
pub struct Driver {
    client: Client,
    broker: Option<Broker>,
    actions: mpsc::UnboundedSender<Action>,
    /// The live feed's watch; dropping it stops the feed's task.
    live: Option<watch::Sender<Watch>>,
}

impl Driver {
    /// A driver for `client`, reading live updates from `broker` when given.
    pub fn new(
        client: Client,
        broker: Option<Broker>,
        actions: mpsc::UnboundedSender<Action>,
    ) -> Self {
        Self {
            client,
            broker,
            actions,
            live: None,
        }
    }

    /// Starts `command`; its outcome comes back as an action.
    pub fn run(&mut self, command: Command) {
        match command {
            Command::Watch(watch) => self.watch(watch),
            Command::SignOut => {
                self.live = None;
                let client = self.client.clone();
                tokio::spawn(async move {
                    if let Err(error) = client.logout().await {
                        warn!(%error, "signing out on the server failed");
                    }
                });
            }
            command => {
                let client = self.client.clone();
                let actions = self.actions.clone();
                tokio::spawn(async move {
                    let action = execute(&client, command).await;
                    // The screen may be gone already (quitting): nothing to tell.
                    let _ = actions.send(action);
                });
            }
        }
    }

    /// Stops the live feed and ends the session on the server (its tokens are held only in
    /// memory, so they would be useless anyway; revoking them is tidier), waiting at most two
    /// seconds for the gateway.
    pub async fn shut_down(&mut self) {
        self.live = None;
        let logout = tokio::time::timeout(Duration::from_secs(2), self.client.logout()).await;
        if !matches!(logout, Ok(Ok(()))) {
            warn!("signing out on the server failed or timed out");
        }
    }

    fn watch(&mut self, wanted: Watch) {
        if let Some(sender) = &self.live {
            sender.send_replace(wanted);
            return;
        }
        let (sender, mut changes) = watch::channel(wanted.clone());
        self.live = Some(sender);
        let client = self.client.clone();
        let broker = self.broker.clone();
        let actions = self.actions.clone();
        tokio::spawn(async move {
            info!(clinic = %wanted.clinic_id, "live feed starting");
            let mut feed = LiveFeed::start(client, broker, wanted);
            loop {
                tokio::select! {
                    update = feed.next() => match update {
                        Some(update) => {
                            if actions.send(Action::Live(update)).is_err() {
                                break;
                            }
                        }
                        None => break,
                    },
                    changed = changes.changed() => {
                        if changed.is_err() {
                            break;
                        }
                        feed.set_watch(changes.borrow_and_update().clone());
                    }
                }
            }
            info!("live feed stopped");
        });
    }
}

fn failed(what: &str, error: ClientError) -> Action {
    Action::Failed {
        what: what.to_string(),
        error,
    }
}

async fn execute(client: &Client, command: Command) -> Action {
    match command {
        Command::SignIn { email, password } => {
            let signed_in = async {
                let account = client.login(&email, &password).await?;
                let clinics = client.clinics().await?;
                Ok::<_, ClientError>((account, clinics))
            };
            match signed_in.await {
                Ok((account, clinics)) => {
                    info!(email = %account.email, "signed in");
                    Action::SignedIn { account, clinics }
                }
                Err(error) => Action::SignInFailed(error),
            }
        }
        Command::LoadSchedule { request, key } => {
            let sunday = key.monday.plus_days(6).to_string();
            match client
                .schedule(
                    &key.clinic_id,
                    Some(&key.dentist_id),
                    &key.monday.to_string(),
                    &sunday,
                )
                .await
            {
                Ok(entries) => Action::ScheduleLoaded { request, entries },
                Err(error) => Action::ScheduleFailed { request, error },
            }
        }
        Command::PreviewPlan(plan) => match client.preview_plan(plan.clone()).await {
            Ok(response) => Action::PlanPreviewed { plan, response },
            Err(error) => failed("Previewing the plan", error),
        },
        Command::PublishPlan(plan) => match client.publish_plan(plan.clone()).await {
            Ok(response) => Action::PlanPublished { plan, response },
            Err(error) => failed("Publishing the plan", error),
        },
        Command::PublishSlots {
            clinic_id,
            dentist_id,
            slots,
        } => {
            let ranges = slots
                .into_iter()
                .map(|(start, end)| pb::TimeRange {
                    start: Some(to_wire(start)),
                    end: Some(to_wire(end)),
                })
                .collect();
            match client.publish_slots(&clinic_id, &dentist_id, ranges).await {
                Ok(response) => Action::SlotsPublished(response),
                Err(error) => failed("Publishing the slot", error),
            }
        }
        Command::Withdraw(slot) => match client.withdraw(slot).await {
            Ok(slot) => Action::SlotWithdrawn(slot),
            Err(error) => failed("Withdrawing the slot", error),
        },
        Command::Cancel {
            appointment_id,
            reason,
        } => match client.cancel(&appointment_id, &reason).await {
            Ok(appointment) => Action::AppointmentCancelled(appointment),
            Err(error) => Action::CancelFailed {
                appointment_id,
                error,
            },
        },
        Command::ClearDay {
            clinic_id,
            dentist_id,
            day,
            appointment_ids,
            reason,
        } => Action::DayCleared(
            clear_day(
                client,
                &clinic_id,
                &dentist_id,
                day,
                &appointment_ids,
                &reason,
            )
            .await,
        ),
        Command::CheckImport { path, scope } => {
            let text = match blocking_file(path.clone(), |p| std::fs::read_to_string(p)).await {
                Ok(text) => text,
                Err(error) => return failed(&format!("Reading {path}"), error),
            };
            match check_import(client, &text, &scope, Timestamp::now()).await {
                Ok(result) => Action::ImportChecked { path, result },
                Err(error) => failed(&format!("Checking {path} against the schedule"), error),
            }
        }
        Command::PublishImport(plan) => match publish_import(client, &plan).await {
            Ok((published, unchanged)) => Action::ImportPublished {
                published,
                unchanged,
            },
            Err((published, error)) => failed(
                &format!(
                    "Publishing the import stopped after {published} slots (retrying the same file is safe)"
                ),
                error,
            ),
        },
        Command::Export { path, text, rows } => {
            match blocking_file(path.clone(), move |p| std::fs::write(p, text)).await {
                Ok(()) => Action::Exported { path, rows },
                Err(error) => failed(&format!("Writing {path}"), error),
            }
        }
        Command::FetchStatus => Action::StatusFetched(system_status(client).await),
        Command::Watch(_) | Command::SignOut => {
            // Handled by the driver itself; never sent here.
            failed("internal", ClientError::local("unexpected command"))
        }
    }
}

/// File I/O on the blocking pool (files here are small, and tokio's `fs` is a wrapper over
/// the same), with the error as the status line shows it.
async fn blocking_file<T: Send + 'static>(
    path: String,
    io: impl FnOnce(&str) -> std::io::Result<T> + Send + 'static,
) -> Result<T, ClientError> {
    match tokio::task::spawn_blocking(move || io(&path)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(ClientError::local(error.to_string())),
        Err(error) => Err(ClientError::local(format!("the file task failed: {error}"))),
    }
}

async fn system_status(client: &Client) -> Result<pb::SystemStatus, ClientError> {
    let request = client.authed(pb::GetSystemStatusRequest {}).await?;
    Ok(OperationsServiceClient::new(client.channel())
        .get_system_status(request)
        .await?
        .into_inner())
}

/// Cancels the confirmed bookings of a day, then withdraws every free slot the day has left.
/// A booking made after the dentist confirmed is left standing and reported: its patient was
/// not in the summary they agreed to.
async fn clear_day(
    client: &Client,
    clinic_id: &str,
    dentist_id: &str,
    day: LocalDay,
    appointment_ids: &[String],
    reason: &str,
) -> DayReport {
    let mut report = DayReport {
        day: Some(day),
        ..DayReport::default()
    };
    for id in appointment_ids {
        match client.cancel(id, reason).await {
            Ok(_) => report.cancelled += 1,
            Err(error) => {
                report
                    .problems
                    .push(format!("cancelling appointment {id} failed: {error}"));
                report.not_cancelled.push(id.clone());
            }
        }
    }
    let entries = match client
        .schedule(
            clinic_id,
            Some(dentist_id),
            &day.to_string(),
            &day.to_string(),
        )
        .await
    {
        Ok(entries) => entries,
        Err(error) => {
            report
                .problems
                .push(format!("reading the day again failed: {error}"));
            return report;
        }
    };
    let now = Timestamp::now();
    for entry in entries.iter().filter_map(Entry::from_wire) {
        if entry.start <= now || entry.dentist_id != dentist_id {
            continue;
        }
        match &entry.state {
            EntryState::Free => match client.withdraw(entry.slot_ref()).await {
                Ok(_) => report.withdrawn += 1,
                Err(error) => report.problems.push(format!(
                    "withdrawing {} failed: {error}",
                    crate::local_time::clock(entry.start)
                )),
            },
            EntryState::Booked {
                appointment_id,
                patient_name,
                ..
            } if !appointment_ids.contains(appointment_id) => report.problems.push(format!(
                "{patient_name} booked {} meanwhile; that appointment stands",
                crate::local_time::clock(entry.start)
            )),
            EntryState::Booked { .. } | EntryState::Withdrawn => {}
        }
    }
    report
}

/// Checks `text` (a `slots.csv`) for `scope` as of `now`: every line's columns, every row
/// against the domain's rules and against the stored schedule, which is read for exactly the
/// days and dentists the file names. `Err` only when the schedule cannot be read; the inner
/// result is the plan or every bad line.
pub async fn check_import(
    client: &Client,
    text: &str,
    scope: &ImportScope,
    now: Timestamp,
) -> Result<Result<ImportPlan, Vec<LineError>>, ClientError> {
    let clinic = domain_clinic(&scope.clinic).map_err(ClientError::local)?;
    let parsed = import::parse_lines(text);
    let today = LocalDay::of(now);
    let last_bookable = LocalDay::of(now)
        .plus_days(i32::try_from(BookingPolicy::default().horizon_days()).unwrap_or(180) + 1);
    // Only rows the signed-in staff may import need the schedule: the others are bad lines
    // whatever it holds, and asking for another clinic's or an unknown dentist's schedule
    // would fail the whole check instead of naming the line.
    let mut days: BTreeMap<String, BTreeSet<LocalDay>> = BTreeMap::new();
    for (_, row) in &parsed.rows {
        let dentist = row.dentist_id.as_str();
        let may = row.clinic_id.as_str() == scope.clinic.id
            && scope.clinic.dentists.iter().any(|d| d.id == dentist)
            && scope
                .only_dentist
                .as_deref()
                .is_none_or(|own| own == dentist);
        let day = LocalDay::of(row.start);
        if may && today <= day && day <= last_bookable {
            days.entry(dentist.to_string()).or_default().insert(day);
        }
    }
    let mut stored: Vec<Slot> = Vec::new();
    for (dentist, days) in days {
        let mut covered_until: Option<LocalDay> = None;
        for day in days {
            if covered_until.is_some_and(|last| day <= last) {
                continue;
            }
            let last = day.plus_days(SCHEDULE_SPAN - 1);
            let entries = client
                .schedule(
                    &scope.clinic.id,
                    Some(&dentist),
                    &day.to_string(),
                    &last.to_string(),
                )
                .await?;
            stored.extend(
                entries
                    .iter()
                    .filter_map(Entry::from_wire)
                    .filter_map(|e| e.to_domain()),
            );
            covered_until = Some(last);
        }
    }
    Ok(import::check(parsed, scope, &clinic, &stored, now))
}

/// Publishes a checked import, one dentist and at most [`PUBLISH_BATCH`] slots per request:
/// (new slots, slots already there), or how many were published before an error.
pub async fn publish_import(
    client: &Client,
    plan: &ImportPlan,
) -> Result<(usize, usize), (usize, ClientError)> {
    let mut published = 0;
    let mut unchanged = plan.unchanged;
    for (dentist, slots) in &plan.publish {
        for batch in slots.chunks(PUBLISH_BATCH) {
            let ranges = batch
                .iter()
                .map(|(start, end)| pb::TimeRange {
                    start: Some(to_wire(*start)),
                    end: Some(to_wire(*end)),
                })
                .collect();
            let response = client
                .publish_slots(&plan.clinic_id, dentist, ranges)
                .await
                .map_err(|error| (published, error))?;
            published += response.published.len();
            unchanged += response.unchanged as usize;
        }
    }
    info!(published, unchanged, "import published");
    Ok((published, unchanged))
}
