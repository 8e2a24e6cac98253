-- Webhooks: registrations, the delivery outbox and one row per HTTP attempt.
-- Timestamps are RFC 3339 UTC with milliseconds and `Z` (they sort as text).

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,                  -- webhook-<hex>
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,                     -- JSON array of event names
    secret          TEXT,                              -- HMAC key; never returned by the API
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    disabled_reason TEXT,                              -- why active became 0 (410 Gone)
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- The outbox. A job's state change inserts its rows in the same transaction; the dispatcher
-- claims due rows with a lease, sends outside any transaction and records the result.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,                 -- delivery-<hex>; the X-Persona-Delivery header
    webhook_id       TEXT REFERENCES webhooks(id) ON DELETE CASCADE,  -- NULL: a job's own webhook_url
    job_id           TEXT,                             -- not a foreign key: history outlives the job
    url              TEXT NOT NULL,
    event            TEXT NOT NULL,
    payload          TEXT NOT NULL,                    -- the exact body, identical on every attempt
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_trigger     TEXT NOT NULL DEFAULT 'scheduled' CHECK (next_trigger IN ('scheduled', 'manual')),
    next_attempt_at  TEXT,                             -- when a pending row is due; NULL once final
    lease_expires_at TEXT,                             -- while delivering: when a crashed send is retried
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT,
    updated_at       TEXT NOT NULL
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
CREATE INDEX webhook_deliveries_by_job ON webhook_deliveries (job_id);

CREATE TABLE webhook_delivery_attempts (
    id             INTEGER PRIMARY KEY,
    delivery_id    TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt_number INTEGER NOT NULL,                   -- 1-based, across scheduled and manual attempts
    trigger        TEXT NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
    started_at     TEXT NOT NULL,
    duration_ms    INTEGER NOT NULL,
    status_code    INTEGER,                            -- NULL when no response arrived
    error          TEXT,                               -- NULL on success
    response_body  TEXT                                -- first 1 KB of the response
);

CREATE INDEX webhook_delivery_attempts_by_delivery ON webhook_delivery_attempts (delivery_id, attempt_number);
