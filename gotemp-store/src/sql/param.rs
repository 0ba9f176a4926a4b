//! The values the shared statements bind. Statements are generic over their [`Dialect`], and
//! Rust cannot yet carry "every dialect can encode an `i64`, a `&str`, …" from the trait to the
//! code that uses it, so binds go through one enum that each dialect encodes in full: a time as
//! `timestamptz` on PostgreSQL and as integer microseconds on SQLite, everything else as the
//! driver encodes it.

use super::Dialect;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::query::{Query, QueryAs};
use sqlx::query_builder::Separated;
use sqlx::{Database, QueryBuilder};
use std::fmt::Display;
use uuid::Uuid;

/// One bound value of a shared statement.
#[derive(Debug, Clone)]
pub enum Param {
    Int(i64),
    Int32(i32),
    Bool(bool),
    Text(Option<String>),
    Uuid(Option<Uuid>),
    Time(DateTime<Utc>),
    Json(Box<RawValue>),
    /// A value that could not be serialised: binding it fails the statement (an internal
    /// error), as binding the value itself would have.
    Unencodable(String),
}

impl Param {
    /// A JSON document (`jsonb` on PostgreSQL, text on SQLite).
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Self {
        serde_json::value::to_raw_value(value)
            .map_or_else(|e| Self::Unencodable(e.to_string()), Self::Json)
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<i32> for Param {
    fn from(v: i32) -> Self {
        Self::Int32(v)
    }
}

impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}

impl From<String> for Param {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}

impl From<&String> for Param {
    fn from(v: &String) -> Self {
        Self::Text(Some(v.clone()))
    }
}

impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}

impl From<Uuid> for Param {
    fn from(v: Uuid) -> Self {
        Self::Uuid(Some(v))
    }
}

impl From<Option<Uuid>> for Param {
    fn from(v: Option<Uuid>) -> Self {
        Self::Uuid(v)
    }
}

impl From<DateTime<Utc>> for Param {
    fn from(v: DateTime<Utc>) -> Self {
        Self::Time(v)
    }
}

/// Encodes [`Param`] for one database: `$time` turns a `DateTime<Utc>` into the value that
/// database stores for it.
macro_rules! encode_param {
    ($db:ty, $time:expr) => {
        impl sqlx::Encode<'_, $db> for $crate::sql::Param {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                use sqlx::Encode;
                use $crate::sql::Param;
                match self {
                    Param::Int(v) => Encode::<$db>::encode_by_ref(v, buf),
                    Param::Int32(v) => Encode::<$db>::encode_by_ref(v, buf),
                    Param::Bool(v) => Encode::<$db>::encode_by_ref(v, buf),
                    Param::Text(v) => Encode::<$db>::encode_by_ref(v, buf),
                    Param::Uuid(v) => Encode::<$db>::encode_by_ref(v, buf),
                    Param::Time(v) => Encode::<$db>::encode_by_ref(&($time)(*v), buf),
                    Param::Json(v) => Encode::<$db>::encode_by_ref(&sqlx::types::Json(&**v), buf),
                    Param::Unencodable(e) => Err(e.clone().into()),
                }
            }

            fn produces(&self) -> Option<<$db as sqlx::Database>::TypeInfo> {
                use sqlx::Type;
                use $crate::sql::Param;
                Some(match self {
                    Param::Int(_) => <i64 as Type<$db>>::type_info(),
                    Param::Int32(_) => <i32 as Type<$db>>::type_info(),
                    Param::Bool(_) => <bool as Type<$db>>::type_info(),
                    Param::Text(_) | Param::Unencodable(_) => <String as Type<$db>>::type_info(),
                    Param::Uuid(_) => <uuid::Uuid as Type<$db>>::type_info(),
                    Param::Time(v) => $crate::sql::param::type_info_of::<$db, _>(&($time)(*v)),
                    Param::Json(_) => {
                        <sqlx::types::Json<&serde_json::value::RawValue> as Type<$db>>::type_info()
                    }
                })
            }
        }

        impl sqlx::Type<$db> for $crate::sql::Param {
            /// Only a fallback: every value says its own type ([`sqlx::Encode::produces`]).
            fn type_info() -> <$db as sqlx::Database>::TypeInfo {
                <String as sqlx::Type<$db>>::type_info()
            }
        }
    };
}
pub(crate) use encode_param;

/// The type of a value, for the type a dialect stores a time as.
pub(crate) fn type_info_of<DB: Database, T: sqlx::Type<DB>>(_: &T) -> DB::TypeInfo {
    T::type_info()
}

/// Binding a [`Param`] to the statements the stores build: `.arg(x)` where sqlx has `.bind(x)`.
pub trait Bind {
    /// Binds the next placeholder.
    fn arg(self, value: impl Into<Param>) -> Self;
}

impl<'q, D: Dialect> Bind for Query<'q, D, D::Arguments> {
    fn arg(self, value: impl Into<Param>) -> Self {
        self.bind(D::Param::from(value.into()))
    }
}

impl<'q, D: Dialect, O> Bind for QueryAs<'q, D, O, D::Arguments> {
    fn arg(self, value: impl Into<Param>) -> Self {
        self.bind(D::Param::from(value.into()))
    }
}

/// The same for statements built piece by piece.
pub trait PushArg {
    /// Appends a placeholder and binds it.
    fn push_arg(&mut self, value: impl Into<Param>) -> &mut Self;
}

impl<D: Dialect> PushArg for QueryBuilder<D> {
    fn push_arg(&mut self, value: impl Into<Param>) -> &mut Self {
        self.push_bind(D::Param::from(value.into()))
    }
}

impl<D: Dialect, Sep: Display> PushArg for Separated<'_, D, Sep> {
    fn push_arg(&mut self, value: impl Into<Param>) -> &mut Self {
        self.push_bind(D::Param::from(value.into()))
    }
}
