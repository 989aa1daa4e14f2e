//! Every RPC refuses a malformed request with INVALID_ARGUMENT naming the field, in the message
//! and in a `BadRequest` detail. Each call below is a request a confused client could send.

use dentismile::demo::{ADMIN, STAFF_PASSWORD};
use dentismile_proto::v1::{
    self as pb, auth_service_client::AuthServiceClient,
    slot_event_service_client::SlotEventServiceClient,
};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::helpers::{Options, authed, day, spawn_system};

fn assert_names(result: Result<impl std::fmt::Debug, Status>, rpc: &str, field: &str) {
    let status = result.expect_err(&format!("{rpc} accepted a malformed request"));
    assert_eq!(status.code(), Code::InvalidArgument, "{rpc}: {status:?}");
    assert!(
        status.message().starts_with(&format!("{field}:")),
        "{rpc}: message {:?} does not name {field}",
        status.message()
    );
    let detail = status
        .get_details_bad_request()
        .expect("a BadRequest detail");
    assert_eq!(detail.field_violations[0].field, field, "{rpc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_names_the_malformed_field() {
    let system = spawn_system(Options::default()).await;
    let patient = system.register("Val Idation").await.access_token;
    let dentist = system
        .login(
            "dr-lindqvist@majorna-tandvard.dentismile.test",
            STAFF_PASSWORD,
        )
        .await
        .access_token;
    let admin = system.login(ADMIN.0, ADMIN.1).await.access_token;
    let mut auth = system.auth().await;
    let mut clinics = system.clinics().await;
    let mut appointments = system.appointments().await;

    // AuthService.
    assert_names(
        auth.register(pb::RegisterRequest {
            email: "".into(),
            password: "long enough password".into(),
            display_name: "X".into(),
        })
        .await,
        "Register",
        "email",
    );
    assert_names(
        auth.register(pb::RegisterRequest {
            email: "a@b.se".into(),
            password: "short".into(),
            display_name: "X".into(),
        })
        .await,
        "Register",
        "password",
    );
    assert_names(
        auth.register(pb::RegisterRequest {
            email: "c@d.se".into(),
            password: "long enough password".into(),
            display_name: "x".repeat(101),
        })
        .await,
        "Register",
        "display_name",
    );
    assert_names(
        auth.login(pb::LoginRequest {
            email: "no-at-sign".into(),
            password: "p".into(),
        })
        .await,
        "Login",
        "email",
    );
    assert_names(
        auth.refresh(pb::RefreshRequest {
            refresh_token: "".into(),
        })
        .await,
        "Refresh",
        "refresh_token",
    );
    assert_names(
        auth.logout(pb::LogoutRequest {
            refresh_token: "not-a-token".into(),
        })
        .await,
        "Logout",
        "refresh_token",
    );
    assert_names(
        auth.create_staff_account(authed(
            pb::CreateStaffAccountRequest {
                email: "new@staff.se".into(),
                password: "long enough password".into(),
                display_name: "New".into(),
                role: pb::Role::Unspecified.into(),
                ..Default::default()
            },
            &admin,
        ))
        .await,
        "CreateStaffAccount",
        "role",
    );

    // ClinicService.
    assert_names(
        clinics
            .list_clinics(pb::ListClinicsRequest {
                page_size: 501,
                page_token: String::new(),
            })
            .await,
        "ListClinics",
        "page_size",
    );
    assert_names(
        clinics
            .get_clinic(pb::GetClinicRequest {
                clinic_id: "".into(),
            })
            .await,
        "GetClinic",
        "clinic_id",
    );
    assert_names(
        clinics
            .list_dentists(pb::ListDentistsRequest {
                clinic_id: "Majorna".into(),
            })
            .await,
        "ListDentists",
        "clinic_id",
    );
    assert_names(
        clinics
            .upsert_clinic(authed(
                pb::UpsertClinicRequest {
                    clinic: Some(pb::Clinic {
                        id: "new-clinic".into(),
                        name: "New".into(),
                        neighbourhood: "Haga".into(),
                        address: "Street 1".into(),
                        location: None,
                        ..Default::default()
                    }),
                },
                &admin,
            ))
            .await,
        "UpsertClinic",
        "clinic.location",
    );
    assert_names(
        clinics
            .add_dentist(authed(
                pb::AddDentistRequest {
                    dentist: Some(pb::Dentist {
                        id: "".into(),
                        clinic_id: "majorna-tandvard".into(),
                        name: "Dr New".into(),
                    }),
                },
                &admin,
            ))
            .await,
        "AddDentist",
        "dentist.id",
    );

    // AppointmentService.
    assert_names(
        appointments
            .list_slots(pb::ListSlotsRequest {
                clinic_id: "majorna-tandvard".into(),
                from_day: "tomorrow".into(),
                to_day: day(1),
                ..Default::default()
            })
            .await,
        "ListSlots",
        "from_day",
    );
    assert_names(
        appointments
            .find_earliest_free_slots(pb::FindEarliestFreeSlotsRequest {
                limit: 51,
                ..Default::default()
            })
            .await,
        "FindEarliestFreeSlots",
        "limit",
    );
    assert_names(
        appointments
            .publish_slots(authed(
                pb::PublishSlotsRequest {
                    clinic_id: "majorna-tandvard".into(),
                    dentist_id: "dr-lindqvist".into(),
                    slots: vec![pb::TimeRange {
                        start: Some(prost_types_now()),
                        end: None,
                    }],
                },
                &dentist,
            ))
            .await,
        "PublishSlots",
        "slots[0].end",
    );
    let plan = |slot_minutes: u32, breaks: Vec<pb::LocalTimeRange>| pb::PublishWorkingPlanRequest {
        plan: Some(pb::WorkingPlan {
            clinic_id: "majorna-tandvard".into(),
            dentist_id: "dr-lindqvist".into(),
            weekdays: vec![1, 2],
            hours: Some(pb::LocalTimeRange {
                start: "08:00".into(),
                end: "16:00".into(),
            }),
            breaks,
            slot_minutes,
            first_day: day(30),
            last_day: day(40),
        }),
    };
    assert_names(
        appointments
            .publish_working_plan(authed(plan(0, vec![]), &dentist))
            .await,
        "PublishWorkingPlan",
        "plan.slot_minutes",
    );
    assert_names(
        appointments
            .preview_working_plan(authed(
                plan(
                    30,
                    vec![pb::LocalTimeRange {
                        start: "07:00".into(),
                        end: "09:00".into(),
                    }],
                ),
                &dentist,
            ))
            .await,
        "PreviewWorkingPlan",
        "plan.breaks[0]",
    );
    assert_names(
        appointments
            .withdraw_slot(authed(pb::WithdrawSlotRequest { slot: None }, &dentist))
            .await,
        "WithdrawSlot",
        "slot",
    );
    assert_names(
        appointments
            .book_slot(authed(
                pb::BookSlotRequest {
                    slot: Some(pb::SlotRef {
                        clinic_id: "majorna-tandvard".into(),
                        dentist_id: "dr-lindqvist".into(),
                        start: Some(prost_types_now()),
                    }),
                    idempotency_key: "short".into(),
                    reason: String::new(),
                },
                &patient,
            ))
            .await,
        "BookSlot",
        "idempotency_key",
    );
    assert_names(
        appointments
            .cancel_appointment(authed(
                pb::CancelAppointmentRequest {
                    appointment_id: "42".into(),
                    reason: String::new(),
                },
                &patient,
            ))
            .await,
        "CancelAppointment",
        "appointment_id",
    );
    assert_names(
        appointments
            .list_my_appointments(authed(
                pb::ListMyAppointmentsRequest {
                    page_token: "garbage".into(),
                    ..Default::default()
                },
                &patient,
            ))
            .await,
        "ListMyAppointments",
        "page_token",
    );
    assert_names(
        appointments
            .get_dentist_schedule(authed(
                pb::GetDentistScheduleRequest {
                    clinic_id: "majorna-tandvard".into(),
                    dentist_id: String::new(),
                    from_day: day(3),
                    to_day: day(1),
                },
                &dentist,
            ))
            .await,
        "GetDentistSchedule",
        "to_day",
    );
    assert_names(
        appointments
            .watch_slots(pb::WatchSlotsRequest {
                clinic_id: "".into(),
                from_day: day(0),
                to_day: day(1),
            })
            .await,
        "WatchSlots",
        "clinic_id",
    );
    assert_names(
        appointments
            .watch_slots(pb::WatchSlotsRequest {
                clinic_id: "majorna-tandvard".into(),
                from_day: day(3),
                to_day: day(1),
            })
            .await,
        "WatchSlots",
        "to_day",
    );

    // SlotEventService (internal: on the appointment service itself).
    let mut events = SlotEventServiceClient::connect(system.running().appointments.url())
        .await
        .unwrap();
    assert_names(
        events
            .watch_events(pb::WatchEventsRequest {
                after_cursor: "not-a-cursor".into(),
            })
            .await,
        "WatchEvents",
        "after_cursor",
    );

    // AuthService.WatchRevokedSessions (internal: on the auth service itself).
    let mut auth_service = AuthServiceClient::connect(system.running().auth.url())
        .await
        .unwrap();
    assert_names(
        auth_service
            .watch_revoked_sessions(pb::WatchRevokedSessionsRequest {
                // Past the year 9999: no instant at all.
                since: Some(prost_types::Timestamp {
                    seconds: i64::MAX,
                    nanos: 0,
                }),
            })
            .await,
        "WatchRevokedSessions",
        "since",
    );
}

/// Two days from now, on a whole minute.
fn prost_types_now() -> prost_types::Timestamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let seconds = now.as_secs() as i64 + 86_400 * 2;
    prost_types::Timestamp {
        seconds: seconds - seconds % 60,
        nanos: 0,
    }
}
