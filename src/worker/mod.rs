//! worker: see README.md (Architecture).
