-- Server mode: run once as a superuser (psql -f deploy/postgres/create-database.sql), then set the password.
-- The Hub creates and migrates its tables itself at start (schema_version), under an advisory lock.
CREATE ROLE hub LOGIN PASSWORD 'CHANGE-ME';
CREATE DATABASE hub OWNER hub ENCODING 'UTF8';
-- The Hub's statements are short: JIT compilation only costs CPU. Its write transactions turn it off themselves
-- (SET LOCAL); this covers its reads too.
ALTER ROLE hub SET jit = off;
-- The server's own cache should hold the index's hot pages (identifiers, subjects, relations, listings and their
-- indexes): checks and lookups are random probes, and a probe that misses memory waits on the disk. PostgreSQL's
-- advice for a dedicated server is a quarter of its memory; size it to the index (about 1 GB per million subjects
-- with their identifiers and indexes, docs/BENCHMARKS.md). Takes effect at the server's next restart.
-- ALTER SYSTEM SET shared_buffers = '8GB';
