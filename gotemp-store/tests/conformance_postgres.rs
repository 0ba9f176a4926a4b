//! The conformance suite on PostgreSQL (a fresh database per test), found through
//! `GOTEMP_TEST_POSTGRES_URL`, the local server on 127.0.0.1:5432, or a container.

gotemp_testing::conformance_tests!(gotemp_testing::postgres_store);
