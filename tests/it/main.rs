//! Integration tests: one binary, the app on a random port, each backend-dependent test run on SQLite and PostgreSQL.

mod helpers;

mod admin_api;
mod audit;
mod browser;
mod cli;
mod data_sources;
mod delivery;
mod delivery_flow;
mod demo;
mod descriptor;
mod dry_run;
mod extract_pii;
mod extract_preview;
mod extract_run;
mod extract_source;
mod extract_tools;
mod health;
mod intake;
mod intake_store;
mod jira_client;
mod jobs;
mod lifecycle;
mod metrics;
mod panel;
mod processes;
mod sandbox_jira;
mod sandbox_jql;
mod sandbox_slack;
mod sandbox_warehouse;
mod secrets;
mod slack;
mod tenant_cache;
mod tokens;
mod vectors;
mod workflow;
