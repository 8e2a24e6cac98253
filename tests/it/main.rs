//! One integration-test binary (one link step) with a module per area.

mod mock_llm;
mod receiver;
mod support;

mod api_auth;
mod api_datasets;
mod api_docs;
mod api_errors;
mod api_events;
mod api_experiments;
mod api_generate;
mod api_health;
mod api_limits;
mod api_providers;
mod api_quality;
mod cli_generate;
mod generate;
mod group_commit;
mod hardening;
mod ingest;
mod layers;
mod providers;
mod quality;
mod read_cache;
mod readme;
mod real_corpus;
mod real_data;
mod real_personas;
mod restart;
mod scripts;
mod ui;
mod webhooks;
