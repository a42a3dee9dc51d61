//! What an outcome space holds, computed exactly: outcome rankings, the Pareto frontier,
//! the Nash and Kalai-Smorodinsky points, maximum welfare, opposition (`space`), and the
//! yardstick runs are measured against.
//!
//! In order, each module using only those before it: `exact`, `ranking`, `space` (which
//! hands nonlinear spaces to `rectangles`), `yardstick`.

pub mod exact;
pub mod ranking;
pub mod rectangles;
pub mod space;
pub mod yardstick;

pub use space::*;
