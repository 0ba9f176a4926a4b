#!/bin/sh
# Runs once, when the PostgreSQL image initialises an empty data directory (compose mounts this
# file; the k8s ConfigMap "postgres-init" holds the same text, checked by scripts/check-deploy).
# gotemp connects as gotemp_app: it owns its database, so its migrations run, but it is no
# superuser and can reach nothing else. Connections from the network must use TLS.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE gotemp_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_password';
SELECT format('ALTER DATABASE %I OWNER TO gotemp_app', current_database()) \gexec
ALTER SCHEMA public OWNER TO gotemp_app;
-- The roles of the tenants' row-level security (migration 0009), made here because gotemp_app
-- may not make roles: gotemp_data (rights on gotemp's tables, for a login that owns nothing)
-- and gotemp_cross_tenant (every tenant's rows, while a transaction takes it on), which
-- gotemp_app takes on for the work that crosses tenants (relay, audit consumer, login).
CREATE ROLE gotemp_data NOLOGIN;
CREATE ROLE gotemp_cross_tenant NOLOGIN;
GRANT gotemp_cross_tenant TO gotemp_app;
SQL
cat >"$PGDATA/pg_hba.conf" <<'HBA'
local   all all                 trust
hostssl all all 0.0.0.0/0       scram-sha-256
hostssl all all ::/0            scram-sha-256
HBA
