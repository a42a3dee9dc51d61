//! accord: the history of a negotiation as an append-only, hash-chained log of events,
//! folded by one pure reducer into the state of the negotiation.
//!
//! The map of the crate is `docs/ARCHITECTURE.md`; the format is `docs/format.md`.

pub mod describe;
pub mod diff;
pub mod event;
pub mod fold;
pub mod history;
pub mod ids;
pub mod ids_seen;
pub mod log;
pub mod query;
pub mod reducer;
pub mod replay;
pub mod rules;
pub mod sim;
pub mod snapshot;
pub mod state;
pub mod store;
pub mod text;
pub mod time;
