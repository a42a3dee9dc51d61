//! The front door: what a command does, as calls that return typed values, for the command
//! line (`cli/`) and the Python package (`python/`) alike. Each speaker only parses its
//! arguments, calls these, and prints or converts what they return: the same call gives the
//! same answer and the same refusal, whoever asks.
//!
//! - `target`: a log as a person names it (a file, `-` or another stream, a database
//!   stream) and its whole reading;
//! - `query`: the state at a point, from the best start the log has;
//! - `verify`: a log checked whole, with its snapshots, a pinned head, a signed checkpoint;
//! - `checkpoint`: signed checkpoints opened from their files;
//! - `scenarios`: the scenario a simulation plays, from the files a person names, with the
//!   shared defaults (boulware, 100 rounds);
//! - `entities`: one entity's history and state, from the entity index when it describes
//!   the log;
//! - `corrections`: the drafts of a retraction and a correction (format version 2);
//! - `import`: a dataset's records made drafts beside the parties a log already has;
//! - `refusal`: the one refusal every call returns, built from every error type below it.

pub mod checkpoint;
pub mod corrections;
pub mod entities;
pub mod import;
pub mod query;
pub mod refusal;
pub mod scenarios;
pub mod target;
pub mod verify;

pub use refusal::{Refusal, Refused, Where};
pub use target::Target;
