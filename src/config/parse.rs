//! How settings are read from text: blank as absent, durations in seconds or words, lists from
//! comma-separated text or TOML arrays, addresses and ranges parsed when the configuration is
//! read (so a bad one is an error naming its setting, at start).

use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// An optional text setting: blank is the same as absent.
pub(super) fn non_empty<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    let text = Option::<String>::deserialize(deserializer)?;
    Ok(text.filter(|t| !t.trim().is_empty()).map(T::from))
}

/// An optional setting parsed from text (an address): blank is the same as absent.
pub(super) fn non_empty_parsed<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr<Err: std::fmt::Display>,
{
    let text = Option::<String>::deserialize(deserializer)?;
    (text.filter(|t| !t.trim().is_empty()))
        .map(|t| t.trim().parse().map_err(serde::de::Error::custom))
        .transpose()
}

/// A duration: a number of seconds (what these settings always took), or a duration in words
/// (`1500ms`, `2m`, `12h`).
pub(super) fn seconds<'de, D>(deserializer: D) -> Result<Duration, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Seconds(u64),
        Text(String),
    }
    match Given::deserialize(deserializer)? {
        Given::Seconds(secs) => Ok(Duration::from_secs(secs)),
        Given::Text(text) => match text.trim().parse::<u64>() {
            Ok(secs) => Ok(Duration::from_secs(secs)),
            Err(_) => humantime::parse_duration(text.trim()).map_err(|e| {
                serde::de::Error::custom(format!(
                    "{text:?} is neither seconds nor a duration such as 30s or 2m: {e}"
                ))
            }),
        },
    }
}

/// An optional duration as [`seconds`] reads it (`400d`); blank is the same as absent.
pub(super) fn optional_seconds<'de, D>(deserializer: D) -> Result<Option<Duration>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Given(#[serde(deserialize_with = "seconds")] Duration);
    let text = Option::<serde_json::Value>::deserialize(deserializer)?;
    match text {
        None => Ok(None),
        Some(serde_json::Value::String(t)) if t.trim().is_empty() => Ok(None),
        Some(value) => {
            (Given::deserialize(value).map(|g| Some(g.0))).map_err(serde::de::Error::custom)
        }
    }
}

/// Addresses or CIDR ranges, as [`list`] gives them.
pub(super) fn ip_ranges<'de, D>(deserializer: D) -> Result<Vec<ipnet::IpNet>, D::Error>
where
    D: Deserializer<'de>,
{
    (list(deserializer)?.iter())
        .map(|entry| {
            (entry.parse::<ipnet::IpNet>())
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "{entry:?} is neither an IP address nor a CIDR range"
                    ))
                })
        })
        .collect()
}

/// A list setting: a sequence in TOML, comma-separated text in a variable (blank entries
/// dropped, so `a, b,` is `a` and `b`).
pub(super) fn list<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Text(String),
        Items(Vec<String>),
    }
    let items = match Given::deserialize(deserializer)? {
        Given::Text(text) => text.split(',').map(str::to_owned).collect(),
        Given::Items(items) => items,
    };
    Ok(items
        .into_iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect())
}

/// Role names as a list or as comma-separated text (an environment variable is text).
pub(super) fn role_list<'de, D>(deserializer: D) -> Result<gotemp_core::policy::Roles, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Names {
        Text(String),
        List(Vec<String>),
    }
    let names = match Names::deserialize(deserializer)? {
        Names::Text(text) => (text.split(','))
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect(),
        Names::List(list) => list,
    };
    gotemp_core::policy::Roles::parse("registration_roles", &names)
        .map_err(serde::de::Error::custom)
}
