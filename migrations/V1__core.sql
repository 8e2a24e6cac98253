-- Core tables: experiments, jobs, runs, personas.
-- Conventions (see docs/operations.md): timestamps are TEXT in RFC 3339 UTC with a 'Z' suffix and
-- millisecond precision (so they sort as text), JSON documents are TEXT, IDs are prefixed random
-- hex ('exp-…', 'job-…', 'run-…', 'persona-…').

CREATE TABLE experiments (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT,
    -- JSON array of data sources (paths, URLs or dataset ids) used by this experiment.
    data_sources TEXT NOT NULL DEFAULT '[]',
    -- JSON object: default generation configuration (provider, model, persona_count, options).
    config       TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    experiment_id    TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    progress         INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    -- JSON object: the request as accepted (data, count, provider, model, config, webhook_url, seed).
    request          TEXT NOT NULL,
    -- The resolved data source: an absolute path under the data directory, or an http(s) URL.
    data_source      TEXT NOT NULL,
    -- Who submitted the job, for the concurrent-jobs limit: 'token:<sha256 of the token>' or 'ip:<address>'.
    client_key       TEXT NOT NULL,
    -- Times the job was claimed by a worker.
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- The worker holding the job while it runs, and until when (renewed while it runs).
    lease_owner      TEXT,
    lease_expires_at TEXT,
    -- Incremented on every claim; a worker may only finish the job while the epoch is the one it claimed.
    lease_epoch      INTEGER NOT NULL DEFAULT 0,
    -- 1 when a client asked to cancel a running job; the worker stops at its next step.
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    error            TEXT,
    -- The run this job produced (set when the job ends; runs.job_id is the declared foreign key).
    run_id           TEXT,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    completed_at     TEXT,
    updated_at       TEXT NOT NULL
);

-- Claiming (oldest pending first) and lease recovery (running jobs by lease expiry).
CREATE INDEX jobs_status_created ON jobs (status, created_at);
CREATE INDEX jobs_status_lease ON jobs (status, lease_expires_at);
-- Listing newest first.
CREATE INDEX jobs_created ON jobs (created_at);
-- The concurrent-jobs limit counts a client's unfinished jobs.
CREATE INDEX jobs_client_status ON jobs (client_key, status);
CREATE INDEX jobs_experiment ON jobs (experiment_id);

CREATE TABLE runs (
    id             TEXT PRIMARY KEY,
    experiment_id  TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    job_id         TEXT REFERENCES jobs (id) ON DELETE SET NULL,
    status         TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
    provider       TEXT NOT NULL,
    model          TEXT,
    -- JSON object: the generation settings used (count, seed, provider, model, options).
    config         TEXT NOT NULL DEFAULT '{}',
    -- JSON arrays: the input files read and those skipped (with reasons).
    source_files   TEXT NOT NULL DEFAULT '[]',
    skipped_files  TEXT NOT NULL DEFAULT '[]',
    -- JSON array of warning strings.
    warnings       TEXT NOT NULL DEFAULT '[]',
    personas_count INTEGER NOT NULL DEFAULT 0,
    input_tokens   INTEGER NOT NULL DEFAULT 0,
    output_tokens  INTEGER NOT NULL DEFAULT 0,
    -- The run's output folder (written before the run row is recorded).
    output_path    TEXT,
    duration_ms    INTEGER,
    -- JSON object: the run's metadata as written to its output folder.
    metadata       TEXT NOT NULL DEFAULT '{}',
    error          TEXT,
    started_at     TEXT,
    completed_at   TEXT
);

-- A job produces at most one run (several runs may have no job: CLI runs).
CREATE UNIQUE INDEX runs_job ON runs (job_id);
CREATE INDEX runs_experiment ON runs (experiment_id, started_at);

CREATE TABLE personas (
    id            TEXT PRIMARY KEY,
    run_id        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    -- 0-based order of the persona within its run.
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    title         TEXT NOT NULL,
    -- JSON object: the full canonical persona.
    data          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (run_id, position)
);

CREATE INDEX personas_experiment ON personas (experiment_id);
