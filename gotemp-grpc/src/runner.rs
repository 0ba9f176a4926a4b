//! `gotemp-grpc` as a process: [`GrpcServer`], the gRPC transport an [`Application`] serves
//! over, and [`run`], which reads from the configuration which services this process serves and
//! how it finds the others (static URLs or multicast DNS), and wires token checks and customer
//! lookups to match.

use crate::auth::{Authenticator, LocalVerifier, RemoteVerifier, TokenVerifier};
use crate::discovery::{Instances, StaticDiscovery};
use crate::remote::RemoteCustomerDirectory;
use crate::server::{Listener, ServiceName, serve};
use gotemp::runner::{BoxError, Seed, Server, Serving, Stopping};
use gotemp::{Application, Config, Discovery};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// The services named in `grpc.services` on their listener, over TLS when `grpc_tls_cert` is set.
pub struct GrpcServer {
    listener: Listener,
    addr: SocketAddr,
    services: Vec<ServiceName>,
    verifier: Option<Arc<dyn TokenVerifier>>,
    mdns: Option<Arc<Multicast>>,
    over: &'static str,
}

impl GrpcServer {
    /// Listens on `grpc_addr` of `config`, with the TLS the gRPC section names, to serve
    /// `services`; tokens are checked by the application's own user service unless
    /// [`GrpcServer::verifier`] says otherwise.
    pub async fn bind(config: &Config, services: &[ServiceName]) -> Result<Self, BoxError> {
        let tls = config.grpc.server_tls()?;
        let listener = gotemp::runner::listen(config.grpc.addr, "grpc_addr").await?;
        let over = match (&tls, &config.grpc.tls_client_ca) {
            (None, _) => "plaintext",
            (Some(_), None) => "TLS",
            (Some(_), Some(_)) => "mutual TLS",
        };
        Ok(Self {
            addr: listener.local_addr()?,
            listener: Listener::new(listener, tls.as_ref()),
            services: services.to_vec(),
            verifier: None,
            mdns: None,
            over,
        })
    }

    /// Checks tokens with `verifier` (the user service of another process).
    pub fn verifier(mut self, verifier: Arc<dyn TokenVerifier>) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// `plaintext`, `TLS` or `mutual TLS`, for the line that says where it listens.
    pub fn over(&self) -> &'static str {
        self.over
    }
}

impl Server for GrpcServer {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(self: Box<Self>, app: &Application, stopping: Stopping) -> Serving {
        let verifier = (self.verifier.clone())
            .unwrap_or_else(|| Arc::new(LocalVerifier::new(app.gotemp().users().clone())));
        let gotemp = app.gotemp().clone();
        Box::pin(async move {
            #[cfg(feature = "mdns")]
            if let Some(m) = &self.mdns {
                m.announce(&self.services, self.addr)?;
            }
            // Withdraw the announcements first, so peers stop calling while the calls in
            // flight finish.
            let mdns = self.mdns.clone();
            let stopping = async move {
                stopping.await;
                withdraw(mdns).await;
            };
            let auth = Authenticator::new(verifier);
            serve(gotemp, &self.services, auth, self.listener, stopping).await?;
            Ok(())
        })
    }
}

/// What the `gotemp-grpc` command is given: the settings file, and flags that win over it and
/// over the `GOTEMP_*` variables.
#[derive(Debug, Default)]
pub struct Command<'a> {
    /// The TOML settings file.
    pub config: Option<&'a Path>,
    /// Where to listen instead of `grpc_addr`.
    pub addr: Option<&'a str>,
    /// Apply the demo data at start.
    pub seed: bool,
    /// `--services`: instead of `services`.
    pub services: Option<&'a str>,
    /// `--user-service`: instead of `user_service_url`.
    pub user_service: Option<&'a str>,
    /// `--customer-service`: instead of `customer_service_url`.
    pub customer_service: Option<&'a str>,
    /// `--discovery`: instead of `discovery`.
    pub discovery: Option<&'a str>,
}

impl Command<'_> {
    /// The flags given, in place of what the settings say.
    fn apply(&self, grpc: &mut gotemp::GrpcConfig) -> Result<(), BoxError> {
        if let Some(addr) = self.addr {
            grpc.addr = gotemp::runner::flag_addr(addr, "--addr")?;
        }
        let list = |text: &str| {
            text.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        if let Some(services) = self.services {
            grpc.services = list(services);
        }
        if let Some(urls) = self.user_service {
            grpc.user_service_urls = list(urls);
        }
        if let Some(urls) = self.customer_service {
            grpc.customer_service_urls = list(urls);
        }
        grpc.discovery = match self.discovery {
            None => grpc.discovery,
            Some("static") => Discovery::Static,
            Some("mdns") => Discovery::Mdns,
            Some(other) => {
                return Err(format!("--discovery must be static or mdns, got {other:?}").into());
            }
        };
        Ok(())
    }
}

/// Runs `gotemp-grpc`: serves the configured services until SIGTERM or ctrl-c. Tokens are
/// checked by the user service of this process, or — when it is not served here and its URLs
/// are given or discovery finds it — by asking that one (and then no token secret is needed
/// here); the promotion service looks customers up likewise.
pub async fn run(command: Command<'_>) -> Result<(), BoxError> {
    let load = |secret_needed: bool| -> Result<Config, BoxError> {
        let mut config = match secret_needed {
            true => Config::load(command.config)?,
            false => Config::load_without_secret(command.config)?,
        };
        command.apply(&mut config.grpc)?;
        Ok(config)
    };
    let peek = load(false)?;
    let grpc = &peek.grpc;
    let services = ServiceName::parse_list(&grpc.services.join(","))?;
    let serves = |name| services.contains(&name);
    if !grpc.user_service_urls.is_empty() && serves(ServiceName::User) {
        return Err("user_service_url is for processes that do not serve the user service".into());
    }
    let wants_mdns = grpc.discovery == Discovery::Mdns;
    let remote_users =
        !serves(ServiceName::User) && (!grpc.user_service_urls.is_empty() || wants_mdns);
    let remote_customers = serves(ServiceName::Promotion)
        && !serves(ServiceName::Customer)
        && (!grpc.customer_service_urls.is_empty() || wants_mdns);
    let config = match remote_users {
        true => peek,
        false => load(true)?,
    };
    let client_tls = crate::tls::client_tls(&config.tls)?;
    // A deployment that speaks TLS calls its discovered peers over TLS, and checks them.
    let secure = config.grpc.tls_cert.is_some() || config.tls.ca.is_some();
    let mdns = match wants_mdns {
        true => Some(multicast(secure)?),
        false => None,
    };
    let discovery: Arc<dyn crate::discovery::Discovery> = match &mdns {
        Some(m) => m.clone(),
        None => Arc::new(
            StaticDiscovery::new()
                .with(ServiceName::User, &config.grpc.user_service_urls.join(","))
                .with(
                    ServiceName::Customer,
                    &config.grpc.customer_service_urls.join(","),
                ),
        ),
    };
    let instances = |service| Instances::new(&*discovery, service).with_tls(client_tls.clone());
    let customers = remote_customers.then(|| instances(ServiceName::Customer));
    let seed = if command.seed {
        Seed::Always
    } else {
        Seed::Never
    };
    let app = Application::builder(config)
        .services(|builder| match customers {
            Some(at) => builder.customer_directory(Arc::new(RemoteCustomerDirectory::new(at))),
            None => builder,
        })
        .seed(seed)
        .records_audit(serves(ServiceName::Audit))
        .build()
        .await?;
    let mut grpc = GrpcServer::bind(app.config(), &services).await?;
    if remote_users {
        grpc = grpc.verifier(Arc::new(RemoteVerifier::discovered(instances(
            ServiceName::User,
        ))));
    }
    grpc.mdns = mdns;
    let names: Vec<&str> = services.iter().map(|s| s.grpc_name()).collect();
    gotemp::runner::announce(format_args!(
        "gotemp-grpc listening on {} serving {} over {}",
        grpc.local_addr(),
        names.join(", "),
        grpc.over()
    ));
    if let Some(metrics) = app.metrics_addr() {
        gotemp::runner::announce(format_args!("metrics on http://{metrics}/metrics"));
    }
    app.run(vec![Box::new(grpc)]).await
}

#[cfg(feature = "mdns")]
type Multicast = crate::discovery::mdns::MdnsDiscovery;
/// Without the `mdns` feature there is no multicast discovery to hold.
#[cfg(not(feature = "mdns"))]
type Multicast = StaticDiscovery;

/// The mDNS responder, checking peers' certificates when the deployment speaks TLS.
#[cfg(feature = "mdns")]
fn multicast(secure: bool) -> Result<Arc<Multicast>, BoxError> {
    if secure {
        return Ok(Arc::new(Multicast::secure()?));
    }
    tracing::warn!(
        "discovery mdns: peers are not authenticated: any host on this network that announces \
         a gotemp service is trusted with tokens; configure TLS (GOTEMP_GRPC_TLS_CERT, \
         GOTEMP_TLS_CA) or use it only on a network you control"
    );
    Ok(Arc::new(Multicast::new()?))
}

#[cfg(not(feature = "mdns"))]
fn multicast(_secure: bool) -> Result<Arc<Multicast>, BoxError> {
    Err("discovery mdns needs gotemp-grpc's `mdns` feature".into())
}

async fn withdraw(mdns: Option<Arc<Multicast>>) {
    #[cfg(feature = "mdns")]
    if let Some(m) = mdns {
        m.withdraw().await;
    }
    #[cfg(not(feature = "mdns"))]
    let _ = mdns;
}
