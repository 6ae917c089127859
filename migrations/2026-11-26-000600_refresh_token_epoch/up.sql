-- A refresh token is valid only in the session epoch it was issued in: a password or role
-- change (which moves the epoch) also ends tokens issued concurrently with it.
ALTER TABLE refresh_tokens ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;
