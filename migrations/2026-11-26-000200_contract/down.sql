DROP TABLE idempotency_keys;
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP TRIGGER audit_events_append_only ON audit_events;
DROP TABLE audit_events;
DROP FUNCTION agrupa_audit_append_only();
