-- Every state change and progress step of a job, in order, for `GET /api/v1/generate/{id}/events`
-- (Server-Sent Events). Written in the same transaction as the change it describes, so a client
-- resuming with `Last-Event-ID` (the `id` below) sees no gap and no repeat, across restarts too.

CREATE TABLE job_events (
    -- Increasing over all jobs; the SSE event id.
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    -- pending, running, progress, cancel_requested, completed, failed or cancelled.
    event      TEXT NOT NULL,
    status     TEXT NOT NULL,
    progress   INTEGER NOT NULL,
    -- JSON object: the job view at that moment (without the personas, which completed events
    -- read from the run when they are sent).
    data       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX job_events_job ON job_events (job_id, id);
