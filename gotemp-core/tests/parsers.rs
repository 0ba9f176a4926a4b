//! Every parser of outside input, fed whatever proptest makes up: none panics, every refusal is a
//! field error naming the field it was given, and whatever is accepted keeps the rule it was
//! checked against. The number of cases is bounded (`PROPTEST_CASES` raises it).

use chrono::{DateTime, Utc};
use gotemp_core::Error;
use gotemp_core::event::ActionType;
use gotemp_core::page::{Cursor, PageRequest, PageSpec};
use gotemp_core::policy::Roles;
use gotemp_core::values::{DiscountValue, Email, EntityKey, Password, Text, ValidityPeriod};
use proptest::prelude::*;
use secrecy::SecretString;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(512),
        ..ProptestConfig::default()
    }
}

/// Text of every kind: printable, white space around, control characters, NUL, long, unicode.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \\t\\n]*[a-zA-Z0-9_\\-. @]{0,80}[ \\t\\n]*",
        "\\PC{0,300}",
        "[a-z]{0,5}\\x00[a-z]{0,5}",
    ]
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-8_000_000_000_000_000i64..8_000_000_000_000_000i64)
        .prop_filter_map("representable", DateTime::from_timestamp_micros)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn text_is_trimmed_bounded_and_free_of_nul(s in text(), max in 1usize..300) {
        match Text::parse("name", &s, max) {
            Ok(t) => {
                prop_assert_eq!(t.as_str(), s.trim());
                prop_assert!(!t.as_str().is_empty() && t.as_str().chars().count() <= max);
                prop_assert!(!t.as_str().contains('\0'));
            }
            Err(e) => {
                prop_assert_eq!(e.field, "name");
                prop_assert!(["required", "too_long", "invalid_character"].contains(&e.code));
            }
        }
    }

    #[test]
    fn keys_are_short_and_url_safe(s in text()) {
        match EntityKey::parse("id", &s) {
            Ok(k) => {
                prop_assert!(!k.as_str().is_empty() && k.as_str().len() <= 64);
                let safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
                prop_assert!(k.as_str().chars().all(safe));
            }
            Err(e) => prop_assert_eq!(e.field, "id"),
        }
    }

    #[test]
    fn e_mail_addresses_are_checked(s in prop_oneof![text(), "[a-z.]{0,20}@[a-z.]{0,20}"]) {
        match Email::parse("email", &s) {
            Ok(e) => prop_assert!(e.as_str().contains('@')),
            Err(e) => {
                prop_assert_eq!(e.field, "email");
                prop_assert!(!e.message.is_empty());
            }
        }
    }

    #[test]
    fn passwords_are_bounded(s in text()) {
        match Password::parse("password", &SecretString::from(s)) {
            Ok(p) => {
                let n = p.expose().chars().count();
                prop_assert!((8..=1024).contains(&n), "{}", n);
            }
            Err(e) => prop_assert_eq!(e.field, "password"),
        }
    }

    #[test]
    fn validity_periods_end_after_they_start(
        from in proptest::option::of(instant()),
        thru in proptest::option::of(instant()),
    ) {
        match ValidityPeriod::parse(from, thru) {
            Ok(p) => prop_assert!(p.valid_thru() > p.valid_from()),
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                let named = |e: &gotemp_core::FieldError| e.field == "valid_thru" || e.field == "valid_from";
                prop_assert!(errors.iter().all(named));
            }
        }
    }

    #[test]
    fn discounts_are_finite_and_positive(
        v in prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), -1e6f64..1e6],
    ) {
        match DiscountValue::parse("products[0].discounts[0].value", v) {
            Ok(d) => prop_assert!(d.get().is_finite() && d.get() > 0.0),
            Err(e) => prop_assert_eq!(e.field, "products[0].discounts[0].value"),
        }
    }

    #[test]
    fn cursors_and_limits_are_field_errors(
        cursor in proptest::option::of(prop_oneof![text(), "[A-Za-z0-9_-]{0,40}"]),
        limit in proptest::option::of(any::<u32>()),
    ) {
        if let Some(c) = &cursor
            && let Err(e) = Cursor::decode(c)
        {
            prop_assert_eq!(e.field, "cursor");
        }
        match PageSpec::parse(&PageRequest { limit, cursor }) {
            Ok(_) => {}
            Err(Error::Validation(errors)) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| e.field == "cursor" || e.field == "limit"));
            }
            Err(other) => prop_assert!(false, "not a field error: {:?}", other),
        }
    }

    #[test]
    fn roles_and_action_types_are_named_or_refused(
        names in proptest::collection::vec(text(), 0..5),
        action in text(),
    ) {
        if let Err(message) = Roles::parse("roles", &names) {
            prop_assert!(message.starts_with("roles: "));
        }
        if let Some(parsed) = ActionType::parse(&action) {
            prop_assert_eq!(parsed.as_str(), action.trim());
        }
    }
}
