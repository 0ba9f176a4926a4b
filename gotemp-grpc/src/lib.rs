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

/// Code generated from `proto/` at build time.
pub mod pb {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]

    /// `gotemp.user.v1`.
    pub mod user {
        tonic::include_proto!("gotemp.user.v1");
    }
    /// `gotemp.hierarchy.v1`: links between customers or products.
    pub mod hierarchy {
        tonic::include_proto!("gotemp.hierarchy.v1");
    }
    /// `gotemp.customer.v1`.
    pub mod customer {
        tonic::include_proto!("gotemp.customer.v1");
    }
    /// `gotemp.product.v1`.
    pub mod product {
        tonic::include_proto!("gotemp.product.v1");
    }
    /// `gotemp.tenant.v1`: the tenants of a multi-tenant deployment.
    pub mod tenant {
        tonic::include_proto!("gotemp.tenant.v1");
    }
    /// `gotemp.promotion.v1`.
    pub mod promotion {
        tonic::include_proto!("gotemp.promotion.v1");
    }
    /// `gotemp.audit.v1`.
    pub mod audit {
        tonic::include_proto!("gotemp.audit.v1");
    }

    /// Every file's descriptor, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/gotemp_descriptor.bin"));
}
