//! What is negotiated and by whom: issues and preferences, read from scenario files, GENIUS
//! XML and GeniusWeb JSON, and the strategy each party plays by name.
//!
//! In order, each module using only those before it: `decimal`, `preferences`, `genius`,
//! `geniusweb`, `strategies`, `scenario`.

pub mod decimal;
pub mod genius;
pub mod geniusweb;
pub mod nonlinear;
pub mod preferences;
pub mod scenario;
pub mod strategies;
