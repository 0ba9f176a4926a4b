-- Leases for outbox relays, and the dead-letter table of the audit service.
ALTER TABLE outbox ADD COLUMN claimed_until TIMESTAMPTZ;

CREATE TABLE audit_dead_letters (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id  UUID,
    subject   TEXT        NOT NULL,
    payload   TEXT        NOT NULL,
    reason    TEXT        NOT NULL,
    attempts  BIGINT      NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_dead_letters_time_idx ON audit_dead_letters (failed_at DESC);
