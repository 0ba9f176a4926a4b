//! [`HttpServer`]: the REST/JSON API as one of the transports an [`Application`] serves over,
//! bound (and its TLS read) before the process says where it listens.

use crate::{HttpSettings, router, serve};
use gotemp::Application;
use gotemp::runner::{BoxError, Server, Serving, Stopping};
use gotemp::tls::ServerTls;
use std::net::SocketAddr;

/// The HTTP API on its listener, over HTTPS when `http_tls_cert`/`http_tls_key` are set.
pub struct HttpServer {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    tls: Option<ServerTls>,
    settings: Option<HttpSettings>,
}

impl HttpServer {
    /// Listens on `addr`, or on `http_addr` of `config` without one, with the TLS the HTTP
    /// section names.
    pub async fn bind(config: &gotemp::Config, addr: Option<&str>) -> Result<Self, BoxError> {
        let tls = config.http.server_tls()?;
        let addr = addr.unwrap_or(&config.http.addr);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr} (http_addr): {e}"))?;
        Ok(Self {
            addr: listener.local_addr()?,
            listener,
            tls,
            settings: None,
        })
    }

    /// Serves with these settings instead of the application's HTTP section.
    pub fn with_settings(mut self, settings: HttpSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Whether it speaks HTTPS: `https` or `http`, for the address it prints.
    pub fn scheme(&self) -> &'static str {
        match self.tls {
            Some(_) => "https",
            None => "http",
        }
    }
}

impl Server for HttpServer {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(self: Box<Self>, app: &Application, stopping: Stopping) -> Serving {
        let HttpServer {
            listener,
            tls,
            settings,
            ..
        } = *self;
        let settings = settings.unwrap_or_else(|| HttpSettings::from_config(app.config()));
        // This process serves the audit routes' readiness from its own event pipeline.
        let events = Some(app.events().clone());
        let router = router(app.gotemp().clone(), events, &settings);
        Box::pin(async move {
            serve(router, listener, tls.as_ref(), stopping).await?;
            Ok(())
        })
    }
}
