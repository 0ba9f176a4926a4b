-- Events the relay could not publish (the broker refuses them), set aside with the reason so
-- every other event flows on. They keep sent_at set, so the relay's queries never see them, and
-- failed_reason keeps them out of pruning until an administrator requeues them.
ALTER TABLE outbox ADD COLUMN failed_reason TEXT, ADD COLUMN failed_at TIMESTAMPTZ;
CREATE INDEX outbox_set_aside_idx ON outbox (position) WHERE failed_reason IS NOT NULL;
