//! api: see README.md (Architecture).
