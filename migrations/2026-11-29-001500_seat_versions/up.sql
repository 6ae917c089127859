-- Seats are edited with If-Match (the person representing the organisation, the end of the
-- term): each change bumps their version, the ETag's number.
ALTER TABLE seats ADD COLUMN version bigint NOT NULL DEFAULT 1;
