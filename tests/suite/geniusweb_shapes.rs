//! GeniusWeb profiles in the shapes real files have (`tests/fixtures/geniusweb/`, whose
//! `SOURCE.md` says where each comes from): the `discreteutils` tag GeniusWeb's servers write
//! and NegMAS reads, the older `DiscreteValueSetUtilities`, and number issues
//! (`numberutils` over a `range`). Each pair's analysis is checked against a brute force
//! written here from the JSON alone, as GeniusWeb defines a utility: the sum over issues of
//! weight times the value's utility.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::binary::{accord, path_text, root, stderr, stdout};

fn pairs() -> Vec<(PathBuf, PathBuf)> {
    let directory = root().join("tests/fixtures/geniusweb");
    let mut found = Vec::new();
    for entry in fs::read_dir(&directory).unwrap() {
        let domain = entry.unwrap().path();
        if !domain.is_dir() {
            continue;
        }
        let mut profiles: Vec<PathBuf> = fs::read_dir(&domain)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "json")
            })
            .collect();
        profiles.sort();
        assert_eq!(profiles.len(), 2, "{}", domain.display());
        found.push((profiles[0].clone(), profiles[1].clone()));
    }
    found.sort();
    assert!(found.len() >= 5, "{found:?}");
    found
}

/// One profile as the brute force reads it: per issue (in name order), each value's text
/// and utility, the weight, and the reservation bid's values.
struct Profile {
    issues: Vec<(String, Vec<(String, f64)>)>,
    weights: Vec<f64>,
    reservation: Option<Vec<String>>,
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
        .unwrap()
}

/// A number's text as accord lists a range's values: no trailing zeros.
fn number_text(value: f64) -> String {
    let text = format!("{value}");
    text.strip_suffix(".0").unwrap_or(&text).to_string()
}

fn read_profile(path: &Path) -> Profile {
    let document: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let space = &document["LinearAdditiveUtilitySpace"];
    let values = space["domain"]["issuesValues"].as_object().unwrap();
    let mut names: Vec<&String> = values.keys().collect();
    names.sort();
    let mut issues = Vec::new();
    let mut weights = Vec::new();
    for name in names {
        let utilities = space["issueUtilities"][name].as_object().unwrap();
        let (tag, body) = utilities.iter().next().unwrap();
        let options: Vec<(String, f64)> = if let Some(list) = values[name]["values"].as_array() {
            assert!(tag == "discreteutils" || tag == "DiscreteValueSetUtilities");
            list.iter()
                .map(|value| {
                    let text = value.as_str().unwrap().to_string();
                    let utility = body["valueUtilities"][&text].as_f64().unwrap();
                    (text, utility)
                })
                .collect()
        } else {
            assert!(tag == "numberutils" || tag == "NumberValueSetUtilities");
            let range = &values[name]["range"];
            let (low, high, step) = (
                number(&range["low"]),
                number(&range["high"]),
                number(&range["step"]),
            );
            let (low_utility, high_utility) =
                (number(&body["lowUtility"]), number(&body["highUtility"]));
            let count = ((high - low) / step).floor() as u64 + 1;
            (0..count)
                .map(|index| {
                    let value = low + step * index as f64;
                    let utility =
                        low_utility + (high_utility - low_utility) * (value - low) / (high - low);
                    (number_text(value), utility)
                })
                .collect()
        };
        weights.push(space["issueWeights"][name].as_f64().unwrap());
        issues.push((name.clone(), options));
    }
    let reservation = space["reservationBid"]["issuevalues"]
        .as_object()
        .map(|bid| {
            issues
                .iter()
                .map(|(name, _)| match &bid[name] {
                    Value::String(text) => text.clone(),
                    other => number_text(number(other)),
                })
                .collect()
        });
    Profile {
        issues,
        weights,
        reservation,
    }
}

impl Profile {
    fn utility(&self, chosen: &[usize]) -> f64 {
        self.issues
            .iter()
            .zip(&self.weights)
            .zip(chosen)
            .map(|(((_, options), weight), choice)| weight * options[*choice].1)
            .sum()
    }

    fn reservation_value(&self) -> f64 {
        let Some(bid) = &self.reservation else {
            return 0.0;
        };
        let chosen: Vec<usize> = self
            .issues
            .iter()
            .zip(bid)
            .map(|((_, options), value)| {
                options.iter().position(|(text, _)| text == value).unwrap()
            })
            .collect();
        self.utility(&chosen)
    }
}

/// Every outcome of the profiles' (shared) domain, by the first profile's issues.
fn outcomes(profile: &Profile) -> Vec<Vec<usize>> {
    let mut all = vec![Vec::new()];
    for (_, options) in &profile.issues {
        all = all
            .into_iter()
            .flat_map(|prefix| {
                (0..options.len()).map(move |choice| {
                    let mut next = prefix.clone();
                    next.push(choice);
                    next
                })
            })
            .collect();
    }
    all
}

fn analysis(first: &Path, second: &Path) -> Value {
    let output = accord(&[
        "analyze",
        "--json",
        "--geniusweb",
        path_text(first),
        path_text(second),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn real_geniusweb_profiles_get_the_analysis_of_their_brute_force() {
    // Post-mortem: every profile GeniusWeb's servers write (`discreteutils`) was refused:
    // accord read only `DiscreteValueSetUtilities`, a spelling its own tests had written.
    for (first, second) in pairs() {
        let profiles = [read_profile(&first), read_profile(&second)];
        let all = outcomes(&profiles[0]);
        let utilities: Vec<[f64; 2]> = all
            .iter()
            .map(|outcome| [profiles[0].utility(outcome), profiles[1].utility(outcome)])
            .collect();
        let reservations = [
            profiles[0].reservation_value(),
            profiles[1].reservation_value(),
        ];
        let welfare = utilities
            .iter()
            .map(|pair| pair[0] + pair[1])
            .fold(f64::MIN, f64::max);
        let nash = utilities
            .iter()
            .filter(|pair| pair[0] >= reservations[0] && pair[1] >= reservations[1])
            .map(|pair| (pair[0] - reservations[0]) * (pair[1] - reservations[1]))
            .fold(f64::MIN, f64::max);
        let answer = analysis(&first, &second);
        let name = first.display();
        assert_eq!(
            answer["n_outcomes"].as_u64(),
            Some(all.len() as u64),
            "{name}"
        );
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(
            close(answer["max_welfare"].as_f64().unwrap(), welfare),
            "{name}: {} against {welfare}",
            answer["max_welfare"]
        );
        let point = &answer["nash"]["utilities"];
        let product = (point[0].as_f64().unwrap() - reservations[0])
            * (point[1].as_f64().unwrap() - reservations[1]);
        assert!(close(product, nash), "{name}: {product} against {nash}");
        // Simulated too: the logs verify.
        let simulated = accord(&[
            "simulate",
            "--geniusweb",
            path_text(&first),
            path_text(&second),
            "--runs",
            "5",
            "--json",
        ]);
        assert_eq!(simulated.status.code(), Some(0), "{}", stderr(&simulated));
    }
}

#[test]
fn the_older_spelling_reads_as_the_newer() {
    let directory = tempfile::tempdir().unwrap();
    for (first, second) in pairs() {
        let respelled: Vec<PathBuf> = [&first, &second]
            .iter()
            .map(|path| {
                let text = fs::read_to_string(path)
                    .unwrap()
                    .replace("\"discreteutils\"", "\"DiscreteValueSetUtilities\"")
                    .replace("\"numberutils\"", "\"NumberValueSetUtilities\"");
                let copy = directory.path().join(path.file_name().unwrap());
                fs::write(&copy, text).unwrap();
                copy
            })
            .collect();
        assert_eq!(
            analysis(&first, &second),
            analysis(&respelled[0], &respelled[1]),
            "{}",
            first.display()
        );
    }
}

#[test]
fn a_number_issue_lists_its_range_and_is_linear_between_its_ends() {
    let numbers = root().join("tests/fixtures/geniusweb/Numbers");
    let first = numbers.join("japantrip-numbers1.json");
    let second = numbers.join("japantrip-numbers2.json");
    let output = accord(&[
        "analyze",
        "--json",
        "--frontier",
        "--geniusweb",
        path_text(&first),
        path_text(&second),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let answer: Value = serde_json::from_str(&stdout(&output)).unwrap();
    // 18 budgets (100 to 1800 by 100) times 4 places, 4 day counts... as JapnTrip has.
    assert_eq!(answer["n_outcomes"], 18 * 192 / 4);
    let budgets: std::collections::BTreeSet<u64> = answer["frontier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|point| {
            point["outcome"]["budget"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        budgets
            .iter()
            .all(|budget| budget % 100 == 0 && (100..=1800).contains(budget))
    );
    assert!(budgets.len() > 2, "{budgets:?}");
}

#[test]
fn a_profile_that_does_not_fit_is_refused_by_what_is_wrong() {
    let directory = tempfile::tempdir().unwrap();
    let numbers = root().join("tests/fixtures/geniusweb/Numbers/japantrip-numbers1.json");
    let text = fs::read_to_string(&numbers).unwrap();
    for (edit, says) in [
        (
            text.replace("\"lowValue\": 100", "\"lowValue\": 200"),
            "they must be the same",
        ),
        (
            text.replace("\"numberutils\"", "\"discreteutils\""),
            "which are for a list of values",
        ),
        (
            text.replace("\"numberutils\"", "\"sumutils\""),
            "accord reads discreteutils and numberutils",
        ),
        (
            text.replace("\"step\": 100", "\"step\": 0"),
            "a step above 0",
        ),
    ] {
        let path = directory.path().join("edited.json");
        fs::write(&path, &edit).unwrap();
        let output = accord(&["analyze", "--geniusweb", path_text(&path)]);
        assert_eq!(output.status.code(), Some(1), "{says}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(says),
            "{says}: {}",
            stderr(&output)
        );
    }
}
