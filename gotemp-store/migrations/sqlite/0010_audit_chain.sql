-- The audit trail as evidence (docs/audit.md): every tenant's records form a hash chain —
-- seq (1, 2, … per tenant), prev_hash and hash, computed by gotemp when it stores a record —
-- and signed checkpoints of each chain's head. Records from before this migration are chained
-- by gotemp at its first start after it (in their order of time), before it stores any new one.
ALTER TABLE audit_records ADD COLUMN seq INTEGER;
ALTER TABLE audit_records ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_records ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_records_chain_key ON audit_records (tenant_id, seq);

-- The records still to chain (stored before this migration, or by a release without the chain):
-- empty once chained, so a start asks cheaply whether there are any.
CREATE INDEX audit_records_unchained ON audit_records (tenant_id, action_time, id) WHERE hash IS NULL;

-- Each chain's head as last extended, and its latest checkpoint.
CREATE TABLE audit_chains (
    tenant_id       TEXT    PRIMARY KEY,
    size            INTEGER NOT NULL,
    hash            TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL,
    checkpoint_size INTEGER NOT NULL DEFAULT 0,
    checkpoint_at   INTEGER
);

-- The public keys checkpoints were signed with (<name>+<id>+<key>), each registered by the
-- process that signs with it: checkpoints of every key ever used still verify after a rotation.
CREATE TABLE audit_keys (
    verifier   TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Signed checkpoints (C2SP signed notes), kept as signed.
CREATE TABLE audit_checkpoints (
    tenant_id  TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    hash       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    note       TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, size)
);

-- Insert-only: a record once stored is never updated or deleted, except on gotemp's own two
-- paths, each of which names itself in this table for the length of its transaction: chaining
-- the records stored before this migration (once), and the archiver deleting what it archived
-- and verified (and purging a tenant). Whoever can write the file can drop the triggers; the
-- chain is what shows that anything changed.
CREATE TABLE audit_maintenance (mode TEXT NOT NULL);
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
WHEN NOT (OLD.hash IS NULL AND EXISTS (SELECT 1 FROM audit_maintenance WHERE mode = 'chain'))
BEGIN
    SELECT RAISE(ABORT, 'audit records are insert-only: UPDATE refused (docs/audit.md)');
END;
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance WHERE mode = 'archive')
BEGIN
    SELECT RAISE(ABORT, 'audit records are insert-only: DELETE refused (docs/audit.md)');
END;
-- Checkpoints likewise.
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints are insert-only: UPDATE refused (docs/audit.md)');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance WHERE mode = 'archive')
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints are insert-only: DELETE refused (docs/audit.md)');
END;
