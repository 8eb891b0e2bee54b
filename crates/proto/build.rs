//! Generates the gRPC code for every proto under `proto/`, and one encoded
//! descriptor set for reflection. protoc comes vendored unless `PROTOC`
//! names one, so nothing needs installing.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let protos = [
        "minsheng/fraud/v1/fraud.proto",
        "minsheng/kpis/v1/kpis.proto",
        "minsheng/privacy/v1/privacy.proto",
        "minsheng/vehicle/v1/vehicle.proto",
    ]
    .map(|p| root.join(p));
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }
    // Listing files replaces cargo's default of rerunning on any change in
    // the package: list this script too, or a proto added here goes unbuilt.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PROTOC");
    let mut config = tonic_prost_build::Config::new();
    if std::env::var_os("PROTOC").is_none() {
        config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    }
    tonic_prost_build::configure()
        // Decode errors are the caller's: INVALID_ARGUMENT (src/codec.rs).
        .codec_path("crate::codec::Codec")
        .file_descriptor_set_path(out.join("minsheng_descriptor.bin"))
        .compile_with_config(config, &protos, &[root])?;
    Ok(())
}
