//! gotemp-grpc: gotemp's five services over gRPC.
//!
//! Generated code lives in [`pb`] (one versioned package per service, from `proto/`); the
//! tonic services wrapping gotemp-core's services in [`services`]; who is calling in [`auth`]
//! (the actor it makes carries the caller's token, so a call made on the caller's behalf —
//! [`remote`] — asks with the caller's rights); the single error
//! → status mapping in [`status`]. Imports point one way: `runner` → `server` → `services` → `auth` →
//! `discovery` → `service_name`.

pub mod auth;
pub mod client;
mod convert;
#[cfg(feature = "demo")]
pub mod demo;
pub mod discovery;
mod limits;
pub mod metrics;
pub mod remote;
pub mod runner;
pub mod server;
mod service_name;
pub mod services;
pub mod status;
pub mod tls;

/// Code generated from `proto/` (kept in `generated/`; after changing a `.proto`, run
/// `cargo run --manifest-path gotemp-grpc/codegen/Cargo.toml`).
pub mod pb {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]

    /// `gotemp.user.v1`.
    pub mod user {
        include!("../generated/gotemp.user.v1.rs");
    }
    /// `gotemp.hierarchy.v1`: links between customers or products.
    pub mod hierarchy {
        include!("../generated/gotemp.hierarchy.v1.rs");
    }
    /// `gotemp.customer.v1`.
    pub mod customer {
        include!("../generated/gotemp.customer.v1.rs");
    }
    /// `gotemp.product.v1`.
    pub mod product {
        include!("../generated/gotemp.product.v1.rs");
    }
    /// `gotemp.tenant.v1`: the tenants of a multi-tenant deployment.
    pub mod tenant {
        include!("../generated/gotemp.tenant.v1.rs");
    }
    /// `gotemp.promotion.v1`.
    pub mod promotion {
        include!("../generated/gotemp.promotion.v1.rs");
    }
    /// `gotemp.audit.v1`.
    pub mod audit {
        include!("../generated/gotemp.audit.v1.rs");
    }

    /// Every file's descriptor, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!("../generated/gotemp_descriptor.bin");
}

#[cfg(test)]
mod tests {
    use sha2::{Digest as _, Sha256};
    use std::path::Path;

    /// `generated/` was made from the protos as they are: every `.proto` under `proto/` is in
    /// `generated/SOURCES` with its SHA-256. A proto changed (or added) without regenerating fails
    /// here, naming the command that regenerates.
    #[test]
    fn the_generated_code_is_made_from_these_protos() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let recorded = std::fs::read_to_string(dir.join("generated/SOURCES")).unwrap();
        let mut listed: Vec<String> = Vec::new();
        for line in recorded.lines() {
            let (hash, file) = line.split_once("  ").expect("`<sha256>  <path>` lines");
            let actual = Sha256::digest(std::fs::read(dir.join(file)).unwrap());
            let actual: String = actual.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(
                actual, hash,
                "{file} changed since generated/ was made: run \
                 `cargo run --manifest-path gotemp-grpc/codegen/Cargo.toml`"
            );
            listed.push(file.to_owned());
        }
        let mut protos = Vec::new();
        let mut dirs = vec![dir.join("proto")];
        while let Some(next) = dirs.pop() {
            for entry in std::fs::read_dir(next).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "proto") {
                    let relative = path.strip_prefix(dir).unwrap();
                    protos.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        protos.sort();
        listed.sort();
        assert_eq!(
            listed, protos,
            "every proto is generated (gotemp-grpc/codegen's FILES)"
        );
    }
}
