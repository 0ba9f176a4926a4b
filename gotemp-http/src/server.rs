//! [`HttpServer`]: the REST/JSON API as one of the transports an [`Application`] serves over,
//! bound (and its TLS read) before the process says where it listens.

use crate::{router, serve};
use gotemp::Application;
use gotemp::runner::{BoxError, Server, Serving, Stopping};
use gotemp::tls::ServerTls;
use std::net::SocketAddr;

/// The HTTP API on its listener, over HTTPS when `http_tls_cert`/`http_tls_key` are set.
pub struct HttpServer {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    tls: Option<ServerTls>,
}

impl HttpServer {
    /// Listens on `http_addr` of `config`, with the TLS the HTTP section names.
    pub async fn bind(config: &gotemp::Config) -> Result<Self, BoxError> {
        let tls = config.http.server_tls()?;
        let listener = gotemp::runner::listen(config.http.addr, "http_addr").await?;
        Ok(Self {
            addr: listener.local_addr()?,
            listener,
            tls,
        })
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
        let HttpServer { listener, tls, .. } = *self;
        // This process serves the audit routes' readiness from its own event pipeline.
        let events = Some(app.events().clone());
        let router = router(app.gotemp().clone(), events, &app.config().http);
        Box::pin(async move {
            serve(router, listener, tls.as_ref(), stopping).await?;
            Ok(())
        })
    }
}
