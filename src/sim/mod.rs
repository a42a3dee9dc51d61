//! Simulations: seeded negotiations between software parties whose every move passes
//! through the reducer and lands in an ordinary log, and the analysis of outcome spaces.

pub mod analysis;
pub mod batch;
pub mod domain;
pub mod exact;
pub mod fast_paths;
pub mod genius;
pub mod geniusweb;
pub mod ranking;
pub mod run;
pub mod scenario;
pub mod strategy;
pub mod tournament;
pub mod yardstick;

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

/// Creates `path` and writes `bytes` to it. Without `overwrite`, an existing file is refused
/// and left as it is (the check and the creation are one system call, so no race between
/// them); with it, the file is replaced.
pub fn write_new_file(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), SimError> {
    use std::io::Write as _;
    let mut file = create_new_file(path, overwrite)?;
    file.write_all(bytes)
        .map_err(|error| SimError::io(path, error))
}

/// Creates a file for writing: one that exists is refused unless `overwrite`, so nothing a
/// user has is replaced by surprise.
pub fn create_new_file(path: &Path, overwrite: bool) -> Result<std::fs::File, SimError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let opened = options.open(path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            SimError::io(
                path,
                "exists; accord does not overwrite it (--force replaces it)",
            )
        } else {
            SimError::io(path, error)
        }
    })?;
    Ok(opened)
}

impl fmt::Display for SimError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.detail)
    }
}

impl std::error::Error for SimError {}
