-- gotemp schema for the embedded SQLite store.
-- Times are INTEGER microseconds since the Unix epoch (UTC): exact, compact and ordered.
-- JSON columns are TEXT holding JSON.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name    TEXT    NOT NULL,
    last_name     TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL,           -- lower-case e-mail: uniqueness ignores case
    company       TEXT,
    valid_from    INTEGER NOT NULL,
    valid_thru    INTEGER NOT NULL,
    active        INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    modified_by   INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    CHECK (valid_thru > valid_from)
);
CREATE UNIQUE INDEX users_email_key ON users (email_key);

CREATE TABLE customers (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    valid_from   INTEGER NOT NULL,
    valid_thru   INTEGER NOT NULL,
    extra_fields TEXT    NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    modified_by  INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    CHECK (valid_thru > valid_from)
);
CREATE INDEX customers_name_idx ON customers (name);

CREATE TABLE products (
    id              TEXT    NOT NULL PRIMARY KEY,
    name            TEXT    NOT NULL,
    hierarchy_level TEXT,
    valid_from      INTEGER NOT NULL,
    valid_thru      INTEGER NOT NULL,
    extra_fields    TEXT    NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    modified_by     INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    CHECK (valid_thru > valid_from)
);
CREATE INDEX products_name_idx ON products (name);

CREATE TABLE promotions (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT    NOT NULL,
    description          TEXT,
    valid_from           INTEGER NOT NULL,
    valid_thru           INTEGER NOT NULL,
    active               INTEGER NOT NULL DEFAULT 0,
    customer_id          TEXT    NOT NULL,    -- no foreign key: customers may live in another store
    products             TEXT    NOT NULL DEFAULT '[]',
    approval_status      INTEGER NOT NULL DEFAULT 0,
    prev_approval_status INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    modified_by          INTEGER NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1,
    CHECK (valid_thru > valid_from)
);
CREATE INDEX promotions_customer_idx ON promotions (customer_id, id);

CREATE TABLE audit_records (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      BLOB    NOT NULL,
    action_time   INTEGER NOT NULL,
    recorded_time INTEGER NOT NULL,
    topic         TEXT    NOT NULL,
    service       TEXT    NOT NULL,
    action_func   TEXT    NOT NULL,
    action_type   TEXT    NOT NULL,
    object_name   TEXT    NOT NULL,
    object_id     TEXT    NOT NULL,
    performed_by  INTEGER NOT NULL,
    object_detail TEXT    NOT NULL
);
CREATE UNIQUE INDEX audit_records_event_id_key ON audit_records (event_id);
CREATE INDEX audit_records_object_idx ON audit_records (object_name, object_id, action_time DESC);
CREATE INDEX audit_records_time_idx ON audit_records (action_time DESC, id DESC);

-- Transactional outbox: written in the same transaction as each change, drained by the relay.
CREATE TABLE outbox (
    position   INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   BLOB    NOT NULL UNIQUE,
    topic      TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER
);
CREATE INDEX outbox_unsent_idx ON outbox (position) WHERE sent_at IS NULL;
