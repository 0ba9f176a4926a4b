//! The conformance suite on the embedded SQLite store (a fresh file per test).

gotemp_testing::conformance_tests!(|_test: &'static str| async {
    Some(gotemp_testing::sqlite_store().await)
});
