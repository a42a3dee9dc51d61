//! One party's view of an outcome space: the utility of every outcome and the order of the
//! outcomes by that utility, best first, ties by outcome index.
//!
//! A run asks a ranking a few dozen questions (which outcome is nearest a target utility,
//! which is the best) and sweeps it once for the Pareto frontier, so the ranking is not
//! sorted outright. The outcomes are spread over buckets by utility instead, in one pass:
//! `(largest - u) * factor` maps the utilities, from the largest to the smallest, onto the
//! buckets, and monotone float operations keep equal utilities in one bucket and better
//! ones in earlier buckets. A bucket holds a handful of outcomes, in index order,
//! and a question looks at one or two of them. A bucket that came out large (many equal or
//! close utilities) is sorted when the ranking is built, so no question scans far.

use crate::sim::domains::preferences::Preferences;

/// Buckets holding more outcomes than this are sorted (utility descending, index
/// ascending) when the ranking is built; smaller ones are scanned.
const SCANNED_BUCKET_LIMIT: usize = 24;

/// Outcomes per bucket, on average.
const OUTCOMES_PER_BUCKET: usize = 4;

/// Most buckets a ranking uses.
const MAX_BUCKETS: usize = 1 << 22;

#[derive(Clone, Debug, Default)]
pub struct Ranking {
    /// Utility of each outcome, by outcome index.
    pub utilities: Vec<f64>,
    /// Outcome indexes, bucket after bucket, best bucket first.
    bucketed: Vec<u32>,
    /// Where each bucket starts in `bucketed`, and one entry more: where the last ends.
    bucket_starts: Vec<u32>,
    /// The bucket of each outcome, by index (kept between rebuilds for its memory).
    bucket_of: Vec<u32>,
    /// Utilities of outcome prefixes while `utilities` is grown issue by issue.
    prefix_utilities: Vec<f64>,
    /// One issue's options' weighted values while `utilities` is grown.
    parts: Vec<f64>,
    largest: f64,
    factor: f64,
}

/// The utilities of a ranking next to a target: no outcome is worth strictly between them,
/// so they are the bracket of every target from `at_or_below` up to (not including) `above`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bracket {
    /// The least utility above the target, if any.
    pub above: Option<f64>,
    /// The greatest utility at most the target, if any.
    pub at_or_below: Option<f64>,
}

impl Bracket {
    /// Whether this is also the bracket of `target`.
    pub fn holds(&self, target: f64) -> bool {
        self.at_or_below.is_none_or(|below| below <= target)
            && self.above.is_none_or(|above| target < above)
    }
}

impl Ranking {
    pub fn new(preferences: &Preferences) -> Ranking {
        let mut ranking = Ranking::default();
        ranking.rebuild(preferences);
        ranking
    }

    /// Ranks the outcomes for these preferences, reusing this ranking's memory.
    pub fn rebuild(&mut self, preferences: &Preferences) {
        preferences.all_utilities_into(
            &mut self.utilities,
            &mut self.prefix_utilities,
            &mut self.parts,
        );
        // The outcome made of each issue's best option: its sum is the largest, to the bit,
        // since float addition is monotone in each term.
        let largest = preferences.best_utility();
        debug_assert_eq!(
            largest,
            self.utilities.iter().copied().fold(0.0, f64::max),
            "the best outcome's utility is the largest"
        );
        let smallest = preferences.worst_utility();
        debug_assert_eq!(
            smallest,
            self.utilities.iter().copied().fold(f64::INFINITY, f64::min),
            "the worst outcome's utility is the smallest"
        );
        self.spread_over_buckets(largest, smallest);
    }

    /// A ranking of given utilities (tests and the analysis of fixed columns).
    pub fn from_utilities(utilities: Vec<f64>) -> Ranking {
        let mut ranking = Ranking {
            utilities,
            ..Ranking::default()
        };
        let largest = ranking.utilities.iter().copied().fold(0.0, f64::max);
        let smallest = ranking
            .utilities
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        ranking.spread_over_buckets(largest, smallest);
        ranking
    }

    /// Spreads the outcomes over the buckets; `largest` and `smallest` are the largest and
    /// the smallest utility, so the buckets cover just the utilities there are.
    fn spread_over_buckets(&mut self, largest: f64, smallest: f64) {
        let count = self.utilities.len();
        assert!(count >= 1, "an outcome space has at least one outcome");
        assert!(count <= u32::MAX as usize, "outcome indexes fit in u32");
        debug_assert!(
            self.utilities
                .iter()
                .all(|utility| *utility >= 0.0 && utility.is_finite())
        );
        let buckets = (count / OUTCOMES_PER_BUCKET)
            .next_power_of_two()
            .clamp(1, MAX_BUCKETS);
        debug_assert!(smallest <= largest);
        let factor = if largest > smallest {
            (buckets - 1) as f64 / (largest - smallest)
        } else {
            0.0
        };
        self.largest = largest;
        self.factor = factor;
        // Counted one bucket up, so that the running sums below give each bucket's start.
        self.bucket_starts.clear();
        self.bucket_starts.resize(buckets + 1, 0);
        // (Buffers keep their length from run to run: the outcome space is the same.)
        if self.bucket_of.len() != count {
            self.bucket_of.clear();
            self.bucket_of.resize(count, 0);
        }
        for (bucket_of, utility) in self.bucket_of.iter_mut().zip(&self.utilities) {
            *bucket_of = bucket_for(*utility, largest, factor, buckets) as u32;
        }
        for bucket in &self.bucket_of {
            self.bucket_starts[*bucket as usize + 1] += 1;
        }
        let mut fullest = 0;
        for bucket in 1..=buckets {
            fullest = fullest.max(self.bucket_starts[bucket]);
            self.bucket_starts[bucket] += self.bucket_starts[bucket - 1];
        }
        // Outcomes enter their bucket in index order; `next_slot` borrows the starts and
        // leaves each at its bucket's end, so they are moved back by one bucket after.
        if self.bucketed.len() != count {
            self.bucketed.clear();
            self.bucketed.resize(count, 0);
        }
        for (index, bucket) in self.bucket_of.iter().enumerate() {
            let next_slot = &mut self.bucket_starts[*bucket as usize];
            self.bucketed[*next_slot as usize] = index as u32;
            *next_slot += 1;
        }
        self.bucket_starts.copy_within(0..buckets, 1);
        self.bucket_starts[0] = 0;
        if fullest as usize > SCANNED_BUCKET_LIMIT {
            let utilities = &self.utilities;
            for bucket in 0..buckets {
                let (start, end) = (
                    self.bucket_starts[bucket] as usize,
                    self.bucket_starts[bucket + 1] as usize,
                );
                if end - start > SCANNED_BUCKET_LIMIT {
                    self.bucketed[start..end].sort_unstable_by(|a, b| {
                        utilities[*b as usize]
                            .total_cmp(&utilities[*a as usize])
                            .then(a.cmp(b))
                    });
                }
            }
        }
        debug_assert_eq!(self.bucket_starts[buckets] as usize, count);
    }

    fn bucket_count(&self) -> usize {
        self.bucket_starts.len() - 1
    }

    fn bucket_of_utility(&self, utility: f64) -> usize {
        bucket_for(utility, self.largest, self.factor, self.bucket_count())
    }

    fn bucket(&self, bucket: usize) -> Bucket<'_> {
        let (start, end) = (
            self.bucket_starts[bucket] as usize,
            self.bucket_starts[bucket + 1] as usize,
        );
        Bucket {
            outcomes: &self.bucketed[start..end],
            utilities: &self.utilities,
        }
    }

    /// The smallest utility `wanted` accepts, `wanted` being `> value` or `>= value`: true
    /// for every outcome of a bucket before `value`'s own.
    fn least_from(&self, value: f64, wanted: impl Fn(f64) -> bool) -> Option<f64> {
        let home = self.bucket_of_utility(value);
        self.bucket(home).least_where(&wanted).or_else(|| {
            (0..home)
                .rev()
                .find_map(|bucket| self.bucket(bucket).least_where(|_| true))
        })
    }

    /// The largest utility at most `value`, if any outcome is worth that little.
    fn greatest_at_most(&self, value: f64) -> Option<f64> {
        let home = self.bucket_of_utility(value);
        self.bucket(home)
            .greatest_where(|utility| utility <= value)
            .or_else(|| {
                // Every outcome of a later bucket is worth less than `value`.
                (home + 1..self.bucket_count())
                    .find_map(|bucket| self.bucket(bucket).greatest_where(|_| true))
            })
    }

    /// The lowest outcome index of exactly this utility; `utility` is one an outcome has.
    pub fn lowest_index_worth(&self, utility: f64) -> u32 {
        let found = self
            .bucket(self.bucket_of_utility(utility))
            .lowest_index_worth(utility);
        debug_assert!(found.is_some(), "{utility} is the utility of an outcome");
        found.unwrap_or(0)
    }

    /// The largest utility of any outcome.
    pub fn best_utility(&self) -> f64 {
        self.largest
    }

    /// The smallest utility of any outcome: found in the last bucket that holds one.
    pub fn worst_utility(&self) -> f64 {
        (0..self.bucket_count())
            .rev()
            .find_map(|bucket| {
                let bucket = self.bucket(bucket);
                bucket
                    .outcomes
                    .iter()
                    .map(|outcome| bucket.utilities[*outcome as usize])
                    .reduce(f64::min)
            })
            .unwrap_or(self.largest)
    }

    /// The best outcome, the lowest index among equals.
    pub fn best(&self) -> u32 {
        self.lowest_index_worth(self.largest)
    }

    /// The outcome nearest `target` in utility, among those worth at least `floor`. Ties
    /// between a better and a worse outcome go to the better; among outcomes of equal
    /// utility, to the lowest outcome index.
    pub fn nearest(&self, target: f64, floor: f64) -> u32 {
        debug_assert!(!floor.is_nan());
        let utility = self.nearest_utility(target, self.bracket(target));
        let utility = if utility < floor {
            self.least_worth(floor)
        } else {
            utility
        };
        self.lowest_index_worth(utility)
    }

    /// The utilities next to `target`: the least above it and the greatest at most it.
    pub fn bracket(&self, target: f64) -> Bracket {
        debug_assert!(!target.is_nan());
        Bracket {
            above: self.least_from(target, |utility| utility > target),
            at_or_below: self.greatest_at_most(target),
        }
    }

    /// The utility nearest `target`, given its bracket, before `nearest` applies the floor.
    pub fn nearest_utility(&self, target: f64, bracket: Bracket) -> f64 {
        debug_assert!(!target.is_nan());
        debug_assert!(bracket.holds(target));
        match (bracket.above, bracket.at_or_below) {
            (Some(above), Some(below)) => {
                if target - below < above - target {
                    below
                } else {
                    above
                }
            }
            (Some(only), None) | (None, Some(only)) => only,
            // Not reached: every outcome is worth more than `target` or not.
            (None, None) => self.largest,
        }
    }

    /// Up to `limit` outcomes worth from `low` to `high` (both included), into `out`: bucket
    /// by bucket from `high` down, so when the band holds more than `limit` the better ones
    /// come first (exactly so between buckets, in bucket order within one). What the
    /// baseline agents choose among (`protocol::boa`).
    pub fn outcomes_between(&self, low: f64, high: f64, limit: usize, out: &mut Vec<u32>) {
        out.clear();
        if low.is_nan() || high.is_nan() || low > high {
            return;
        }
        let first = self.bucket_of_utility(high.min(self.largest));
        let last = self.bucket_of_utility(low.max(0.0));
        for bucket in first..=last.max(first) {
            let Bucket {
                outcomes,
                utilities,
            } = self.bucket(bucket);
            for outcome in outcomes {
                let utility = utilities[*outcome as usize];
                if (low..=high).contains(&utility) {
                    out.push(*outcome);
                    if out.len() >= limit {
                        return;
                    }
                }
            }
        }
    }

    /// The worst utility still worth `floor` (the best one, if none is).
    pub fn least_worth(&self, floor: f64) -> f64 {
        self.least_from(floor, |utility| utility >= floor)
            .unwrap_or(self.largest)
    }

    /// The outcomes no other outcome dominates, for this party and a second one whose
    /// utilities are `second`, into `kept`: best for this party first, ties by index. An
    /// outcome stands if its second utility is the largest of its group of equal first
    /// utilities and larger than every second utility of the groups before. Groups never
    /// straddle buckets, so a bucket is swept by first looking only at the outcomes whose
    /// second utility beats every earlier bucket's (usually none or one).
    pub fn frontier_with(&self, second: &[f64], kept: &mut Vec<usize>, candidates: &mut Vec<u32>) {
        assert_eq!(second.len(), self.utilities.len());
        let first = &self.utilities;
        // Once the frontier holds the largest second utility there is, nothing after it can
        // stand: the sweep stops there (about halfway, for opposed preferences).
        let ceiling = largest_of(second);
        let mut best_second = f64::NEG_INFINITY;
        for bucket in 0..self.bucket_count() {
            if best_second >= ceiling {
                break;
            }
            let outcomes = self.bucket(bucket).outcomes;
            // The whole bucket's best, without an early exit: one predictable branch per
            // bucket instead of one unpredictable branch per outcome.
            let top = outcomes.iter().map(|index| second[*index as usize]).fold(
                f64::NEG_INFINITY,
                |top, utility| {
                    if utility > top { utility } else { top }
                },
            );
            if top <= best_second {
                continue;
            }
            candidates.clear();
            candidates.extend(
                outcomes
                    .iter()
                    .copied()
                    .filter(|index| second[*index as usize] > best_second),
            );
            candidates.sort_unstable_by(|a, b| {
                first[*b as usize]
                    .total_cmp(&first[*a as usize])
                    .then(a.cmp(b))
            });
            let mut group_start = 0;
            while group_start < candidates.len() {
                let group_first = first[candidates[group_start] as usize];
                let group_end = group_start
                    + candidates[group_start..]
                        .iter()
                        .take_while(|index| first[**index as usize] == group_first)
                        .count();
                let group = &candidates[group_start..group_end];
                let top = group
                    .iter()
                    .map(|index| second[*index as usize])
                    .fold(f64::NEG_INFINITY, f64::max);
                if top > best_second {
                    kept.extend(
                        group
                            .iter()
                            .filter(|index| second[**index as usize] == top)
                            .map(|index| *index as usize),
                    );
                    best_second = top;
                }
                group_start = group_end;
            }
        }
    }
}

/// The largest of some utilities (at least one), in eight independent lanes so the
/// comparisons do not wait on one another.
fn largest_of(values: &[f64]) -> f64 {
    const LANES: usize = 8;
    let mut lanes = [f64::NEG_INFINITY; LANES];
    let blocks = values.chunks_exact(LANES);
    let rest = blocks.remainder();
    for block in blocks {
        for (lane, value) in lanes.iter_mut().zip(block) {
            if *value > *lane {
                *lane = *value;
            }
        }
    }
    lanes
        .into_iter()
        .chain(rest.iter().copied())
        .fold(
            f64::NEG_INFINITY,
            |top, value| if value > top { value } else { top },
        )
}

/// The bucket of a utility: monotone (a larger utility never lands in a later bucket), and
/// anything at or above `largest` lands in bucket 0. Written without branches, so the pass
/// that assigns every outcome its bucket runs several outcomes per instruction.
fn bucket_for(utility: f64, largest: f64, factor: f64, buckets: usize) -> usize {
    /// Adding 2^52 to a number in [0, 2^51) leaves it, rounded to an integer, in the low
    /// bits of the sum: a monotone conversion cheaper than `as`.
    const ROUNDING: f64 = 4_503_599_627_370_496.0;
    debug_assert!((1..=MAX_BUCKETS).contains(&buckets));
    let last = (buckets - 1) as f64;
    let scaled = (largest - utility) * factor;
    // Selects, not `max`/`min`: NaN (which no utility is) goes to bucket 0 either way.
    let at_least_zero = if scaled > 0.0 { scaled } else { 0.0 };
    let clamped = if at_least_zero < last {
        at_least_zero
    } else {
        last
    };
    ((clamped + ROUNDING).to_bits() - ROUNDING.to_bits()) as usize
}

/// One bucket's outcomes: in index order, or sorted when large.
struct Bucket<'a> {
    outcomes: &'a [u32],
    utilities: &'a [f64],
}

impl Bucket<'_> {
    fn sorted(&self) -> bool {
        self.outcomes.len() > SCANNED_BUCKET_LIMIT
    }

    fn utility(&self, position: usize) -> f64 {
        self.utilities[self.outcomes[position] as usize]
    }

    /// The smallest utility satisfying `wanted`, which holds for a prefix of the bucket
    /// once sorted (utilities above or at least some value).
    fn least_where(&self, wanted: impl Fn(f64) -> bool) -> Option<f64> {
        if self.sorted() {
            let end = self
                .outcomes
                .partition_point(|index| wanted(self.utilities[*index as usize]));
            return (end > 0).then(|| self.utility(end - 1));
        }
        // A select, not a filter: buckets are small and their order random, so a branch
        // per outcome would mostly be mispredicted.
        let least = self
            .outcomes
            .iter()
            .map(|index| self.utilities[*index as usize])
            .fold(f64::INFINITY, |least, utility| {
                if wanted(utility) && utility < least {
                    utility
                } else {
                    least
                }
            });
        (least < f64::INFINITY).then_some(least)
    }

    /// The largest utility satisfying `wanted`, which holds for a suffix of the bucket once
    /// sorted (utilities at most some value).
    fn greatest_where(&self, wanted: impl Fn(f64) -> bool) -> Option<f64> {
        if self.sorted() {
            let start = self
                .outcomes
                .partition_point(|index| !wanted(self.utilities[*index as usize]));
            return (start < self.outcomes.len()).then(|| self.utility(start));
        }
        let greatest = self
            .outcomes
            .iter()
            .map(|index| self.utilities[*index as usize])
            .fold(f64::NEG_INFINITY, |greatest, utility| {
                if wanted(utility) && utility > greatest {
                    utility
                } else {
                    greatest
                }
            });
        (greatest > f64::NEG_INFINITY).then_some(greatest)
    }

    fn lowest_index_worth(&self, utility: f64) -> Option<u32> {
        if self.sorted() {
            let start = self
                .outcomes
                .partition_point(|index| self.utilities[*index as usize] > utility);
            return (start < self.outcomes.len() && self.utility(start) == utility)
                .then(|| self.outcomes[start]);
        }
        // In index order: the first one found is the lowest.
        self.outcomes
            .iter()
            .copied()
            .find(|index| self.utilities[*index as usize] == utility)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The plain definition: every outcome sorted, best first, ties by index.
    struct Sorted {
        utilities: Vec<f64>,
        order: Vec<usize>,
    }

    impl Sorted {
        fn new(utilities: &[f64]) -> Sorted {
            let mut order: Vec<usize> = (0..utilities.len()).collect();
            order.sort_by(|a, b| utilities[*b].total_cmp(&utilities[*a]).then(a.cmp(b)));
            Sorted {
                utilities: utilities.to_vec(),
                order,
            }
        }

        fn at(&self, position: usize) -> f64 {
            self.utilities[self.order[position]]
        }

        fn first_at_most(&self, value: f64) -> usize {
            self.order
                .partition_point(|index| self.utilities[*index] > value)
        }

        fn nearest(&self, target: f64, floor: f64) -> usize {
            let below = self.first_at_most(target);
            let chosen = if below == 0 {
                0
            } else if below == self.order.len() {
                below - 1
            } else if target - self.at(below) < self.at(below - 1) - target {
                below
            } else {
                below - 1
            };
            let mut utility = self.at(chosen);
            if utility < floor {
                let last = self.first_at_most(floor);
                let position = if last < self.order.len() && self.at(last) >= floor {
                    last
                } else {
                    last.saturating_sub(1)
                };
                utility = self.at(position);
            }
            self.order[self.first_at_most(utility)]
        }

        fn frontier(&self, second: &[f64]) -> Vec<usize> {
            let mut kept = Vec::new();
            for index in 0..self.utilities.len() {
                let dominated = (0..self.utilities.len()).any(|other| {
                    let (a1, a2) = (self.utilities[other], second[other]);
                    let (b1, b2) = (self.utilities[index], second[index]);
                    a1 >= b1 && a2 >= b2 && (a1 > b1 || a2 > b2)
                });
                if !dominated {
                    kept.push(index);
                }
            }
            // Best for the first party first, ties by index.
            kept.sort_by(|a, b| {
                self.utilities[*b]
                    .total_cmp(&self.utilities[*a])
                    .then(a.cmp(b))
            });
            kept
        }
    }

    /// Utilities with many ties and clusters: drawn from a few levels, or spread.
    fn utilities() -> impl Strategy<Value = Vec<f64>> {
        prop_oneof![
            prop::collection::vec((0u32..6).prop_map(|level| f64::from(level) / 5.0), 1..300),
            prop::collection::vec(0.0f64..1.0, 1..300),
            prop::collection::vec(
                prop_oneof![Just(0.0), Just(0.5), 0.49f64..0.51, 0.0f64..2.0],
                1..300
            ),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The band the baseline agents choose among holds exactly the outcomes worth from
        /// `low` to `high` (up to the limit, from the better buckets), and the worst
        /// utility is the least there is.
        #[test]
        fn bands_and_the_worst_utility_match_the_definition(
            utilities in utilities(),
            bands in prop::collection::vec((-0.2f64..1.2, 0.0f64..0.5, 1usize..40), 1..10),
        ) {
            let ranking = Ranking::from_utilities(utilities.clone());
            let least = utilities.iter().copied().fold(f64::INFINITY, f64::min);
            prop_assert_eq!(ranking.worst_utility(), least);
            let mut out = Vec::new();
            for (low, width, limit) in bands {
                let high = low + width;
                ranking.outcomes_between(low, high, limit, &mut out);
                let inside: Vec<usize> = (0..utilities.len())
                    .filter(|index| (low..=high).contains(&utilities[*index]))
                    .collect();
                prop_assert_eq!(out.len(), inside.len().min(limit));
                for outcome in &out {
                    prop_assert!((low..=high).contains(&utilities[*outcome as usize]));
                }
                let mut unique = out.clone();
                unique.sort_unstable();
                unique.dedup();
                prop_assert_eq!(unique.len(), out.len());
            }
        }

        #[test]
        fn nearest_and_best_match_a_full_sort(
            utilities in utilities(),
            targets in prop::collection::vec((-0.5f64..2.5, 0.0f64..1.2), 1..20),
        ) {
            let ranking = Ranking::from_utilities(utilities.clone());
            let sorted = Sorted::new(&utilities);
            prop_assert_eq!(ranking.best() as usize, sorted.order[0]);
            for (target, floor) in targets {
                let target = target.max(floor);
                prop_assert_eq!(ranking.nearest(target, floor) as usize, sorted.nearest(target, floor));
            }
            for utility in utilities.iter().copied() {
                // Every outcome's own utility as a target finds the lowest index worth it.
                prop_assert_eq!(ranking.nearest(utility, 0.0) as usize, sorted.nearest(utility, 0.0));
            }
        }

        #[test]
        fn frontier_matches_the_definition(
            pairs in prop::collection::vec(
                ((0u32..8).prop_map(|level| f64::from(level) / 7.0), 0.0f64..1.0),
                1..200,
            ),
        ) {
            let first: Vec<f64> = pairs.iter().map(|pair| pair.0).collect();
            let second: Vec<f64> = pairs.iter().map(|pair| pair.1).collect();
            let ranking = Ranking::from_utilities(first.clone());
            let mut kept = Vec::new();
            ranking.frontier_with(&second, &mut kept, &mut Vec::new());
            prop_assert_eq!(kept, Sorted::new(&first).frontier(&second));
        }
    }
}
