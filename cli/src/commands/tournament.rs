//! `accord tournament`: every assignment of strategies to roles, played and ranked.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use accord::front::scenarios::{ScenarioFiles, load_scenario};
use accord::sim::scenario::Scenario;
use accord::views::text::{counted, printable};

use crate::arguments::seed_value;
use crate::commands::simulate::{optional_number, progress_bar};
use crate::context::{Context, Failure};
use crate::output::{Destination, print};

#[derive(clap::Args)]
pub struct Args {
    /// Domains: a GENIUS directory (one file with `domain` in its name, the other .xml
    /// files its profiles, one party each) or a scenario file.
    #[arg(required = true)]
    pub domains: Vec<PathBuf>,
    /// The strategies: boulware, linear, conceder, hardliner, e=VALUE, tit_for_tat, a
    /// baseline agent (agentk, hardheaded, cuhkagent, thefawkes, agentm, atlas3, caduceus,
    /// ponpokoagent, agreeableagent2018, agentgg, nice_tit_for_tat), or
    /// boa:BIDDING:MODEL:ACCEPTANCE (docs/agents.md).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...", required = true)]
    pub strategies: Vec<String>,
    /// Seeded runs of each assignment.
    #[arg(long, default_value_t = 10)]
    pub runs: u64,
    /// The seed: the same seed gives the same ranking, byte for byte.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = seed_value)]
    pub seed: u64,
    /// The deadline in rounds of GENIUS domains (100 by default); scenarios keep theirs.
    #[arg(long, value_name = "ROUNDS")]
    pub deadline: Option<u32>,
    /// Also write the ranking as CSV to this file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Replace the --csv file if it exists.
    #[arg(long)]
    pub force: bool,
    /// The result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

pub fn run(args: Args, _context: &Context) -> Result<(), Failure> {
    let threads = crate::commands::simulate::runs_and_threads(args.runs, args.threads)?;
    let scenarios = args
        .domains
        .iter()
        .map(|path| load_scenario(ScenarioFiles::of_path(path), None, args.deadline))
        .collect::<Result<Vec<_>, _>>()?;
    let options = accord::sim::tournament::TournamentOptions {
        strategies: args.strategies,
        runs: args.runs,
        seed: args.seed,
        threads,
    };
    tournament(
        &scenarios,
        &options,
        args.json,
        args.csv.as_deref(),
        args.force,
    )
}

/// `accord tournament`: plays it, prints the ranking (or its JSON), writes the CSV.
pub fn tournament(
    scenarios: &[Scenario],
    options: &accord::sim::tournament::TournamentOptions,
    json: bool,
    csv: Option<&Path>,
    force: bool,
) -> Result<(), Failure> {
    let total = accord::sim::tournament::planned_runs(scenarios, options).map_err(Failure::from)?;
    // The CSV file's place is checked before the tournament runs, so that one that exists
    // is refused before any work.
    let csv_file = match csv {
        Some(path) => Some(Destination::check(path, force)?),
        None => None,
    };
    let bar = progress_bar(total);
    let progress = |done: u64| {
        if let Some(bar) = &bar {
            bar.set_position(done);
        }
    };
    let played = accord::sim::tournament::play(scenarios, options, &progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let played = played.map_err(Failure::from)?;
    if let Some(destination) = csv_file {
        destination.write(ranking_csv(&played).as_bytes())?;
    }
    if json {
        return print(&format!(
            "{}\n",
            serde_json::to_string(&played).expect("a tournament serialises")
        ));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Tournament of {} on {}: {} of {} each ({}), seed {}",
        counted(played.strategies.len() as u64, "strategy", "strategies"),
        counted(played.domains.len() as u64, "domain", "domains"),
        counted(played.assignments, "assignment", "assignments"),
        counted(played.runs_per_assignment, "run", "runs"),
        counted(played.total_runs, "run in all", "runs in all"),
        played.seed
    );
    let _ = writeln!(
        out,
        "  rank  strategy        utility    (sd)       95% CI                  agreed   welfare    to Pareto  to Nash    rounds"
    );
    let shown = |value: Option<f64>| value.map_or("-".to_string(), |value| format!("{value:.6}"));
    for (rank, row) in played.ranking.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<4}  {:<14}  {:.6}  ({:.6})  {:<22}  {:.4}   {:.6}   {:<9}  {:<9}  {}",
            rank + 1,
            printable(&row.strategy),
            row.utility_mean,
            row.utility_sd,
            interval(row.utility_ci95),
            row.agreement_rate,
            row.welfare_mean,
            shown(row.pareto_distance_mean),
            shown(row.nash_distance_mean),
            row.rounds_mean
                .map_or("-".to_string(), |rounds| format!("{rounds:.2}"))
        );
    }
    if !played.pairwise.is_empty() {
        let _ = writeln!(
            out,
            "  differences of mean utility (Welch's t-test, Holm-adjusted over {}, 5%):",
            counted(played.pairwise.len() as u64, "pair", "pairs")
        );
        for test in &played.pairwise {
            let _ = writeln!(
                out,
                "    {:<14}  - {:<14}  {:+.6}  p {:<8}  Holm {:<8}  {}",
                printable(&test.first),
                printable(&test.second),
                test.difference,
                probability(test.p),
                probability(test.p_holm),
                if test.significant {
                    "significant"
                } else if test.p.is_none() {
                    "no test (under two runs)"
                } else {
                    "not significant"
                }
            );
        }
    }
    if played.per_domain.len() > 1 {
        let _ = writeln!(out, "  per domain (utility, 95% CI, agreed):");
        for domain in &played.per_domain {
            let _ = writeln!(out, "    {}", printable(&domain.domain));
            for (rank, row) in domain.ranking.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "      {:<4}  {:<14}  {:.6}  {:<22}  {:.4}",
                    rank + 1,
                    printable(&row.strategy),
                    row.utility_mean,
                    interval(row.utility_ci95),
                    row.agreement_rate
                );
            }
        }
    }
    print(&out)
}

/// A 95% interval for people: `[low, high]`, or `-` without one.
fn interval(bounds: Option<[f64; 2]>) -> String {
    bounds.map_or("-".to_string(), |[low, high]| {
        format!("[{low:.6}, {high:.6}]")
    })
}

/// A p-value for people: six decimals, `<0.000001` below them, `-` without a test.
fn probability(p: Option<f64>) -> String {
    match p {
        None => "-".to_string(),
        Some(p) if p > 0.0 && p < 0.000_000_5 => "<0.000001".to_string(),
        Some(p) => format!("{p:.6}"),
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The ranking as CSV: a row per strategy over every domain (`domain` empty), then a row
/// per domain and strategy. The columns of earlier versions come first, in their order.
/// `significantly_above` names, separated by `;`, the strategies whose mean utility this
/// one's is above by a significant difference (Welch, Holm-adjusted, 5%), over every domain.
fn ranking_csv(played: &accord::sim::tournament::Tournament) -> String {
    let mut text = String::from(
        "rank,strategy,runs,utility_mean,utility_sd,agreement_rate,welfare_mean,pareto_distance_mean,nash_distance_mean,kalai_smorodinsky_distance_mean,max_welfare_distance_mean,rounds_mean,utility_ci95_low,utility_ci95_high,significantly_above,domain\n",
    );
    let overall = played.ranking.iter().map(|row| (None, row));
    let each_domain = played.per_domain.iter().flat_map(|domain| {
        domain
            .ranking
            .iter()
            .map(move |row| (Some(domain.domain.as_str()), row))
    });
    let mut rank = 0;
    let mut last_domain: Option<Option<&str>> = None;
    for (domain, row) in overall.chain(each_domain) {
        if last_domain != Some(domain) {
            rank = 0;
            last_domain = Some(domain);
        }
        rank += 1;
        let above: Vec<&str> = match domain {
            None => played
                .pairwise
                .iter()
                .filter(|test| test.significant && test.first == row.strategy)
                .map(|test| test.second.as_str())
                .collect(),
            Some(_) => Vec::new(),
        };
        let bound = |index: usize| optional_number(row.utility_ci95.map(|bounds| bounds[index]));
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            rank,
            csv_field(&row.strategy),
            row.runs,
            row.utility_mean,
            row.utility_sd,
            row.agreement_rate,
            row.welfare_mean,
            optional_number(row.pareto_distance_mean),
            optional_number(row.nash_distance_mean),
            optional_number(row.kalai_smorodinsky_distance_mean),
            optional_number(row.max_welfare_distance_mean),
            optional_number(row.rounds_mean),
            bound(0),
            bound(1),
            csv_field(&above.join(";")),
            csv_field(domain.unwrap_or(""))
        );
    }
    text
}
