-- citus_version.sql: the version of the citus extension in this database, or no row when it is a
-- plain PostgreSQL database. `taskfleet migrate` distributes the schema when there is one.
SELECT extversion FROM pg_extension WHERE extname = 'citus';
