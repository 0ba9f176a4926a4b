//! The gRPC services end to end: a server on port 0 over a fresh PostgreSQL database, called
//! through the typed client — happy paths, validation errors, not-found, conflicts, and every
//! protected RPC with a missing, expired, tampered or wrong-algorithm token.

mod auth;
mod discovery;
mod hierarchy;
mod isolation;
mod languages;
mod permissions;
mod protected;
mod remaining;
mod round_trips;
mod support;
mod tenants;
