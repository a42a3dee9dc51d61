//! MOPAC, GeniusWeb's protocol of multiple offers and partial consensus
//! (`protocol::run::play_mopac`): three parties of the shipped Karabakh scenario where two
//! settle and the third holds out; an agreement of every party; what is refused.

use std::path::PathBuf;

use accord::sim::SimError;
use accord::sim::batch::{BatchOptions, simulate_with_players};
use accord::sim::run::{Player, PlayerList, Turn};
use accord::sim::scenario::{Protocol, load};
use serde_json::Value;

use crate::binary::{accord, path_text, root, stderr, stdout};

fn mopac() -> PathBuf {
    root().join("events/scenarios/karabakh-mopac.json")
}

#[test]
fn two_parties_settle_and_the_third_is_bound_by_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("mopac.jsonl");
    let output = accord(&[
        "simulate",
        path_text(&mopac()),
        "--seed",
        "1",
        "--json",
        "--out",
        path_text(&log),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["agreement_rate"], 1.0);
    assert_eq!(summary["parties"], serde_json::json!(["ARM", "AZE", "RUS"]));
    assert_eq!(
        summary["utilities"][0]["mean"], 0.0,
        "Armenia is bound by nothing"
    );
    assert!(summary["utilities"][1]["mean"].as_f64().unwrap() > 0.3);
    assert!(summary["utilities"][2]["mean"].as_f64().unwrap() > 0.2);
    // A partial agreement is not a point of the whole space: no distances.
    assert!(summary["pareto_distance"].is_null());
    let verified = accord(&["verify", path_text(&log)]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    let state = accord(&["state", path_text(&log), "--json"]);
    let state: Value = serde_json::from_str(&stdout(&state)).unwrap();
    let agreements = state["agreements"].as_object().unwrap();
    assert_eq!(agreements.len(), 1);
    let agreement = &agreements["agreement-1"];
    assert_eq!(agreement["signatories"], serde_json::json!(["AZE", "RUS"]));
    // It names a proposal narrowed to the two, superseding one made to all three.
    let proposals = state["proposals"].as_object().unwrap();
    let signed = &proposals[agreement["proposal"].as_str().unwrap()];
    assert_eq!(signed["status"], "accepted");
    assert_eq!(signed["to"].as_array().unwrap().len(), 1);
    let superseded = &proposals[signed["supersedes"].as_str().unwrap()];
    assert_eq!(superseded["to"].as_array().unwrap().len(), 2);
    // No proposal stays open.
    assert!(
        proposals
            .values()
            .all(|proposal| proposal["status"] != "open")
    );
    // The provisions obligate the two signatories only.
    for provision in agreement["provisions"].as_object().unwrap().values() {
        assert_eq!(provision["obligated"], serde_json::json!(["AZE", "RUS"]));
    }
}

#[test]
fn mopac_batches_give_the_same_bytes_at_any_thread_count_and_can_bind_everyone() {
    let run = |threads: &str| {
        let output = accord(&[
            "simulate",
            path_text(&mopac()),
            "--runs",
            "40",
            "--seed",
            "3",
            "--json",
            "--threads",
            threads,
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    assert_eq!(run("1"), run("2"));
    // Two parties: an agreement binds both, and is measured as SAOP's are.
    let directory = tempfile::tempdir().unwrap();
    let two = directory.path().join("england-zimbabwe-mopac.json");
    let genius = root().join("events/scenarios/genius/EnglandZimbabwe");
    let text = std::fs::read_to_string(root().join("events/scenarios/england-zimbabwe.json"))
        .unwrap()
        .replace(
            "\"genius/",
            &format!("\"{}/", genius.parent().unwrap().display()),
        )
        .replace(
            "\"deadline\": 100,",
            "\"deadline\": 100,\n  \"protocol\": \"mopac\",",
        );
    std::fs::write(&two, text).unwrap();
    let output = accord(&["simulate", path_text(&two), "--seed", "1", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["agreement_rate"], 1.0, "{summary}");
    assert!(summary["pareto_distance"].is_number(), "{summary}");
    assert!(summary["nash_distance"].is_number(), "{summary}");
}

#[test]
fn what_mopac_does_not_play_is_refused() {
    let scenario = load(&mopac()).unwrap();
    assert_eq!(scenario.protocol, Protocol::Mopac);
    let options = BatchOptions {
        seed: 1,
        runs: 1,
        threads: 1,
        out_dir: None,
        keep_logs: false,
        overwrite: false,
    };
    let mut make_players = |_| -> Result<PlayerList<'static>, _> {
        Ok(vec![
            Some(Box::new(Stubborn) as Box<dyn Player>),
            None,
            None,
        ])
    };
    let error =
        simulate_with_players(&scenario, &options, &mut make_players, &mut |_, _| {}).unwrap_err();
    assert!(
        error.to_string().contains("built-in strategies only"),
        "{error}"
    );
    let directory = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(mopac()).unwrap();
    for (name, changed, expected) in [
        (
            "custody.json",
            text.replace(
                "\"mediators\"",
                "\"custody\": [{\"holder\": \"AZE\", \"of\": \"ARM\", \"category\": \"combatant\", \"count\": 2}],\n  \"mediators\"",
            ),
            "saop only",
        ),
        (
            "unknown.json",
            text.replace("\"mopac\"", "\"auction\""),
            "saop or mopac",
        ),
    ] {
        let path = directory.path().join(name);
        std::fs::write(&path, changed).unwrap();
        let error = load(&path).unwrap_err();
        assert!(error.to_string().contains(expected), "{name}: {error}");
    }
}

/// A player that offers the first outcome and accepts nothing.
struct Stubborn;

impl Player for Stubborn {
    fn start(&mut self, _turn: &Turn<'_>) -> Result<(), SimError> {
        Ok(())
    }
    fn respond(&mut self, _turn: &Turn<'_>, _standing: u32) -> Result<bool, SimError> {
        Ok(false)
    }
    fn propose(&mut self, _turn: &Turn<'_>) -> Result<u32, SimError> {
        Ok(0)
    }
    fn offered(&mut self, _by: usize, _outcome: u32, _round: u32) -> Result<(), SimError> {
        Ok(())
    }
}
