//! Utilities in exact arithmetic, for the analysis.
//!
//! A profile's numbers are decimals (GENIUS XML, GeniusWeb and accord's JSON write them so).
//! Read into doubles, two outcomes whose utilities are equal on paper can differ in the last
//! bit, depending on the order of the sums, and then one "dominates" the other. Here each
//! number is taken as the decimal it was written as, each option's contribution
//! `weight * evaluation / largest evaluation` is a fraction, and a party's fractions are put
//! over one common denominator, so a utility is an integer numerator and comparing two
//! utilities of one party is comparing integers.
//!
//! **A number is the shortest decimal that reads back as the same double**: the decimal as
//! written, for any number written with at most 15 significant digits (and for most with 16
//! or 17). Numerators are `i128` when every sum of a party's parts fits (almost always) and
//! big integers otherwise; the answers are the same either way.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::sim::domains::decimal::{nearest_double, written_decimal, written_sum};
use crate::sim::domains::preferences::Preferences;

/// The integers utilities are numerators in: `i128` or, when a party's sums could pass it,
/// `BigInt`. Only what the analysis needs.
pub trait Numerator: Clone + Ord + std::fmt::Debug + Send + Sync {
    /// Most utilities (outcomes times parties) an enumeration holds in this type: an `i128`
    /// takes 16 bytes, a big integer about three times that.
    const ENUMERATION_LIMIT: u128;
    fn zero() -> Self;
    fn plus(&self, other: &Self) -> Self;
    fn minus(&self, other: &Self) -> Self;
    fn to_big(&self) -> BigInt;
    fn from_big(value: &BigInt) -> Self;
}

impl Numerator for i128 {
    const ENUMERATION_LIMIT: u128 = 16_000_000;
    fn zero() -> Self {
        0
    }
    // `ExactParty::build` admits `i128` only when the largest sum and difference fit.
    fn plus(&self, other: &Self) -> Self {
        self + other
    }
    fn minus(&self, other: &Self) -> Self {
        self - other
    }
    fn to_big(&self) -> BigInt {
        BigInt::from(*self)
    }
    fn from_big(value: &BigInt) -> Self {
        value
            .to_i128()
            .expect("checked to fit when the party was built")
    }
}

impl Numerator for BigInt {
    const ENUMERATION_LIMIT: u128 = 4_000_000;
    fn zero() -> Self {
        Zero::zero()
    }
    fn plus(&self, other: &Self) -> Self {
        self + other
    }
    fn minus(&self, other: &Self) -> Self {
        self - other
    }
    fn to_big(&self) -> BigInt {
        self.clone()
    }
    fn from_big(value: &BigInt) -> Self {
        value.clone()
    }
}

/// One party's utilities in exact arithmetic: the utility of an outcome is the sum of its
/// options' `parts`, over `denominator`; the reservation value is `reservation` over it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExactParty<N> {
    pub denominator: BigInt,
    /// Per issue, per option.
    pub parts: Vec<Vec<N>>,
    pub reservation: N,
}

/// Every party's exact utilities, in the narrowest integers that hold all of them.
#[derive(Clone, Debug, PartialEq)]
pub enum ExactParties {
    Small(Vec<ExactParty<i128>>),
    Big(Vec<ExactParty<BigInt>>),
}

/// Sums and differences of numerators stay below this in magnitude for `i128` to be used.
const SMALL_LIMIT: u128 = 1 << 125;

impl ExactParties {
    /// The exact form of these preferences; an error names a number that has none (an
    /// infinity or a NaN, which loading refuses, so this is a guard).
    pub fn of(preferences: &[Preferences]) -> Result<ExactParties, PartyNotExact> {
        let parties: Vec<ExactParty<BigInt>> = preferences
            .iter()
            .enumerate()
            .map(|(index, prefs)| {
                exact_party(prefs).map_err(|reason| PartyNotExact {
                    party: index + 1,
                    reason,
                })
            })
            .collect::<Result<_, _>>()?;
        if parties.iter().all(fits_small) {
            Ok(ExactParties::Small(
                parties.iter().map(|party| party.converted()).collect(),
            ))
        } else {
            Ok(ExactParties::Big(parties))
        }
    }
}

impl<N: Numerator> ExactParty<N> {
    fn converted<M: Numerator>(&self) -> ExactParty<M> {
        ExactParty {
            denominator: self.denominator.clone(),
            parts: self
                .parts
                .iter()
                .map(|options| {
                    options
                        .iter()
                        .map(|part| M::from_big(&part.to_big()))
                        .collect()
                })
                .collect(),
            reservation: M::from_big(&self.reservation.to_big()),
        }
    }

    /// The numerator of an outcome's utility.
    pub fn utility(&self, outcome: &[usize]) -> N {
        let mut total = N::zero();
        for (options, option) in self.parts.iter().zip(outcome) {
            total = total.plus(&options[*option]);
        }
        total
    }

    /// The numerator of the best utility: each issue's largest part, summed.
    pub fn best(&self) -> N {
        let mut total = N::zero();
        for options in &self.parts {
            if let Some(largest) = options.iter().max() {
                total = total.plus(largest);
            }
        }
        total
    }

    /// A numerator of this party as the nearest double.
    pub fn to_f64(&self, numerator: &N) -> f64 {
        // Weights divided by their sum are doubles whose decimals can sum to a hair over 1.
        crate::sim::domains::preferences::within_unit(nearest_double(
            &numerator.to_big(),
            &self.denominator,
        ))
    }

    /// Every outcome's numerator, by outcome index (issue 0 the most significant digit).
    pub fn all_utilities(&self) -> Vec<N> {
        let mut sums = vec![N::zero()];
        for options in &self.parts {
            let mut next = Vec::with_capacity(sums.len() * options.len());
            for prefix in &sums {
                next.extend(options.iter().map(|part| prefix.plus(part)));
            }
            sums = next;
        }
        sums
    }
}

/// Whether every sum of parts and its difference from the reservation stays within `i128`.
fn fits_small(party: &ExactParty<BigInt>) -> bool {
    let mut bound = party.reservation.abs();
    for options in &party.parts {
        bound += options
            .iter()
            .map(|part| part.abs())
            .max()
            .unwrap_or_default();
    }
    bound.to_u128().is_some_and(|bound| bound < SMALL_LIMIT)
}

/// Why a party's preferences have no exact figures.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum NotExact {
    #[error("{what} {value} is not a finite number")]
    NotFinite { what: &'static str, value: f64 },
    #[error("a weight is not a finite number")]
    WeightSumNotFinite,
}

/// The party (counted from 1) whose preferences have no exact figures, and why.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("party {party}: {reason}")]
pub struct PartyNotExact {
    pub party: usize,
    pub reason: NotExact,
}

fn exact_party(preferences: &Preferences) -> Result<ExactParty<BigInt>, NotExact> {
    let decimal = |value: f64, what: &'static str| {
        written_decimal(value).ok_or(NotExact::NotFinite { what, value })
    };
    // Weights that were divided by their sum are divided here as written, exactly.
    let (weights, divisor) = match &preferences.written.weights {
        Some(written) => (
            &written[..],
            written_sum(written).ok_or(NotExact::WeightSumNotFinite)?,
        ),
        None => (&preferences.weights[..], BigRational::one()),
    };
    let mut fractions: Vec<Vec<BigRational>> = Vec::with_capacity(weights.len());
    for (issue, weight) in weights.iter().enumerate() {
        let weight = decimal(*weight, "a weight")? / &divisor;
        let options = match &preferences.written.evaluations {
            Some(evaluations) => {
                let evaluations: Vec<BigRational> = evaluations[issue]
                    .iter()
                    .map(|value| decimal(*value, "an evaluation"))
                    .collect::<Result<_, _>>()?;
                // GENIUS divides by the issue's largest evaluation; none positive: all 0.
                let largest = evaluations
                    .iter()
                    .max()
                    .cloned()
                    .unwrap_or_else(BigRational::zero);
                evaluations
                    .iter()
                    .map(|evaluation| {
                        if largest.is_positive() {
                            &weight * evaluation / &largest
                        } else {
                            BigRational::zero()
                        }
                    })
                    .collect()
            }
            None => preferences.values[issue]
                .iter()
                .map(|value| Ok(&weight * decimal(*value, "a value")?))
                .collect::<Result<_, NotExact>>()?,
        };
        fractions.push(options);
    }
    let reservation = match &preferences.written.reservation_outcome {
        Some(outcome) => fractions
            .iter()
            .zip(outcome.iter())
            .map(|(options, option)| options[*option].clone())
            .fold(BigRational::zero(), |total, part| total + part),
        None => decimal(preferences.reservation, "the reservation value")?,
    };
    let denominator = fractions
        .iter()
        .flatten()
        .chain(std::iter::once(&reservation))
        .fold(BigInt::one(), |common, fraction| {
            common.lcm(fraction.denom())
        });
    let numerator = |fraction: &BigRational| -> BigInt {
        let scaled = fraction * BigRational::from_integer(denominator.clone());
        debug_assert!(scaled.is_integer());
        scaled.to_integer()
    };
    let party = ExactParty {
        parts: fractions
            .iter()
            .map(|options| options.iter().map(numerator).collect())
            .collect(),
        reservation: numerator(&reservation),
        denominator,
    };
    debug_assert_close(preferences, &party);
    Ok(party)
}

/// The exact utilities are the doubles' to within rounding: a written form that does not
/// belong to the doubles beside it would be a bug.
fn debug_assert_close(preferences: &Preferences, party: &ExactParty<BigInt>) {
    if cfg!(debug_assertions) {
        let close = |exact: f64, float: f64| {
            !float.is_finite() || (exact - float).abs() <= 1e-9 * (1.0 + float.abs())
        };
        let best: Vec<usize> = party
            .parts
            .iter()
            .map(|options| {
                (0..options.len())
                    .max_by(|a, b| options[*a].cmp(&options[*b]).then(b.cmp(a)))
                    .unwrap_or(0)
            })
            .collect();
        assert!(
            close(
                party.to_f64(&party.utility(&best)),
                preferences.utility(&best)
            ),
            "the written numbers give the utilities the doubles give"
        );
        assert!(close(
            party.to_f64(&party.reservation),
            preferences.reservation
        ));
    }
}

/// Compares two fractions with positive denominators, `a / b` against `c / d`.
pub fn compare_fractions(a: &BigInt, b: &BigInt, c: &BigInt, d: &BigInt) -> Ordering {
    debug_assert!(b.is_positive() && d.is_positive());
    (a * d).cmp(&(c * b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(numerator: i64, denominator: i64) -> BigRational {
        BigRational::new(BigInt::from(numerator), BigInt::from(denominator))
    }

    #[test]
    fn decimals_are_read_as_written() {
        assert_eq!(written_decimal(0.19), Some(ratio(19, 100)));
        assert_eq!(
            written_decimal(0.1 + 0.2),
            Some(ratio(30000000000000004, 100000000000000000))
        );
        assert_eq!(written_decimal(-2.5e3), Some(ratio(-2500, 1)));
        assert_eq!(written_decimal(3.0), Some(ratio(3, 1)));
        assert_eq!(written_decimal(0.0), Some(ratio(0, 1)));
        assert_eq!(written_decimal(f64::NAN), None);
        assert_eq!(written_decimal(f64::INFINITY), None);
        assert!(written_decimal(5e-324).is_some() && written_decimal(f64::MAX).is_some());
    }

    #[test]
    fn the_nearest_double_is_correctly_rounded() {
        let big = |value: i128| BigInt::from(value);
        assert_eq!(nearest_double(&big(1), &big(3)), 1.0 / 3.0);
        assert_eq!(nearest_double(&big(-7), &big(10)), -0.7);
        // Past 2^53 both ways: 10^20 + 1 over 10^20 is nearest to 1.
        let large = big(100_000_000_000_000_000_000);
        assert_eq!(nearest_double(&(&large + 1), &large), 1.0);
        assert_eq!(nearest_double(&(&large * 3 / 10), &large), 0.3);
    }
}
