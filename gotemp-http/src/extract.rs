//! Reading requests so that every mistake a client can make becomes a problem naming the field
//! and the rule: JSON bodies (with the path of a mistyped field), query parameters, path ids,
//! `If-Match`, and the bearer token.

use crate::ApiState;
use crate::problem::Problem;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chrono::{DateTime, Utc};
use gotemp_core::error::Violations;
use gotemp_core::page::PageRequest;
use gotemp_core::{Actor, FieldError};
use serde::de::DeserializeOwned;

/// A JSON request body. Malformed JSON and values of the wrong type are 422 with the offending
/// field's path (`products[0].discounts[0].value`); a body that is not JSON is 415.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                gotemp_core::tr!("http.body_not_json"),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| Problem::new(e.status(), e.body_text()))?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON document, naming the field whose value has the wrong type.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // serde would read an array as a struct's fields by position; every body here is an object.
    if let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace())
        && *first != b'{'
        && *first != b'/'
    {
        return Err(Problem::validation(vec![FieldError::new(
            "body",
            "not_an_object",
            gotemp_core::tr!("field.not_an_object"),
        )]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let error = match parsed {
        Ok(value) => match de.end() {
            Ok(()) => return Ok(value),
            Err(e) => e,
        },
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_data() {
                let field = if path == "." { "body".to_owned() } else { path };
                let detail = without_position(&inner);
                let message =
                    gotemp_core::tr!("field.invalid_type", field = field, detail = detail);
                return Err(Problem::validation(vec![FieldError::new(
                    field,
                    "invalid_type",
                    message,
                )]));
            }
            inner
        }
    };
    Err(Problem::validation(vec![FieldError::new(
        "body",
        "malformed_json",
        gotemp_core::tr!("field.malformed_json", detail = error),
    )]))
}

/// serde_json's message without " at line 1 column 20": the field path already says where.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// Reads query parameters into `T` (whose fields are all text, each checked afterwards by the
/// helpers below); an unknown or repeated parameter is a 422 naming it.
pub fn parse_query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, Problem> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
        let text = e.to_string();
        let field = text
            .split('`')
            .nth(1)
            .filter(|_| text.starts_with("unknown field") || text.starts_with("duplicate field"))
            .unwrap_or("query")
            .to_owned();
        Problem::validation(vec![FieldError::new(
            field.clone(),
            "invalid_parameter",
            gotemp_core::tr!("field.invalid_parameter", field = field, detail = text),
        )])
    })
}

/// A whole number from a query parameter or path segment.
pub fn int<T: std::str::FromStr>(
    v: &mut Violations,
    field: &str,
    raw: Option<String>,
) -> Option<T> {
    let raw = raw?;
    v.check(raw.trim().parse().map_err(|_| {
        FieldError::new(
            field,
            "invalid_integer",
            gotemp_core::tr!(
                "field.invalid_integer",
                field = field,
                got = format!("{raw:?}")
            ),
        )
    }))
}

/// An instant (RFC 3339, `2026-01-31T12:00:00Z`) from a query parameter.
pub fn instant(v: &mut Violations, field: &str, raw: Option<String>) -> Option<DateTime<Utc>> {
    let raw = raw?;
    v.check(
        DateTime::parse_from_rfc3339(raw.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                FieldError::new(
                    field,
                    "invalid_time",
                    gotemp_core::tr!(
                        "field.invalid_time",
                        field = field,
                        got = format!("{raw:?}")
                    ),
                )
            }),
    )
}

/// A non-empty text filter (an empty parameter means "no filter").
pub fn text(raw: Option<String>) -> Option<String> {
    raw.filter(|s| !s.is_empty())
}

/// `limit` and `cursor`.
pub fn page(v: &mut Violations, limit: Option<String>, cursor: Option<String>) -> PageRequest {
    PageRequest {
        limit: int(v, "limit", limit),
        cursor: text(cursor),
    }
}

/// Turns collected violations into the 422 they deserve.
pub fn finish(v: Violations) -> Result<(), Problem> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(v.into_vec()))
    }
}

/// The numeric id of a path like `/v1/users/{id}`.
pub fn path_id(raw: &str) -> Result<i64, Problem> {
    let mut v = Violations::default();
    let id = int(&mut v, "id", Some(raw.to_owned()));
    finish(v)?;
    Ok(id.unwrap_or_default())
}

/// The version an `If-Match` header names: `"3"` (as `ETag` gave it), `W/"3"` or `3`; `None`
/// without the header or with `*`. A value naming no version can match nothing: 412.
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(Self(None));
        };
        let text = value.to_str().unwrap_or("").trim();
        if text == "*" {
            return Ok(Self(None));
        }
        let bare = text.trim_start_matches("W/").trim_matches('"');
        bare.parse().map(|v| Self(Some(v))).map_err(|_| {
            Problem::precondition_failed(gotemp_core::tr!(
                "http.bad_if_match",
                got = format!("{text:?}")
            ))
        })
    }
}

/// The ETag of an object at `version`.
pub fn etag(version: i64) -> [(header::HeaderName, String); 1] {
    [(header::ETAG, format!("\"{version}\""))]
}

/// The authenticated caller: `Authorization: Bearer <token>`, verified with the user service's
/// secret and checked against its user as stored now (gone, deactivated, re-passworded or
/// given other roles since the token was issued: refused), with the user's current roles.
/// Anything else is a 401 with a `WWW-Authenticate` challenge.
pub struct Caller(pub Actor);

impl FromRequestParts<ApiState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Problem> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| Problem::unauthenticated(gotemp_core::tr!("auth.header_missing")))?
            .to_str()
            .map_err(|_| Problem::unauthenticated(gotemp_core::tr!("auth.header_not_text")))?;
        let token = gotemp_core::auth::bearer_token(value)
            .ok_or_else(|| Problem::unauthenticated(gotemp_core::tr!("auth.header_malformed")))?;
        let found = state.app.users().authenticate(token).await?;
        Ok(Self(found.actor))
    }
}

/// The address the request came from, when the server was started with connect info
/// (`into_make_service_with_connect_info::<SocketAddr>()`, as gotemp's binaries are): what the
/// per-address limit of password attempts counts. Behind a trusted reverse proxy
/// (`http_trusted_proxies`) it is the client's, from `X-Forwarded-For`; otherwise the peer's.
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl FromRequestParts<ApiState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let forwarded = parts.headers.get_all("x-forwarded-for").iter();
        let hops = forwarded
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','));
        Ok(Self(peer.map(|peer| {
            client_address(peer, hops, &state.trusted_proxies)
        })))
    }
}

/// The client behind a chain of proxies: walking `X-Forwarded-For` from the nearest hop, the
/// first address that is not a trusted proxy. Only a trusted peer's header is believed (anyone
/// else could write any address there), and an entry that is not an address ends the walk.
pub fn client_address<'a>(
    peer: std::net::IpAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    for hop in forwarded_for.rev() {
        if !is_trusted(&client) {
            break;
        }
        match hop.trim().parse() {
            Ok(ip) => client = ip,
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod client_address_tests {
    use super::client_address;
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxys_forwarded_for_is_believed() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let via = |peer: &str, header: &str| {
            client_address(
                ip(peer),
                header.split(',').filter(|h| !h.is_empty()),
                &trusted,
            )
        };
        // Through the ingress controller (trusted): the client it saw.
        assert_eq!(via("10.1.2.3", "203.0.113.7"), ip("203.0.113.7"));
        // A client's own header is passed along in front: the nearest untrusted hop wins.
        assert_eq!(via("10.1.2.3", "6.6.6.6, 203.0.113.7"), ip("203.0.113.7"));
        // Two trusted proxies in a row.
        assert_eq!(via("10.1.2.3", "203.0.113.7, 10.9.9.9"), ip("203.0.113.7"));
        // Straight from the internet: the header is the sender's word, not believed.
        assert_eq!(via("198.51.100.1", "10.1.1.1"), ip("198.51.100.1"));
        // Rubbish ends the walk at the last address known.
        assert_eq!(via("10.1.2.3", "203.0.113.7, not-an-ip"), ip("10.1.2.3"));
        // No header: the peer.
        assert_eq!(via("10.1.2.3", ""), ip("10.1.2.3"));
        // Nothing trusted: always the peer.
        assert_eq!(
            client_address(ip("10.1.2.3"), ["1.1.1.1"].into_iter(), &[]),
            ip("10.1.2.3")
        );
    }
}
