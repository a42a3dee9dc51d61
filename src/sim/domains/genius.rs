//! GENIUS XML: domains and linear additive profiles (the format of the GENIUS platform and
//! the ANAC competitions). Discrete issues only; integer, real and nonlinear spaces are
//! refused with a clear error.

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
    for node in std::iter::once(space).chain(space.descendants()) {
        if let Some(kind) = node.attribute("type")
            && kind.eq_ignore_ascii_case("nonlinear")
        {
            return Err(SimError::in_file(
                path,
                "a nonlinear utility space: only linear additive ones are supported",
            ));
        }
    }
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

/// The discrete issues of an objective: (index attribute, name, item values, items).
fn issues<'a>(
    objective: Node<'a, 'a>,
    path: &Path,
) -> Result<Vec<(String, String, Vec<Node<'a, 'a>>)>, SimError> {
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
        if !kind.eq_ignore_ascii_case("discrete") {
            return Err(SimError::in_file(
                path,
                format!(
                    "issue `{name}` (line {}) is {kind}: only discrete issues are supported",
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
        let index = attribute(issue, "index", path)?.to_string();
        found.push((index, name.to_string(), items));
    }
    if found.is_empty() {
        return Err(SimError::in_file(path, "the objective has no issues"));
    }
    Ok(found)
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
    let document = parse(text, path)?;
    let objective = objective(&document, path)?;
    let mut domain = Domain { issues: Vec::new() };
    let mut taken = Vec::new();
    for (_, name, items) in issues(objective, path)? {
        let id = slugify(&name, &taken);
        taken.push(id.clone());
        let options = items
            .iter()
            .map(|item| attribute(*item, "value", path).map(std::sync::Arc::from))
            .collect::<Result<Vec<_>, _>>()?;
        domain.issues.push(Issue {
            id,
            title: name,
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
    let document = parse(text, path)?;
    let objective = objective(&document, path)?;
    let found = issues(objective, path)?;
    let mut weights = Vec::with_capacity(domain.issues.len());
    let mut evaluations = Vec::with_capacity(domain.issues.len());
    for issue in &domain.issues {
        let (index, _, items) = found
            .iter()
            .find(|(_, name, _)| *name == issue.title)
            .ok_or_else(|| {
                SimError::in_file(
                    path,
                    format!("the profile has no issue `{}` of the domain", issue.title),
                )
            })?;
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
