use super::*;
use chrono::TimeZone;
use secrecy::SecretString;

fn at(y: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).unwrap()
}

#[test]
fn text_is_trimmed_and_required() {
    assert_eq!(
        Text::parse("name", "  Ducks ", 10).unwrap().as_str(),
        "Ducks"
    );
    assert_eq!(Text::parse("name", "   ", 10).unwrap_err().code, "required");
    assert_eq!(
        Text::parse("name", "", 10).unwrap_err().message,
        "name is required"
    );
}

#[test]
fn text_length_counts_characters_not_bytes() {
    assert!(Text::parse("name", "ééééé", 5).is_ok());
    let err = Text::parse("name", "ééééé é", 5).unwrap_err();
    assert_eq!(err.code, "too_long");
    assert_eq!(err.field, "name");
}

#[test]
fn optional_text_blank_is_none() {
    assert_eq!(Text::parse_optional("company", Some(" "), 5).unwrap(), None);
    assert_eq!(Text::parse_optional("company", None, 5).unwrap(), None);
    assert!(Text::parse_optional("company", Some("toolongvalue"), 5).is_err());
}

#[test]
fn email_rules() {
    assert_eq!(
        Email::parse("email", " Ann@Example.com ")
            .unwrap()
            .normalized(),
        "ann@example.com"
    );
    assert_eq!(Email::parse("email", "").unwrap_err().code, "required");
    for bad in ["no-at-sign", "a@", "@b.com", "a b@c.com", "a@localhost"] {
        assert_eq!(
            Email::parse("email", bad).unwrap_err().code,
            "invalid_email",
            "{bad}"
        );
    }
    let long = format!("{}@example.com", "a".repeat(250));
    assert_eq!(Email::parse("email", &long).unwrap_err().code, "too_long");
}

#[test]
fn validity_must_be_ordered() {
    assert!(ValidityPeriod::new(at(2000), at(2001)).is_ok());
    let err = ValidityPeriod::new(at(2001), at(2000)).unwrap_err();
    assert_eq!(err.field, "valid_thru");
    assert_eq!(err.message, "valid_thru must be after valid_from");
    assert!(
        ValidityPeriod::new(at(2000), at(2000)).is_err(),
        "equal ends are rejected"
    );
}

#[test]
fn validity_required_reports_both_missing_ends() {
    let errs = ValidityPeriod::parse(None, None).unwrap_err();
    let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["valid_from", "valid_thru"]);
    assert_eq!(
        ValidityPeriod::parse(Some(at(2000)), None)
            .unwrap_err()
            .len(),
        1
    );
}

#[test]
fn validity_defaults_to_one_year_from_now() {
    let now = at(2020);
    let p = ValidityPeriod::parse_or_default(None, None, now).unwrap();
    assert_eq!((p.valid_from(), p.valid_thru()), (at(2020), at(2021)));
    let p = ValidityPeriod::parse_or_default(Some(at(2030)), None, now).unwrap();
    assert_eq!(p.valid_thru(), at(2031));
    assert!(ValidityPeriod::parse_or_default(None, Some(at(2010)), now).is_err());
}

#[test]
fn validity_contains_both_ends() {
    let p = ValidityPeriod::new(at(2000), at(2002)).unwrap();
    assert!(p.contains(at(2000)) && p.contains(at(2001)) && p.contains(at(2002)));
    assert!(!p.contains(at(2003)));
}

#[test]
fn validity_truncates_to_micros() {
    let f = Utc.timestamp_opt(0, 123_456_789).unwrap();
    let p = ValidityPeriod::new(f, at(2000)).unwrap();
    assert_eq!(p.valid_from().timestamp_subsec_nanos(), 123_456_000);
}

#[test]
fn entity_key_rules() {
    assert!(EntityKey::parse("id", "ducksrus").is_ok());
    assert!(EntityKey::parse("id", "a_b-C9").is_ok());
    assert_eq!(EntityKey::parse("id", "").unwrap_err().code, "required");
    assert_eq!(
        EntityKey::parse("id", "a/b").unwrap_err().code,
        "invalid_key"
    );
    assert!(EntityKey::parse("id", &"k".repeat(65)).is_err());
}

#[test]
fn generated_keys_are_valid_and_unique() {
    let a = EntityKey::generate("Ducks R Us!");
    let b = EntityKey::generate("Ducks R Us!");
    assert!(a.as_str().starts_with("ducks-r-us-"), "{a}");
    assert_ne!(a, b);
    assert!(EntityKey::parse("id", a.as_str()).is_ok());
    assert!(EntityKey::parse("id", EntityKey::generate("***").as_str()).is_ok());
    assert!(EntityKey::parse("id", EntityKey::generate(&"x".repeat(200)).as_str()).is_ok());
}

#[test]
fn a_chosen_password_must_not_be_guessable() {
    let choose = |p: &str, context: &[&str]| {
        Password::choose("new_password", &SecretString::from(p), context)
    };
    for weak in [
        "password1",
        "12345678",
        "qwertyuiop",
        "iloveyou2024",
        "aaaaaaaaaaaa",
    ] {
        let refused = choose(weak, &[]).unwrap_err();
        assert_eq!(
            (refused.field.as_str(), refused.code),
            ("new_password", "weak_password")
        );
        assert!(
            refused.message.contains("new_password"),
            "{}",
            refused.message
        );
    }
    // The account's own names and e-mail count as known to whoever guesses.
    let own = ["Ann", "Smith", "ann.smith@ducksrus.example"];
    for own_words in ["ducksrus2024", "ducksrus-ann"] {
        assert!(
            choose(own_words, &[]).is_ok(),
            "{own_words}: nobody else's dictionary has it"
        );
        assert!(
            choose(own_words, &own).is_err(),
            "{own_words}: her own e-mail's words"
        );
    }
    assert!(choose("correct horse battery staple", &own).is_ok());
    // A long password is judged by its first 100 characters, which bounds the work.
    assert!(choose(&"x".repeat(1024), &[]).is_err());
    assert!(choose(&format!("tangerine {} umbrella", "x".repeat(1000)), &[]).is_ok());
}

#[test]
fn password_length_rules_and_redaction() {
    let ok = Password::parse("password", &SecretString::from("correct horse")).unwrap();
    assert_eq!(format!("{ok:?}"), "Password([REDACTED])");
    assert_eq!(
        Password::parse("password", &SecretString::from(""))
            .unwrap_err()
            .code,
        "required"
    );
    assert_eq!(
        Password::parse("password", &SecretString::from("short"))
            .unwrap_err()
            .code,
        "invalid_length"
    );
    assert!(Password::parse("password", &SecretString::from("x".repeat(1025))).is_err());
    assert_eq!(
        format!("{:?}", PasswordHash::new("$argon2id$secret")),
        "PasswordHash([REDACTED])"
    );
}

#[test]
fn discount_value_must_be_positive_and_finite() {
    assert_eq!(DiscountValue::parse("v", 0.5).unwrap().get(), 0.5);
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            DiscountValue::parse("v", bad).unwrap_err().code,
            "must_be_positive"
        );
    }
}
