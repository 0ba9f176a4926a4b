//! The original template's promotion client, over gRPC against a running server: see
//! `gotemp_grpc::demo::promotion_flow` for its steps.
//!
//! ```sh
//! cargo run --example promotion_client       # the server: cargo run --release --example server
//! ```

#[path = "common/mod.rs"]
mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = common::login().await?;
    gotemp_grpc::demo::promotion_flow(&client, &mut gotemp_grpc::demo::Print).await?;
    Ok(())
}
