//! ingest: see README.md (Architecture).
