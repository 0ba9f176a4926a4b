-- Authorization: each user's roles, and the version of its tokens. A token carries the version
-- it was issued under; deactivating a user, a new password or fewer rights increment it, and
-- every older token is refused from then on. Users that existed before get the least role,
-- `viewer`: nobody gains rights by upgrading (seeding grants the configured administrator
-- `admin`).
ALTER TABLE users ADD COLUMN roles JSONB NOT NULL DEFAULT '["viewer"]';
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 1;
