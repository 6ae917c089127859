ALTER TABLE meetings DROP COLUMN rules_version_id;
DROP TABLE body_rule_versions;
DROP FUNCTION agrupa_body_rule_versions_immutable();
ALTER TABLE bodies DROP COLUMN qualified_matters;
