-- The trace of the request that made each change, for following it in the tracing backend.
ALTER TABLE audit_records ADD COLUMN trace_id TEXT;
