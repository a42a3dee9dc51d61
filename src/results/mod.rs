//! The documents a simulation, a tournament and an analysis write (`--json`, `--per-run`),
//! as types: `sim` makes and writes them, the report (`views::report`) reads them back. One
//! type for both sides, so a page cannot read a field the simulator no longer writes.
//!
//! Below `views` and `sim` in the crate's layers, and uses neither.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A simulation batch's result: `simulate --json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub runs: u64,
    pub seed: u64,
    pub parties: Vec<String>,
    pub agreement_rate: f64,
    /// Of the runs that agreed.
    pub rounds: Option<RoundSpread>,
    pub utilities: Vec<Spread>,
    /// Means over the runs that agreed, of the distances of `yardstick::Distances`.
    pub pareto_distance: Option<f64>,
    pub nash_distance: Option<f64>,
    pub kalai_smorodinsky_distance: Option<f64>,
    pub max_welfare_distance: Option<f64>,
    pub releases: u64,
    /// Runs in which no outcome was worth every party's reservation value: no agreement
    /// was possible, whatever the strategies.
    #[serde(default)]
    pub runs_without_possible_agreement: u64,
    /// Per party, in `parties` order: the discount factor of its profile (1 for none).
    /// Utilities are discounted by it to the agreement's relative time.
    #[serde(default)]
    pub discount_factors: Vec<f64>,
    /// Only when runs = 1: ISSUE title -> option.
    pub outcome: Option<BTreeMap<String, String>>,
}

/// Rounds to agreement, over the runs that agreed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RoundSpread {
    pub mean: f64,
    pub min: u32,
    pub max: u32,
}

/// A party's utilities over a batch (0 for a run without agreement).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Spread {
    pub mean: f64,
    /// The sample standard deviation (divided by runs - 1); 0 for one run.
    pub sd: f64,
    /// The middle value (the mean of the two middle ones for an even count): exact while
    /// the party's utilities take few distinct values, read from fine bins past that (see
    /// `sim::batches::batch::MedianCounts`).
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// One run of a batch, as `simulate --per-run FILE.jsonl` writes it (its keys in order).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunRow {
    pub agreement: bool,
    pub kalai_smorodinsky_distance: Option<f64>,
    pub max_welfare_distance: Option<f64>,
    pub nash_distance: Option<f64>,
    /// Only for a run that agreed: issue id -> option.
    pub outcome: Option<BTreeMap<String, String>>,
    pub pareto_distance: Option<f64>,
    pub released: u64,
    pub round: u32,
    /// Counted from 1.
    pub run: u64,
    pub seed: u64,
    /// Party id -> utility (0 for a run without agreement).
    pub utilities: BTreeMap<String, f64>,
}

/// One strategy's figures over every run it played, in any role of any domain.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StrategyRanking {
    pub strategy: String,
    /// Runs it took part in, counted once per role it held.
    pub runs: u64,
    pub utility_mean: f64,
    pub utility_sd: f64,
    pub agreement_rate: f64,
    /// The mean sum of every party's utilities in its runs.
    pub welfare_mean: f64,
    /// Means over its runs that agreed; `None` when none did.
    pub pareto_distance_mean: Option<f64>,
    pub nash_distance_mean: Option<f64>,
    pub kalai_smorodinsky_distance_mean: Option<f64>,
    pub max_welfare_distance_mean: Option<f64>,
    pub rounds_mean: Option<f64>,
    /// The 95% confidence interval of `utility_mean` (`sim::batches::statistics`); `None`
    /// under two runs. Absent from results saved before it existed.
    #[serde(default)]
    pub utility_ci95: Option<[f64; 2]>,
}

/// Welch's t-test of the difference between two strategies' mean utilities, `first`
/// ranked above `second`, with Holm's adjustment over every pair of the tournament.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PairwiseTest {
    pub first: String,
    pub second: String,
    /// `first`'s mean utility minus `second`'s.
    pub difference: f64,
    /// The statistic and its degrees of freedom; `None` where infinite (neither sample
    /// spreads) or where there is no test (a sample of fewer than two).
    pub t: Option<f64>,
    pub df: Option<f64>,
    /// The two-sided p-value and Holm's adjustment of it; `None` without a test.
    pub p: Option<f64>,
    pub p_holm: Option<f64>,
    /// Whether `p_holm` is below 0.05.
    pub significant: bool,
}

/// One domain's ranking: the strategies' figures over the runs of that domain only.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DomainRanking {
    pub domain: String,
    pub ranking: Vec<StrategyRanking>,
}

/// A tournament's result: the ranking (best mean utility first; ties in the order the
/// strategies were given), the tests between its strategies, each domain's ranking, and
/// what was played.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Tournament {
    pub seed: u64,
    pub runs_per_assignment: u64,
    pub domains: Vec<String>,
    pub strategies: Vec<String>,
    pub assignments: u64,
    pub total_runs: u64,
    pub ranking: Vec<StrategyRanking>,
    /// Every pair of strategies, in ranking order (the first with each below it, then the
    /// second, ...). Absent from results saved before it existed.
    #[serde(default)]
    pub pairwise: Vec<PairwiseTest>,
    /// Per domain, in the order given.
    #[serde(default)]
    pub per_domain: Vec<DomainRanking>,
}

/// `analyze --json`'s document.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AnalysisJson {
    pub n_outcomes: Option<u128>,
    pub pareto_size: Option<u128>,
    pub nash: Option<PointJson>,
    pub kalai_smorodinsky: Option<PointJson>,
    pub max_welfare: Option<f64>,
    pub max_welfare_point: Option<PointJson>,
    pub opposition: Option<f64>,
    /// Only with `--frontier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frontier: Option<Vec<PointJson>>,
}

/// A point of the outcome space: each party's utility, and the outcome by issue title.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PointJson {
    pub utilities: Vec<f64>,
    pub outcome: BTreeMap<String, String>,
}
