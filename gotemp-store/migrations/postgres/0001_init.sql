-- gotemp schema for PostgreSQL.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    first_name    TEXT        NOT NULL,
    last_name     TEXT        NOT NULL,
    email         TEXT        NOT NULL,
    email_key     TEXT        NOT NULL,       -- lower-case e-mail: uniqueness ignores case
    company       TEXT,
    valid_from    TIMESTAMPTZ NOT NULL,
    valid_thru    TIMESTAMPTZ NOT NULL,
    active        BOOLEAN     NOT NULL DEFAULT FALSE,
    password_hash TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    modified_by   BIGINT      NOT NULL,
    version       BIGINT      NOT NULL DEFAULT 1,
    CONSTRAINT users_validity_check CHECK (valid_thru > valid_from)
);
CREATE UNIQUE INDEX users_email_key ON users (email_key);

CREATE TABLE customers (
    id           TEXT        NOT NULL,
    name         TEXT        NOT NULL,
    valid_from   TIMESTAMPTZ NOT NULL,
    valid_thru   TIMESTAMPTZ NOT NULL,
    extra_fields JSONB       NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    modified_by  BIGINT      NOT NULL,
    version      BIGINT      NOT NULL DEFAULT 1,
    CONSTRAINT customers_pkey PRIMARY KEY (id),
    CONSTRAINT customers_validity_check CHECK (valid_thru > valid_from)
);
CREATE INDEX customers_name_idx ON customers (name);

CREATE TABLE products (
    id              TEXT        NOT NULL,
    name            TEXT        NOT NULL,
    hierarchy_level TEXT,
    valid_from      TIMESTAMPTZ NOT NULL,
    valid_thru      TIMESTAMPTZ NOT NULL,
    extra_fields    JSONB       NOT NULL DEFAULT '{}',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    modified_by     BIGINT      NOT NULL,
    version         BIGINT      NOT NULL DEFAULT 1,
    CONSTRAINT products_pkey PRIMARY KEY (id),
    CONSTRAINT products_validity_check CHECK (valid_thru > valid_from)
);
CREATE INDEX products_name_idx ON products (name);

CREATE TABLE promotions (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 TEXT        NOT NULL,
    description          TEXT,
    valid_from           TIMESTAMPTZ NOT NULL,
    valid_thru           TIMESTAMPTZ NOT NULL,
    active               BOOLEAN     NOT NULL DEFAULT FALSE,
    customer_id          TEXT        NOT NULL, -- no foreign key: customers may live in another store
    products             JSONB       NOT NULL DEFAULT '[]',
    approval_status      INTEGER     NOT NULL DEFAULT 0,
    prev_approval_status INTEGER     NOT NULL DEFAULT 0,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    modified_by          BIGINT      NOT NULL,
    version              BIGINT      NOT NULL DEFAULT 1,
    CONSTRAINT promotions_validity_check CHECK (valid_thru > valid_from)
);
CREATE INDEX promotions_customer_idx ON promotions (customer_id, id);
CREATE INDEX promotions_products_idx ON promotions USING GIN (products jsonb_path_ops);

CREATE TABLE audit_records (
    id            BIGINT GENERATED ALWAYS AS IDENTITY,
    event_id      UUID        NOT NULL,
    action_time   TIMESTAMPTZ NOT NULL,
    recorded_time TIMESTAMPTZ NOT NULL,
    topic         TEXT        NOT NULL,
    service       TEXT        NOT NULL,
    action_func   TEXT        NOT NULL,
    action_type   TEXT        NOT NULL,
    object_name   TEXT        NOT NULL,
    object_id     TEXT        NOT NULL,
    performed_by  BIGINT      NOT NULL,
    object_detail JSONB       NOT NULL,
    CONSTRAINT audit_records_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX audit_records_event_id_key ON audit_records (event_id);
CREATE INDEX audit_records_object_idx ON audit_records (object_name, object_id, action_time DESC);
CREATE INDEX audit_records_time_idx ON audit_records (action_time DESC, id DESC);

-- Transactional outbox: written in the same transaction as each change, drained by the relay.
CREATE TABLE outbox (
    position   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   UUID        NOT NULL UNIQUE,
    topic      TEXT        NOT NULL,
    payload    JSONB       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at    TIMESTAMPTZ
);
CREATE INDEX outbox_unsent_idx ON outbox (position) WHERE sent_at IS NULL;
