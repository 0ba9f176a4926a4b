//! What one gRPC process accepts: sizes, calls at once, time. A leaf module: the server applies
//! these limits and each service's codec the message size, without importing each other.

use std::time::Duration;

/// Largest request message accepted (1 MiB, as the HTTP API's body limit): a bigger one is
/// RESOURCE_EXHAUSTED before it is decoded.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Calls served at once on one connection; more wait for a turn.
pub const CALLS_PER_CONNECTION: usize = 64;

/// Streams (calls in flight) one HTTP/2 connection may open.
pub const STREAMS_PER_CONNECTION: u32 = 128;

/// Longest a call may take before it is answered CANCELLED (`grpc-timeout` may ask for less).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Calls one process works on at once, over every connection; more wait for a turn.
pub const CALLS_AT_ONCE: usize = 512;
