WITH c AS (SELECT id FROM hot WHERE locked_by IS NULL AND run_at <= now() ORDER BY priority DESC, created_at, id LIMIT 500 FOR UPDATE SKIP LOCKED),
u AS (UPDATE hot SET locked_by='w'||:client_id, locked_until=now()+interval '30 s', token=gen_random_uuid() WHERE hot.id = ANY(ARRAY(SELECT id FROM c)) RETURNING hot.id, hot.locked_until, hot.token),
s AS (UPDATE t SET status='in_progress', started_at=now(), locked_by='w'||:client_id, lease_expires_at=u.locked_until, attempt_token=u.token, updated_at=now() FROM u WHERE t.id = ANY(ARRAY(SELECT id FROM u)) AND u.id = t.id RETURNING t.id)
SELECT coalesce(array_agg(id)::text, '{}') AS ids FROM s \gset
WITH x AS (DELETE FROM hot WHERE id = ANY(':ids'::uuid[]) AND locked_by='w'||:client_id RETURNING id),
d AS (UPDATE t SET status='completed', completed_at=now(), output_data='{}', locked_by=NULL, lease_expires_at=NULL, updated_at=now() WHERE t.id = ANY(ARRAY(SELECT id FROM x)) RETURNING t.id, t.workspace_id, t.retry_count)
INSERT INTO audit (workspace_id, action, resource, resource_id, agent, status, details) SELECT workspace_id, 'task.executed', 'autonomous_tasks', id, 'w', 'completed', jsonb_build_object('retry_count', retry_count, 'duration_ms', 1) FROM d;
