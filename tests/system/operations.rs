//! The operations view: live figures for clinic admins and admins, from the gateway.

use std::time::Duration;

use dentismile::demo::STAFF_PASSWORD;
use dentismile_proto::v1::{self as pb, operations_service_client::OperationsServiceClient};
use tonic::Code;

use crate::helpers::{
    Mqtt, Options, authed, book_request, eventually_async, free_port, free_slots, later_than,
    spawn_system,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clinic_admins_see_traffic_health_and_the_bridge() {
    let port = free_port();
    let system = spawn_system(Options {
        mqtt: Mqtt::Embedded(format!("127.0.0.1:{port}").parse().unwrap()),
        ..Options::default()
    })
    .await;
    let mut operations = OperationsServiceClient::new(system.channel().await);
    let patient = system.register("Olle Ops").await;
    let slot = later_than(free_slots(&system, "frolunda-tandvard").await, 30).remove(0);
    system
        .appointments()
        .await
        .book_slot(authed(book_request(&slot), &patient.access_token))
        .await
        .unwrap();

    let refused = operations
        .get_system_status(authed(pb::GetSystemStatusRequest {}, &patient.access_token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = operations
        .get_system_status(pb::GetSystemStatusRequest {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);

    let admin = system
        .login("admin@frolunda-tandvard.dentismile.test", STAFF_PASSWORD)
        .await;
    let status = operations
        .get_system_status(authed(pb::GetSystemStatusRequest {}, &admin.access_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.bookings_total, 1);
    assert!(status.bookings_per_second > 0.0);
    assert!(status.requests_total >= 4, "{}", status.requests_total);
    assert_eq!(status.errors_total, 0, "refusals are not errors");
    assert!(status.p99_latency_ms > 0.0);
    let names: Vec<(&str, bool)> = status
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.serving))
        .collect();
    assert_eq!(
        names,
        [("gateway", true), ("auth", true), ("appointments", true)]
    );
    assert_eq!(status.brokers.len(), 1);
    assert_eq!(
        status.brokers[0].address,
        format!("mqtt://127.0.0.1:{port}")
    );

    // The bridge catches up with the demo data's events and the booking.
    eventually_async(
        "the bridge to be connected and acknowledging",
        Duration::from_secs(30),
        || {
            let mut operations = operations.clone();
            let token = admin.access_token.clone();
            async move {
                let status = operations
                    .get_system_status(authed(pb::GetSystemStatusRequest {}, &token))
                    .await
                    .unwrap()
                    .into_inner();
                let broker = &status.brokers[0];
                broker.connected && broker.events_acknowledged >= 1
            }
        },
    )
    .await;
}
