//! The page around the drawings: its head and styles, the facts at the top, the filters,
//! the agreements and the table of events, the data the script reads; and a result's
//! summary and ranking tables. Every value passes through maud, which escapes it.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Serialize;

use super::axis::TimeAxis;
use super::drawing::{Lanes, shown};
use super::fold::{ChangedLine, Drawn, FAMILIES, family};
use super::{LogReport, ReportedEvent};
use crate::fold::state::{Agreement, State};
use crate::format::event::Event;
use crate::format::ids::Slug;
use crate::format::time::Timestamp;
use crate::results::{Summary, Tournament};
use std::collections::BTreeMap;

/// The page: its head (title, inline styles) and `body` with its attributes, then `main`
/// and what follows it. `rendered` is what `data-rendered` starts as ("0" until the script
/// has run, for a page with one).
pub(super) fn page(title: &str, rendered: &str, body: Markup) -> String {
    let mut page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "accord report: " (shown(title)) }
                style { (PreEscaped(include_str!("report.css"))) }
            }
            body data-rendered=(rendered) data-script-errors="0" { (body) }
        }
    }
    .into_string();
    // A text file ends with its newline; the failure-point test knows a page is whole by it.
    page.push('\n');
    page
}

/// JSON made safe inside a `<script>` element: no `</script>` or `<!--` can form.
pub(super) fn script_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .expect("a JSON value serialises")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The data the script reads, then the script itself.
pub(super) fn scripts(data: &serde_json::Value) -> Markup {
    html! {
        script type="application/json" id="report-data" { (PreEscaped(script_json(data))) }
        script { (PreEscaped(include_str!("report.js"))) }
    }
}

/// The name serde gives a unit variant (`in_force`), as the state JSON writes it.
fn serde_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The log's name, its head, how many events were read and folded, whether it verified,
/// and the signed checkpoint kept beside it.
pub(super) fn header(input: &LogReport<'_>, drawn: &Drawn) -> Markup {
    let events = input.events;
    let head = events
        .last()
        .map_or("none (the log is empty)".to_string(), |last| {
            last.hash.to_string()
        });
    let refusal = input.refusal.as_ref().or(drawn.refused.as_ref());
    html! {
        header {
            h1 { (shown(input.name)) }
            dl.facts {
                dt { "Head" } dd { code #head { (head) } }
                dt { "Events" }
                dd #event-count {
                    (events.len()) " lines read; " (drawn.applied.len()) " folded"
                    @if !input.scope.is_empty() { " (" (shown(&input.scope)) ")" }
                }
                dt { "Verification" }
                @match refusal {
                    None => dd #verification.ok { "ok: every line checked (shape, chain, rules)" },
                    Some(refusal) => dd #verification.refused {
                        "refused at " (shown(refusal)) "; the events before it are shown"
                    },
                }
                dt { "Signed checkpoint" }
                @match &input.checkpoint {
                    None => dd #checkpoint { "none kept beside the log" },
                    Some(checkpoint) => dd #checkpoint {
                        (shown(&checkpoint.origin)) " at " (checkpoint.size) " lines, root "
                        code { (checkpoint.root) } ", signed by " (shown(&checkpoint.signers.join(", ")))
                        "; "
                        (match checkpoint.root_matches {
                            Some(true) => "the log's first lines have this root",
                            Some(false) => "the log's first lines do NOT have this root",
                            None => "the log is shorter than the checkpoint",
                        })
                        " (signature not checked here: " code { "accord verify --checkpoint --pubkey" } " checks it)"
                    },
                }
            }
        }
    }
}

/// The filters: lanes, families, dates, and the slider over world time.
pub(super) fn controls(lanes: &[(String, String)], axis: &TimeAxis) -> Markup {
    let (first, last) = axis.first_and_last_dates();
    let moments = axis.knots.len().saturating_sub(1);
    html! {
        form #controls.screen-only aria-label="Filters" {
            fieldset {
                legend { "Parties" }
                @for (index, (_, label)) in lanes.iter().enumerate() {
                    label { input type="checkbox" name="lane" value=(index) checked; " " (shown(label)) }
                }
            }
            fieldset {
                legend { "Events" }
                @for (family, label) in FAMILIES {
                    label {
                        input type="checkbox" name="family" value=(family) checked;
                        " " span class=(format!("swatch f-{family}")) {} (label)
                    }
                }
            }
            fieldset {
                legend { "Dates" }
                label { "From " input type="date" name="from" value=(first) min=(first) max=(last); }
                label { "To " input type="date" name="to" value=(last) min=(first) max=(last); }
            }
            fieldset.moment {
                legend { "The state as of" }
                input type="range" #moment min="0" max=(moments) value=(moments) step="1" aria-describedby="moment-shown";
                output #moment-shown for="moment" {}
                div #as-of {}
            }
        }
    }
}

/// Names, comma-separated.
fn names(slugs: &[Slug]) -> String {
    slugs
        .iter()
        .map(Slug::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each agreement with its provisions: their status, allegations and contested claims.
pub(super) fn agreements(state: &State) -> Markup {
    html! {
        section #agreements-section {
            h2 { "Agreements and their provisions" }
            @if state.agreements.is_empty() {
                p { "No agreement was signed." }
            }
            @for (id, agreement) in &state.agreements {
                (agreement_article(id, agreement))
            }
        }
    }
}

fn agreement_article(id: &Slug, agreement: &Agreement) -> Markup {
    let status = serde_name(&agreement.status);
    html! {
        article.agreement data-agreement=(id.as_str()) {
            h3 {
                (shown(&agreement.title)) " "
                span class=(format!("status st-{status}")) { (status.replace('_', " ")) }
            }
            p {
                "Signed by " (names(&agreement.signatories))
                @if !agreement.witnesses.is_empty() { ", witnessed by " (names(&agreement.witnesses)) }
                "."
            }
            table {
                thead { tr {
                    th scope="col" { "Provision" } th scope="col" { "Status" }
                    th scope="col" { "Allegations" } th scope="col" { "Contested claims" }
                } }
                tbody {
                    @for (provision, terms) in &agreement.provisions {
                        @let status = serde_name(&terms.status);
                        tr data-provision=(provision.as_str()) {
                            th scope="row" {
                                (provision.as_str())
                                p.terms { (shown(&terms.text)) }
                                p.obligated { "obliges " (names(&terms.obligated)) }
                            }
                            td { span class=(format!("status st-{status}")) { (status.replace('_', " ")) } }
                            td {
                                @if terms.allegations.is_empty() { span.none { "none" } } @else {
                                    ul { @for allegation in &terms.allegations {
                                        li { (allegation.by.as_str()) " against " (names(&allegation.against)) " (line " (allegation.seq) ")" }
                                    } }
                                }
                            }
                            td {
                                @if terms.claims.is_empty() { span.none { "none" } } @else {
                                    ul { @for claim in &terms.claims {
                                        li { (claim.by.as_str()) " " (serde_name(&claim.kind)) "s (line " (claim.seq) "): " (shown(&claim.text)) }
                                    } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every event in a table, in application order: what a printed page shows in place of
/// the marks' details. A corrected line shows what it says now beside what it said, struck
/// through; a retracted line is struck through at its place. Left out, and said so, past
/// `MAX_MARKS`.
pub(super) fn event_table(
    events: &[ReportedEvent],
    drawn: &Drawn,
    lanes: &Lanes<'_>,
    aggregated: bool,
    changed: &BTreeMap<u64, ChangedLine<'_>>,
    as_of: Option<&Timestamp>,
) -> Markup {
    let describe = |event: &Event| crate::views::describe::describe(&event.data);
    html! {
        section #events-section {
            h2 { "Every event, in the order it applies" }
            @if aggregated {
                p.hint {
                    (drawn.applied.len()) " events are too many to list here; " code { "accord history" }
                    " and " code { "accord state --as-of" } " answer for any of them."
                }
            } @else {
                @if !changed.is_empty() {
                    p.hint {
                        "Lines that later lines corrected show what they say now, with what they said "
                        del { "struck through" } "; retracted lines are struck through where they were written."
                    }
                }
                table #events {
                    thead { tr {
                        th scope="col" { "Line" } th scope="col" { "Occurred" } th scope="col" { "Lane" }
                        th scope="col" { "What" } th scope="col" { "Source" }
                    } }
                    tbody {
                        @for index in table_rows(events, drawn, changed, as_of) {
                            @let event = &events[index].event;
                            @let change = changed.get(&event.seq);
                            @let retracted = change.is_some_and(|line| line.is_retracted());
                            tr class=(format!("f-{}{}", family(&event.data), if retracted { " retracted" } else { "" })) data-row-seq=(event.seq) {
                                td { (event.seq) }
                                @if retracted {
                                    td { del { (shown(event.occurred.as_str())) } }
                                    td { (shown(&lanes.lanes[(lanes.lane_of)(event)].1)) }
                                    td {
                                        del { (shown(&describe(event))) }
                                        @if let Some(line) = change { br; span.hint { (shown(&line.said_by())) } }
                                    }
                                    td {
                                        @let cited = crate::views::describe::citations(event);
                                        @if !cited.is_empty() { del { (shown(&cited)) } }
                                    }
                                } @else {
                                    td {
                                        (shown(event.occurred.as_str()))
                                        @if let Some(line) = change.filter(|line| line.as_written.occurred != event.occurred) {
                                            " " del { (shown(line.as_written.occurred.as_str())) }
                                        }
                                    }
                                    td { (shown(&lanes.lanes[(lanes.lane_of)(event)].1)) }
                                    td {
                                        (shown(&describe(event)))
                                        @if let Some(line) = change {
                                            @if line.as_written.data != event.data {
                                                br; del { (shown(&describe(line.as_written))) }
                                            }
                                            br; span.hint { (shown(&line.said_by())) }
                                        }
                                    }
                                    td {
                                        (shown(&crate::views::describe::citations(event)))
                                        @if let Some(line) = change.filter(|line| line.as_written.source != event.source || line.as_written.sources != event.sources) {
                                            br; del { (shown(&crate::views::describe::citations(line.as_written))) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The table's rows: the events folded, and the retracted lines the fold reached, in
/// application order (a retracted line at the place it was written).
fn table_rows(
    events: &[ReportedEvent],
    drawn: &Drawn,
    changed: &BTreeMap<u64, ChangedLine<'_>>,
    as_of: Option<&Timestamp>,
) -> Vec<usize> {
    let key = |index: usize| {
        let event = &events[index].event;
        (event.occurred.start(), event.seq)
    };
    // The fold stopped at a refusal: no retracted line after where it stopped.
    let reached = match (&drawn.refused, drawn.applied.last()) {
        (None, _) => None,
        (Some(_), last) => Some(last.map(|&index| key(index))),
    };
    let mut rows = drawn.applied.clone();
    rows.extend(
        changed
            .values()
            .filter(|line| line.is_retracted())
            .map(|line| line.index)
            .filter(|&index| {
                let start = events[index].event.occurred.start();
                as_of.is_none_or(|limit| start <= limit.instant())
                    && reached.is_none_or(|last| last.is_some_and(|last| key(index) < last))
            }),
    );
    rows.sort_by_key(|&index| key(index));
    rows
}

/// What the script reads: the axis, the events (or aggregated marks), custody and
/// proposals.
pub(super) fn page_data(
    events: &[ReportedEvent],
    drawn: &Drawn,
    lanes: &Lanes<'_>,
    aggregated: bool,
) -> serde_json::Value {
    use serde_json::json;
    let printable = crate::views::text::printable;
    let knots: Vec<serde_json::Value> = lanes
        .axis
        .knots
        .iter()
        .map(|(moment, x)| json!([moment, (x * 10.0).round() / 10.0]))
        .collect();
    let marks: Vec<serde_json::Value> = if aggregated {
        Vec::new()
    } else {
        drawn
            .applied
            .iter()
            .map(|&index| {
                let reported = &events[index];
                let event = &reported.event;
                json!({
                    "seq": event.seq,
                    "type": event.data.type_name(),
                    "occurred": event.occurred.as_str(),
                    "recorded": event.recorded.as_str(),
                    "lane": (lanes.lane_of)(event),
                    // Set as text by the script, but shown: bidirectional overrides too.
                    "text": printable(&crate::views::describe::describe(&event.data)),
                    "source": match &event.source {
                        Some(source) => Some(printable(source).into_owned()),
                        None => event.sources.as_ref().map(|_| printable(&crate::views::describe::citations(event)).into_owned()),
                    },
                    "hash": reported.hash,
                })
            })
            .collect()
    };
    let custody: Vec<serde_json::Value> = drawn
        .custody_series()
        .into_iter()
        .map(|((holder, of), points)| {
            let points: Vec<serde_json::Value> = points
                .iter()
                .map(|(moment, counts)| {
                    json!([moment, counts.combatant, counts.civilian, counts.remains])
                })
                .collect();
            json!({"holder": holder, "of": of, "points": points})
        })
        .collect();
    let proposals: Vec<serde_json::Value> = drawn
        .proposals
        .iter()
        .map(|(id, lifecycle)| {
            json!({
                "id": id,
                "by": lifecycle.by,
                "made": lifecycle.made,
                "closed": lifecycle.closed.map(|(moment, _, _)| moment),
                "outcome": lifecycle.closed.map_or("open", |(_, _, outcome)| outcome),
            })
        })
        .collect();
    let lane_names: Vec<String> = lanes
        .lanes
        .iter()
        .map(|(_, label)| printable(label).into_owned())
        .collect();
    json!({
        "knots": knots,
        "lanes": lane_names,
        "events": marks,
        "aggregated": aggregated,
        "custody": custody,
        "proposals": proposals,
    })
}

/// A figure of a result as the page writes it: whole numbers without decimals, others to
/// four places, and a dash for one the result does not have.
pub(super) fn figure(value: Option<f64>) -> String {
    match value {
        Some(number) if number.fract() == 0.0 && number.abs() < 1e15 => format!("{number:.0}"),
        Some(number) => format!("{number:.4}"),
        None => "–".to_string(),
    }
}

/// A batch's summary: its runs and agreement rate, rounds, distances, and each party's
/// utilities.
pub(super) fn simulation_summary(summary: &Summary) -> Markup {
    let rate = summary.agreement_rate;
    let rounds = summary.rounds.as_ref();
    html! {
        section #summary-section {
            h2 { (summary.runs) " runs: agreements in " (format!("{:.1}", rate * 100.0)) "%" }
            dl.facts {
                dt { "Parties" } dd { (shown(&summary.parties.join(", "))) }
                dt { "Rounds" }
                dd {
                    "mean " (figure(rounds.map(|rounds| rounds.mean))) ", from "
                    (figure(rounds.map(|rounds| f64::from(rounds.min)))) " to "
                    (figure(rounds.map(|rounds| f64::from(rounds.max))))
                }
                dt { "Runs with no agreement possible" } dd { (summary.runs_without_possible_agreement) }
                dt { "Distance to the Pareto frontier" } dd { (figure(summary.pareto_distance)) }
                dt { "to the Nash point" } dd { (figure(summary.nash_distance)) }
                dt { "to the Kalai-Smorodinsky point" } dd { (figure(summary.kalai_smorodinsky_distance)) }
                dt { "to the maximum-welfare point" } dd { (figure(summary.max_welfare_distance)) }
                dt { "Captives released" } dd { (summary.releases) }
            }
            (super::drawing::agreement_rate_bar(rate))
            table #utilities {
                thead { tr {
                    th scope="col" { "Party" } th scope="col" { "Mean utility" } th scope="col" { "SD" }
                    th scope="col" { "Median" } th scope="col" { "Min" } th scope="col" { "Max" }
                } }
                tbody {
                    @for (index, utility) in summary.utilities.iter().enumerate() {
                        tr {
                            th scope="row" { (shown(summary.parties.get(index).map_or("", String::as_str))) }
                            td { (figure(Some(utility.mean))) } td { (figure(Some(utility.sd))) }
                            td { (figure(Some(utility.median))) } td { (figure(Some(utility.min))) }
                            td { (figure(Some(utility.max))) }
                        }
                    }
                }
            }
        }
    }
}

/// A tournament's ranking: bars of mean utility, then every figure in a table, then the
/// tests between strategies and each domain's ranking.
pub(super) fn tournament_section(tournament: &Tournament) -> Markup {
    const COLUMNS: &[&str] = &[
        "Mean utility",
        "95% CI",
        "SD",
        "Agreements",
        "Welfare",
        "Rounds",
        "To Pareto",
        "To Nash",
        "To K-S",
        "To max welfare",
        "Runs",
    ];
    let interval = |bounds: Option<[f64; 2]>| {
        bounds.map_or("–".to_string(), |[low, high]| {
            format!("{} – {}", figure(Some(low)), figure(Some(high)))
        })
    };
    let probability = |p: Option<f64>| match p {
        None => "–".to_string(),
        Some(p) if p > 0.0 && p < 0.0001 => "< 0.0001".to_string(),
        Some(p) => figure(Some(p)),
    };
    html! {
        section #ranking-section {
            h2 {
                "Ranking: " (tournament.strategies.len()) " strategies, " (tournament.assignments)
                " assignments, " (tournament.total_runs) " runs"
            }
            (super::drawing::ranking_bars(&tournament.ranking))
            table #ranking {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { "Strategy" }
                    @for label in COLUMNS { th scope="col" { (label) } }
                } }
                tbody {
                    @for (index, row) in tournament.ranking.iter().enumerate() {
                        tr {
                            td { (index + 1) }
                            th scope="row" { (shown(&row.strategy)) }
                            td { (figure(Some(row.utility_mean))) }
                            td { (interval(row.utility_ci95)) }
                            @for value in [
                                Some(row.utility_sd), Some(row.agreement_rate),
                                Some(row.welfare_mean), row.rounds_mean, row.pareto_distance_mean,
                                row.nash_distance_mean, row.kalai_smorodinsky_distance_mean,
                                row.max_welfare_distance_mean,
                            ] {
                                td { (figure(value)) }
                            }
                            td { (row.runs) }
                        }
                    }
                }
            }
            @if !tournament.pairwise.is_empty() {
                h3 { "Differences of mean utility (Welch's t-test, Holm-adjusted, 5%)" }
                table #pairwise {
                    thead { tr {
                        th scope="col" { "Strategy" } th scope="col" { "Against" }
                        th scope="col" { "Difference" } th scope="col" { "p" }
                        th scope="col" { "p (Holm)" } th scope="col" { "Significant" }
                    } }
                    tbody {
                        @for test in &tournament.pairwise {
                            tr {
                                th scope="row" { (shown(&test.first)) }
                                td { (shown(&test.second)) }
                                td { (figure(Some(test.difference))) }
                                td { (probability(test.p)) }
                                td { (probability(test.p_holm)) }
                                td { (if test.significant { "yes" } else { "no" }) }
                            }
                        }
                    }
                }
            }
            @if tournament.per_domain.len() > 1 {
                h3 { "Per domain" }
                @for domain in &tournament.per_domain {
                    table.per-domain {
                        caption { (shown(&domain.domain)) }
                        thead { tr {
                            th scope="col" { "#" } th scope="col" { "Strategy" }
                            th scope="col" { "Mean utility" } th scope="col" { "95% CI" }
                            th scope="col" { "Agreements" } th scope="col" { "Runs" }
                        } }
                        tbody {
                            @for (index, row) in domain.ranking.iter().enumerate() {
                                tr {
                                    td { (index + 1) }
                                    th scope="row" { (shown(&row.strategy)) }
                                    td { (figure(Some(row.utility_mean))) }
                                    td { (interval(row.utility_ci95)) }
                                    td { (figure(Some(row.agreement_rate))) }
                                    td { (row.runs) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
