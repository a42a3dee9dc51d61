//! Many runs of a scenario, on every core, and their summary. Run `i` always uses the seeded
//! stream `i` and results are gathered by run index, so the summary and the logs do not
//! depend on the number of threads or on which thread ran what.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::sim::SimError;
use crate::sim::run::{Prepared, RunResult, Workspace, prepare, run, run_rng};
use crate::sim::scenario::Scenario;

/// Most runs one `simulate` makes.
pub const MAX_RUNS: u64 = 100_000_000;

#[derive(Clone, Debug)]
pub struct BatchOptions {
    pub seed: u64,
    pub runs: u64,
    pub threads: usize,
    /// Write each run's log into this directory as `run-NNNNNN.jsonl`.
    pub out_dir: Option<PathBuf>,
    /// Keep the log of each run in its result (for `--out` with one run).
    pub keep_logs: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    pub runs: u64,
    pub seed: u64,
    pub parties: Vec<String>,
    pub agreement_rate: f64,
    /// Of the runs that agreed.
    pub rounds: Option<RoundSpread>,
    pub utilities: Vec<Spread>,
    pub pareto_distance: Option<f64>,
    pub nash_distance: Option<f64>,
    pub releases: u64,
    /// Only when runs = 1: ISSUE title -> option.
    pub outcome: Option<std::collections::BTreeMap<String, String>>,
}

/// Rounds to agreement, over the runs that agreed.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RoundSpread {
    pub mean: f64,
    pub min: u32,
    pub max: u32,
}

fn spread(values: impl Iterator<Item = f64>) -> Option<Spread> {
    // Neumaier's compensated sum: the mean of equal values is that value, not a hair off.
    let (mut count, mut total, mut compensation) = (0u64, 0.0f64, 0.0f64);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for value in values {
        count += 1;
        let sum = total + value;
        compensation += if total.abs() >= value.abs() {
            (total - sum) + value
        } else {
            (value - sum) + total
        };
        total = sum;
        min = min.min(value);
        max = max.max(value);
    }
    (count > 0).then(|| Spread {
        mean: ((total + compensation) / count as f64).clamp(min, max),
        min,
        max,
    })
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    spread(values).map(|spread| spread.mean)
}

/// Runs the batch. `progress` is called with the number of finished runs.
pub fn simulate(
    scenario: &Scenario,
    options: &BatchOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Summary, Vec<RunResult>), SimError> {
    if options.runs == 0 || options.runs > MAX_RUNS {
        return Err(SimError::plain(format!("--runs must be 1 to {MAX_RUNS}")));
    }
    if let Some(directory) = &options.out_dir {
        std::fs::create_dir_all(directory)
            .map_err(|error| SimError::new(directory, error.to_string()))?;
    }
    // Preferences that do not change between runs are ranked and analysed once.
    let shared: Option<Prepared> = (!scenario.has_random_preferences())
        .then(|| prepare(scenario, &mut run_rng(options.seed, 0)));
    let write_logs = options.out_dir.is_some() || options.keep_logs;
    let next = AtomicU64::new(0);
    let finished = AtomicU64::new(0);
    let results: Mutex<Vec<Option<Result<RunResult, SimError>>>> =
        Mutex::new(vec![None; options.runs as usize]);
    std::thread::scope(|scope| {
        for _ in 0..options.threads.max(1) {
            scope.spawn(|| {
                let mut workspace = Workspace::default();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= options.runs {
                        break;
                    }
                    let mut outcome = run(
                        scenario,
                        options.seed,
                        index,
                        shared.as_ref(),
                        write_logs,
                        &mut workspace,
                    );
                    if let (Ok(result), Some(directory)) = (&mut outcome, &options.out_dir) {
                        let path = directory.join(format!("run-{:06}.jsonl", index + 1));
                        let log = if options.keep_logs {
                            result.log.clone()
                        } else {
                            result.log.take()
                        };
                        if let Err(error) = std::fs::write(&path, log.unwrap_or_default()) {
                            outcome = Err(SimError::new(&path, error.to_string()));
                        }
                    }
                    results.lock().expect("no thread panics holding it")[index as usize] =
                        Some(outcome);
                    progress(finished.fetch_add(1, Ordering::Relaxed) + 1);
                }
            });
        }
    });
    let results: Vec<RunResult> = results
        .into_inner()
        .expect("no thread panics holding it")
        .into_iter()
        .map(|result| result.expect("every run index is taken"))
        .collect::<Result<_, _>>()?;

    let agreed: Vec<&RunResult> = results.iter().filter(|result| result.agreed).collect();
    let parties = scenario.parties.len();
    let summary = Summary {
        runs: options.runs,
        seed: options.seed,
        parties: scenario
            .parties
            .iter()
            .map(|party| party.id.to_string())
            .collect(),
        agreement_rate: agreed.len() as f64 / options.runs as f64,
        rounds: spread(agreed.iter().map(|result| f64::from(result.rounds))).map(|spread| {
            RoundSpread {
                mean: spread.mean,
                min: spread.min as u32,
                max: spread.max as u32,
            }
        }),
        utilities: (0..parties)
            .map(|party| {
                spread(results.iter().map(|result| result.utilities[party]))
                    .expect("at least one run")
            })
            .collect(),
        pareto_distance: mean(agreed.iter().filter_map(|result| result.pareto_distance)),
        nash_distance: mean(agreed.iter().filter_map(|result| result.nash_distance)),
        releases: results.iter().map(|result| result.released).sum(),
        outcome: (options.runs == 1)
            .then(|| {
                results[0].outcome.as_ref().map(|outcome| {
                    scenario
                        .domain
                        .issues
                        .iter()
                        .zip(outcome)
                        .map(|(issue, option)| {
                            (issue.title.clone(), issue.options[*option].to_string())
                        })
                        .collect()
                })
            })
            .flatten(),
    };
    Ok((summary, results))
}
