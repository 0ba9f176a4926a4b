//! Generates the gRPC code from `proto/` at build time with protox (a protobuf compiler in
//! Rust), so building needs no system `protoc`; also writes the descriptor set that server
//! reflection serves.

use prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/gotemp/hierarchy/v1/hierarchy.proto",
        "proto/gotemp/user/v1/user.proto",
        "proto/gotemp/customer/v1/customer.proto",
        "proto/gotemp/product/v1/product.proto",
        "proto/gotemp/promotion/v1/promotion.proto",
        "proto/gotemp/audit/v1/audit.proto",
        "proto/gotemp/tenant/v1/tenant.proto",
    ];
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(files, ["proto"])?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("gotemp_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    // The shared messages on their own (the services' packages refer to them by extern path).
    tonic_prost_build::configure().compile_fds(protox::compile(
        ["proto/gotemp/hierarchy/v1/hierarchy.proto"],
        ["proto"],
    )?)?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // The services' packages sit side by side under `pb`, not nested as the packages are.
        .extern_path(".gotemp.hierarchy.v1", "crate::pb::hierarchy")
        .compile_fds(descriptors)?;
    Ok(())
}
