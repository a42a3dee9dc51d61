//! The analysis of nonlinear (ANAC 2014) spaces: spaces drawn like the published ones
//! (`sim::domains::nonlinear::drawn_space`: 2 rectangles per issue per party, ranges as wide
//! as the published files'), 10, 30 and 50 issues of 10 values, four seeds each, analysed
//! whole (frontier, its outcomes counted, Nash, Kalai-Smorodinsky, welfare, opposition) as
//! `accord analyze` does after reading the files.
//!
//! Run: `cargo bench --bench nonlinear` (release build). Prints a Markdown table row per
//! space: the median of `REPEATS` analyses, the slowest, and the frontier's size.
//! `ACCORD_BENCH_NONLINEAR_DIR=DIR` analyses the two-profile GENIUS directories under DIR
//! instead (the published ANAC 2014 domains, for instance).

use std::path::Path;
use std::time::Instant;

use accord::sim::analysis::analyze_listing_frontier;
use accord::sim::domains::genius::{domain_from_text, profile_from_text};
use accord::sim::domains::nonlinear::drawn_space;
use accord::sim::domains::preferences::Preferences;

const REPEATS: usize = 5;

fn main() {
    println!("| space | issues | frontier points | frontier outcomes | median | slowest |");
    println!("|---|---|---|---|---|---|");
    match std::env::var_os("ACCORD_BENCH_NONLINEAR_DIR") {
        Some(directory) => {
            let mut entries: Vec<_> = std::fs::read_dir(&directory)
                .expect("a directory of GENIUS domains")
                .map(|entry| entry.expect("a readable entry").path())
                .filter(|path| path.is_dir())
                .collect();
            entries.sort();
            for path in entries {
                let read = |name: &str| std::fs::read_to_string(path.join(name)).ok();
                let domain = std::fs::read_dir(&path)
                    .expect("a readable domain directory")
                    .map(|entry| entry.expect("a readable entry").path())
                    .find(|file| file.to_string_lossy().contains("domain"))
                    .and_then(|file| std::fs::read_to_string(file).ok());
                let (Some(domain), Some(one), Some(two)) =
                    (domain, read("profile-1.xml"), read("profile-2.xml"))
                else {
                    continue;
                };
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                measure(&name, &domain, &[one, two]);
            }
        }
        None => {
            for issues in [10, 30, 50] {
                for seed in 1..=4 {
                    let (domain, profiles) = drawn_space(issues, 2 * issues, 2, seed);
                    measure(&format!("drawn, seed {seed}"), &domain, &profiles);
                }
            }
        }
    }
}

fn measure(name: &str, domain: &str, profiles: &[String]) {
    let path = Path::new("bench.xml");
    let domain = domain_from_text(domain, path).expect("a domain");
    let preferences: Vec<Preferences> = profiles
        .iter()
        .map(|text| profile_from_text(text, path, &domain).expect("a profile"))
        .collect();
    let mut times = Vec::with_capacity(REPEATS);
    let mut analysis = None;
    for _ in 0..REPEATS {
        let started = Instant::now();
        analysis = Some(analyze_listing_frontier(&domain, &preferences));
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let analysis = analysis.expect("analysed");
    let points = analysis.frontier.as_ref().map_or(0, Vec::len);
    let outcomes = analysis
        .pareto_size
        .map_or_else(|| "n/a".to_string(), |size| size.to_string());
    println!(
        "| {name} | {} | {points} | {outcomes} | {:.3} s | {:.3} s |",
        domain.issues.len(),
        times[REPEATS / 2],
        times[REPEATS - 1]
    );
}
