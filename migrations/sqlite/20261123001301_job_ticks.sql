-- A scheduled run belongs to one tick of its cron schedule; replicas firing the same
-- tick run the job once (the lease remembers the last tick that ran).
ALTER TABLE job_leases ADD COLUMN last_tick INTEGER;
ALTER TABLE job_runs ADD COLUMN tick INTEGER;
CREATE UNIQUE INDEX job_runs_name_tick ON job_runs (job_name, tick);
