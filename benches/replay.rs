//! Whole-log replay against its floor, in one run: reading the file (`cat`), the baseline
//! (reading it and parsing every line into a typed envelope with serde_json on one core,
//! `data` left as a `serde_json::Value`), and `verify` (hash, parse, every rule, fold).
//!
//! Run: `cargo bench --bench replay` (release build). Uses the million-event log of
//! `benches/million/` (written once under `target/bench-data/`). Each figure is the median
//! of seven rounds, the measurements alternating within a round; the ratio to the baseline
//! is the median of each round's own ratio (verify against the mean of the baselines just
//! before and just after it), which a shared machine's drifting speed disturbs far less
//! than a ratio of medians. Prints a Markdown table (see docs/performance.md).

mod million;
mod whole_log;

fn main() {
    whole_log::verify_against_baseline();
}
