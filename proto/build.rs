//! Compiles `dentismile/v1/*.proto` with protox (a Rust protobuf compiler, so no `protoc` is
//! needed) and generates prost messages and tonic clients and servers from the result. The
//! encoded descriptor set is written beside the code so servers can offer gRPC reflection.

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTO_FILES: [&str; 6] = [
    "dentismile/v1/common.proto",
    "dentismile/v1/auth.proto",
    "dentismile/v1/clinics.proto",
    "dentismile/v1/events.proto",
    "dentismile/v1/appointments.proto",
    "dentismile/v1/operations.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for file in PROTO_FILES {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptor_set = protox::compile(PROTO_FILES, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("dentismile_v1_descriptor.bin"),
        descriptor_set.encode_to_vec(),
    )?;
    tonic_prost_build::configure().compile_fds(descriptor_set)?;
    Ok(())
}
