-- 0011_api_login: the API logs in as taskfleet_api itself (issue 20, "RLS that binds"). Before,
-- it logged in as the schema owner and lowered itself with SET LOCAL ROLE for each transaction,
-- so a handler bug that ran RESET ROLE was the owner again, past every policy. A login that is
-- not the owner has nothing to return to. `taskfleet migrate` sets its password when given
-- TASKFLEET_API_DB_PASSWORD; where the server trusts local connections none is needed.
-- Roles are cluster-wide: another database of the same cluster may do this at the same moment.
DO $$
BEGIN
  IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'taskfleet_api') THEN
    ALTER ROLE taskfleet_api LOGIN;
  END IF;
EXCEPTION WHEN others THEN
  IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'taskfleet_api') THEN
    RAISE WARNING 'taskfleet_api cannot log in, and this login may not change that (%): '
      'run ALTER ROLE taskfleet_api LOGIN PASSWORD ... as a superuser before starting the API',
      SQLERRM;
  END IF;
END $$;
