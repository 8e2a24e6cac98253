//! persona: turns user-research data into evidence-backed user personas.
//!
//! The library holds everything; the `persona` binary (`cli`) and the HTTP layer (`api`) are
//! thin shells over it so that the CLI and the API produce the same personas.

pub mod api;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod net;
pub mod quality;
pub mod scripts;
pub mod service;
pub mod store;
pub mod util;
pub mod worker;
