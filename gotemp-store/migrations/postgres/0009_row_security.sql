-- Row-level security: a second line of defence behind the tenant every statement names. Each
-- transaction of gotemp says whose rows it works on, with set_config('gotemp.tenant', key, true)
-- (transaction-scoped, never a session SET: pooled connections are shared), or takes on the role
-- gotemp_cross_tenant for the work that crosses tenants (the relay, the audit consumer, login
-- by e-mail, tenant administration). A statement that said neither sees no row and can write
-- none. FORCE makes the tables' owner (often the role gotemp connects as) subject to the
-- policies too; only superusers and roles with BYPASSRLS are not.
--
-- Not a rolling upgrade: replicas of earlier releases set no tenant, so once this has run they
-- read no row. Stop them before starting this release.

-- gotemp_data: what the application needs (rows of its tenant); gotemp_cross_tenant: every
-- tenant's rows. Both NOLOGIN: a deployment grants them to the role it logs in as
-- (docs/tenancy.md). Made here when the migrating role may make roles, else made beforehand by
-- an administrator; roles are the cluster's, shared by every database in it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gotemp_data') THEN
        BEGIN
            CREATE ROLE gotemp_data NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- made meanwhile
        END;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gotemp_cross_tenant') THEN
        BEGIN
            CREATE ROLE gotemp_cross_tenant NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
    -- The migrating role, when it also serves, takes on the cross-tenant role per transaction.
    IF NOT pg_has_role(current_user, 'gotemp_cross_tenant', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT gotemp_cross_tenant TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'gotemp needs % to be a member of gotemp_cross_tenant, and may not '
                'grant it: as a superuser, run GRANT gotemp_cross_tenant TO %; (docs/tenancy.md)',
                current_user, current_user;
        END;
    END IF;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON users, customers, products, customer_links,
    product_links, promotions, audit_records, audit_dead_letters, outbox, tenants
    TO gotemp_data, gotemp_cross_tenant;
-- So a role that does not own the tables can tell that the migrations have run.
GRANT SELECT ON _sqlx_migrations TO gotemp_data, gotemp_cross_tenant;
DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO gotemp_data, gotemp_cross_tenant', current_schema());
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO gotemp_data, gotemp_cross_tenant',
        current_schema());
    -- Tables and sequences later migrations make (as this role) are granted alike.
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE '
                   'ON TABLES TO gotemp_data, gotemp_cross_tenant', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT '
                   'ON SEQUENCES TO gotemp_data, gotemp_cross_tenant', current_schema());
END $$;

-- Every table with a tenant_id: the rows of the transaction's tenant, or every row while the
-- transaction has taken on the cross-tenant role. The tenants table itself has none (its rows are tenants, administered
-- across them). A test fails when a table with tenant_id has no policy.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'customers', 'products', 'customer_links', 'product_links',
                             'promotions', 'audit_records', 'audit_dead_letters', 'outbox'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_rows ON %I '
                       'USING (tenant_id = current_setting(''gotemp.tenant'', true)) '
                       'WITH CHECK (tenant_id = current_setting(''gotemp.tenant'', true))', t);
        -- current_user, not only TO: a policy applies to every member of its roles, and the
        -- role gotemp logs in as is one; only a transaction that SET the role crosses tenants.
        EXECUTE format('CREATE POLICY cross_tenant ON %I TO gotemp_cross_tenant '
                       'USING (current_user = ''gotemp_cross_tenant'') '
                       'WITH CHECK (current_user = ''gotemp_cross_tenant'')', t);
    END LOOP;
END $$;
