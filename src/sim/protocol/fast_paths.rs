//! The simulator's fast paths, fenced here so that what they take for granted is read in one
//! place: memory a thread reuses from run to run (proposal ids, the terms of each outcome,
//! time-dependent targets), each kept only while it is known to be for the scenario at hand.
//! None of it changes what a run writes: the same seed gives the same bytes on any number of
//! threads, whichever runs a thread played before (`tests/suite/simulation.rs`).

use std::sync::Arc;

use crate::format::event::Term;
use crate::format::ids::Slug;
use crate::sim::domains::preferences::Outcome;
use crate::sim::domains::scenario::Scenario;

/// Offer ids kept for reuse: enough for most runs, a bounded memory for long ones.
const MAX_CACHED_OFFER_IDS: u64 = 4096;

/// A time-dependent party's targets by round, and the (e as bits, deadline) they are for.
#[derive(Default)]
pub(crate) struct TargetTable {
    pub(crate) made_for: Option<(u64, u32)>,
    pub(crate) targets: Vec<f64>,
}

/// Largest outcome space whose offers' terms are kept for reuse.
const MAX_CACHED_TERMS: u128 = 1 << 16;

/// The terms of each outcome offered so far, shared by every offer of it, for one
/// scenario's issues and options.
#[derive(Default)]
pub(crate) struct TermsCache {
    /// The issue ids (compared by text) and clones of the option texts (held, so no other
    /// scenario's can reuse their memory, and compared by address) the cached terms were
    /// made of.
    issue_ids: Vec<Slug>,
    option_texts: Vec<Arc<str>>,
    /// By outcome index (in spaces of up to `MAX_CACHED_TERMS` outcomes).
    terms: Vec<Option<Arc<[Term]>>>,
}

impl TermsCache {
    /// Keeps the cache if it was made from this very scenario's issues; empties it if not.
    pub(crate) fn serve(&mut self, scenario: &Scenario) {
        let issues = &scenario.domain.issues;
        let same = self.issue_ids.len() == issues.len()
            && self
                .issue_ids
                .iter()
                .zip(issues)
                .all(|(id, issue)| *id == issue.id)
            && self
                .option_texts
                .iter()
                .zip(issues.iter().flat_map(|issue| &issue.options))
                .all(|(kept, text)| Arc::ptr_eq(kept, text))
            && self.option_texts.len()
                == issues
                    .iter()
                    .map(|issue| issue.options.len())
                    .sum::<usize>();
        if !same {
            self.issue_ids = issues.iter().map(|issue| issue.id.clone()).collect();
            self.option_texts = issues
                .iter()
                .flat_map(|issue| issue.options.iter().cloned())
                .collect();
            self.terms.clear();
        }
    }

    /// The terms of an offer of outcome `index` (the cache serves `scenario`), of the
    /// run's `pool` when it offers from one (`Prepared::pool`; not cached: two scenarios
    /// with the same issues have different pools).
    pub(crate) fn terms_of(
        &mut self,
        scenario: &Scenario,
        pool: Option<&Vec<Outcome>>,
        index: u32,
        outcome: &mut Outcome,
    ) -> Arc<[Term]> {
        if let Some(pool) = pool {
            return terms_of_outcome(scenario, &pool[index as usize]);
        }
        if let Some(Some(cached)) = self.terms.get(index as usize) {
            return cached.clone();
        }
        scenario.domain.outcome_into(u64::from(index), outcome);
        let terms = terms_of_outcome(scenario, outcome);
        let cacheable = scenario
            .domain
            .outcome_count()
            .is_some_and(|count| count <= MAX_CACHED_TERMS);
        if cacheable {
            if self.terms.len() <= index as usize {
                self.terms.resize(index as usize + 1, None);
            }
            self.terms[index as usize] = Some(terms.clone());
        }
        terms
    }
}

/// An outcome's terms: each issue's option.
fn terms_of_outcome(scenario: &Scenario, outcome: &[usize]) -> Arc<[Term]> {
    scenario
        .domain
        .issues
        .iter()
        .zip(outcome)
        .map(|(issue, option)| Term {
            issue: issue.id.clone(),
            text: issue.options[*option].clone(),
        })
        .collect()
}

/// The id of the `number`th offer of a run (from 1), its number zero-padded to `width`
/// digits.
pub(crate) fn offer_id(offer_ids: &mut Vec<Slug>, width: usize, number: u64) -> Slug {
    debug_assert!(number >= 1);
    debug_assert!((number.ilog10() as usize) < width);
    let make = |number: u64| Slug::parse(&format!("offer-{number:0width$}")).expect("a valid slug");
    if number > MAX_CACHED_OFFER_IDS {
        return make(number);
    }
    while (offer_ids.len() as u64) < number {
        offer_ids.push(make(offer_ids.len() as u64 + 1));
    }
    offer_ids[number as usize - 1].clone()
}
