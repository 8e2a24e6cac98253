//! quality: see README.md (Architecture).
