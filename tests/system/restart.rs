//! Restarting `dentismile up` on the same data directory keeps what people did, and does not
//! load the demo data twice.

use dentismile_proto::v1::{self as pb};

use crate::helpers::{
    Options, TestSystem, authed, book_request, day, free_slots, later_than, start_in,
};

/// Clinics, dentists, and slots in any state over the demo fortnight.
async fn counts(system: &TestSystem) -> (usize, usize, usize) {
    let client = system.client();
    let clinics = client.clinics().await.unwrap();
    let dentists = clinics.iter().map(|c| c.dentists.len()).sum();
    let mut slots = 0;
    for clinic in &clinics {
        slots += client
            .slots(&clinic.id, &day(0), &day(13), None, false)
            .await
            .unwrap()
            .len();
    }
    (clinics.len(), dentists, slots)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_accounts_and_bookings_and_does_not_duplicate_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = start_in(dir.path(), Options::default()).await;
    let session = first.register("Rolf Restart").await;
    let email = session.account.as_ref().unwrap().email.clone();
    let slot = later_than(free_slots(&first, "angered-tandvard").await, 30).remove(0);
    let booked = first
        .appointments()
        .await
        .book_slot(authed(book_request(&slot), &session.access_token))
        .await
        .unwrap()
        .into_inner()
        .appointment
        .unwrap();
    let before = counts(&first).await;
    assert_eq!((before.0, before.1), (10, 25));
    first.stop().await;

    let second = start_in(dir.path(), Options::default()).await;
    assert_eq!(second.running().demo.as_ref().unwrap().slots_added, 0);
    assert_eq!(
        counts(&second).await,
        before,
        "same clinics, dentists and slots"
    );
    // The account still signs in, and the booking is still there and still holds its slot.
    let again = second.login(&email, "long enough password").await;
    let mine = second
        .appointments()
        .await
        .list_my_appointments(authed(
            pb::ListMyAppointmentsRequest::default(),
            &again.access_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.appointments.len(), 1);
    assert_eq!(mine.appointments[0].id, booked.id);
    assert!(
        !free_slots(&second, "angered-tandvard")
            .await
            .iter()
            .any(|s| s.r#ref == slot.r#ref)
    );
    // The old access token is still valid too: same signing key after the restart.
    let still = second
        .auth()
        .await
        .who_am_i(authed(pb::WhoAmIRequest {}, &session.access_token))
        .await;
    assert!(still.is_ok(), "{still:?}");
}
