-- bench_vacuum.sql: after enqueueing and before processing, as the peer harnesses do, so every
-- queue starts from fresh statistics and a visibility map.
VACUUM ANALYZE autonomous_tasks, task_queue;
