//! Every integration test, in one binary: linking one test binary per file, each with the
//! whole crate and its dependencies, was a fifth of the test build on two cores.
//!
//! A new test file is a new module here. Fixture logs live in `tests/fixtures/`.

mod baseline_agents;
mod binary;
mod common;

mod cli;
mod closed_stdout;
mod docs_examples;
mod durability;
mod entity_index;
mod exact_analysis;
mod exact_time;
mod expected_outputs;
mod extras;
#[cfg(feature = "failure-points")]
mod failure_points;
mod fixture_logs;
mod full_disk;
mod geniusweb_shapes;
mod hostile_files;
mod imports;
mod interrupts;
mod merkle_proofs;
mod messages;
mod nonlinear_analysis;
mod nonlinear_profiles;
mod nonlinear_simulation;
mod partial_consensus;
#[cfg(feature = "postgres")]
mod postgres_store;
mod properties;
mod replay_engine;
mod report;
#[cfg(feature = "browser")]
mod report_in_browser;
mod safety;
mod simulation;
mod store_contract;
mod store_model;
mod streams;
mod tail_checkpoint;
mod time_travel;
mod tournament_statistics;
mod typed_events;
