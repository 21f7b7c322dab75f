-- 0016_reference_checks_per_statement: the references of autonomous_tasks (workspace, contact,
-- strategy) are checked once per statement instead of once per row (issue 21, "foreign-key
-- checks that cost once per batch, not once per row").
--
-- A foreign key checks each inserted row with its own lookup and row lock of the parent: for a
-- 200,000-task insert that was 1.0 s of its 3.0 s here. The statement trigger below reads the
-- statement's new rows once, locks each distinct parent FOR KEY SHARE (as the foreign key does,
-- so a concurrent delete of the parent waits for this transaction, then sees its rows) and
-- refuses the statement with SQLSTATE 23503, the foreign key's, when one is missing: 0.25 s for
-- the same insert. It covers every writer (task_insert.sql, the SQL enqueue functions, template
-- ticks, a DBA's INSERT), as the constraint did.
--
-- The foreign keys' ON DELETE rules become triggers on the parents: deleting a workspace deletes
-- its tasks (and their task_queue rows, which the foreign key never did); deleting a contact or a
-- strategy sets the tasks' reference to NULL. An UPDATE that sets one of the three columns is
-- checked row by row (no product statement does; the claim and the completion never name them,
-- so the trigger never fires on the hot path). TRUNCATE of a parent does not reach the tasks.
ALTER TABLE autonomous_tasks
  DROP CONSTRAINT autonomous_tasks_workspace_id_fkey,
  DROP CONSTRAINT autonomous_tasks_contact_id_fkey,
  DROP CONSTRAINT autonomous_tasks_strategy_id_fkey;

-- Raises 23503 naming the first reference of `ids` (of kind `what`, in `parent`) that does not
-- exist; locks the ones that do FOR KEY SHARE. SECURITY DEFINER: like a foreign key's own check,
-- it sees every parent row whatever the caller's row-level security, and the lock needs no UPDATE
-- grant on the parent.
CREATE FUNCTION taskfleet_check_refs(parent regclass, what text, ids uuid[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  missing uuid;
BEGIN
  EXECUTE format('SELECT d.id FROM unnest($1) AS d(id)
                  WHERE d.id IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.id = d.id FOR KEY SHARE)
                  LIMIT 1', parent)
    INTO missing USING ids;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert or update on table "autonomous_tasks" violates its reference to %: % % does not exist',
      parent, what, missing
      USING ERRCODE = 'foreign_key_violation';
  END IF;
END
$$;

CREATE FUNCTION taskfleet_tasks_check_new_refs() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM taskfleet_check_refs('workspaces', 'workspace_id',
                               ARRAY(SELECT DISTINCT workspace_id FROM new_tasks));
  PERFORM taskfleet_check_refs('contacts', 'contact_id',
                               ARRAY(SELECT DISTINCT contact_id FROM new_tasks WHERE contact_id IS NOT NULL));
  PERFORM taskfleet_check_refs('marketing_strategies', 'strategy_id',
                               ARRAY(SELECT DISTINCT strategy_id FROM new_tasks WHERE strategy_id IS NOT NULL));
  RETURN NULL;
END
$$;

CREATE TRIGGER check_refs_on_insert AFTER INSERT ON autonomous_tasks
  REFERENCING NEW TABLE AS new_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION taskfleet_tasks_check_new_refs();

-- Row by row, and only when a statement sets one of the three columns (a transition table is
-- not allowed on a column-specific UPDATE trigger, and one on every UPDATE would copy the claim's
-- and the completion's rows).
CREATE FUNCTION taskfleet_tasks_check_changed_refs() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
    PERFORM taskfleet_check_refs('workspaces', 'workspace_id', ARRAY[NEW.workspace_id]);
  END IF;
  IF NEW.contact_id IS DISTINCT FROM OLD.contact_id THEN
    PERFORM taskfleet_check_refs('contacts', 'contact_id', ARRAY[NEW.contact_id]);
  END IF;
  IF NEW.strategy_id IS DISTINCT FROM OLD.strategy_id THEN
    PERFORM taskfleet_check_refs('marketing_strategies', 'strategy_id', ARRAY[NEW.strategy_id]);
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER check_refs_on_update BEFORE UPDATE OF workspace_id, contact_id, strategy_id
  ON autonomous_tasks
  FOR EACH ROW EXECUTE FUNCTION taskfleet_tasks_check_changed_refs();

-- The ON DELETE rules the foreign keys had. SECURITY DEFINER, as a foreign key's cascade runs
-- with the table owner's rights: whoever may delete the parent removes or detaches its tasks.
CREATE FUNCTION taskfleet_parent_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  CASE TG_TABLE_NAME
    WHEN 'workspaces' THEN
      DELETE FROM task_queue WHERE workspace_id = OLD.id;
      DELETE FROM autonomous_tasks WHERE workspace_id = OLD.id;
    WHEN 'contacts' THEN
      UPDATE autonomous_tasks SET contact_id = NULL WHERE contact_id = OLD.id;
    WHEN 'marketing_strategies' THEN
      UPDATE autonomous_tasks SET strategy_id = NULL WHERE strategy_id = OLD.id;
  END CASE;
  RETURN OLD;
END
$$;

CREATE TRIGGER tasks_on_delete AFTER DELETE ON workspaces
  FOR EACH ROW EXECUTE FUNCTION taskfleet_parent_deleted();
CREATE TRIGGER tasks_on_delete AFTER DELETE ON contacts
  FOR EACH ROW EXECUTE FUNCTION taskfleet_parent_deleted();
CREATE TRIGGER tasks_on_delete AFTER DELETE ON marketing_strategies
  FOR EACH ROW EXECUTE FUNCTION taskfleet_parent_deleted();

-- Only the owner and the API's role run them (through the triggers); nobody calls them directly.
REVOKE EXECUTE ON FUNCTION taskfleet_check_refs(regclass, text, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION taskfleet_check_refs(regclass, text, uuid[]) TO taskfleet_api;
