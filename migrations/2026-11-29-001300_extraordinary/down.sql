DROP TABLE meeting_requests;
ALTER TABLE agenda_items DROP COLUMN matter;
ALTER TABLE bodies DROP COLUMN extraordinary_matters, DROP COLUMN request_share_den,
    DROP COLUMN request_share_num;
