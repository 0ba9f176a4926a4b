//! Conversions between protobuf and gotemp's types that every service shares.

use chrono::{DateTime, Utc};
use gotemp_core::page::{Page, PageRequest};
use gotemp_core::{Error, FieldError};
use prost_types::{ListValue, Struct, Timestamp, Value, value::Kind};
use serde_json::{Map, Number, Value as Json};

/// A protobuf timestamp for `t`.
pub fn timestamp(t: DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    })
}

/// The instant a request's timestamp names; out-of-range values are a field error.
pub fn instant(field: &str, t: Option<Timestamp>) -> Result<Option<DateTime<Utc>>, Error> {
    let Some(t) = t else { return Ok(None) };
    let nanos = u32::try_from(t.nanos).ok();
    nanos
        .and_then(|n| DateTime::from_timestamp(t.seconds, n))
        .map(Some)
        .ok_or_else(|| {
            Error::invalid(FieldError::new(
                field,
                "invalid_timestamp",
                gotemp_core::tr!("field.invalid_timestamp", field = field),
            ))
        })
}

/// The page a list request asks for: size 0 and an empty token mean "the default".
pub fn page_request(page_size: u32, page_token: String) -> PageRequest {
    PageRequest {
        limit: (page_size > 0).then_some(page_size),
        cursor: (!page_token.is_empty()).then_some(page_token),
    }
}

/// A page's rows converted, and the token of the next page ("" on the last).
pub fn page<T, U>(page: Page<T>, convert: impl FnMut(T) -> U) -> (Vec<U>, String) {
    (
        page.items.into_iter().map(convert).collect(),
        page.next_cursor.unwrap_or_default(),
    )
}

/// A JSON object as a protobuf `Struct`.
pub fn to_struct(map: Map<String, Json>) -> Struct {
    Struct {
        fields: map.into_iter().map(|(k, v)| (k, to_value(v))).collect(),
    }
}

/// A protobuf `Struct` as a JSON object.
pub fn from_struct(s: Struct) -> Map<String, Json> {
    s.fields
        .into_iter()
        .map(|(k, v)| (k, from_value(v)))
        .collect()
}

/// Any JSON value as a protobuf `Value`.
pub fn to_value(v: Json) -> Value {
    let kind = match v {
        Json::Null => Kind::NullValue(0),
        Json::Bool(b) => Kind::BoolValue(b),
        Json::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Json::String(s) => Kind::StringValue(s),
        Json::Array(items) => Kind::ListValue(ListValue {
            values: items.into_iter().map(to_value).collect(),
        }),
        Json::Object(map) => Kind::StructValue(to_struct(map)),
    };
    Value { kind: Some(kind) }
}

/// A protobuf `Value` as JSON; whole numbers come back as integers.
pub fn from_value(v: Value) -> Json {
    match v.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::BoolValue(b)) => Json::Bool(b),
        Some(Kind::NumberValue(n)) => number(n),
        Some(Kind::StringValue(s)) => Json::String(s),
        Some(Kind::ListValue(list)) => {
            Json::Array(list.values.into_iter().map(from_value).collect())
        }
        Some(Kind::StructValue(s)) => Json::Object(from_struct(s)),
    }
}

fn number(n: f64) -> Json {
    // Integers survive the trip through protobuf's double when they fit exactly.
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        Json::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(Json::Null, Json::Number)
    }
}

/// A hierarchy link as protobuf.
pub fn link(l: gotemp_core::entities::Link) -> crate::pb::hierarchy::Link {
    crate::pb::hierarchy::Link {
        from: l.from,
        to: l.to,
        relation: l.relation.as_str().to_owned(),
        kind: l.kind,
        valid_from: timestamp(l.valid_from),
        valid_thru: timestamp(l.valid_thru),
        created_at: timestamp(l.created_at),
        modified_by: l.modified_by,
    }
}

/// The object an add-link request is about, and the link it asks for.
pub fn new_link(
    r: crate::pb::hierarchy::AddLinkRequest,
) -> Result<(String, gotemp_core::entities::NewLink), Error> {
    let input = gotemp_core::entities::NewLink {
        valid_from: instant("valid_from", r.valid_from)?,
        valid_thru: instant("valid_thru", r.valid_thru)?,
        id: r.other_id,
        kind: r.kind,
    };
    Ok((r.id, input))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_survives_the_round_trip_through_struct() {
        let original = json!({"tier": "gold", "limit": 1500, "ratio": 0.25, "tags": ["a", null, true], "nested": {"x": -3}});
        let Json::Object(map) = original.clone() else {
            unreachable!()
        };
        assert_eq!(Json::Object(from_struct(to_struct(map))), original);
    }

    #[test]
    fn timestamps_round_trip_and_bad_ones_name_their_field() {
        let t = DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap();
        assert_eq!(instant("valid_from", timestamp(t)).unwrap(), Some(t));
        let bad = Timestamp {
            seconds: 0,
            nanos: -1,
        };
        let err = instant("valid_from", Some(bad)).unwrap_err();
        assert!(err.to_string().contains("valid_from"), "{err}");
    }
}
