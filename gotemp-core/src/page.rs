//! Keyset pagination shared by every list: a bounded page size and an opaque cursor that names
//! the last row seen, so pages stay stable while rows are added and never cost an OFFSET scan.

use crate::error::{Error, FieldError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Page size when the caller names none.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page a caller may ask for.
pub const MAX_LIMIT: u32 = 500;

/// What a caller asks for: raw, as it arrives from a transport.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// Rows per page, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page, unchanged.
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The first page with the given size.
    pub fn first(limit: u32) -> Self {
        Self {
            limit: Some(limit),
            cursor: None,
        }
    }

    /// The page after `page`, with the same size; `None` after the last page.
    pub fn after<T>(&self, page: &Page<T>) -> Option<Self> {
        page.next_cursor.as_ref().map(|c| Self {
            limit: self.limit,
            cursor: Some(c.clone()),
        })
    }
}

/// Where a page starts: the sort key of the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// Lists ordered by a numeric id (users, promotions).
    Int(i64),
    /// Lists ordered by a string key (customers, products).
    Key(String),
    /// Newest-first lists (audit): the last row's time and id.
    TimeDesc(DateTime<Utc>, i64),
}

impl Cursor {
    /// The opaque text handed to clients.
    pub fn encode(&self) -> String {
        let raw = match self {
            Self::Int(id) => format!("i:{id}"),
            Self::Key(key) => format!("k:{key}"),
            Self::TimeDesc(at, id) => format!("t:{}:{id}", at.timestamp_micros()),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Reads a cursor a client sent back; anything else is a validation error on `cursor`.
    pub fn decode(text: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                "cursor",
                "invalid_cursor",
                crate::tr!("field.cursor_foreign"),
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let raw = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (tag, rest) = raw.split_once(':').ok_or_else(invalid)?;
        match tag {
            "i" => rest.parse().map(Self::Int).map_err(|_| invalid()),
            "k" if !rest.is_empty() => Ok(Self::Key(rest.to_owned())),
            "t" => {
                let (micros, id) = rest.split_once(':').ok_or_else(invalid)?;
                let at = micros
                    .parse()
                    .ok()
                    .and_then(DateTime::from_timestamp_micros)
                    .ok_or_else(invalid)?;
                id.parse()
                    .map(|id| Self::TimeDesc(at, id))
                    .map_err(|_| invalid())
            }
            _ => Err(invalid()),
        }
    }
}

/// A checked page request, as repositories receive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSpec {
    /// Rows to return (1 to 500).
    pub limit: u32,
    /// Where to start, if not at the beginning.
    pub after: Option<Cursor>,
}

impl PageSpec {
    /// The first page of `limit` rows (for internal callers that need no checking).
    pub fn first(limit: u32) -> Self {
        Self {
            limit: limit.clamp(1, MAX_LIMIT),
            after: None,
        }
    }

    /// Checks a raw request, reporting both fields at once when both are wrong.
    pub fn parse(req: &PageRequest) -> Result<Self, Error> {
        let mut errors = Vec::new();
        let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                "out_of_range",
                crate::tr!("field.limit_range", max = MAX_LIMIT),
            ));
        }
        let after = match req.cursor.as_deref() {
            None | Some("") => None,
            Some(text) => match Cursor::decode(text) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(Self { limit, after })
        } else {
            Err(Error::Validation(errors))
        }
    }

    /// How many rows a repository should fetch: one more than the page, to learn whether another
    /// page follows without a COUNT.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// The cursor as an integer id, for lists ordered by id; a cursor of another kind is rejected.
    pub fn after_int(&self) -> Result<Option<i64>, Error> {
        match &self.after {
            None => Ok(None),
            Some(Cursor::Int(id)) => Ok(Some(*id)),
            Some(_) => Err(wrong_cursor()),
        }
    }

    /// The cursor as a string key, for lists ordered by key.
    pub fn after_key(&self) -> Result<Option<&str>, Error> {
        match &self.after {
            None => Ok(None),
            Some(Cursor::Key(k)) => Ok(Some(k)),
            Some(_) => Err(wrong_cursor()),
        }
    }

    /// The cursor as (time, id), for newest-first lists.
    pub fn after_time(&self) -> Result<Option<(DateTime<Utc>, i64)>, Error> {
        match &self.after {
            None => Ok(None),
            Some(Cursor::TimeDesc(t, id)) => Ok(Some((*t, *id))),
            Some(_) => Err(wrong_cursor()),
        }
    }

    /// Cuts the `fetch_limit` rows a repository read down to a page, computing the next cursor
    /// from the last row kept.
    pub fn into_page<T>(&self, mut rows: Vec<T>, cursor_of: impl Fn(&T) -> Cursor) -> Page<T> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| cursor_of(r).encode())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

fn wrong_cursor() -> Error {
    Error::invalid(FieldError::new(
        "cursor",
        "invalid_cursor",
        crate::tr!("field.cursor_other_list"),
    ))
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The rows of this page, in the list's order.
    pub items: Vec<T>,
    /// Pass this back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Transforms the rows, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let t = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        for c in [
            Cursor::Int(-3),
            Cursor::Key("a:b".into()),
            Cursor::TimeDesc(t, 9),
        ] {
            assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }
    }

    #[test]
    fn garbage_cursor_is_a_field_error() {
        for bad in ["", "!!!", "eDox", "aTp4"] {
            assert_eq!(Cursor::decode(bad).unwrap_err().field, "cursor", "{bad}");
        }
    }

    #[test]
    fn limit_defaults_and_bounds() {
        assert_eq!(PageSpec::parse(&PageRequest::default()).unwrap().limit, 50);
        assert_eq!(
            PageSpec::parse(&PageRequest::first(500)).unwrap().limit,
            500
        );
        for bad in [0, 501] {
            let Err(Error::Validation(errs)) = PageSpec::parse(&PageRequest::first(bad)) else {
                panic!("limit {bad} accepted");
            };
            assert_eq!(errs[0].field, "limit");
        }
    }

    #[test]
    fn bad_limit_and_cursor_are_reported_together() {
        let req = PageRequest {
            limit: Some(0),
            cursor: Some("nope".into()),
        };
        let Err(Error::Validation(errs)) = PageSpec::parse(&req) else {
            panic!("accepted");
        };
        assert_eq!(errs.len(), 2);
    }

    #[test]
    fn cursor_of_another_kind_is_rejected() {
        let spec = PageSpec {
            limit: 5,
            after: Some(Cursor::Key("x".into())),
        };
        assert!(spec.after_int().is_err());
        assert!(spec.after_time().is_err());
        assert_eq!(spec.after_key().unwrap(), Some("x"));
    }

    #[test]
    fn into_page_sets_cursor_only_when_more_rows_exist() {
        let spec = PageSpec::first(2);
        let page = spec.into_page(vec![1, 2, 3], |r| Cursor::Int(*r));
        assert_eq!(page.items, [1, 2]);
        assert_eq!(page.next_cursor, Some(Cursor::Int(2).encode()));
        let last = spec.into_page(vec![1, 2], |r| Cursor::Int(*r));
        assert_eq!(last.next_cursor, None);
    }
}
