DROP TABLE IF EXISTS minutes;
DROP FUNCTION IF EXISTS agrupa_minutes_frozen();
