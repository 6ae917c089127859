DROP INDEX members_municipality_norm_idx;
CREATE INDEX members_municipality_idx ON members (municipality);
