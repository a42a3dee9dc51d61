//! What people and programs read of a log: the changes between two states, an entity's
//! history, the sentences that tell an event.

pub mod describe;
pub mod diff;
pub mod history;
pub mod report;
pub mod text;
