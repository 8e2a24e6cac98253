-- Uploaded research data (`POST /api/v1/datasets`). The file itself lives at `path`, under the
-- data directory (`<data_dir>/datasets/<id>/<filename>`); a generate request names it with
-- `data: "dataset-…"`.

CREATE TABLE datasets (
    id           TEXT PRIMARY KEY,
    -- The uploaded file's name, reduced to a safe file name (its extension gives the format).
    filename     TEXT NOT NULL,
    -- Where the file is stored (absolute).
    path         TEXT NOT NULL UNIQUE,
    -- csv, tsv, json, jsonl, yaml or markdown (plain text counts as markdown).
    format       TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    -- Lowercase hex SHA-256 of the file's bytes.
    sha256       TEXT NOT NULL,
    -- What ingestion found when the upload was checked.
    participants INTEGER NOT NULL,
    utterances   INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE INDEX datasets_created ON datasets (created_at);
