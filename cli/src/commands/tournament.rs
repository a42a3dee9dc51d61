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
    /// The strategies: boulware, linear, conceder, hardliner, e=VALUE, tit_for_tat.
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
        let mut text = String::from(
            "rank,strategy,runs,utility_mean,utility_sd,agreement_rate,welfare_mean,pareto_distance_mean,nash_distance_mean,kalai_smorodinsky_distance_mean,max_welfare_distance_mean,rounds_mean\n",
        );
        for (rank, row) in played.ranking.iter().enumerate() {
            let _ = writeln!(
                text,
                "{},{},{},{},{},{},{},{},{},{},{},{}",
                rank + 1,
                row.strategy,
                row.runs,
                row.utility_mean,
                row.utility_sd,
                row.agreement_rate,
                row.welfare_mean,
                optional_number(row.pareto_distance_mean),
                optional_number(row.nash_distance_mean),
                optional_number(row.kalai_smorodinsky_distance_mean),
                optional_number(row.max_welfare_distance_mean),
                optional_number(row.rounds_mean)
            );
        }
        destination.write(text.as_bytes())?;
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
        "  rank  strategy        utility    (sd)       agreed   welfare    to Pareto  to Nash    rounds"
    );
    let shown = |value: Option<f64>| value.map_or("-".to_string(), |value| format!("{value:.6}"));
    for (rank, row) in played.ranking.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<4}  {:<14}  {:.6}  ({:.6})  {:.4}   {:.6}   {:<9}  {:<9}  {}",
            rank + 1,
            printable(&row.strategy),
            row.utility_mean,
            row.utility_sd,
            row.agreement_rate,
            row.welfare_mean,
            shown(row.pareto_distance_mean),
            shown(row.nash_distance_mean),
            row.rounds_mean
                .map_or("-".to_string(), |rounds| format!("{rounds:.2}"))
        );
    }
    print(&out)
}
