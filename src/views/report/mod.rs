//! A negotiation on one page: `accord report`'s self-contained HTML file.
//!
//! Everything the page shows is drawn here, in the HTML and its inline SVG, so that it reads
//! without a script, prints, and has one element per event mark carrying its `data-seq`. The
//! script (`report.js`) only adds what needs interaction: the details of a mark, the
//! filters, and the slider over world time, from data embedded in the page. Nothing is
//! fetched: the styles and the script are inline. The page holds no clock reading, so the
//! same log gives the same bytes.
//!
//! Logs too long to draw a mark per event (more than `MAX_MARKS`) get one mark per lane,
//! family and stretch of time, with the count and the range of seqs it stands for, and the
//! page embeds no per-event text: it stays a few MiB whatever the log's length.
//!
//! The markup is written with maud: its elements close by construction, and every value
//! placed in it is escaped unless wrapped in `PreEscaped` (only the inline styles, the
//! script and the script's JSON, made safe by `page::script_json`, are). Text from a log or
//! a result passes through `drawing::shown` as well, so that no control or bidirectional
//! character acts on the page. Four parts, in order: `axis` (measures and the time axis),
//! `fold` (what is drawn, folded once), `drawing` (the SVG), `page` (the HTML around it);
//! `results` reads a result and checks what comes with it.

mod axis;
mod drawing;
mod fold;
mod page;
mod results;

pub use drawing::{MAX_PROPOSAL_ROWS, MAX_SCATTER_POINTS};
pub use fold::MAX_CUSTODY_POINTS;
pub use results::{
    NotAResult, ResultDocument, ResultMismatch, inputs_belong_to_result, result_kind,
};

use maud::html;

use crate::format::event::Event;
use crate::format::ids::Hash;
use crate::format::time::Timestamp;
use crate::results::{AnalysisJson, RunRow};
use axis::{TimeAxis, seconds};
use drawing::Lanes;

/// The most events drawn one mark each; past it, marks aggregate.
pub const MAX_MARKS: usize = 2_000;

/// The lane of events that belong to no one party (issues, joint signatures, provisions).
const JOINT_LANE: &str = "joint / general";

/// An event as the report receives it: the event and the hash of its line.
#[derive(Clone)]
pub struct ReportedEvent {
    pub event: Event,
    pub hash: Hash,
}

/// The latest signed checkpoint kept beside a log, as the report shows it.
pub struct CheckpointSeen {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// The names of the keys whose signature lines it carries.
    pub signers: Vec<String>,
    /// Whether the tree of the log's first `size` lines has that root (`None`: the log
    /// is shorter).
    pub root_matches: Option<bool>,
}

/// What the report of a log is made from.
pub struct LogReport<'a> {
    /// The log's name, as the user gave it.
    pub name: &'a str,
    /// The lines read, in file order (those of the `--known-at` prefix).
    pub events: &'a [ReportedEvent],
    /// `None` when the whole log verified; else the refusal (its events up to there are
    /// shown).
    pub refusal: Option<String>,
    pub checkpoint: Option<CheckpointSeen>,
    /// Only the events that occurred by then are folded and drawn.
    pub as_of: Option<Timestamp>,
    /// What the report covers, in words (`--as-of …`, `--known-at …`), empty for all.
    pub scope: String,
}

/// The lanes of a log's timeline: parties, then mediators and observers, in the state's
/// order; then the joint one. Each is (party id, label).
fn lanes_of(drawn: &fold::Drawn) -> Vec<(String, String)> {
    use crate::format::event::Role;
    let parties = &drawn.folded.state.parties;
    let mut lanes: Vec<(String, String)> = Vec::new();
    for wanted in [Role::Party, Role::Mediator, Role::Observer] {
        for (id, party) in parties {
            if party.role == wanted {
                lanes.push((id.to_string(), format!("{} ({})", party.name, id)));
            }
        }
    }
    lanes.push((String::new(), JOINT_LANE.to_string()));
    lanes
}

/// The report of a log: the whole HTML page.
pub fn log_report(input: &LogReport<'_>) -> String {
    // What each line says once the log's corrections have had their last word: a corrected
    // line is drawn as corrected; a retracted one, and the corrections themselves, fold
    // nothing and are not drawn as moves.
    let effective = fold::effective_events(input.events);
    let drawn = fold::fold_for_report(
        &effective.events,
        effective.folded,
        &effective.folds,
        input.as_of.as_ref(),
    );
    let changed = fold::changed_lines(input.events, &effective.last_words);
    let events = &effective.events[..];
    let lane_list = lanes_of(&drawn);
    let lane_of = |event: &Event| -> usize {
        fold::actor(&event.data)
            .and_then(|party| lane_list.iter().position(|(id, _)| id == party.as_str()))
            .unwrap_or(lane_list.len() - 1)
    };
    let moments: Vec<i64> = drawn
        .applied
        .iter()
        .map(|&index| seconds(&events[index].event.occurred))
        .collect();
    let axis = TimeAxis::new(&moments);
    let lanes = Lanes {
        lanes: &lane_list,
        lane_of: &lane_of,
        axis: &axis,
    };
    let aggregated = drawn.applied.len() > MAX_MARKS;
    // The data the script needs: per event (or per aggregated mark), the custody series and
    // the proposals' spans, and the axis.
    let data = page::page_data(events, &drawn, &lanes, aggregated);
    let body = html! {
        (page::header(input, &drawn))
        (page::controls(&lane_list, &axis))
        main {
            (drawing::timeline(events, &drawn, &lanes, aggregated))
            (drawing::proposals(&drawn, &axis))
            (drawing::custody_chart(&drawn, &axis))
            (page::agreements(&drawn.folded.state))
            (page::event_table(events, &drawn, &lanes, aggregated, &changed, input.as_of.as_ref()))
        }
        aside #details aria-live="polite" {
            p { "Choose a mark (click, or Tab and Enter) to see its event." }
        }
        footer {
            p { "Made by " code { "accord report" } " from the log's lines alone; the page fetches nothing." }
        }
        (page::scripts(&data))
    };
    page::page(input.name, "0", body)
}

/// What the report of a simulation batch or a tournament is made from: the `--json` result,
/// and optionally the batch's `--per-run` JSON Lines and the domain's `analyze --frontier
/// --json`.
pub struct ResultReport<'a> {
    pub name: &'a str,
    pub result: &'a ResultDocument,
    /// The runs, as `simulate --per-run FILE.jsonl` writes them.
    pub runs: &'a [RunRow],
    pub analysis: Option<&'a AnalysisJson>,
}

/// The page of a simulation batch or a tournament: the distribution of outcomes.
pub fn result_report(input: &ResultReport<'_>) -> String {
    let result = input.result;
    let body = html! {
        header {
            h1 { (drawing::shown(input.name)) }
            dl.facts {
                dt { "Result" } dd #kind { (result.kind()) }
                dt { "Seed" } dd { (result.seed()) }
            }
        }
        main {
            @match result {
                ResultDocument::Tournament(tournament) => (page::tournament_section(tournament)),
                ResultDocument::Simulation(summary) => {
                    (page::simulation_summary(summary))
                    @if !input.runs.is_empty() { (drawing::rounds_histogram(input.runs)) }
                    (drawing::scatter(&summary.parties, input.runs, input.analysis))
                }
            }
        }
        footer {
            p { "Made by " code { "accord report" } " from the result alone; the page fetches nothing." }
        }
    };
    page::page(input.name, "1", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_script_data_cannot_break_out_of_the_page() {
        let hostile = "<script>\"a\" & 'b'\u{1b}\u{202e}";
        let markup = html! { p title=(drawing::shown(hostile)) { (drawing::shown(hostile)) } };
        assert_eq!(
            markup.into_string(),
            "<p title=\"&lt;script&gt;&quot;a&quot; &amp; 'b'\\u{1b}\\u{202e}\">&lt;script&gt;&quot;a&quot; &amp; 'b'\\u{1b}\\u{202e}</p>"
        );
        let data = serde_json::json!({"text": "</script><!-- & -->"});
        let embedded = page::script_json(&data);
        assert!(!embedded.contains('<') && !embedded.contains('>'));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&embedded).unwrap(),
            data
        );
    }
}
