-- PostgreSQL support starts at schema 5: V5__platforms.postgres.sql creates every
-- table that V1 to V5 leave on SQLite. This version has nothing to do here.
SELECT 1;
