//! The original template's audit client, over gRPC against a running server: the latest
//! changes, or the history of the objects named on the command line
//! (`cargo run --example audit_client -- customer:ducksrus promotion:1`).

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = gotemp_grpc::demo::login_from_env().await?;
    let touched: Vec<(String, String)> = std::env::args()
        .skip(1)
        .filter_map(|a| a.split_once(':').map(|(n, i)| (n.to_owned(), i.to_owned())))
        .collect();
    let shown =
        gotemp_grpc::demo::audit_flow(&client, &touched, &mut gotemp_grpc::demo::Print).await?;
    println!(
        "{}",
        gotemp::domain::tr!("cli.audit.records", shown = shown)
    );
    Ok(())
}
