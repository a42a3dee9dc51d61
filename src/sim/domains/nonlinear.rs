//! ANAC 2014 nonlinear profiles: GENIUS's `<utility_space type="nonlinear">`, integer issues
//! with `lowerbound` and `upperbound`, and a `<utility maxutility="M">` holding a
//! `<ufun aggregation="sum">` of `<hyperRectangle utility="U">` elements, each a conjunction
//! of `<INCLUDES index="I" min="a" max="b"/>` ranges. An outcome's utility is the sum of
//! `U` over the rectangles it lies in, divided by `M`.
//!
//! The published files open with blank lines, and some with a comment before their XML
//! declaration, which XML forbids and strict parsers refuse: a declaration that does not
//! open the file is dropped before parsing. `EXCLUDES` ranges are refused until their
//! meaning is settled against GENIUS's sources; so are other aggregations than `sum`.

use std::path::Path;

use roxmltree::{Document, Node};

use crate::sim::SimError;
use crate::sim::domains::genius::{attribute, line_of, number};

/// Most rectangles read from one profile.
pub const MAX_RECTANGLES: usize = 100_000;

/// Most issues of a nonlinear space (ANAC 2014 has 10 to 50).
pub const MAX_ISSUES: usize = 1_000;

/// An integer issue: its `index` attribute as written, its name and its inclusive bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegerIssue {
    pub index: String,
    pub name: String,
    pub lower: i64,
    pub upper: i64,
}

/// One `INCLUDES` range of a rectangle: the issue (its position among the space's issues)
/// and the inclusive bounds of its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub issue: usize,
    pub min: i64,
    pub max: i64,
}

/// A rectangle: the utility it adds to every outcome inside all of its ranges.
#[derive(Clone, Debug, PartialEq)]
pub struct Rectangle {
    pub utility: f64,
    pub includes: Vec<Range>,
}

/// A nonlinear profile.
#[derive(Clone, Debug, PartialEq)]
pub struct RectangleProfile {
    pub issues: Vec<IntegerIssue>,
    pub max_utility: f64,
    pub rectangles: Vec<Rectangle>,
    pub reservation: Option<f64>,
    pub discount: Option<f64>,
}

impl RectangleProfile {
    /// Reads a profile's text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<RectangleProfile, SimError> {
        let text = without_late_declaration(text);
        let document = Document::parse(&text)
            .map_err(|problem| SimError::in_file(path, problem.to_string()))?;
        RectangleProfile::from_document(&document, path)
    }

    /// A profile from its parsed XML (`path` names it in errors).
    pub fn from_document(
        document: &Document<'_>,
        path: &Path,
    ) -> Result<RectangleProfile, SimError> {
        let error = |detail: String| SimError::in_file(path, detail);
        let space = document
            .descendants()
            .find(|node| node.has_tag_name("utility_space"))
            .ok_or_else(|| error("no <utility_space> element: not a GENIUS profile".into()))?;
        if !space
            .attribute("type")
            .is_some_and(|kind| kind.eq_ignore_ascii_case("nonlinear"))
        {
            return Err(error(
                "<utility_space> is not of type=\"nonlinear\": not an ANAC 2014 profile".into(),
            ));
        }
        let issues = integer_issues(space, path)?;
        let utility = space
            .descendants()
            .find(|node| node.has_tag_name("utility"))
            .ok_or_else(|| error("no <utility> element holding the rectangles".into()))?;
        let max_utility = number(
            attribute(utility, "maxutility", path)?,
            "maxutility",
            utility,
            path,
        )?;
        if max_utility <= 0.0 {
            return Err(error(format!(
                "maxutility {max_utility} on line {}: it divides every utility, so it must be positive",
                line_of(utility)
            )));
        }
        let mut rectangles = Vec::new();
        for ufun in utility.children().filter(|node| node.has_tag_name("ufun")) {
            if let Some(aggregation) = ufun.attribute("aggregation")
                && !aggregation.eq_ignore_ascii_case("sum")
            {
                return Err(error(format!(
                    "<ufun aggregation=\"{aggregation}\"> on line {}: only sum is supported",
                    line_of(ufun)
                )));
            }
            for node in ufun.children().filter(Node::is_element) {
                if !node.has_tag_name("hyperRectangle") {
                    return Err(error(format!(
                        "<{}> on line {}: a ufun holds <hyperRectangle> elements",
                        node.tag_name().name(),
                        line_of(node)
                    )));
                }
                if rectangles.len() == MAX_RECTANGLES {
                    return Err(error(format!(
                        "more than {MAX_RECTANGLES} rectangles, the most accord reads"
                    )));
                }
                rectangles.push(rectangle(node, &issues, path)?);
            }
        }
        let value_of = |tag: &str| -> Result<Option<f64>, SimError> {
            space
                .descendants()
                .find(|node| node.has_tag_name(tag))
                .map(|node| number(attribute(node, "value", path)?, tag, node, path))
                .transpose()
        };
        Ok(RectangleProfile {
            issues,
            max_utility,
            rectangles,
            reservation: value_of("reservation")?,
            discount: value_of("discount_factor")?,
        })
    }
}

/// The text with an XML declaration that does not open it removed (the ANAC 2014 files put
/// a comment before theirs).
pub(crate) fn without_late_declaration(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = text.find("<?xml") else {
        return text.into();
    };
    if start == 0 {
        return text.into();
    }
    let Some(length) = text[start..].find("?>") else {
        return text.into();
    };
    let mut kept = String::with_capacity(text.len());
    kept.push_str(&text[..start]);
    kept.push_str(&text[start + length + 2..]);
    kept.into()
}

fn integer(text: &str, what: &str, node: Node<'_, '_>, path: &Path) -> Result<i64, SimError> {
    text.trim().parse::<i64>().map_err(|_| {
        SimError::in_file(
            path,
            format!(
                "{what} `{text}` on line {} is not an integer",
                line_of(node)
            ),
        )
    })
}

/// The integer issues of the space, in the order written, each with bounds in order.
fn integer_issues(space: Node<'_, '_>, path: &Path) -> Result<Vec<IntegerIssue>, SimError> {
    let mut issues: Vec<IntegerIssue> = Vec::new();
    for issue in space
        .descendants()
        .filter(|node| node.has_tag_name("issue"))
    {
        let line = line_of(issue);
        let kind = issue
            .attribute("etype")
            .or(issue.attribute("type"))
            .unwrap_or("");
        if !kind.eq_ignore_ascii_case("integer") {
            return Err(SimError::in_file(
                path,
                format!("issue on line {line} is `{kind}`; a nonlinear space's issues are integer"),
            ));
        }
        let index = attribute(issue, "index", path)?.to_string();
        if issues.iter().any(|known| known.index == index) {
            return Err(SimError::in_file(
                path,
                format!("issue index {index} on line {line} is given twice"),
            ));
        }
        let lower = integer(
            attribute(issue, "lowerbound", path)?,
            "lowerbound",
            issue,
            path,
        )?;
        let upper = integer(
            attribute(issue, "upperbound", path)?,
            "upperbound",
            issue,
            path,
        )?;
        if lower > upper {
            return Err(SimError::in_file(
                path,
                format!(
                    "issue {index} on line {line}: lowerbound {lower} is above upperbound {upper}"
                ),
            ));
        }
        if issues.len() == MAX_ISSUES {
            return Err(SimError::in_file(
                path,
                format!("more than {MAX_ISSUES} issues, the most accord reads"),
            ));
        }
        issues.push(IntegerIssue {
            index,
            name: attribute(issue, "name", path)?.to_string(),
            lower,
            upper,
        });
    }
    if issues.is_empty() {
        return Err(SimError::in_file(path, "no <issue> elements"));
    }
    Ok(issues)
}

fn rectangle(
    node: Node<'_, '_>,
    issues: &[IntegerIssue],
    path: &Path,
) -> Result<Rectangle, SimError> {
    let utility = number(attribute(node, "utility", path)?, "utility", node, path)?;
    let mut includes: Vec<Range> = Vec::new();
    for range in node.children().filter(Node::is_element) {
        let line = line_of(range);
        if range.has_tag_name("EXCLUDES") {
            return Err(SimError::in_file(
                path,
                format!("<EXCLUDES> on line {line}: excluded ranges are not supported yet"),
            ));
        }
        if !range.has_tag_name("INCLUDES") {
            return Err(SimError::in_file(
                path,
                format!(
                    "<{}> on line {line}: a hyperRectangle holds <INCLUDES> ranges",
                    range.tag_name().name()
                ),
            ));
        }
        let index = attribute(range, "index", path)?;
        let issue = issues
            .iter()
            .position(|issue| issue.index == index)
            .ok_or_else(|| {
                SimError::in_file(
                    path,
                    format!(
                        "INCLUDES on line {line} names issue {index}, which the space does not have"
                    ),
                )
            })?;
        let min = integer(attribute(range, "min", path)?, "min", range, path)?;
        let max = integer(attribute(range, "max", path)?, "max", range, path)?;
        if min > max {
            return Err(SimError::in_file(
                path,
                format!("INCLUDES on line {line}: min {min} is above max {max}"),
            ));
        }
        if includes.iter().any(|known| known.issue == issue) {
            return Err(SimError::in_file(
                path,
                format!("INCLUDES on line {line}: issue {index} is ranged twice in one rectangle"),
            ));
        }
        includes.push(Range { issue, min, max });
    }
    Ok(Rectangle { utility, includes })
}

/// Most values an integer issue may take: each is an option of the domain.
pub const MAX_INTEGER_VALUES: i64 = 10_000;

/// A rectangle over a domain's options: the utility it adds, and per ranged issue (its
/// position in the domain) the inclusive range of option indexes it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionBox {
    pub utility: f64,
    pub ranges: Vec<(usize, usize, usize)>,
}

impl OptionBox {
    pub fn contains(&self, outcome: &[usize]) -> bool {
        self.ranges
            .iter()
            .all(|(issue, first, last)| (*first..=*last).contains(&outcome[*issue]))
    }
}

/// A nonlinear party's utility over a domain's outcomes (one option index per issue): the
/// sum of the utilities of the boxes an outcome lies in, divided by `max_utility`, as the
/// profile wrote them. Boxes wholly outside the domain's bounds are dropped: no outcome
/// lies in them.
#[derive(Clone, Debug, PartialEq)]
pub struct RectangleUtility {
    pub boxes: Vec<OptionBox>,
    pub max_utility: f64,
}

impl RectangleUtility {
    /// The utility of an outcome: the boxes' utilities summed in the profile's order, so
    /// equal outcomes get bit-identical utilities, divided by `max_utility`.
    pub fn utility(&self, outcome: &[usize]) -> f64 {
        let mut sum = 0.0;
        for rectangle in &self.boxes {
            if rectangle.contains(outcome) {
                sum += rectangle.utility;
            }
        }
        sum / self.max_utility
    }
}

impl RectangleProfile {
    /// The profile over `domain`'s outcomes: its issues matched to the domain's by name,
    /// with the same bounds (the domain's options are those bounds' values, in order).
    pub fn onto(
        &self,
        domain: &crate::sim::domains::preferences::Domain,
        path: &Path,
    ) -> Result<RectangleUtility, SimError> {
        let error = |detail: String| SimError::in_file(path, detail);
        if self.issues.len() != domain.issues.len() {
            return Err(error(format!(
                "{} issues, the domain has {}",
                self.issues.len(),
                domain.issues.len()
            )));
        }
        // Per profile issue: its position in the domain.
        let mut positions = Vec::with_capacity(self.issues.len());
        for issue in &self.issues {
            let position = domain
                .issues
                .iter()
                .position(|known| known.title == issue.name)
                .ok_or_else(|| error(format!("the domain has no issue `{}`", issue.name)))?;
            let options = &domain.issues[position].options;
            let written_bounds = options
                .first()
                .zip(options.last())
                .and_then(|(first, last)| {
                    Some((first.parse::<i64>().ok()?, last.parse::<i64>().ok()?))
                });
            if written_bounds != Some((issue.lower, issue.upper))
                || options.len() as i64 != issue.upper - issue.lower + 1
            {
                return Err(error(format!(
                    "issue `{}` runs {}..={} here and differently in the domain",
                    issue.name, issue.lower, issue.upper
                )));
            }
            positions.push(position);
        }
        let mut boxes = Vec::with_capacity(self.rectangles.len());
        'rectangles: for rectangle in &self.rectangles {
            let mut ranges = Vec::with_capacity(rectangle.includes.len());
            for range in &rectangle.includes {
                let issue = &self.issues[range.issue];
                let (min, max) = (range.min.max(issue.lower), range.max.min(issue.upper));
                if min > max {
                    continue 'rectangles;
                }
                ranges.push((
                    positions[range.issue],
                    (min - issue.lower) as usize,
                    (max - issue.lower) as usize,
                ));
            }
            ranges.sort_unstable();
            boxes.push(OptionBox {
                utility: rectangle.utility,
                ranges,
            });
        }
        Ok(RectangleUtility {
            boxes,
            max_utility: self.max_utility,
        })
    }
}

/// A rectangle to write: its utility and its ranges (issue from 1, min, max).
pub type WrittenRectangle = (u32, Vec<(usize, u32, u32)>);

/// A GENIUS domain of `issues` integer issues `i1`, `i2`, ... with values 0 to
/// `values - 1`, in the published ANAC 2014 layout.
pub fn domain_xml(issues: usize, values: u32) -> String {
    let mut text = format!(
        "\n<negotiation_template>\n<utility_space number_of_issues=\"{issues}\">\n<objective description=\"\" etype=\"objective\" index=\"0\" name=\"root\" type=\"objective\">\n"
    );
    for issue in 1..=issues {
        text.push_str(&format!(
            "   <issue etype=\"integer\" index=\"{issue}\"  name=\"i{issue}\" type=\"integer\" vtype=\"integer\" lowerbound=\"0\" upperbound=\"{}\"/>\n",
            values.saturating_sub(1)
        ));
    }
    text.push_str("</objective>\n</utility_space>\n</negotiation_template>\n");
    text
}

/// A nonlinear profile over `domain_xml(issues, values)`, in the published files' layout:
/// blank lines and a comment before the XML declaration, then the rectangles.
pub fn profile_xml(
    issues: usize,
    values: u32,
    rectangles: &[WrittenRectangle],
    max_utility: u32,
    reservation: Option<f64>,
) -> String {
    let mut text = String::from(
        "\n\n<!-- drawn by accord -->\n<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<utility_space type=\"nonlinear\">\n<objective description=\"\" etype=\"objective\" index=\"0\" name=\"root\" type=\"objective\">\n",
    );
    for issue in 1..=issues {
        text.push_str(&format!(
            "   <issue etype=\"integer\" index=\"{issue}\"  name=\"i{issue}\" type=\"integer\" vtype=\"integer\" lowerbound=\"0\" upperbound=\"{}\"/>\n",
            values.saturating_sub(1)
        ));
    }
    text.push_str(&format!(
        "\n   <utility maxutility=\"{max_utility}\">\n      <ufun type=\"PlainUfun\" weight=\"1\" aggregation=\"sum\">\n"
    ));
    for (utility, ranges) in rectangles {
        text.push_str(&format!(
            "         <hyperRectangle utility=\"{utility}\">\n"
        ));
        for (issue, min, max) in ranges {
            text.push_str(&format!(
                "            <INCLUDES index=\"{issue}\" min=\"{min}\" max=\"{max}\"/>\n"
            ));
        }
        text.push_str("         </hyperRectangle>\n");
    }
    text.push_str("      </ufun>\n   </utility>\n</objective>\n");
    if let Some(reservation) = reservation {
        text.push_str(&format!("<reservation value=\"{reservation}\" />\n"));
    }
    text.push_str("</utility_space>\n");
    text
}

/// Rectangles drawn to look like the published ANAC 2014 files': each over one to four
/// distinct issues (as many of each), with ranges within `0..values` as wide as theirs, and
/// an integer utility from 1 to 100.
pub fn drawn_rectangles(
    rng: &mut impl rand_core::Rng,
    issues: usize,
    values: u32,
    count: usize,
) -> Vec<WrittenRectangle> {
    assert!(issues > 0 && values > 0, "a space has issues and values");
    (0..count)
        .map(|_| {
            let ranged = (1 + (rng.next_u32() % 4) as usize).min(issues);
            let mut chosen: Vec<usize> = Vec::with_capacity(ranged);
            while chosen.len() < ranged {
                let issue = 1 + (rng.next_u32() as usize % issues);
                if !chosen.contains(&issue) {
                    chosen.push(issue);
                }
            }
            chosen.sort_unstable();
            // The published 30-issue files' ranges: a third 1 to 5 values wide, the rest
            // 6 to 9 (of 10).
            let narrow = (values / 2).max(1);
            let wide_from = (values * 6 / 10).max(1);
            let ranges = chosen
                .into_iter()
                .map(|issue| {
                    let width = if rng.next_u32().is_multiple_of(3) {
                        1 + rng.next_u32() % narrow
                    } else {
                        wide_from + rng.next_u32() % (values - wide_from).max(1)
                    }
                    .min(values);
                    let start = rng.next_u32() % (values - width + 1);
                    (issue, start, start + width - 1)
                })
                .collect();
            (1 + rng.next_u32() % 100, ranges)
        })
        .collect()
}

/// A drawn space like the published ANAC 2014 ones (which give 2 rectangles per issue
/// per party): the domain's text and one profile's text per party, each with `rectangles`
/// rectangles and a `maxutility` of 70% of their sum, from `seed`.
pub fn drawn_space(
    issues: usize,
    rectangles: usize,
    parties: usize,
    seed: u64,
) -> (String, Vec<String>) {
    use rand_core::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let profiles = (0..parties)
        .map(|_| {
            let drawn = drawn_rectangles(&mut rng, issues, 10, rectangles);
            let total: u32 = drawn.iter().map(|(utility, _)| utility).sum();
            profile_xml(issues, 10, &drawn, (total * 7 / 10).max(1), None)
        })
        .collect();
    (domain_xml(issues, 10), profiles)
}
