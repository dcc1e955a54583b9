-- Server mode: run once as a superuser (psql -f deploy/postgres/create-database.sql), then set the password.
-- The Hub creates and migrates its tables itself at start (schema_version), under an advisory lock.
CREATE ROLE hub LOGIN PASSWORD 'CHANGE-ME';
CREATE DATABASE hub OWNER hub ENCODING 'UTF8';
-- The Hub's statements are short: JIT compilation only costs CPU. Its write transactions turn it off themselves
-- (SET LOCAL); this covers its reads too.
ALTER ROLE hub SET jit = off;
