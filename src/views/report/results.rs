//! A result, read: which kind a JSON document is, and whether the runs and the analysis
//! given with a simulation's result belong to it (another batch's runs or another domain's
//! analysis would draw a page that lies).

use crate::results::{AnalysisJson, RunRow, Summary, Tournament};

/// A result the report draws: a simulation batch's summary or a tournament's ranking.
#[derive(Clone, Debug, PartialEq)]
pub enum ResultDocument {
    Simulation(Summary),
    Tournament(Tournament),
}

/// Why a JSON document that looks like a result is not one accord wrote.
#[derive(Debug, thiserror::Error)]
#[error("not a {what} result accord writes: {source}")]
pub struct NotAResult {
    what: &'static str,
    source: serde_json::Error,
}

/// Which kind of result a JSON document is: `tournament`, `simulation`, or neither.
pub fn result_kind(document: &serde_json::Value) -> Option<&'static str> {
    let object = document.as_object()?;
    if object.contains_key("ranking") && object.contains_key("strategies") {
        Some("tournament")
    } else if object.contains_key("agreement_rate") && object.contains_key("runs") {
        Some("simulation")
    } else {
        None
    }
}

impl ResultDocument {
    /// The result a JSON document is, by its keys (`result_kind`); `None` for another
    /// document (a log's first line).
    pub fn of_json(document: serde_json::Value) -> Option<Result<ResultDocument, NotAResult>> {
        let what = result_kind(&document)?;
        let refused = |source| NotAResult { what, source };
        Some(if what == "tournament" {
            serde_json::from_value(document)
                .map(ResultDocument::Tournament)
                .map_err(refused)
        } else {
            serde_json::from_value(document)
                .map(ResultDocument::Simulation)
                .map_err(refused)
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ResultDocument::Simulation(_) => "simulation",
            ResultDocument::Tournament(_) => "tournament",
        }
    }

    pub fn seed(&self) -> u64 {
        match self {
            ResultDocument::Simulation(summary) => summary.seed,
            ResultDocument::Tournament(tournament) => tournament.seed,
        }
    }
}

/// Why the runs or the analysis given with a result are not its own.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResultMismatch {
    #[error("--per-run and --analysis go with a simulation result, not a tournament's")]
    NotASimulation,
    #[error(
        "the runs file holds {rows} runs and the result is of {runs}: they are not the same batch"
    )]
    RunCount { rows: usize, runs: u64 },
    #[error(
        "run on line {line} is of seed {row_seed}, the result of seed {seed}: they are not the same batch"
    )]
    Seed {
        line: usize,
        row_seed: u64,
        seed: u64,
    },
    #[error("line {line} holds run {run}, not run {line}: the runs are not the result's, in order")]
    RunOrder { line: usize, run: u64 },
    #[error(
        "run on line {line} has utilities for {named}, the result's parties are {parties}: they are not the same scenario"
    )]
    Parties {
        line: usize,
        named: String,
        parties: String,
    },
    #[error(
        "the analysis's {point} point has {utilities} utilities and the result {parties} parties: it is another domain's"
    )]
    PointSize {
        point: &'static str,
        utilities: usize,
        parties: usize,
    },
    #[error(
        "an agreed run has welfare {welfare}, more than the analysis's maximum {maximum}: the analysis is another domain's"
    )]
    Welfare { welfare: f64, maximum: f64 },
    #[error(
        "the analysis's frontier has points of {utilities} utilities and the result {parties} parties: it is another domain's"
    )]
    FrontierSize { utilities: usize, parties: usize },
    #[error(
        "an agreed run is better for every party than a point of the analysis's frontier: the analysis is another domain's"
    )]
    BeyondTheFrontier,
}

/// A run may beat a figure of the analysis by a rounding of its doubles, no more.
const ROUNDING: f64 = 1e-9;

/// Whether a batch's runs (`simulate --per-run RUNS.jsonl`) and its domain's analysis
/// (`analyze --frontier --json`) belong to the simulation `result` (`simulate --json`): the
/// runs carry the result's seed, one row for each of its runs, numbered in order, with a
/// utility for each of its parties; the analysis has a utility for each party; and the first
/// run, if it agreed, does no better than the analysis allows (more welfare than its maximum,
/// or more for every party than a point of its frontier): the analysis is of the first run's
/// preferences, which a scenario drawing preferences per run does not share with the others.
pub fn inputs_belong_to_result(
    result: &ResultDocument,
    runs: &[RunRow],
    analysis: Option<&AnalysisJson>,
) -> Result<(), ResultMismatch> {
    let summary = match result {
        ResultDocument::Tournament(_) if !runs.is_empty() || analysis.is_some() => {
            return Err(ResultMismatch::NotASimulation);
        }
        ResultDocument::Tournament(_) => return Ok(()),
        ResultDocument::Simulation(summary) => summary,
    };
    if !runs.is_empty() && runs.len() as u64 != summary.runs {
        return Err(ResultMismatch::RunCount {
            rows: runs.len(),
            runs: summary.runs,
        });
    }
    let agreements = runs_belong(summary, runs)?;
    let Some(analysis) = analysis else {
        return Ok(());
    };
    analysis_belongs(analysis, summary.parties.len(), &agreements)
}

/// Whether the runs are the result's, in order (seed, run numbers, parties); the first
/// run's utilities when it agreed, which the analysis is held to.
fn runs_belong(summary: &Summary, runs: &[RunRow]) -> Result<Vec<Vec<f64>>, ResultMismatch> {
    let parties = &summary.parties;
    let mut expected: Vec<&str> = parties.iter().map(String::as_str).collect();
    expected.sort_unstable();
    let mut agreements: Vec<Vec<f64>> = Vec::new();
    for (index, row) in runs.iter().enumerate() {
        let line = index + 1;
        if row.seed != summary.seed {
            return Err(ResultMismatch::Seed {
                line,
                row_seed: row.seed,
                seed: summary.seed,
            });
        }
        if row.run != line as u64 {
            return Err(ResultMismatch::RunOrder { line, run: row.run });
        }
        let named: Vec<&str> = row.utilities.keys().map(String::as_str).collect();
        if named != expected {
            return Err(ResultMismatch::Parties {
                line,
                named: named.join(", "),
                parties: parties.join(", "),
            });
        }
        // Only the first run is held to the analysis: a scenario that draws preferences
        // for each run is analysed on the first run's draw (`analyze --seed`).
        if index == 0 && row.agreement {
            agreements.push(
                parties
                    .iter()
                    .map(|party| row.utilities.get(party).copied().unwrap_or(0.0))
                    .collect(),
            );
        }
    }
    Ok(agreements)
}

/// Whether the analysis is of the result's domain: its points have a utility per party,
/// no agreed run beats its maximum welfare, and none is better for every party than a
/// point of its frontier.
fn analysis_belongs(
    analysis: &AnalysisJson,
    parties: usize,
    agreements: &[Vec<f64>],
) -> Result<(), ResultMismatch> {
    for (point, found) in [
        ("nash", &analysis.nash),
        ("kalai_smorodinsky", &analysis.kalai_smorodinsky),
    ] {
        if let Some(found) = found
            && found.utilities.len() != parties
        {
            return Err(ResultMismatch::PointSize {
                point,
                utilities: found.utilities.len(),
                parties,
            });
        }
    }
    if let Some(maximum) = analysis.max_welfare
        && let Some(agreement) = agreements
            .iter()
            .find(|agreement| agreement.iter().sum::<f64>() > maximum + ROUNDING)
    {
        return Err(ResultMismatch::Welfare {
            welfare: agreement.iter().sum::<f64>(),
            maximum,
        });
    }
    for point in analysis.frontier.iter().flatten() {
        if point.utilities.len() != parties {
            return Err(ResultMismatch::FrontierSize {
                utilities: point.utilities.len(),
                parties,
            });
        }
        let dominated = agreements.iter().any(|agreement| {
            agreement
                .iter()
                .zip(&point.utilities)
                .all(|(run, frontier)| *run > frontier + ROUNDING)
        });
        if dominated {
            return Err(ResultMismatch::BeyondTheFrontier);
        }
    }
    Ok(())
}
