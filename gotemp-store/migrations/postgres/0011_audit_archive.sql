-- Retention that keeps the evidence (docs/audit.md): each archive of a tenant's oldest records
-- — exported, verified, then deleted from audit_records — leaves its anchor here: its range,
-- its last hash, the signed checkpoint of it, and the whole claim signed (note) with the
-- checkpoint key. The chain kept in the database begins after the latest one. Insert-only,
-- like the checkpoints.
CREATE TABLE audit_archives (
    tenant_id       TEXT        NOT NULL,
    from_seq        BIGINT      NOT NULL,
    to_seq          BIGINT      NOT NULL,
    last_hash       TEXT        NOT NULL,
    checkpoint      TEXT        NOT NULL,
    manifest_sha256 TEXT        NOT NULL,
    archived_at     TIMESTAMPTZ NOT NULL,
    note            TEXT        NOT NULL,
    PRIMARY KEY (tenant_id, to_seq)
);

ALTER TABLE audit_archives ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_archives FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON audit_archives
    USING (tenant_id = current_setting('gotemp.tenant', true))
    WITH CHECK (tenant_id = current_setting('gotemp.tenant', true));
CREATE POLICY cross_tenant ON audit_archives TO gotemp_cross_tenant
    USING (current_user = 'gotemp_cross_tenant')
    WITH CHECK (current_user = 'gotemp_cross_tenant');

GRANT SELECT, INSERT ON audit_archives TO gotemp_data, gotemp_cross_tenant;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_archives FROM gotemp_data, gotemp_cross_tenant;

-- Never changed; removed only with its tenant (`gotemp tenant purge`, in the 'archive' path).
CREATE FUNCTION gotemp_audit_archives_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('gotemp.audit_maintenance', true) = 'archive' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit archives are insert-only: % refused (docs/audit.md)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_archives_insert_only BEFORE UPDATE OR DELETE ON audit_archives
    FOR EACH ROW EXECUTE FUNCTION gotemp_audit_archives_insert_only();
