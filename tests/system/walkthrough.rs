//! The README's grpcurl walkthrough, call for call, against the real `dentismile up` binary:
//! register, sign in, list clinics, list free slots, book, my appointments, cancel. If this test
//! changes, the README must change with it.

use dentismile_proto::v1::{
    self as pb, appointment_service_client::AppointmentServiceClient,
    auth_service_client::AuthServiceClient, clinic_service_client::ClinicServiceClient,
};

use crate::helpers::{Process, authed, day, free_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_walkthrough_against_the_real_binary() {
    let dir = tempfile::tempdir().unwrap();
    let mqtt = format!("127.0.0.1:{}", free_port());
    let mut up = Process::start(
        "gateway",
        &[
            "up",
            "--gateway-addr",
            "127.0.0.1:0",
            "--mqtt-addr",
            &mqtt,
            "--data-dir",
            dir.path().to_str().unwrap(),
        ],
    );
    let printed = up.printed.join("\n");
    assert!(
        printed.contains("anna@patients.dentismile.test"),
        "demo accounts are printed:\n{printed}"
    );
    assert!(printed.contains("dentist-demo-2026"));
    assert!(
        printed.contains(&format!("mqtt: mqtt://{mqtt}")),
        "the broker is printed:\n{printed}"
    );

    let channel = tonic::transport::Channel::from_shared(up.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut auth = AuthServiceClient::new(channel.clone());
    let mut clinics = ClinicServiceClient::new(channel.clone());
    let mut appointments = AppointmentServiceClient::new(channel);

    // 1. Register.
    let session = auth
        .register(pb::RegisterRequest {
            email: "sam@example.se".into(),
            password: "my secret password".into(),
            display_name: "Sam Svensson".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(session.account.unwrap().email, "sam@example.se");

    // 2. Sign in.
    let token = auth
        .login(pb::LoginRequest {
            email: "sam@example.se".into(),
            password: "my secret password".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .access_token;
    assert!(!token.is_empty());

    // 3. List clinics.
    let listed = clinics
        .list_clinics(pb::ListClinicsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.clinics.len(), 10);
    let haga = listed
        .clinics
        .iter()
        .find(|c| c.id == "haga-tandlakare")
        .unwrap();
    assert_eq!(haga.neighbourhood, "Haga");
    assert_eq!(haga.dentists.len(), 3);

    // 4. List free slots at Haga over the coming week (from tomorrow, so the cutoff never
    //    stands in the way of step 7).
    let free = appointments
        .list_slots(pb::ListSlotsRequest {
            clinic_id: "haga-tandlakare".into(),
            from_day: day(2),
            to_day: day(8),
            only_free: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!free.slots.is_empty());
    let slot = free.slots[0].clone();
    assert_eq!(slot.state, pb::SlotState::Free as i32);

    // 5. Book it.
    let booked = appointments
        .book_slot(authed(
            pb::BookSlotRequest {
                slot: slot.r#ref.clone(),
                idempotency_key: "my-first-booking-1".into(),
                reason: "check-up".into(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let appointment = booked.appointment.unwrap();
    assert!(!booked.replayed);
    assert_eq!(appointment.clinic_name, "Haga Tandläkare");
    assert_eq!(
        state_of(&mut appointments, &slot).await,
        pb::SlotState::Booked
    );

    // 6. My appointments.
    let mine = appointments
        .list_my_appointments(authed(pb::ListMyAppointmentsRequest::default(), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.appointments.len(), 1);
    assert_eq!(mine.appointments[0].id, appointment.id);
    assert_eq!(
        mine.appointments[0].status,
        pb::AppointmentStatus::Booked as i32
    );

    // 7. Cancel.
    let cancelled = appointments
        .cancel_appointment(authed(
            pb::CancelAppointmentRequest {
                appointment_id: appointment.id.clone(),
                reason: "plans changed".into(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status, pb::AppointmentStatus::Cancelled as i32);
    assert_eq!(
        state_of(&mut appointments, &slot).await,
        pb::SlotState::Free
    );

    // Ctrl-C stops it cleanly.
    let rest = up.interrupt();
    assert_eq!(rest.last().map(String::as_str), Some("stopped"));
}

async fn state_of(
    client: &mut AppointmentServiceClient<tonic::transport::Channel>,
    slot: &pb::Slot,
) -> pb::SlotState {
    let day = slot.day.clone();
    let reference = slot.r#ref.as_ref().unwrap();
    let listed = client
        .list_slots(pb::ListSlotsRequest {
            clinic_id: reference.clinic_id.clone(),
            from_day: day.clone(),
            to_day: day,
            dentist_id: reference.dentist_id.clone(),
            page_size: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let found = listed
        .slots
        .into_iter()
        .find(|s| s.r#ref.as_ref().unwrap().start == reference.start)
        .unwrap();
    pb::SlotState::try_from(found.state).unwrap()
}
