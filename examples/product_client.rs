//! The original template's product client, over gRPC against a running server: see
//! `gotemp_grpc::demo::product_flow` for its steps.
//!
//! ```sh
//! cargo run --example product_client       # the server: cargo run --release --example server
//! ```

#[path = "common/mod.rs"]
mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = common::login().await?;
    gotemp_grpc::demo::product_flow(&client, &mut gotemp_grpc::demo::Print).await?;
    Ok(())
}
