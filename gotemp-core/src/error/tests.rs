use super::*;

#[test]
fn validation_message_lists_every_field() {
    let e = Error::Validation(vec![
        FieldError::required("first_name"),
        FieldError::required("email"),
    ]);
    assert_eq!(
        e.to_string(),
        "invalid input: first_name is required; email is required"
    );
}

#[test]
fn only_unavailable_is_retriable() {
    assert!(Error::unavailable("db").is_retriable());
    assert!(!Error::internal("bug").is_retriable());
    assert!(!Error::not_found("user", 1).is_retriable());
}

#[test]
fn violations_collects_all_failures() {
    let mut v = Violations::default();
    let a: Option<i32> = v.check(Err(FieldError::required("a")));
    let b = v.check(Ok::<_, FieldError>(2));
    let c: Option<i32> = v.check_all(Err(vec![FieldError::required("c")]));
    assert_eq!((a, b, c), (None, Some(2), None));
    assert_eq!(v.into_vec().len(), 2);
}

#[test]
fn a_long_list_of_failures_is_cut_and_says_how_many_more() {
    let mut v = Violations::default();
    let errors = (0..100_000).map(|i| FieldError::required(&format!("products[{i}].product_id")));
    assert_eq!(v.check_all::<()>(Err(errors.collect())), None);
    let listed = v.into_vec();
    assert_eq!(listed.len(), MAX_FIELD_ERRORS + 1);
    let last = listed.last().unwrap();
    assert_eq!(last.code, "too_many_errors");
    assert_eq!(
        last.field, "products[100].product_id",
        "where the first one left out is"
    );
    assert!(last.message.contains("99900"), "{}", last.message);
}

#[test]
fn an_internal_error_keeps_its_cause_for_the_log() {
    let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "peer reset");
    let error = Error::unavailable_from("database: pool closed", io);
    assert!(error.is_retriable());
    assert_eq!(
        error.to_string(),
        "service unavailable: database: pool closed"
    );
    assert_eq!(
        report(&error),
        "service unavailable: database: pool closed: peer reset",
        "the whole chain, each part once"
    );
    let plain = Error::internal("bug");
    assert_eq!(report(&plain), "internal error: bug");
    assert_eq!(plain, Error::internal("bug"), "equal by message");
}
