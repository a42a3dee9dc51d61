//! Nothing but a home for the criterion benchmarks (`parts.rs`).
