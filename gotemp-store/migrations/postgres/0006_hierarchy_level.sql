-- A product's hierarchy level is required, as in the original. Products stored without one get
-- 'unset' (gotemp_core::entities::LEVEL_UNSET), so `GET /v1/products?hierarchy_level=unset`
-- lists exactly the ones to give a real level; their version is not changed.
UPDATE products SET hierarchy_level = 'unset' WHERE hierarchy_level IS NULL OR btrim(hierarchy_level) = '';
ALTER TABLE products ALTER COLUMN hierarchy_level SET NOT NULL;
