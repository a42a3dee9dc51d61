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
}

impl SimError {
    pub fn new(path: &Path, detail: String) -> SimError {
        SimError {
            detail: format!("{}: {detail}", path.display()),
        }
    }

    pub fn plain(detail: impl Into<String>) -> SimError {
        SimError {
            detail: detail.into(),
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.detail)
    }
}

impl std::error::Error for SimError {}
