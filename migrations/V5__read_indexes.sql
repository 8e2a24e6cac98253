-- Indexes for the list reads (issue 18); docs/operations.md shows the query plans.
-- The experiments page is ordered by creation time: without an index it sorted the whole table.
CREATE INDEX experiments_created ON experiments (created_at);
-- Each experiment's run count, last run time and latest status come from this index alone.
CREATE INDEX runs_experiment_ended ON runs (experiment_id, COALESCE(completed_at, started_at));
-- Each experiment's unfinished jobs are counted from this index alone; it also serves the
-- foreign key's lookups, as jobs_experiment did.
CREATE INDEX jobs_experiment_status ON jobs (experiment_id, status);
DROP INDEX jobs_experiment;
