-- Tenants: every row belongs to one, named by its key (gotemp_core::values::TenantId). What
-- existed before belongs to the tenant 'default', the only one of a single-tenant deployment.
-- The column keeps 'default' as its default while replicas of the release before (which write
-- no tenant_id) may still run beside this one in a rolling upgrade: what they write is the
-- tenant default's, as it was theirs. gotemp itself names the tenant in every statement.
-- Keys of master data are unique per tenant (two tenants may each have a customer 'ducksrus');
-- user and promotion ids are numbers unique across the deployment, and e-mails stay unique
-- across it, so login needs no tenant. tenant_id leads every key and index that reads serve.

ALTER TABLE users ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
CREATE INDEX users_tenant_idx ON users (tenant_id, id);

ALTER TABLE customer_links DROP CONSTRAINT customer_links_from_id_fkey;
ALTER TABLE customer_links DROP CONSTRAINT customer_links_to_id_fkey;
ALTER TABLE product_links DROP CONSTRAINT product_links_from_id_fkey;
ALTER TABLE product_links DROP CONSTRAINT product_links_to_id_fkey;

ALTER TABLE customers ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE customers DROP CONSTRAINT customers_pkey;
ALTER TABLE customers ADD CONSTRAINT customers_pkey PRIMARY KEY (tenant_id, id);
DROP INDEX customers_name_idx;
CREATE INDEX customers_name_idx ON customers (tenant_id, name);

ALTER TABLE products ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE products DROP CONSTRAINT products_pkey;
ALTER TABLE products ADD CONSTRAINT products_pkey PRIMARY KEY (tenant_id, id);
DROP INDEX products_name_idx;
CREATE INDEX products_name_idx ON products (tenant_id, name);

ALTER TABLE customer_links ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE customer_links DROP CONSTRAINT customer_links_pkey;
ALTER TABLE customer_links ADD CONSTRAINT customer_links_pkey PRIMARY KEY (tenant_id, from_id, relation, to_id);
ALTER TABLE customer_links ADD CONSTRAINT customer_links_from_id_fkey
    FOREIGN KEY (tenant_id, from_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE customer_links ADD CONSTRAINT customer_links_to_id_fkey
    FOREIGN KEY (tenant_id, to_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE;
DROP INDEX customer_links_to_idx;
CREATE INDEX customer_links_to_idx ON customer_links (tenant_id, to_id, relation);

ALTER TABLE product_links ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE product_links DROP CONSTRAINT product_links_pkey;
ALTER TABLE product_links ADD CONSTRAINT product_links_pkey PRIMARY KEY (tenant_id, from_id, relation, to_id);
ALTER TABLE product_links ADD CONSTRAINT product_links_from_id_fkey
    FOREIGN KEY (tenant_id, from_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE product_links ADD CONSTRAINT product_links_to_id_fkey
    FOREIGN KEY (tenant_id, to_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE;
DROP INDEX product_links_to_idx;
CREATE INDEX product_links_to_idx ON product_links (tenant_id, to_id, relation);

ALTER TABLE promotions ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
CREATE INDEX promotions_tenant_idx ON promotions (tenant_id, id);
DROP INDEX promotions_customer_idx;
CREATE INDEX promotions_customer_idx ON promotions (tenant_id, customer_id, id);

-- The audit trail may be a TimescaleDB hypertable already: adding a column and replacing
-- indexes work on one as on a table.
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

-- The relay drains every tenant's events in one order; an administrator lists its own tenant's
-- set-aside events.
ALTER TABLE outbox ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';

-- The tenants themselves. 'default' exists from the start (everything above is its); a
-- multi-tenant deployment adds 'platform' and its customers' tenants.
CREATE TABLE tenants (
    key         TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    active      BOOLEAN     NOT NULL,
    valid_from  TIMESTAMPTZ NOT NULL,
    valid_thru  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    modified_by BIGINT      NOT NULL,
    version     BIGINT      NOT NULL DEFAULT 1,
    CONSTRAINT tenants_pkey PRIMARY KEY (key),
    CONSTRAINT tenants_key_check CHECK (key ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    CONSTRAINT tenants_validity_check CHECK (valid_thru > valid_from)
);
INSERT INTO tenants (key, name, active, valid_from, valid_thru, created_at, updated_at, modified_by)
    VALUES ('default', 'Default', TRUE, TIMESTAMPTZ '2000-01-01 00:00:00+00',
            TIMESTAMPTZ '2200-01-01 00:00:00+00', now(), now(), 0);
