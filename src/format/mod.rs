//! The format: what one line of a log is, on its own.

pub mod count;
pub mod event;
pub mod ids;
pub mod provenance;
pub mod rules;
pub mod time;
pub mod world_time;
