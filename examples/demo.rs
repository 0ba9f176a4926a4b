//! Every client of the original template in turn — user, customer, product, promotion — over
//! gRPC against a running server, then the audit history those calls produced.
//!
//! ```sh
//! cargo run --release --example server      # one terminal
//! cargo run --example demo                  # another
//! ```

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = gotemp_grpc::demo::login_from_env().await?;
    let shown = gotemp_grpc::demo::run_all(
        &client,
        &mut gotemp_grpc::demo::Print,
        std::time::Duration::from_secs(10),
    )
    .await?;
    println!("{}", gotemp::domain::tr!("cli.demo.done", shown = shown));
    Ok(())
}
