//! The original template's customer client, over gRPC against a running server: see
//! `gotemp_grpc::demo::customer_flow` for its steps.
//!
//! ```sh
//! cargo run --example customer_client       # the server: cargo run --release --example server
//! ```

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = gotemp_grpc::demo::login_from_env().await?;
    gotemp_grpc::demo::customer_flow(&client, &mut gotemp_grpc::demo::Print).await?;
    Ok(())
}
