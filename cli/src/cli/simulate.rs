//! `accord simulate` and `accord analyze`.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use accord::sim::analysis::analyze as analyze_space;
use accord::sim::batch::{BatchOptions, Summary, simulate as run_batch};
use accord::sim::run::run_rng;
use accord::sim::scenario::Scenario;
use accord::views::text::{counted, grouped, printable};

use super::{Failure, print, say};

/// Batches that take longer than this many runs get a progress bar on a terminal.
const PROGRESS_FROM_RUNS: u64 = 2_000;

/// Where a simulation writes its logs.
pub struct Outputs<'a> {
    /// The log of the one run.
    pub out: Option<&'a Path>,
    /// Every run's log, as `run-NNNNNN.jsonl`.
    pub out_dir: Option<PathBuf>,
    /// One row per run: CSV or JSON Lines, by the file's extension.
    pub per_run: Option<&'a Path>,
    /// Replace those files if they exist.
    pub force: bool,
}

/// How `--per-run` writes its rows.
#[derive(Clone, Copy, PartialEq)]
enum PerRunFormat {
    Csv,
    JsonLines,
}

/// The rows of `--per-run`, written in run order as the batch reports each run.
struct PerRunRows {
    format: PerRunFormat,
    path: PathBuf,
    /// Put in place when the batch is done, or removed with nothing left.
    writer: accord::files::output::OutputFile,
    seed: u64,
    parties: Vec<String>,
    /// The first write that failed: the rest are skipped, and it is reported once the
    /// batch is over.
    failed: Option<std::io::Error>,
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

fn optional_number(value: Option<f64>) -> String {
    value.map_or(String::new(), |value| value.to_string())
}

impl PerRunRows {
    /// Creates the file (refusing one that exists unless `force`) and writes the CSV
    /// header: `run,seed,agreement,round`, one column per issue (the agreed option), one
    /// `utility_PARTY` per party, `pareto_distance,nash_distance,kalai_smorodinsky_distance,
    /// max_welfare_distance,released`.
    fn create(
        path: &Path,
        scenario: &Scenario,
        seed: u64,
        force: bool,
    ) -> Result<PerRunRows, Failure> {
        // What stands there is looked at first: a device or a FIFO is refused as such.
        let target =
            accord::files::output::OutputPath::check(path, force).map_err(super::output_failure)?;
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase);
        let format = match extension.as_deref() {
            Some("csv") => PerRunFormat::Csv,
            Some("jsonl") => PerRunFormat::JsonLines,
            _ => {
                return Err(Failure::Usage(format!(
                    "--per-run {}: the file must end in .csv or .jsonl",
                    path.display()
                )));
            }
        };
        let file =
            accord::files::output::OutputFile::create(target).map_err(super::output_failure)?;
        let parties: Vec<String> = scenario
            .parties
            .iter()
            .map(|party| party.id.to_string())
            .collect();
        let mut rows = PerRunRows {
            format,
            path: path.to_path_buf(),
            writer: file,
            seed,
            parties,
            failed: None,
        };
        if format == PerRunFormat::Csv {
            let mut header = String::from("run,seed,agreement,round");
            for issue in &scenario.domain.issues {
                let _ = write!(header, ",{}", csv_field(issue.id.as_str()));
            }
            for party in &rows.parties {
                let _ = write!(header, ",{}", csv_field(&format!("utility_{party}")));
            }
            header.push_str(
                ",pareto_distance,nash_distance,kalai_smorodinsky_distance,max_welfare_distance,released\n",
            );
            rows.write(header.as_bytes());
        }
        Ok(rows)
    }

    fn write(&mut self, bytes: &[u8]) {
        use std::io::Write as _;
        if self.failed.is_none()
            && let Err(error) = self.writer.write_all(bytes)
        {
            self.failed = Some(error);
        }
    }

    /// The row of run `index` (numbered from 1 in the file, as the run logs are).
    fn add(&mut self, scenario: &Scenario, index: u64, result: &accord::sim::run::RunResult) {
        let issues = &scenario.domain.issues;
        let option = |position: usize, chosen: usize| {
            accord::sim::batch::option_text(scenario, position, chosen)
        };
        let mut row = String::new();
        match self.format {
            PerRunFormat::Csv => {
                let _ = write!(
                    row,
                    "{},{},{},{}",
                    index + 1,
                    self.seed,
                    result.agreed,
                    result.rounds
                );
                for position in 0..issues.len() {
                    let text = result
                        .outcome
                        .as_ref()
                        .and_then(|outcome| outcome.get(position))
                        .map_or("", |chosen| option(position, *chosen));
                    let _ = write!(row, ",{}", csv_field(text));
                }
                for utility in &result.utilities {
                    let _ = write!(row, ",{utility}");
                }
                let distances = &result.distances;
                let _ = writeln!(
                    row,
                    ",{},{},{},{},{}",
                    optional_number(distances.pareto),
                    optional_number(distances.nash),
                    optional_number(distances.kalai_smorodinsky),
                    optional_number(distances.max_welfare),
                    result.released
                );
            }
            PerRunFormat::JsonLines => {
                let document = accord::sim::batch::run_row(scenario, self.seed, index, result);
                let _ = writeln!(row, "{document}");
            }
        }
        self.write(row.as_bytes());
    }

    /// Puts the file in place, whole; after a failed write, removes it.
    fn finish(self) -> Result<(), Failure> {
        match self.failed {
            None => self.writer.commit().map_err(super::output_failure),
            Some(error) => Err(Failure::Usage(format!("{}: {error}", self.path.display()))),
        }
    }
}

pub fn simulate(
    scenario: &Scenario,
    seed: u64,
    runs: u64,
    outputs: Outputs<'_>,
    json: bool,
    threads: Option<usize>,
) -> Result<(), Failure> {
    let Outputs {
        out,
        out_dir,
        per_run,
        force,
    } = outputs;
    let threads = runs_and_threads(runs, threads)?;
    if out.is_some() && runs != 1 {
        return Err(Failure::Usage(
            "--out writes one run's log: use --out-dir for several runs".into(),
        ));
    }
    // Every output is checked before the batch runs, not after.
    let out = match out {
        Some(path) => {
            let destination = super::Destination::check(path, force)?;
            if destination.is_stdout() && json {
                return Err(Failure::Usage(
                    "--out - writes the run's log on stdout, where --json would write the summary: give one of them a file".into(),
                ));
            }
            Some(destination)
        }
        None => None,
    };
    let mut per_run = match per_run {
        Some(path) => Some(PerRunRows::create(path, scenario, seed, force)?),
        None => None,
    };
    let options = BatchOptions {
        seed,
        runs,
        threads,
        out_dir,
        keep_logs: out.is_some(),
        overwrite: force,
    };
    let bar = progress_bar(runs);
    let progress = |done: u64| {
        if let Some(bar) = &bar {
            bar.set_position(done);
        }
    };
    let mut first_log = None;
    let keep_first_log = out.is_some();
    let summary = run_batch(scenario, &options, &progress, &mut |index, result| {
        if index == 0 && keep_first_log {
            first_log = result.log.clone();
        }
        if let Some(rows) = &mut per_run {
            rows.add(scenario, index, result);
        }
    });
    // Rows of a batch that failed are not its data: dropped, the file made for them goes.
    let summary = summary.map_err(sim_failure)?;
    if let Some(rows) = per_run {
        rows.finish()?;
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut summary_on_stderr = false;
    if let Some(destination) = out {
        summary_on_stderr = destination.is_stdout();
        destination.write(&first_log.unwrap_or_default())?;
    }
    if summary_on_stderr {
        // Stdout holds the run's log: the summary goes to stderr.
        super::output::say_block(&render_summary(scenario, &summary));
        return Ok(());
    }
    if json {
        return print(&format!(
            "{}\n",
            serde_json::to_string(&summary).expect("a summary serialises")
        ));
    }
    print(&render_summary(scenario, &summary))
}

/// Checks `--runs` and `--threads` (as `simulate` and `tournament` take them) and gives the
/// thread count: the one asked for, or every core.
pub fn runs_and_threads(runs: u64, threads: Option<usize>) -> Result<usize, Failure> {
    if runs == 0 || runs > accord::sim::batch::MAX_RUNS {
        return Err(Failure::Usage(format!(
            "--runs must be 1 to {}",
            accord::sim::batch::MAX_RUNS
        )));
    }
    let max_threads = accord::sim::batch::MAX_THREADS;
    if threads.is_some_and(|threads| threads == 0 || threads > max_threads) {
        return Err(Failure::Usage(format!(
            "--threads must be 1 to {max_threads}"
        )));
    }
    Ok(threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)))
}

/// A point of the analysis for people: its utilities, then each issue's option.
fn write_point(
    out: &mut String,
    label: &str,
    point: Option<&accord::sim::analysis::Point>,
    absent: Option<&str>,
    scenario: &Scenario,
) {
    let Some(point) = point else {
        let _ = writeln!(out, "  {label} {}", absent.unwrap_or(NOT_COMPUTED));
        return;
    };
    let utilities: Vec<String> = point.utilities.iter().map(|u| format!("{u:.6}")).collect();
    let _ = writeln!(out, "  {label} ({})", utilities.join(", "));
    for (issue, option) in scenario.domain.issues.iter().zip(&point.outcome) {
        let _ = writeln!(
            out,
            "    {}: {}",
            printable(&issue.title),
            printable(&issue.options[*option])
        );
    }
}

/// A progress bar for `runs` runs, on a terminal and for batches long enough to want one.
fn progress_bar(runs: u64) -> Option<indicatif::ProgressBar> {
    (runs >= PROGRESS_FROM_RUNS && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(runs);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {human_pos}/{human_len} runs, {rate}, {eta} left",
            )
            .expect("a valid template")
            // Runs a second as people write them: 27,407/s.
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{}/s", grouped(state.per_sec().round() as u128));
                },
            ),
        );
        bar
    })
}

/// `accord tournament`: plays it, prints the ranking (or its JSON), writes the CSV.
pub fn tournament(
    scenarios: &[Scenario],
    options: &accord::sim::tournament::TournamentOptions,
    json: bool,
    csv: Option<&Path>,
    force: bool,
) -> Result<(), Failure> {
    let total = accord::sim::tournament::planned_runs(scenarios, options).map_err(sim_failure)?;
    // The CSV file's place is checked before the tournament runs, so that one that exists
    // is refused before any work.
    let csv_file = match csv {
        Some(path) => Some(super::Destination::check(path, force)?),
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
    let played = played.map_err(sim_failure)?;
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

/// A simulation's own refusal is exit 1; a file it cannot read or write is exit 2.
pub fn sim_failure(error: accord::sim::SimError) -> Failure {
    if error.io {
        Failure::Usage(error.to_string())
    } else {
        Failure::refused(error.to_string())
    }
}

fn render_summary(scenario: &Scenario, summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} from seed {}, deadline {}",
        printable(&scenario.name),
        counted(summary.runs, "run", "runs"),
        summary.seed,
        counted(u64::from(scenario.deadline), "round", "rounds")
    );
    let _ = writeln!(out, "  agreement rate  {:.4}", summary.agreement_rate);
    match &summary.rounds {
        Some(rounds) => {
            let _ = writeln!(
                out,
                "  rounds          mean {:.2}, min {}, max {} (runs that agreed)",
                rounds.mean, rounds.min, rounds.max
            );
        }
        None => {
            let _ = writeln!(out, "  rounds          no run agreed");
        }
    }
    for (party, utility) in summary.parties.iter().zip(&summary.utilities) {
        let _ = writeln!(
            out,
            "  utility {party:<8} mean {:.6}, sd {:.6}, median {:.6}, min {:.6}, max {:.6}",
            utility.mean, utility.sd, utility.median, utility.min, utility.max
        );
    }
    for (to, mean) in [
        ("the Pareto frontier", summary.pareto_distance),
        ("the Nash point", summary.nash_distance),
        ("Kalai-Smorodinsky", summary.kalai_smorodinsky_distance),
        ("maximum welfare", summary.max_welfare_distance),
    ] {
        let _ = writeln!(
            out,
            "  distance to {to:<19} {} (mean over agreements)",
            figure(mean)
        );
    }
    if summary.discount_factors.iter().any(|factor| *factor != 1.0) {
        let factors: Vec<String> = summary
            .parties
            .iter()
            .zip(&summary.discount_factors)
            .map(|(party, factor)| format!("{party} {}", trimmed(*factor)))
            .collect();
        let _ = writeln!(
            out,
            "  discount factors {} (utilities are worth u * d^t at the agreement's relative time t)",
            factors.join(", ")
        );
    }
    if summary.runs_without_possible_agreement > 0 {
        let scope = if summary.runs == 1 {
            String::new()
        } else {
            format!(
                " in {} of the {} runs",
                grouped(u128::from(summary.runs_without_possible_agreement)),
                grouped(u128::from(summary.runs))
            )
        };
        let _ = writeln!(
            out,
            "  no agreement possible{scope}: no outcome is worth every party's reservation value"
        );
    }
    let _ = writeln!(
        out,
        "  persons released {}",
        grouped(u128::from(summary.releases))
    );
    if let Some(outcome) = &summary.outcome {
        let _ = writeln!(out, "  outcome:");
        for (issue, option) in outcome {
            let _ = writeln!(out, "    {}: {}", printable(issue), printable(option));
        }
    }
    out
}

pub fn analyze(scenario: &Scenario, seed: u64, json: bool, frontier: bool) -> Result<(), Failure> {
    let preferences = scenario.preferences(&mut run_rng(seed, 0));
    let analysis = if frontier {
        accord::sim::analysis::analyze_listing_frontier(&scenario.domain, &preferences)
    } else {
        analyze_space(&scenario.domain, &preferences)
    };
    for reason in &analysis.reasons {
        say(reason);
    }
    if frontier && analysis.frontier.is_none() {
        say("frontier: not listed, as it was not computed (see above)");
    }
    if analysis.frontier_points_shared > 0 {
        say(&format!(
            "frontier: {} of the points listed stand for several outcomes with the same utilities; one is shown for each",
            grouped(u128::from(analysis.frontier_points_shared))
        ));
    }
    if analysis.nash_none {
        say("nash: no outcome meets every party's reservation value");
    }
    if json {
        let document = analysis.to_json(&scenario.domain);
        return print(&format!(
            "{}\n",
            serde_json::to_string(&document).expect("an analysis serialises")
        ));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {}, {}",
        printable(&scenario.name),
        counted(scenario.parties.len() as u64, "party", "parties"),
        counted(scenario.domain.issues.len() as u64, "issue", "issues")
    );
    let _ = writeln!(out, "  outcomes          {}", count(analysis.n_outcomes));
    let _ = writeln!(
        out,
        "  Pareto frontier   {}",
        analysis
            .pareto_size
            .map_or(NOT_COMPUTED.to_string(), |size| {
                format!(
                    "{} {}",
                    grouped(size),
                    if size == 1 { "outcome" } else { "outcomes" }
                )
            })
    );
    // A point is `none` when no outcome meets every reservation, and `n/a` when it was not
    // computed, as every figure is.
    let infeasible = analysis
        .nash_none
        .then_some("none (no outcome meets every reservation)");
    write_point(
        &mut out,
        "Nash point       ",
        analysis.nash.as_ref(),
        infeasible,
        scenario,
    );
    write_point(
        &mut out,
        "Kalai-Smorodinsky",
        analysis.kalai_smorodinsky.as_ref(),
        infeasible,
        scenario,
    );
    write_point(
        &mut out,
        "Max-welfare point",
        analysis.max_welfare_point.as_ref(),
        None,
        scenario,
    );
    let _ = writeln!(out, "  maximum welfare   {}", figure(analysis.max_welfare));
    let _ = writeln!(out, "  opposition        {}", figure(analysis.opposition));
    if let Some(points) = &analysis.frontier {
        let _ = writeln!(
            out,
            "  frontier outcomes (utilities, then each issue's option):"
        );
        for point in points {
            let utilities: Vec<String> =
                point.utilities.iter().map(|u| format!("{u:.6}")).collect();
            let options: Vec<String> = scenario
                .domain
                .issues
                .iter()
                .zip(&point.outcome)
                .map(|(issue, option)| printable(&issue.options[*option]).into_owned())
                .collect();
            let _ = writeln!(out, "    {}  {}", utilities.join("  "), options.join(" | "));
        }
    }
    let reservations: Vec<String> = scenario
        .parties
        .iter()
        .zip(&preferences)
        .map(|(party, prefs)| format!("{} {:.6}", party.id, prefs.reservation))
        .collect();
    let _ = writeln!(
        out,
        "  reservations      {}",
        printable(&reservations.join(", "))
    );
    print(&out)
}

/// What people see for a figure the analysis did not compute (its reason is on stderr).
const NOT_COMPUTED: &str = "n/a";

/// A figure to six decimals, or `n/a` when it could not be computed.
fn figure(value: Option<f64>) -> String {
    value.map_or(NOT_COMPUTED.to_string(), |value| format!("{value:.6}"))
}

/// A count, thousands grouped, or `n/a` when it could not be computed.
fn count(value: Option<u128>) -> String {
    value.map_or(NOT_COMPUTED.to_string(), grouped)
}

/// A factor for people: at most four decimals, without trailing zeros (`0.5`, `0.9375`).
fn trimmed(value: f64) -> String {
    let shown = format!("{value:.4}");
    shown
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}
