//! ANAC 2014 nonlinear profiles (`sim::domains::nonlinear`): the shipped domains read as
//! written (a comment before the XML declaration included), and the utilities they give
//! reproduce the exact Pareto frontier found by enumerating every outcome.

use std::fs;
use std::path::{Path, PathBuf};

use accord::sim::domains::nonlinear::RectangleProfile;

fn domain(name: &str) -> PathBuf {
    crate::binary::root()
        .join("events/scenarios/nonlinear")
        .join(name)
}

fn profile(path: &Path) -> RectangleProfile {
    RectangleProfile::parse(&fs::read_to_string(path).unwrap(), path).unwrap()
}

/// The utility pairs of `pareto.txt`.
pub(crate) fn frontier_written(path: &Path) -> Vec<(f64, f64)> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (a, b) = line.split_once(',').unwrap();
            (a.trim().parse().unwrap(), b.trim().parse().unwrap())
        })
        .collect()
}

/// An outcome's utility (a value per issue) as the format defines it, straight from the
/// profile as read: independent of the library's placing of rectangles on options.
fn utility(profile: &RectangleProfile, values: &[i64]) -> f64 {
    let sum: f64 = profile
        .rectangles
        .iter()
        .filter(|rectangle| {
            rectangle
                .includes
                .iter()
                .all(|range| (range.min..=range.max).contains(&values[range.issue]))
        })
        .map(|rectangle| rectangle.utility)
        .sum();
    sum / profile.max_utility
}

#[test]
fn the_five_issue_domain_gives_its_enumerated_frontier() {
    let directory = domain("5issues");
    let (one, two) = (
        profile(&directory.join("profile-1.xml")),
        profile(&directory.join("profile-2.xml")),
    );
    assert_eq!(one.issues.len(), 5);
    assert_eq!(one.max_utility, 333.0);
    assert!(
        one.rectangles
            .iter()
            .all(|rectangle| !rectangle.includes.is_empty())
    );
    // Every outcome's pair of utilities, then the pairs no other pair dominates.
    let mut pairs: Vec<(f64, f64)> = Vec::with_capacity(100_000);
    let mut values = [0i64; 5];
    for index in 0..100_000u32 {
        let mut rest = index;
        for value in values.iter_mut().rev() {
            *value = i64::from(rest % 10);
            rest /= 10;
        }
        pairs.push((utility(&one, &values), utility(&two, &values)));
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
    let mut frontier: Vec<(f64, f64)> = Vec::new();
    for pair in pairs {
        if frontier.last().is_none_or(|last| pair.1 > last.1) {
            frontier.push(pair);
        }
    }
    let written = frontier_written(&directory.join("pareto.txt"));
    assert_eq!(frontier.len(), written.len(), "{frontier:?}");
    for (found, expected) in frontier.iter().zip(&written) {
        assert!(
            (found.0 - expected.0).abs() < 1e-9 && (found.1 - expected.1).abs() < 1e-9,
            "{found:?} against {expected:?}"
        );
    }
}

#[test]
fn the_seven_issue_domain_reads_with_its_comment_before_the_declaration() {
    let directory = domain("7issues");
    for name in ["profile-1.xml", "profile-2.xml"] {
        let text = fs::read_to_string(directory.join(name)).unwrap();
        assert!(
            text.trim_start().starts_with("<!--"),
            "{name} opens with a comment"
        );
        let read = profile(&directory.join(name));
        assert_eq!(read.issues.len(), 7);
        assert!(
            read.issues
                .iter()
                .all(|issue| (issue.lower, issue.upper) == (0, 9))
        );
        // Every rectangle's best corner is worth its utility at least.
        let best: f64 = read
            .rectangles
            .iter()
            .map(|rectangle| rectangle.utility)
            .sum();
        assert!(best >= read.max_utility * 0.5, "{name}: {best}");
    }
}

#[test]
fn what_a_nonlinear_profile_cannot_hold_is_refused_by_line() {
    let path = Path::new("bad.xml");
    let profile = |body: &str, maximum: &str| {
        format!(
            "\n\n<utility_space type=\"nonlinear\"><objective>\
             <issue etype=\"integer\" index=\"1\" name=\"a\" lowerbound=\"0\" upperbound=\"9\"/>\
             <issue etype=\"integer\" index=\"2\" name=\"b\" lowerbound=\"0\" upperbound=\"9\"/>\
             <utility maxutility=\"{maximum}\"><ufun type=\"PlainUfun\" aggregation=\"sum\">{body}</ufun></utility>\
             </objective></utility_space>"
        )
    };
    let good =
        r#"<hyperRectangle utility="5"><INCLUDES index="1" min="2" max="3"/></hyperRectangle>"#;
    let read = RectangleProfile::parse(&profile(good, "10"), path).unwrap();
    assert_eq!(utility(&read, &[2, 0]), 0.5);
    assert_eq!(utility(&read, &[4, 0]), 0.0);
    for (body, maximum, expected) in [
        (good, "0", "maxutility 0"),
        (good, "x", "maxutility `x`"),
        (
            r#"<hyperRectangle utility="5"><EXCLUDES index="1" min="2" max="3"/></hyperRectangle>"#,
            "10",
            "EXCLUDES",
        ),
        (
            r#"<hyperRectangle utility="5"><INCLUDES index="7" min="2" max="3"/></hyperRectangle>"#,
            "10",
            "names issue 7",
        ),
        (
            r#"<hyperRectangle utility="5"><INCLUDES index="1" min="4" max="3"/></hyperRectangle>"#,
            "10",
            "min 4 is above max 3",
        ),
        (
            r#"<hyperRectangle utility="5"><INCLUDES index="1" min="1" max="3"/><INCLUDES index="1" min="1" max="3"/></hyperRectangle>"#,
            "10",
            "ranged twice",
        ),
    ] {
        let refused = RectangleProfile::parse(&profile(body, maximum), path).unwrap_err();
        assert!(
            refused.to_string().contains(expected),
            "{refused} lacks {expected}"
        );
    }
    let linear = r#"<utility_space><objective><issue index="1" name="a" etype="discrete"/></objective></utility_space>"#;
    assert!(RectangleProfile::parse(linear, path).is_err());
}
