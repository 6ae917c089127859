ALTER TABLE cluster_profile DROP COLUMN founded_on, DROP COLUMN services;
