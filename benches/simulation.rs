//! Simulation throughput, timed inside the process as `benches/negmas_bench.py` times NegMAS:
//! from the first negotiation to the last, without starting the program or loading the
//! scenario. The scenarios are those of the NegMAS comparison (docs/benchmarks.md): two
//! parties, 3 issues of 10 options, random linear preferences, a deadline of 100 rounds, and
//! Boulware against Conceder with accord's curves (`random-3x10`: `1 - t^5` against
//! `1 - t^0.5`) or with NegMAS's (`random-3x10-negmas-curves`: `1 - t^4` against
//! `1 - t^0.25`).
//!
//! Run: `cargo bench --bench simulation` (release build). For each scenario and batch size it
//! runs untimed batches for `WARM_UP` (at least one), as criterion warms up, then the batch
//! `REPEATS` times on all cores (101 times for 1,000 runs, whose 10 ms a busy neighbour on
//! the VM can stretch; 11 times for 100,000), and prints the median, the fastest and the
//! slowest as a Markdown table row, in negotiations per second. `ACCORD_BENCH_THREADS` sets
//! the threads.
//! Each batch still starts its own threads and workspaces: the warm-up leaves out only the
//! machine's own start (on the shared 2-core VM, the first tens of milliseconds of a busy
//! process sometimes run half as fast again), which NegMAS's seconds-long loop also leaves
//! behind.

use std::path::Path;
use std::time::Instant;

use accord::sim::batch::{BatchOptions, simulate};

/// Timed batches per batch size: 101 of 1,000 runs (about a second in all), 11 of 100,000.
const REPEATS: [usize; 2] = [101, 11];
const WARM_UP: std::time::Duration = std::time::Duration::from_millis(500);
const BATCHES: [u64; 2] = [1_000, 100_000];
const SCENARIOS: [&str; 2] = ["random-3x10", "random-3x10-negmas-curves"];

fn main() {
    let threads = std::env::var("ACCORD_BENCH_THREADS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    println!(
        "| scenario | negotiations | threads | median | fastest | slowest | negotiations/s (median) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, (runs, repeats)) in SCENARIOS.into_iter().flat_map(|name| {
        BATCHES
            .into_iter()
            .zip(REPEATS)
            .map(move |batch| (name, batch))
    }) {
        let scenario_path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("events/scenarios")
            .join(format!("{name}.json"));
        let scenario =
            accord::sim::scenario::load(&scenario_path).expect("the shipped scenario loads");
        let options = BatchOptions {
            seed: 7,
            runs,
            threads,
            out_dir: None,
            keep_logs: false,
            overwrite: false,
        };
        let batch = || {
            let started = Instant::now();
            let summary = simulate(&scenario, &options, &|_| {}, &mut |_, _| {})
                .expect("the benchmark scenario simulates");
            let elapsed = started.elapsed().as_secs_f64();
            assert_eq!(summary.runs, runs);
            elapsed
        };
        let warming = Instant::now();
        batch();
        while warming.elapsed() < WARM_UP {
            batch();
        }
        let mut seconds: Vec<f64> = (0..repeats).map(|_| batch()).collect();
        seconds.sort_by(f64::total_cmp);
        let median = seconds[repeats / 2];
        println!(
            "| {name} | {runs} | {threads} | {:.4} s | {:.4} s | {:.4} s | {:.0} |",
            median,
            seconds[0],
            seconds[repeats - 1],
            runs as f64 / median
        );
    }
}
