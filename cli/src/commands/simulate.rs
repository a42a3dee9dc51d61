//! `accord simulate`: a seeded batch of runs of a scenario, summarised.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use accord::front::scenarios::{ScenarioFiles, load_scenario};
use accord::sim::batch::{BatchOptions, Summary, simulate as run_batch};
use accord::sim::scenario::Scenario;
use accord::views::text::{counted, grouped, printable};

use crate::arguments::seed_value;
use crate::commands::analyze::{NOT_COMPUTED, figure, trimmed};
use crate::context::{Context, Failure};
use crate::output::{Destination, output_failure, print, say_block};

#[derive(clap::Args)]
pub struct Args {
    /// A scenario file (JSON; see docs/simulation.md). Omit with --genius or --geniusweb.
    #[arg(required_unless_present_any = ["genius", "geniusweb"])]
    pub scenario: Option<PathBuf>,
    /// The seed: the same seed gives the same logs and summary, byte for byte.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = seed_value)]
    pub seed: u64,
    /// How many runs (run i uses stream i of the seed).
    #[arg(long, default_value_t = 1)]
    pub runs: u64,
    /// Write the log of the run here (one run only).
    #[arg(long, value_name = "LOG", conflicts_with = "out_dir")]
    pub out: Option<PathBuf>,
    /// Write each run's log in this directory as run-NNNNNN.jsonl.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Write one row per run to this file: CSV (FILE.csv) or JSON Lines (FILE.jsonl),
    /// with the run, seed, agreement, round, outcome, utilities and distances.
    #[arg(long, value_name = "FILE")]
    pub per_run: Option<PathBuf>,
    /// Replace the --out file, the run logs in --out-dir or the --per-run file if they
    /// exist (without it, an existing file is refused and left untouched).
    #[arg(long)]
    pub force: bool,
    /// The summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// A GENIUS domain and its profiles, in place of SCENARIO.
    #[arg(long, num_args = 2.., value_names = ["DOMAIN.xml", "PROFILE.xml"])]
    pub genius: Option<Vec<PathBuf>>,
    /// GeniusWeb profiles (JSON LinearAdditiveUtilitySpace, each carrying the domain), in
    /// place of SCENARIO.
    #[arg(long, num_args = 1.., value_name = "PROFILE.json", conflicts_with = "genius")]
    pub geniusweb: Option<Vec<PathBuf>>,
    /// The strategies, in profile order with --genius (default boulware for all), or in
    /// the scenario's acting order, replacing the scenario's: boulware, linear,
    /// conceder, hardliner, e=VALUE, tit_for_tat, a baseline agent (atlas3, hardheaded,
    /// nice_tit_for_tat, ...) or boa:BIDDING:MODEL:ACCEPTANCE (docs/agents.md). One name
    /// applies to every party.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub strategies: Option<Vec<String>>,
    /// The deadline in rounds: 100 by default with --genius; with a scenario file it
    /// replaces the scenario's.
    #[arg(long, value_name = "ROUNDS")]
    pub deadline: Option<u32>,
}

pub fn run(args: Args, _context: &Context) -> Result<(), Failure> {
    let strategies = args.strategies.as_deref();
    let files = scenario_files(
        args.scenario.as_deref(),
        args.genius.as_deref(),
        args.geniusweb.as_deref(),
    )?;
    let scenario = load_scenario(files, strategies, args.deadline)?;
    simulate(
        &scenario,
        args.seed,
        args.runs,
        Outputs {
            out: args.out.as_deref(),
            out_dir: args.out_dir,
            per_run: args.per_run.as_deref(),
            force: args.force,
        },
        args.json,
        args.threads,
    )
}

/// Which files a `simulate` or `analyze` plays: a SCENARIO, `--genius` files or
/// `--geniusweb` profiles, one of them.
pub fn scenario_files<'a>(
    scenario: Option<&'a Path>,
    genius: Option<&'a [PathBuf]>,
    geniusweb: Option<&'a [PathBuf]>,
) -> Result<ScenarioFiles<'a>, Failure> {
    match (scenario, genius, geniusweb) {
        (Some(path), _, Some(_)) => Err(Failure::Usage(format!(
            "give a SCENARIO or --geniusweb, not both ({} and --geniusweb)",
            path.display()
        ))),
        (None, _, Some(profiles)) => Ok(ScenarioFiles::GeniusWeb(profiles)),
        (Some(path), Some(_), None) => Err(Failure::Usage(format!(
            "give a SCENARIO or --genius, not both ({} and --genius)",
            path.display()
        ))),
        (_, Some([domain, profiles @ ..]), None) => Ok(ScenarioFiles::Genius { domain, profiles }),
        // A GENIUS directory is a scenario, as a tournament's domains are.
        (Some(path), _, None) => Ok(ScenarioFiles::of_path(path)),
        _ => Err(Failure::Usage(
            "give a SCENARIO or --genius DOMAIN.xml PROFILE.xml...".into(),
        )),
    }
}

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

pub fn optional_number(value: Option<f64>) -> String {
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
            accord::files::output::OutputPath::check(path, force).map_err(output_failure)?;
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
        let file = accord::files::output::OutputFile::create(target).map_err(output_failure)?;
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
            None => self.writer.commit().map_err(output_failure),
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
            let destination = Destination::check(path, force)?;
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
    let summary = summary.map_err(Failure::from)?;
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
        say_block(&render_summary(scenario, &summary));
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
pub fn write_point(
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
pub fn progress_bar(runs: u64) -> Option<indicatif::ProgressBar> {
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
