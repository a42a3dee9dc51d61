//! Strategies: time-dependent concession (Faratin, Sierra and Jennings 1998, as GENIUS
//! implements it) and relative tit-for-tat, with acceptance when the standing offer is worth
//! at least as much as the offer the party would make next (AC_next).

use crate::sim::analysis::ranking::{Bracket, Ranking};
use crate::sim::domains::preferences::Preferences;
use crate::sim::domains::strategies::Strategy;
use crate::sim::protocol::boa::BoaAgent;

/// A time-dependent party's target utility in round `round` of `deadline`: `1 - t^(1/e)`
/// at relative time `t`, or its best utility for `e = 0`.
pub fn time_dependent_target(e: f64, round: u32, deadline: u32, best: f64) -> f64 {
    debug_assert!((1..=deadline).contains(&round));
    let t = f64::from(round - 1) / f64::from(deadline + 1);
    if e == 0.0 {
        best
    } else {
        1.0 - t.powf(1.0 / e)
    }
}

/// The targets of a time-dependent party with `e > 0`, round by round (from 1): the same
/// floats `time_dependent_target` gives, computed once rather than every turn of every run.
pub fn time_dependent_targets(e: f64, deadline: u32, targets: &mut Vec<f64>) {
    assert!(
        e > 0.0,
        "e = 0 targets the best utility, which depends on the run"
    );
    targets.clear();
    targets.extend((1..=deadline).map(|round| time_dependent_target(e, round, deadline, 0.0)));
}

/// One party in one run.
pub struct Agent<'a> {
    pub strategy: Strategy,
    pub preferences: &'a Preferences,
    pub ranking: &'a Ranking,
    /// A time-dependent party's targets by round (from 1), made once per batch thread; empty
    /// for the others.
    targets: &'a [f64],
    last_offer_utility: Option<f64>,
    /// For tit-for-tat: per other party, the utility to this party of its last two offers.
    seen: Vec<(Option<f64>, Option<f64>)>,
    /// The ranking's answers to the last offer's questions, kept because a party's target
    /// often moves less than the gap between two outcomes (a Boulware's, for most of a run):
    /// the last target's bracket, the worst utility worth the reservation value, and the
    /// last utility offered with its lowest outcome index.
    last_bracket: Option<Bracket>,
    least_worth_reservation: Option<f64>,
    last_pick: Option<(f64, u32)>,
    /// A BOA party's parts and what they learnt (`Strategy::Boa`).
    boa: Option<Box<BoaAgent<'a>>>,
}

impl<'a> Agent<'a> {
    pub fn new(
        strategy: Strategy,
        preferences: &'a Preferences,
        ranking: &'a Ranking,
        targets: &'a [f64],
        parties: usize,
    ) -> Agent<'a> {
        Agent {
            strategy,
            preferences,
            ranking,
            targets,
            last_offer_utility: None,
            seen: vec![(None, None); parties],
            last_bracket: None,
            least_worth_reservation: None,
            last_pick: None,
            boa: None,
        }
    }

    /// A BOA party: its moves are its parts' (`protocol::boa`).
    pub fn with_boa(mut self, boa: BoaAgent<'a>) -> Agent<'a> {
        debug_assert!(matches!(self.strategy, Strategy::Boa(_)));
        self.boa = Some(Box::new(boa));
        self
    }

    /// Another party made an offer in `round` of `deadline`.
    pub fn observe(&mut self, party: usize, outcome: u32, round: u32, deadline: u32) {
        if let Some(boa) = &mut self.boa {
            boa.observe(party, outcome, round, deadline);
            return;
        }
        let utility = self.ranking.utilities[outcome as usize];
        let (_, last) = self.seen[party];
        self.seen[party] = (last, Some(utility));
    }

    /// The offer this party would make now, in round `round` of `deadline`, with `standing`
    /// made by `proposer`.
    pub fn next_offer(&mut self, round: u32, deadline: u32, proposer: Option<usize>) -> u32 {
        if let Some(boa) = &mut self.boa {
            return boa.next_offer(round, deadline);
        }
        let floor = self.preferences.reservation;
        let best = self.ranking.best_utility();
        let target = match self.strategy {
            Strategy::TimeDependent { e } => match self.targets.get(round as usize - 1) {
                Some(target) => *target,
                None => time_dependent_target(e, round, deadline, best),
            },
            Strategy::TitForTat => {
                let concession = proposer
                    .and_then(|party| match self.seen[party] {
                        (Some(before), Some(last)) => Some(last - before),
                        _ => None,
                    })
                    .unwrap_or(0.0)
                    .max(0.0);
                self.last_offer_utility.unwrap_or(best) - concession
            }
            // Not reached: a BOA party is seated with its parts, which answered above.
            Strategy::Boa(_) => best,
        };
        self.nearest(target.max(floor), floor)
    }

    /// `Ranking::nearest`, answered from the last call's findings where they still hold.
    fn nearest(&mut self, target: f64, floor: f64) -> u32 {
        let ranking = self.ranking;
        let bracket = match self.last_bracket {
            Some(bracket) if bracket.holds(target) => bracket,
            _ => ranking.bracket(target),
        };
        self.last_bracket = Some(bracket);
        // `floor` is always the reservation value, so its answer is kept.
        debug_assert_eq!(floor, self.preferences.reservation);
        let mut utility = ranking.nearest_utility(target, bracket);
        if utility < floor {
            utility = *self
                .least_worth_reservation
                .get_or_insert_with(|| ranking.least_worth(floor));
        }
        let index = match self.last_pick {
            Some((picked, index)) if picked == utility => index,
            _ => ranking.lowest_index_worth(utility),
        };
        self.last_pick = Some((utility, index));
        debug_assert_eq!(index, ranking.nearest(target, floor));
        index
    }

    /// Records the offer this party made.
    pub fn offered(&mut self, outcome: u32) {
        if let Some(boa) = &mut self.boa {
            boa.offered(outcome);
        }
        self.last_offer_utility = Some(self.ranking.utilities[outcome as usize]);
    }

    /// GENIUS's AC_next: accepts when the standing offer is worth at least as much as the
    /// offer it would make next (so two parties who would offer each other the same outcome
    /// agree on it), and never below its reservation value. A BOA party asks its acceptance
    /// condition.
    pub fn accepts(&mut self, standing: u32, next: u32) -> bool {
        if let Some(boa) = &mut self.boa {
            return boa.accepts(standing, next);
        }
        let standing_utility = self.ranking.utilities[standing as usize];
        standing_utility >= self.ranking.utilities[next as usize]
            && standing_utility >= self.preferences.reservation
    }
}

#[cfg(test)]
mod tests {
    use super::{Agent, Strategy};
    use crate::sim::analysis::ranking::Ranking;
    use crate::sim::domains::preferences::Preferences;
    use proptest::prelude::{Just, ProptestConfig, prop, prop_assert_eq, prop_oneof, proptest};
    use proptest::strategy::Strategy as _;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The answers an agent keeps from one offer to the next give what a fresh search
        /// gives, for any sequence of targets (rising, falling, repeated) and reservation.
        #[test]
        fn kept_answers_match_a_fresh_search(
            utilities in prop::collection::vec(
                prop_oneof![(0u32..6).prop_map(|level| f64::from(level) / 5.0), 0.0f64..1.0],
                1..200,
            ),
            reservation in prop_oneof![Just(0.0), 0.0f64..1.2],
            targets in prop::collection::vec(
                prop_oneof![-0.2f64..1.3, (0u32..6).prop_map(|level| f64::from(level) / 5.0)],
                1..40,
            ),
        ) {
            let ranking = Ranking::from_utilities(utilities);
            let preferences = Preferences {
                weights: vec![1.0],
                values: vec![vec![1.0]],
                reservation,
                discount: None,
                written: Default::default(),
                rectangles: None,
            };
            let mut agent = Agent::new(Strategy::TitForTat, &preferences, &ranking, &[], 2);
            for target in targets {
                let target = target.max(reservation);
                prop_assert_eq!(
                    agent.nearest(target, reservation),
                    ranking.nearest(target, reservation)
                );
            }
        }
    }
}
