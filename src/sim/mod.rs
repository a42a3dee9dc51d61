//! Simulations: seeded negotiations between software parties whose every move passes
//! through the reducer and lands in an ordinary log, and the analysis of outcome spaces.

pub mod analysis;
pub mod batch;
pub mod domain;
pub mod genius;
pub mod ranking;
pub mod run;
pub mod scenario;
pub mod strategy;

use std::fmt;
use std::path::Path;

/// A scenario or domain that cannot be used, or a simulation that went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct SimError {
    pub detail: String,
    /// The problem is with the files around the simulation (an output that exists, a write
    /// that failed), not with its input: the command line's usage or I/O error.
    pub files: bool,
}

impl SimError {
    pub fn new(path: &Path, detail: String) -> SimError {
        SimError {
            detail: format!("{}: {detail}", path.display()),
            files: false,
        }
    }

    pub fn plain(detail: impl Into<String>) -> SimError {
        SimError {
            detail: detail.into(),
            files: false,
        }
    }

    /// A problem with an output file or directory.
    pub fn output(path: &Path, detail: impl fmt::Display) -> SimError {
        SimError {
            detail: format!("{}: {detail}", path.display()),
            files: true,
        }
    }
}

/// Creates `path` and writes `bytes` to it. Without `overwrite`, an existing file is refused
/// and left as it is (the check and the creation are one system call, so no race between
/// them); with it, the file is replaced.
pub fn write_new_file(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), SimError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let opened = options.open(path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            SimError::output(
                path,
                "exists; accord does not overwrite it (--force replaces it)",
            )
        } else {
            SimError::output(path, error)
        }
    })?;
    let mut file = opened;
    file.write_all(bytes)
        .map_err(|error| SimError::output(path, error))
}

impl fmt::Display for SimError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.detail)
    }
}

impl std::error::Error for SimError {}
