//! Simulations and analysis: GENIUS domains, the figures of simulation.md, determinism, and
//! properties of random small scenarios.

use std::path::{Path, PathBuf};
use std::process::Command;

use accord::format::event::{Category, EventData};
use accord::format::ids::Slug;
use accord::format::time::Timestamp;
use accord::sim::SimError;
use accord::sim::analysis::{analyze, analyze_with_limit};
use accord::sim::batch::{BatchOptions, simulate};
use accord::sim::domain::{Domain, Issue, Preferences};
use accord::sim::genius;
use accord::sim::run::{relative_time, run_rng};
use accord::sim::scenario::{self, Holding, PartySpec, PreferenceSource, ReleasePolicy, Scenario};
use accord::sim::strategy::Strategy as Bidding;
use proptest::prelude::*;

fn samples() -> PathBuf {
    crate::binary::root().join("events/scenarios/genius")
}

fn scenarios() -> PathBuf {
    crate::binary::root().join("events/scenarios")
}

/// Each outcome's utilities, by outcome index: the plain way, for checking the analysis.
fn every_outcome_utilities(
    domain: &accord::sim::domain::Domain,
    profiles: &[accord::sim::domain::Preferences],
) -> Vec<Vec<f64>> {
    let count = domain.outcome_count().unwrap() as u64;
    (0..count)
        .map(|index| {
            let outcome = domain.outcome(index);
            profiles
                .iter()
                .map(|profile| profile.utility(&outcome))
                .collect()
        })
        .collect()
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

#[test]
fn england_zimbabwe_has_the_figures_of_the_spec() {
    let directory = samples().join("EnglandZimbabwe");
    let domain = genius::load_domain(&directory.join("EnglandZimbabwe_domain.xml")).unwrap();
    let profiles: Vec<Preferences> = ["England.xml", "Zimbabwe.xml"]
        .iter()
        .map(|name| genius::load_profile(&directory.join(name), &domain).unwrap())
        .collect();
    for limit in [u128::MAX, 0] {
        let analysis = analyze_with_limit(&domain, &profiles, limit);
        assert_eq!(analysis.n_outcomes, Some(576));
        assert_eq!(analysis.pareto_size, Some(25), "limit {limit}");
        let nash = analysis.nash.as_ref().unwrap();
        assert_eq!(
            (round6(nash.utilities[0]), round6(nash.utilities[1])),
            (0.910916, 0.733218)
        );
        assert_eq!(round6(analysis.max_welfare.unwrap()), 1.644135);
        assert_eq!(round6(analysis.opposition.unwrap()), 0.272117);
    }
}

/// Every pair of profiles of every sample domain, and all nine Party profiles at once.
fn sample_sets() -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut sets = Vec::new();
    for entry in std::fs::read_dir(samples()).unwrap() {
        let directory = entry.unwrap().path();
        if !directory.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        let (domains, profiles): (Vec<PathBuf>, Vec<PathBuf>) = files
            .into_iter()
            .partition(|path| path.to_string_lossy().contains("domain"));
        let domain = domains[0].clone();
        for (index, first) in profiles.iter().enumerate() {
            for second in &profiles[index + 1..] {
                sets.push((domain.clone(), vec![first.clone(), second.clone()]));
            }
        }
        if profiles.len() > 2 {
            sets.push((domain.clone(), profiles.clone()));
        }
    }
    sets
}

#[test]
fn every_sample_domain_analyses_and_the_two_methods_agree() {
    let sets = sample_sets();
    assert!(sets.len() > 40);
    for (domain_path, profile_paths) in sets {
        let domain = genius::load_domain(&domain_path).unwrap();
        let profiles: Vec<Preferences> = profile_paths
            .iter()
            .map(|path| genius::load_profile(path, &domain).unwrap())
            .collect();
        let enumerated = analyze(&domain, &profiles);
        assert!(
            enumerated.pareto_size.unwrap() >= 1,
            "{}",
            domain_path.display()
        );
        assert!(enumerated.max_welfare.is_some() && enumerated.opposition.is_some());
        if profiles.len() == 2 {
            let by_issues = analyze_with_limit(&domain, &profiles, 0);
            assert_eq!(
                by_issues.pareto_size, enumerated.pareto_size,
                "{profile_paths:?}"
            );
            assert_eq!(
                by_issues.nash.as_ref().map(|nash| &nash.utilities),
                enumerated.nash.as_ref().map(|nash| &nash.utilities)
            );
            assert_eq!(
                by_issues.opposition.map(round6),
                enumerated.opposition.map(round6)
            );
            // Sums of the same parts in another order may differ in the last bit.
            let rounded = |point: &Option<accord::sim::analysis::Point>| {
                point.as_ref().map(|point| {
                    point
                        .utilities
                        .iter()
                        .map(|u| round6(*u))
                        .collect::<Vec<_>>()
                })
            };
            assert_eq!(
                rounded(&by_issues.kalai_smorodinsky),
                rounded(&enumerated.kalai_smorodinsky),
                "{profile_paths:?}"
            );
        }
        // The Kalai-Smorodinsky point, found the plain way over every outcome.
        let utilities = every_outcome_utilities(&domain, &profiles);
        let feasible: Vec<&Vec<f64>> = utilities
            .iter()
            .filter(|point| {
                point
                    .iter()
                    .zip(&profiles)
                    .all(|(u, p)| *u >= p.reservation)
            })
            .collect();
        let expected = (!feasible.is_empty()).then(|| {
            let best: Vec<f64> = (0..profiles.len())
                .map(|party| {
                    feasible
                        .iter()
                        .map(|point| point[party])
                        .fold(f64::MIN, f64::max)
                })
                .collect();
            let share = |point: &Vec<f64>| {
                point
                    .iter()
                    .zip(&profiles)
                    .zip(&best)
                    .map(|((u, p), m)| {
                        if m > &p.reservation {
                            (u - p.reservation) / (m - p.reservation)
                        } else {
                            1.0
                        }
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            let top = feasible
                .iter()
                .map(|point| share(point))
                .fold(f64::MIN, f64::max);
            feasible
                .iter()
                .filter(|point| share(point) == top)
                .map(|point| point.iter().sum::<f64>())
                .fold(f64::MIN, f64::max)
        });
        let found = enumerated
            .kalai_smorodinsky
            .as_ref()
            .map(|point| point.utilities.iter().sum::<f64>());
        assert_eq!(
            found.map(round6),
            expected.map(round6),
            "{}",
            domain_path.display()
        );
    }
}

fn issue(id: &str, options: usize) -> Issue {
    Issue {
        id: Slug::parse(id).unwrap(),
        title: id.to_string(),
        options: (0..options)
            .map(|option| format!("{id}-{option}").into())
            .collect(),
        exchange_options: Vec::new(),
    }
}

#[test]
fn a_small_domain_worked_by_hand() {
    // Two issues of two options. Party A: weights 0.6/0.4, values x:(1,0) y:(1,0).
    // Party B: weights 0.5/0.5, values x:(0,1) y:(0.5,1). Outcomes (A, B):
    //   (0,0): (1.0, 0.25)  (0,1): (0.6, 0.5)  (1,0): (0.4, 0.75)  (1,1): (0.0, 1.0)
    // None dominates another: a frontier of 4. Reservations 0.3 and 0.3 leave (0,1) and
    // (1,0): products 0.3*0.2 = 0.06 and 0.1*0.45 = 0.045, so the Nash point is (0,1).
    // Welfare peaks at (0,0) and (1,1)... 1.25, 1.1, 1.15, 1.0: 1.25. Opposition: maxima 1
    // and 1; distances: sqrt(0 + 0.5625) = 0.75, sqrt(0.16 + 0.25) = 0.6403, sqrt(0.36 +
    // 0.0625) = 0.65, 1: 0.640312.
    let domain = Domain {
        issues: vec![issue("x", 2), issue("y", 2)],
    };
    let a =
        Preferences::from_evaluations(vec![0.6, 0.4], vec![vec![1.0, 0.0], vec![1.0, 0.0]], 0.3);
    let b =
        Preferences::from_evaluations(vec![0.5, 0.5], vec![vec![0.0, 1.0], vec![0.5, 1.0]], 0.3);
    for limit in [u128::MAX, 0] {
        let analysis = analyze_with_limit(&domain, &[a.clone(), b.clone()], limit);
        assert_eq!(analysis.n_outcomes, Some(4));
        assert_eq!(analysis.pareto_size, Some(4));
        assert_eq!(analysis.nash.as_ref().unwrap().outcome, vec![0, 1]);
        assert_eq!(round6(analysis.max_welfare.unwrap()), 1.25);
        assert_eq!(round6(analysis.opposition.unwrap()), 0.640312);
    }
    // Reservations no outcome meets: no Nash point.
    let greedy = Preferences {
        reservation: 0.9,
        ..b.clone()
    };
    let analysis = analyze(
        &domain,
        &[
            Preferences {
                reservation: 0.9,
                ..a
            },
            greedy,
        ],
    );
    assert!(analysis.nash.is_none() && analysis.nash_none);
}

#[test]
fn outcome_spaces_too_large_to_enumerate_get_an_answer_quickly() {
    let domain = Domain {
        issues: (0..30)
            .map(|index| issue(&format!("i{index}"), 10))
            .collect(),
    };
    let preferences = |seed: u64| {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let weights: Vec<f64> = (0..30).map(|_| next()).collect();
        let values = (0..30)
            .map(|_| (0..10).map(|_| (next() * 4.0).floor()).collect())
            .collect();
        Preferences::from_evaluations(weights, values, 0.0)
    };
    let two = analyze(&domain, &[preferences(1), preferences(2)]);
    assert_eq!(two.n_outcomes, Some(10u128.pow(30)));
    assert!(two.max_welfare.is_some());
    assert!(two.pareto_size.is_some() || !two.reasons.is_empty());
    let three = analyze(&domain, &[preferences(1), preferences(2), preferences(3)]);
    assert!(
        three.max_welfare.is_some() && three.pareto_size.is_none() && !three.reasons.is_empty()
    );
}

#[test]
fn a_clock_that_would_run_past_the_year_9999_is_refused_not_a_panic() {
    // Post-mortem: step_seconds was only checked to be positive, and a huge one made the
    // simulated clock overflow (a panic) on its first tick.
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("long-steps.json");
    std::fs::write(
        &path,
        r#"{"name": "long steps", "start": "2026-01-01T00:00:00Z", "step_seconds": 9000000000000000,
            "deadline": 10, "issues": [{"id": "a", "title": "A", "options": ["x", "y"]}],
            "parties": [
              {"id": "p", "name": "P", "strategy": "boulware", "preferences": {"random": true}},
              {"id": "q", "name": "Q", "strategy": "conceder", "preferences": {"random": true}}]}"#,
    )
    .unwrap();
    let error = scenario::load(&path).unwrap_err();
    assert!(error.to_string().contains("past the year 9999"), "{error}");
    let output = Command::new(crate::binary::accord_binary())
        .args(["simulate", path.to_str().unwrap(), "--seed", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
}

#[test]
fn genius_files_that_cannot_be_used_get_a_clear_error() {
    let directory = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| -> PathBuf {
        let path = directory.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cases = [
        (
            "real.xml",
            r#"<utility_space><objective index="0" name="o"><issue index="1" name="Price" etype="real" lowerbound="0" upperbound="9"/></objective></utility_space>"#,
            "only discrete and integer issues",
        ),
        (
            "backwards.xml",
            r#"<utility_space><objective index="0" name="o"><issue index="1" name="Price" etype="integer" lowerbound="9" upperbound="0"/></objective></utility_space>"#,
            "an integer issue needs 1 to 10000 values",
        ),
        (
            "nonlinear.xml",
            r#"<utility_space type="nonlinear"><objective index="0" name="o"/></utility_space>"#,
            "has no issues",
        ),
        (
            "broken.xml",
            "<utility_space><objective>",
            "not well-formed XML",
        ),
        ("other.xml", "<html/>", "no <utility_space>"),
        (
            "empty-issue.xml",
            r#"<utility_space><objective index="0" name="o"><issue index="1" name="A" etype="discrete"/></objective></utility_space>"#,
            "has no items",
        ),
    ];
    for (name, text, expected) in cases {
        let error = genius::load_domain(&write(name, text)).unwrap_err();
        assert!(error.to_string().contains(expected), "{name}: {error}");
    }
    // An integer issue reads in a domain; a linear profile cannot value it yet.
    let integer = r#"<utility_space><objective index="0" name="o"><issue index="1" name="Price" etype="integer" lowerbound="0" upperbound="9"/></objective></utility_space>"#;
    let domain = genius::load_domain(&write("integer.xml", integer)).unwrap();
    assert_eq!(domain.issues[0].options.len(), 10);
    let linear = integer.replace(
        "</objective>",
        r#"<weight index="1" value="1"/></objective>"#,
    );
    let error = genius::load_profile(&write("linear.xml", &linear), &domain).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("a linear profile's integer issues are not supported yet"),
        "{error}"
    );
    let domain_path = samples().join("EnglandZimbabwe/EnglandZimbabwe_domain.xml");
    let domain = genius::load_domain(&domain_path).unwrap();
    let error =
        genius::load_profile(&samples().join("Travel/travel_chox.xml"), &domain).unwrap_err();
    assert!(error.to_string().contains("has no issue"), "{error}");
    let england = std::fs::read_to_string(samples().join("EnglandZimbabwe/England.xml")).unwrap();
    let negative = write(
        "negative.xml",
        &england.replacen(
            "<weight index=\"1\" value=\"",
            "<weight index=\"1\" value=\"-",
            1,
        ),
    );
    let error = genius::load_profile(&negative, &domain).unwrap_err();
    assert!(error.to_string().contains("is negative"), "{error}");
}

fn options(runs: u64, threads: usize, seed: u64, out_dir: Option<PathBuf>) -> BatchOptions {
    BatchOptions {
        seed,
        runs,
        threads,
        out_dir,
        keep_logs: false,
        overwrite: false,
    }
}

fn files(directory: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn batches_of_several_chunks_sum_up_the_same_on_any_number_of_threads() {
    // Runs are handed out in chunks of 16 and added in chunk order: 700 runs make 44
    // chunks, the last one short, finished in whatever order the threads manage.
    let scenario = scenario::load(&scenarios().join("random-3x10.json")).unwrap();
    let summaries: Vec<String> = [1, 2, 3, 8]
        .into_iter()
        .map(|threads| {
            let mut seen = Vec::new();
            let summary = simulate(
                &scenario,
                &options(700, threads, 11, None),
                &|_| {},
                &mut |index, _| seen.push(index),
            )
            .unwrap();
            assert_eq!(
                seen,
                (0..700).collect::<Vec<u64>>(),
                "results come in run order"
            );
            serde_json::to_string(&summary).unwrap()
        })
        .collect();
    assert!(summaries.windows(2).all(|pair| pair[0] == pair[1]));
}

#[test]
fn each_party_s_spread_is_that_of_its_runs_utilities() {
    // The summary's mean, sample deviation, median, min and max of each party's utilities
    // are those of the utilities the runs report, computed here the plain way.
    let scenario = scenario::load(&scenarios().join("random-3x10.json")).unwrap();
    let mut utilities: Vec<Vec<f64>> = Vec::new();
    let summary = simulate(
        &scenario,
        &options(301, 2, 5, None),
        &|_| {},
        &mut |_, result| utilities.push(result.utilities.clone()),
    )
    .unwrap();
    for (party, spread) in summary.utilities.iter().enumerate() {
        let mut values: Vec<f64> = utilities.iter().map(|run| run[party]).collect();
        values.sort_by(f64::total_cmp);
        let count = values.len() as f64;
        let mean = values.iter().sum::<f64>() / count;
        let sd = (values
            .iter()
            .map(|value| (value - mean).powi(2))
            .sum::<f64>()
            / (count - 1.0))
            .sqrt();
        assert_eq!(
            spread.median,
            values[values.len() / 2],
            "301 runs: the middle one"
        );
        assert!((spread.mean - mean).abs() < 1e-12);
        assert!((spread.sd - sd).abs() < 1e-12, "{} {sd}", spread.sd);
        assert_eq!(
            (spread.min, spread.max),
            (values[0], values[values.len() - 1])
        );
    }
    let json = serde_json::to_value(&summary).unwrap();
    let keys: Vec<&str> = json["utilities"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["max", "mean", "median", "min", "sd"]);
}

#[test]
fn a_failing_run_is_reported_by_the_lowest_run_number_on_any_number_of_threads() {
    let scenario = scenario::load(&scenarios().join("random-3x10.json")).unwrap();
    for threads in [1, 2, 4] {
        let directory = tempfile::tempdir().unwrap();
        // Runs 300 and 600 cannot write their logs: a directory is in the way.
        std::fs::create_dir(directory.path().join("run-000300.jsonl")).unwrap();
        std::fs::create_dir(directory.path().join("run-000600.jsonl")).unwrap();
        let error = simulate(
            &scenario,
            &options(700, threads, 5, Some(directory.path().to_path_buf())),
            &|_| {},
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("run-000300.jsonl"),
            "{threads}: {error}"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes_on_any_number_of_threads() {
    for name in [
        "random-3x10.json",
        "karabakh-goodwill.json",
        "party-three.json",
    ] {
        let scenario = scenario::load(&scenarios().join(name)).unwrap();
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let one = simulate(
            &scenario,
            &options(24, 1, 42, Some(first.path().to_path_buf())),
            &|_| {},
            &mut |_, _| {},
        )
        .unwrap();
        let two = simulate(
            &scenario,
            &options(24, 4, 42, Some(second.path().to_path_buf())),
            &|_| {},
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&one).unwrap(),
            serde_json::to_string(&two).unwrap(),
            "{name}"
        );
        assert_eq!(files(first.path()), files(second.path()), "{name}");
        let other = simulate(
            &scenario,
            &options(24, 2, 43, None),
            &|_| {},
            &mut |_, _| {},
        )
        .unwrap();
        if scenario.has_random_preferences() {
            assert_ne!(
                serde_json::to_string(&one).unwrap(),
                serde_json::to_string(&other).unwrap()
            );
        }
        for (file, bytes) in files(first.path()) {
            let (log, _) = accord::fold::verify_log(&bytes)
                .unwrap_or_else(|error| panic!("{name} {file}: {error}"));
            assert!(!log.is_empty());
        }
    }
}

#[test]
fn thread_counts_are_bounded_and_never_change_the_summary() {
    let accord = crate::binary::accord_binary();
    let scenario = scenarios().join("random-3x10.json");
    let simulate = |threads: &str| {
        Command::new(&accord)
            .args([
                "simulate",
                scenario.to_str().unwrap(),
                "--seed",
                "3",
                "--runs",
                "300",
            ])
            .args(["--json", "--threads", threads])
            .output()
            .unwrap()
    };
    for refused in ["0", "257"] {
        let output = simulate(refused);
        assert_eq!(output.status.code(), Some(2), "{refused}: {output:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("--threads must be 1 to 256"));
    }
    // 300 runs are two chunks: 256 threads asked, two started.
    let (one, many) = (simulate("1"), simulate("256"));
    assert!(one.status.success() && many.status.success());
    assert_eq!(one.stdout, many.stdout);
}

/// Runs `accord` with these arguments, asserts it exits 0 (showing its stderr if not), and
/// returns what it printed on stdout.
fn accord_succeeds(args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let output = Command::new(crate::binary::accord_binary())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "accord {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn the_command_line_simulates_every_shipped_scenario_and_sample_domain() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("run.jsonl");
    for entry in std::fs::read_dir(scenarios()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "json") {
            continue;
        }
        let stdout = accord_succeeds(&[
            "simulate".as_ref(),
            path.as_os_str(),
            "--seed".as_ref(),
            "3".as_ref(),
            "--json".as_ref(),
            "--out".as_ref(),
            log.as_os_str(),
            // One file for every scenario in turn.
            "--force".as_ref(),
        ]);
        let summary: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
        assert_eq!(summary["runs"], 1);
        accord_succeeds(&["verify".as_ref(), log.as_os_str()]);
        accord_succeeds(&["analyze".as_ref(), path.as_os_str(), "--json".as_ref()]);
        // Offer ids sort in the order the offers were made, so a state lists them so.
        let offers: Vec<String> = std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .filter(|event| event["type"] == "proposal.made")
            .map(|event| event["data"]["proposal"].as_str().unwrap().to_string())
            .collect();
        assert!(!offers.is_empty(), "{}", path.display());
        assert!(offers.is_sorted(), "{}: {offers:?}", path.display());
        assert!(
            offers.iter().all(|offer| offer.len() == offers[0].len()),
            "{}: {offers:?}",
            path.display()
        );
    }
    let names = [
        "boulware",
        "conceder",
        "linear",
        "tit_for_tat",
        "e=0.5",
        "hardliner",
    ];
    for (domain, profiles) in sample_sets() {
        let strategies: Vec<&str> = (0..profiles.len())
            .map(|index| names[index % names.len()])
            .collect();
        let strategies = strategies.join(",");
        let options = [
            "simulate",
            "--runs",
            "2",
            "--deadline",
            "40",
            "--json",
            "--strategies",
            &strategies,
            "--genius",
        ];
        let mut args: Vec<&std::ffi::OsStr> = options.iter().map(|arg| arg.as_ref()).collect();
        args.push(domain.as_os_str());
        args.extend(profiles.iter().map(|profile| profile.as_os_str()));
        let summary: serde_json::Value = serde_json::from_slice(&accord_succeeds(&args)).unwrap();
        assert_eq!(summary["parties"].as_array().unwrap().len(), profiles.len());
    }
}

fn small_scenario(
    parties: usize,
    issues: usize,
    options: usize,
    strategies: &[Bidding],
    reservation: f64,
    deadline: u32,
    with_custody: bool,
) -> Scenario {
    let ids: Vec<Slug> = (0..parties)
        .map(|index| Slug::parse(&format!("P{index}")).unwrap())
        .collect();
    let policies = [
        ReleasePolicy::Goodwill(2),
        ReleasePolicy::Reciprocal,
        ReleasePolicy::OnAgreement,
        ReleasePolicy::None,
    ];
    Scenario {
        name: "small".into(),
        start: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
        step_seconds: 60,
        deadline,
        domain: Domain {
            issues: (0..issues)
                .map(|index| Issue {
                    exchange_options: vec![0],
                    ..issue(&format!("i{index}"), options)
                })
                .collect(),
        },
        parties: (0..parties)
            .map(|index| PartySpec {
                id: ids[index].clone(),
                name: format!("Party {index}"),
                strategy: strategies[index % strategies.len()],
                preferences: PreferenceSource::Random { reservation },
                release: policies[index % policies.len()],
            })
            .collect(),
        others: vec![(Slug::parse("MED").unwrap(), "Mediator".into())],
        custody: if with_custody {
            vec![
                Holding {
                    holder: ids[0].clone(),
                    of: ids[1].clone(),
                    category: Category::Combatant,
                    count: 7,
                },
                Holding {
                    holder: ids[1].clone(),
                    of: ids[0].clone(),
                    category: Category::Civilian,
                    count: 3,
                },
            ]
        } else {
            Vec::new()
        },
        protocol: Default::default(),
    }
}

fn bidding() -> impl Strategy<Value = Bidding> {
    prop_oneof![
        (0.0f64..3.0).prop_map(|e| Bidding::TimeDependent { e }),
        Just(Bidding::TimeDependent { e: 0.0 }),
        Just(Bidding::TitForTat),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    // Post-mortem: with a reservation above every outcome, the ranking answered the best
    // outcome anyway, so parties offered (and could agree) below their reservation.
    #[test]
    fn simulated_logs_verify_and_no_move_is_below_a_reservation(
        parties in 2usize..5,
        issues in 1usize..4,
        option_count in 1usize..6,
        strategies in prop::collection::vec(bidding(), 1..4),
        reservation in prop_oneof![0.0f64..0.8, 0.8f64..1.0, Just(1.0), 1.0f64..1.5],
        deadline in 1u32..40,
        custody in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let scenario = small_scenario(parties, issues, option_count, &strategies, reservation, deadline, custody);
        let directory = tempfile::tempdir().unwrap();
        let mut results = Vec::new();
        let summary = simulate(
            &scenario,
            &options(3, 2, seed, Some(directory.path().to_path_buf())),
            &|_| {},
            &mut |index, result| results.push((index, result.clone())),
        ).unwrap();
        prop_assert_eq!(results.iter().map(|(index, _)| *index).collect::<Vec<_>>(), vec![0, 1, 2]);
        let logs = files(directory.path());
        prop_assert_eq!(logs.len(), 3);
        for (index, (file, bytes)) in logs.iter().enumerate() {
            let verified = accord::fold::verify_log(bytes);
            prop_assert!(verified.is_ok(), "{}: {:?}", file, verified.err());
            // Every offer is worth the reservation to its maker, every acceptance to its
            // acceptor, by the preferences this run drew.
            let preferences = scenario.preferences(&mut run_rng(seed, index as u64));
            let mut offered: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
            for event in &verified.unwrap().0.events {
                let (party, outcome) = match &event.data {
                    EventData::ProposalMade(made) => {
                        let outcome: Vec<usize> = scenario.domain.issues.iter().zip(made.terms.iter())
                            .map(|(issue, term)| issue.options.iter().position(|option| *option == term.text).unwrap())
                            .collect();
                        offered.insert(made.proposal.to_string(), outcome.clone());
                        (made.by.to_string(), outcome)
                    }
                    EventData::ProposalAccepted(act) => (act.by.to_string(), offered[act.proposal.as_str()].clone()),
                    _ => continue,
                };
                let position = scenario.parties.iter().position(|spec| spec.id.as_str() == party).unwrap();
                let utility = preferences[position].utility(&outcome);
                prop_assert!(utility >= reservation, "{}: {} moved at {} below its reservation {}", file, party, utility, reservation);
            }
            if reservation > 1.0 {
                prop_assert!(offered.is_empty(), "{}: offers with no outcome worth the reservation", file);
            }
        }
        for (_, result) in &results {
            prop_assert!(result.agreement_possible || !result.agreed);
            if result.agreed {
                for utility in &result.utilities {
                    prop_assert!(*utility >= reservation, "{} below the reservation {}", utility, reservation);
                }
            }
        }
        if reservation > 1.0 {
            prop_assert_eq!(summary.runs_without_possible_agreement, 3);
            prop_assert_eq!(summary.agreement_rate, 0.0);
        }
    }
}

#[test]
fn analyze_prints_the_json_of_the_spec_and_bad_input_fails_clearly() {
    let accord = crate::binary::accord_binary();
    let output = Command::new(&accord)
        .arg("analyze")
        .arg(scenarios().join("england-zimbabwe.json"))
        .arg("--json")
        .output()
        .unwrap();
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let keys: Vec<&String> = document.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        vec![
            "kalai_smorodinsky",
            "max_welfare",
            "max_welfare_point",
            "n_outcomes",
            "nash",
            "opposition",
            "pareto_size"
        ]
    );
    assert_eq!(document["n_outcomes"], 576);
    assert_eq!(
        document["kalai_smorodinsky"]["utilities"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(document["nash"]["outcome"]["Size of Fund"], "$10 billion");

    let directory = tempfile::tempdir().unwrap();
    let broken = directory.path().join("broken.json");
    std::fs::write(
        &broken,
        r#"{"name": "x", "start": "2020-01-01T00:00:00Z", "deadline": 10, "parties": []}"#,
    )
    .unwrap();
    let output = Command::new(&accord)
        .arg("simulate")
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("issues"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = Command::new(&accord)
        .args(["simulate", "/no/such/scenario.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = Command::new(&accord)
        .arg("simulate")
        .arg(scenarios().join("random-3x10.json"))
        .args(["--runs", "2", "--out", "x.jsonl"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Two parties who rank the outcomes alike: each would offer the other its own best outcome.
fn like_minded(deadline: u32) -> Scenario {
    let preferences = Preferences::from_evaluations(vec![1.0], vec![vec![1.0, 0.5, 0.0]], 0.0);
    let party = |id: &str| PartySpec {
        id: Slug::parse(id).unwrap(),
        name: id.to_string(),
        strategy: Bidding::TimeDependent { e: 1.0 },
        preferences: PreferenceSource::Given(preferences.clone()),
        release: ReleasePolicy::None,
    };
    Scenario {
        name: "like-minded".into(),
        start: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
        step_seconds: 60,
        deadline,
        domain: Domain {
            issues: vec![issue("i", 3)],
        },
        parties: vec![party("A"), party("B")],
        others: Vec::new(),
        custody: Vec::new(),
        protocol: Default::default(),
    }
}

// Post-mortem: acceptance needed the standing offer to be worth *more* than one's own next
// offer, so two linear parties offered each other the same outcome until the deadline.
#[test]
fn an_offer_worth_as_much_as_ones_own_next_is_accepted() {
    let summary = simulate(
        &like_minded(50),
        &options(1, 1, 0, None),
        &|_| {},
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(summary.agreement_rate, 1.0);
    let rounds = summary.rounds.unwrap();
    assert_eq!(
        (rounds.min, rounds.max),
        (1, 1),
        "B accepts A's first offer"
    );
    assert_eq!(summary.utilities[0].mean, 1.0);
}

// Post-mortem: GENIUS profiles' discount_factor was read past and dropped.
#[test]
fn a_discount_factor_is_read_and_discounts_the_agreement() {
    let domain = genius::load_domain(&samples().join("CameraB/Camera-B-domain.xml")).unwrap();
    let profile =
        genius::load_profile(&samples().join("CameraB/Camera-B-prof1.xml"), &domain).unwrap();
    assert_eq!(profile.discount, Some(0.5));
    let undiscounted = genius::load_profile(
        &samples().join("EnglandZimbabwe/England.xml"),
        &genius::load_domain(&samples().join("EnglandZimbabwe/EnglandZimbabwe_domain.xml"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(undiscounted.discount, None, "a factor of 1 is no discount");

    let mut discounted = like_minded(50);
    // B concedes nothing, so A ends up accepting B's best outcome late in the talks.
    discounted.parties[1].strategy = Bidding::TimeDependent { e: 0.0 };
    let mut preferences = Preferences::from_evaluations(vec![1.0], vec![vec![0.0, 0.5, 1.0]], 0.0);
    discounted.parties[1].preferences = PreferenceSource::Given(preferences.clone());
    let plain = simulate(
        &discounted,
        &options(1, 1, 0, None),
        &|_| {},
        &mut |_, _| {},
    )
    .unwrap();
    preferences.discount = Some(0.5);
    discounted.parties[1].preferences = PreferenceSource::Given(preferences);
    let summary = simulate(
        &discounted,
        &options(1, 1, 0, None),
        &|_| {},
        &mut |_, _| {},
    )
    .unwrap();
    let round = summary.rounds.as_ref().unwrap().min;
    assert!(round > 1, "an agreement after round 1 is discounted");
    assert_eq!(summary.discount_factors, vec![1.0, 0.5]);
    assert_eq!(
        summary.utilities[0], plain.utilities[0],
        "A has no discount"
    );
    let t = relative_time(round, 50);
    assert_eq!(
        summary.utilities[1].mean,
        plain.utilities[1].mean * 0.5f64.powf(t)
    );
    assert!(summary.utilities[1].mean < plain.utilities[1].mean);

    let bad = std::env::temp_dir().join(format!("accord-discount-{}.xml", std::process::id()));
    let text = std::fs::read_to_string(samples().join("CameraB/Camera-B-prof1.xml")).unwrap();
    std::fs::write(
        &bad,
        text.replace(
            "<discount_factor value=\"0.50\"",
            "<discount_factor value=\"1.5\"",
        ),
    )
    .unwrap();
    let error = genius::load_profile(&bad, &domain).unwrap_err();
    std::fs::remove_file(&bad).unwrap();
    assert!(error.to_string().contains("discount_factor 1.5"), "{error}");
}

#[test]
fn the_frontier_listed_is_the_frontier_counted_by_either_method() {
    use accord::sim::analysis::analyze_with;
    let domain_path = scenarios().join("genius/EnglandZimbabwe/EnglandZimbabwe_domain.xml");
    let domain = genius::load_domain(&domain_path).unwrap();
    let profiles: Vec<_> = ["England.xml", "Zimbabwe.xml"]
        .iter()
        .map(|name| {
            genius::load_profile(
                &scenarios().join("genius/EnglandZimbabwe").join(name),
                &domain,
            )
            .unwrap()
        })
        .collect();
    let enumerated = analyze_with(&domain, &profiles, u128::MAX, true);
    let listed = enumerated.frontier.clone().unwrap();
    assert_eq!(listed.len() as u128, enumerated.pareto_size.unwrap());
    // Every listed outcome is undominated, its utilities are its own (to rounding: they are
    // the exact ones), and the list runs from the first party's best down.
    let all = every_outcome_utilities(&domain, &profiles);
    for point in &listed {
        let own: Vec<f64> = profiles
            .iter()
            .map(|profile| profile.utility(&point.outcome))
            .collect();
        assert!(
            own.iter()
                .zip(&point.utilities)
                .all(|(float, exact)| (float - exact).abs() < 1e-12)
        );
        assert!(!all.iter().any(|other| {
            other.iter().zip(&own).all(|(a, b)| a >= b)
                && other.iter().zip(&own).any(|(a, b)| a > b)
        }));
    }
    assert!(
        listed
            .windows(2)
            .all(|pair| pair[0].utilities[0] >= pair[1].utilities[0])
    );
    // Issue by issue, the same utility vectors (to six decimals).
    let by_issues = analyze_with(&domain, &profiles, 0, true);
    let rounded = |points: &[accord::sim::analysis::Point]| {
        let mut vectors: Vec<Vec<f64>> = points
            .iter()
            .map(|point| point.utilities.iter().map(|u| round6(*u)).collect())
            .collect();
        vectors.dedup();
        vectors
    };
    assert_eq!(rounded(&by_issues.frontier.unwrap()), rounded(&listed));
}

/// A player that offers the worst outcome for itself (below its reservation, which only
/// built-in strategies keep to) and accepts anything after round `accept_from`.
struct Generous {
    accept_from: u32,
    offered_seen: usize,
}

impl accord::sim::run::Player for Generous {
    fn start(&mut self, turn: &accord::sim::run::Turn<'_>) -> Result<(), accord::sim::SimError> {
        assert_eq!(turn.round, 0);
        Ok(())
    }
    fn respond(
        &mut self,
        turn: &accord::sim::run::Turn<'_>,
        _standing: u32,
    ) -> Result<bool, accord::sim::SimError> {
        Ok(turn.round >= self.accept_from)
    }
    fn propose(&mut self, turn: &accord::sim::run::Turn<'_>) -> Result<u32, accord::sim::SimError> {
        let utilities = &turn.ranking.utilities;
        let worst = (0..utilities.len())
            .min_by(|a, b| utilities[*a].total_cmp(&utilities[*b]))
            .unwrap();
        Ok(worst as u32)
    }
    fn offered(
        &mut self,
        _by: usize,
        _outcome: u32,
        _round: u32,
    ) -> Result<(), accord::sim::SimError> {
        self.offered_seen += 1;
        Ok(())
    }
}

/// An out-of-range move is the player's error, not a panic.
struct OffersNothing;

impl accord::sim::run::Player for OffersNothing {
    fn start(&mut self, _: &accord::sim::run::Turn<'_>) -> Result<(), accord::sim::SimError> {
        Ok(())
    }
    fn respond(
        &mut self,
        _: &accord::sim::run::Turn<'_>,
        _: u32,
    ) -> Result<bool, accord::sim::SimError> {
        Ok(false)
    }
    fn propose(&mut self, _: &accord::sim::run::Turn<'_>) -> Result<u32, accord::sim::SimError> {
        Ok(u32::MAX)
    }
    fn offered(&mut self, _: usize, _: u32, _: u32) -> Result<(), accord::sim::SimError> {
        Ok(())
    }
}

#[test]
fn a_player_chooses_a_partys_moves_and_they_land_in_an_ordinary_log() {
    use accord::sim::run::{Player, Workspace, prepare, run, run_with};
    let scenario = scenario::load(&scenarios().join("karabakh-talks.json")).unwrap();
    let shared = prepare(&scenario, &mut run_rng(1, 0));
    let built_in = run(
        &scenario,
        1,
        0,
        Some(&shared),
        true,
        &mut Workspace::default(),
    )
    .unwrap();
    // No player: the same run as `run`.
    let mut none: Vec<Option<Box<dyn Player>>> = vec![None, None];
    let same = run_with(
        &scenario,
        1,
        0,
        Some(&shared),
        true,
        &mut Workspace::default(),
        &mut none,
    )
    .unwrap();
    assert_eq!(same, built_in);
    // The first party gives in: it offers its worst outcome and takes any offer, so the talks
    // end sooner than the built-in Boulware's.
    let mut players: Vec<Option<Box<dyn Player>>> = vec![Some(Box::new(Generous {
        accept_from: 1,
        offered_seen: 0,
    }))];
    let given_in = run_with(
        &scenario,
        1,
        0,
        Some(&shared),
        true,
        &mut Workspace::default(),
        &mut players,
    )
    .unwrap();
    assert!(given_in.agreed);
    assert!(
        given_in.rounds < built_in.rounds,
        "{} {}",
        given_in.rounds,
        built_in.rounds
    );
    assert_ne!(given_in, built_in);
    let (log, folded) = accord::fold::verify_log(given_in.log.as_ref().unwrap()).unwrap();
    assert!(!log.events.is_empty());
    assert_eq!(folded.state.agreements.len(), 1);
    // A move outside the outcome space is refused with the party named.
    let mut players: Vec<Option<Box<dyn Player>>> = vec![Some(Box::new(OffersNothing))];
    let refused = run_with(
        &scenario,
        1,
        0,
        Some(&shared),
        true,
        &mut Workspace::default(),
        &mut players,
    )
    .unwrap_err();
    assert!(
        matches!(&refused, SimError::Party(detail) if detail.contains("party 1 offered outcome")),
        "{refused}"
    );
}

#[test]
fn no_utility_leaves_zero_to_one_in_any_shipped_domain() {
    // Post-mortem: `simulate --json` reported a utility `max` of 1.0000000000000002 (Party's
    // party7 and party9, whose weights sum to 1 on paper and to 1.0000000000000002 in
    // doubles); party5's weights sum to 1.000158 on paper.
    let mut checked = 0;
    let mut check = |name: String, preferences: &Preferences| {
        let (mut sums, mut prefixes, mut parts) = (Vec::new(), Vec::new(), Vec::new());
        preferences.all_utilities_into(&mut sums, &mut prefixes, &mut parts);
        for utility in sums
            .iter()
            .chain([preferences.best_utility(), preferences.worst_utility()].iter())
        {
            assert!((0.0..=1.0).contains(utility), "{name}: {utility}");
        }
        checked += 1;
    };
    for entry in std::fs::read_dir(scenarios().join("genius")).unwrap() {
        let directory = entry.unwrap().path();
        if !directory.is_dir() {
            continue;
        }
        let files: Vec<PathBuf> = std::fs::read_dir(&directory)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "xml"))
            .collect();
        let domain_file = files
            .iter()
            .find(|path| path.to_string_lossy().contains("domain"))
            .unwrap();
        let domain = genius::load_domain(domain_file).unwrap();
        for profile in files.iter().filter(|path| *path != domain_file) {
            let preferences = genius::load_profile(profile, &domain).unwrap();
            check(profile.display().to_string(), &preferences);
        }
    }
    for entry in std::fs::read_dir(scenarios()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_some_and(|extension| extension == "json")
        {
            let loaded = scenario::load(&path).unwrap();
            for seed in 0..4 {
                for (party, preferences) in loaded
                    .parties
                    .iter()
                    .zip(loaded.preferences(&mut run_rng(seed, 0)))
                {
                    check(format!("{} {}", path.display(), party.id), &preferences);
                }
            }
        }
    }
    assert!(checked > 30, "{checked}");
    // And a batch's summary, where the defect was seen.
    let party = scenarios().join("genius/Party");
    let loaded = scenario::from_genius(
        &party.join("party_domain.xml"),
        &[
            party.join("party7_utility.xml"),
            party.join("party9_utility.xml"),
        ],
        &["boulware".to_string()],
        100,
    )
    .unwrap();
    let summary = simulate(&loaded, &options(50, 2, 0, None), &|_| {}, &mut |_, _| {}).unwrap();
    for spread in &summary.utilities {
        assert!(spread.max <= 1.0 && spread.min >= 0.0, "{spread:?}");
    }
}
