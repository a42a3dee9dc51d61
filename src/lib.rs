//! accord: the history of a negotiation as an append-only, hash-chained log of events,
//! folded by one pure reducer into the state of the negotiation.
//!
//! The folders are the layers, and each uses only those listed before it (the map is
//! `docs/ARCHITECTURE.md`; the format is `docs/format.md`):
//!
//! - `format`: what a line is (ids, time, rules, events, drafts, the canonical writer);
//! - `reading`: a log's lines in file order, the envelope rules between them, the chain;
//! - `fold`: the state, the one reducer, and the fold in application order;
//! - `replay`: the streaming engine over any source of lines;
//! - `views`: what people and programs read (state changes, history, people's text);
//! - `stores`: where a log lives (the `Store` trait, the file store, its snapshots and
//!   queries);
//! - `sim`: negotiations simulated, apart from all of the above but the format and fold.

pub mod fold;
pub mod format;
pub mod reading;
pub mod replay;
pub mod sim;
pub mod stores;
pub mod views;
