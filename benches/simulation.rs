//! Simulation throughput, timed inside the process as `benches/negmas_bench.py` times NegMAS:
//! from the first negotiation to the last, without starting the program or loading the
//! scenario. The scenario is the one of the NegMAS comparison (docs/benchmarks.md): two
//! parties, 3 issues of 10 options, random linear preferences, Boulware against Conceder,
//! a deadline of 100 rounds.
//!
//! Run: `cargo bench --bench simulation` (release build). For each batch size it runs the
//! batch `REPEATS` times on all cores and prints the median, the fastest and the slowest as a
//! Markdown table row, in negotiations per second. `ACCORD_BENCH_THREADS` sets the threads.

use std::path::Path;
use std::time::Instant;

use accord::sim::batch::{BatchOptions, simulate};

const REPEATS: usize = 11;
const BATCHES: [u64; 2] = [1_000, 100_000];

fn main() {
    let scenario_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("events/scenarios/random-3x10.json");
    let scenario = accord::sim::scenario::load(&scenario_path).expect("the shipped scenario loads");
    let threads = std::env::var("ACCORD_BENCH_THREADS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    println!("| negotiations | threads | median | fastest | slowest | negotiations/s (median) |");
    println!("|---|---|---|---|---|---|");
    for runs in BATCHES {
        let options = BatchOptions {
            seed: 7,
            runs,
            threads,
            out_dir: None,
            keep_logs: false,
        };
        let mut seconds: Vec<f64> = (0..REPEATS)
            .map(|_| {
                let started = Instant::now();
                let summary = simulate(&scenario, &options, &|_| {}, &mut |_, _| {})
                    .expect("the benchmark scenario simulates");
                let elapsed = started.elapsed().as_secs_f64();
                assert_eq!(summary.runs, runs);
                elapsed
            })
            .collect();
        seconds.sort_by(f64::total_cmp);
        let median = seconds[REPEATS / 2];
        println!(
            "| {runs} | {threads} | {:.4} s | {:.4} s | {:.4} s | {:.0} |",
            median,
            seconds[0],
            seconds[REPEATS - 1],
            runs as f64 / median
        );
    }
}
