//! One negotiation played: the alternating-offers protocol, each party's strategy at work
//! (`agent`), the shortcuts that give the same bytes faster (`fast_paths`), and a run from
//! its opening events to its measures (`run`).
//!
//! In order, each module using only those before it: `agent`, `fast_paths`, `run`.

pub mod agent;
pub mod boa;
pub mod fast_paths;
pub mod run;
