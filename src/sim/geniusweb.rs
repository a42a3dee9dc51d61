//! GeniusWeb profiles: the JSON `LinearAdditiveUtilitySpace`, which carries its own domain
//! (issues and their discrete values), each issue's weight, each value's utility, and an
//! optional reservation bid. Other GeniusWeb spaces and value sets are refused by name.
//!
//! GeniusWeb gives value utilities in [0, 1] as they are, so they are kept as given (GENIUS
//! XML evaluations are divided by the issue's largest; these are not). The reservation value
//! is the utility of the reservation bid, 0 without one. Issues come in the order of their
//! names, values in the order the domain lists them.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::format::ids::Slug;
use crate::sim::SimError;
use crate::sim::domain::{Domain, Issue, Preferences, slugify};

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
        .ok_or_else(|| SimError::new(path, format!("{what} is not a JSON object")))
}

fn field<'a>(
    map: &'a serde_json::Map<String, Value>,
    name: &str,
    what: &str,
    path: &Path,
) -> Result<&'a Value, SimError> {
    map.get(name)
        .ok_or_else(|| SimError::new(path, format!("{what} has no `{name}`")))
}

fn unit_number(value: &Value, what: &str, path: &Path) -> Result<f64, SimError> {
    match value.as_f64() {
        Some(number) if (0.0..=1.0).contains(&number) => Ok(number),
        _ => Err(SimError::new(
            path,
            format!("{what} is {value}, not a number from 0 to 1"),
        )),
    }
}

/// A GeniusWeb profile from its JSON text: its domain and the preferences over it. `path`
/// names it in errors. (Parties are named by their files, as with GENIUS profiles.)
pub fn profile_from_text(text: &str, path: &Path) -> Result<(Domain, Preferences), SimError> {
    let document: Value = serde_json::from_str(text)
        .map_err(|error| SimError::new(path, format!("not JSON: {error}")))?;
    let top = object(&document, "the profile", path)?;
    let space = match top.get("LinearAdditiveUtilitySpace") {
        Some(space) if top.len() == 1 => space,
        _ => {
            let kind = top.keys().next().map_or("nothing", String::as_str);
            let known = if OTHER_SPACES.contains(&kind) {
                "a GeniusWeb space accord does not read"
            } else {
                "not a GeniusWeb space"
            };
            return Err(SimError::new(
                path,
                format!(
                    "the profile is `{}` ({known}): accord reads LinearAdditiveUtilitySpace profiles",
                    kind.chars().take(80).collect::<String>()
                ),
            ));
        }
    };
    let space = object(space, "LinearAdditiveUtilitySpace", path)?;
    let domain_json = object(field(space, "domain", "the profile", path)?, "domain", path)?;
    let issues_values = object(
        field(domain_json, "issuesValues", "the domain", path)?,
        "issuesValues",
        path,
    )?;
    if issues_values.is_empty() {
        return Err(SimError::new(path, "the domain has no issues".into()));
    }
    let mut domain = Domain { issues: Vec::new() };
    let mut taken: Vec<Slug> = Vec::new();
    for (issue_name, values) in issues_values {
        let values = object(values, &format!("issue `{issue_name}`"), path)?;
        let Some(list) = values.get("values").and_then(Value::as_array) else {
            return Err(SimError::new(
                path,
                format!(
                    "issue `{issue_name}` has no list of discrete `values` (number ranges are not supported)"
                ),
            ));
        };
        let options = list
            .iter()
            .map(|value| {
                value.as_str().map(std::sync::Arc::from).ok_or_else(|| {
                    SimError::new(
                        path,
                        format!("a value of issue `{issue_name}` is {value}, not a string"),
                    )
                })
            })
            .collect::<Result<Vec<std::sync::Arc<str>>, _>>()?;
        if options.is_empty() {
            return Err(SimError::new(
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
    }
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
    for issue in &domain.issues {
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
        let Some(discrete) = utilities.get("DiscreteValueSetUtilities") else {
            let kind = utilities.keys().next().map_or("nothing", String::as_str);
            return Err(SimError::new(
                path,
                format!(
                    "issue `{}` has `{}` utilities: accord reads DiscreteValueSetUtilities only",
                    issue.title,
                    kind.chars().take(80).collect::<String>()
                ),
            ));
        };
        let by_value = object(
            field(
                object(discrete, "DiscreteValueSetUtilities", path)?,
                "valueUtilities",
                "DiscreteValueSetUtilities",
                path,
            )?,
            "valueUtilities",
            path,
        )?;
        let mut issue_values = Vec::with_capacity(issue.options.len());
        for option in &issue.options {
            let utility = by_value.get(&**option).ok_or_else(|| {
                SimError::new(
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
        values.push(issue_values);
    }
    let (weights, written_weights) = crate::sim::domain::weights_within_one(weights);
    let mut preferences = Preferences {
        weights,
        values,
        reservation: 0.0,
        discount: None,
        written: crate::sim::domain::Written {
            weights: written_weights,
            ..Default::default()
        },
    };
    if let Some(bid) = space.get("reservationBid").filter(|bid| !bid.is_null()) {
        let bid = object(bid, "reservationBid", path)?;
        let chosen = object(
            field(bid, "issuevalues", "reservationBid", path)?,
            "issuevalues",
            path,
        )?;
        let mut outcome = Vec::with_capacity(domain.issues.len());
        for issue in &domain.issues {
            let value = field(chosen, &issue.title, "reservationBid", path)?;
            let position = issue
                .options
                .iter()
                .position(|option| value.as_str() == Some(&**option))
                .ok_or_else(|| {
                    SimError::new(
                        path,
                        format!(
                            "reservationBid gives issue `{}` the value {value}, which the domain does not list",
                            issue.title
                        ),
                    )
                })?;
            outcome.push(position);
        }
        preferences.reservation = preferences.utility(&outcome);
        preferences.written.reservation_outcome = Some(std::sync::Arc::new(outcome));
    }
    Ok((domain, preferences))
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
                    return Err(SimError::new(
                        path,
                        "its domain differs from the first profile's (issues and values must be the same)".into(),
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
    let domain = domain.ok_or_else(|| SimError::plain("--geniusweb needs at least one profile"))?;
    Ok((domain, parties))
}
