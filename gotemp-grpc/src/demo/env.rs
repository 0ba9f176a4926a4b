//! Where the client examples find the server, and how they log in.

use crate::client::GotempClient;
use gotemp::domain::i18n::{self, Locale};
use gotemp::domain::tr;

/// Connects to the server the environment names and logs in as the administrator, saying what
/// it does: what every client example starts with.
///
/// `GOTEMP_GRPC_URL` (default `http://127.0.0.1:50051`; `https://…` is checked against
/// `GOTEMP_TLS_CA`, or the system's roots), `GOTEMP_TLS_CLIENT_CERT` and `GOTEMP_TLS_CLIENT_KEY`
/// for a server under mutual TLS, `GOTEMP_ADMIN_EMAIL` and `GOTEMP_ADMIN_PASSWORD` (defaults:
/// the server's), `GOTEMP_LOGIN_URL` when the user service runs in another process than the one
/// called.
pub async fn login_from_env() -> Result<GotempClient, Box<dyn std::error::Error>> {
    let url = std::env::var("GOTEMP_GRPC_URL").unwrap_or_else(|_| "http://127.0.0.1:50051".into());
    let email = std::env::var("GOTEMP_ADMIN_EMAIL").unwrap_or_else(|_| "admin@gotemp.local".into());
    let password =
        std::env::var("GOTEMP_ADMIN_PASSWORD").unwrap_or_else(|_| "change-me-now".into());
    let file = |name: &str| std::env::var_os(name).map(std::path::PathBuf::from);
    let tls = crate::tls::client_tls(&gotemp::TlsConfig {
        ca: file("GOTEMP_TLS_CA"),
        client_cert: file("GOTEMP_TLS_CLIENT_CERT"),
        client_key: file("GOTEMP_TLS_CLIENT_KEY"),
    })?;
    // Printed text, and the server's error messages, in the language of the environment.
    let language = Locale::from_env();
    i18n::set_process_default(language);
    let connect = |url: String| {
        let tls = tls.clone();
        async move {
            GotempClient::connect_with(&url, &tls)
                .await
                .map_err(|e| tr!("cli.client.unreachable", url = url, error = e))
        }
    };
    let mut client = connect(url.clone()).await?;
    client.set_language(language);
    // Services deployed apart: log in at the user service, call this one with its token.
    let login = match std::env::var("GOTEMP_LOGIN_URL") {
        Ok(login_url) => {
            let mut users = connect(login_url).await?;
            let login = users.login(&email, &password).await?;
            client.set_token(&login.token)?;
            login
        }
        Err(_) => client.login(&email, &password).await?,
    };
    let until = (login.expires_at)
        .map(|t| (chrono::DateTime::from_timestamp(t.seconds, 0).unwrap_or_default()).to_rfc3339())
        .unwrap_or_default();
    let line = tr!(
        "cli.client.logged_in",
        email = email,
        url = url,
        until = until
    );
    println!("{line}");
    Ok(client)
}
