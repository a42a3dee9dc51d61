//! The outcome-space analysis of simulation.md: number of outcomes, Pareto frontier, Nash
//! point, Kalai-Smorodinsky point, maximum social welfare and its outcome, opposition level.
//!
//! **Every comparison is exact.** Utilities are integer numerators over a per-party
//! denominator (`sim::exact`), so dominance, frontier membership, the Nash product, the
//! Kalai-Smorodinsky shares and every tie are decided as the definitions say, whatever the
//! order of the sums; utilities are rounded to the nearest double only to be shown.
//!
//! The maximum welfare is a sum of per-issue maxima (utilities are additive). For two
//! parties the Pareto frontier is built issue by issue, pruning dominated partial outcomes
//! as it goes (a partial outcome dominated now stays dominated whatever is added to it),
//! whatever the size of the space; it is enumerated only to be listed outcome by outcome,
//! or if the issue-by-issue frontier grows past `MAX_FRONTIER_POINTS`. For three parties or
//! more, spaces of up to `MAX_ENUMERATED_OUTCOMES` outcomes are enumerated.
//! The Nash and Kalai-Smorodinsky points and the opposition level lie on the frontier, so
//! they are looked for among its points. What cannot be computed is `None`, with the reason.

pub use crate::results::{AnalysisJson, PointJson};
use std::cmp::Ordering;
use std::collections::BTreeMap;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

use crate::sim::analysis::exact::{ExactParties, ExactParty, Numerator, compare_fractions};
use crate::sim::domains::decimal::nearest_double;
use crate::sim::domains::preferences::{Domain, MAX_ENUMERATED_OUTCOMES, Outcome, Preferences};

/// Most points the issue-by-issue frontier may hold before the analysis gives up on it.
const MAX_FRONTIER_POINTS: usize = 2_000_000;

/// A point of the outcome space: an outcome and its utilities, one per party, each the
/// nearest double to the exact utility.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub utilities: Vec<f64>,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub n_outcomes: Option<u128>,
    /// Outcomes on the frontier (several outcomes may share a vector).
    pub pareto_size: Option<u128>,
    pub nash: Option<Point>,
    /// True when the Nash point was looked for and no outcome meets every reservation.
    pub nash_none: bool,
    /// The Kalai-Smorodinsky point (see `kalai_smorodinsky`).
    pub kalai_smorodinsky: Option<Point>,
    /// The largest sum of utilities (the nearest double to the exact sum).
    pub max_welfare: Option<f64>,
    /// The first outcome, in outcome order, whose utilities sum to the maximum welfare.
    pub max_welfare_point: Option<Point>,
    pub opposition: Option<f64>,
    /// With `list_frontier`: the frontier's points, by the first party's utility from the
    /// highest (then in outcome order). Enumerated, every frontier outcome is one; issue by
    /// issue, each utility vector is one, with the first of its outcomes.
    pub frontier: Option<Vec<Point>>,
    /// Frontier points listed issue by issue that stand for more than one outcome.
    pub frontier_points_shared: u64,
    pub reasons: Vec<String>,
}

impl Point {
    fn to_json(&self, domain: &Domain) -> PointJson {
        PointJson {
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
        let point = |point: &Option<Point>| point.as_ref().map(|point| point.to_json(domain));
        AnalysisJson {
            n_outcomes: self.n_outcomes,
            pareto_size: self.pareto_size,
            nash: point(&self.nash),
            kalai_smorodinsky: point(&self.kalai_smorodinsky),
            max_welfare: self.max_welfare,
            max_welfare_point: point(&self.max_welfare_point),
            opposition: self.opposition,
            frontier: self
                .frontier
                .as_ref()
                .map(|points| points.iter().map(|point| point.to_json(domain)).collect()),
        }
    }
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
    let mut analysis = Analysis {
        n_outcomes,
        pareto_size: None,
        nash: None,
        nash_none: false,
        kalai_smorodinsky: None,
        max_welfare: None,
        max_welfare_point: None,
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
    if preferences.is_empty()
        || domain.issues.is_empty()
        || domain.issues.iter().any(|issue| issue.options.is_empty())
    {
        analysis.reasons.push(
            "every figure but n_outcomes: no parties, no issues, or an issue without options"
                .into(),
        );
        return analysis;
    }
    let nonlinear = preferences
        .iter()
        .filter(|prefs| prefs.rectangles.is_some())
        .count();
    if nonlinear == preferences.len() {
        crate::sim::analysis::rectangles::answer(domain, preferences, list_frontier, &mut analysis);
        return analysis;
    }
    if nonlinear > 0 {
        analysis.reasons.push(
            "every figure but n_outcomes: some parties' preferences are nonlinear and some linear"
                .into(),
        );
        return analysis;
    }
    if !preferences
        .iter()
        .all(|prefs| fits_the_domain(prefs, domain))
    {
        analysis.reasons.push(
            "every figure but n_outcomes: a party's preferences do not name every issue and option of the domain"
                .into(),
        );
        return analysis;
    }
    let request = Request {
        domain,
        enumeration_limit,
        list_frontier,
    };
    match ExactParties::of(preferences) {
        Ok(ExactParties::Small(parties)) => request.answer(&parties, &mut analysis),
        Ok(ExactParties::Big(parties)) => request.answer(&parties, &mut analysis),
        Err(reason) => analysis.reasons.push(format!("every figure: {reason}")),
    }
    analysis
}

/// One weight per issue and one value (and evaluation, if written) per option.
fn fits_the_domain(preferences: &Preferences, domain: &Domain) -> bool {
    let options: Vec<usize> = domain
        .issues
        .iter()
        .map(|issue| issue.options.len())
        .collect();
    let shaped = |table: &[Vec<f64>]| {
        table.len() == options.len()
            && table
                .iter()
                .zip(&options)
                .all(|(row, count)| row.len() == *count)
    };
    preferences.weights.len() == options.len()
        && shaped(&preferences.values)
        && preferences
            .written
            .evaluations
            .as_ref()
            .is_none_or(|evaluations| shaped(evaluations))
        && preferences
            .written
            .reservation_outcome
            .as_ref()
            .is_none_or(|outcome| {
                outcome.len() == options.len()
                    && outcome
                        .iter()
                        .zip(&options)
                        .all(|(option, count)| option < count)
            })
}

struct Request<'a> {
    domain: &'a Domain,
    enumeration_limit: u128,
    list_frontier: bool,
}

/// A frontier point in exact arithmetic: numerators per party, the first of its outcomes in
/// outcome order, and how many outcomes have exactly these utilities.
#[derive(Clone, Debug)]
struct ExactPoint<N> {
    utilities: Vec<N>,
    outcome: Outcome,
    count: u128,
}

impl Request<'_> {
    fn answer<N: Numerator>(&self, parties: &[ExactParty<N>], analysis: &mut Analysis) {
        let welfare = Welfare::of(parties);
        let (max_welfare, welfare_outcome) = welfare.maximum(parties);
        analysis.max_welfare = Some(max_welfare);
        analysis.max_welfare_point = Some(rounded_point(parties, &welfare_outcome));
        let Some(mut frontier) = self.frontier(parties, analysis) else {
            return;
        };
        // From here on, points go in outcome order: every "first" below means the first
        // outcome.
        frontier.sort_by(|a, b| a.outcome.cmp(&b.outcome));
        analysis.pareto_size = Some(frontier.iter().map(|point| point.count).sum());
        let candidates = candidates(parties, &welfare, &frontier);
        analysis.nash =
            nash_index(&candidates).map(|index| rounded_point(parties, &frontier[index].outcome));
        analysis.nash_none = analysis.nash.is_none();
        analysis.kalai_smorodinsky = kalai_smorodinsky_index(&candidates, parties.len())
            .map(|index| rounded_point(parties, &frontier[index].outcome));
        analysis.opposition = Some(opposition(parties, &frontier));
        if self.list_frontier {
            analysis.frontier_points_shared =
                frontier.iter().filter(|point| point.count > 1).count() as u64;
            let mut listed: Vec<&ExactPoint<N>> = frontier.iter().collect();
            listed.sort_by(|a, b| {
                b.utilities[0]
                    .cmp(&a.utilities[0])
                    .then_with(|| a.outcome.cmp(&b.outcome))
            });
            analysis.frontier = Some(
                listed
                    .into_iter()
                    .map(|point| rounded_point(parties, &point.outcome))
                    .collect(),
            );
        }
    }

    /// The frontier's points, enumerated (one per outcome) or, for two parties, built issue
    /// by issue (one per utility vector); `None`, with the reason, when neither fits.
    fn frontier<N: Numerator>(
        &self,
        parties: &[ExactParty<N>],
        analysis: &mut Analysis,
    ) -> Option<Vec<ExactPoint<N>>> {
        let enumerable = analysis.n_outcomes.is_some_and(|count| {
            count <= self.enumeration_limit
                && count.saturating_mul(parties.len() as u128) <= N::ENUMERATION_LIMIT
        });
        let figures = "pareto_size, nash, kalai_smorodinsky, opposition";
        // Two parties: issue by issue gives the same figures without enumerating (4,000,000
        // outcomes: milliseconds against seconds); listing the frontier outcome by outcome
        // takes the enumeration.
        if parties.len() == 2 && !(enumerable && self.list_frontier) {
            match frontier_by_issues(parties) {
                Ok(points) => return Some(points),
                Err(_) if enumerable => {}
                Err(issue) => {
                    analysis.reasons.push(format!(
                        "{figures}: the frontier passes {MAX_FRONTIER_POINTS} points at issue {}",
                        self.domain.issues[issue].id
                    ));
                    return None;
                }
            }
        }
        if enumerable {
            return Some(enumerated_frontier(self.domain, parties));
        }
        analysis.reasons.push(format!(
            "{figures}: the outcome space has more than {} outcomes (or {} utilities for {} parties) and more than two parties",
            MAX_ENUMERATED_OUTCOMES.min(self.enumeration_limit),
            N::ENUMERATION_LIMIT,
            parties.len()
        ));
        None
    }
}

/// An outcome with each party's utility rounded to the nearest double.
fn rounded_point<N: Numerator>(parties: &[ExactParty<N>], outcome: &Outcome) -> Point {
    Point {
        utilities: parties
            .iter()
            .map(|party| party.to_f64(&party.utility(outcome)))
            .collect(),
        outcome: outcome.clone(),
    }
}

/// Sums of utilities in exact arithmetic: party `p`'s numerator times `scales[p]` is over
/// the common `denominator`.
struct Welfare {
    denominator: BigInt,
    scales: Vec<BigInt>,
}

impl Welfare {
    fn of<N: Numerator>(parties: &[ExactParty<N>]) -> Welfare {
        let denominator = parties.iter().fold(BigInt::one(), |common, party| {
            common.lcm(&party.denominator)
        });
        let scales = parties
            .iter()
            .map(|party| &denominator / &party.denominator)
            .collect();
        Welfare {
            denominator,
            scales,
        }
    }

    /// The numerator of a sum of numerators, one per party.
    fn sum<'a, N: Numerator + 'a>(&self, numerators: impl Iterator<Item = &'a N>) -> BigInt {
        numerators
            .zip(&self.scales)
            .map(|(numerator, scale)| numerator.to_big() * scale)
            .sum()
    }

    /// The maximum welfare and the first outcome reaching it: utilities are additive, so
    /// each issue's option with the largest summed contribution, the first of equal ones.
    fn maximum<N: Numerator>(&self, parties: &[ExactParty<N>]) -> (f64, Outcome) {
        let mut total = <BigInt as Zero>::zero();
        let mut outcome = Vec::with_capacity(parties[0].parts.len());
        for issue in 0..parties[0].parts.len() {
            let mut best: Option<(BigInt, usize)> = None;
            for option in 0..parties[0].parts[issue].len() {
                let value = self.sum(parties.iter().map(|party| &party.parts[issue][option]));
                if best.as_ref().is_none_or(|(largest, _)| value > *largest) {
                    best = Some((value, option));
                }
            }
            let (value, option) = best.expect("every issue has an option (scenarios are checked)");
            total += value;
            outcome.push(option);
        }
        (nearest_double(&total, &self.denominator), outcome)
    }
}

/// Every outcome's utilities, and the outcomes no other dominates (at least as good for
/// every party, better for one).
fn enumerated_frontier<N: Numerator>(
    domain: &Domain,
    parties: &[ExactParty<N>],
) -> Vec<ExactPoint<N>> {
    let columns: Vec<Vec<N>> = parties.iter().map(ExactParty::all_utilities).collect();
    let count = columns[0].len();
    // Lexicographically descending vectors: whatever dominates an outcome comes before it.
    let mut order: Vec<u32> = (0..count as u32).collect();
    order.sort_unstable_by(|a, b| {
        columns
            .iter()
            .map(|column| column[*b as usize].cmp(&column[*a as usize]))
            .find(|ordering| ordering.is_ne())
            .unwrap_or(Ordering::Equal)
            .then(a.cmp(b))
    });
    let same = |a: u32, b: u32| {
        columns
            .iter()
            .all(|column| column[a as usize] == column[b as usize])
    };
    let mut kept: Vec<u32> = Vec::new();
    let mut staircase: BTreeMap<N, N> = BTreeMap::new();
    let mut start = 0;
    while start < order.len() {
        // A run of equal vectors stands or falls together: none dominates another.
        let end = start
            + order[start..]
                .iter()
                .take_while(|index| same(**index, order[start]))
                .count();
        let index = order[start] as usize;
        let dominated = match columns.as_slice() {
            // Every earlier vector has a larger or equal first utility and differs, so it
            // dominates exactly when its second utility is at least as large: the first
            // earlier one has the largest second utility among those with its first.
            [_, second] => staircase_dominates(&mut staircase, &second[index], &N::zero(), true),
            [_, second, third] => {
                staircase_dominates(&mut staircase, &second[index], &third[index], false)
            }
            _ => kept
                .iter()
                .any(|other| dominates_exactly(&columns, *other as usize, index)),
        };
        if !dominated {
            kept.extend_from_slice(&order[start..end]);
        }
        start = end;
    }
    kept.sort_unstable();
    let mut outcome = Vec::new();
    kept.into_iter()
        .map(|index| {
            domain.outcome_into(u64::from(index), &mut outcome);
            ExactPoint {
                utilities: columns
                    .iter()
                    .map(|column| column[index as usize].clone())
                    .collect(),
                outcome: outcome.clone(),
                count: 1,
            }
        })
        .collect()
}

/// `a` dominates `b` (outcome indexes into `columns`).
fn dominates_exactly<N: Numerator>(columns: &[Vec<N>], a: usize, b: usize) -> bool {
    columns.iter().all(|column| column[a] >= column[b])
        && columns.iter().any(|column| column[a] > column[b])
}

/// For vectors taken in lexicographically descending order: whether an earlier vector, with
/// its first utility at least as large and differing, has `(second, third)` at least as
/// large as this one's (so dominates it); if not, this one joins the staircase. The
/// staircase keeps the maximal `(second, third)` pairs seen, by second ascending, so by
/// third descending: the first pair with second at least as large has the largest third
/// among them. With `two_parties`, thirds are all zero and only seconds count.
fn staircase_dominates<N: Numerator>(
    staircase: &mut BTreeMap<N, N>,
    second: &N,
    third: &N,
    two_parties: bool,
) -> bool {
    if let Some((_, largest_third)) = staircase.range(second.clone()..).next()
        && (two_parties || largest_third >= third)
    {
        return true;
    }
    // Pairs with second at most this one's and third at most this one's are covered now.
    let covered: Vec<N> = staircase
        .range(..=second.clone())
        .rev()
        .take_while(|(_, existing_third)| *existing_third <= third)
        .map(|(existing_second, _)| existing_second.clone())
        .collect();
    for key in covered {
        staircase.remove(&key);
    }
    staircase.insert(second.clone(), third.clone());
    false
}

/// Two parties, any number of outcomes: the frontier built issue by issue, one point per
/// utility vector. `Err` with the issue where it passes `MAX_FRONTIER_POINTS`.
fn frontier_by_issues<N: Numerator>(
    parties: &[ExactParty<N>],
) -> Result<Vec<ExactPoint<N>>, usize> {
    let (first, second) = (&parties[0], &parties[1]);
    let mut points = vec![ExactPoint {
        utilities: vec![N::zero(), N::zero()],
        outcome: Vec::new(),
        count: 1,
    }];
    for issue in 0..first.parts.len() {
        let options = first.parts[issue].len();
        let mut next = Vec::with_capacity(points.len() * options);
        for point in &points {
            for option in 0..options {
                let mut outcome = point.outcome.clone();
                outcome.push(option);
                next.push(ExactPoint {
                    utilities: vec![
                        point.utilities[0].plus(&first.parts[issue][option]),
                        point.utilities[1].plus(&second.parts[issue][option]),
                    ],
                    outcome,
                    count: point.count,
                });
            }
        }
        points = pareto_2d(next);
        if points.len() > MAX_FRONTIER_POINTS {
            return Err(issue);
        }
    }
    Ok(points)
}

/// The non-dominated points of a set in two dimensions, equal points merged (their counts
/// added, the first outcome kept).
fn pareto_2d<N: Numerator>(mut points: Vec<ExactPoint<N>>) -> Vec<ExactPoint<N>> {
    points.sort_by(|a, b| {
        b.utilities[0]
            .cmp(&a.utilities[0])
            .then_with(|| b.utilities[1].cmp(&a.utilities[1]))
            .then_with(|| a.outcome.cmp(&b.outcome))
    });
    let mut kept: Vec<ExactPoint<N>> = Vec::new();
    let mut best_second: Option<N> = None;
    let mut index = 0;
    while index < points.len() {
        // A group of equal first utilities: only its largest second can stand, and only
        // above every second seen at a larger first.
        let group_end = index
            + points[index..]
                .iter()
                .take_while(|point| point.utilities[0] == points[index].utilities[0])
                .count();
        let top = &points[index].utilities[1];
        if best_second.as_ref().is_none_or(|best| top > best) {
            let count = points[index..group_end]
                .iter()
                .filter(|point| point.utilities[1] == *top)
                .map(|point| point.count)
                .sum();
            best_second = Some(top.clone());
            let mut merged = points[index].clone();
            merged.count = count;
            kept.push(merged);
        }
        index = group_end;
    }
    kept
}

/// The surpluses `u_i - r_i` of a point that meets every reservation.
fn surpluses<N: Numerator>(
    parties: &[ExactParty<N>],
    point: &ExactPoint<N>,
) -> Option<Vec<BigInt>> {
    parties
        .iter()
        .zip(&point.utilities)
        .map(|(party, utility)| {
            (*utility >= party.reservation).then(|| utility.minus(&party.reservation).to_big())
        })
        .collect()
}

/// A frontier point as the Nash and Kalai-Smorodinsky rules see it: its surpluses
/// `u_i - r_i` (each party's scaled by a positive constant of its own, so they compare and
/// multiply as the surpluses do) when it meets every reservation, its welfare sum (over a
/// common denominator) and its first party's utility (over that party's denominator).
pub(crate) struct Candidate {
    pub surpluses: Option<Vec<BigInt>>,
    pub welfare: BigInt,
    pub first: BigInt,
}

/// The Nash point: the largest product of `u_i - r_i` among the outcomes where every
/// `u_i >= r_i`, the first in outcome order among the Pareto-optimal ones reaching it.
/// (Every outcome reaching a positive largest product is Pareto-optimal, so the rule only
/// matters when the largest product is 0.) Denominators are the same for every outcome, so
/// products of numerators compare as the products do. `candidates` are the frontier's
/// points in outcome order.
pub(crate) fn nash_index(candidates: &[Candidate]) -> Option<usize> {
    let mut best: Option<(BigInt, usize)> = None;
    for (index, candidate) in candidates.iter().enumerate() {
        let Some(surpluses) = &candidate.surpluses else {
            continue;
        };
        let product: BigInt = surpluses.iter().product();
        if best.as_ref().is_none_or(|(largest, _)| product > *largest) {
            best = Some((product, index));
        }
    }
    best.map(|(_, index)| index)
}

/// The Kalai-Smorodinsky point: among the outcomes where every `u_i >= r_i`, the one whose
/// smallest share of its ideal gain, `min_i (u_i - r_i) / (m_i - r_i)` with `m_i` the
/// party's best utility among them (a share of 1 for a party whose best is its
/// reservation), is the largest; ties go to the larger sum of utilities, then to the larger
/// utility of the first party, then to the first outcome. `None` when no outcome meets
/// every reservation. It lies on the frontier: an outcome that dominates another has
/// shares at least as large and a larger sum; and so do the `m_i`.
pub(crate) fn kalai_smorodinsky_index(candidates: &[Candidate], parties: usize) -> Option<usize> {
    let feasible: Vec<(usize, &Candidate, &Vec<BigInt>)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(index, candidate)| {
            candidate
                .surpluses
                .as_ref()
                .map(|surpluses| (index, candidate, surpluses))
        })
        .collect();
    let ranges: Vec<BigInt> = (0..parties)
        .map(|party| {
            feasible
                .iter()
                .map(|(_, _, surpluses)| &surpluses[party])
                .max()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    // The smallest share as a fraction (numerator, positive denominator).
    let smallest_share = |surpluses: &[BigInt]| -> (BigInt, BigInt) {
        let mut smallest = (BigInt::one(), BigInt::one());
        for (surplus, range) in surpluses.iter().zip(&ranges) {
            if range.is_positive()
                && compare_fractions(surplus, range, &smallest.0, &smallest.1).is_lt()
            {
                smallest = (surplus.clone(), range.clone());
            }
        }
        smallest
    };
    let mut chosen: Option<(usize, &Candidate, (BigInt, BigInt))> = None;
    for (index, candidate, surpluses) in feasible {
        let share = smallest_share(surpluses);
        let better = chosen.as_ref().is_none_or(|(_, best, best_share)| {
            compare_fractions(&share.0, &share.1, &best_share.0, &best_share.1)
                .then_with(|| candidate.welfare.cmp(&best.welfare))
                .then_with(|| candidate.first.cmp(&best.first))
                .is_gt()
        });
        if better {
            chosen = Some((index, candidate, share));
        }
    }
    chosen.map(|(index, _, _)| index)
}

/// The frontier's points as candidates for `nash_index` and `kalai_smorodinsky_index`.
fn candidates<N: Numerator>(
    parties: &[ExactParty<N>],
    welfare: &Welfare,
    frontier: &[ExactPoint<N>],
) -> Vec<Candidate> {
    frontier
        .iter()
        .map(|point| Candidate {
            surpluses: surpluses(parties, point),
            welfare: welfare.sum(point.utilities.iter()),
            first: point.utilities[0].to_big(),
        })
        .collect()
}

/// The opposition level: the least distance from the utilities, each divided by that
/// party's best utility, to the all-ones vector; the least lies on the frontier (a better
/// utility is nearer 1). A square root, so computed in doubles from the rounded utilities.
fn opposition<N: Numerator>(parties: &[ExactParty<N>], frontier: &[ExactPoint<N>]) -> f64 {
    let rounded: Vec<Vec<f64>> = frontier
        .iter()
        .map(|point| {
            parties
                .iter()
                .zip(&point.utilities)
                .map(|(party, utility)| party.to_f64(utility))
                .collect()
        })
        .collect();
    opposition_of(&rounded)
}

/// The opposition level of a frontier given as rounded utilities, one vector per point:
/// each party's best is its largest on the frontier (which holds every party's best).
pub(crate) fn opposition_of(frontier: &[Vec<f64>]) -> f64 {
    let parties = frontier.first().map_or(0, Vec::len);
    let best: Vec<f64> = (0..parties)
        .map(|party| {
            frontier
                .iter()
                .map(|point| point[party])
                .fold(f64::MIN, f64::max)
        })
        .collect();
    frontier
        .iter()
        .map(|point| {
            point
                .iter()
                .zip(&best)
                .map(|(utility, best)| {
                    let normalised = if *best > 0.0 { utility / best } else { 0.0 };
                    (normalised - 1.0) * (normalised - 1.0)
                })
                .sum::<f64>()
                .sqrt()
        })
        .fold(f64::INFINITY, f64::min)
}
