//! Outcome spaces and linear additive preferences.

use crate::format::ids::Slug;

/// A negotiation issue and its options. `id` and option ids are slugs, so they can name an
/// issue and a provision in a log; `label` is what people read (a GENIUS item's value).
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub id: Slug,
    pub title: String,
    pub options: Vec<std::sync::Arc<str>>,
    /// Options whose agreement counts as an exchange of detainees (for `on_agreement`).
    pub exchange_options: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    pub issues: Vec<Issue>,
}

/// One option per issue, by index.
pub type Outcome = Vec<usize>;

/// The largest outcome space a simulation or an analysis enumerates.
pub const MAX_ENUMERATED_OUTCOMES: u128 = 4_000_000;

impl Domain {
    /// The number of outcomes, or `None` past 2^128.
    pub fn outcome_count(&self) -> Option<u128> {
        self.issues.iter().try_fold(1u128, |count, issue| {
            count.checked_mul(issue.options.len() as u128)
        })
    }

    /// The outcome with the given index, issue 0 the most significant digit.
    pub fn outcome(&self, index: u64) -> Outcome {
        let mut outcome = Vec::new();
        self.outcome_into(index, &mut outcome);
        outcome
    }

    /// The index of an outcome (one option per issue, each in range): `outcome`'s inverse.
    pub fn index_of(&self, outcome: &[usize]) -> u64 {
        debug_assert_eq!(outcome.len(), self.issues.len());
        self.issues
            .iter()
            .zip(outcome)
            .fold(0u64, |index, (issue, option)| {
                debug_assert!(*option < issue.options.len());
                index * issue.options.len() as u64 + *option as u64
            })
    }

    /// `outcome`, into a buffer the caller reuses.
    pub fn outcome_into(&self, mut index: u64, outcome: &mut Outcome) {
        outcome.clear();
        outcome.resize(self.issues.len(), 0);
        for (position, issue) in self.issues.iter().enumerate().rev() {
            let options = issue.options.len() as u64;
            outcome[position] = (index % options) as usize;
            index /= options;
        }
    }
}

/// Divides evaluations by their largest, as GENIUS does (all 0 if none is positive).
pub fn normalise_by_largest(evaluations: &mut [f64]) {
    let largest = evaluations.iter().copied().fold(0.0, f64::max);
    for evaluation in evaluations {
        *evaluation = if largest > 0.0 {
            *evaluation / largest
        } else {
            0.0
        };
    }
}

/// Weights as utilities take them, and the weights as written when those differ: as given,
/// unless their written decimals sum to more than 1 (the Party domain's `party5_utility.xml`
/// sums to 1.000158, the analysis fixtures to as much as 2.4), in which case each is divided
/// by their sum. No outcome is then worth more than 1 to anyone, and each party's order of
/// the outcomes is kept; reservation values stay as written, on the same 0-to-1 scale.
pub fn weights_within_one(weights: Vec<f64>) -> (Vec<f64>, Option<std::sync::Arc<Vec<f64>>>) {
    let Some(total) = crate::sim::domains::decimal::written_sum(&weights) else {
        return (weights, None);
    };
    if total <= num_rational::BigRational::from_integer(1.into()) {
        return (weights, None);
    }
    let divided = weights
        .iter()
        .map(|weight| {
            crate::sim::domains::decimal::written_decimal(*weight)
                .map(|decimal| {
                    crate::sim::domains::decimal::rational_to_double(&(decimal / &total))
                })
                .unwrap_or(*weight)
        })
        .collect();
    (divided, Some(std::sync::Arc::new(weights)))
}

/// A sum of weighted values as a utility: in [0, 1]. Weights within one and values in
/// [0, 1] keep the exact sum there; a double sum can pass 1 by a rounding (0.1 + 0.2 + 0.7
/// is 1.0000000000000002), which is cut back. The same cut on every path keeps equal
/// outcomes' utilities equal to the bit.
pub fn within_unit(sum: f64) -> f64 {
    sum.clamp(0.0, 1.0)
}

/// A party's preferences: GENIUS's linear additive utility, `sum of weight(issue) *
/// evaluation(option) / max evaluation in that issue`, and a reservation value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Preferences {
    pub weights: Vec<f64>,
    /// Per issue, per option: the evaluation divided by the issue's largest evaluation.
    pub values: Vec<Vec<f64>>,
    pub reservation: f64,
    /// GENIUS's discount factor `d` in (0, 1): an agreement at relative time `t` is worth
    /// `utility * d^t`. `None` for no discount (GENIUS writes 1, or 0, for that).
    pub discount: Option<f64>,
    /// The numbers the profile wrote, where `values` and `reservation` are computed from
    /// them: what the exact analysis (`sim::exact`) reads.
    pub written: Written,
    /// A nonlinear (ANAC 2014) party's utility. **When it is given, `weights` and `values`
    /// are empty and every utility comes from it**: `utility` and the analysis
    /// (`sim::analysis::rectangles`) read it; the linear paths (`all_utilities_into`,
    /// `sim::exact`) do not apply.
    pub rectangles: Option<std::sync::Arc<crate::sim::domains::nonlinear::RectangleUtility>>,
}

/// What a profile wrote, where it differs from the doubles `Preferences` computes with. The
/// default: `values` and `reservation` are themselves the written numbers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Written {
    /// Per issue, per option, the evaluations `values` divides by each issue's largest
    /// (GENIUS profiles and accord's scenarios).
    pub evaluations: Option<std::sync::Arc<Vec<Vec<f64>>>>,
    /// The weights as written, when they summed to more than 1 and `weights` holds them
    /// divided by their sum (`weights_within_one`); the exact analysis divides these.
    pub weights: Option<std::sync::Arc<Vec<f64>>>,
    /// The outcome whose utility is the reservation value (GeniusWeb's reservation bid).
    pub reservation_outcome: Option<std::sync::Arc<Outcome>>,
}

impl Preferences {
    /// From raw evaluations, normalised as GENIUS does.
    pub fn from_evaluations(
        weights: Vec<f64>,
        evaluations: Vec<Vec<f64>>,
        reservation: f64,
    ) -> Preferences {
        let mut values = evaluations.clone();
        for issue in &mut values {
            normalise_by_largest(issue);
        }
        let (weights, written_weights) = weights_within_one(weights);
        Preferences {
            weights,
            values,
            reservation,
            discount: None,
            written: Written {
                evaluations: Some(std::sync::Arc::new(evaluations)),
                weights: written_weights,
                reservation_outcome: None,
            },
            rectangles: None,
        }
    }

    /// Whether these preferences value every outcome of `domain`: a weight and a value per
    /// issue and option, or rectangles that range only the domain's issues and options.
    pub fn fits(&self, domain: &Domain) -> bool {
        match &self.rectangles {
            Some(rectangles) => {
                self.weights.is_empty()
                    && self.values.is_empty()
                    && rectangles.boxes.iter().all(|rectangle| {
                        rectangle.ranges.iter().all(|(issue, first, last)| {
                            domain
                                .issues
                                .get(*issue)
                                .is_some_and(|issue| first <= last && *last < issue.options.len())
                        })
                    })
            }
            None => {
                self.weights.len() == domain.issues.len()
                    && self.values.len() == domain.issues.len()
                    && self
                        .values
                        .iter()
                        .zip(&domain.issues)
                        .all(|(values, issue)| values.len() == issue.options.len())
            }
        }
    }

    /// `utility` discounted to relative time `t` (GENIUS's `utility * d^t`).
    pub fn discounted(&self, utility: f64, t: f64) -> f64 {
        match self.discount {
            Some(factor) => utility * factor.powf(t),
            None => utility,
        }
    }

    /// The utility of an outcome, summed issue by issue in order (always the same order, so
    /// equal outcomes get bit-identical utilities however they are reached), in [0, 1].
    pub fn utility(&self, outcome: &[usize]) -> f64 {
        if let Some(rectangles) = &self.rectangles {
            return rectangles.utility(outcome);
        }
        let mut total = 0.0;
        for (issue, option) in outcome.iter().enumerate() {
            total += self.weights[issue] * self.values[issue][*option];
        }
        within_unit(total)
    }

    /// The utility of every outcome, by outcome index, without building the outcomes: the
    /// sums are grown issue by issue in the same order as `utility`, so each equals
    /// `utility(outcome)` to the bit.
    /// `prefixes` and `parts` are scratch space.
    pub fn all_utilities_into(
        &self,
        sums: &mut Vec<f64>,
        prefixes: &mut Vec<f64>,
        parts: &mut Vec<f64>,
    ) {
        sums.clear();
        sums.push(0.0);
        for (weight, options) in self.weights.iter().zip(&self.values) {
            std::mem::swap(sums, prefixes);
            parts.clear();
            parts.extend(options.iter().map(|value| weight * value));
            let width = parts.len();
            assert!(
                width > 0,
                "every issue has an option (scenarios are checked)"
            );
            sums.clear();
            sums.reserve(prefixes.len() * width);
            // Prefix `j` becomes entries `j * width .. (j + 1) * width`, in index order.
            for prefix in prefixes.iter() {
                sums.extend(parts.iter().map(|part| prefix + part));
            }
        }
        for sum in sums.iter_mut() {
            *sum = within_unit(*sum);
        }
    }

    /// The contribution of one option of one issue.
    pub fn part(&self, issue: usize, option: usize) -> f64 {
        self.weights[issue] * self.values[issue][option]
    }

    /// The largest utility any outcome gives (the sum of the per-issue maxima).
    pub fn best_utility(&self) -> f64 {
        self.sum_of_issue_extremes(f64::MIN, f64::max)
    }

    /// The smallest utility any outcome gives (the sum of the per-issue minima).
    pub fn worst_utility(&self) -> f64 {
        self.sum_of_issue_extremes(f64::MAX, f64::min)
    }

    /// Each issue's most extreme part by `pick`, summed in `utility`'s order: the utility of
    /// the outcome made of those options, to the bit, since float addition is monotone in
    /// each term.
    fn sum_of_issue_extremes(&self, start: f64, pick: fn(f64, f64) -> f64) -> f64 {
        let mut total = 0.0;
        for (issue, options) in self.values.iter().enumerate() {
            total += options
                .iter()
                .map(|value| self.weights[issue] * value)
                .fold(start, pick);
        }
        within_unit(total)
    }
}

/// A slug made from a free-text name: runs of other characters become `-`.
pub fn slugify(name: &str, taken: &[Slug]) -> Slug {
    let mut text = String::new();
    for character in name.chars() {
        if character.is_ascii_alphanumeric() || matches!(character, '.' | '_') {
            text.push(character);
        } else if !text.ends_with('-') {
            text.push('-');
        }
    }
    let mut base: String = text
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(56)
        .collect();
    if base.is_empty() {
        base = "issue".into();
    }
    let mut candidate = base.clone();
    let mut suffix = 2;
    while taken.iter().any(|slug| slug.as_str() == candidate) {
        candidate = format!("{base}-{suffix}");
        suffix += 1;
    }
    Slug::parse(&candidate).expect("built from allowed characters")
}
