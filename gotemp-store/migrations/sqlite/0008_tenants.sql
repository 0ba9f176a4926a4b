-- Tenants: every row belongs to one, named by its key (gotemp_core::values::TenantId). What
-- existed before belongs to the tenant 'default', the only one of a single-tenant deployment.
-- Keys of master data are unique per tenant (two tenants may each have a customer 'ducksrus');
-- user and promotion ids are numbers unique across the deployment, and e-mails stay unique
-- across it, so login needs no tenant. tenant_id leads every key and index that reads serve.
-- (SQLite cannot drop a column's default in place, so the added columns keep 'default'; every
-- statement names the tenant all the same, and PostgreSQL, which has no default, proves it.)

ALTER TABLE users ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
CREATE INDEX users_tenant_idx ON users (tenant_id, id);

-- Master data gets a key per tenant, which SQLite can only give by rebuilding the tables. The
-- links are set apart first, so that dropping an old table deletes no link by cascade.
CREATE TABLE customer_links_before AS SELECT * FROM customer_links;
DROP TABLE customer_links;
CREATE TABLE product_links_before AS SELECT * FROM product_links;
DROP TABLE product_links;

CREATE TABLE customers_tenanted (
    tenant_id    TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    valid_from   INTEGER NOT NULL,
    valid_thru   INTEGER NOT NULL,
    extra_fields TEXT    NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    modified_by  INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT customers_pkey PRIMARY KEY (tenant_id, id),
    CHECK (valid_thru > valid_from)
);
INSERT INTO customers_tenanted (tenant_id, id, name, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version)
    SELECT 'default', id, name, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version FROM customers;
DROP TABLE customers;
ALTER TABLE customers_tenanted RENAME TO customers;
CREATE INDEX customers_name_idx ON customers (tenant_id, name);

CREATE TABLE products_tenanted (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    hierarchy_level TEXT,
    valid_from      INTEGER NOT NULL,
    valid_thru      INTEGER NOT NULL,
    extra_fields    TEXT    NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    modified_by     INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT products_pkey PRIMARY KEY (tenant_id, id),
    CHECK (valid_thru > valid_from)
);
INSERT INTO products_tenanted (tenant_id, id, name, hierarchy_level, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version)
    SELECT 'default', id, name, hierarchy_level, valid_from, valid_thru, extra_fields, created_at, updated_at, modified_by, version FROM products;
DROP TABLE products;
ALTER TABLE products_tenanted RENAME TO products;
CREATE INDEX products_name_idx ON products (tenant_id, name);

CREATE TABLE customer_links (
    tenant_id   TEXT    NOT NULL,
    from_id     TEXT    NOT NULL,
    to_id       TEXT    NOT NULL,
    relation    TEXT    NOT NULL,
    kind        TEXT,
    valid_from  INTEGER NOT NULL,
    valid_thru  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    modified_by INTEGER NOT NULL,
    CONSTRAINT customer_links_pkey PRIMARY KEY (tenant_id, from_id, relation, to_id),
    CONSTRAINT customer_links_from_id_fkey FOREIGN KEY (tenant_id, from_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT customer_links_to_id_fkey FOREIGN KEY (tenant_id, to_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT customer_links_relation_check CHECK (relation IN ('is_parent_of')),
    CONSTRAINT customer_links_self_check CHECK (from_id <> to_id),
    CONSTRAINT customer_links_validity_check CHECK (valid_thru > valid_from)
);
INSERT INTO customer_links (tenant_id, from_id, to_id, relation, kind, valid_from, valid_thru, created_at, modified_by)
    SELECT 'default', from_id, to_id, relation, kind, valid_from, valid_thru, created_at, modified_by FROM customer_links_before;
DROP TABLE customer_links_before;
CREATE INDEX customer_links_to_idx ON customer_links (tenant_id, to_id, relation);

CREATE TABLE product_links (
    tenant_id   TEXT    NOT NULL,
    from_id     TEXT    NOT NULL,
    to_id       TEXT    NOT NULL,
    relation    TEXT    NOT NULL,
    kind        TEXT,
    valid_from  INTEGER NOT NULL,
    valid_thru  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    modified_by INTEGER NOT NULL,
    CONSTRAINT product_links_pkey PRIMARY KEY (tenant_id, from_id, relation, to_id),
    CONSTRAINT product_links_from_id_fkey FOREIGN KEY (tenant_id, from_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT product_links_to_id_fkey FOREIGN KEY (tenant_id, to_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT product_links_relation_check CHECK (relation IN ('is_parent_of', 'is_component_of')),
    CONSTRAINT product_links_self_check CHECK (from_id <> to_id),
    CONSTRAINT product_links_validity_check CHECK (valid_thru > valid_from)
);
INSERT INTO product_links (tenant_id, from_id, to_id, relation, kind, valid_from, valid_thru, created_at, modified_by)
    SELECT 'default', from_id, to_id, relation, kind, valid_from, valid_thru, created_at, modified_by FROM product_links_before;
DROP TABLE product_links_before;
CREATE INDEX product_links_to_idx ON product_links (tenant_id, to_id, relation);

ALTER TABLE promotions ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
CREATE INDEX promotions_tenant_idx ON promotions (tenant_id, id);
DROP INDEX promotions_customer_idx;
CREATE INDEX promotions_customer_idx ON promotions (tenant_id, customer_id, id);

ALTER TABLE audit_records ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
DROP INDEX audit_records_object_idx;
CREATE INDEX audit_records_object_idx ON audit_records (tenant_id, object_name, object_id, action_time DESC);
DROP INDEX audit_records_time_idx;
CREATE INDEX audit_records_time_idx ON audit_records (tenant_id, action_time DESC, id DESC);

-- A dead letter whose tenant could not be trusted (no event id: unreadable, unsigned, forged)
-- is the deployment's home tenant's ('default').
ALTER TABLE audit_dead_letters ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
DROP INDEX audit_dead_letters_time_idx;
CREATE INDEX audit_dead_letters_time_idx ON audit_dead_letters (tenant_id, failed_at DESC);

ALTER TABLE outbox ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';

-- The tenants themselves. 'default' exists from the start (everything above is its); a
-- multi-tenant deployment adds 'platform' and its customers' tenants.
CREATE TABLE tenants (
    key         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    active      INTEGER NOT NULL,
    valid_from  INTEGER NOT NULL,
    valid_thru  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    modified_by INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT tenants_pkey PRIMARY KEY (key),
    CONSTRAINT tenants_validity_check CHECK (valid_thru > valid_from)
);
-- Times in microseconds: 2000-01-01 and 2200-01-01.
INSERT INTO tenants (key, name, active, valid_from, valid_thru, created_at, updated_at, modified_by)
    VALUES ('default', 'Default', 1, 946684800000000, 7258118400000000,
            CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER),
            CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), 0);
