-- Leases for outbox relays, and the dead-letter table of the audit service.
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;

CREATE TABLE audit_dead_letters (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id  BLOB,
    subject   TEXT    NOT NULL,
    payload   TEXT    NOT NULL,
    reason    TEXT    NOT NULL,
    attempts  INTEGER NOT NULL,
    failed_at INTEGER NOT NULL
);
CREATE INDEX audit_dead_letters_time_idx ON audit_dead_letters (failed_at DESC);
