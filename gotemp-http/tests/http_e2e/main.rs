//! The HTTP API end to end: the router on port 0 over a fresh PostgreSQL database, called over
//! real HTTP — every route's happy path, every validation rule, not-found, 409, 412, 401 for
//! every kind of bad token, 415/422 for malformed bodies — and every response checked for
//! passwords and hashes as it arrives.

mod access;
mod audit;
mod audit_chain;
mod auth;
mod dead_letters;
mod hierarchy;
mod isolation;
mod languages;
mod lockout;
mod master_data;
mod operations;
mod permissions;
mod promotions;
mod registration;
mod serving;
mod support;
mod tenants;
mod users;
