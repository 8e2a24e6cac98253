//! worker: see README.md (Architecture).

pub mod dispatcher;
pub mod retry;
pub mod signing;
