-- api_role_password.sql: `taskfleet migrate` with TASKFLEET_API_DB_PASSWORD. ALTER ROLE takes no
-- bind parameters, so the server quotes the password into the statement (format %L) and the
-- caller runs what comes back.
-- Params: $1 the password
SELECT format('ALTER ROLE taskfleet_api LOGIN PASSWORD %L', $1::text);
