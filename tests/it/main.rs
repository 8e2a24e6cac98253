//! One integration-test binary (one link step) with a module per area.

mod support;

mod api_auth;
mod api_docs;
mod api_errors;
mod api_generate;
mod api_health;
mod api_limits;
mod receiver;
mod restart;
mod webhooks;
