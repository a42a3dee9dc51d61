//! The analysis of nonlinear (ANAC 2014) outcome spaces, from the rectangles' structure:
//! never by enumerating outcomes (10^10 to 10^50 of them).
//!
//! **Outcomes are sets of boxes.** Two rectangles ("boxes") are *compatible* when their
//! ranges meet on every issue both range. An outcome lies in a set of boxes exactly when
//! they are pairwise compatible (ranges on a line that meet pairwise have a common part),
//! and then in the *region* of the set: per issue, the common part of its ranges. With
//! positive utilities, the best utility vectors are those of the best sets of boxes no two
//! of which conflict: independent sets of the conflict graph.
//!
//! **The search** (`Conflicts`) takes every box without a conflict left, splits the rest
//! into parts that share no conflict (their best choices combine independently), branches
//! on the box with the most conflicts (in, or out), and remembers the best choices of every
//! set of boxes it has solved. The conflict graphs of the published ANAC 2014 files are
//! sparse (120 boxes, 270 conflicts for 30 issues): every published domain, 10 to 50
//! issues, is answered in under a second (`docs/performance.md`).
//!
//! **Counted, not listed.** A set of boxes whose vector is on the frontier holds every box
//! that meets its region (one more would add utility and dominate a frontier vector), so
//! its region holds that vector exactly and no two such regions overlap: the frontier's
//! outcomes are the sum of those regions' sizes.
//!
//! **Exact.** Each party's utilities are integers over a denominator of its own, from the
//! decimals the profile wrote (`sim::domains::decimal`); every comparison is between
//! integers. Utilities are rounded to doubles only to be shown.
//!
//! **Bounded.** A search gives up after `MAX_SEARCH_NODES` sets solved (each is kept, so
//! the limit also bounds memory, about 2 KiB a set), and the figures it serves are then
//! `None` with the reason: the same nodes on every machine, so the same answer. Negative
//! rectangle utilities, which the argument above does not cover, are refused with a reason.
//!
//! The outcome standing for a frontier vector is the first outcome of the region of the
//! first set of boxes the search meets with it (deterministic: the search order is fixed);
//! for linear spaces it is the first in outcome order. The maximum-welfare point is the
//! frontier point of largest welfare, the first in outcome order among equals.

use std::collections::BTreeMap;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive};

use crate::sim::analysis::space::{
    Analysis, Candidate, Point, kalai_smorodinsky_index, nash_index, opposition_of,
};
use crate::sim::domains::decimal::{nearest_double, written_decimal};
use crate::sim::domains::nonlinear::RectangleUtility;
use crate::sim::domains::preferences::{Domain, Outcome, Preferences};

/// Most sets of boxes one search solves before it gives up: the largest published ANAC
/// 2014 domain takes 45,000 (0.75 s); the limit is about 10 s and 1 GiB.
pub const MAX_SEARCH_NODES: u64 = 500_000;

/// Largest sum of a party's positive (or negative) integer utilities: with the welfare's
/// common denominator kept under `MAX_WELFARE_DENOMINATOR`, every sum of the search stays
/// within an i128 for up to 64 parties.
const MAX_EXACT_SUM: i128 = 1 << 40;

/// Largest common denominator of the parties' utilities that welfare is summed over.
const MAX_WELFARE_DENOMINATOR: i128 = 1 << 80;

/// A party's utility in integers: box `b` adds `weights[b]`, and a utility is a sum over
/// `denominator`.
struct ExactRectangles {
    weights: Vec<i128>,
    denominator: i128,
    reservation: BigRational,
}

impl ExactRectangles {
    fn of(preferences: &Preferences, rectangles: &RectangleUtility) -> Result<Self, String> {
        let unwritten = || "a utility is not a finite decimal".to_string();
        let written: Vec<BigRational> = rectangles
            .boxes
            .iter()
            .map(|rectangle| written_decimal(rectangle.utility))
            .chain(std::iter::once(written_decimal(rectangles.max_utility)))
            .collect::<Option<_>>()
            .ok_or_else(unwritten)?;
        let scale = written
            .iter()
            .fold(BigInt::one(), |scale, value| scale.lcm(value.denom()));
        let too_fine = || {
            format!("the rectangles' utilities need more than {MAX_EXACT_SUM} units to be exact")
        };
        let integer = |value: &BigRational| -> Result<i128, String> {
            (value * BigRational::from_integer(scale.clone()))
                .to_integer()
                .to_i128()
                .filter(|integer| integer.abs() <= MAX_EXACT_SUM)
                .ok_or_else(too_fine)
        };
        let (max, boxes) = written.split_last().expect("max_utility is chained last");
        let weights: Vec<i128> = boxes.iter().map(integer).collect::<Result<_, _>>()?;
        let positive: i128 = weights.iter().filter(|weight| **weight > 0).sum();
        let negative: i128 = weights.iter().filter(|weight| **weight < 0).sum();
        if positive > MAX_EXACT_SUM || negative < -MAX_EXACT_SUM {
            return Err(too_fine());
        }
        let denominator = integer(max)?;
        if denominator <= 0 {
            return Err("maxutility is not positive".into());
        }
        Ok(ExactRectangles {
            weights,
            denominator,
            reservation: written_decimal(preferences.reservation).ok_or_else(unwritten)?,
        })
    }

    fn to_f64(&self, sum: i128) -> f64 {
        nearest_double(&BigInt::from(sum), &BigInt::from(self.denominator))
    }

    /// `sum / denominator - reservation`, times `denominator * reservation's denominator`:
    /// surpluses of one party compare, and multiply, as the surpluses do.
    fn surplus(&self, sum: i128) -> BigInt {
        BigInt::from(sum) * self.reservation.denom()
            - self.reservation.numer() * BigInt::from(self.denominator)
    }
}

/// Most boxes, of all parties together, the search takes (its conflict table has a bit per
/// pair).
pub const MAX_BOXES: usize = 4_096;

/// A set of boxes, by their index among the search's boxes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct BoxSet(Vec<u64>);

impl BoxSet {
    fn empty(count: usize) -> BoxSet {
        BoxSet(vec![0; count.div_ceil(64)])
    }

    fn insert(&mut self, index: usize) {
        self.0[index / 64] |= 1 << (index % 64);
    }

    fn remove(&mut self, index: usize) {
        self.0[index / 64] &= !(1 << (index % 64));
    }

    fn and(&self, other: &BoxSet) -> BoxSet {
        BoxSet(self.0.iter().zip(&other.0).map(|(a, b)| a & b).collect())
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|word| *word == 0)
    }

    /// The boxes of `self` not in `other`.
    fn minus(&self, other: &BoxSet) -> BoxSet {
        BoxSet(self.0.iter().zip(&other.0).map(|(a, b)| a & !b).collect())
    }

    fn intersects(&self, other: &BoxSet) -> bool {
        self.0.iter().zip(&other.0).any(|(a, b)| a & b != 0)
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(word_index, word)| {
            let mut rest = *word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    word_index * 64 + bit
                })
            })
        })
    }
}

/// A rectangle as the search sees it: its party, its integer utility (positive), and its
/// ranges (issue, first option, last option), by issue.
struct Vertex {
    party: usize,
    weight: i128,
    ranges: Vec<(usize, usize, usize)>,
}

/// Whether two boxes share an outcome: their ranges meet on every issue both range.
fn compatible(a: &Vertex, b: &Vertex) -> bool {
    a.ranges.iter().all(|(issue, first, last)| {
        b.ranges
            .iter()
            .find(|(other, _, _)| other == issue)
            .is_none_or(|(_, other_first, other_last)| first <= other_last && other_first <= last)
    })
}

/// Why a search gave up.
#[derive(Debug)]
enum GaveUp {
    Nodes,
    Overflow,
}

/// A frontier point in integers: each party's sum, and the outcome standing for it.
#[derive(Clone, Debug)]
struct Found {
    sums: Vec<i128>,
    outcome: Outcome,
}

/// A set of boxes whose vector no other set of the same boxes beats: its sums (one per
/// objective) and the boxes.
#[derive(Clone, Debug)]
struct Choice {
    sums: Vec<i128>,
    boxes: BoxSet,
}

/// The best choices of some boxes: no choice's sums are at least another's in every
/// objective; the first met of equal ones is kept.
type Best = std::rc::Rc<Vec<Choice>>;

/// The search over sets of boxes that share an outcome. Boxes that meet on every issue
/// both range are *compatible*; an outcome lies in a set of boxes exactly when they are
/// pairwise compatible (ranges on a line that meet pairwise have a common part), so the
/// best outcomes are the best sets of boxes no two of which *conflict*. The conflict graph
/// of the ANAC files is sparse (one box in 25 conflicts with another), so the search
/// branches on a box with the most conflicts (in or out), splits the rest into parts that
/// share no conflict (their best choices combine independently), always takes a box with
/// no conflict left, and remembers the best choices of every set of boxes it has solved.
struct Conflicts {
    parties: usize,
    /// Options per issue.
    options: Vec<usize>,
    vertices: Vec<Vertex>,
    conflicts: Vec<BoxSet>,
    /// Per party: the utility of its boxes that range no issue (every outcome has it).
    base: Vec<i128>,
    /// Per objective, per party: what a unit of the party's sum is worth.
    objectives: Vec<Vec<i128>>,
    solved: BTreeMap<Vec<u64>, Best>,
    nodes: u64,
    node_limit: u64,
}

impl Conflicts {
    /// The search for parties' integer utilities; `Err` with the reason it cannot be made.
    fn new(
        domain: &Domain,
        utilities: &[&RectangleUtility],
        exact: &[ExactRectangles],
    ) -> Result<Conflicts, String> {
        let mut base = vec![0i128; utilities.len()];
        let mut vertices = Vec::new();
        for (party, (utility, exact)) in utilities.iter().zip(exact).enumerate() {
            for (rectangle, weight) in utility.boxes.iter().zip(&exact.weights) {
                if *weight < 0 {
                    return Err(format!(
                        "a rectangle of party {} has a negative utility; the search needs them positive",
                        party + 1
                    ));
                }
                if *weight == 0 {
                    continue;
                }
                if rectangle.ranges.is_empty() {
                    base[party] += weight;
                    continue;
                }
                vertices.push(Vertex {
                    party,
                    weight: *weight,
                    ranges: rectangle.ranges.clone(),
                });
            }
        }
        if vertices.len() > MAX_BOXES {
            return Err(format!(
                "{} rectangles, more than the {MAX_BOXES} the search takes",
                vertices.len()
            ));
        }
        let count = vertices.len();
        let mut conflicts = vec![BoxSet::empty(count); count];
        for a in 0..count {
            for b in a + 1..count {
                if !compatible(&vertices[a], &vertices[b]) {
                    conflicts[a].insert(b);
                    conflicts[b].insert(a);
                }
            }
        }
        Ok(Conflicts {
            parties: utilities.len(),
            options: domain
                .issues
                .iter()
                .map(|issue| issue.options.len())
                .collect(),
            vertices,
            conflicts,
            base,
            objectives: Vec::new(),
            solved: BTreeMap::new(),
            nodes: 0,
            node_limit: MAX_SEARCH_NODES,
        })
    }

    /// Sets the objectives (one row of coefficients per objective, one or two rows) and
    /// forgets what was solved for others.
    fn aim(&mut self, objectives: Vec<Vec<i128>>) {
        debug_assert!((1..=2).contains(&objectives.len()));
        debug_assert!(objectives.iter().all(|row| row.len() == self.parties));
        self.objectives = objectives;
        self.solved.clear();
        self.nodes = 0;
    }

    fn every_box(&self) -> BoxSet {
        let mut all = BoxSet::empty(self.vertices.len());
        for index in 0..self.vertices.len() {
            all.insert(index);
        }
        all
    }

    fn visit(&mut self) -> Result<(), GaveUp> {
        self.nodes += 1;
        if self.nodes > self.node_limit {
            return Err(GaveUp::Nodes);
        }
        Ok(())
    }

    /// A box's worth in each objective.
    fn worth(&self, vertex: usize) -> Vec<i128> {
        let Vertex { party, weight, .. } = self.vertices[vertex];
        self.objectives
            .iter()
            .map(|row| row[party] * weight)
            .collect()
    }

    /// Adds a box's worth in each objective to `sums`.
    fn add_worth(&self, sums: &mut [i128], vertex: usize) {
        for (sum, worth) in sums.iter_mut().zip(self.worth(vertex)) {
            *sum += worth;
        }
    }

    /// The boxes of `boxes` that conflict with none of the others.
    fn free(&self, boxes: &BoxSet) -> BoxSet {
        let mut free = BoxSet::empty(self.vertices.len());
        for vertex in boxes.iter() {
            if !self.conflicts[vertex].intersects(boxes) {
                free.insert(vertex);
            }
        }
        free
    }

    /// `boxes` split into parts that share no conflict, each listed from its first box.
    fn parts(&self, boxes: &BoxSet) -> Vec<BoxSet> {
        let mut left = boxes.clone();
        let mut parts = Vec::new();
        loop {
            let first = left.iter().next();
            let Some(start) = first else {
                break;
            };
            let mut part = BoxSet::empty(self.vertices.len());
            let mut frontier = vec![start];
            part.insert(start);
            left.remove(start);
            while let Some(vertex) = frontier.pop() {
                let reached = self.conflicts[vertex].and(&left);
                for next in reached.iter() {
                    part.insert(next);
                    left.remove(next);
                    frontier.push(next);
                }
            }
            parts.push(part);
        }
        parts
    }

    /// The box of `boxes` with the most conflicts among them (the first of equals).
    fn branching_box(&self, boxes: &BoxSet) -> usize {
        let degree = |vertex: usize| -> u32 {
            self.conflicts[vertex]
                .0
                .iter()
                .zip(&boxes.0)
                .map(|(a, b)| (a & b).count_ones())
                .sum()
        };
        boxes
            .iter()
            .max_by(|a, b| degree(*a).cmp(&degree(*b)).then(b.cmp(a)))
            .expect("a part has boxes")
    }

    /// The best choices among `boxes` for the objectives aimed at.
    fn best(&mut self, boxes: &BoxSet) -> Result<Best, GaveUp> {
        if let Some(best) = self.solved.get(&boxes.0) {
            return Ok(best.clone());
        }
        self.visit()?;
        let objectives = self.objectives.len();
        let free = self.free(boxes);
        let mut taken = Choice {
            sums: vec![0; objectives],
            boxes: free.clone(),
        };
        for vertex in free.iter() {
            self.add_worth(&mut taken.sums, vertex);
        }
        let rest = boxes.minus(&free);
        let mut best = vec![taken];
        let parts = self.parts(&rest);
        if parts.len() > 1 {
            for part in &parts {
                let of_part = self.best(part)?;
                best = combined(&best, &of_part);
            }
        } else if let Some(part) = parts.first() {
            let vertex = self.branching_box(part);
            let mut without = part.clone();
            without.remove(vertex);
            let with = without.minus(&self.conflicts[vertex]);
            let mut choices: Vec<Choice> = self.best(&without)?.as_ref().clone();
            for choice in self.best(&with)?.iter() {
                let mut choice = choice.clone();
                self.add_worth(&mut choice.sums, vertex);
                choice.boxes.insert(vertex);
                choices.push(choice);
            }
            best = combined(&best, &undominated(choices));
        }
        let best = std::rc::Rc::new(best);
        self.solved.insert(boxes.0.clone(), best.clone());
        Ok(best)
    }

    /// Each party's sums for a set of boxes, the base included.
    fn party_sums(&self, boxes: &BoxSet) -> Vec<i128> {
        let mut sums = self.base.clone();
        for vertex in boxes.iter() {
            sums[self.vertices[vertex].party] += self.vertices[vertex].weight;
        }
        sums
    }

    /// The outcomes every box of `boxes` contains: per issue, the common part of their
    /// ranges.
    fn region(&self, boxes: &BoxSet) -> Vec<(usize, usize)> {
        let mut region: Vec<(usize, usize)> = self
            .options
            .iter()
            .map(|options| (0, options - 1))
            .collect();
        for vertex in boxes.iter() {
            for (issue, first, last) in &self.vertices[vertex].ranges {
                let (low, high) = &mut region[*issue];
                *low = (*low).max(*first);
                *high = (*high).min(*last);
                debug_assert!(low <= high, "boxes without conflicts share an outcome");
            }
        }
        region
    }

    /// The first outcome of the region of a set of boxes without conflicts.
    fn first_outcome(&self, boxes: &BoxSet) -> Outcome {
        self.region(boxes).iter().map(|(low, _)| *low).collect()
    }

    /// The outcomes whose vectors (objectives aimed at: the two parties' sums, base
    /// excluded) are among `wanted`, sorted: the regions of the sets of boxes with those
    /// vectors, `taken` so far and the rest chosen among `boxes`. Such a set holds every
    /// box that meets its region (another would add utility, and beat a best vector), so
    /// its region holds exactly its vector, and two such regions never overlap.
    fn count_on(
        &mut self,
        boxes: &BoxSet,
        mut taken: BoxSet,
        mut sums: Vec<i128>,
        wanted: &[Vec<i128>],
    ) -> Result<u128, GaveUp> {
        self.visit()?;
        // What the rest adds must be one of its own best vectors.
        let best = self.best(boxes)?;
        let reachable = wanted.iter().any(|vector| {
            let needed: Vec<i128> = vector.iter().zip(&sums).map(|(a, b)| a - b).collect();
            best.iter().any(|choice| choice.sums == needed)
        });
        if !reachable {
            return Ok(0);
        }
        let free = self.free(boxes);
        for vertex in free.iter() {
            taken.insert(vertex);
            self.add_worth(&mut sums, vertex);
        }
        let rest = boxes.minus(&free);
        if rest.is_empty() {
            debug_assert!(wanted.contains(&sums));
            return self
                .region(&taken)
                .iter()
                .try_fold(1u128, |count, (low, high)| {
                    count.checked_mul((high - low + 1) as u128)
                })
                .ok_or(GaveUp::Overflow);
        }
        let vertex = self.branching_box(&rest);
        let mut without = rest;
        without.remove(vertex);
        let with = without.minus(&self.conflicts[vertex]);
        let excluded = self.count_on(&without, taken.clone(), sums.clone(), wanted)?;
        taken.insert(vertex);
        self.add_worth(&mut sums, vertex);
        let included = self.count_on(&with, taken, sums, wanted)?;
        excluded.checked_add(included).ok_or(GaveUp::Overflow)
    }
}

/// The best choices of two sets of boxes without conflicts between them: each choice of
/// one with each of the other, the dominated dropped.
fn combined(first: &[Choice], second: &[Choice]) -> Vec<Choice> {
    let mut choices = Vec::with_capacity(first.len() * second.len());
    for a in first {
        for b in second {
            choices.push(Choice {
                sums: a.sums.iter().zip(&b.sums).map(|(x, y)| x + y).collect(),
                boxes: BoxSet(
                    a.boxes
                        .0
                        .iter()
                        .zip(&b.boxes.0)
                        .map(|(x, y)| x | y)
                        .collect(),
                ),
            });
        }
    }
    undominated(choices)
}

/// The choices no other beats: at least as large in every objective and larger in one;
/// of equal vectors, the first. Sorted by the first objective, largest first.
fn undominated(mut choices: Vec<Choice>) -> Vec<Choice> {
    // A stable sort keeps the first of equal vectors first.
    choices.sort_by(|a, b| b.sums.cmp(&a.sums));
    let mut kept: Vec<Choice> = Vec::new();
    for choice in choices {
        let beaten = kept
            .iter()
            .any(|other| other.sums.iter().zip(&choice.sums).all(|(a, b)| a >= b));
        if !beaten {
            kept.push(choice);
        }
    }
    kept
}

/// Fills `analysis` for parties whose preferences are all nonlinear.
pub fn answer(
    domain: &Domain,
    preferences: &[Preferences],
    list_frontier: bool,
    analysis: &mut Analysis,
) {
    let utilities: Vec<&RectangleUtility> = preferences
        .iter()
        .filter_map(|prefs| prefs.rectangles.as_deref())
        .collect();
    debug_assert_eq!(utilities.len(), preferences.len());
    let exact: Vec<ExactRectangles> = match preferences
        .iter()
        .zip(&utilities)
        .map(|(prefs, utility)| ExactRectangles::of(prefs, utility))
        .collect()
    {
        Ok(exact) => exact,
        Err(reason) => {
            analysis
                .reasons
                .push(format!("every figure but n_outcomes: {reason}"));
            return;
        }
    };
    let mut search = match Conflicts::new(domain, &utilities, &exact) {
        Ok(search) => search,
        Err(reason) => {
            analysis
                .reasons
                .push(format!("every figure but n_outcomes: {reason}"));
            return;
        }
    };
    let rounded = |sums: &[i128], outcome: &Outcome| Point {
        utilities: sums
            .iter()
            .zip(&exact)
            .map(|(sum, party)| party.to_f64(*sum))
            .collect(),
        outcome: outcome.clone(),
    };
    let given_up = |why: GaveUp| match why {
        GaveUp::Nodes => format!("the search passed {MAX_SEARCH_NODES} nodes"),
        GaveUp::Overflow => "more than 2^128 outcomes".to_string(),
    };
    let welfare = match Welfare::of(&exact) {
        Ok(welfare) => welfare,
        Err(reason) => {
            analysis
                .reasons
                .push(format!("every figure but n_outcomes: {reason}"));
            return;
        }
    };
    let every_box = search.every_box();
    if preferences.len() != 2 {
        search.aim(vec![welfare.coefficients.clone()]);
        match search.best(&every_box) {
            Ok(best) => {
                let choice = &best[0];
                let outcome = search.first_outcome(&choice.boxes);
                let sums = search.party_sums(&choice.boxes);
                analysis.max_welfare = Some(welfare.to_f64(welfare.value(&sums)));
                analysis.max_welfare_point = Some(rounded(&sums, &outcome));
            }
            Err(why) => analysis
                .reasons
                .push(format!("max_welfare: {}", given_up(why))),
        }
        analysis.reasons.push(format!(
            "pareto_size, nash, kalai_smorodinsky, opposition: the frontier of a nonlinear space is searched for two parties, not {}",
            preferences.len()
        ));
        return;
    }
    search.aim(vec![vec![1, 0], vec![0, 1]]);
    let best = match search.best(&every_box) {
        Ok(best) => best,
        Err(why) => {
            analysis.reasons.push(format!(
                "pareto_size, nash, kalai_smorodinsky, max_welfare, opposition: {}",
                given_up(why)
            ));
            return;
        }
    };
    let mut frontier: Vec<Found> = best
        .iter()
        .map(|choice| Found {
            sums: search.party_sums(&choice.boxes),
            outcome: search.first_outcome(&choice.boxes),
        })
        .collect();
    debug_assert!(frontier.iter().zip(best.iter()).all(|(point, choice)| {
        sums_of(preferences, &exact, &point.outcome) == point.sums
            && point
                .sums
                .iter()
                .zip(&search.base)
                .zip(&choice.sums)
                .all(|((sum, base), own)| sum - base == *own)
    }));
    let mut wanted: Vec<Vec<i128>> = best.iter().map(|choice| choice.sums.clone()).collect();
    wanted.sort();
    search.nodes = 0;
    match search.count_on(
        &every_box,
        BoxSet::empty(search.vertices.len()),
        vec![0, 0],
        &wanted,
    ) {
        Ok(count) => analysis.pareto_size = Some(count),
        Err(why) => analysis.reasons.push(format!(
            "pareto_size: counting the frontier's outcomes: {}",
            given_up(why)
        )),
    }
    // Ties below go to the first outcome, as for linear spaces.
    frontier.sort_by(|a, b| a.outcome.cmp(&b.outcome));
    let (value, welfare_point) = frontier
        .iter()
        .map(|point| (welfare.value(&point.sums), point))
        .fold(
            None,
            |best: Option<(i128, &Found)>, (value, point)| match best {
                Some((largest, _)) if largest >= value => best,
                _ => Some((value, point)),
            },
        )
        .expect("the frontier has a point");
    analysis.max_welfare = Some(welfare.to_f64(value));
    analysis.max_welfare_point = Some(rounded(&welfare_point.sums, &welfare_point.outcome));
    // The rules of the linear analysis, on the same kind of integers.
    let candidates: Vec<Candidate> = frontier
        .iter()
        .map(|point| Candidate {
            surpluses: surpluses(&exact, point),
            welfare: BigInt::from(welfare.value(&point.sums)),
            first: BigInt::from(point.sums[0]),
        })
        .collect();
    let point_at = |index: usize| rounded(&frontier[index].sums, &frontier[index].outcome);
    analysis.nash = nash_index(&candidates).map(point_at);
    analysis.nash_none = analysis.nash.is_none();
    analysis.kalai_smorodinsky = kalai_smorodinsky_index(&candidates, exact.len()).map(point_at);
    analysis.opposition = Some(opposition(&exact, &frontier));
    if list_frontier {
        let mut listed: Vec<&Found> = frontier.iter().collect();
        listed.sort_by(|a, b| {
            b.sums[0]
                .cmp(&a.sums[0])
                .then_with(|| a.outcome.cmp(&b.outcome))
        });
        analysis.frontier = Some(
            listed
                .into_iter()
                .map(|point| rounded(&point.sums, &point.outcome))
                .collect(),
        );
    }
}

/// Each party's integer sum at an outcome.
fn sums_of(preferences: &[Preferences], exact: &[ExactRectangles], outcome: &[usize]) -> Vec<i128> {
    preferences
        .iter()
        .zip(exact)
        .map(|(prefs, party)| {
            let rectangles = prefs.rectangles.as_deref().expect("nonlinear parties");
            rectangles
                .boxes
                .iter()
                .zip(&party.weights)
                .filter(|(rectangle, _)| rectangle.contains(outcome))
                .map(|(_, weight)| *weight)
                .sum()
        })
        .collect()
}

/// Sums of utilities in integers: party `p`'s sum times `coefficients[p]` is over the
/// common `denominator`.
struct Welfare {
    coefficients: Vec<i128>,
    denominator: i128,
}

impl Welfare {
    fn of(exact: &[ExactRectangles]) -> Result<Welfare, String> {
        let mut denominator = 1i128;
        for party in exact {
            denominator = denominator
                .checked_mul(party.denominator / denominator.gcd(&party.denominator))
                .filter(|common| *common <= MAX_WELFARE_DENOMINATOR)
                .ok_or_else(|| {
                    format!(
                        "the parties' maxutility denominators have a common multiple past {MAX_WELFARE_DENOMINATOR}"
                    )
                })?;
        }
        Ok(Welfare {
            coefficients: exact
                .iter()
                .map(|party| denominator / party.denominator)
                .collect(),
            denominator,
        })
    }

    fn value(&self, sums: &[i128]) -> i128 {
        sums.iter()
            .zip(&self.coefficients)
            .map(|(sum, coefficient)| sum * coefficient)
            .sum()
    }

    fn to_f64(&self, value: i128) -> f64 {
        nearest_double(&BigInt::from(value), &BigInt::from(self.denominator))
    }
}

/// The surpluses of a point that meets every reservation.
fn surpluses(exact: &[ExactRectangles], point: &Found) -> Option<Vec<BigInt>> {
    exact
        .iter()
        .zip(&point.sums)
        .map(|(party, sum)| {
            let surplus = party.surplus(*sum);
            (!surplus.is_negative()).then_some(surplus)
        })
        .collect()
}

/// The opposition level (`space::opposition_of`) of the frontier's rounded utilities.
fn opposition(exact: &[ExactRectangles], frontier: &[Found]) -> f64 {
    let rounded: Vec<Vec<f64>> = frontier
        .iter()
        .map(|point| {
            point
                .sums
                .iter()
                .zip(exact)
                .map(|(sum, party)| party.to_f64(*sum))
                .collect()
        })
        .collect();
    opposition_of(&rounded)
}

/// Utility levels per party the offer pool searches for (`offer_pool`).
pub const POOL_LEVELS: usize = 100;

/// Most moves one search of the offer pool makes.
const POOL_SEARCH_MOVES: usize = 64;

/// The outcomes a simulation of nonlinear parties offers from (its *pool*): spaces of
/// 10^10 outcomes and more cannot be ranked whole, so each party's "outcome nearest my
/// target" is taken among these. Per party, in acting order: its best outcome (exact, from
/// the search above; by local search from seeded starts if the search gives up), then for
/// each level `best * k / POOL_LEVELS`, `k` from `POOL_LEVELS - 1` down to 0, the outcome a
/// local search finds nearest that level from two starts: the outcome found for the level
/// above (so a party's outcomes descend from its best as it would concede) and an outcome
/// drawn from `rng`, the nearer kept (the first on a tie). A local search moves to the
/// outcome one option away that is nearest the level (the first, in issue then option
/// order, of equals), at most `POOL_SEARCH_MOVES` times, and stops where no move is
/// nearer. Each outcome appears once, where it was first found.
///
/// Cost: per party at most `2 * POOL_LEVELS * POOL_SEARCH_MOVES` moves, each weighing
/// every outcome one option away (the sum of the issues' option counts) by every
/// rectangle; the published 30-issue domains take about 0.1 s per party.
pub fn offer_pool(
    domain: &Domain,
    preferences: &[Preferences],
    rng: &mut impl rand_core::Rng,
) -> Vec<Outcome> {
    let mut pool: Vec<Outcome> = Vec::new();
    let mut seen: std::collections::BTreeSet<Outcome> = std::collections::BTreeSet::new();
    let mut keep = |outcome: Outcome, pool: &mut Vec<Outcome>| {
        if seen.insert(outcome.clone()) {
            pool.push(outcome);
        }
    };
    let drawn = |rng: &mut dyn FnMut() -> u32| -> Outcome {
        domain
            .issues
            .iter()
            .map(|issue| rng() as usize % issue.options.len())
            .collect()
    };
    for (party, prefs) in preferences.iter().enumerate() {
        let best = exact_best(domain, preferences, party).unwrap_or_else(|| {
            let start = drawn(&mut || rng.next_u32());
            nearest_by_moves(domain, prefs, f64::INFINITY, start)
        });
        let best_utility = prefs.utility(&best);
        keep(best.clone(), &mut pool);
        let mut previous = best;
        for level in (0..POOL_LEVELS).rev() {
            let target = best_utility * level as f64 / POOL_LEVELS as f64;
            let from_above = nearest_by_moves(domain, prefs, target, previous.clone());
            let from_drawn = nearest_by_moves(domain, prefs, target, drawn(&mut || rng.next_u32()));
            let distance = |outcome: &Outcome| (prefs.utility(outcome) - target).abs();
            let found = if distance(&from_drawn) < distance(&from_above) {
                from_drawn
            } else {
                from_above
            };
            keep(found.clone(), &mut pool);
            previous = found;
        }
    }
    pool
}

/// A party's best outcome by the exact search, or `None` if the search cannot say.
fn exact_best(domain: &Domain, preferences: &[Preferences], party: usize) -> Option<Outcome> {
    let prefs = &preferences[party];
    let utility = prefs.rectangles.as_deref()?;
    let exact = ExactRectangles::of(prefs, utility).ok()?;
    let mut search = Conflicts::new(domain, &[utility], std::slice::from_ref(&exact)).ok()?;
    search.aim(vec![vec![1]]);
    let best = search.best(&search.every_box()).ok()?;
    Some(search.first_outcome(&best.first()?.boxes))
}

/// Local search from `start` for an outcome whose utility is nearest `target` (for an
/// infinite target: the largest), as `offer_pool` describes.
fn nearest_by_moves(domain: &Domain, prefs: &Preferences, target: f64, start: Outcome) -> Outcome {
    let distance = |utility: f64| {
        if target.is_infinite() {
            -utility
        } else {
            (utility - target).abs()
        }
    };
    let mut current = start;
    let mut current_distance = distance(prefs.utility(&current));
    for _ in 0..POOL_SEARCH_MOVES {
        if current_distance == 0.0 {
            break;
        }
        let mut best_move: Option<(f64, usize, usize)> = None;
        let mut candidate = current.clone();
        for (issue, options) in domain.issues.iter().enumerate() {
            let kept = candidate[issue];
            for option in 0..options.options.len() {
                if option == kept {
                    continue;
                }
                candidate[issue] = option;
                let moved = distance(prefs.utility(&candidate));
                if moved < current_distance
                    && best_move.is_none_or(|(nearest, _, _)| moved < nearest)
                {
                    best_move = Some((moved, issue, option));
                }
            }
            candidate[issue] = kept;
        }
        let Some((moved, issue, option)) = best_move else {
            break;
        };
        current[issue] = option;
        current_distance = moved;
    }
    current
}
