//! The conformance suite on the embedded SQLite store (a fresh file per test).

gotemp_store::conformance_tests!(|_test: &'static str| async {
    Some(gotemp_store::testing::sqlite_store().await)
});
