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

use std::fmt;
use std::path::Path;

/// A scenario or domain that cannot be used, or a simulation that went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct SimError {
    pub detail: String,
    /// A file could not be read or written (a scenario or GENIUS file that is missing, an
    /// output that exists): the command line's usage or I/O error, not refused input.
    pub io: bool,
}

impl SimError {
    pub fn new(path: &Path, detail: String) -> SimError {
        SimError {
            detail: format!("{}: {detail}", path.display()),
            io: false,
        }
    }

    pub fn plain(detail: impl Into<String>) -> SimError {
        SimError {
            detail: detail.into(),
            io: false,
        }
    }

    /// A file or directory that could not be read or written.
    pub fn io(path: &Path, detail: impl fmt::Display) -> SimError {
        SimError {
            detail: format!("{}: {detail}", path.display()),
            io: true,
        }
    }
}

/// Writes `bytes` to a new file at `path` (or over a regular file there, with `overwrite`),
/// whole or not at all: see `files::output`.
pub fn write_new_file(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), SimError> {
    Ok(crate::files::output::write_new(path, bytes, overwrite)?)
}

impl From<crate::files::output::OutputError> for SimError {
    fn from(error: crate::files::output::OutputError) -> SimError {
        SimError {
            detail: error.to_string(),
            io: true,
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.detail)
    }
}

impl std::error::Error for SimError {}
