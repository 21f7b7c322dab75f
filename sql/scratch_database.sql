-- scratch_database.sql: not run as one statement; the CREATE / DROP DATABASE lines of a throwaway
-- database (`taskfleet bench`, one per run; `taskfleet demo` on a DATABASE_URL's server), which
-- cannot take parameters, are built from these templates by `db::scratch` with a generated name
-- (lowercase letters, digits and underscores only).
-- create: CREATE DATABASE {name}
-- drop:   DROP DATABASE IF EXISTS {name} WITH (FORCE)
SELECT 1;
