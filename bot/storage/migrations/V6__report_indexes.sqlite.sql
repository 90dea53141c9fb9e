-- Schema 6 on SQLite: nothing changes (PostgreSQL's accuracy index moves to double
-- precision, which SQLite's REAL already is). Every version exists for both dialects.
SELECT 1;
