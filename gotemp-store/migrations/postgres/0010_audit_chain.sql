-- The audit trail as evidence (docs/audit.md): every tenant's records form a hash chain —
-- seq (1, 2, … per tenant), prev_hash and hash, computed by gotemp when it stores a record —
-- and signed checkpoints of each chain's head. Records from before this migration are chained
-- by gotemp at its first start after it (in their order of time), before it stores any new one.
ALTER TABLE audit_records ADD COLUMN seq BIGINT;
ALTER TABLE audit_records ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_records ADD COLUMN hash TEXT;

-- One record per seq of a chain. A TimescaleDB hypertable's unique indexes must hold its time
-- column; there the single writer per chain keeps seqs unique, and verification checks it.
DO $$
DECLARE
    hypertable boolean := false;
BEGIN
    IF to_regclass('_timescaledb_catalog.hypertable') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM _timescaledb_catalog.hypertable '
                'WHERE table_name = ''audit_records'')' INTO hypertable;
    END IF;
    IF hypertable THEN
        CREATE UNIQUE INDEX audit_records_chain_key ON audit_records (tenant_id, seq, action_time);
    ELSE
        CREATE UNIQUE INDEX audit_records_chain_key ON audit_records (tenant_id, seq);
    END IF;
END $$;

-- The records still to chain (stored before this migration, or by a release without the chain):
-- empty once chained, so a start asks cheaply whether there are any.
CREATE INDEX audit_records_unchained ON audit_records (tenant_id, action_time, id) WHERE hash IS NULL;

-- Each chain's head as last extended, and its latest checkpoint. Its row is locked by the
-- transaction that extends the chain: one writer per chain, however many audit consumers run.
CREATE TABLE audit_chains (
    tenant_id       TEXT        PRIMARY KEY,
    size            BIGINT      NOT NULL,
    hash            TEXT        NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    checkpoint_size BIGINT      NOT NULL DEFAULT 0,
    checkpoint_at   TIMESTAMPTZ
);

-- The public keys checkpoints were signed with (<name>+<id>+<key>), each registered by the
-- process that signs with it: checkpoints of every key ever used still verify after a rotation.
CREATE TABLE audit_keys (
    verifier   TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Signed checkpoints (C2SP signed notes), kept as signed.
CREATE TABLE audit_checkpoints (
    tenant_id  TEXT        NOT NULL,
    size       BIGINT      NOT NULL,
    hash       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    note       TEXT        NOT NULL,
    PRIMARY KEY (tenant_id, size)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['audit_chains', 'audit_checkpoints'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_rows ON %I '
                       'USING (tenant_id = current_setting(''gotemp.tenant'', true)) '
                       'WITH CHECK (tenant_id = current_setting(''gotemp.tenant'', true))', t);
        EXECUTE format('CREATE POLICY cross_tenant ON %I TO gotemp_cross_tenant '
                       'USING (current_user = ''gotemp_cross_tenant'') '
                       'WITH CHECK (current_user = ''gotemp_cross_tenant'')', t);
    END LOOP;
END $$;
-- The serving roles append and read; changing or removing what the trail holds is the owner's
-- (migrations, chaining old records, `gotemp tenant purge`), so a serving login that is stolen
-- cannot use the triggers' maintenance path either. (0009's default privileges granted more.)
GRANT SELECT, INSERT, UPDATE ON audit_chains TO gotemp_data, gotemp_cross_tenant;
GRANT SELECT, INSERT ON audit_checkpoints, audit_keys TO gotemp_data, gotemp_cross_tenant;
REVOKE UPDATE, DELETE ON audit_checkpoints, audit_keys FROM gotemp_data, gotemp_cross_tenant;
REVOKE DELETE ON audit_chains FROM gotemp_data, gotemp_cross_tenant;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM gotemp_data, gotemp_cross_tenant;

-- Insert-only: a record once stored is never updated or deleted, except on gotemp's own two
-- paths, each of which says so in its transaction (gotemp.audit_maintenance): chaining the
-- records stored before this migration (once), and the archiver deleting what it archived and
-- verified (and purging a tenant). The database's owner can still switch the trigger off; the
-- chain is what shows that anything changed.
CREATE FUNCTION gotemp_audit_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.hash IS NULL
       AND current_setting('gotemp.audit_maintenance', true) = 'chain' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('gotemp.audit_maintenance', true) = 'archive' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are insert-only: % refused (docs/audit.md)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_records_insert_only BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION gotemp_audit_insert_only();
-- Checkpoints likewise (their hash is never NULL: no update passes).
CREATE TRIGGER audit_checkpoints_insert_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION gotemp_audit_insert_only();

CREATE FUNCTION gotemp_audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('gotemp.audit_maintenance', true) = 'archive' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit records are insert-only: TRUNCATE refused (docs/audit.md)'
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION gotemp_audit_no_truncate();
