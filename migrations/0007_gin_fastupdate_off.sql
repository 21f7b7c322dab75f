-- 0007_gin_fastupdate_off: the dependents index is read after every completion batch. With GIN's
-- default fastupdate, new entries (every non-HOT update of a task with dependencies adds some) pile
-- up in a pending list that each of those reads scans in full: 0.6 s per batch in the layered
-- benchmark. Writing entries straight into the tree keeps the reads at index speed.
ALTER INDEX autonomous_tasks_depends_on_idx SET (fastupdate = off);
