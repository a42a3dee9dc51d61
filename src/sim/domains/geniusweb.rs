//! GeniusWeb profiles: the JSON `LinearAdditiveUtilitySpace`, which carries its own domain
//! (issues with a list of `values`, or a number `range` of `low`, `high` and `step`), each
//! issue's weight, each value's utility, and an optional reservation bid. Other GeniusWeb
//! spaces are refused by name.
//!
//! Issue utilities are tagged as GeniusWeb's servers write them (and NegMAS reads them):
//! `discreteutils` (`{"valueUtilities": {VALUE: U}}`) for a list of values, `numberutils`
//! (`{"lowValue", "lowUtility", "highValue", "highUtility"}`, linear in between, rounded half
//! up to 8 decimals as GeniusWeb does) for a range; the older spellings
//! `DiscreteValueSetUtilities` and `NumberValueSetUtilities` are read alike.
//!
//! GeniusWeb gives value utilities in [0, 1] as they are, so they are kept as given (GENIUS
//! XML evaluations are divided by the issue's largest; these are not). The reservation value
//! is the utility of the reservation bid, 0 without one. Issues come in the order of their
//! names, values in the order the domain lists them (a range's from low to high).

use std::path::{Path, PathBuf};

use serde_json::Value;

use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::format::ids::Slug;
use crate::sim::SimError;
use crate::sim::domains::preferences::{Domain, Issue, Preferences, slugify};

/// The space types GeniusWeb defines besides the one accord reads, named in refusals.
const OTHER_SPACES: &[&str] = &[
    "SumOfGroupsUtilitySpace",
    "DiscountedUtilitySpace",
    "LinearAdditive",
    "UtilitySpace",
];

fn object<'a>(
    value: &'a Value,
    what: &str,
    path: &Path,
) -> Result<&'a serde_json::Map<String, Value>, SimError> {
    value
        .as_object()
        .ok_or_else(|| SimError::in_file(path, format!("{what} is not a JSON object")))
}

fn field<'a>(
    map: &'a serde_json::Map<String, Value>,
    name: &str,
    what: &str,
    path: &Path,
) -> Result<&'a Value, SimError> {
    map.get(name)
        .ok_or_else(|| SimError::in_file(path, format!("{what} has no `{name}`")))
}

fn unit_number(value: &Value, what: &str, path: &Path) -> Result<f64, SimError> {
    match value.as_f64() {
        Some(number) if (0.0..=1.0).contains(&number) => Ok(number),
        _ => Err(SimError::in_file(
            path,
            format!("{what} is {value}, not a number from 0 to 1"),
        )),
    }
}

/// Most values a number range may hold: each is an option every outcome is made of.
const MAX_RANGE_VALUES: u64 = 1_000_000;

/// The per-value utilities of a list of values (`discreteutils`, or its older spelling
/// `DiscreteValueSetUtilities`): `{"valueUtilities": {VALUE: U}}`, each in [0, 1].
fn discrete_utilities(
    body: &Value,
    tag: &str,
    issue: &Issue,
    path: &Path,
) -> Result<Vec<f64>, SimError> {
    let by_value = object(
        field(object(body, tag, path)?, "valueUtilities", tag, path)?,
        "valueUtilities",
        path,
    )?;
    let mut issue_values = Vec::with_capacity(issue.options.len());
    for option in &issue.options {
        let utility = by_value.get(&**option).ok_or_else(|| {
            SimError::in_file(
                path,
                format!(
                    "issue `{}` gives no utility for value `{option}`",
                    issue.title
                ),
            )
        })?;
        issue_values.push(unit_number(
            utility,
            &format!("the utility of `{option}` in issue `{}`", issue.title),
            path,
        )?);
    }
    Ok(issue_values)
}

/// Whether the issue titled `title` is a number range.
fn ranges_of_title(domain: &Domain, ranges: &[Option<NumberRange>], title: &str) -> bool {
    domain
        .issues
        .iter()
        .zip(ranges)
        .any(|(issue, range)| issue.title == title && range.is_some())
}

/// A decimal's exact value from its text (`-12.5`, `3`, `0.25`); `None` if it is not one.
fn parse_decimal(text: &str) -> Option<BigRational> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 30 {
        return None;
    }
    let numerator: num_bigint::BigInt = format!("{whole}{fraction}").parse().ok()?;
    let denominator = num_bigint::BigInt::from(10).pow(fraction.len() as u32);
    let value = BigRational::new(numerator, denominator);
    Some(if negative { -value } else { value })
}

/// A JSON number or numeric text as the exact decimal it was written as.
fn decimal_of(value: &Value) -> Option<BigRational> {
    match value {
        Value::Number(number) => crate::sim::domains::decimal::written_decimal(number.as_f64()?),
        Value::String(text) => parse_decimal(text),
        _ => None,
    }
}

/// A finite decimal's shortest text: `0.75`, `1`, `-2.5`.
fn decimal_text(value: &BigRational) -> String {
    let mut scaled = value.clone();
    let mut places = 0usize;
    while !scaled.is_integer() && places < 40 {
        scaled *= BigRational::from_integer(10.into());
        places += 1;
    }
    let integer = scaled.to_integer();
    let negative = integer.is_negative();
    let digits = integer.abs().to_string();
    let text = if places == 0 {
        digits
    } else {
        let padded = format!("{digits:0>width$}", width = places + 1);
        let (whole, fraction) = padded.split_at(padded.len() - places);
        format!("{whole}.{}", fraction.trim_end_matches('0'))
            .trim_end_matches('.')
            .to_string()
    };
    if negative { format!("-{text}") } else { text }
}

/// A number-valued issue's domain, `{"range": {"low", "high", "step"}}`: the values low,
/// low + step, ... up to high.
struct NumberRange {
    low: BigRational,
    high: BigRational,
    step: BigRational,
}

impl NumberRange {
    fn read(range: &Value, issue: &str, path: &Path) -> Result<NumberRange, SimError> {
        let range = object(range, &format!("the range of issue `{issue}`"), path)?;
        let bound = |name: &str| -> Result<BigRational, SimError> {
            let value = field(range, name, &format!("the range of issue `{issue}`"), path)?;
            decimal_of(value).ok_or_else(|| {
                SimError::in_file(
                    path,
                    format!(
                        "the range of issue `{issue}` has `{name}` {value}, not a decimal number"
                    ),
                )
            })
        };
        let (low, high, step) = (bound("low")?, bound("high")?, bound("step")?);
        if !step.is_positive() || high < low {
            return Err(SimError::in_file(
                path,
                format!(
                    "the range of issue `{issue}` goes from {} to {} by {}: it needs low <= high and a step above 0",
                    decimal_text(&low),
                    decimal_text(&high),
                    decimal_text(&step)
                ),
            ));
        }
        Ok(NumberRange { low, high, step })
    }

    /// Every value of the range, as decimal text.
    fn values(&self, issue: &str, path: &Path) -> Result<Vec<std::sync::Arc<str>>, SimError> {
        let count = ((&self.high - &self.low) / &self.step)
            .floor()
            .to_integer()
            .to_u64()
            .map(|steps| steps.saturating_add(1))
            .filter(|count| *count <= MAX_RANGE_VALUES)
            .ok_or_else(|| {
                SimError::in_file(
                    path,
                    format!("the range of issue `{issue}` has more than {MAX_RANGE_VALUES} values"),
                )
            })?;
        Ok((0..count)
            .map(|index| {
                let value = &self.low + &self.step * BigRational::from_integer(index.into());
                std::sync::Arc::from(decimal_text(&value))
            })
            .collect())
    }

    /// The utilities of the range's values under `numberutils` (or its older spelling
    /// `NumberValueSetUtilities`): `{"lowValue", "lowUtility", "highValue", "highUtility"}`,
    /// linear between the two, the low and high values those of the range, as GeniusWeb's
    /// `NumberValueSetUtilities` takes them; each utility rounded half up to 8 decimals, as
    /// GeniusWeb rounds it.
    fn utilities(
        &self,
        body: &Value,
        tag: &str,
        issue: &str,
        path: &Path,
    ) -> Result<Vec<f64>, SimError> {
        let body = object(body, tag, path)?;
        let number = |name: &str| -> Result<BigRational, SimError> {
            let value = field(body, name, tag, path)?;
            decimal_of(value).ok_or_else(|| {
                SimError::in_file(
                    path,
                    format!("`{name}` of issue `{issue}` is {value}, not a decimal number"),
                )
            })
        };
        let (low_value, low_utility) = (number("lowValue")?, number("lowUtility")?);
        let (high_value, high_utility) = (number("highValue")?, number("highUtility")?);
        let unit =
            |value: &BigRational| *value >= BigRational::zero() && *value <= BigRational::one();
        if !unit(&low_utility) || !unit(&high_utility) {
            return Err(SimError::in_file(
                path,
                format!("the utilities of issue `{issue}` must be from 0 to 1"),
            ));
        }
        if low_value != self.low || high_value != self.high || high_value <= low_value {
            return Err(SimError::in_file(
                path,
                format!(
                    "the utilities of issue `{issue}` go from {} to {}, and its range from {} to {}: they must be the same, low below high",
                    decimal_text(&low_value),
                    decimal_text(&high_value),
                    decimal_text(&self.low),
                    decimal_text(&self.high)
                ),
            ));
        }
        let eighths = BigRational::from_integer(100_000_000.into());
        let half = BigRational::new(1.into(), 2.into());
        let slope = (&high_utility - &low_utility) / (&high_value - &low_value);
        Ok(self
            .values(issue, path)?
            .iter()
            .map(|text| {
                let value = parse_decimal(text).unwrap_or_else(BigRational::zero);
                let exact = &low_utility + &slope * (value - &low_value);
                let rounded = (exact * &eighths + &half).floor() / &eighths;
                crate::sim::domains::decimal::rational_to_double(&rounded)
            })
            .collect())
    }
}

/// A GeniusWeb profile from its JSON text: its domain and the preferences over it. `path`
/// names it in errors. (Parties are named by their files, as with GENIUS profiles.)
pub fn profile_from_text(text: &str, path: &Path) -> Result<(Domain, Preferences), SimError> {
    let document: Value = serde_json::from_str(text)
        .map_err(|error| SimError::in_file(path, format!("not JSON: {error}")))?;
    let space = linear_additive_space(&document, path)?;
    let space = object(space, "LinearAdditiveUtilitySpace", path)?;
    let (domain, ranges) = domain_of(space, path)?;
    let (weights, values) = weights_and_values(space, &domain, &ranges, path)?;
    let (weights, written_weights) = crate::sim::domains::preferences::weights_within_one(weights);
    let mut preferences = Preferences {
        weights,
        values,
        reservation: 0.0,
        discount: None,
        written: crate::sim::domains::preferences::Written {
            weights: written_weights,
            ..Default::default()
        },
        rectangles: None,
    };
    if let Some(bid) = space.get("reservationBid").filter(|bid| !bid.is_null()) {
        let outcome = reservation_outcome(bid, &domain, &ranges, path)?;
        preferences.reservation = preferences.utility(&outcome);
        preferences.written.reservation_outcome = Some(std::sync::Arc::new(outcome));
    }
    Ok((domain, preferences))
}

/// The profile's `LinearAdditiveUtilitySpace`, or what else it is, named.
fn linear_additive_space<'v>(document: &'v Value, path: &Path) -> Result<&'v Value, SimError> {
    let top = object(document, "the profile", path)?;
    match top.get("LinearAdditiveUtilitySpace") {
        Some(space) if top.len() == 1 => Ok(space),
        _ => {
            let kind = top.keys().next().map_or("nothing", String::as_str);
            let known = if OTHER_SPACES.contains(&kind) {
                "a GeniusWeb space accord does not read"
            } else {
                "not a GeniusWeb space"
            };
            Err(SimError::in_file(
                path,
                format!(
                    "the profile is `{}` ({known}): accord reads LinearAdditiveUtilitySpace profiles",
                    kind.chars().take(80).collect::<String>()
                ),
            ))
        }
    }
}

/// The domain the profile carries, with each issue's number range (for a number-valued
/// one).
fn domain_of(
    space: &serde_json::Map<String, Value>,
    path: &Path,
) -> Result<(Domain, Vec<Option<NumberRange>>), SimError> {
    let domain_json = object(field(space, "domain", "the profile", path)?, "domain", path)?;
    let issues_values = object(
        field(domain_json, "issuesValues", "the domain", path)?,
        "issuesValues",
        path,
    )?;
    if issues_values.is_empty() {
        return Err(SimError::in_file(path, "the domain has no issues"));
    }
    let mut domain = Domain { issues: Vec::new() };
    // Each issue's number range, for a number-valued one.
    let mut ranges: Vec<Option<NumberRange>> = Vec::new();
    let mut taken: Vec<Slug> = Vec::new();
    for (issue_name, values) in issues_values {
        let values = object(values, &format!("issue `{issue_name}`"), path)?;
        let (options, range) = if let Some(range) = values.get("range") {
            let range = NumberRange::read(range, issue_name, path)?;
            (range.values(issue_name, path)?, Some(range))
        } else {
            let Some(list) = values.get("values").and_then(Value::as_array) else {
                return Err(SimError::in_file(
                    path,
                    format!(
                        "issue `{issue_name}` has neither a list of `values` nor a number `range`"
                    ),
                ));
            };
            let options = list
                .iter()
                .map(|value| {
                    value.as_str().map(std::sync::Arc::from).ok_or_else(|| {
                        SimError::in_file(
                            path,
                            format!("a value of issue `{issue_name}` is {value}, not a string"),
                        )
                    })
                })
                .collect::<Result<Vec<std::sync::Arc<str>>, _>>()?;
            (options, None)
        };
        if options.is_empty() {
            return Err(SimError::in_file(
                path,
                format!("issue `{issue_name}` has no values"),
            ));
        }
        let id = slugify(issue_name, &taken);
        taken.push(id.clone());
        domain.issues.push(Issue {
            id,
            title: issue_name.clone(),
            options,
            exchange_options: Vec::new(),
        });
        ranges.push(range);
    }
    Ok((domain, ranges))
}

/// Each issue's weight and its values' utilities, in the domain's order.
#[allow(clippy::type_complexity)]
fn weights_and_values(
    space: &serde_json::Map<String, Value>,
    domain: &Domain,
    ranges: &[Option<NumberRange>],
    path: &Path,
) -> Result<(Vec<f64>, Vec<Vec<f64>>), SimError> {
    let weights_json = object(
        field(space, "issueWeights", "the profile", path)?,
        "issueWeights",
        path,
    )?;
    let utilities_json = object(
        field(space, "issueUtilities", "the profile", path)?,
        "issueUtilities",
        path,
    )?;
    let mut weights = Vec::with_capacity(domain.issues.len());
    let mut values = Vec::with_capacity(domain.issues.len());
    for (issue, range) in domain.issues.iter().zip(ranges) {
        let weight = field(weights_json, &issue.title, "issueWeights", path)?;
        weights.push(unit_number(
            weight,
            &format!("the weight of issue `{}`", issue.title),
            path,
        )?);
        let utilities = object(
            field(utilities_json, &issue.title, "issueUtilities", path)?,
            &format!("the utilities of issue `{}`", issue.title),
            path,
        )?;
        let issue_values = issue_utilities(utilities, issue, range.as_ref(), path)?;
        values.push(issue_values);
    }
    Ok((weights, values))
}

/// One issue's utilities, by their tag: `discreteutils` for a list of values, `numberutils`
/// for a number range (or their older spellings).
fn issue_utilities(
    utilities: &serde_json::Map<String, Value>,
    issue: &Issue,
    range: Option<&NumberRange>,
    path: &Path,
) -> Result<Vec<f64>, SimError> {
    let (tag, body) = match utilities.iter().next() {
        Some((tag, body)) if utilities.len() == 1 => (tag.as_str(), body),
        _ => {
            return Err(SimError::in_file(
                path,
                format!(
                    "the utilities of issue `{}` are not one tagged object like {{\"discreteutils\": ...}}",
                    issue.title
                ),
            ));
        }
    };
    match (tag, range) {
        ("discreteutils" | "DiscreteValueSetUtilities", None) => {
            discrete_utilities(body, tag, issue, path)
        }
        ("numberutils" | "NumberValueSetUtilities", Some(range)) => {
            range.utilities(body, tag, &issue.title, path)
        }
        ("discreteutils" | "DiscreteValueSetUtilities", Some(_)) => Err(SimError::in_file(
            path,
            format!(
                "issue `{}` is a number range, and its utilities are `{tag}`, which are for a list of values",
                issue.title
            ),
        )),
        ("numberutils" | "NumberValueSetUtilities", None) => Err(SimError::in_file(
            path,
            format!(
                "issue `{}` is a list of values, and its utilities are `{tag}`, which are for a number range",
                issue.title
            ),
        )),
        (other, _) => Err(SimError::in_file(
            path,
            format!(
                "issue `{}` has `{}` utilities: accord reads discreteutils and numberutils (or DiscreteValueSetUtilities and NumberValueSetUtilities)",
                issue.title,
                other.chars().take(80).collect::<String>()
            ),
        )),
    }
}

/// The outcome a `reservationBid` names, each issue's value matched to one of its options
/// (a number issue's by value).
fn reservation_outcome(
    bid: &Value,
    domain: &Domain,
    ranges: &[Option<NumberRange>],
    path: &Path,
) -> Result<Vec<usize>, SimError> {
    let bid = object(bid, "reservationBid", path)?;
    let chosen = object(
        field(bid, "issuevalues", "reservationBid", path)?,
        "issuevalues",
        path,
    )?;
    let mut outcome = Vec::with_capacity(domain.issues.len());
    for issue in &domain.issues {
        let value = field(chosen, &issue.title, "reservationBid", path)?;
        // A number issue's value is a JSON number (or its text), matched by value.
        let wanted = match value {
            Value::Number(_) => decimal_of(value).map(|decimal| decimal_text(&decimal)),
            Value::String(text) => Some(
                parse_decimal(text)
                    .filter(|_| ranges_of_title(domain, ranges, &issue.title))
                    .map_or(text.clone(), |decimal| decimal_text(&decimal)),
            ),
            _ => None,
        };
        let position = issue
                .options
                .iter()
                .position(|option| wanted.as_deref() == Some(&**option))
                .ok_or_else(|| {
                    SimError::in_file(
                        path,
                        format!(
                            "reservationBid gives issue `{}` the value {value}, which the domain does not list",
                            issue.title
                        ),
                    )
                })?;
        outcome.push(position);
    }
    Ok(outcome)
}

/// The profiles of one negotiation, each read by `read`: their domain (every profile must
/// carry the same one) and each profile's preferences and file stem.
#[allow(clippy::type_complexity)] // the domain and one (preferences, name) per profile
pub fn profiles_read_by(
    paths: &[PathBuf],
    read: &dyn Fn(&Path) -> Result<String, SimError>,
) -> Result<(Domain, Vec<(Preferences, String)>), SimError> {
    let mut domain: Option<Domain> = None;
    let mut parties = Vec::with_capacity(paths.len());
    for path in paths {
        let (own_domain, preferences) = profile_from_text(&read(path)?, path)?;
        match &domain {
            None => domain = Some(own_domain),
            Some(first) => {
                let same = first.issues.len() == own_domain.issues.len()
                    && first
                        .issues
                        .iter()
                        .zip(&own_domain.issues)
                        .all(|(a, b)| a.title == b.title && a.options == b.options);
                if !same {
                    return Err(SimError::in_file(
                        path,
                        "its domain differs from the first profile's (issues and values must be the same)",
                    ));
                }
            }
        }
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .map(|stem| if stem == "-" { "stdin" } else { stem })
            .unwrap_or("party")
            .to_string();
        parties.push((preferences, stem));
    }
    let domain = domain
        .ok_or_else(|| SimError::Scenario("--geniusweb needs at least one profile".into()))?;
    Ok((domain, parties))
}
