//! store: see README.md (Architecture).

pub mod webhooks;
