//! The page's SVG drawings, as markup: the timeline's lanes and marks, the proposals' spans,
//! the custody chart, and a result's agreement bar, histogram, scatter and ranking bars.
//! Every value reaches the markup through maud, which escapes it; text from a log passes
//! through `shown` first, so that no control or bidirectional character acts on the page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use maud::{Markup, html};

use super::ReportedEvent;
use super::axis::{AXIS_HEIGHT, LANE_HEIGHT, LEFT, RIGHT, TimeAxis, WIDTH, seconds};
use super::fold::{Drawn, Lifecycle, family, total};
use crate::format::event::Event;
use crate::format::ids::Slug;
use crate::results::{AnalysisJson, PointJson, RunRow, StrategyRanking};

/// The most proposals drawn as spans; the rest are counted.
pub const MAX_PROPOSAL_ROWS: usize = 200;

/// The most agreements drawn on the scatter; past it, every k-th in run order.
pub const MAX_SCATTER_POINTS: usize = 5_000;

/// The stretches of time an aggregated timeline is cut into.
const AGGREGATE_BINS: usize = 240;

/// Text from a log or a result as the page shows it: controls and bidirectional overrides
/// written visibly, as on a terminal (`views::text::printable`); maud escapes the rest.
pub(super) fn shown(text: &str) -> String {
    crate::views::text::printable(text).into_owned()
}

/// A coordinate to a tenth of a unit.
pub(super) fn tenth(value: f64) -> String {
    format!("{value:.1}")
}

/// A coordinate to the unit.
fn unit(value: f64) -> String {
    format!("{value:.0}")
}

/// The vertical grid lines and labels of the time axis, and the line the slider moves
/// (under the marks drawn after it).
fn axis_lines(axis: &TimeAxis, label_y: f64, bottom: f64) -> Markup {
    html! {
        line.now x1="0" x2="0" y1="0" y2="0" visibility="hidden" {}
        g.axis {
            @for (x, label) in axis.ticks() {
                line x1=(tenth(x)) x2=(tenth(x)) y1=(tenth(label_y + 4.0)) y2=(tenth(bottom)) {}
                text x=(tenth(x)) y=(tenth(label_y)) { (label) }
            }
        }
    }
}

/// An event's mark: its family's shape, centred on (x, y).
fn mark_shape(family: &str, x: f64, y: f64) -> Markup {
    match family {
        "statement" => html! {
            rect x=(tenth(x - 4.5)) y=(tenth(y - 4.5)) width="9" height="9" {}
        },
        "agreement" => html! {
            path d=(format!(
                "M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z",
                y - 6.5, x + 6.5, y + 6.5, x - 6.5
            )) {}
        },
        "release" => html! {
            path d=(format!(
                "M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z",
                y - 6.0, x + 6.0, y + 5.0, x - 6.0, y + 5.0
            )) {}
        },
        "setup" => html! { circle cx=(tenth(x)) cy=(tenth(y)) r="3.5" {} },
        _ => html! { circle cx=(tenth(x)) cy=(tenth(y)) r="5" {} },
    }
}

/// Where the timeline's marks go: the lanes, which lane an event is in, and the axis.
pub(super) struct Lanes<'a> {
    /// (party id, label), the joint lane last with an empty id.
    pub(super) lanes: &'a [(String, String)],
    pub(super) lane_of: &'a dyn Fn(&Event) -> usize,
    pub(super) axis: &'a TimeAxis,
}

/// Who moved when: one lane per party along world time, a mark per event (or, past
/// `MAX_MARKS`, per lane, family and stretch of time).
pub(super) fn timeline(
    events: &[ReportedEvent],
    drawn: &Drawn,
    lanes: &Lanes<'_>,
    aggregated: bool,
) -> Markup {
    let height = AXIS_HEIGHT + LANE_HEIGHT * lanes.lanes.len() as f64 + 8.0;
    let hint = if aggregated {
        format!(
            "The log has {} events: each mark stands for the events of one lane and family in one stretch of time, and its size grows with their number.",
            drawn.applied.len()
        )
    } else {
        "Each mark is one event; its shape and colour say its family.".to_string()
    };
    html! {
        section #timeline-section {
            h2 { "Who moved when" }
            p.hint {
                "One lane per party, along world time (a burst of events on one day is spread out: the axis is not to scale there). "
                (hint)
            }
            svg #timeline viewBox=(format!("0 0 {WIDTH} {height:.0}")) role="group" aria-label="Timeline of events by party" {
                (axis_lines(lanes.axis, AXIS_HEIGHT - 8.0, height))
                @for (index, (_, label)) in lanes.lanes.iter().enumerate() {
                    @let y = AXIS_HEIGHT + LANE_HEIGHT * index as f64;
                    g.lane data-lane=(index) {
                        rect.lane-band x="0" y=(tenth(y)) width=(WIDTH) height=(LANE_HEIGHT) {}
                        text.lane-name x="6" y=(tenth(y + LANE_HEIGHT / 2.0 + 4.0)) { (shown(label)) }
                    }
                }
                @if aggregated {
                    (aggregated_marks(events, drawn, lanes))
                } @else {
                    (event_marks(events, drawn, lanes))
                }
            }
        }
    }
}

/// One mark per event; events at one moment in one lane are stacked, so that none hides
/// another.
fn event_marks(events: &[ReportedEvent], drawn: &Drawn, lanes: &Lanes<'_>) -> Markup {
    let mut stacked: BTreeMap<(usize, i64), usize> = BTreeMap::new();
    html! {
        @for &index in &drawn.applied {
            @let event = &events[index].event;
            @let lane = (lanes.lane_of)(event);
            @let moment = seconds(&event.occurred);
            @let nth = {
                let nth = stacked.entry((lane, moment)).or_insert(0);
                *nth += 1;
                *nth - 1
            };
            @let offset = [0.0, -8.0, 8.0, -4.0, 4.0][nth % 5];
            @let family = family(&event.data);
            @let x = lanes.axis.x(moment);
            @let y = AXIS_HEIGHT + LANE_HEIGHT * lane as f64 + LANE_HEIGHT / 2.0 + offset;
            @let text = shown(&crate::views::describe::describe(&event.data));
            @let occurred = shown(event.occurred.as_str());
            g class=(format!("mark f-{family}")) data-seq=(event.seq) data-lane=(lane)
                data-family=(family) data-t=(moment) tabindex="0" role="button"
                aria-label=(format!("line {}, {occurred}: {text}", event.seq)) {
                title { (occurred) " line " (event.seq) ": " (text) }
                (mark_shape(family, x, y))
            }
        }
    }
}

struct AggregateMark {
    lane: usize,
    family: &'static str,
    x: f64,
    moment: i64,
    count: u64,
    first_seq: u64,
    last_seq: u64,
}

/// One mark per lane, family and stretch of the axis, in seq order within it; its size
/// grows with the events it stands for.
fn aggregated_marks(events: &[ReportedEvent], drawn: &Drawn, lanes: &Lanes<'_>) -> Markup {
    html! {
        @for mark in aggregate(events, drawn, lanes) {
            @let y = AXIS_HEIGHT + LANE_HEIGHT * mark.lane as f64 + LANE_HEIGHT / 2.0;
            @let size = (3.0 + (mark.count as f64).log2() * 1.5).min(LANE_HEIGHT / 2.0 - 1.0);
            g class=(format!("mark f-{}", mark.family)) data-lane=(mark.lane)
                data-family=(mark.family) data-t=(mark.moment) data-count=(mark.count)
                data-first-seq=(mark.first_seq) data-last-seq=(mark.last_seq) tabindex="0"
                role="button"
                aria-label=(format!("{} events, lines {} to {}", mark.count, mark.first_seq, mark.last_seq)) {
                title {
                    (format!("{} {} events, lines {} to {}", mark.count, mark.family, mark.first_seq, mark.last_seq))
                }
                circle cx=(tenth(mark.x)) cy=(tenth(y)) r=(tenth(size)) {}
            }
        }
    }
}

fn aggregate(events: &[ReportedEvent], drawn: &Drawn, lanes: &Lanes<'_>) -> Vec<AggregateMark> {
    let inner = WIDTH - LEFT - RIGHT;
    let mut marks: BTreeMap<(usize, usize, &'static str), AggregateMark> = BTreeMap::new();
    for &index in &drawn.applied {
        let event = &events[index].event;
        let moment = seconds(&event.occurred);
        let x = lanes.axis.x(moment);
        let bin = (((x - LEFT) / inner * AGGREGATE_BINS as f64) as usize).min(AGGREGATE_BINS - 1);
        let lane = (lanes.lane_of)(event);
        let family = family(&event.data);
        let mark = marks.entry((lane, bin, family)).or_insert(AggregateMark {
            lane,
            family,
            x: LEFT + (bin as f64 + 0.5) / AGGREGATE_BINS as f64 * inner,
            moment,
            count: 0,
            first_seq: event.seq,
            last_seq: event.seq,
        });
        mark.count += 1;
        mark.first_seq = mark.first_seq.min(event.seq);
        mark.last_seq = mark.last_seq.max(event.seq);
    }
    marks.into_values().collect()
}

/// Each proposal as a span from the event that made it to the one that closed it (or the
/// axis's end), the first `MAX_PROPOSAL_ROWS` by name.
pub(super) fn proposals(drawn: &Drawn, axis: &TimeAxis) -> Markup {
    let end = axis.end(LEFT);
    let rows: Vec<(&Slug, &Lifecycle)> = drawn.proposals.iter().take(MAX_PROPOSAL_ROWS).collect();
    let row_height = 22.0;
    let height = AXIS_HEIGHT + row_height * rows.len() as f64 + 6.0;
    html! {
        section #proposals-section {
            h2 { "Proposals, from made to closed" }
            @if drawn.proposals.is_empty() {
                p { "No proposal was made." }
            } @else {
                svg #proposals viewBox=(format!("0 0 {WIDTH} {height:.0}")) role="group" aria-label="Proposals as spans" {
                    (axis_lines(axis, AXIS_HEIGHT - 8.0, height))
                    @for (row, (id, lifecycle)) in rows.iter().enumerate() {
                        @let y = AXIS_HEIGHT + row_height * row as f64;
                        @let start = axis.x(lifecycle.made);
                        @let (stop, outcome) = match lifecycle.closed {
                            Some((moment, _, outcome)) => (axis.x(moment), outcome),
                            None => (end, "open"),
                        };
                        g class=(format!("span o-{outcome}")) data-proposal=(id.as_str())
                            data-made-seq=(lifecycle.made_seq)
                            data-closed-seq=[lifecycle.closed.map(|(_, seq, _)| seq)] {
                            title { (id.as_str()) " by " (lifecycle.by.as_str()) ": " (outcome) }
                            rect x=(tenth(start)) y=(tenth(y + 4.0)) width=(tenth((stop - start).max(3.0))) height="12" rx="3" {}
                            text.span-name x="6" y=(tenth(y + 14.0)) { (id.as_str()) }
                            text.span-outcome x=(tenth((stop + 5.0).min(WIDTH - 40.0))) y=(tenth(y + 14.0)) { (outcome) }
                        }
                    }
                }
                @if drawn.proposals.len() > rows.len() {
                    p.hint {
                        (format!(
                            "{} more proposals are not drawn (the first {} by name are).",
                            drawn.proposals.len() - rows.len(),
                            rows.len()
                        ))
                    }
                }
            }
        }
    }
}

/// Captives held by each side of each other over time, a step line per pair.
pub(super) fn custody_chart(drawn: &Drawn, axis: &TimeAxis) -> Markup {
    let series = drawn.custody_series();
    let top = series
        .values()
        .flat_map(|points| points.iter().map(|(_, counts)| total(counts)))
        .max()
        .unwrap_or(0)
        .max(1);
    let chart_height = 180.0;
    let height = AXIS_HEIGHT + chart_height + 10.0;
    let y_of = |count: u64| AXIS_HEIGHT + chart_height - count as f64 / top as f64 * chart_height;
    let end = axis.end(WIDTH - RIGHT);
    html! {
        section #custody-section {
            h2 { "Custody over time" }
            @if series.is_empty() {
                p { "No detention or release was recorded." }
            } @else {
                svg #custody viewBox=(format!("0 0 {WIDTH} {height:.0}")) role="img" aria-label="Captives held by each side over time" {
                    (axis_lines(axis, AXIS_HEIGHT - 8.0, height - 10.0))
                    g.scale {
                        text x=(tenth(LEFT - 8.0)) y=(tenth(y_of(top) + 4.0)) { (top) }
                        text x=(tenth(LEFT - 8.0)) y=(tenth(y_of(0) + 4.0)) { "0" }
                    }
                    @for (index, ((holder, of), points)) in series.iter().enumerate() {
                        @let last = points.last().map(|(_, counts)| *counts).unwrap_or_default();
                        g class=(format!("series s-{}", index % 6)) data-holder=(holder.as_str()) data-of=(of.as_str()) {
                            title {
                                (format!(
                                    "held by {holder} of {of}: {} now ({} combatants, {} civilians, {} remains)",
                                    total(&last), last.combatant, last.civilian, last.remains
                                ))
                            }
                            path d=(step_path(points, axis, &y_of, end)) {}
                            text x="6" y=(tenth(AXIS_HEIGHT + 14.0 + 16.0 * index as f64)) {
                                (holder.as_str()) " holds " (of.as_str())
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A step line through a custody series, from 0 before its first point to the axis's end.
fn step_path(
    points: &[(i64, crate::fold::state::Counts)],
    axis: &TimeAxis,
    y_of: &dyn Fn(u64) -> f64,
    end: f64,
) -> String {
    let mut path = String::new();
    let mut previous_y = y_of(0);
    for (n, (moment, counts)) in points.iter().enumerate() {
        let x = axis.x(*moment);
        let y = y_of(total(counts));
        if n == 0 {
            let _ = write!(path, "M{x:.1} {previous_y:.1}");
        }
        let _ = write!(path, "L{x:.1} {previous_y:.1}L{x:.1} {y:.1}");
        previous_y = y;
    }
    let _ = write!(path, "L{end:.1} {previous_y:.1}");
    path
}

/// A batch's agreement rate as one bar across the page.
pub(super) fn agreement_rate_bar(rate: f64) -> Markup {
    let percent = format!("{:.1}", rate * 100.0);
    html! {
        svg #agreement-rate viewBox=(format!("0 0 {WIDTH} 34")) role="img" aria-label=(format!("Agreement rate {percent}%")) {
            rect.lane-band x="0" y="6" width=(WIDTH) height="20" {}
            rect.bar x="0" y="6" width=(tenth(rate.clamp(0.0, 1.0) * WIDTH)) height="20" {}
            text.lane-name x="6" y="20" { "agreements " (percent) "%" }
        }
    }
}

/// The rounds the runs took to end, in at most 30 bins.
pub(super) fn rounds_histogram(runs: &[RunRow]) -> Markup {
    let rounds: Vec<u64> = runs.iter().map(|run| u64::from(run.round)).collect();
    let (Some(&low), Some(&high)) = (rounds.iter().min(), rounds.iter().max()) else {
        return html! {};
    };
    const BINS: u64 = 30;
    let width = (high - low) / BINS + 1;
    let mut counts = vec![0u64; ((high - low) / width + 1) as usize];
    for round in &rounds {
        counts[((round - low) / width) as usize] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1);
    let (height, inner) = (160.0, WIDTH - LEFT - RIGHT);
    let bar = inner / counts.len() as f64;
    html! {
        section #rounds-section {
            h2 { "Rounds to the end, over " (rounds.len()) " runs" }
            svg #rounds viewBox=(format!("0 0 {WIDTH} {:.0}", height + 30.0)) role="img" aria-label="Histogram of rounds" {
                @for (index, count) in counts.iter().enumerate() {
                    @let h = *count as f64 / top as f64 * height;
                    @let from = low + index as u64 * width;
                    rect.bar x=(tenth(LEFT + bar * index as f64)) y=(tenth(height - h + 4.0)) width=(tenth((bar - 1.0).max(0.5))) height=(tenth(h)) {
                        title { "rounds " (from) " to " (from + width - 1) ": " (count) " runs" }
                    }
                }
                g.axis {
                    text x=(LEFT) y=(unit(height + 20.0)) { (low) }
                    text x=(unit(WIDTH - RIGHT)) y=(unit(height + 20.0)) { (high) }
                }
                g.scale { text x=(unit(LEFT - 8.0)) y="14" { (top) } }
            }
        }
    }
}

/// Where the scatter puts a pair of utilities.
struct ScatterFrame {
    size: f64,
    left: f64,
    top: f64,
}

impl ScatterFrame {
    fn at(&self, u: f64, v: f64) -> (f64, f64) {
        (
            self.left + u.clamp(0.0, 1.0) * self.size,
            self.top + (1.0 - v.clamp(0.0, 1.0)) * self.size,
        )
    }
}

/// The agreements of the first two parties against the Pareto frontier, with the Nash and
/// Kalai-Smorodinsky points when the analysis is given.
pub(super) fn scatter(
    parties: &[String],
    runs: &[RunRow],
    analysis: Option<&AnalysisJson>,
) -> Markup {
    let (Some(first), Some(second)) = (parties.first(), parties.get(1)) else {
        return html! {};
    };
    let frame = ScatterFrame {
        size: 420.0,
        left: 50.0,
        top: 10.0,
    };
    let (size, left, top) = (frame.size, frame.left, frame.top);
    let agreements: Vec<(f64, f64)> = runs
        .iter()
        .filter(|run| run.agreement)
        .filter_map(|run| Some((*run.utilities.get(first)?, *run.utilities.get(second)?)))
        .collect();
    let every = agreements.len().div_ceil(MAX_SCATTER_POINTS).max(1);
    html! {
        section #scatter-section {
            h2 { "Agreements against the Pareto frontier" }
            p.hint {
                (shown(first)) " utility across, " (shown(second)) " up"
                @if parties.len() > 2 { " (the other parties are not shown)" }
                "."
                (scatter_hint(runs.is_empty(), analysis.is_none()))
            }
            svg #scatter viewBox=(format!("0 0 {:.0} {:.0}", left + size + 20.0, top + size + 40.0)) style="max-width:520px" role="img" aria-label="Agreements' utilities" {
                rect.lane-band x=(left) y=(top) width=(size) height=(size) {}
                g.axis {
                    text x=(left) y=(unit(top + size + 14.0)) { "0" }
                    text x=(unit(left + size)) y=(unit(top + size + 14.0)) { "1" }
                    text x=(unit(left + size / 2.0)) y=(unit(top + size + 30.0)) { (shown(first)) }
                }
                g.scale {
                    text x=(unit(left - 6.0)) y=(unit(top + 8.0)) { "1" }
                    text x=(unit(left - 6.0)) y=(unit(top + size / 2.0)) { (shown(second)) }
                }
                @for (u, v) in agreements.iter().step_by(every) {
                    @let (x, y) = frame.at(*u, *v);
                    circle.agreement-point cx=(tenth(x)) cy=(tenth(y)) r="3" {}
                }
                @if let Some(analysis) = analysis {
                    (scatter_analysis(analysis, &frame))
                }
            }
            p.hint {
                (agreements.len()) " agreements"
                @if every > 1 { ", every " (every) "th drawn" }
                "."
            }
        }
    }
}

/// What the scatter's reader could give for more: the runs, the analysis, or both.
fn scatter_hint(no_runs: bool, no_analysis: bool) -> Markup {
    html! {
        @match (no_runs, no_analysis) {
            (true, true) => {
                " Give " code { "--per-run RUNS.jsonl" } " (written by " code { "simulate --per-run" }
                ") for the agreements and " code { "--analysis FILE.json" } " (" code { "analyze --frontier --json" }
                ") for the frontier and its points."
            }
            (true, false) => { " Give " code { "--per-run RUNS.jsonl" } " for the agreements." }
            (false, true) => {
                " Give " code { "--analysis FILE.json" } " (" code { "analyze --frontier --json" }
                ") for the frontier and its points."
            }
            (false, false) => {}
        }
    }
}

/// The analysis on the scatter: the Pareto frontier as a line, the Nash and
/// Kalai-Smorodinsky points marked.
fn scatter_analysis(analysis: &AnalysisJson, frame: &ScatterFrame) -> Markup {
    let pair = |point: &PointJson| Some((*point.utilities.first()?, *point.utilities.get(1)?));
    let mut frontier: Vec<(f64, f64)> = analysis
        .frontier
        .iter()
        .flatten()
        .filter_map(pair)
        .collect();
    frontier.sort_by(|a, b| a.0.total_cmp(&b.0));
    let path: Vec<String> = frontier
        .iter()
        .map(|(u, v)| {
            let (x, y) = frame.at(*u, *v);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let points = [
        ("nash", "Nash", analysis.nash.as_ref()),
        (
            "kalai_smorodinsky",
            "Kalai-Smorodinsky",
            analysis.kalai_smorodinsky.as_ref(),
        ),
    ];
    html! {
        @if !frontier.is_empty() {
            polyline.frontier points=(path.join(" ")) {
                title { "the Pareto frontier (" (frontier.len()) " outcomes)" }
            }
        }
        @for (key, label, point) in points {
            @if let Some((u, v)) = point.and_then(pair) {
                @let (x, y) = frame.at(u, v);
                g class=(format!("point p-{key}")) {
                    title { (format!("the {label} point ({u:.4}, {v:.4})")) }
                    rect x=(tenth(x - 5.0)) y=(tenth(y - 5.0)) width="10" height="10" {}
                    text x=(tenth(x + 8.0)) y=(tenth(y - 8.0)) { (label) }
                }
            }
        }
    }
}

/// Each strategy's mean utility as a bar, best first.
pub(super) fn ranking_bars(ranking: &[StrategyRanking]) -> Markup {
    let top = ranking
        .iter()
        .map(|row| row.utility_mean)
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let room = WIDTH - LEFT - RIGHT - 60.0;
    html! {
        svg #ranking-bars viewBox=(format!("0 0 {WIDTH} {:.0}", ranking.len() as f64 * 24.0 + 6.0)) role="img" aria-label="Mean utility per strategy" {
            @for (index, row) in ranking.iter().enumerate() {
                @let mean = row.utility_mean;
                @let y = 4.0 + index as f64 * 24.0;
                g.ranked {
                    text.lane-name x="6" y=(tenth(y + 13.0)) { (shown(&row.strategy)) }
                    rect.bar x=(LEFT) y=(tenth(y)) width=(tenth(mean / top * room)) height="18" {}
                    text.lane-name x=(tenth(LEFT + mean / top * room + 6.0)) y=(tenth(y + 13.0)) { (format!("{mean:.4}")) }
                }
            }
        }
    }
}
