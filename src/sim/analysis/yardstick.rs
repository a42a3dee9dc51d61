//! What a run's agreement is measured against, in the doubles the simulation plays with:
//! the Pareto frontier and the Nash point of a run's preferences, made fast enough to be
//! made every run. `sim::analysis` answers the same questions exactly, for `analyze` and
//! for preferences shared by every run of a batch; this module serves the runs that draw
//! preferences of their own, whose numbers are doubles by definition.

use crate::sim::analysis::ranking::Ranking;
use crate::sim::analysis::space::{Analysis, Point};
use crate::sim::domains::preferences::Preferences;

/// What an agreement is measured against: the utility vectors of the Pareto frontier and of
/// the Nash, Kalai-Smorodinsky and maximum-welfare points. Built once per set of preferences
/// and refilled in place between runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Yardstick {
    /// Utilities per point.
    pub parties: usize,
    /// The frontier's utility vectors, one after another (`parties` values each).
    pub frontier: Vec<f64>,
    /// The Nash point's utilities; empty when there is none.
    pub nash: Vec<f64>,
    /// The Kalai-Smorodinsky point's utilities; empty when there is none.
    pub kalai_smorodinsky: Vec<f64>,
    /// The maximum-welfare point's utilities.
    pub max_welfare: Vec<f64>,
}

/// An agreement's Euclidean distances, in undiscounted utilities, to the Pareto frontier
/// and to the points of the analysis; `None` where there is no such point.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Distances {
    pub pareto: Option<f64>,
    pub nash: Option<f64>,
    pub kalai_smorodinsky: Option<f64>,
    pub max_welfare: Option<f64>,
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

    pub fn distances(&self, utilities: &[f64]) -> Distances {
        let to = |point: &[f64]| (!point.is_empty()).then(|| distance(point, utilities));
        Distances {
            pareto: self.distance_to_pareto(utilities),
            nash: to(&self.nash),
            kalai_smorodinsky: to(&self.kalai_smorodinsky),
            max_welfare: to(&self.max_welfare),
        }
    }

    /// The yardstick of the exact analysis (`analyze_listing_frontier`) of `preferences`,
    /// each point at the doubles the simulation gives its outcome (so an agreement on a
    /// frontier outcome is at distance 0). `None` when the analysis listed no frontier.
    pub fn from_analysis(analysis: &Analysis, preferences: &[Preferences]) -> Option<Yardstick> {
        let doubles = |outcome: &[usize]| -> Vec<f64> {
            preferences
                .iter()
                .map(|prefs| prefs.utility(outcome))
                .collect()
        };
        let point = |point: &Option<Point>| {
            point
                .as_ref()
                .map_or_else(Vec::new, |point| doubles(&point.outcome))
        };
        let frontier = analysis.frontier.as_ref()?;
        Some(Yardstick {
            parties: preferences.len(),
            frontier: frontier
                .iter()
                .flat_map(|point| doubles(&point.outcome))
                .collect(),
            nash: point(&analysis.nash),
            kalai_smorodinsky: point(&analysis.kalai_smorodinsky),
            max_welfare: point(&analysis.max_welfare_point),
        })
    }
}

/// The Kalai-Smorodinsky point (`kalai_smorodinsky_position`) and the first outcome with
/// the largest sum of utilities (summed in party order), among candidates given as columns.
/// Two parties take two tight passes (a run gives its frontier's outcomes as candidates).
pub fn kalai_and_welfare_positions(
    columns: &[&[f64]],
    preferences: &[Preferences],
) -> (Option<usize>, Option<usize>) {
    if let ([first, second], [first_prefs, second_prefs]) = (columns, preferences) {
        return kalai_and_welfare_2(
            first,
            second,
            first_prefs.reservation,
            second_prefs.reservation,
        );
    }
    let mut welfare: Option<(f64, usize)> = None;
    for candidate in 0..columns.first().map_or(0, |column| column.len()) {
        let sum = columns.iter().map(|column| column[candidate]).sum::<f64>();
        if welfare.is_none_or(|(largest, _)| sum > largest) {
            welfare = Some((sum, candidate));
        }
    }
    (
        kalai_smorodinsky_position(columns, preferences),
        welfare.map(|(_, candidate)| candidate),
    )
}

/// `kalai_and_welfare_positions` for two parties: the same comparisons of the same values
/// (a sum of two is `u1 + u2` either way).
fn kalai_and_welfare_2(
    first: &[f64],
    second: &[f64],
    reservation_first: f64,
    reservation_second: f64,
) -> (Option<usize>, Option<usize>) {
    debug_assert_eq!(first.len(), second.len());
    // Utilities are finite, so every sum beats -inf and plain comparisons are total.
    let (mut largest_sum, mut welfare_at) = (f64::NEG_INFINITY, None);
    let (mut best_first, mut best_second) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (candidate, (u1, u2)) in first.iter().zip(second).enumerate() {
        let sum = u1 + u2;
        if sum > largest_sum {
            largest_sum = sum;
            welfare_at = Some(candidate);
        }
        if *u1 >= reservation_first && *u2 >= reservation_second {
            best_first = best_first.max(*u1);
            best_second = best_second.max(*u2);
        }
    }
    if best_first == f64::NEG_INFINITY {
        return (None, welfare_at);
    }
    let (range_first, range_second) = (
        best_first - reservation_first,
        best_second - reservation_second,
    );
    let share = |utility: f64, reservation: f64, range: f64| {
        if range > 0.0 {
            (utility - reservation) / range
        } else {
            1.0
        }
    };
    let (mut best_share, mut best_sum, mut best_u1) =
        (f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut chosen = None;
    for (candidate, (u1, u2)) in first.iter().zip(second).enumerate() {
        if (*u1 >= reservation_first) & (*u2 >= reservation_second) {
            let smallest = share(*u1, reservation_first, range_first).min(share(
                *u2,
                reservation_second,
                range_second,
            ));
            let sum = u1 + u2;
            let better = smallest > best_share
                || (smallest == best_share
                    && (sum > best_sum || (sum == best_sum && *u1 > best_u1)));
            if better || chosen.is_none() {
                (best_share, best_sum, best_u1) = (smallest, sum, *u1);
                chosen = Some(candidate);
            }
        }
    }
    debug_assert_eq!(
        chosen,
        kalai_smorodinsky_position(
            &[first, second],
            &[
                Preferences {
                    reservation: reservation_first,
                    ..Preferences::default()
                },
                Preferences {
                    reservation: reservation_second,
                    ..Preferences::default()
                },
            ]
        )
    );
    (chosen, welfare_at)
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

/// The Kalai-Smorodinsky point among candidates (`columns[party][candidate]`): among the
/// candidates where every `u_i >= r_i`, the one whose smallest share of its ideal gain,
/// `min_i (u_i - r_i) / (m_i - r_i)` with `m_i` the party's best utility among them (a share
/// of 1 for a party whose best is its reservation), is the largest; ties go to the larger
/// sum of utilities, then to the larger utility of the first party, then to the first
/// candidate. `None` when no candidate meets every reservation. The point lies on the
/// Pareto frontier: an outcome that dominates another has shares at least as large and a
/// larger sum.
pub fn kalai_smorodinsky_position(
    columns: &[&[f64]],
    preferences: &[Preferences],
) -> Option<usize> {
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
        // Utilities are finite: plain comparisons are total (and the two-party pass makes
        // the same ones).
        let better = chosen.is_none_or(|(_, chosen_key)| {
            candidate_key.0 > chosen_key.0
                || (candidate_key.0 == chosen_key.0
                    && (candidate_key.1 > chosen_key.1
                        || (candidate_key.1 == chosen_key.1 && candidate_key.2 > chosen_key.2)))
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
    /// Per party, the utilities of the frontier's outcomes.
    on_frontier: Vec<Vec<f64>>,
}

/// What a run needs to place an agreement: fills `yardstick` with the Pareto frontier and
/// the Nash, Kalai-Smorodinsky and maximum-welfare points of the outcomes in `columns`
/// (`columns[party][outcome]`, the first party's column ranked by `first`) and returns the
/// frontier's size and the Nash outcome.
///
/// The three points are looked for among the frontier's outcomes, in outcome order, as the
/// exact analysis does: each is at least as good as any outcome it dominates (float
/// subtraction, division, multiplication and addition are monotone), so the frontier holds
/// an outcome reaching the best value, and a tie goes to the first Pareto-optimal outcome.
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
    frontier.sort_unstable();
    scratch.on_frontier.resize_with(columns.len(), Vec::new);
    for (column, gathered) in columns.iter().zip(scratch.on_frontier.iter_mut()) {
        gathered.clear();
        gathered.extend(frontier.iter().map(|index| column[*index]));
    }
    let on_frontier: Vec<&[f64]> = scratch.on_frontier.iter().map(Vec::as_slice).collect();
    let nash = nash_position(&on_frontier, preferences).map(|position| frontier[position]);
    debug_assert_eq!(
        nash.map(|index| nash_product(columns, preferences, index)),
        nash_position(columns, preferences).map(|index| nash_product(columns, preferences, index)),
        "the largest product is reached on the frontier"
    );
    let (kalai_smorodinsky, max_welfare) = kalai_and_welfare_positions(&on_frontier, preferences);
    yardstick.parties = columns.len();
    yardstick.frontier.clear();
    for index in frontier.iter() {
        yardstick
            .frontier
            .extend(columns.iter().map(|column| column[*index]));
    }
    let point_at = |into: &mut Vec<f64>, position: Option<usize>| {
        into.clear();
        if let Some(position) = position {
            into.extend(columns.iter().map(|column| column[frontier[position]]));
        }
    };
    point_at(&mut yardstick.kalai_smorodinsky, kalai_smorodinsky);
    point_at(&mut yardstick.max_welfare, max_welfare);
    yardstick.nash.clear();
    if let Some(index) = nash {
        yardstick
            .nash
            .extend(columns.iter().map(|column| column[index]));
    }
    (frontier.len(), nash)
}

/// The Nash product of outcome `index`, as `nash_position` computes it.
fn nash_product(columns: &[&[f64]], preferences: &[Preferences], index: usize) -> f64 {
    columns
        .iter()
        .zip(preferences)
        .fold(1.0, |product, (column, prefs)| {
            product * (column[index] - prefs.reservation)
        })
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
