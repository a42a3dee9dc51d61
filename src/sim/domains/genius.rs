//! GENIUS XML: domains and profiles (the format of the GENIUS platform and the ANAC
//! competitions). Linear additive profiles over discrete issues, and nonlinear (ANAC 2014)
//! profiles over integer issues, read by `sim::domains::nonlinear`; real issues, and
//! integer issues in linear profiles, are refused with a clear error.

use std::path::Path;

use roxmltree::{Document, Node};

use crate::sim::SimError;
use crate::sim::domains::preferences::{Domain, Issue, Preferences, slugify};

/// Largest GENIUS file read.
const MAX_XML_BYTES: u64 = 64 << 20;

/// A GENIUS file's text, refused past `MAX_XML_BYTES` before it is read.
pub fn read(path: &Path) -> Result<String, SimError> {
    let error = |detail: String| SimError::in_file(path, detail);
    let length = std::fs::metadata(path)
        .map_err(|problem| SimError::io(path, problem))?
        .len();
    if length > MAX_XML_BYTES {
        return Err(error(format!(
            "{length} bytes, more than the {MAX_XML_BYTES} accord reads"
        )));
    }
    std::fs::read_to_string(path).map_err(|problem| SimError::io(path, problem))
}

/// The `<objective>` of a file: under `<utility_space>`, itself the root or under
/// `<negotiation_template>`.
fn objective<'a>(document: &'a Document<'a>, path: &Path) -> Result<Node<'a, 'a>, SimError> {
    let space = document
        .descendants()
        .find(|node| node.has_tag_name("utility_space"))
        .ok_or_else(|| {
            SimError::in_file(
                path,
                "no <utility_space> element: not a GENIUS domain or profile",
            )
        })?;
    if space.children().any(|node| node.has_tag_name("issue")) {
        return Ok(space);
    }
    let objective = space
        .children()
        .find(|node| node.has_tag_name("objective"))
        .ok_or_else(|| SimError::in_file(path, "<utility_space> has no <objective>"))?;
    if objective
        .children()
        .any(|node| node.has_tag_name("objective"))
    {
        return Err(SimError::in_file(
            path,
            "nested objectives are not supported",
        ));
    }
    Ok(objective)
}

pub(crate) fn attribute<'a>(
    node: Node<'a, '_>,
    name: &str,
    path: &Path,
) -> Result<&'a str, SimError> {
    node.attribute(name).ok_or_else(|| {
        SimError::in_file(
            path,
            format!(
                "<{}> on line {} has no `{name}`",
                node.tag_name().name(),
                line_of(node)
            ),
        )
    })
}

pub(crate) fn line_of(node: Node<'_, '_>) -> u32 {
    node.document().text_pos_at(node.range().start).row
}

pub(crate) fn number(
    text: &str,
    what: &str,
    node: Node<'_, '_>,
    path: &Path,
) -> Result<f64, SimError> {
    let value: f64 = text.trim().parse().map_err(|_| {
        SimError::in_file(
            path,
            format!("{what} `{text}` on line {} is not a number", line_of(node)),
        )
    })?;
    if !value.is_finite() {
        return Err(SimError::in_file(
            path,
            format!("{what} `{text}` on line {} is not finite", line_of(node)),
        ));
    }
    Ok(value)
}

/// An issue of an objective as written: its index attribute, its name, and its options:
/// a discrete issue's `<item>` elements, or an integer issue's bounds.
struct WrittenIssue<'a> {
    index: String,
    name: String,
    items: Vec<Node<'a, 'a>>,
    bounds: Option<(i64, i64)>,
    line: u32,
}

/// The issues of an objective, discrete or integer.
fn issues<'a>(objective: Node<'a, 'a>, path: &Path) -> Result<Vec<WrittenIssue<'a>>, SimError> {
    let mut found = Vec::new();
    for issue in objective
        .children()
        .filter(|node| node.has_tag_name("issue"))
    {
        let name = attribute(issue, "name", path)?;
        let kind = issue
            .attribute("etype")
            .or(issue.attribute("type"))
            .unwrap_or("discrete");
        if kind.eq_ignore_ascii_case("integer") {
            found.push(WrittenIssue {
                index: attribute(issue, "index", path)?.to_string(),
                name: name.to_string(),
                items: Vec::new(),
                bounds: Some(integer_bounds(issue, name, path)?),
                line: line_of(issue),
            });
            continue;
        }
        if !kind.eq_ignore_ascii_case("discrete") {
            return Err(SimError::in_file(
                path,
                format!(
                    "issue `{name}` (line {}) is {kind}: only discrete and integer issues are supported",
                    line_of(issue)
                ),
            ));
        }
        let items: Vec<Node> = issue
            .children()
            .filter(|node| node.has_tag_name("item"))
            .collect();
        if items.is_empty() {
            return Err(SimError::in_file(
                path,
                format!("issue `{name}` (line {}) has no items", line_of(issue)),
            ));
        }
        found.push(WrittenIssue {
            index: attribute(issue, "index", path)?.to_string(),
            name: name.to_string(),
            items,
            bounds: None,
            line: line_of(issue),
        });
    }
    if found.is_empty() {
        return Err(SimError::in_file(path, "the objective has no issues"));
    }
    Ok(found)
}

/// An integer issue's `lowerbound` and `upperbound`: in order, and at most
/// `MAX_INTEGER_VALUES` values apart (each value is an option).
fn integer_bounds(issue: Node<'_, '_>, name: &str, path: &Path) -> Result<(i64, i64), SimError> {
    let bound = |what: &str| -> Result<i64, SimError> {
        let text = attribute(issue, what, path)?;
        text.trim().parse::<i64>().map_err(|_| {
            SimError::in_file(
                path,
                format!(
                    "{what} `{text}` of issue `{name}` (line {}) is not an integer",
                    line_of(issue)
                ),
            )
        })
    };
    let (lower, upper) = (bound("lowerbound")?, bound("upperbound")?);
    let limit = crate::sim::domains::nonlinear::MAX_INTEGER_VALUES;
    if lower > upper || upper.checked_sub(lower).is_none_or(|span| span >= limit) {
        return Err(SimError::in_file(
            path,
            format!(
                "issue `{name}` (line {}) runs {lower}..={upper}: an integer issue needs 1 to {limit} values",
                line_of(issue)
            ),
        ));
    }
    Ok((lower, upper))
}

/// The XML of a file, its size checked here too for text that did not come from `read`.
fn parse<'a>(text: &'a str, path: &Path) -> Result<Document<'a>, SimError> {
    if text.len() as u64 > MAX_XML_BYTES {
        return Err(SimError::in_file(
            path,
            format!(
                "{} bytes, more than the {MAX_XML_BYTES} accord reads",
                text.len()
            ),
        ));
    }
    Document::parse(text)
        .map_err(|error| SimError::in_file(path, format!("not well-formed XML: {error}")))
}

/// A GENIUS domain file (or a profile, whose items carry the same values).
pub fn load_domain(path: &Path) -> Result<Domain, SimError> {
    domain_from_text(&read(path)?, path)
}

/// A GENIUS domain from its XML text; `path` names it in errors.
pub fn domain_from_text(text: &str, path: &Path) -> Result<Domain, SimError> {
    let text = &crate::sim::domains::nonlinear::without_late_declaration(text);
    let document = parse(text, path)?;
    let objective = objective(&document, path)?;
    let mut domain = Domain { issues: Vec::new() };
    let mut taken = Vec::new();
    for issue in issues(objective, path)? {
        let id = slugify(&issue.name, &taken);
        taken.push(id.clone());
        let options = match issue.bounds {
            Some((lower, upper)) => (lower..=upper)
                .map(|value| std::sync::Arc::from(value.to_string()))
                .collect(),
            None => issue
                .items
                .iter()
                .map(|item| attribute(*item, "value", path).map(std::sync::Arc::from))
                .collect::<Result<Vec<_>, _>>()?,
        };
        domain.issues.push(Issue {
            id,
            title: issue.name,
            options,
            exchange_options: Vec::new(),
        });
    }
    Ok(domain)
}

/// A GENIUS profile for a domain: weights, evaluations, reservation value, discount factor.
/// Issues and items are matched to the domain's by name and value.
pub fn load_profile(path: &Path, domain: &Domain) -> Result<Preferences, SimError> {
    profile_from_text(&read(path)?, path, domain)
}

/// Each option's evaluation, in the domain's order, from the issue's `<item>`s.
fn item_evaluations(
    issue: &Issue,
    items: &[roxmltree::Node<'_, '_>],
    path: &Path,
) -> Result<Vec<f64>, SimError> {
    let mut values = Vec::with_capacity(issue.options.len());
    for option in &issue.options {
        let item = items
            .iter()
            .find(|item| item.attribute("value") == Some(&**option))
            .ok_or_else(|| {
                SimError::in_file(
                    path,
                    format!(
                        "issue `{}` has no item `{option}` of the domain",
                        issue.title
                    ),
                )
            })?;
        let evaluation = number(
            attribute(*item, "evaluation", path)?,
            "evaluation",
            *item,
            path,
        )?;
        if evaluation < 0.0 {
            return Err(SimError::in_file(
                path,
                format!(
                    "evaluation {evaluation} on line {} is negative",
                    line_of(*item)
                ),
            ));
        }
        values.push(evaluation);
    }
    Ok(values)
}

/// The profile's discount factor: GENIUS reads 1, and 0, as no discount at all.
fn discount_of(document: &roxmltree::Document<'_>, path: &Path) -> Result<Option<f64>, SimError> {
    Ok(
        match document
            .descendants()
            .find(|node| node.has_tag_name("discount_factor"))
        {
            Some(node) => {
                let value = number(
                    attribute(node, "value", path)?,
                    "discount_factor",
                    node,
                    path,
                )?;
                if !(0.0..=1.0).contains(&value) {
                    return Err(SimError::in_file(
                        path,
                        format!(
                            "discount_factor {value} on line {} is outside 0 to 1",
                            line_of(node)
                        ),
                    ));
                }
                // GENIUS reads 1, and 0, as no discount at all.
                (value > 0.0 && value < 1.0).then_some(value)
            }
            None => None,
        },
    )
}

/// A GENIUS profile from its XML text; `path` names it in errors.
pub fn profile_from_text(
    text: &str,
    path: &Path,
    domain: &Domain,
) -> Result<Preferences, SimError> {
    // The ANAC 2014 files put a comment before their XML declaration.
    let text = &crate::sim::domains::nonlinear::without_late_declaration(text);
    let document = parse(text, path)?;
    let nonlinear = document
        .descendants()
        .find(|node| node.has_tag_name("utility_space"))
        .and_then(|space| space.attribute("type"))
        .is_some_and(|kind| kind.eq_ignore_ascii_case("nonlinear"));
    if nonlinear {
        return nonlinear_profile(&document, path, domain);
    }
    let objective = objective(&document, path)?;
    let found = issues(objective, path)?;
    let mut weights = Vec::with_capacity(domain.issues.len());
    let mut evaluations = Vec::with_capacity(domain.issues.len());
    for issue in &domain.issues {
        let written = found
            .iter()
            .find(|written| written.name == issue.title)
            .ok_or_else(|| {
                SimError::in_file(
                    path,
                    format!("the profile has no issue `{}` of the domain", issue.title),
                )
            })?;
        if written.bounds.is_some() {
            return Err(SimError::in_file(
                path,
                format!(
                    "issue `{}` (line {}) is integer: a linear profile's integer issues are not supported yet",
                    issue.title, written.line
                ),
            ));
        }
        let (index, items) = (&written.index, &written.items);
        let weight = objective
            .children()
            .find(|node| {
                node.has_tag_name("weight") && node.attribute("index") == Some(index.as_str())
            })
            .ok_or_else(|| {
                SimError::in_file(
                    path,
                    format!("no <weight> for issue `{}` (index {index})", issue.title),
                )
            })?;
        let value = number(attribute(weight, "value", path)?, "weight", weight, path)?;
        if value < 0.0 {
            return Err(SimError::in_file(
                path,
                format!("weight {value} on line {} is negative", line_of(weight)),
            ));
        }
        weights.push(value);
        evaluations.push(item_evaluations(issue, items, path)?);
    }
    if found.len() != domain.issues.len() {
        return Err(SimError::in_file(
            path,
            format!(
                "{} issues, the domain has {}",
                found.len(),
                domain.issues.len()
            ),
        ));
    }
    let reservation = match document
        .descendants()
        .find(|node| node.has_tag_name("reservation"))
    {
        Some(node) => number(attribute(node, "value", path)?, "reservation", node, path)?,
        None => 0.0,
    };
    let discount = discount_of(&document, path)?;
    let mut preferences = Preferences::from_evaluations(weights, evaluations, reservation);
    preferences.discount = discount;
    Ok(preferences)
}

/// A nonlinear (ANAC 2014) profile for a domain: its rectangles over the domain's options,
/// its reservation value and its discount factor (read as for linear profiles).
fn nonlinear_profile(
    document: &Document<'_>,
    path: &Path,
    domain: &Domain,
) -> Result<Preferences, SimError> {
    let profile = crate::sim::domains::nonlinear::RectangleProfile::from_document(document, path)?;
    let rectangles = profile.onto(domain, path)?;
    Ok(Preferences {
        reservation: profile.reservation.unwrap_or(0.0),
        discount: discount_of(document, path)?,
        rectangles: Some(std::sync::Arc::new(rectangles)),
        ..Preferences::default()
    })
}
