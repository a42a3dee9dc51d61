//! Many runs: seeded batches of one scenario, and tournaments of strategies over domains,
//! both on one ordered, bounded pool of workers.
//!
//! In order, each module using only those before it: `pool`, `batch`, `statistics`,
//! `tournament`.

pub mod batch;
pub mod pool;
pub mod statistics;
pub mod tournament;
