//! The conformance suite's master-data cases on ArangoDB (customers, products, their links and
//! the outbox their changes write to), each in a fresh database. Runs where
//! `GOTEMP_TEST_ARANGO_URL` names a server (e.g. `http://root:pw@127.0.0.1:8529`), or where the
//! `testcontainers` feature finds a Docker engine; otherwise every case reports a loud skip.

gotemp_testing::conformance_tests!(master_data: |test: &'static str| async move {
    gotemp_testing::arango_store(test).await
});
