//! Simulations: seeded negotiations between software parties whose every move passes
//! through the reducer and lands in an ordinary log, and the analysis of outcome spaces.
//!
//! Four folders, in order, each using only those before it: `domains` (what is negotiated,
//! read from scenario files, GENIUS and GeniusWeb, and the strategies by name), `analysis`
//! (the outcome space, exactly), `protocol` (one negotiation played), `batches` (batches
//! and tournaments).

pub mod analysis;
pub mod batches;
pub mod domains;
pub mod protocol;

// The paths callers knew before the folders.
pub use analysis::{exact, ranking, yardstick};
pub use batches::{batch, tournament};
pub use domains::{genius, geniusweb, scenario};
pub use domains::{preferences as domain, strategies as strategy};
pub use protocol::{fast_paths, run};

use std::path::{Path, PathBuf};

use crate::files::output::OutputError;
use crate::format::rules::Violation;
pub use domains::strategies::UnknownStrategy;

/// A scenario or domain that cannot be used, or a simulation that went wrong: what kind,
/// and the data to say so.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A file or directory that could not be read or written: the command line's I/O
    /// error, not refused input.
    #[error("{}: {detail}", .path.display())]
    Unreadable { path: PathBuf, detail: String },
    /// An output that could not be written whole (`files::output`).
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A scenario, GENIUS or GeniusWeb file whose contents accord cannot use.
    #[error("{}: {detail}", .path.display())]
    Unusable { path: PathBuf, detail: String },
    /// A strategy named that accord does not know.
    #[error(transparent)]
    UnknownStrategy(#[from] UnknownStrategy),
    /// A strategy named in an argument (`--strategies`) that accord does not know.
    #[error("{argument}: {source}")]
    UnknownStrategyArgument {
        argument: &'static str,
        source: UnknownStrategy,
    },
    /// A scenario or domain, however built, that breaks a rule of simulation.md.
    #[error("{0}")]
    Scenario(String),
    /// A batch or tournament accord does not play: too large, with nothing in it, or a
    /// strategy ranked twice.
    #[error("{0}")]
    Batch(String),
    /// A party's own code (a strategy written in Python) failed or answered out of
    /// bounds.
    #[error("{0}")]
    Party(String),
    /// The simulator made a move the reducer refuses: a bug in accord, reported whole.
    #[error(
        "the simulation tried an illegal move at seq {seq} ({event_type}): {violation}; this is a bug in accord's simulator"
    )]
    IllegalMove {
        seq: u64,
        event_type: &'static str,
        violation: Violation,
    },
}

impl SimError {
    /// What is wrong with the contents of the file at `path`.
    pub fn in_file(path: &Path, detail: impl Into<String>) -> SimError {
        SimError::Unusable {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    /// A file or directory that could not be read or written.
    pub fn io(path: &Path, detail: impl std::fmt::Display) -> SimError {
        SimError::Unreadable {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        }
    }

    /// A file that could not be read or written, as against refused input.
    pub fn is_io(&self) -> bool {
        matches!(self, SimError::Unreadable { .. } | SimError::Output(_))
    }
}

/// Writes `bytes` to a new file at `path` (or over a regular file there, with `overwrite`),
/// whole or not at all: see `files::output`.
pub fn write_new_file(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), SimError> {
    Ok(crate::files::output::write_new(path, bytes, overwrite)?)
}
