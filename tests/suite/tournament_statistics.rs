//! A tournament's statistics (`sim::batches::statistics`): each strategy's 95% interval,
//! Welch's tests between every two strategies with Holm's correction, and each domain's
//! ranking, consistent with one another and with the overall ranking, in JSON and in CSV.

use accord::front::scenarios::{ScenarioFiles, load_scenario};
use accord::sim::tournament::{TournamentOptions, play};
use serde_json::Value;

use crate::binary::{accord, path_text, root, stderr, stdout};

fn domains() -> Vec<std::path::PathBuf> {
    vec![
        root().join("events/scenarios/genius/EnglandZimbabwe"),
        root().join("events/scenarios/nonlinear/5issues"),
    ]
}

#[test]
fn intervals_tests_and_domains_agree_with_the_ranking() {
    let scenarios: Vec<_> = domains()
        .iter()
        .map(|path| load_scenario(ScenarioFiles::of_path(path), None, Some(60)).unwrap())
        .collect();
    let strategies: Vec<String> = ["boulware", "conceder", "hardliner", "tit_for_tat"]
        .map(String::from)
        .to_vec();
    let options = TournamentOptions {
        strategies: strategies.clone(),
        runs: 4,
        seed: 11,
        threads: 2,
    };
    let played = play(&scenarios, &options, &|_| {}).unwrap();
    for row in &played.ranking {
        let [low, high] = row.utility_ci95.unwrap();
        assert!(
            low <= row.utility_mean && row.utility_mean <= high,
            "{row:?}"
        );
        let half = (high - low) / 2.0;
        // t(0.975, n - 1) lies between the normal's 1.96 and 2.1 for these sample sizes.
        let standard_error = row.utility_sd / (row.runs as f64).sqrt();
        assert!(
            half >= 1.96 * standard_error && half <= 2.1 * standard_error,
            "{row:?}"
        );
    }
    // Every pair once, in ranking order, Holm's values at least the raw ones.
    assert_eq!(
        played.pairwise.len(),
        strategies.len() * (strategies.len() - 1) / 2
    );
    let position = |name: &str| {
        played
            .ranking
            .iter()
            .position(|row| row.strategy == name)
            .unwrap()
    };
    for test in &played.pairwise {
        assert!(position(&test.first) < position(&test.second));
        let means = (
            played.ranking[position(&test.first)].utility_mean,
            played.ranking[position(&test.second)].utility_mean,
        );
        assert_eq!(test.difference, means.0 - means.1);
        let (p, holm) = (test.p.unwrap(), test.p_holm.unwrap());
        assert!(
            (0.0..=1.0).contains(&p) && holm >= p && holm <= 1.0,
            "{test:?}"
        );
        assert_eq!(test.significant, holm < 0.05);
    }
    assert!(played.pairwise.iter().any(|test| test.significant));
    // Each domain's runs add up to the whole, and so do its means, weighted by runs.
    assert_eq!(played.per_domain.len(), 2);
    assert_eq!(played.per_domain[1].domain, "5issues");
    for row in &played.ranking {
        let rows: Vec<_> = played
            .per_domain
            .iter()
            .map(|domain| {
                domain
                    .ranking
                    .iter()
                    .find(|other| other.strategy == row.strategy)
                    .unwrap()
            })
            .collect();
        assert_eq!(rows.iter().map(|other| other.runs).sum::<u64>(), row.runs);
        let weighted: f64 = rows
            .iter()
            .map(|other| other.utility_mean * other.runs as f64)
            .sum::<f64>()
            / row.runs as f64;
        assert!((weighted - row.utility_mean).abs() < 1e-12, "{row:?}");
    }
}

#[test]
fn the_csv_and_the_json_carry_the_same_statistics() {
    let directory = tempfile::tempdir().unwrap();
    let csv = directory.path().join("ranking.csv");
    let domains = domains();
    let output = accord(&[
        "tournament",
        path_text(&domains[0]),
        path_text(&domains[1]),
        "--strategies",
        "boulware,hardliner,linear",
        "--runs",
        "3",
        "--deadline",
        "60",
        "--json",
        "--csv",
        path_text(&csv),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let played: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        &header[..3],
        ["rank", "strategy", "runs"],
        "the earlier columns come first"
    );
    let column = |name: &str| header.iter().position(|known| *known == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|line| line.split(',').collect()).collect();
    // Three strategies over both domains, then three per domain.
    assert_eq!(rows.len(), 3 + 2 * 3);
    for (index, row) in rows.iter().take(3).enumerate() {
        let json = &played["ranking"][index];
        assert_eq!(row[column("strategy")], json["strategy"].as_str().unwrap());
        assert_eq!(row[column("domain")], "");
        let low: f64 = row[column("utility_ci95_low")].parse().unwrap();
        assert_eq!(low, json["utility_ci95"][0].as_f64().unwrap());
        let above: Vec<&str> = played["pairwise"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|test| test["significant"] == true && test["first"] == json["strategy"])
            .map(|test| test["second"].as_str().unwrap())
            .collect();
        assert_eq!(row[column("significantly_above")], above.join(";"));
    }
    assert!(
        rows[3..6]
            .iter()
            .all(|row| row[column("domain")] == "EnglandZimbabwe")
    );
    assert!(
        rows[6..]
            .iter()
            .all(|row| row[column("domain")] == "5issues")
    );
}
