//! The outcome-space analysis of simulation.md: number of outcomes, Pareto frontier, Nash
//! point, Kalai-Smorodinsky point, maximum social welfare and opposition level.
//!
//! Spaces of up to `MAX_ENUMERATED_OUTCOMES` outcomes are enumerated. Larger ones are not:
//! for linear additive utilities the maximum welfare is a sum of per-issue maxima, and for
//! two parties the Pareto frontier is built issue by issue, pruning dominated partial
//! outcomes as it goes (a partial outcome dominated now stays dominated whatever is added
//! to it); the Nash point and the opposition level lie on that frontier. What cannot be
//! computed is `None`, with the reason.

use serde::Serialize;

use crate::sim::domain::{Domain, MAX_ENUMERATED_OUTCOMES, Outcome, Preferences};
use crate::sim::ranking::Ranking;

/// Most points the issue-by-issue frontier may hold before the analysis gives up on it.
const MAX_FRONTIER_POINTS: usize = 2_000_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Nash {
    pub utilities: Vec<f64>,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub n_outcomes: Option<u128>,
    /// Outcomes on the frontier (several outcomes may share a vector).
    pub pareto_size: Option<u128>,
    pub nash: Option<Nash>,
    /// True when the Nash point was looked for and no outcome meets every reservation.
    pub nash_none: bool,
    /// The Kalai-Smorodinsky point (see `kalai_smorodinsky_position`), in the same shape.
    pub kalai_smorodinsky: Option<Nash>,
    pub max_welfare: Option<f64>,
    pub opposition: Option<f64>,
    /// With `analyze_listing_frontier`: the frontier's points, by the first party's utility
    /// from the highest (then in outcome order). Enumerated, every frontier outcome is one;
    /// issue by issue, each utility vector is one, with the first of its outcomes.
    pub frontier: Option<Vec<Nash>>,
    /// Frontier points listed issue by issue that stand for more than one outcome.
    pub frontier_points_shared: u64,
    pub reasons: Vec<String>,
}

/// `analyze --json`'s document.
#[derive(Serialize)]
pub struct AnalysisJson {
    pub n_outcomes: Option<u128>,
    pub pareto_size: Option<u128>,
    pub nash: Option<NashJson>,
    pub kalai_smorodinsky: Option<NashJson>,
    pub max_welfare: Option<f64>,
    pub opposition: Option<f64>,
    /// Only with `--frontier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frontier: Option<Vec<NashJson>>,
}

#[derive(Serialize)]
pub struct NashJson {
    pub utilities: Vec<f64>,
    pub outcome: std::collections::BTreeMap<String, String>,
}

impl Nash {
    fn to_json(&self, domain: &Domain) -> NashJson {
        NashJson {
            utilities: self.utilities.clone(),
            outcome: domain
                .issues
                .iter()
                .zip(&self.outcome)
                .map(|(issue, option)| (issue.title.clone(), issue.options[*option].to_string()))
                .collect(),
        }
    }
}

impl Analysis {
    pub fn to_json(&self, domain: &Domain) -> AnalysisJson {
        AnalysisJson {
            n_outcomes: self.n_outcomes,
            pareto_size: self.pareto_size,
            nash: self.nash.as_ref().map(|point| point.to_json(domain)),
            kalai_smorodinsky: self
                .kalai_smorodinsky
                .as_ref()
                .map(|point| point.to_json(domain)),
            max_welfare: self.max_welfare,
            opposition: self.opposition,
            frontier: self
                .frontier
                .as_ref()
                .map(|points| points.iter().map(|point| point.to_json(domain)).collect()),
        }
    }
}

/// What an agreement is measured against: the utility vectors of the Pareto frontier and of
/// the Nash point. Built once per set of preferences and refilled in place between runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Yardstick {
    /// Utilities per point.
    pub parties: usize,
    /// The frontier's utility vectors, one after another (`parties` values each).
    pub frontier: Vec<f64>,
    /// The Nash point's utilities; empty when there is none.
    pub nash: Vec<f64>,
}

impl Yardstick {
    /// Euclidean distance from a vector of utilities to the nearest frontier point.
    pub fn distance_to_pareto(&self, utilities: &[f64]) -> Option<f64> {
        debug_assert_eq!(utilities.len(), self.parties);
        self.frontier
            .chunks_exact(self.parties.max(1))
            .map(|point| distance(point, utilities))
            .min_by(f64::total_cmp)
    }

    pub fn distance_to_nash(&self, utilities: &[f64]) -> Option<f64> {
        (!self.nash.is_empty()).then(|| distance(&self.nash, utilities))
    }
}

/// Euclidean distance between two vectors of utilities.
pub fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// `a` dominates `b`: at least as good for everyone, better for someone.
fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y)
}

pub fn analyze(domain: &Domain, preferences: &[Preferences]) -> Analysis {
    analyze_with_limit(domain, preferences, MAX_ENUMERATED_OUTCOMES)
}

/// `analyze`, with the frontier's points listed (`Analysis::frontier`).
pub fn analyze_listing_frontier(domain: &Domain, preferences: &[Preferences]) -> Analysis {
    analyze_with(domain, preferences, MAX_ENUMERATED_OUTCOMES, true)
}

/// `analyze`, enumerating only spaces of at most `enumeration_limit` outcomes (tests use a
/// limit of 0 to check the issue-by-issue method against enumeration).
pub fn analyze_with_limit(
    domain: &Domain,
    preferences: &[Preferences],
    enumeration_limit: u128,
) -> Analysis {
    analyze_with(domain, preferences, enumeration_limit, false)
}

/// `analyze` with both knobs: the enumeration limit, and whether the frontier is listed.
pub fn analyze_with(
    domain: &Domain,
    preferences: &[Preferences],
    enumeration_limit: u128,
    list_frontier: bool,
) -> Analysis {
    let n_outcomes = domain.outcome_count();
    let max_welfare = Some(max_welfare(domain, preferences));
    let mut analysis = Analysis {
        n_outcomes,
        pareto_size: None,
        nash: None,
        nash_none: false,
        kalai_smorodinsky: None,
        max_welfare,
        opposition: None,
        frontier: None,
        frontier_points_shared: 0,
        reasons: Vec::new(),
    };
    if n_outcomes.is_none() {
        analysis
            .reasons
            .push("n_outcomes: more than 2^128 outcomes".into());
    }
    match n_outcomes {
        Some(count) if count <= enumeration_limit => {
            enumerate(domain, preferences, list_frontier, &mut analysis)
        }
        _ if preferences.len() == 2 => {
            frontier_by_issues(domain, preferences, list_frontier, &mut analysis)
        }
        _ => analysis.reasons.push(format!(
            "pareto_size, nash, kalai_smorodinsky, opposition: the outcome space is larger than {MAX_ENUMERATED_OUTCOMES} outcomes and has more than two parties"
        )),
    }
    analysis
}

/// The largest sum of utilities: for additive utilities, the sum over issues of the best
/// option's summed contribution.
fn max_welfare(domain: &Domain, preferences: &[Preferences]) -> f64 {
    let mut total = 0.0;
    for (issue_index, issue) in domain.issues.iter().enumerate() {
        let best = (0..issue.options.len())
            .map(|option| {
                preferences
                    .iter()
                    .map(|prefs| prefs.part(issue_index, option))
                    .sum::<f64>()
            })
            .fold(f64::MIN, f64::max);
        total += best;
    }
    total
}

/// The Nash point among candidates given as columns (`columns[party][candidate]`): the
/// position of the first candidate with the largest product of `u_i - r_i` among those where
/// every `u_i >= r_i`.
fn nash_position(columns: &[&[f64]], preferences: &[Preferences]) -> Option<usize> {
    if let ([first, second], [first_prefs, second_prefs]) = (columns, preferences) {
        return nash_position_2(
            first,
            second,
            first_prefs.reservation,
            second_prefs.reservation,
        );
    }
    let mut best: Option<(f64, usize)> = None;
    for position in 0..columns[0].len() {
        let mut product = 1.0;
        let mut feasible = true;
        for (column, prefs) in columns.iter().zip(preferences) {
            let surplus = column[position] - prefs.reservation;
            if surplus < 0.0 {
                feasible = false;
                break;
            }
            product *= surplus;
        }
        if feasible && best.is_none_or(|(best_product, _)| product > best_product) {
            best = Some((product, position));
        }
    }
    best.map(|(_, position)| position)
}

/// `nash_position` for two parties: the same products (`1.0 * s1 * s2`, so the same bits),
/// in a loop the compiler keeps tight; every run of a simulation does one.
pub fn nash_position_2(
    first: &[f64],
    second: &[f64],
    reservation_first: f64,
    reservation_second: f64,
) -> Option<usize> {
    debug_assert_eq!(first.len(), second.len());
    let product = NashProduct {
        reservation_first,
        reservation_second,
    };
    // One pass in eight independent lanes (lane `j` sees outcomes `j`, `j + 8`, ...), each
    // keeping its largest product and the first block that reached it; the first outcome
    // reaching the largest of all is then the lowest of those lanes' outcomes.
    const LANES: usize = 8;
    let mut lanes = [f64::NEG_INFINITY; LANES];
    let mut reached_in = [0u32; LANES];
    let (first_blocks, second_blocks) = (first.chunks_exact(LANES), second.chunks_exact(LANES));
    let (first_rest, second_rest) = (first_blocks.remainder(), second_blocks.remainder());
    for (block, (firsts, seconds)) in first_blocks.zip(second_blocks).enumerate() {
        let block = block as u32;
        for (((lane, reached), u1), u2) in lanes
            .iter_mut()
            .zip(reached_in.iter_mut())
            .zip(firsts)
            .zip(seconds)
        {
            let value = product.of(*u1, *u2);
            let better = value > *lane;
            *lane = if better { value } else { *lane };
            *reached = if better { block } else { *reached };
        }
    }
    let blocks_end = first.len() - first_rest.len();
    let mut best: Option<(f64, usize)> = None;
    let lane_candidates = lanes
        .iter()
        .zip(reached_in)
        .enumerate()
        .filter(|(_, (value, _))| **value > f64::NEG_INFINITY)
        .map(|(lane, (value, block))| (*value, block as usize * LANES + lane));
    let rest_candidates = first_rest
        .iter()
        .zip(second_rest)
        .enumerate()
        .map(|(offset, (u1, u2))| (product.of(*u1, *u2), blocks_end + offset))
        .filter(|(value, _)| *value > f64::NEG_INFINITY);
    for (value, position) in lane_candidates.chain(rest_candidates) {
        let wins = best.is_none_or(|(best_value, best_position)| {
            value > best_value || (value == best_value && position < best_position)
        });
        if wins {
            best = Some((value, position));
        }
    }
    let found = best.map(|(_, position)| position);
    debug_assert_eq!(found, {
        let largest = (0..first.len())
            .map(|index| product.of(first[index], second[index]))
            .fold(f64::NEG_INFINITY, f64::max);
        product.first_reaching(first, second, largest)
    });
    found
}

/// The two-party Nash product: `1.0 * (u1 - r1) * (u2 - r2)` for an outcome that meets both
/// reservations, -inf for one that does not; one expression wherever it is computed, so the
/// same bits.
#[derive(Clone, Copy)]
struct NashProduct {
    reservation_first: f64,
    reservation_second: f64,
}

impl NashProduct {
    fn of(self, u1: f64, u2: f64) -> f64 {
        let (surplus_first, surplus_second) =
            (u1 - self.reservation_first, u2 - self.reservation_second);
        if surplus_first >= 0.0 && surplus_second >= 0.0 {
            1.0 * surplus_first * surplus_second
        } else {
            f64::NEG_INFINITY
        }
    }

    /// The first outcome whose product is `largest`; none if no outcome meets both
    /// reservations (`largest` is then -inf).
    fn first_reaching(self, first: &[f64], second: &[f64], largest: f64) -> Option<usize> {
        if largest == f64::NEG_INFINITY {
            return None;
        }
        first
            .iter()
            .zip(second)
            .position(|(u1, u2)| self.of(*u1, *u2) == largest)
    }
}

/// The opposition level over candidates given as columns: the least distance from the
/// utilities, each divided by that party's largest utility, to the all-ones vector.
fn opposition(columns: &[&[f64]], maxima: &[f64]) -> f64 {
    (0..columns[0].len())
        .map(|position| {
            columns
                .iter()
                .zip(maxima)
                .map(|(column, max)| {
                    let normalised = if *max > 0.0 {
                        column[position] / max
                    } else {
                        0.0
                    };
                    (normalised - 1.0) * (normalised - 1.0)
                })
                .sum::<f64>()
                .sqrt()
        })
        .fold(f64::INFINITY, f64::min)
}

fn enumerate(
    domain: &Domain,
    preferences: &[Preferences],
    list_frontier: bool,
    analysis: &mut Analysis,
) {
    let rankings: Vec<Ranking> = preferences.iter().map(Ranking::new).collect();
    let columns: Vec<&[f64]> = rankings
        .iter()
        .map(|ranking| ranking.utilities.as_slice())
        .collect();
    let mut yardstick = Yardstick::default();
    let mut scratch = FrontierScratch::default();
    let (pareto_size, nash) = frontier_and_nash(
        preferences,
        &rankings[0],
        &columns,
        &mut scratch,
        &mut yardstick,
    );
    if list_frontier {
        let mut indexes = scratch.kept.clone();
        indexes.sort_by(|a, b| columns[0][*b].total_cmp(&columns[0][*a]).then(a.cmp(b)));
        analysis.frontier = Some(
            indexes
                .into_iter()
                .map(|index| Nash {
                    utilities: columns.iter().map(|column| column[index]).collect(),
                    outcome: domain.outcome(index as u64),
                })
                .collect(),
        );
    }
    analysis.pareto_size = Some(pareto_size as u128);
    analysis.nash_none = nash.is_none();
    analysis.nash = nash.map(|index| Nash {
        utilities: yardstick.nash.clone(),
        outcome: domain.outcome(index as u64),
    });
    analysis.kalai_smorodinsky =
        kalai_smorodinsky_position(&columns, preferences).map(|index| Nash {
            utilities: columns.iter().map(|column| column[index]).collect(),
            outcome: domain.outcome(index as u64),
        });
    let maxima: Vec<f64> = columns
        .iter()
        .map(|column| column.iter().copied().fold(f64::MIN, f64::max))
        .collect();
    analysis.opposition = Some(opposition(&columns, &maxima));
}

/// The Kalai-Smorodinsky point among candidates (`columns[party][candidate]`): among the
/// candidates where every `u_i >= r_i`, the one whose smallest share of its ideal gain,
/// `min_i (u_i - r_i) / (m_i - r_i)` with `m_i` the party's best utility among them (a share
/// of 1 for a party whose best is its reservation), is the largest; ties go to the larger
/// sum of utilities, then to the larger utility of the first party, then to the first
/// candidate. `None` when no candidate meets every reservation. The point lies on the
/// Pareto frontier: an outcome that dominates another has shares at least as large and a
/// larger sum.
fn kalai_smorodinsky_position(columns: &[&[f64]], preferences: &[Preferences]) -> Option<usize> {
    let candidates = columns.first().map_or(0, |column| column.len());
    let feasible = |candidate: usize| {
        columns
            .iter()
            .zip(preferences)
            .all(|(column, prefs)| column[candidate] >= prefs.reservation)
    };
    let mut best = vec![f64::NEG_INFINITY; columns.len()];
    let mut any = false;
    for candidate in (0..candidates).filter(|candidate| feasible(*candidate)) {
        any = true;
        for (party, column) in columns.iter().enumerate() {
            best[party] = best[party].max(column[candidate]);
        }
    }
    if !any {
        return None;
    }
    let share = |candidate: usize| {
        columns
            .iter()
            .zip(preferences)
            .zip(&best)
            .map(|((column, prefs), best)| {
                let range = best - prefs.reservation;
                if range > 0.0 {
                    (column[candidate] - prefs.reservation) / range
                } else {
                    1.0
                }
            })
            .fold(f64::INFINITY, f64::min)
    };
    let welfare = |candidate: usize| columns.iter().map(|column| column[candidate]).sum::<f64>();
    let key = |candidate: usize| (share(candidate), welfare(candidate), columns[0][candidate]);
    let mut chosen: Option<(usize, (f64, f64, f64))> = None;
    for candidate in (0..candidates).filter(|candidate| feasible(*candidate)) {
        let candidate_key = key(candidate);
        let better = chosen.is_none_or(|(_, chosen_key)| {
            candidate_key
                .0
                .total_cmp(&chosen_key.0)
                .then(candidate_key.1.total_cmp(&chosen_key.1))
                .then(candidate_key.2.total_cmp(&chosen_key.2))
                .is_gt()
        });
        if better {
            chosen = Some((candidate, candidate_key));
        }
    }
    chosen.map(|(candidate, _)| candidate)
}

/// Memory `frontier_and_nash` reuses between runs.
#[derive(Clone, Debug, Default)]
pub struct FrontierScratch {
    kept: Vec<usize>,
    candidates: Vec<u32>,
}

/// What a run needs to place an agreement: fills `yardstick` with the Pareto frontier and
/// the Nash point of the outcomes in `columns` (`columns[party][outcome]`, the first
/// party's column ranked by `first`) and returns the frontier's size and the Nash outcome.
pub fn frontier_and_nash(
    preferences: &[Preferences],
    first: &Ranking,
    columns: &[&[f64]],
    scratch: &mut FrontierScratch,
    yardstick: &mut Yardstick,
) -> (usize, Option<usize>) {
    debug_assert_eq!(columns.len(), preferences.len());
    debug_assert!(columns[0] == first.utilities.as_slice());
    let frontier = &mut scratch.kept;
    frontier_indexes(columns, first, frontier, &mut scratch.candidates);
    yardstick.parties = columns.len();
    yardstick.frontier.clear();
    for index in frontier.iter() {
        yardstick
            .frontier
            .extend(columns.iter().map(|column| column[*index]));
    }
    let nash = match (columns, preferences) {
        ([first, second], [first_prefs, second_prefs]) => {
            let product = NashProduct {
                reservation_first: first_prefs.reservation,
                reservation_second: second_prefs.reservation,
            };
            // The largest product lies on the frontier: an outcome that dominates another
            // meets every reservation it meets and has a product at least as large (float
            // subtraction and multiplication are monotone). So only the first outcome to
            // reach it is looked for among all.
            let largest = frontier
                .iter()
                .map(|index| product.of(first[*index], second[*index]))
                .fold(f64::NEG_INFINITY, f64::max);
            debug_assert_eq!(
                nash_position_2(
                    first,
                    second,
                    product.reservation_first,
                    product.reservation_second
                ),
                product.first_reaching(first, second, largest)
            );
            product.first_reaching(first, second, largest)
        }
        _ => nash_position(columns, preferences),
    };
    yardstick.nash.clear();
    if let Some(index) = nash {
        yardstick
            .nash
            .extend(columns.iter().map(|column| column[index]));
    }
    (frontier.len(), nash)
}

/// The outcomes on the Pareto frontier, by index, into `kept`.
fn frontier_indexes(
    columns: &[&[f64]],
    first: &Ranking,
    kept: &mut Vec<usize>,
    candidates: &mut Vec<u32>,
) {
    kept.clear();
    if columns.len() == 2 {
        first.frontier_with(columns[1], kept, candidates);
        return;
    }
    let vector =
        |index: usize| -> Vec<f64> { columns.iter().map(|column| column[index]).collect() };
    // By descending sum, each outcome checked against the frontier so far; a dominating
    // outcome has a larger exact sum, and a last pass covers float sums that tie.
    let sum = |index: usize| columns.iter().map(|column| column[index]).sum::<f64>();
    let mut order: Vec<usize> = (0..columns[0].len()).collect();
    order.sort_by(|a, b| sum(*b).total_cmp(&sum(*a)).then(a.cmp(b)));
    let mut frontier: Vec<usize> = Vec::new();
    for index in order {
        if !frontier
            .iter()
            .any(|kept| dominates(&vector(*kept), &vector(index)))
        {
            frontier.push(index);
        }
    }
    kept.extend(frontier.iter().copied().filter(|index| {
        !frontier
            .iter()
            .any(|other| dominates(&vector(*other), &vector(*index)))
    }));
}

/// Two parties, any number of outcomes: the frontier built issue by issue.
fn frontier_by_issues(
    domain: &Domain,
    preferences: &[Preferences],
    list_frontier: bool,
    analysis: &mut Analysis,
) {
    // (u1, u2, outcomes with exactly these utilities, one such outcome's prefix)
    let mut points: Vec<(f64, f64, u128, Vec<usize>)> = vec![(0.0, 0.0, 1, Vec::new())];
    for (issue_index, issue) in domain.issues.iter().enumerate() {
        let mut next = Vec::with_capacity(points.len() * issue.options.len());
        for (u1, u2, count, prefix) in &points {
            for option in 0..issue.options.len() {
                let mut outcome = prefix.clone();
                outcome.push(option);
                next.push((
                    u1 + preferences[0].part(issue_index, option),
                    u2 + preferences[1].part(issue_index, option),
                    *count,
                    outcome,
                ));
            }
        }
        points = pareto_2d(next);
        if points.len() > MAX_FRONTIER_POINTS {
            analysis.reasons.push(format!(
                "pareto_size, nash, kalai_smorodinsky, opposition: the frontier passes {MAX_FRONTIER_POINTS} points at issue {}",
                issue.id
            ));
            return;
        }
    }
    analysis.pareto_size = Some(points.iter().map(|(_, _, count, _)| *count).sum());
    if list_frontier {
        // Sorted by u1 descending already (`pareto_2d`).
        analysis.frontier_points_shared =
            points.iter().filter(|(_, _, count, _)| *count > 1).count() as u64;
        analysis.frontier = Some(
            points
                .iter()
                .map(|(u1, u2, _, outcome)| Nash {
                    utilities: vec![*u1, *u2],
                    outcome: outcome.clone(),
                })
                .collect(),
        );
    }
    let first: Vec<f64> = points.iter().map(|point| point.0).collect();
    let second: Vec<f64> = points.iter().map(|point| point.1).collect();
    let columns = [first.as_slice(), second.as_slice()];
    analysis.nash = nash_position(&columns, preferences).map(|position| Nash {
        utilities: vec![first[position], second[position]],
        outcome: points[position].3.clone(),
    });
    analysis.nash_none = analysis.nash.is_none();
    // The frontier holds the point: see `kalai_smorodinsky_position`. Among points with
    // equal utilities, the frontier keeps the first outcome, as enumeration would choose.
    analysis.kalai_smorodinsky =
        kalai_smorodinsky_position(&columns, preferences).map(|position| Nash {
            utilities: vec![first[position], second[position]],
            outcome: points[position].3.clone(),
        });
    let maxima = [preferences[0].best_utility(), preferences[1].best_utility()];
    analysis.opposition = Some(opposition(&columns, &maxima));
}

/// The non-dominated points of a set in two dimensions, equal points merged (their counts
/// added, the first outcome kept). Sorted by u1 descending.
fn pareto_2d(mut points: Vec<(f64, f64, u128, Vec<usize>)>) -> Vec<(f64, f64, u128, Vec<usize>)> {
    points.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.3.cmp(&b.3))
    });
    let mut kept: Vec<(f64, f64, u128, Vec<usize>)> = Vec::new();
    let mut best_u2 = f64::NEG_INFINITY;
    let mut index = 0;
    while index < points.len() {
        // A group of equal u1: only its largest u2 can stand, and only above every u2 seen
        // at a larger u1.
        let u1 = points[index].0;
        let group_end = index
            + points[index..]
                .iter()
                .take_while(|point| point.0 == u1)
                .count();
        let top_u2 = points[index].1;
        if top_u2 > best_u2 {
            let mut merged = points[index].clone();
            merged.2 = points[index..group_end]
                .iter()
                .filter(|point| point.1 == top_u2)
                .map(|point| point.2)
                .sum();
            kept.push(merged);
            best_u2 = top_u2;
        }
        index = group_end;
    }
    kept
}
