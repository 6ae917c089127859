-- The municipality filter compares unaccented lowercase text: index that, not the raw column.
DROP INDEX members_municipality_idx;
CREATE INDEX members_municipality_norm_idx ON members (agrupa_unaccent(lower(municipality)));
