//! What operators and other services rely on: health and reflection on every server, request
//! ids across hops, the live slot stream, and the resumable internal event feed.

use std::time::Duration;

use dentismile_proto::v1::{self as pb, slot_event_service_client::SlotEventServiceClient};
use tokio_stream::StreamExt;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use crate::helpers::{Options, authed, book_request, free_slots, later_than, spawn_system};

async fn connect(url: &str) -> tonic::transport::Channel {
    tonic::transport::Channel::from_shared(url.to_string())
        .unwrap()
        .connect()
        .await
        .unwrap()
}

async fn listed_services(url: &str) -> Vec<String> {
    let mut client = ServerReflectionClient::new(connect(url).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::once(request))
        .await
        .unwrap()
        .into_inner();
    match responses
        .next()
        .await
        .unwrap()
        .unwrap()
        .message_response
        .unwrap()
    {
        MessageResponse::ListServicesResponse(list) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_offers_health_and_reflection() {
    let system = spawn_system(Options {
        demo: false,
        ..Options::default()
    })
    .await;
    let running = system.running();
    for (url, service) in [
        (running.gateway.url(), "dentismile.v1.AppointmentService"),
        (running.auth.url(), "dentismile.v1.AuthService"),
        (running.appointments.url(), "dentismile.v1.SlotEventService"),
    ] {
        let mut health = HealthClient::new(connect(&url).await);
        for name in ["", service] {
            let status = health
                .check(HealthCheckRequest {
                    service: name.into(),
                })
                .await
                .unwrap()
                .into_inner()
                .status;
            assert_eq!(status, ServingStatus::Serving as i32, "{url} {name:?}");
        }
        assert!(
            listed_services(&url).await.contains(&service.to_string()),
            "{url}"
        );
    }
    // The gateway shows the public API only.
    let public = listed_services(&running.gateway.url()).await;
    assert!(public.contains(&"dentismile.v1.ClinicService".to_string()));
    assert!(
        !public.contains(&"dentismile.v1.SlotEventService".to_string()),
        "{public:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_echoed_or_made() {
    let system = spawn_system(Options {
        demo: false,
        ..Options::default()
    })
    .await;
    let mut clinics = system.clinics().await;
    let mut request = tonic::Request::new(pb::ListClinicsRequest::default());
    request
        .metadata_mut()
        .insert("x-request-id", "support-ticket-4711".parse().unwrap());
    let response = clinics.list_clinics(request).await.unwrap();
    assert_eq!(
        response.metadata().get("x-request-id").unwrap(),
        "support-ticket-4711"
    );
    let response = clinics
        .list_clinics(pb::ListClinicsRequest::default())
        .await
        .unwrap();
    let made = response
        .metadata()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(made.len(), 36, "a fresh UUID: {made}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slot_watchers_see_bookings_as_they_happen() {
    let system = spawn_system(Options::default()).await;
    let slot = later_than(free_slots(&system, "kortedala-tandvard").await, 30).remove(0);
    let mut watch = system
        .appointments()
        .await
        .watch_slots(pb::WatchSlotsRequest {
            clinic_id: "kortedala-tandvard".into(),
            from_day: slot.day.clone(),
            to_day: slot.day.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let patient = system.register("Wanda Watcher").await;
    system
        .appointments()
        .await
        .book_slot(authed(book_request(&slot), &patient.access_token))
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("the booking reaches the watcher")
        .unwrap()
        .unwrap();
    assert_eq!(event.kind, pb::SlotEventKind::Booked as i32);
    let reference = slot.r#ref.unwrap();
    assert_eq!(event.clinic_id, reference.clinic_id);
    assert_eq!(event.dentist_id, reference.dentist_id);
    assert_eq!(event.slot_start, reference.start);
    assert_eq!(event.schema_version, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_internal_event_feed_resumes_from_a_cursor() {
    let system = spawn_system(Options::default()).await;
    let url = system.running().appointments.url();
    let mut feed = SlotEventServiceClient::connect(url.clone()).await.unwrap();
    let mut stream = feed
        .watch_events(pb::WatchEventsRequest {
            after_cursor: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut first = Vec::new();
    for _ in 0..10 {
        first.push(stream.next().await.unwrap().unwrap());
    }
    drop(stream);
    let mut resumed = SlotEventServiceClient::connect(url)
        .await
        .unwrap()
        .watch_events(pb::WatchEventsRequest {
            after_cursor: first[4].cursor.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    for expected in &first[5..] {
        let next = resumed.next().await.unwrap().unwrap();
        assert_eq!(
            next.event, expected.event,
            "resuming after the 5th event yields the 6th, 7th, ..."
        );
    }
}
