//! store: see README.md (Architecture).
