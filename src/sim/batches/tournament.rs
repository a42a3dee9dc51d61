//! Tournaments: every assignment of a set of strategies to the negotiating roles of every
//! domain (with repetition, so a strategy also meets itself, and every role order: both
//! orders for two parties), each played for the same number of seeded runs, and a ranking
//! of the strategies over all of their runs.
//!
//! Domains are taken in the order given, assignments in lexicographic order of strategy
//! indices (the first role varying slowest), runs in run order; every assignment's batch
//! uses the tournament's seed (common random numbers: assignments differ by their
//! strategies only). Each batch is a `batch::simulate`, so the whole is the same for a seed
//! on any number of threads. The ranking comes with each mean's 95% confidence interval,
//! Welch's tests between every two strategies with Holm's correction (`statistics`), and
//! each domain's own ranking.

pub use crate::results::{DomainRanking, PairwiseTest, StrategyRanking, Tournament};

use crate::sim::SimError;
use crate::sim::batches::batch::{
    BatchOptions, DistanceSums, SpreadSum, shared_preferences, simulate_prepared,
};
use crate::sim::batches::pool;
use crate::sim::domains::scenario::Scenario;
use crate::sim::domains::strategies::Strategy;
use crate::sim::protocol::run::{PlayerList, Prepared, RunResult, Workspace, run_with};

/// Most assignments of one tournament: strategies ^ roles over every domain.
pub const MAX_ASSIGNMENTS: u64 = 100_000;

/// What a tournament is asked to do.
pub struct TournamentOptions {
    pub strategies: Vec<String>,
    pub runs: u64,
    pub seed: u64,
    pub threads: usize,
}

/// The strategies' totals over every domain, and per domain.
struct Totals {
    overall: Vec<StrategyTotals>,
    per_domain: Vec<Vec<StrategyTotals>>,
}

impl Totals {
    fn new(strategies: usize, domains: usize) -> Totals {
        let overall = vec![StrategyTotals::default(); strategies];
        Totals {
            per_domain: vec![overall.clone(); domains],
            overall,
        }
    }

    fn add(&mut self, domain: usize, assignment: &[usize], record: &RunRecord) {
        record.add_to(assignment, &mut self.overall);
        record.add_to(assignment, &mut self.per_domain[domain]);
    }
}

#[derive(Default, Clone)]
struct StrategyTotals {
    utility: SpreadSum,
    agreed: u64,
    welfare: SpreadSum,
    distances: DistanceSums,
    rounds: SpreadSum,
}

/// The assignments of `strategies` to `roles` roles, in lexicographic order.
fn assignments(strategies: usize, roles: usize) -> impl Iterator<Item = Vec<usize>> {
    let total = (strategies as u64).pow(roles as u32);
    (0..total).map(move |mut number| {
        let mut assignment = vec![0; roles];
        for role in (0..roles).rev() {
            assignment[role] = (number % strategies as u64) as usize;
            number /= strategies as u64;
        }
        assignment
    })
}

/// How many runs a tournament plays, or why it is too large.
pub fn planned_runs(scenarios: &[Scenario], options: &TournamentOptions) -> Result<u64, SimError> {
    planned_runs_with(scenarios, options, &|_| false)
}

/// `planned_runs`, where the strategies `outside` says are played outside the library
/// (`OutsideStrategies`): their names are labels, not strategy names.
fn planned_runs_with(
    scenarios: &[Scenario],
    options: &TournamentOptions,
    outside: &dyn Fn(usize) -> bool,
) -> Result<u64, SimError> {
    // A strategy given twice (or under two names, `boulware` and `e=0.2`) would be ranked
    // against itself as two.
    let mut parsed: Vec<(&str, crate::sim::domains::strategies::Strategy)> = Vec::new();
    for (index, name) in options.strategies.iter().enumerate() {
        if outside(index) {
            if options.strategies[..index].contains(name) {
                return Err(SimError::Batch(format!(
                    "--strategies names {name} twice; a tournament ranks each strategy once"
                )));
            }
            continue;
        }
        let strategy =
            crate::sim::domains::strategies::Strategy::parse(name).map_err(|source| {
                SimError::UnknownStrategyArgument {
                    argument: "--strategies",
                    source,
                }
            })?;
        if let Some((first, _)) = parsed.iter().find(|(_, seen)| *seen == strategy) {
            return Err(SimError::Batch(if *first == name.as_str() {
                format!("--strategies names {name} twice; a tournament ranks each strategy once")
            } else {
                format!(
                    "--strategies names one strategy twice, as {first} and as {name}; a tournament ranks each strategy once"
                )
            }));
        }
        parsed.push((name, strategy));
    }
    let strategies = options.strategies.len() as u64;
    let mut assignments: u64 = 0;
    for scenario in scenarios {
        let count = u32::try_from(scenario.parties.len())
            .ok()
            .and_then(|roles| strategies.checked_pow(roles))
            .filter(|count| *count <= MAX_ASSIGNMENTS);
        assignments = count
            .and_then(|count| assignments.checked_add(count))
            .filter(|total| *total <= MAX_ASSIGNMENTS)
            .ok_or_else(|| {
                SimError::Batch(format!(
                    "the tournament would play more than {MAX_ASSIGNMENTS} assignments of strategies to roles"
                ))
            })?;
    }
    assignments
        .checked_mul(options.runs)
        .ok_or_else(|| SimError::Batch("the tournament would play too many runs".into()))
}

/// Strategies played outside the library (written in Python, say), beside the built-in
/// ones: each is a `run::Player` in the roles it holds.
pub trait OutsideStrategies {
    /// Whether strategy `index` of `TournamentOptions::strategies` is played outside.
    fn plays(&self, strategy: usize) -> bool;
    /// The players of run `run` of `assignment` on domain `domain`, for the roles whose
    /// strategies are played outside (the others `None`).
    fn players_of_run(
        &mut self,
        domain: usize,
        assignment: &[usize],
        run: u64,
    ) -> Result<PlayerList<'static>, SimError>;
}

/// A tournament's assignments, in the order it plays them: (domain, strategy per role).
pub fn jobs(scenarios: &[Scenario], options: &TournamentOptions) -> Vec<(usize, Vec<usize>)> {
    scenarios
        .iter()
        .enumerate()
        .flat_map(|(domain, scenario)| {
            assignments(options.strategies.len(), scenario.parties.len())
                .map(move |assignment| (domain, assignment))
        })
        .collect()
}

/// Plays the assignments numbered `part` in `jobs(scenarios, options)` (all of them, or a
/// worker process's share), in that order, on the calling thread, with some strategies
/// played `outside`: each assignment's run records, in run order. `ranked_records` ranks
/// the whole.
pub fn play_with_outside(
    scenarios: &[Scenario],
    options: &TournamentOptions,
    outside: &mut dyn OutsideStrategies,
    part: &[usize],
) -> Result<Vec<Vec<RunRecord>>, SimError> {
    check_tournament(scenarios, options, &|strategy| outside.plays(strategy))?;
    let jobs = jobs(scenarios, options);
    if let Some(job) = part.iter().find(|job| **job >= jobs.len()) {
        return Err(SimError::Batch(format!(
            "the tournament has {} assignments, not {}",
            jobs.len(),
            job + 1
        )));
    }
    let prepared = prepared_domains(scenarios, options.seed);
    let mut workspace = Workspace::default();
    let mut played = Vec::with_capacity(part.len());
    for (domain, assignment) in part.iter().map(|job| &jobs[*job]) {
        let scenario = &scenarios[*domain];
        let prepared = prepared[*domain].as_ref();
        if !assignment.iter().any(|strategy| outside.plays(*strategy)) {
            played.push(play_assignment(
                scenario,
                prepared,
                assignment,
                options,
                1,
                &|_| {},
            )?);
            continue;
        }
        // Roles held outside keep the scenario's own strategy, which their players replace.
        let mut scenario = scenario.clone();
        for (party, strategy) in scenario.parties.iter_mut().zip(assignment) {
            if !outside.plays(*strategy) {
                party.strategy = Strategy::parse(&options.strategies[*strategy])?;
            }
        }
        let scenario = &scenario;
        let mut records = Vec::with_capacity(options.runs.min(1 << 16) as usize);
        for run in 0..options.runs {
            let mut players = outside.players_of_run(*domain, assignment, run)?;
            let result = run_with(
                scenario,
                options.seed,
                run,
                prepared,
                false,
                &mut workspace,
                &mut players,
            )?;
            records.push(RunRecord::of(&result));
        }
        played.push(records);
    }
    Ok(played)
}

/// The tournament of every assignment's run records (`play_with_outside`, in job order),
/// ranked as `play` ranks them: the same records give the same bytes.
pub fn ranked_records(
    scenarios: &[Scenario],
    options: &TournamentOptions,
    outside: &dyn Fn(usize) -> bool,
    records: &[Vec<RunRecord>],
) -> Result<Tournament, SimError> {
    let total_runs = check_tournament(scenarios, options, outside)?;
    let jobs = jobs(scenarios, options);
    if records.len() != jobs.len() || records.iter().any(|runs| runs.len() as u64 != options.runs) {
        return Err(SimError::Batch(format!(
            "a tournament of {} assignments of {} runs was given other records",
            jobs.len(),
            options.runs
        )));
    }
    let mut totals = Totals::new(options.strategies.len(), scenarios.len());
    for ((domain, assignment), runs) in jobs.iter().zip(records) {
        for record in runs {
            totals.add(*domain, assignment, record);
        }
    }
    Ok(finish(
        scenarios,
        options,
        totals,
        jobs.len() as u64,
        total_runs,
    ))
}

/// Each domain's preferences ranked and analysed once for all its assignments, where every
/// run shares them: strategies do not change preferences.
fn prepared_domains(scenarios: &[Scenario], seed: u64) -> Vec<Option<Prepared>> {
    scenarios
        .iter()
        .map(|scenario| shared_preferences(scenario, seed))
        .collect()
}

/// What every tournament checks first: strategies and domains to play, and how many runs.
fn check_tournament(
    scenarios: &[Scenario],
    options: &TournamentOptions,
    outside: &dyn Fn(usize) -> bool,
) -> Result<u64, SimError> {
    if options.strategies.is_empty() {
        return Err(SimError::Batch(
            "a tournament needs at least one strategy".into(),
        ));
    }
    if scenarios.is_empty() {
        return Err(SimError::Batch(
            "a tournament needs at least one domain".into(),
        ));
    }
    let total_runs = planned_runs_with(scenarios, options, outside)?;
    for scenario in scenarios {
        scenario.check_simulable()?;
    }
    Ok(total_runs)
}

/// The ranking, the tests and the per-domain rankings of the totals.
fn finish(
    scenarios: &[Scenario],
    options: &TournamentOptions,
    totals: Totals,
    assignments_played: u64,
    total_runs: u64,
) -> Tournament {
    debug_assert_eq!(assignments_played * options.runs, total_runs);
    let ranking = ranked(&options.strategies, &totals.overall);
    let pairwise = pairwise_tests(&ranking);
    let per_domain = scenarios
        .iter()
        .zip(&totals.per_domain)
        .map(|(scenario, totals)| DomainRanking {
            domain: scenario.name.clone(),
            ranking: ranked(&options.strategies, totals),
        })
        .collect();
    Tournament {
        seed: options.seed,
        runs_per_assignment: options.runs,
        domains: scenarios
            .iter()
            .map(|scenario| scenario.name.clone())
            .collect(),
        strategies: options.strategies.clone(),
        assignments: assignments_played,
        total_runs,
        ranking,
        pairwise,
        per_domain,
    }
}

/// Plays the tournament; `progress` hears the runs done so far.
pub fn play(
    scenarios: &[Scenario],
    options: &TournamentOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Tournament, SimError> {
    let total_runs = check_tournament(scenarios, options, &|_| false)?;
    let jobs = jobs(scenarios, options);
    let prepared = prepared_domains(scenarios, options.seed);
    let threads = options
        .threads
        .clamp(1, crate::sim::batches::batch::MAX_THREADS);
    let mut totals = Totals::new(options.strategies.len(), scenarios.len());
    // A batch shares its runs among the threads by chunks of 16; one too short to keep
    // every thread busy is played on one, and the assignments share the threads instead.
    if options.runs >= RUNS_TO_SHARE_A_BATCH * threads as u64 || jobs.len() < 2 || threads == 1 {
        let mut runs_done = 0u64;
        for (domain, assignment) in &jobs {
            let records = play_assignment(
                &scenarios[*domain],
                prepared[*domain].as_ref(),
                assignment,
                options,
                threads,
                &|done| progress(runs_done + done),
            )?;
            for record in &records {
                totals.add(*domain, assignment, record);
            }
            runs_done += options.runs;
        }
    } else {
        play_assignments_together(
            scenarios,
            &prepared,
            &jobs,
            options,
            threads,
            progress,
            &mut totals,
        )?;
    }
    Ok(finish(
        scenarios,
        options,
        totals,
        jobs.len() as u64,
        total_runs,
    ))
}

/// The strategies' figures, best mean utility first (a stable sort: equal means keep the
/// order the strategies were given).
fn ranked(strategies: &[String], totals: &[StrategyTotals]) -> Vec<StrategyRanking> {
    let mut ranking = strategy_rankings(strategies, totals);
    ranking.sort_by(|a, b| b.utility_mean.total_cmp(&a.utility_mean));
    ranking
}

/// Welch's test for every pair of the ranking, in ranking order, Holm-adjusted together.
fn pairwise_tests(ranking: &[StrategyRanking]) -> Vec<PairwiseTest> {
    use crate::sim::batches::statistics::{ALPHA, holm, welch};
    let finite = |value: f64| value.is_finite().then_some(value);
    let mut tests = Vec::new();
    for (index, first) in ranking.iter().enumerate() {
        for second in &ranking[index + 1..] {
            let test = welch(
                (first.utility_mean, first.utility_sd, first.runs),
                (second.utility_mean, second.utility_sd, second.runs),
            );
            tests.push(PairwiseTest {
                first: first.strategy.clone(),
                second: second.strategy.clone(),
                difference: first.utility_mean - second.utility_mean,
                t: test.and_then(|(t, _, _)| finite(t)),
                df: test.and_then(|(_, df, _)| finite(df)),
                p: test.map(|(_, _, p)| p),
                p_holm: None,
                significant: false,
            });
        }
    }
    let tested: Vec<usize> = (0..tests.len())
        .filter(|index| tests[*index].p.is_some())
        .collect();
    let p_values: Vec<f64> = tested.iter().filter_map(|index| tests[*index].p).collect();
    for (index, adjusted) in tested.into_iter().zip(holm(&p_values)) {
        tests[index].p_holm = Some(adjusted);
        tests[index].significant = adjusted < ALPHA;
    }
    tests
}

/// Each strategy's figures, from its totals, in the order the strategies were given.
fn strategy_rankings(strategies: &[String], totals: &[StrategyTotals]) -> Vec<StrategyRanking> {
    strategies
        .iter()
        .zip(totals)
        .map(|(strategy, totals)| {
            let runs = totals.utility.count();
            StrategyRanking {
                strategy: strategy.clone(),
                runs,
                utility_mean: totals.utility.mean().unwrap_or(0.0),
                utility_sd: totals.utility.sd(),
                agreement_rate: if runs == 0 {
                    0.0
                } else {
                    totals.agreed as f64 / runs as f64
                },
                welfare_mean: totals.welfare.mean().unwrap_or(0.0),
                pareto_distance_mean: totals.distances.pareto.mean(),
                nash_distance_mean: totals.distances.nash.mean(),
                kalai_smorodinsky_distance_mean: totals.distances.kalai_smorodinsky.mean(),
                max_welfare_distance_mean: totals.distances.max_welfare.mean(),
                rounds_mean: totals.rounds.mean(),
                utility_ci95: totals
                    .utility
                    .mean()
                    .and_then(|mean| {
                        crate::sim::batches::statistics::mean_interval(
                            mean,
                            totals.utility.sd(),
                            runs,
                        )
                    })
                    .map(|(low, high)| [low, high]),
            }
        })
        .collect()
}

/// Runs a batch needs before it is shared among threads: a chunk of runs per thread.
const RUNS_TO_SHARE_A_BATCH: u64 = 16;

/// Most runs kept waiting for the assignments before them while assignments are played
/// together (about 100 bytes each).
const MAX_WAITING_RUNS: u64 = 1 << 18;

/// What one run adds to the strategies' totals.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub agreed: bool,
    pub rounds: u32,
    pub utilities: Vec<f64>,
    pub distances: crate::sim::analysis::yardstick::Distances,
}

impl RunRecord {
    pub fn of(result: &RunResult) -> RunRecord {
        RunRecord {
            agreed: result.agreed,
            rounds: result.rounds,
            utilities: result.utilities.clone(),
            distances: result.distances,
        }
    }

    fn add_to(&self, assignment: &[usize], totals: &mut [StrategyTotals]) {
        let welfare: f64 = self.utilities.iter().sum();
        for (role, strategy) in assignment.iter().enumerate() {
            let strategy_totals = &mut totals[*strategy];
            strategy_totals.utility.add(self.utilities[role]);
            strategy_totals.welfare.add(welfare);
            if self.agreed {
                strategy_totals.agreed += 1;
                strategy_totals.rounds.add(f64::from(self.rounds));
                strategy_totals.distances.add(&self.distances);
            }
        }
    }
}

/// One assignment's batch, on `threads` threads: its runs' records, in run order.
fn play_assignment(
    scenario: &Scenario,
    prepared: Option<&Prepared>,
    assignment: &[usize],
    options: &TournamentOptions,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<RunRecord>, SimError> {
    let names: Vec<String> = assignment
        .iter()
        .map(|strategy| options.strategies[*strategy].clone())
        .collect();
    let played = scenario.clone().with_overrides(Some(&names), None)?;
    let batch = BatchOptions {
        seed: options.seed,
        runs: options.runs,
        threads,
        out_dir: None,
        keep_logs: false,
        overwrite: false,
    };
    let mut records = Vec::with_capacity(options.runs.min(1 << 16) as usize);
    simulate_prepared(&played, &batch, prepared, progress, &mut |_, result| {
        records.push(RunRecord::of(result))
    })?;
    Ok(records)
}

/// The assignments played side by side, one per thread, each batch on one thread; their
/// records are added to the totals in assignment order, as one after the other would, so
/// the totals are the same bytes. The first assignment (in order) that fails stops the
/// tournament with its error.
fn play_assignments_together(
    scenarios: &[Scenario],
    prepared: &[Option<Prepared>],
    jobs: &[(usize, Vec<usize>)],
    options: &TournamentOptions,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    totals: &mut Totals,
) -> Result<(), SimError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let lookahead = (MAX_WAITING_RUNS / options.runs.max(1)).max(1);
    let runs_done = AtomicU64::new(0);
    let play = |job: u64, (): &mut ()| {
        let (domain, assignment) = &jobs[job as usize];
        let played = play_assignment(
            &scenarios[*domain],
            prepared[*domain].as_ref(),
            assignment,
            options,
            1,
            &|_| {},
        );
        progress(runs_done.fetch_add(options.runs, Ordering::Relaxed) + options.runs);
        played
    };
    let mut add = |job: u64, played: Result<Vec<RunRecord>, SimError>| {
        let (domain, assignment) = &jobs[job as usize];
        for record in &played? {
            totals.add(*domain, assignment, record);
        }
        Ok(())
    };
    pool::run_in_order(
        jobs.len() as u64,
        threads,
        lookahead,
        &|| (),
        &play,
        &mut add,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_cover_every_strategy_in_every_role_in_order() {
        let all: Vec<Vec<usize>> = assignments(3, 2).collect();
        assert_eq!(all.len(), 9);
        assert_eq!(all[0], [0, 0]);
        assert_eq!(all[1], [0, 1]);
        assert_eq!(all[8], [2, 2]);
        assert_eq!(assignments(2, 3).count(), 8);
    }
}
