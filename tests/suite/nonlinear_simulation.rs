//! Simulations of nonlinear (ANAC 2014) spaces: runs offer from a seeded pool of outcomes
//! (`rectangles::offer_pool`), every move through the reducer into a log that verifies,
//! the same bytes at any thread count; tournaments over nonlinear domains; what is refused.

use std::path::PathBuf;

use accord::sim::analysis::rectangles::{POOL_LEVELS, offer_pool};
use accord::sim::batch::{BatchOptions, simulate_with_players};
use accord::sim::domains::scenario::{PreferenceSource, from_genius_directory};
use accord::sim::run::{prepare, run_rng};
use serde_json::Value;

use crate::binary::{accord, path_text, root, stderr, stdout};

fn shared(name: &str) -> PathBuf {
    root().join("events/scenarios/nonlinear").join(name)
}

fn genius_arguments(name: &str) -> Vec<String> {
    let directory = shared(name);
    [
        format!("{name}-domain.xml"),
        "profile-1.xml".into(),
        "profile-2.xml".into(),
    ]
    .iter()
    .map(|file| path_text(&directory.join(file)).to_string())
    .collect()
}

#[test]
fn a_nonlinear_batch_writes_logs_that_verify_with_the_agreements_utilities() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("runs");
    let files = genius_arguments("7issues");
    let mut arguments = vec![
        "simulate",
        "--runs",
        "4",
        "--seed",
        "5",
        "--json",
        "--strategies",
        "boulware,conceder",
        "--out-dir",
        path_text(&out),
        "--genius",
    ];
    arguments.extend(files.iter().map(String::as_str));
    let output = accord(&arguments);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["agreement_rate"], 1.0, "{summary}");
    let mut logs: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    logs.sort();
    assert_eq!(logs.len(), 4);
    for log in &logs {
        let output = accord(&["verify", path_text(log)]);
        assert!(output.status.success(), "{}", stderr(&output));
        let state = accord(&["state", path_text(log), "--json"]);
        let state: Value = serde_json::from_str(&stdout(&state)).unwrap();
        assert_eq!(state["agreements"].as_object().unwrap().len(), 1, "{state}");
    }
    // The runs are alike (the strategies draw nothing), and each party's utility, as the
    // summary reports it, is its profile's utility of the agreement the logs signed.
    let scenario = from_genius_directory(
        &shared("7issues"),
        &["boulware".into(), "conceder".into()],
        100,
    )
    .unwrap();
    let state = accord(&["state", path_text(&logs[0]), "--json"]);
    let state: Value = serde_json::from_str(&stdout(&state)).unwrap();
    let provisions = &state["agreements"]["agreement"]["provisions"];
    let outcome: Vec<usize> = scenario
        .domain
        .issues
        .iter()
        .map(|issue| {
            let text = provisions[issue.id.as_str()]["text"].as_str().unwrap();
            let (_, option) = text.split_once(": ").unwrap();
            issue
                .options
                .iter()
                .position(|known| known.as_ref() == option)
                .unwrap()
        })
        .collect();
    for (party, spec) in scenario.parties.iter().enumerate() {
        let PreferenceSource::Given(prefs) = &spec.preferences else {
            panic!("given preferences")
        };
        assert_eq!(
            summary["utilities"][party]["mean"].as_f64().unwrap(),
            prefs.utility(&outcome),
            "{party}"
        );
    }
    let prepared = prepare(&scenario, &mut run_rng(5, 0));
    let pool = prepared
        .pool
        .as_ref()
        .expect("nonlinear runs offer from a pool");
    assert!(pool.len() <= 2 * (POOL_LEVELS + 1));
    assert!(pool.contains(&outcome));
}

#[test]
fn nonlinear_batches_and_tournaments_give_the_same_bytes_at_any_thread_count() {
    let files = genius_arguments("5issues");
    let run = |threads: &str| {
        let mut arguments = vec![
            "simulate",
            "--runs",
            "40",
            "--seed",
            "9",
            "--json",
            "--threads",
            threads,
            "--genius",
        ];
        arguments.extend(files.iter().map(String::as_str));
        let output = accord(&arguments);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    assert_eq!(run("1"), run("2"));
    let tournament = |threads: &str| {
        let output = accord(&[
            "tournament",
            path_text(&shared("5issues")),
            path_text(&shared("7issues")),
            "--strategies",
            "boulware,conceder,tit_for_tat",
            "--runs",
            "3",
            "--seed",
            "2",
            "--json",
            "--threads",
            threads,
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let one = tournament("1");
    assert_eq!(one, tournament("2"));
    let ranking: Value = serde_json::from_str(&one).unwrap();
    assert!(ranking.to_string().contains("boulware"), "{ranking}");
}

#[test]
fn the_offer_pool_holds_each_partys_best_once_and_depends_only_on_its_seed() {
    let scenario = from_genius_directory(&shared("5issues"), &["boulware".into()], 50).unwrap();
    let preferences: Vec<_> = scenario
        .parties
        .iter()
        .map(|party| match &party.preferences {
            PreferenceSource::Given(given) => given.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let draw = |seed: u64| offer_pool(&scenario.domain, &preferences, &mut run_rng(seed, 0));
    let pool = draw(1);
    assert_eq!(pool, draw(1));
    let mut unique = pool.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), pool.len(), "each outcome once");
    // Each party's exact best (from the analysis's frontier ends) is in the pool.
    let analysis = accord::sim::analysis::analyze_listing_frontier(&scenario.domain, &preferences);
    let frontier = analysis.frontier.unwrap();
    for (party, prefs) in preferences.iter().enumerate() {
        let best = frontier
            .iter()
            .map(|point| point.utilities[party])
            .fold(f64::MIN, f64::max);
        assert!(
            pool.iter().any(|outcome| prefs.utility(outcome) == best),
            "party {party}'s best {best}"
        );
    }
    // The levels are met closely: a party's pool spans its range in steps of about 1%.
    let utilities: Vec<f64> = {
        let mut utilities: Vec<f64> = pool
            .iter()
            .map(|outcome| preferences[0].utility(outcome))
            .collect();
        utilities.sort_by(f64::total_cmp);
        utilities
    };
    let widest_gap = utilities
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .fold(0.0, f64::max);
    assert!(widest_gap < 0.1, "{widest_gap}");
}

#[test]
fn python_players_and_mixed_preferences_are_refused_on_nonlinear_spaces() {
    let scenario = from_genius_directory(&shared("5issues"), &["boulware".into()], 50).unwrap();
    let options = BatchOptions {
        seed: 1,
        runs: 1,
        threads: 1,
        out_dir: None,
        keep_logs: false,
        overwrite: false,
    };
    let error = simulate_with_players(&scenario, &options, &mut |_| Ok(Vec::new()), &mut |_, _| {})
        .unwrap_err();
    assert!(
        error.to_string().contains("built-in strategies only"),
        "{error}"
    );
    // One linear party among nonlinear ones.
    let mut mixed = scenario.clone();
    mixed.parties[1].preferences = PreferenceSource::Random { reservation: 0.0 };
    let error = mixed.check_simulable().unwrap_err();
    assert!(error.to_string().contains("one kind"), "{error}");
}

#[test]
fn a_genius_directory_skips_the_pareto_file_shipped_beside_the_domain() {
    let directory = tempfile::tempdir().unwrap();
    for name in ["5issues-domain.xml", "profile-1.xml", "profile-2.xml"] {
        std::fs::copy(shared("5issues").join(name), directory.path().join(name)).unwrap();
    }
    std::fs::write(
        directory.path().join("pareto.xml"),
        "\n1.0, 0.074666667\n0.5825826, 1.0\n",
    )
    .unwrap();
    let scenario = from_genius_directory(directory.path(), &["boulware".into()], 50).unwrap();
    assert_eq!(scenario.parties.len(), 2);
}
