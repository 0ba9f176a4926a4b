//! Generates gotemp-grpc's code from `proto/` with protox (a protobuf compiler in Rust, so no
//! system `protoc`) into `generated/`: the messages and services of each package, the descriptor
//! set that server reflection serves, and `SOURCES`, the SHA-256 of each `.proto` it was made
//! from — which a test of gotemp-grpc compares with the files, so a proto changed without
//! running this fails the tests. With `--check`, compares what it would write with what is there.

use prost::Message as _;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};

const FILES: [&str; 7] = [
    "proto/gotemp/hierarchy/v1/hierarchy.proto",
    "proto/gotemp/user/v1/user.proto",
    "proto/gotemp/customer/v1/customer.proto",
    "proto/gotemp/product/v1/product.proto",
    "proto/gotemp/promotion/v1/promotion.proto",
    "proto/gotemp/audit/v1/audit.proto",
    "proto/gotemp/tenant/v1/tenant.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let check = std::env::args().any(|a| a == "--check");
    let codegen = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crate_dir = codegen
        .parent()
        .ok_or("gotemp-grpc/codegen has no parent")?
        .to_owned();
    std::env::set_current_dir(&crate_dir)?;
    let target = crate_dir.join("generated");
    let out = match check {
        true => std::env::temp_dir().join(format!("gotemp-grpc-codegen-{}", std::process::id())),
        false => target.clone(),
    };
    std::fs::create_dir_all(&out)?;
    generate(&out)?;
    if !check {
        println!("wrote {}", target.display());
        return Ok(());
    }
    let stale = differences(&out, &target)?;
    std::fs::remove_dir_all(&out)?;
    if stale.is_empty() {
        println!("{} is up to date with proto/", target.display());
        return Ok(());
    }
    Err(format!(
        "{} differs from what proto/ generates ({}): run `cargo run --manifest-path \
         gotemp-grpc/codegen/Cargo.toml`",
        target.display(),
        stale.join(", ")
    )
    .into())
}

/// Writes every generated file into `out`.
fn generate(out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let descriptors = protox::compile(FILES, ["proto"])?;
    std::fs::write(
        out.join("gotemp_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    // The shared messages on their own (the services' packages refer to them by extern path).
    tonic_prost_build::configure()
        .out_dir(out)
        .compile_fds(protox::compile(
            ["proto/gotemp/hierarchy/v1/hierarchy.proto"],
            ["proto"],
        )?)?;
    tonic_prost_build::configure()
        .out_dir(out)
        .build_client(true)
        .build_server(true)
        // The services' packages sit side by side under `pb`, not nested as the packages are.
        .extern_path(".gotemp.hierarchy.v1", "crate::pb::hierarchy")
        .compile_fds(descriptors)?;
    let mut sources = Vec::new();
    for file in FILES
        .iter()
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
    {
        let digest = Sha256::digest(std::fs::read(file)?);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        sources.push(format!("{hex}  {file}\n"));
    }
    std::fs::write(out.join("SOURCES"), sources.concat())?;
    Ok(())
}

/// The names of the files that differ between the two directories (or are in one only).
fn differences(made: &Path, kept: &Path) -> std::io::Result<Vec<String>> {
    let names = |dir: &Path| -> std::io::Result<std::collections::BTreeSet<PathBuf>> {
        std::fs::read_dir(dir)?
            .map(|e| e.map(|e| PathBuf::from(e.file_name())))
            .collect()
    };
    let (a, b) = (names(made)?, names(kept)?);
    let mut stale = Vec::new();
    for name in a.union(&b) {
        let (x, y) = (
            std::fs::read(made.join(name)).ok(),
            std::fs::read(kept.join(name)).ok(),
        );
        if x.is_none() || x != y {
            stale.push(name.display().to_string());
        }
    }
    Ok(stale)
}
