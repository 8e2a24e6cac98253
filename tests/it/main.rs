//! One integration-test binary (one link step) with a module per area.
mod cli_generate;
mod generate;
mod ingest;
