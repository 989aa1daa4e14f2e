//! Who may do what, through the gateway: each refusal proven next to the allowed case.

use dentismile::demo::STAFF_PASSWORD;
use dentismile_proto::v1::{self as pb};
use tonic::Code;

use crate::helpers::{Options, authed, book_request, day, free_slots, later_than, spawn_system};

fn publish_request(clinic: &str, dentist: &str) -> pb::PublishWorkingPlanRequest {
    pb::PublishWorkingPlanRequest {
        plan: Some(pb::WorkingPlan {
            clinic_id: clinic.into(),
            dentist_id: dentist.into(),
            weekdays: (1..=5).collect(),
            hours: Some(pb::LocalTimeRange {
                start: "08:00".into(),
                end: "12:00".into(),
            }),
            breaks: vec![],
            slot_minutes: 30,
            first_day: day(20),
            last_day: day(26),
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patients_touch_only_their_own_bookings() {
    let system = spawn_system(Options::default()).await;
    let alice = system.register("Alice").await;
    let bob = system.register("Bob").await;
    let slot = later_than(free_slots(&system, "majorna-tandvard").await, 30).remove(0);
    let mut appointments = system.appointments().await;
    let booked = appointments
        .book_slot(authed(book_request(&slot), &alice.access_token))
        .await
        .unwrap()
        .into_inner()
        .appointment
        .unwrap();

    let cancel = |token: &str| {
        authed(
            pb::CancelAppointmentRequest {
                appointment_id: booked.id.clone(),
                reason: String::new(),
            },
            token,
        )
    };
    let refused = appointments
        .cancel_appointment(cancel(&bob.access_token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    let bobs = appointments
        .list_my_appointments(authed(
            pb::ListMyAppointmentsRequest::default(),
            &bob.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        bobs.appointments.is_empty(),
        "Bob does not see Alice's booking"
    );
    // Alice may.
    appointments
        .cancel_appointment(cancel(&alice.access_token))
        .await
        .unwrap();

    // No token at all: not even an attempt.
    let anonymous = appointments
        .book_slot(tonic::Request::new(book_request(&slot)))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patients_cannot_read_schedules() {
    let system = spawn_system(Options::default()).await;
    let patient = system.register("Curious").await;
    let request = |token: &str| {
        authed(
            pb::GetDentistScheduleRequest {
                clinic_id: "majorna-tandvard".into(),
                dentist_id: String::new(),
                from_day: day(1),
                to_day: day(3),
            },
            token,
        )
    };
    let mut appointments = system.appointments().await;
    let refused = appointments
        .get_dentist_schedule(request(&patient.access_token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    // The clinic's dentist may.
    let dentist = system
        .login(
            "dr-lindqvist@majorna-tandvard.dentismile.test",
            STAFF_PASSWORD,
        )
        .await;
    let schedule = appointments
        .get_dentist_schedule(request(&dentist.access_token))
        .await
        .unwrap()
        .into_inner();
    assert!(!schedule.entries.is_empty());
    // A dentist of another clinic may not.
    let other = system
        .login("dr-ek@haga-tandlakare.dentismile.test", STAFF_PASSWORD)
        .await;
    let refused = appointments
        .get_dentist_schedule(request(&other.access_token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dentists_publish_only_for_their_own_clinic() {
    let system = spawn_system(Options::default()).await;
    let dentist = system
        .login(
            "dr-lindqvist@majorna-tandvard.dentismile.test",
            STAFF_PASSWORD,
        )
        .await;
    let mut appointments = system.appointments().await;
    let refused = appointments
        .publish_working_plan(authed(
            publish_request("haga-tandlakare", "dr-ek"),
            &dentist.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("haga-tandlakare"));
    let published = appointments
        .publish_working_plan(authed(
            publish_request("majorna-tandvard", "dr-lindqvist"),
            &dentist.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(published.published.len(), 5 * 8);
    // Single slots too: refused for another clinic, and nothing stored there.
    let at = |hhmm: &str| {
        let instant: dentismile_domain::jiff::Timestamp =
            format!("{}T{hhmm}:00Z", day(20)).parse().unwrap();
        prost_types::Timestamp {
            seconds: instant.as_second(),
            nanos: 0,
        }
    };
    let haga_on_day_20 = || pb::ListSlotsRequest {
        clinic_id: "haga-tandlakare".into(),
        from_day: day(20),
        to_day: day(20),
        ..Default::default()
    };
    let before = appointments
        .list_slots(haga_on_day_20())
        .await
        .unwrap()
        .into_inner()
        .slots;
    let refused = appointments
        .publish_slots(authed(
            pb::PublishSlotsRequest {
                clinic_id: "haga-tandlakare".into(),
                dentist_id: "dr-ek".into(),
                slots: vec![pb::TimeRange {
                    start: Some(at("12:00")),
                    end: Some(at("12:30")),
                }],
            },
            &dentist.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("haga-tandlakare"));
    let after = appointments
        .list_slots(haga_on_day_20())
        .await
        .unwrap()
        .into_inner()
        .slots;
    assert_eq!(before, after);
    // Patients may not publish at all.
    let patient = system.register("Pat").await;
    let refused = appointments
        .publish_working_plan(authed(
            publish_request("majorna-tandvard", "dr-lindqvist"),
            &patient.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clinic_admins_create_dentists_for_their_clinic_only() {
    let system = spawn_system(Options::default()).await;
    let admin = system
        .login("admin@majorna-tandvard.dentismile.test", STAFF_PASSWORD)
        .await;
    let mut auth = system.auth().await;
    let staff = |clinic: &str, dentist: &str| pb::CreateStaffAccountRequest {
        email: format!("new-{dentist}@{clinic}.test"),
        password: "a fine password".into(),
        display_name: "New Colleague".into(),
        role: pb::Role::Dentist.into(),
        clinic_id: clinic.into(),
        dentist_id: dentist.into(),
    };
    let refused = auth
        .create_staff_account(authed(
            staff("haga-tandlakare", "dr-ek"),
            &admin.access_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let created = auth
        .create_staff_account(authed(
            staff("majorna-tandvard", "dr-berg"),
            &admin.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.role, pb::Role::Dentist as i32);
    // The new account signs in with its clinic in its token.
    let session = system.login(&created.email, "a fine password").await;
    assert_eq!(session.account.unwrap().clinic_id, "majorna-tandvard");
}
