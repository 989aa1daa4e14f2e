//! The `dentismile.v1` gRPC contract as Rust types.
//!
//! The `.proto` files beside this crate are the source of truth; `build.rs` compiles them once
//! (with protox, no `protoc`) into prost messages, tonic clients (`*_client`) and tonic servers
//! (`*_server`). [`FILE_DESCRIPTOR_SET`] is the encoded descriptor set for gRPC reflection.
//!
//! [`mqtt`] is the other half of the public contract: MQTT topic names and JSON payloads.
//!
//! This crate holds no logic: conversions between these wire types and domain types live in
//! the services that use them.

pub mod mqtt;

/// Version 1 of the API: package `dentismile.v1`.
pub mod v1 {
    #![allow(
        missing_docs,
        clippy::large_enum_variant,
        clippy::doc_lazy_continuation
    )]
    tonic::include_proto!("dentismile.v1");
}

/// The encoded `FileDescriptorSet` of every `dentismile.v1` file, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/dentismile_v1_descriptor.bin"));

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn descriptor_set_names_every_service() {
        let set = prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET)
            .expect("the build script writes a valid descriptor set");
        let services: Vec<String> = set
            .file
            .iter()
            .filter(|file| file.package() == "dentismile.v1")
            .flat_map(|file| file.service.iter().map(|s| s.name().to_string()))
            .collect();
        for expected in [
            "AuthService",
            "ClinicService",
            "AppointmentService",
            "SlotEventService",
            "OperationsService",
        ] {
            assert!(
                services.iter().any(|s| s == expected),
                "{expected} missing from {services:?}"
            );
        }
    }

    #[test]
    fn watch_rpcs_are_server_streams() {
        let set = prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET)
            .expect("the build script writes a valid descriptor set");
        let streaming: Vec<&str> = set
            .file
            .iter()
            .flat_map(|file| file.service.iter())
            .flat_map(|service| service.method.iter())
            .filter(|method| method.server_streaming())
            .map(|method| method.name())
            .collect();
        assert_eq!(streaming.len(), 3, "{streaming:?}");
        assert!(streaming.contains(&"WatchSlots"));
        assert!(streaming.contains(&"WatchEvents"));
        assert!(streaming.contains(&"WatchRevokedSessions"));
    }
}
