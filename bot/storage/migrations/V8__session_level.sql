-- Schema 8: a session remembers the level it was started with (NULL: any level), so
-- that its summary's "Start another" asks for the same cards again.
ALTER TABLE quiz_sessions ADD COLUMN level TEXT;
