-- bench_database.sql: not run as one statement; the benchmark's CREATE/DROP DATABASE lines, which
-- cannot take parameters, are built from these templates with a generated name (letters, digits
-- and underscores only).
-- create: CREATE DATABASE {name}
-- drop:   DROP DATABASE IF EXISTS {name} WITH (FORCE)
SELECT 1;
