//! The analysis of nonlinear (ANAC 2014) spaces (`sim::analysis::rectangles`): the shared
//! domains' frontiers found by enumeration, small random spaces against enumeration, and
//! spaces of 10 and 30 issues generated the way the published files are made (integer
//! issues 0..9, rectangles of one to four ranges, integer utilities 1 to 100) against
//! outcomes drawn at random.

use std::path::{Path, PathBuf};

use accord::sim::analysis::{Analysis, analyze, analyze_listing_frontier};
use accord::sim::domains::genius::{domain_from_text, profile_from_text};
use accord::sim::domains::preferences::{Domain, Preferences};
use accord::sim::domains::scenario::from_genius;
use proptest::prelude::*;

use accord::sim::domains::nonlinear::{domain_xml, drawn_rectangles, drawn_space, profile_xml};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::nonlinear_profiles::frontier_written;

fn shared(name: &str) -> PathBuf {
    crate::binary::root()
        .join("events/scenarios/nonlinear")
        .join(name)
}

fn shared_analysis(name: &str) -> (Domain, Vec<Preferences>, Analysis) {
    let directory = shared(name);
    let scenario = from_genius(
        &directory.join(format!("{name}-domain.xml")),
        &[
            directory.join("profile-1.xml"),
            directory.join("profile-2.xml"),
        ],
        &["boulware".to_string()],
        100,
    )
    .unwrap();
    let preferences: Vec<Preferences> = scenario
        .parties
        .iter()
        .map(|party| match &party.preferences {
            accord::sim::domains::scenario::PreferenceSource::Given(given) => given.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let analysis = analyze_listing_frontier(&scenario.domain, &preferences);
    (scenario.domain, preferences, analysis)
}

#[test]
fn the_shared_domains_give_the_frontiers_found_by_enumeration() {
    for name in ["5issues", "7issues"] {
        let (_, preferences, analysis) = shared_analysis(name);
        assert!(
            analysis.reasons.is_empty(),
            "{name}: {:?}",
            analysis.reasons
        );
        let frontier = analysis.frontier.as_ref().unwrap();
        let written = frontier_written(&shared(name).join("pareto.txt"));
        assert_eq!(frontier.len(), written.len(), "{name}");
        for (point, expected) in frontier.iter().zip(&written) {
            assert!(
                (point.utilities[0] - expected.0).abs() < 1e-9
                    && (point.utilities[1] - expected.1).abs() < 1e-9,
                "{name}: {:?} against {expected:?}",
                point.utilities
            );
            // The outcome standing for a point has its utilities.
            for (party, prefs) in preferences.iter().enumerate() {
                assert_eq!(prefs.utility(&point.outcome), point.utilities[party]);
            }
        }
    }
}

#[test]
fn the_five_issue_domain_counts_its_frontier_outcomes_as_enumeration_does() {
    let (domain, preferences, analysis) = shared_analysis("5issues");
    let frontier: Vec<Vec<f64>> = analysis
        .frontier
        .unwrap()
        .into_iter()
        .map(|point| point.utilities)
        .collect();
    let mut on_frontier = 0u128;
    let mut best_welfare = f64::MIN;
    for index in 0..100_000 {
        let outcome = domain.outcome(index);
        let utilities: Vec<f64> = preferences
            .iter()
            .map(|prefs| prefs.utility(&outcome))
            .collect();
        if frontier.contains(&utilities) {
            on_frontier += 1;
        }
        best_welfare = best_welfare.max(utilities[0] + utilities[1]);
    }
    assert_eq!(analysis.pareto_size, Some(on_frontier));
    assert_eq!(on_frontier, 86);
    assert!((analysis.max_welfare.unwrap() - best_welfare).abs() < 1e-12);
}

fn read(issues: usize, profiles: &[String]) -> (Domain, Vec<Preferences>) {
    let path = Path::new("generated.xml");
    let domain = domain_from_text(&domain_xml(issues, 10), path).unwrap();
    let preferences = profiles
        .iter()
        .map(|text| profile_from_text(text, path, &domain).unwrap())
        .collect();
    (domain, preferences)
}

#[test]
fn generated_spaces_of_ten_and_thirty_issues_are_answered_and_no_drawn_outcome_beats_them() {
    for (issues, seed) in [(10, 1u64), (10, 2), (30, 3), (30, 4)] {
        let (_, profiles) = drawn_space(issues, 2 * issues, 2, seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (domain, preferences) = read(issues, &profiles);
        let analysis = analyze_listing_frontier(&domain, &preferences);
        assert!(
            analysis.reasons.is_empty(),
            "{issues}: {:?}",
            analysis.reasons
        );
        let frontier = analysis.frontier.as_ref().unwrap();
        for point in frontier {
            for (party, prefs) in preferences.iter().enumerate() {
                assert_eq!(prefs.utility(&point.outcome), point.utilities[party]);
            }
        }
        assert!(analysis.pareto_size.unwrap() >= frontier.len() as u128);
        let welfare = analysis.max_welfare.unwrap();
        for _ in 0..20_000 {
            let outcome: Vec<usize> = (0..issues)
                .map(|_| (rng.next_u32() % 10) as usize)
                .collect();
            let utilities: Vec<f64> = preferences
                .iter()
                .map(|prefs| prefs.utility(&outcome))
                .collect();
            assert!(
                frontier
                    .iter()
                    .any(|point| point.utilities[0] >= utilities[0]
                        && point.utilities[1] >= utilities[1]),
                "{issues} issues, seed {seed}: {utilities:?} beats the frontier"
            );
            assert!(utilities[0] + utilities[1] <= welfare + 1e-12);
        }
        let nash = analysis.nash.as_ref().unwrap();
        assert!(
            frontier
                .iter()
                .any(|point| point.utilities == nash.utilities)
        );
    }
}

#[test]
fn what_the_search_cannot_answer_is_said() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let drawn = drawn_rectangles(&mut rng, 4, 10, 6);
    let text = profile_xml(4, 10, &drawn, 200, None);
    let with_negative = text.replacen(
        "<hyperRectangle utility=\"",
        "<hyperRectangle utility=\"-",
        1,
    );
    let (domain, preferences) = read(4, &[text.clone(), with_negative]);
    let analysis = analyze(&domain, &preferences);
    assert!(analysis.pareto_size.is_none() && analysis.max_welfare.is_none());
    assert!(
        analysis
            .reasons
            .iter()
            .any(|reason| reason.contains("negative utility")),
        "{:?}",
        analysis.reasons
    );
    // Three parties: the largest welfare, and why there is no frontier.
    let (domain, preferences) = read(4, &[text.clone(), text.clone(), text]);
    let analysis = analyze(&domain, &preferences);
    assert!(analysis.max_welfare.is_some() && analysis.pareto_size.is_none());
    assert!(
        analysis
            .reasons
            .iter()
            .any(|reason| reason.contains("two parties, not 3"))
    );
}

/// Every outcome's utilities, the frontier by enumeration, and its figures.
fn enumerated(domain: &Domain, preferences: &[Preferences]) -> (Vec<(f64, f64)>, u128, f64) {
    let count = domain.outcome_count().unwrap() as u64;
    let pairs: Vec<(f64, f64)> = (0..count)
        .map(|index| {
            let outcome = domain.outcome(index);
            (
                preferences[0].utility(&outcome),
                preferences[1].utility(&outcome),
            )
        })
        .collect();
    let mut sorted = pairs.clone();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
    let mut frontier: Vec<(f64, f64)> = Vec::new();
    for pair in sorted {
        if frontier.last().is_none_or(|last| pair.1 > last.1) {
            frontier.push(pair);
        }
    }
    let on = pairs.iter().filter(|pair| frontier.contains(pair)).count() as u128;
    let welfare = pairs.iter().map(|(a, b)| a + b).fold(f64::MIN, f64::max);
    (frontier, on, welfare)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Small random spaces: the frontier, its outcome count, the largest welfare and the
    /// Nash product are those of enumerating every outcome.
    #[test]
    fn small_spaces_agree_with_enumeration(
        issues in 2usize..5,
        values in 2u32..6,
        counts in (1usize..9, 1usize..9),
        seed in any::<u64>(),
        reservations in (prop_oneof![Just(None), Just(Some(0.3))], prop_oneof![Just(None), Just(Some(0.5))]),
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let profiles: Vec<String> = [(counts.0, reservations.0), (counts.1, reservations.1)]
            .into_iter()
            .map(|(count, reservation)| {
                let drawn = drawn_rectangles(&mut rng, issues, values, count);
                let max_utility = 1 + rng.next_u32() % 150;
                profile_xml(issues, values, &drawn, max_utility, reservation)
            })
            .collect();
        let path = Path::new("generated.xml");
        let domain_written = domain_xml(issues, values);
        let domain = domain_from_text(&domain_written, path).unwrap();
        let preferences: Vec<Preferences> = profiles
            .iter()
            .map(|text| profile_from_text(text, path, &domain).unwrap())
            .collect();
        let analysis = analyze_listing_frontier(&domain, &preferences);
        prop_assert!(analysis.reasons.is_empty(), "{:?}", analysis.reasons);
        let (frontier, on, welfare) = enumerated(&domain, &preferences);
        let found: Vec<(f64, f64)> = analysis
            .frontier
            .as_ref()
            .unwrap()
            .iter()
            .map(|point| (point.utilities[0], point.utilities[1]))
            .collect();
        prop_assert_eq!(&found, &frontier);
        prop_assert_eq!(analysis.pareto_size, Some(on));
        // The analysis rounds the exact sum once; enumeration adds two rounded utilities.
        prop_assert!((analysis.max_welfare.unwrap() - welfare).abs() < 1e-12);
        let reservation = [preferences[0].reservation, preferences[1].reservation];
        let product = |pair: &(f64, f64)| (pair.0 - reservation[0]) * (pair.1 - reservation[1]);
        let feasible: Vec<&(f64, f64)> = frontier
            .iter()
            .filter(|pair| pair.0 >= reservation[0] && pair.1 >= reservation[1])
            .collect();
        match &analysis.nash {
            None => prop_assert!(feasible.is_empty()),
            Some(nash) => {
                let best = feasible.iter().map(|pair| product(pair)).fold(f64::MIN, f64::max);
                let nash = (nash.utilities[0], nash.utilities[1]);
                prop_assert!((product(&nash) - best).abs() < 1e-12);
            }
        }
    }
}
