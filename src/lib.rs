//! Clearance: a Jira Cloud app that turns data-request tickets into approved, encrypted, audited deliveries.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Building and running the service: state, HTTP client, server, shutdown.
pub mod app;
/// The tamper-evident audit log: hash chain, verification, export.
pub mod audit;
/// CLI subcommand bodies.
pub mod commands;
/// Layered configuration and its validation.
pub mod config;
/// Secrets at rest: AEAD under rotating master keys.
pub mod crypto;
/// The dashboard for admins and privacy officers: weekly outcomes, lead and waiting times, personal data seen, rows
/// delivered, upcoming expiries; SVG charts and CSV.
pub mod dashboard;
/// Delivery: extract job (build + upload), secrets by Slack, retention and erasure.
pub mod delivery;
/// `clearance demo`: the app with two simulated Jira sites, Slack and the demo warehouse (the `demo` feature).
#[cfg(feature = "demo")]
pub mod demo;
/// Canonical JSON and SHA-256 digests.
pub mod digest;
/// `AppError` and its HTTP mapping.
pub mod error;
/// The extraction engine (crate `clearance-extract`): SQL guard, read-only sources, ID lists, writers, PII scan,
/// masking, bundles.
pub use clearance_extract as extract;
/// `clearance extract`: one extraction from the command line.
pub mod extract_command;
/// Host adapters (Atlassian Connect now, Forge later): inbound auth and outbound signing.
pub mod host;
/// Jira Cloud REST client.
pub mod jira;
/// Durable background jobs: queue runner, retries, leases.
pub mod jobs;
/// Prometheus metrics.
pub mod metrics;
/// The typed core: request and delivery states, audit actions (stored names, one parse each).
pub mod model;
/// The domain: data requests (intake, sync with Jira, state machine, roles, approvals, write-back).
pub mod requests;
/// Master key rotation: every sealed column, re-sealed under the current key.
pub mod rotation;
/// What domain code and jobs use of the running service (configuration, store, HTTP, metrics, Jira clients).
pub mod services;
/// Slack: Web API client, Block Kit messages, per-tenant settings and user mapping, DMs and team notices.
pub mod slack;
/// Per-tenant data sources: settings, sealed URLs, project restriction, connection tests.
pub mod sources;
/// All SQL: SQLite and PostgreSQL.
pub mod store;
/// Logging setup.
pub mod telemetry;
/// Tenants, tenant states and account ids.
pub mod tenant;
/// HTTP routes and layers.
pub mod web;
