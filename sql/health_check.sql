-- health_check.sql: /readyz: the database answers.
SELECT 1;
