//! The use cases: what the API handlers, the CLI and the UI call. Each function checks its
//! input, does its work through `store` (in one transaction where it writes) and returns domain
//! values or rows; none knows about HTTP. Blocking unless marked `async`: call them off the async
//! executor (`util::blocking`).

pub mod data_dir;
pub mod datasets;
pub mod experiments;
pub mod health;
pub mod jobs;
pub mod personas;
pub mod quality;
pub mod scripts;
pub mod webhooks;

pub use data_dir::DataDir;
