//! Strategies: time-dependent concession (Faratin, Sierra and Jennings 1998, as GENIUS
//! implements it) and relative tit-for-tat, with acceptance when the standing offer is worth
//! more than the offer the party would make next.

use crate::sim::domain::{Domain, Preferences};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Strategy {
    /// Target utility `1 - t^(1/e)` at relative time `t`; `e = 0` never concedes.
    TimeDependent { e: f64 },
    /// Concedes, in its own utility, what the last offerer conceded in its last move.
    TitForTat,
}

impl Strategy {
    /// `boulware` (e = 0.2), `linear` (1), `conceder` (2), `hardliner` (0), `e=VALUE` for any
    /// e >= 0, `tit_for_tat`.
    pub fn parse(text: &str) -> Result<Strategy, String> {
        let e = match text {
            "boulware" => 0.2,
            "linear" => 1.0,
            "conceder" => 2.0,
            "hardliner" => 0.0,
            "tit_for_tat" | "tit-for-tat" => return Ok(Strategy::TitForTat),
            other => {
                let value = other
                    .strip_prefix("e=")
                    .and_then(|value| value.parse::<f64>().ok());
                match value {
                    Some(e) if e.is_finite() && e >= 0.0 => e,
                    _ => {
                        return Err(format!(
                            "unknown strategy `{other}` (boulware, linear, conceder, hardliner, e=VALUE, tit_for_tat)"
                        ));
                    }
                }
            }
        };
        Ok(Strategy::TimeDependent { e })
    }
}

/// The outcomes of a domain ranked by one party's utility: best first, ties by outcome index.
#[derive(Clone, Debug)]
pub struct Ranking {
    /// Utility of each outcome, by outcome index.
    pub utilities: Vec<f64>,
    /// Outcome indexes, best first.
    order: Vec<u32>,
}

impl Ranking {
    pub fn new(domain: &Domain, preferences: &Preferences) -> Ranking {
        debug_assert!(
            domain
                .outcome_count()
                .is_some_and(|count| count <= u128::from(u32::MAX))
        );
        let utilities = preferences.all_utilities();
        debug_assert!(utilities.iter().all(|utility| *utility >= 0.0));
        let order = crate::sim::analysis::descending_order(&utilities);
        Ranking { utilities, order }
    }

    /// Outcome indexes, best first, ties by index.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    fn utility_at(&self, position: usize) -> f64 {
        self.utilities[self.order[position] as usize]
    }

    /// The first position whose utility is at most `value`.
    fn first_at_most(&self, value: f64) -> usize {
        self.order
            .partition_point(|index| self.utilities[*index as usize] > value)
    }

    /// The outcome nearest `target` in utility, among those worth at least `floor`. Ties
    /// between a better and a worse outcome go to the better; among outcomes of equal
    /// utility, to the lowest outcome index.
    pub fn nearest(&self, target: f64, floor: f64) -> u32 {
        let below = self.first_at_most(target);
        let chosen_position = if below == 0 {
            0
        } else if below == self.order.len() {
            below - 1
        } else {
            let above_distance = self.utility_at(below - 1) - target;
            let below_distance = target - self.utility_at(below);
            if below_distance < above_distance {
                below
            } else {
                below - 1
            }
        };
        let mut utility = self.utility_at(chosen_position);
        if utility < floor {
            // The worst outcome still worth the floor (the best one, if none is).
            let last_acceptable = self.first_at_most(floor).min(self.order.len());
            let position = if last_acceptable < self.order.len()
                && self.utility_at(last_acceptable) >= floor
            {
                last_acceptable
            } else {
                last_acceptable.saturating_sub(1)
            };
            utility = self.utility_at(position);
        }
        // The lowest outcome index among those of exactly that utility.
        self.order[self.first_at_most(utility)]
    }

    pub fn best(&self) -> u32 {
        self.order[0]
    }
}

/// One party in one run.
pub struct Agent<'a> {
    pub strategy: Strategy,
    pub preferences: &'a Preferences,
    pub ranking: &'a Ranking,
    last_offer_utility: Option<f64>,
    /// For tit-for-tat: per other party, the utility to this party of its last two offers.
    seen: Vec<(Option<f64>, Option<f64>)>,
}

impl<'a> Agent<'a> {
    pub fn new(
        strategy: Strategy,
        preferences: &'a Preferences,
        ranking: &'a Ranking,
        parties: usize,
    ) -> Agent<'a> {
        Agent {
            strategy,
            preferences,
            ranking,
            last_offer_utility: None,
            seen: vec![(None, None); parties],
        }
    }

    /// Another party made an offer.
    pub fn observe(&mut self, party: usize, outcome: u32) {
        let utility = self.ranking.utilities[outcome as usize];
        let (_, last) = self.seen[party];
        self.seen[party] = (last, Some(utility));
    }

    /// The offer this party would make now, in round `round` of `deadline`, with `standing`
    /// made by `proposer`.
    pub fn next_offer(&self, round: u32, deadline: u32, proposer: Option<usize>) -> u32 {
        let floor = self.preferences.reservation;
        let best = self.ranking.utilities[self.ranking.best() as usize];
        let target = match self.strategy {
            Strategy::TimeDependent { e } => {
                let t = f64::from(round - 1) / f64::from(deadline + 1);
                if e == 0.0 {
                    best
                } else {
                    1.0 - t.powf(1.0 / e)
                }
            }
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
        };
        self.ranking.nearest(target.max(floor), floor)
    }

    /// Records the offer this party made.
    pub fn offered(&mut self, outcome: u32) {
        self.last_offer_utility = Some(self.ranking.utilities[outcome as usize]);
    }

    /// Accepts when the standing offer is worth more than the offer it would make next.
    pub fn accepts(&self, standing: u32, next: u32) -> bool {
        let standing_utility = self.ranking.utilities[standing as usize];
        standing_utility > self.ranking.utilities[next as usize]
            && standing_utility >= self.preferences.reservation
    }
}
