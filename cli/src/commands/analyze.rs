//! `accord analyze`: the outcome space of a scenario, computed exactly.

use std::fmt::Write as _;
use std::path::PathBuf;

use accord::front::scenarios::load_scenario;
use accord::sim::scenario::Scenario;
use accord::views::text::{counted, grouped, printable};

use crate::arguments::seed_value;
use crate::commands::simulate::write_point;
use crate::context::{Context, Failure};
use crate::output::{print, say};

#[derive(clap::Args)]
pub struct Args {
    /// A scenario file. Omit with --genius or --geniusweb.
    #[arg(required_unless_present_any = ["genius", "geniusweb"])]
    pub scenario: Option<PathBuf>,
    /// A GENIUS domain and its profiles, in place of SCENARIO.
    #[arg(long, num_args = 2.., value_names = ["DOMAIN.xml", "PROFILE.xml"])]
    pub genius: Option<Vec<PathBuf>>,
    /// GeniusWeb profiles (JSON LinearAdditiveUtilitySpace, each carrying the domain), in
    /// place of SCENARIO.
    #[arg(long, num_args = 1.., value_name = "PROFILE.json", conflicts_with = "genius")]
    pub geniusweb: Option<Vec<PathBuf>>,
    /// The seed for scenarios with random preferences (run 0's draw is analysed; 0 by
    /// default). Refused for a scenario without them, where it would change nothing.
    #[arg(long, allow_hyphen_values = true, value_parser = seed_value)]
    pub seed: Option<u64>,
    /// The analysis as JSON: n_outcomes, pareto_size, nash, kalai_smorodinsky,
    /// max_welfare, opposition.
    #[arg(long)]
    pub json: bool,
    /// Also list the Pareto frontier's outcomes, with their utilities.
    #[arg(long)]
    pub frontier: bool,
}

pub fn run(args: Args, _context: &Context) -> Result<(), Failure> {
    let files = crate::commands::simulate::scenario_files(
        args.scenario.as_deref(),
        args.genius.as_deref(),
        args.geniusweb.as_deref(),
    )?;
    let scenario = load_scenario(files, None, None)?;
    if args.seed.is_some() && !scenario.has_random_preferences() {
        return Err(Failure::Usage(
            "--seed: no party of this scenario draws random preferences, so the seed would change nothing".into(),
        ));
    }
    analyze(&scenario, args.seed.unwrap_or(0), args.json, args.frontier)
}

pub fn analyze(scenario: &Scenario, seed: u64, json: bool, frontier: bool) -> Result<(), Failure> {
    let accord::front::scenarios::ScenarioAnalysis {
        preferences,
        analysis,
    } = accord::front::scenarios::analyze_scenario(scenario, seed, frontier);
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
    print(&render_analysis(scenario, &preferences, &analysis))
}

/// The analysis for people: the figures, the points, the frontier when listed, the
/// reservations.
fn render_analysis(
    scenario: &Scenario,
    preferences: &[accord::sim::domain::Preferences],
    analysis: &accord::sim::analysis::Analysis,
) -> String {
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
        .zip(preferences)
        .map(|(party, prefs)| format!("{} {:.6}", party.id, prefs.reservation))
        .collect();
    let _ = writeln!(
        out,
        "  reservations      {}",
        printable(&reservations.join(", "))
    );
    out
}

/// What people see for a figure the analysis did not compute (its reason is on stderr).
pub const NOT_COMPUTED: &str = "n/a";

/// A figure to six decimals, or `n/a` when it could not be computed.
pub fn figure(value: Option<f64>) -> String {
    value.map_or(NOT_COMPUTED.to_string(), |value| format!("{value:.6}"))
}

/// A count, thousands grouped, or `n/a` when it could not be computed.
pub fn count(value: Option<u128>) -> String {
    value.map_or(NOT_COMPUTED.to_string(), grouped)
}

/// A factor for people: at most four decimals, without trailing zeros (`0.5`, `0.9375`).
pub fn trimmed(value: f64) -> String {
    let shown = format!("{value:.4}");
    shown
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}
