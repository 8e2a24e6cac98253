//! scripts: see README.md (Architecture).
