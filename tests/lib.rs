//! Integration tests: one binary, so CI links once.

mod apply_calls;
mod apply_cli;
mod apply_faults;
mod apply_kill;
mod apply_partial;
mod apply_routes;
mod apply_support;
mod docusign_auth;
mod docusign_secrets;
mod docusign_snapshot;
mod drift_cli;
mod emulator_cli;
mod emulator_contract;
mod emulator_oauth;
mod emulator_rules;
mod emulator_smoke;
mod emulator_support;
mod harness;
mod import_cli;
mod pipelines;
mod plan_cli;
mod plan_properties;
mod plan_scenarios;
mod properties;
mod schema;
mod validate;
