//! The analysis decides in exact arithmetic: its frontier sizes, Nash, Kalai-Smorodinsky and
//! maximum-welfare points are the ones fractions give.
//!
//! - `tests/fixtures/analysis/NAME/` holds a GENIUS domain (`domain.xml`, `profile1.xml`,
//!   ...) and `expected.json`, the answer `reference.py` beside them computes with Python's
//!   fractions (its doubles are the fractions correctly rounded). The `noise-*` domains were
//!   drawn by `generate.py` (seeds 7, 11 and 27 for three parties, 100, 107 and 118 for two)
//!   among those where summing their decimals in doubles gets an answer wrong.
//! - A property test holds the analysis to a brute-force reference in big rationals.

use std::path::{Path, PathBuf};

use accord::sim::analysis::{Analysis, Point, analyze, analyze_with_limit};
use accord::sim::domain::{Domain, Issue, Outcome, Preferences};
use accord::sim::genius;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};
use proptest::prelude::*;

fn fixtures() -> Vec<PathBuf> {
    let root = crate::binary::root().join("tests/fixtures/analysis");
    let mut directories: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    directories.sort();
    directories
}

fn name_of(directory: &Path) -> String {
    directory
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// A fixture's `profileN.xml` files, in name order.
fn profile_paths(directory: &Path) -> Vec<PathBuf> {
    let mut profiles: Vec<PathBuf> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("profile")
        })
        .collect();
    profiles.sort();
    profiles
}

fn load(directory: &Path) -> (Domain, Vec<Preferences>) {
    let domain = genius::load_domain(&directory.join("domain.xml")).unwrap();
    let preferences = profile_paths(directory)
        .iter()
        .map(|path| genius::load_profile(path, &domain).unwrap())
        .collect();
    (domain, preferences)
}

/// A point as `analyze --json` writes it.
fn point_json(domain: &Domain, point: &Option<Point>) -> serde_json::Value {
    match point {
        None => serde_json::Value::Null,
        Some(point) => serde_json::json!({
            "utilities": point.utilities,
            "outcome": domain.issues.iter().zip(&point.outcome)
                .map(|(issue, option)| (issue.title.clone(), serde_json::json!(&*issue.options[*option])))
                .collect::<serde_json::Map<_, _>>(),
        }),
    }
}

fn assert_matches(name: &str, domain: &Domain, analysis: &Analysis, expected: &serde_json::Value) {
    assert_eq!(
        analysis.n_outcomes,
        expected["n_outcomes"].as_u64().map(u128::from),
        "{name}: n_outcomes"
    );
    assert_eq!(
        analysis.pareto_size,
        expected["pareto_size"].as_u64().map(u128::from),
        "{name}: pareto_size"
    );
    assert_eq!(
        analysis.max_welfare,
        expected["max_welfare"].as_f64(),
        "{name}: max_welfare"
    );
    for (figure, point) in [
        ("nash", &analysis.nash),
        ("kalai_smorodinsky", &analysis.kalai_smorodinsky),
        ("max_welfare_point", &analysis.max_welfare_point),
    ] {
        assert_eq!(
            &point_json(domain, point),
            &expected[figure],
            "{name}: {figure}"
        );
    }
}

#[test]
fn every_fixture_domain_gets_the_answer_of_exact_arithmetic() {
    let directories = fixtures();
    assert!(directories.len() >= 8);
    for directory in directories {
        let name = name_of(&directory);
        let (domain, preferences) = load(&directory);
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(directory.join("expected.json")).unwrap())
                .unwrap();
        assert_matches(&name, &domain, &analyze(&domain, &preferences), &expected);
        // Enumerated, listing the frontier outcome by outcome: the same answers.
        let listing = accord::sim::analysis::analyze_with(&domain, &preferences, u128::MAX, true);
        assert_matches(&format!("{name} listing"), &domain, &listing, &expected);
        if preferences.len() == 2 {
            // Issue by issue, without enumerating: the same answers.
            let by_issues = analyze_with_limit(&domain, &preferences, 0);
            assert_matches(&format!("{name} by issues"), &domain, &by_issues, &expected);
        }
    }
}

/// What summing the doubles in outcome order and comparing them as they are gives: the
/// frontier's size and the Nash outcome. The `noise-*` fixtures exist because it is wrong.
fn float_answer(domain: &Domain, preferences: &[Preferences]) -> (usize, Option<Outcome>) {
    let count = domain.outcome_count().unwrap() as u64;
    let outcomes: Vec<Outcome> = (0..count).map(|index| domain.outcome(index)).collect();
    let utilities: Vec<Vec<f64>> = outcomes
        .iter()
        .map(|outcome| {
            preferences
                .iter()
                .map(|prefs| prefs.utility(outcome))
                .collect()
        })
        .collect();
    let dominates = |a: &[f64], b: &[f64]| {
        a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y)
    };
    let frontier = utilities
        .iter()
        .filter(|own| !utilities.iter().any(|other| dominates(other, own)))
        .count();
    let mut nash: Option<(f64, usize)> = None;
    for (index, own) in utilities.iter().enumerate() {
        if own
            .iter()
            .zip(preferences)
            .all(|(u, prefs)| *u >= prefs.reservation)
        {
            let product: f64 = own
                .iter()
                .zip(preferences)
                .map(|(u, prefs)| u - prefs.reservation)
                .product();
            if nash.is_none_or(|(best, _)| product > best) {
                nash = Some((product, index));
            }
        }
    }
    (frontier, nash.map(|(_, index)| outcomes[index].clone()))
}

#[test]
fn the_noise_fixtures_are_ones_doubles_get_wrong() {
    for directory in fixtures() {
        let name = name_of(&directory);
        if !name.starts_with("noise-") {
            continue;
        }
        let (domain, preferences) = load(&directory);
        let exact = analyze(&domain, &preferences);
        let (frontier, nash) = float_answer(&domain, &preferences);
        let nash_differs = nash != exact.nash.map(|point| point.outcome);
        assert!(
            frontier as u128 != exact.pareto_size.unwrap() || nash_differs,
            "{name}: doubles give the exact answer, so the fixture tests nothing"
        );
    }
}

// ---- A brute-force reference in big rationals ----

fn rational(value: f64) -> BigRational {
    // The profiles below are made of short decimals, written as text.
    let text = format!("{value}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits: BigInt = format!("{whole}{fraction}").parse().unwrap();
    BigRational::new(digits, BigInt::from(10).pow(fraction.len() as u32))
}

struct Reference {
    pareto_size: usize,
    nash: Option<Outcome>,
    kalai_smorodinsky: Option<Outcome>,
    max_welfare_point: Outcome,
}

fn reference(
    domain: &Domain,
    weights: &[Vec<f64>],
    evaluations: &[Vec<Vec<u32>>],
    reservations: &[f64],
) -> Reference {
    let count = domain.outcome_count().unwrap() as u64;
    let outcomes: Vec<Outcome> = (0..count).map(|index| domain.outcome(index)).collect();
    // Weights that sum to more than 1 are divided by their sum, as accord does.
    let divisors: Vec<BigRational> = weights
        .iter()
        .map(|row| {
            let sum: BigRational = row.iter().map(|weight| rational(*weight)).sum();
            if sum > BigRational::one() {
                sum
            } else {
                BigRational::one()
            }
        })
        .collect();
    let utility = |party: usize, outcome: &Outcome| -> BigRational {
        let mut total = BigRational::zero();
        for (issue, option) in outcome.iter().enumerate() {
            let largest = *evaluations[party][issue].iter().max().unwrap();
            if largest > 0 {
                total += rational(weights[party][issue]) / &divisors[party]
                    * BigRational::from_integer(evaluations[party][issue][*option].into())
                    / BigRational::from_integer(largest.into());
            }
        }
        total
    };
    let parties = weights.len();
    let utilities: Vec<Vec<BigRational>> = outcomes
        .iter()
        .map(|outcome| (0..parties).map(|party| utility(party, outcome)).collect())
        .collect();
    let reservations: Vec<BigRational> =
        reservations.iter().map(|value| rational(*value)).collect();
    let dominates = |a: &[BigRational], b: &[BigRational]| {
        a.iter().zip(b).all(|(x, y)| x >= y) && a.iter().zip(b).any(|(x, y)| x > y)
    };
    let frontier: Vec<usize> = (0..utilities.len())
        .filter(|own| {
            !utilities
                .iter()
                .any(|other| dominates(other, &utilities[*own]))
        })
        .collect();
    let feasible: Vec<usize> = frontier
        .iter()
        .copied()
        .filter(|index| {
            utilities[*index]
                .iter()
                .zip(&reservations)
                .all(|(u, r)| u >= r)
        })
        .collect();
    let surplus = |index: usize, party: usize| &utilities[index][party] - &reservations[party];
    let mut nash: Option<(BigRational, usize)> = None;
    for index in &feasible {
        let product = (0..parties).fold(BigRational::one(), |product, party| {
            product * surplus(*index, party)
        });
        if nash.as_ref().is_none_or(|(best, _)| product > *best) {
            nash = Some((product, *index));
        }
    }
    let ranges: Vec<BigRational> = (0..parties)
        .map(|party| {
            feasible
                .iter()
                .map(|index| surplus(*index, party))
                .max()
                .unwrap_or_default()
        })
        .collect();
    let mut kalai: Option<((BigRational, BigRational, BigRational), usize)> = None;
    for index in &feasible {
        let share = (0..parties)
            .filter(|party| ranges[*party] > BigRational::zero())
            .map(|party| surplus(*index, party) / &ranges[party])
            .fold(BigRational::one(), |smallest, share| smallest.min(share));
        let sum: BigRational = utilities[*index].iter().sum();
        let key = (share, sum, utilities[*index][0].clone());
        if kalai.as_ref().is_none_or(|(best, _)| key > *best) {
            kalai = Some((key, *index));
        }
    }
    let mut welfare: Option<(BigRational, usize)> = None;
    for (index, own) in utilities.iter().enumerate() {
        let sum: BigRational = own.iter().sum();
        if welfare.as_ref().is_none_or(|(best, _)| sum > *best) {
            welfare = Some((sum, index));
        }
    }
    Reference {
        pareto_size: frontier.len(),
        nash: nash.map(|(_, index)| outcomes[index].clone()),
        kalai_smorodinsky: kalai.map(|(_, index)| outcomes[index].clone()),
        max_welfare_point: outcomes[welfare.unwrap().1].clone(),
    }
}

/// Decimals that tie on paper and not in doubles: tenths, twentieths, thirds of evaluations.
fn weight() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![0.1, 0.2, 0.3, 0.05, 0.15, 0.35, 0.6, 0.7, 0.4])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_analysis_agrees_with_big_rationals(
        sizes in prop::collection::vec(1usize..5, 1..5),
        parties in 2usize..4,
        seeds in prop::collection::vec(any::<u64>(), 3),
        weights in prop::collection::vec(prop::collection::vec(weight(), 4), 3),
        reservations in prop::collection::vec(prop::sample::select(vec![0.0, 0.0, 0.25, 0.3, 0.5]), 3),
    ) {
        let domain = Domain {
            issues: sizes
                .iter()
                .enumerate()
                .map(|(index, options)| Issue {
                    id: accord::format::ids::Slug::parse(&format!("issue-{index}")).unwrap(),
                    title: format!("Issue {index}"),
                    options: (0..*options).map(|option| format!("v{option}").into()).collect(),
                    exchange_options: Vec::new(),
                })
                .collect(),
        };
        // Evaluations 0 to 5, drawn from each party's seed.
        let evaluations: Vec<Vec<Vec<u32>>> = (0..parties)
            .map(|party| {
                let mut state = seeds[party];
                sizes
                    .iter()
                    .map(|options| {
                        (0..*options)
                            .map(|_| {
                                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                                ((state >> 33) % 6) as u32
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let weights: Vec<Vec<f64>> = weights[..parties].iter().map(|row| row[..sizes.len()].to_vec()).collect();
        let preferences: Vec<Preferences> = (0..parties)
            .map(|party| {
                Preferences::from_evaluations(
                    weights[party].clone(),
                    evaluations[party]
                        .iter()
                        .map(|row| row.iter().map(|value| f64::from(*value)).collect())
                        .collect(),
                    reservations[party],
                )
            })
            .collect();
        let expected = reference(&domain, &weights, &evaluations, &reservations[..parties]);
        let mut answers = vec![
            analyze(&domain, &preferences),
            accord::sim::analysis::analyze_with(&domain, &preferences, u128::MAX, true),
        ];
        if parties == 2 {
            answers.push(analyze_with_limit(&domain, &preferences, 0));
        }
        for analysis in answers {
            prop_assert_eq!(analysis.pareto_size, Some(expected.pareto_size as u128));
            prop_assert_eq!(analysis.nash.map(|point| point.outcome), expected.nash.clone());
            prop_assert_eq!(
                analysis.kalai_smorodinsky.map(|point| point.outcome),
                expected.kalai_smorodinsky.clone()
            );
            prop_assert_eq!(
                analysis.max_welfare_point.map(|point| point.outcome),
                Some(expected.max_welfare_point.clone())
            );
        }
    }
}

#[test]
fn json_numbers_are_read_as_the_nearest_double() {
    // Post-mortem: serde_json's default float parser misread 1.8083333333333333 by one ulp,
    // so a JSON profile's decimals were not the ones written; `float_roundtrip` is on now.
    for text in [
        "1.8083333333333333",
        "0.1",
        "0.30000000000000004",
        "2.18",
        "0.8636666666666667",
    ] {
        let parsed: f64 = serde_json::from_str(text).unwrap();
        assert_eq!(parsed, text.parse::<f64>().unwrap(), "{text}");
    }
}

#[test]
fn a_batch_with_shared_preferences_is_measured_against_the_exact_frontier() {
    for directory in fixtures() {
        let name = name_of(&directory);
        let profiles = profile_paths(&directory);
        let strategies: Vec<String> = profiles.iter().map(|_| "linear".to_string()).collect();
        let scenario = accord::sim::scenario::from_genius(
            &directory.join("domain.xml"),
            &profiles,
            &strategies,
            30,
        )
        .unwrap();
        let prepared = accord::sim::run::prepare(&scenario, &mut accord::sim::run::run_rng(1, 0));
        let yardstick = prepared
            .yardstick
            .expect("shared preferences are measured in advance");
        let exact = accord::sim::analysis::analyze_listing_frontier(
            &scenario.domain,
            &prepared.preferences,
        );
        // The frontier's utility vectors, each once (outcomes sharing one are one point).
        let vectors = |points: Vec<Vec<f64>>| {
            let mut points: Vec<Vec<u64>> = points
                .into_iter()
                .map(|point| point.iter().map(|u| u.to_bits()).collect())
                .collect();
            points.sort();
            points.dedup();
            points
        };
        let listed = exact
            .frontier
            .as_ref()
            .unwrap()
            .iter()
            .map(|point| {
                prepared
                    .preferences
                    .iter()
                    .map(|prefs| prefs.utility(&point.outcome))
                    .collect()
            })
            .collect();
        let measured = yardstick
            .frontier
            .chunks(yardstick.parties)
            .map(<[f64]>::to_vec)
            .collect();
        assert_eq!(vectors(measured), vectors(listed), "{name}");
        // Each point at the doubles the simulation gives its outcome.
        let doubles = |point: &Option<Point>| -> Vec<f64> {
            point.as_ref().map_or_else(Vec::new, |point| {
                prepared
                    .preferences
                    .iter()
                    .map(|prefs| prefs.utility(&point.outcome))
                    .collect()
            })
        };
        assert_eq!(yardstick.nash, doubles(&exact.nash), "{name}");
        assert_eq!(
            yardstick.kalai_smorodinsky,
            doubles(&exact.kalai_smorodinsky),
            "{name}"
        );
        assert_eq!(
            yardstick.max_welfare,
            doubles(&exact.max_welfare_point),
            "{name}"
        );
    }
}

#[test]
fn an_agreement_is_measured_against_each_point_of_the_analysis() {
    use accord::sim::batch::{BatchOptions, simulate};
    let directory = crate::binary::root().join("events/scenarios");
    let scenario = accord::sim::scenario::load(&directory.join("england-zimbabwe.json")).unwrap();
    let preferences = scenario.preferences(&mut accord::sim::run::run_rng(0, 0));
    let exact = analyze(&scenario.domain, &preferences);
    let options = BatchOptions {
        runs: 200,
        seed: 3,
        threads: 2,
        out_dir: None,
        keep_logs: false,
        overwrite: false,
    };
    let mut results = Vec::new();
    let summary = simulate(&scenario, &options, &|_| {}, &mut |_, result| {
        results.push(result.clone())
    })
    .unwrap();
    // Each distance is the Euclidean distance between the agreement's utilities and the
    // point's, in the doubles the simulation plays with (England-Zimbabwe has no discount).
    let doubles = |outcome: &Outcome| -> Vec<f64> {
        preferences
            .iter()
            .map(|prefs| prefs.utility(outcome))
            .collect()
    };
    let euclidean = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    };
    for result in results.iter().filter(|result| result.agreed) {
        let agreed = doubles(result.outcome.as_ref().unwrap());
        assert_eq!(agreed, result.utilities);
        for (point, distance) in [
            (&exact.nash, result.distances.nash),
            (&exact.kalai_smorodinsky, result.distances.kalai_smorodinsky),
            (&exact.max_welfare_point, result.distances.max_welfare),
        ] {
            let point = doubles(&point.as_ref().unwrap().outcome);
            assert_eq!(distance, Some(euclidean(&agreed, &point)));
        }
        assert!(result.distances.pareto.unwrap() >= 0.0);
    }
    assert!(summary.kalai_smorodinsky_distance.is_some() && summary.max_welfare_distance.is_some());
    // Without discount factors, the summary's means are the rows' means.
    let agreed: Vec<_> = results.iter().filter(|result| result.agreed).collect();
    let mean = agreed
        .iter()
        .map(|result| result.distances.kalai_smorodinsky.unwrap())
        .sum::<f64>()
        / agreed.len() as f64;
    assert!((mean - summary.kalai_smorodinsky_distance.unwrap()).abs() < 1e-12);
    assert!(!agreed.is_empty());
}

#[test]
fn preferences_that_do_not_fit_the_domain_get_reasons_not_a_panic() {
    let (domain, preferences) =
        load(&crate::binary::root().join("tests/fixtures/analysis/party-three"));
    let mut short = preferences.clone();
    short[1].values[2].pop();
    let mut no_weight = preferences.clone();
    no_weight[0].weights.pop();
    let mut empty_issue = domain.clone();
    empty_issue.issues[0].options.clear();
    for (domain, preferences) in [
        (&domain, short),
        (&domain, no_weight),
        (&empty_issue, preferences.clone()),
        (&domain, Vec::new()),
    ] {
        let analysis = analyze(domain, &preferences);
        assert!(analysis.pareto_size.is_none() && analysis.max_welfare.is_none());
        assert!(!analysis.reasons.is_empty());
    }
}
