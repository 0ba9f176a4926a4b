-- Retention that keeps the evidence (docs/audit.md): each archive of a tenant's oldest records
-- — exported, verified, then deleted from audit_records — leaves its anchor here: its range,
-- its last hash, the signed checkpoint of it, and the whole claim signed (note) with the
-- checkpoint key. The chain kept in the database begins after the latest one. Insert-only,
-- like the checkpoints.
CREATE TABLE audit_archives (
    tenant_id       TEXT    NOT NULL,
    from_seq        INTEGER NOT NULL,
    to_seq          INTEGER NOT NULL,
    last_hash       TEXT    NOT NULL,
    checkpoint      TEXT    NOT NULL,
    manifest_sha256 TEXT    NOT NULL,
    archived_at     INTEGER NOT NULL,
    note            TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, to_seq)
);
CREATE TRIGGER audit_archives_no_update BEFORE UPDATE ON audit_archives
BEGIN
    SELECT RAISE(ABORT, 'audit archives are insert-only: UPDATE refused (docs/audit.md)');
END;
CREATE TRIGGER audit_archives_no_delete BEFORE DELETE ON audit_archives
WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance WHERE mode = 'archive')
BEGIN
    SELECT RAISE(ABORT, 'audit archives are insert-only: DELETE refused (docs/audit.md)');
END;
