//! Compiles the echo baseline's `.proto` with protox (no `protoc` needed), as the proto crate
//! does for the real contract.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/echo.proto");
    let descriptor_set = protox::compile(["echo.proto"], ["proto"])?;
    tonic_prost_build::configure().compile_fds(descriptor_set)?;
    Ok(())
}
