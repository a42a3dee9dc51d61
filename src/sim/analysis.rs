//! The outcome-space analysis of simulation.md: number of outcomes, Pareto frontier, Nash
//! point, maximum social welfare and opposition level.
//!
//! Spaces of up to `MAX_ENUMERATED_OUTCOMES` outcomes are enumerated. Larger ones are not:
//! for linear additive utilities the maximum welfare is a sum of per-issue maxima, and for
//! two parties the Pareto frontier is built issue by issue, pruning dominated partial
//! outcomes as it goes (a partial outcome dominated now stays dominated whatever is added
//! to it); the Nash point and the opposition level lie on that frontier. What cannot be
//! computed is `None`, with the reason.

use serde::Serialize;

use crate::sim::domain::{Domain, MAX_ENUMERATED_OUTCOMES, Outcome, Preferences};

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
    /// The utility vectors of the outcomes on the frontier (for distances to it).
    pub frontier: Option<Vec<Vec<f64>>>,
    /// Outcomes on the frontier (several outcomes may share a vector).
    pub pareto_size: Option<u128>,
    pub nash: Option<Nash>,
    /// True when the Nash point was looked for and no outcome meets every reservation.
    pub nash_none: bool,
    pub max_welfare: Option<f64>,
    pub opposition: Option<f64>,
    pub reasons: Vec<String>,
}

/// `analyze --json`'s document.
#[derive(Serialize)]
pub struct AnalysisJson {
    pub n_outcomes: Option<u128>,
    pub pareto_size: Option<u128>,
    pub nash: Option<NashJson>,
    pub max_welfare: Option<f64>,
    pub opposition: Option<f64>,
}

#[derive(Serialize)]
pub struct NashJson {
    pub utilities: Vec<f64>,
    pub outcome: std::collections::BTreeMap<String, String>,
}

impl Analysis {
    pub fn to_json(&self, domain: &Domain) -> AnalysisJson {
        AnalysisJson {
            n_outcomes: self.n_outcomes,
            pareto_size: self.pareto_size,
            nash: self.nash.as_ref().map(|nash| NashJson {
                utilities: nash.utilities.clone(),
                outcome: domain
                    .issues
                    .iter()
                    .zip(&nash.outcome)
                    .map(|(issue, option)| {
                        (issue.title.clone(), issue.options[*option].to_string())
                    })
                    .collect(),
            }),
            max_welfare: self.max_welfare,
            opposition: self.opposition,
        }
    }

    /// Euclidean distance from a vector of utilities to the nearest frontier point.
    pub fn distance_to_pareto(&self, utilities: &[f64]) -> Option<f64> {
        self.frontier
            .as_ref()?
            .iter()
            .map(|point| distance(point, utilities))
            .min_by(f64::total_cmp)
    }

    pub fn distance_to_nash(&self, utilities: &[f64]) -> Option<f64> {
        self.nash
            .as_ref()
            .map(|nash| distance(&nash.utilities, utilities))
    }
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
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

/// `analyze`, enumerating only spaces of at most `enumeration_limit` outcomes (tests use a
/// limit of 0 to check the issue-by-issue method against enumeration).
pub fn analyze_with_limit(
    domain: &Domain,
    preferences: &[Preferences],
    enumeration_limit: u128,
) -> Analysis {
    let n_outcomes = domain.outcome_count();
    let max_welfare = Some(max_welfare(domain, preferences));
    let mut analysis = Analysis {
        n_outcomes,
        frontier: None,
        pareto_size: None,
        nash: None,
        nash_none: false,
        max_welfare,
        opposition: None,
        reasons: Vec::new(),
    };
    if n_outcomes.is_none() {
        analysis
            .reasons
            .push("n_outcomes: more than 2^128 outcomes".into());
    }
    match n_outcomes {
        Some(count) if count <= enumeration_limit => enumerate(domain, preferences, &mut analysis),
        _ if preferences.len() == 2 => frontier_by_issues(domain, preferences, &mut analysis),
        _ => analysis.reasons.push(format!(
            "pareto_size, nash, opposition: the outcome space is larger than {MAX_ENUMERATED_OUTCOMES} outcomes and has more than two parties"
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

fn enumerate(domain: &Domain, preferences: &[Preferences], analysis: &mut Analysis) {
    let columns: Vec<Vec<f64>> = preferences.iter().map(Preferences::all_utilities).collect();
    let columns: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let first_order = descending_order(columns[0]);
    let found = frontier_and_nash(domain, preferences, &columns, &first_order);
    analysis.pareto_size = found.pareto_size;
    analysis.frontier = found.frontier;
    analysis.nash_none = found.nash_none;
    analysis.nash = found.nash;
    let maxima: Vec<f64> = columns
        .iter()
        .map(|column| column.iter().copied().fold(f64::MIN, f64::max))
        .collect();
    analysis.opposition = Some(opposition(&columns, &maxima));
}

/// What a run needs to place an agreement: the Pareto frontier and the Nash point (not the
/// opposition level or the welfare, which only `analyze` reports).
pub fn frontier_and_nash(
    domain: &Domain,
    preferences: &[Preferences],
    columns: &[&[f64]],
    first_order: &[u32],
) -> Analysis {
    let on_frontier = frontier_indexes(columns, first_order);
    let vector =
        |index: usize| -> Vec<f64> { columns.iter().map(|column| column[index]).collect() };
    let nash = nash_position(columns, preferences).map(|index| Nash {
        utilities: vector(index),
        outcome: domain.outcome(index as u64),
    });
    Analysis {
        n_outcomes: domain.outcome_count(),
        pareto_size: Some(on_frontier.len() as u128),
        frontier: Some(on_frontier.iter().map(|index| vector(*index)).collect()),
        nash_none: nash.is_none(),
        nash,
        max_welfare: None,
        opposition: None,
        reasons: Vec::new(),
    }
}

/// The outcomes on the Pareto frontier, by index.
fn frontier_indexes(columns: &[&[f64]], first_order: &[u32]) -> Vec<usize> {
    if columns.len() == 2 {
        return frontier_2d(columns[0], columns[1], first_order);
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
    frontier
        .iter()
        .copied()
        .filter(|index| {
            !frontier
                .iter()
                .any(|other| dominates(&vector(*other), &vector(*index)))
        })
        .collect()
}

/// Outcome indexes ordered by descending utility, ties by index (as `Ranking` orders them).
pub fn descending_order(utilities: &[f64]) -> Vec<u32> {
    // A bucket sort: utilities are not negative, so `(largest - u) * factor` maps them, in
    // reverse order, onto the buckets, and monotone float operations keep equal utilities
    // together and better ones in earlier buckets. Each bucket (a handful of outcomes) is
    // then sorted by the exact key: inverted bits (best first), then outcome index.
    let keys: Vec<u64> = utilities
        .iter()
        .map(|utility| !(utility + 0.0).to_bits())
        .collect();
    let largest = utilities.iter().copied().fold(0.0, f64::max);
    let by_key = |index: &u32| (keys[*index as usize], *index);
    if utilities.len() < 64 || largest <= 0.0 || !largest.is_finite() {
        let mut order: Vec<u32> = (0..utilities.len() as u32).collect();
        order.sort_unstable_by_key(by_key);
        return order;
    }
    let buckets = (utilities.len() / 2).next_power_of_two().min(1 << 22);
    let factor = (buckets - 1) as f64 / largest;
    let bucket_of: Vec<u32> = utilities
        .iter()
        .map(|utility| (((largest - utility) * factor) as usize).min(buckets - 1) as u32)
        .collect();
    let mut ends = vec![0u32; buckets];
    for bucket in &bucket_of {
        ends[*bucket as usize] += 1;
    }
    let mut running = 0;
    for end in &mut ends {
        running += *end;
        *end = running;
    }
    // Filled from the back, so each bucket ends in index order.
    let mut order = vec![0u32; utilities.len()];
    let mut next = ends.clone();
    for index in (0..utilities.len()).rev() {
        let bucket = bucket_of[index] as usize;
        next[bucket] -= 1;
        order[next[bucket] as usize] = index as u32;
    }
    let mut start = 0;
    for end in ends {
        let end = end as usize;
        if end - start > 1 {
            order[start..end].sort_unstable_by_key(by_key);
        }
        start = end;
    }
    order
}

/// The outcomes no other outcome dominates, for two parties. `first_order` lists the
/// outcomes by the first party's utility, best first: an outcome stands if its second
/// utility is the largest of its group of equal first utilities and larger than every second
/// utility seen in the groups before.
fn frontier_2d(first: &[f64], second: &[f64], first_order: &[u32]) -> Vec<usize> {
    let mut kept = Vec::new();
    let mut best_second = f64::NEG_INFINITY;
    let mut group_start = 0;
    while group_start < first_order.len() {
        let group_first = first[first_order[group_start] as usize];
        let mut group_end = group_start;
        let mut top = f64::NEG_INFINITY;
        while group_end < first_order.len() && first[first_order[group_end] as usize] == group_first
        {
            top = top.max(second[first_order[group_end] as usize]);
            group_end += 1;
        }
        if top > best_second {
            for index in &first_order[group_start..group_end] {
                if second[*index as usize] == top {
                    kept.push(*index as usize);
                }
            }
            best_second = top;
        }
        group_start = group_end;
    }
    kept
}

/// Two parties, any number of outcomes: the frontier built issue by issue.
fn frontier_by_issues(domain: &Domain, preferences: &[Preferences], analysis: &mut Analysis) {
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
                "pareto_size, nash, opposition: the frontier passes {MAX_FRONTIER_POINTS} points at issue {}",
                issue.id
            ));
            return;
        }
    }
    let vectors: Vec<Vec<f64>> = points.iter().map(|(u1, u2, _, _)| vec![*u1, *u2]).collect();
    analysis.pareto_size = Some(points.iter().map(|(_, _, count, _)| *count).sum());
    let first: Vec<f64> = points.iter().map(|point| point.0).collect();
    let second: Vec<f64> = points.iter().map(|point| point.1).collect();
    let columns = [first.as_slice(), second.as_slice()];
    analysis.nash = nash_position(&columns, preferences).map(|position| Nash {
        utilities: vectors[position].clone(),
        outcome: points[position].3.clone(),
    });
    analysis.nash_none = analysis.nash.is_none();
    let maxima = [preferences[0].best_utility(), preferences[1].best_utility()];
    analysis.opposition = Some(opposition(&columns, &maxima));
    analysis.frontier = Some(vectors);
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
