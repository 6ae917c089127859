-- What the European profile (ECCP listing, cluster excellence labels) asks of the cluster
-- that its record lacked: the services its management offers the members (in words, in the
-- order the cluster presents them) and the date the cluster was founded.
ALTER TABLE cluster_profile
    ADD COLUMN services text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(services) <= 30 AND array_position(services, NULL) IS NULL),
    ADD COLUMN founded_on date CHECK (founded_on >= DATE '1800-01-01');
