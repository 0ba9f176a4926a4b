//! The facade's integration tests, one module per subject, in one test binary: each binary of
//! its own linked every dependency again (ten links of ~190 MB and their generic code compiled
//! ten times), for no isolation gained — nextest runs every test in a process of its own.

mod audit_cli;
mod audit_off;
#[cfg(all(feature = "redis", feature = "nats"))]
mod backends_tls;
mod backup;
#[cfg(all(feature = "postgres", feature = "redis", feature = "nats"))]
mod cache;
mod docs;
mod flows;
mod seeding;
mod server_example;
mod tenant_cli;
