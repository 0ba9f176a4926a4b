-- Hierarchies of master data: links between two customers or two products, each with its own
-- validity. A link goes when either end is deleted.

CREATE TABLE customer_links (
    from_id     TEXT    NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    to_id       TEXT    NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    relation    TEXT    NOT NULL,
    kind        TEXT,
    valid_from  INTEGER NOT NULL,
    valid_thru  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    modified_by INTEGER NOT NULL,
    CONSTRAINT customer_links_pkey PRIMARY KEY (from_id, relation, to_id),
    CONSTRAINT customer_links_relation_check CHECK (relation IN ('is_parent_of')),
    CONSTRAINT customer_links_self_check CHECK (from_id <> to_id),
    CONSTRAINT customer_links_validity_check CHECK (valid_thru > valid_from)
);
-- Following links backwards (parents, components) and deleting the child end.
CREATE INDEX customer_links_to_idx ON customer_links (to_id, relation);

CREATE TABLE product_links (
    from_id     TEXT    NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    to_id       TEXT    NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    relation    TEXT    NOT NULL,
    kind        TEXT,
    valid_from  INTEGER NOT NULL,
    valid_thru  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    modified_by INTEGER NOT NULL,
    CONSTRAINT product_links_pkey PRIMARY KEY (from_id, relation, to_id),
    CONSTRAINT product_links_relation_check CHECK (relation IN ('is_parent_of', 'is_component_of')),
    CONSTRAINT product_links_self_check CHECK (from_id <> to_id),
    CONSTRAINT product_links_validity_check CHECK (valid_thru > valid_from)
);
-- Following links backwards (parents, components) and deleting the child end.
CREATE INDEX product_links_to_idx ON product_links (to_id, relation);
