//! Many runs of a scenario, on every core, and their summary. Run `i` always uses the seeded
//! stream `i` and results are gathered by run index, so the summary and the logs do not
//! depend on the number of threads or on which thread ran what.

use crate::sim::batches::pool;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::results::{RoundSpread, RunRow, Spread, Summary};

use crate::files::output::{OutputDirectory, OutputDirectoryPath};
use crate::sim::SimError;
use crate::sim::analysis::yardstick::Distances;
use crate::sim::domains::preferences::Outcome;
use crate::sim::domains::scenario::Scenario;
use crate::sim::protocol::run::{
    NoPlayers, PlayerList, Players, Prepared, RunResult, Workspace, prepare, run_rng, run_with,
};

/// Most runs one `simulate` makes.
pub const MAX_RUNS: u64 = 100_000_000;

/// Most threads one `simulate` starts.
pub const MAX_THREADS: usize = 256;

#[derive(Clone, Debug)]
pub struct BatchOptions {
    pub seed: u64,
    pub runs: u64,
    pub threads: usize,
    /// Write each run's log into this directory as `run-NNNNNN.jsonl`, all at once when the
    /// batch is done: the logs are written into a staging directory beside it, which is
    /// renamed into place (or, into a directory that holds other files, its logs moved in,
    /// under a marker), and removed if the batch fails or is interrupted.
    pub out_dir: Option<PathBuf>,
    /// Keep the log of each run in its result (for `--out` with one run).
    pub keep_logs: bool,
    /// Replace run logs that already exist in `out_dir` (`--force`); without it a batch that
    /// would write over one is refused before it starts.
    pub overwrite: bool,
}

/// The name of run `index`'s log in an output directory.
pub fn run_log_name(index: u64) -> String {
    format!("run-{:06}.jsonl", index + 1)
}

/// Whether `name` is the name of the log of one of the first `runs` runs
/// (`run-NNNNNN.jsonl`): a file a batch of that many runs writes.
pub fn is_run_log_of(name: &std::ffi::OsStr, runs: u64) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    name.strip_prefix("run-")
        .and_then(|rest| rest.strip_suffix(".jsonl"))
        .filter(|digits| digits.len() >= 6 && digits.bytes().all(|byte| byte.is_ascii_digit()))
        .and_then(|digits| digits.parse::<u64>().ok())
        .is_some_and(|number| (1..=runs).contains(&number) && name == run_log_name(number - 1))
}

/// Distinct values a median is kept exact for: every run's value counted by value. A
/// scenario whose preferences are the same in every run has at most (outcomes x rounds)
/// distinct utilities; one that draws preferences per run may have one per run.
pub const MAX_EXACT_MEDIAN_VALUES: usize = 1 << 16;

/// Bins of [0, 1] a median is read from past `MAX_EXACT_MEDIAN_VALUES`: to within 2^-17.
pub const MEDIAN_BINS: usize = 1 << 16;

/// A median in bounded memory: each distinct value counted exactly, until there are too
/// many; then the counts move into equal bins over [0, 1] (utilities' range; a value
/// outside it counts in the end bin), and the median is the middle of its bin. The counts
/// do not depend on the order values come in, so neither does the median.
#[derive(Clone, Debug, Default)]
struct MedianCounts {
    /// Value (as an order-keeping key) to how many runs had it.
    exact: std::collections::BTreeMap<u64, u64>,
    bins: Vec<u64>,
    count: u64,
}

/// A key whose unsigned order is the order of the floats (`f64::total_cmp`).
fn order_key(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

fn from_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

fn median_bin(value: f64) -> usize {
    let scaled = (value.clamp(0.0, 1.0) * MEDIAN_BINS as f64) as usize;
    scaled.min(MEDIAN_BINS - 1)
}

impl MedianCounts {
    fn add(&mut self, value: f64) {
        self.count += 1;
        if self.bins.is_empty() {
            *self.exact.entry(order_key(value)).or_default() += 1;
            if self.exact.len() > MAX_EXACT_MEDIAN_VALUES {
                self.bins = vec![0; MEDIAN_BINS];
                for (key, count) in std::mem::take(&mut self.exact) {
                    self.bins[median_bin(from_order_key(key))] += count;
                }
            }
        } else {
            self.bins[median_bin(value)] += 1;
        }
    }

    /// The value at `rank` (from 0) in sorted order.
    fn at_rank(&self, rank: u64) -> f64 {
        let mut seen = 0;
        if self.bins.is_empty() {
            for (key, count) in &self.exact {
                seen += count;
                if seen > rank {
                    return from_order_key(*key);
                }
            }
        } else {
            for (bin, count) in self.bins.iter().enumerate() {
                seen += count;
                if seen > rank {
                    return (bin as f64 + 0.5) / MEDIAN_BINS as f64;
                }
            }
        }
        f64::NAN
    }

    fn median(&self) -> f64 {
        debug_assert!(self.count > 0);
        let (low, high) = ((self.count - 1) / 2, self.count / 2);
        let (low, high) = (self.at_rank(low), self.at_rank(high));
        low + (high - low) / 2.0
    }
}

/// A mean, standard deviation, minimum and maximum grown one value at a time. The mean
/// uses Neumaier's compensated sum, so the mean of equal values is that value, not a hair
/// off; the deviation, Welford's running sum of squared differences. Values are added in
/// run order, so the result does not depend on threads.
#[derive(Clone, Copy, Debug)]
pub struct SpreadSum {
    count: u64,
    total: f64,
    compensation: f64,
    running_mean: f64,
    squared_differences: f64,
    min: f64,
    max: f64,
}

/// Agreements' distances (`yardstick::Distances`), each summed over the runs that have one.
#[derive(Clone, Debug, Default)]
pub struct DistanceSums {
    pub pareto: SpreadSum,
    pub nash: SpreadSum,
    pub kalai_smorodinsky: SpreadSum,
    pub max_welfare: SpreadSum,
}

impl DistanceSums {
    pub fn add(&mut self, distances: &Distances) {
        for (sum, distance) in [
            (&mut self.pareto, distances.pareto),
            (&mut self.nash, distances.nash),
            (&mut self.kalai_smorodinsky, distances.kalai_smorodinsky),
            (&mut self.max_welfare, distances.max_welfare),
        ] {
            if let Some(distance) = distance {
                sum.add(distance);
            }
        }
    }
}

impl Default for SpreadSum {
    fn default() -> SpreadSum {
        SpreadSum {
            count: 0,
            total: 0.0,
            compensation: 0.0,
            running_mean: 0.0,
            squared_differences: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl SpreadSum {
    pub fn add(&mut self, value: f64) {
        self.count += 1;
        let sum = self.total + value;
        self.compensation += if self.total.abs() >= value.abs() {
            (self.total - sum) + value
        } else {
            (value - sum) + self.total
        };
        self.total = sum;
        let difference = value - self.running_mean;
        self.running_mean += difference / self.count as f64;
        self.squared_differences += difference * (value - self.running_mean);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Values added.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| {
            ((self.total + self.compensation) / self.count as f64).clamp(self.min, self.max)
        })
    }

    /// The sample standard deviation; 0 for fewer than two values.
    pub fn sd(&self) -> f64 {
        if self.count < 2 {
            return 0.0;
        }
        (self.squared_differences.max(0.0) / (self.count - 1) as f64).sqrt()
    }
}

/// The summary's figures, grown run by run in run order.
struct Totals {
    runs: u64,
    /// Rounds to agreement, one value per run that agreed (so its count is the agreements).
    rounds: SpreadSum,
    utilities: Vec<SpreadSum>,
    utility_medians: Vec<MedianCounts>,
    distances: DistanceSums,
    releases: u64,
    without_possible_agreement: u64,
    first_outcome: Option<Outcome>,
}

impl Totals {
    fn new(parties: usize) -> Totals {
        Totals {
            runs: 0,
            rounds: SpreadSum::default(),
            utilities: vec![SpreadSum::default(); parties],
            utility_medians: vec![MedianCounts::default(); parties],
            distances: DistanceSums::default(),
            releases: 0,
            without_possible_agreement: 0,
            first_outcome: None,
        }
    }

    fn add(&mut self, index: u64, result: &RunResult) -> Result<(), SimError> {
        debug_assert_eq!(index, self.runs, "runs are added in order");
        debug_assert_eq!(result.utilities.len(), self.utilities.len());
        self.runs += 1;
        if result.agreed {
            self.rounds.add(f64::from(result.rounds));
            self.distances.add(&result.distances);
        }
        if !result.agreement_possible {
            self.without_possible_agreement += 1;
        }
        for ((sum, median), utility) in self
            .utilities
            .iter_mut()
            .zip(&mut self.utility_medians)
            .zip(&result.utilities)
        {
            sum.add(*utility);
            median.add(*utility);
        }
        self.releases = self.releases.checked_add(result.released).ok_or_else(|| {
            SimError::Batch(format!(
                "the releases of the batch pass {} persons by run {}",
                u64::MAX,
                index + 1
            ))
        })?;
        if index == 0 {
            self.first_outcome = result.outcome.clone();
        }
        Ok(())
    }
}

/// Runs one thread handles at a time, and hands over together: small enough that the
/// threads of a batch of 1,000 runs end together (a thread left alone with the last chunk
/// idles the others for up to a chunk: measured, 1,000 runs on two threads take 2% longer
/// with chunks of 64), large enough that handing over (a lock, a map insert) costs nothing
/// next to 16 runs.
const CHUNK_RUNS: u64 = 16;

/// How far (in chunks) a thread may run ahead of the oldest unfinished chunk: bounds the
/// results waiting to be added in order (4,096 runs' results).
const MAX_CHUNKS_AHEAD: u64 = 256;

/// The text of option `chosen` of the scenario's issue at `position` ("" past its options).
pub fn option_text(scenario: &Scenario, position: usize, chosen: usize) -> &str {
    scenario.domain.issues[position]
        .options
        .get(chosen)
        .map_or("", |text| text.as_ref())
}

/// Run `index`'s row of a batch of `scenario` played from `seed`, as `--per-run
/// FILE.jsonl` writes it: the run, the seed, whether and when it agreed, the outcome by
/// issue, each party's utility, the four distances, the captives released.
pub fn run_row(
    scenario: &Scenario,
    seed: u64,
    index: u64,
    result: &RunResult,
) -> serde_json::Value {
    let issues = &scenario.domain.issues;
    let option = |position: usize, chosen: usize| option_text(scenario, position, chosen);
    let outcome = result.outcome.as_ref().map(|outcome| {
        outcome
            .iter()
            .enumerate()
            .map(|(position, chosen)| {
                (
                    issues[position].id.to_string(),
                    option(position, *chosen).to_string(),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    });
    let utilities: std::collections::BTreeMap<&str, f64> = scenario
        .parties
        .iter()
        .map(|party| party.id.as_str())
        .zip(result.utilities.iter().copied())
        .collect();
    let row = RunRow {
        agreement: result.agreed,
        kalai_smorodinsky_distance: result.distances.kalai_smorodinsky,
        max_welfare_distance: result.distances.max_welfare,
        nash_distance: result.distances.nash,
        outcome,
        pareto_distance: result.distances.pareto,
        released: result.released,
        round: result.rounds,
        run: index + 1,
        seed,
        utilities: utilities
            .into_iter()
            .map(|(party, utility)| (party.to_string(), utility))
            .collect(),
    };
    serde_json::to_value(row).expect("a run row serialises")
}

/// Runs the batch: `progress` is called with the number of finished runs, `on_result` with
/// each run's result, in run order. Memory stays bounded whatever the number of runs: each
/// thread takes chunks of runs in turn, and finished chunks are added to the summary in
/// chunk order, so the summary is the same bytes on any number of threads.
pub fn simulate(
    scenario: &Scenario,
    options: &BatchOptions,
    progress: &(dyn Fn(u64) + Sync),
    on_result: &mut (dyn FnMut(u64, &RunResult) + Send),
) -> Result<Summary, SimError> {
    simulate_prepared(scenario, options, None, progress, on_result)
}

/// `simulate`, with the preferences shared by every run already ranked and analysed
/// (`run::prepare`): a tournament prepares a domain once for all its assignments, since
/// strategies do not change preferences. `prepared` must be of this scenario's preferences,
/// which must not be drawn per run.
pub fn simulate_prepared(
    scenario: &Scenario,
    options: &BatchOptions,
    prepared: Option<&Prepared>,
    progress: &(dyn Fn(u64) + Sync),
    on_result: &mut (dyn FnMut(u64, &RunResult) + Send),
) -> Result<Summary, SimError> {
    let output = check_batch(scenario, options)?;
    let staging = output.as_ref().map(OutputDirectory::staging);
    // Preferences that do not change between runs are ranked and analysed once.
    let own: Option<Prepared>;
    let shared: Option<&Prepared> = match prepared {
        Some(prepared) => {
            assert!(
                !scenario.has_random_preferences(),
                "runs that draw their preferences prepare them each"
            );
            debug_assert!(
                prepared.preferences == scenario.preferences(&mut run_rng(options.seed, 0)),
                "prepared for this scenario's preferences"
            );
            Some(prepared)
        }
        None => {
            own = shared_preferences(scenario, options.seed);
            own.as_ref()
        }
    };
    let write_logs = options.out_dir.is_some() || options.keep_logs;
    let chunks = options.runs.div_ceil(CHUNK_RUNS);
    let finished = AtomicU64::new(0);
    let play_chunk = |chunk: u64, workspace: &mut Workspace| {
        let first = chunk * CHUNK_RUNS;
        let last = (first + CHUNK_RUNS).min(options.runs);
        let results: Vec<Result<RunResult, SimError>> = (first..last)
            .map(|index| {
                run_and_write(
                    scenario,
                    options,
                    staging,
                    index,
                    shared,
                    write_logs,
                    workspace,
                    &mut NoPlayers,
                )
            })
            .collect();
        // Counted per chunk: a count shared by the threads and written every run would
        // bounce between their caches.
        progress(finished.fetch_add(last - first, Ordering::Relaxed) + (last - first));
        results
    };
    // Finished chunks are added to the totals in chunk order; the first run that failed
    // (in run order) stops the batch.
    let mut totals = Totals::new(scenario.parties.len());
    let mut add_chunk = |chunk: u64, results: Vec<Result<RunResult, SimError>>| {
        for (offset, result) in results.into_iter().enumerate() {
            let index = chunk * CHUNK_RUNS + offset as u64;
            let result = result?;
            totals.add(index, &result)?;
            on_result(index, &result);
        }
        Ok::<(), SimError>(())
    };
    // No more threads than chunks of work; results do not depend on the number.
    let threads = options.threads.clamp(1, MAX_THREADS);
    pool::run_in_order(
        chunks,
        threads,
        MAX_CHUNKS_AHEAD,
        &Workspace::default,
        &play_chunk,
        &mut add_chunk,
    )?;
    finish_batch(scenario, options, totals, output)
}

/// What every batch checks before its first run: the scenario can be simulated, the number
/// of runs is in bounds, and the output directory can take the run logs (see
/// `BatchOptions::out_dir`); its staging directory, made here, when there is one.
fn check_batch(
    scenario: &Scenario,
    options: &BatchOptions,
) -> Result<Option<OutputDirectory>, SimError> {
    scenario.check_simulable()?;
    if options.runs == 0 || options.runs > MAX_RUNS {
        return Err(SimError::Batch(format!("--runs must be 1 to {MAX_RUNS}")));
    }
    options
        .out_dir
        .as_deref()
        .map(|directory| {
            let checked = OutputDirectoryPath::check(directory, options.overwrite, &|name| {
                is_run_log_of(name, options.runs)
            })?;
            Ok(OutputDirectory::create(checked)?)
        })
        .transpose()
}

/// `simulate`, with some parties' moves chosen by players (`run::Player`) that
/// `make_players(index)` makes for run `index`. The runs are played one after another on
/// the calling thread, since a player (a Python strategy, say) need not be shareable between
/// threads; `options.threads` is not used. The same seed and players give the same summary
/// and logs.
pub fn simulate_with_players<'p>(
    scenario: &Scenario,
    options: &BatchOptions,
    make_players: &mut dyn FnMut(u64) -> Result<PlayerList<'p>, SimError>,
    on_result: &mut dyn FnMut(u64, &RunResult),
) -> Result<Summary, SimError> {
    if scenario.is_nonlinear() {
        // Players choose outcomes by index over every outcome; nonlinear runs offer from a
        // pool (`Prepared::pool`).
        return Err(SimError::Scenario(
            "strategies written in Python play linear spaces; nonlinear (ANAC 2014) ones are played by the built-in strategies only".into(),
        ));
    }
    let output = check_batch(scenario, options)?;
    let staging = output.as_ref().map(OutputDirectory::staging);
    let shared = shared_preferences(scenario, options.seed);
    let write_logs = options.out_dir.is_some() || options.keep_logs;
    let mut workspace = Workspace::default();
    let mut totals = Totals::new(scenario.parties.len());
    for index in 0..options.runs {
        let mut players = make_players(index)?;
        let result = run_and_write(
            scenario,
            options,
            staging,
            index,
            shared.as_ref(),
            write_logs,
            &mut workspace,
            &mut players,
        )?;
        totals.add(index, &result)?;
        on_result(index, &result);
    }
    finish_batch(scenario, options, totals, output)
}

/// The preferences every run of a batch from `seed` shares, ranked and analysed once;
/// `None` when each run draws its own.
pub(crate) fn shared_preferences(scenario: &Scenario, seed: u64) -> Option<Prepared> {
    (!scenario.has_random_preferences()).then(|| prepare(scenario, &mut run_rng(seed, 0)))
}

/// Runs `runs` of a batch (a part of it: another process plays the rest), with players, on
/// the calling thread, each as the whole batch would play it; each result keeps its log when
/// `keep_logs`. What a worker process of `simulate` with players plays
/// (`simulate_from_results` adds the parts up).
pub fn play_runs_with_players<'p>(
    scenario: &Scenario,
    seed: u64,
    runs: std::ops::Range<u64>,
    keep_logs: bool,
    make_players: &mut dyn FnMut(u64) -> Result<PlayerList<'p>, SimError>,
) -> Result<Vec<RunResult>, SimError> {
    scenario.check_simulable()?;
    if runs.end > MAX_RUNS {
        return Err(SimError::Batch(format!(
            "a batch plays at most {MAX_RUNS} runs"
        )));
    }
    let shared = shared_preferences(scenario, seed);
    let mut workspace = Workspace::default();
    let mut results = Vec::with_capacity(runs.clone().count().min(1 << 16));
    for index in runs {
        let mut players = make_players(index)?;
        results.push(run_with(
            scenario,
            seed,
            index,
            shared.as_ref(),
            keep_logs,
            &mut workspace,
            &mut players,
        )?);
    }
    Ok(results)
}

/// The summary of a batch whose runs were played elsewhere (`play_runs_with_players` in
/// other processes), given in run order, with their logs written into `options.out_dir` as
/// `simulate` writes them (all at once, or none). The same runs give the same bytes as one
/// process playing them all.
pub fn simulate_from_results(
    scenario: &Scenario,
    options: &BatchOptions,
    results: Vec<RunResult>,
    on_result: &mut dyn FnMut(u64, &RunResult),
) -> Result<Summary, SimError> {
    if results.len() as u64 != options.runs {
        return Err(SimError::Batch(format!(
            "a batch of {} runs was given {} results",
            options.runs,
            results.len()
        )));
    }
    let output = check_batch(scenario, options)?;
    let staging = output.as_ref().map(OutputDirectory::staging);
    let mut totals = Totals::new(scenario.parties.len());
    for (index, mut result) in (0u64..).zip(results) {
        if let Some(directory) = staging {
            let log = result.log.take().ok_or_else(|| {
                SimError::Batch(format!("run {} came without its log", index + 1))
            })?;
            write_run_log(options, directory, index, &log)?;
        }
        totals.add(index, &result)?;
        on_result(index, &result);
    }
    finish_batch(scenario, options, totals, output)
}

/// Plays run `index` of a batch of `scenario` from `seed` on its own, as the batch plays it,
/// with its log, some parties' moves chosen by `players`.
pub fn play_run(
    scenario: &Scenario,
    seed: u64,
    index: u64,
    players: &mut impl Players,
) -> Result<RunResult, SimError> {
    scenario.check_simulable()?;
    let shared = shared_preferences(scenario, seed);
    run_with(
        scenario,
        seed,
        index,
        shared.as_ref(),
        true,
        &mut Workspace::default(),
        players,
    )
}

/// The summary of a batch whose every run is added.
fn summarise(scenario: &Scenario, options: &BatchOptions, totals: Totals) -> Summary {
    assert_eq!(totals.runs, options.runs, "every run is added");
    Summary {
        runs: options.runs,
        seed: options.seed,
        parties: scenario
            .parties
            .iter()
            .map(|party| party.id.to_string())
            .collect(),
        agreement_rate: totals.rounds.count as f64 / options.runs as f64,
        rounds: totals.rounds.mean().map(|mean| RoundSpread {
            mean,
            min: totals.rounds.min as u32,
            max: totals.rounds.max as u32,
        }),
        utilities: totals
            .utilities
            .iter()
            .zip(&totals.utility_medians)
            .map(|(sum, median)| Spread {
                mean: sum.mean().unwrap_or(0.0),
                sd: sum.sd(),
                median: median.median(),
                min: sum.min,
                max: sum.max,
            })
            .collect(),
        pareto_distance: totals.distances.pareto.mean(),
        nash_distance: totals.distances.nash.mean(),
        kalai_smorodinsky_distance: totals.distances.kalai_smorodinsky.mean(),
        max_welfare_distance: totals.distances.max_welfare.mean(),
        releases: totals.releases,
        runs_without_possible_agreement: totals.without_possible_agreement,
        discount_factors: scenario
            .parties
            .iter()
            .map(|party| match &party.preferences {
                crate::sim::domains::scenario::PreferenceSource::Given(given) => given.discount,
                crate::sim::domains::scenario::PreferenceSource::Random { .. } => None,
            })
            .map(|discount| discount.unwrap_or(1.0))
            .collect(),
        outcome: (options.runs == 1)
            .then(|| {
                totals.first_outcome.as_ref().map(|outcome| {
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
    }
}

/// Plays run `index` and writes its log into the output's staging directory, if there is
/// one.
#[allow(clippy::too_many_arguments)]
fn run_and_write(
    scenario: &Scenario,
    options: &BatchOptions,
    staging: Option<&Path>,
    index: u64,
    shared: Option<&Prepared>,
    write_logs: bool,
    workspace: &mut Workspace,
    players: &mut impl Players,
) -> Result<RunResult, SimError> {
    let mut result = run_with(
        scenario,
        options.seed,
        index,
        shared,
        write_logs,
        workspace,
        players,
    )?;
    if let Some(directory) = staging {
        let log = result.log.take().unwrap_or_default();
        write_run_log(options, directory, index, &log)?;
        if options.keep_logs {
            result.log = Some(log);
        } else {
            workspace.reuse_log(log);
        }
    }
    Ok(result)
}

/// Writes run `index`'s log into the batch's staging `directory`.
fn write_run_log(
    options: &BatchOptions,
    directory: &Path,
    index: u64,
    log: &[u8],
) -> Result<(), SimError> {
    let path = directory.join(run_log_name(index));
    crate::files::output::write_in_staging(&path, log).map_err(|error| {
        SimError::io(
            options.out_dir.as_deref().unwrap_or(directory),
            format!("writing {}: {error}", run_log_name(index)),
        )
    })
}

/// A batch's summary, its logs committed from staging (all at once, or none).
fn finish_batch(
    scenario: &Scenario,
    options: &BatchOptions,
    totals: Totals,
    output: Option<OutputDirectory>,
) -> Result<Summary, SimError> {
    let summary = summarise(scenario, options, totals);
    if let Some(output) = output {
        output.commit()?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn median_of(values: &[f64]) -> f64 {
        let mut counts = MedianCounts::default();
        for value in values {
            counts.add(*value);
        }
        counts.median()
    }

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_two_middle_ones() {
        assert_eq!(median_of(&[0.3]), 0.3);
        assert_eq!(median_of(&[0.9, 0.1, 0.5]), 0.5);
        assert_eq!(median_of(&[0.9, 0.1, 0.5, 0.7]), 0.6);
        assert_eq!(median_of(&[0.0, 0.0, 1.0]), 0.0);
        // Any order of the same values gives the same bits.
        assert_eq!(
            median_of(&[0.25, 0.75, 0.5, 0.125]).to_bits(),
            median_of(&[0.125, 0.5, 0.75, 0.25]).to_bits()
        );
        // The order key keeps the order of negative values and zeros too.
        assert_eq!(median_of(&[-1.0, -0.0, 2.0]), 0.0);
        for value in [-2.5, -0.0, 0.0, 1e-300, 0.5, 7.0] {
            assert_eq!(from_order_key(order_key(value)).to_bits(), value.to_bits());
        }
    }

    #[test]
    fn past_the_exact_limit_the_median_comes_from_bins_to_within_one_bin() {
        // More distinct values than are kept exactly: 0, 1/n, 2/n, ... 1.
        let count = MAX_EXACT_MEDIAN_VALUES as u64 * 2 + 1;
        let values: Vec<f64> = (0..count).map(|n| n as f64 / (count - 1) as f64).collect();
        let median = median_of(&values);
        assert!((median - 0.5).abs() <= 1.0 / MEDIAN_BINS as f64, "{median}");
    }

    #[test]
    fn the_standard_deviation_is_the_sample_one() {
        let values = [0.2, 0.4, 0.4, 0.4, 0.5, 0.5, 0.7, 0.9];
        let mut sum = SpreadSum::default();
        for value in values {
            sum.add(value);
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let squares: f64 = values.iter().map(|value| (value - mean).powi(2)).sum();
        let expected = (squares / (values.len() - 1) as f64).sqrt();
        assert!(
            (sum.sd() - expected).abs() < 1e-15,
            "{} {expected}",
            sum.sd()
        );
        let mut one = SpreadSum::default();
        one.add(0.8);
        assert_eq!(one.sd(), 0.0);
        // Equal values deviate by exactly nothing.
        let mut equal = SpreadSum::default();
        for _ in 0..1000 {
            equal.add(0.1);
        }
        assert_eq!(equal.sd(), 0.0);
        assert_eq!(equal.mean(), Some(0.1));
    }
}
