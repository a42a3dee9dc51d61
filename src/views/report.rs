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

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::fold::application_order_of;
use crate::fold::state::{Counts, Folded, ProposalStatus, StateDocument};
use crate::format::event::{Event, EventData};
use crate::format::ids::{Hash, Slug};
use crate::format::time::Timestamp;

/// The most events drawn one mark each; past it, marks aggregate.
pub const MAX_MARKS: usize = 2_000;

/// The most proposals drawn as spans; the rest are counted.
pub const MAX_PROPOSAL_ROWS: usize = 200;

/// The most points of the custody chart per pair of sides; past it, the last point of each
/// stretch of time is kept.
pub const MAX_CUSTODY_POINTS: usize = 1_000;

/// The stretches of time an aggregated timeline is cut into.
const AGGREGATE_BINS: usize = 240;

/// Width of the drawing area in SVG units (the page scales it to the window).
const WIDTH: f64 = 1000.0;
/// Left margin for the lanes' names.
const LEFT: f64 = 170.0;
/// Right margin.
const RIGHT: f64 = 20.0;
const LANE_HEIGHT: f64 = 30.0;
const AXIS_HEIGHT: f64 = 28.0;
/// The lane of events that belong to no one party (issues, joint signatures, provisions).
const JOINT_LANE: &str = "joint / general";

/// An event as the report receives it: the event and the hash of its line.
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

/// The family an event is coloured by.
fn family(data: &EventData) -> &'static str {
    match data {
        EventData::PartyJoined(_) | EventData::IssueRaised(_) => "setup",
        EventData::ProposalMade(_)
        | EventData::ProposalAccepted(_)
        | EventData::ProposalRejected(_)
        | EventData::ProposalWithdrawn(_) => "proposal",
        EventData::StatementMade(_) => "statement",
        EventData::AgreementSigned(_)
        | EventData::ProvisionUpdated(_)
        | EventData::AgreementTerminated(_) => "agreement",
        EventData::DetentionReported(_) | EventData::ReleaseMade(_) => "release",
    }
}

const FAMILIES: &[(&str, &str)] = &[
    ("proposal", "proposals"),
    ("statement", "statements"),
    ("agreement", "agreements and provisions"),
    ("release", "releases and detentions"),
    ("setup", "parties and issues"),
];

/// The party whose lane an event is drawn in; `None` for the joint lane.
fn actor(data: &EventData) -> Option<&Slug> {
    match data {
        EventData::PartyJoined(joined) => Some(&joined.party),
        EventData::ProposalMade(made) => Some(&made.by),
        EventData::ProposalAccepted(act) | EventData::ProposalWithdrawn(act) => Some(&act.by),
        EventData::ProposalRejected(rejected) => Some(&rejected.by),
        EventData::StatementMade(statement) => Some(&statement.by),
        EventData::AgreementTerminated(terminated) => terminated.by.as_ref(),
        EventData::DetentionReported(reported) => Some(&reported.holder),
        EventData::ReleaseMade(release) => Some(&release.by),
        EventData::IssueRaised(_)
        | EventData::AgreementSigned(_)
        | EventData::ProvisionUpdated(_) => None,
    }
}

/// Text made safe for HTML content and attribute values: the characters that would act on
/// the page's display (controls, bidirectional overrides and isolates) are written visibly
/// as on a terminal (`views::text::printable`), then the markup characters escaped.
pub fn escape(text: &str) -> String {
    let shown = super::text::printable(text);
    let mut escaped = String::with_capacity(shown.len());
    for character in shown.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            character => escaped.push(character),
        }
    }
    escaped
}

/// JSON made safe inside a `<script>` element: no `</script>` or `<!--` can form.
fn script_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .expect("a JSON value serialises")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Seconds since the epoch, for positions and the script.
fn seconds(time: &Timestamp) -> i64 {
    time.instant().timestamp()
}

/// World time to horizontal position: piecewise linear through the distinct moments of the
/// events, each gap between them given room by the logarithm of its length.
struct TimeAxis {
    /// (seconds, x), ascending in both.
    knots: Vec<(i64, f64)>,
}

impl TimeAxis {
    fn new(moments: &[i64]) -> TimeAxis {
        let mut distinct: Vec<i64> = moments.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let inner = WIDTH - LEFT - RIGHT;
        let Some(&first) = distinct.first() else {
            return TimeAxis { knots: Vec::new() };
        };
        if distinct.len() == 1 {
            return TimeAxis {
                knots: vec![(first, LEFT + inner / 2.0)],
            };
        }
        // Each gap between two moments gets room growing with the logarithm of its length:
        // years of quiet take a few times the room of an hour, so that a log spanning
        // decades with bursts on single days shows both.
        let mut xs = Vec::with_capacity(distinct.len());
        let mut x = 0.0;
        xs.push(x);
        for pair in distinct.windows(2) {
            let hours = (pair[1] - pair[0]) as f64 / 3600.0;
            x += 1.0 + (1.0 + hours).ln();
            xs.push(x);
        }
        let widest = x.max(f64::MIN_POSITIVE);
        TimeAxis {
            knots: distinct
                .into_iter()
                .zip(xs)
                .map(|(moment, x)| (moment, LEFT + x / widest * inner))
                .collect(),
        }
    }

    fn x(&self, moment: i64) -> f64 {
        let index = self.knots.partition_point(|(knot, _)| *knot < moment);
        match (
            index.checked_sub(1).map(|i| self.knots[i]),
            self.knots.get(index),
        ) {
            (_, Some(&(knot, x))) if knot == moment => x,
            (Some((t0, x0)), Some(&(t1, x1))) => {
                x0 + (x1 - x0) * (moment - t0) as f64 / (t1 - t0) as f64
            }
            (Some((_, x0)), None) => x0,
            (None, Some(&(_, x1))) => x1,
            (None, None) => LEFT,
        }
    }

    /// Ticks at the first moment of each day that has events, labelled with its date,
    /// each kept where its label has room (at least 75 units after the last one kept): the
    /// axis is not to scale, so it names the days the events happened on, bursts first seen.
    fn ticks(&self) -> Vec<(f64, String)> {
        let mut ticks: Vec<(f64, String)> = Vec::new();
        let mut last_day = None;
        for &(moment, x) in &self.knots {
            let Some(time) = chrono::DateTime::from_timestamp(moment, 0) else {
                continue;
            };
            let day = time.date_naive();
            if last_day == Some(day) {
                continue;
            }
            last_day = Some(day);
            if ticks.last().is_none_or(|(last_x, _)| x - last_x >= 75.0) {
                ticks.push((x, day.format("%-d %b %Y").to_string()));
            }
        }
        ticks
    }
}

/// A proposal from the event that made it to the one that closed it.
struct Lifecycle {
    by: Slug,
    made: i64,
    made_seq: u64,
    closed: Option<(i64, u64, &'static str)>,
}

/// The page's sections, computed from the events.
struct Drawn {
    folded: Folded,
    /// Indices into the events, in application order, of those folded.
    applied: Vec<usize>,
    /// After each custody change: when, holder, of, and the counts then.
    custody: Vec<(i64, Slug, Slug, Counts)>,
    proposals: BTreeMap<Slug, Lifecycle>,
    /// The refusal the fold met, if it met one the reading did not report.
    refused: Option<String>,
}

fn fold_for_report(events: &[ReportedEvent], as_of: Option<&Timestamp>) -> Drawn {
    let order = application_order_of(events, |reported| &reported.event);
    let mut drawn = Drawn {
        folded: Folded::default(),
        applied: Vec::new(),
        custody: Vec::new(),
        proposals: BTreeMap::new(),
        refused: None,
    };
    for index in order {
        let event = &events[index].event;
        if as_of.is_some_and(|limit| event.occurred > *limit) {
            break;
        }
        if let Err(refused) = drawn.folded.apply(event) {
            drawn.refused = Some(format!(
                "line {}: {}: {}",
                refused.line, refused.rule, refused.detail
            ));
            break;
        }
        drawn.applied.push(index);
        let moment = seconds(&event.occurred);
        let mut touched: Vec<&Slug> = Vec::new();
        match &event.data {
            EventData::DetentionReported(reported) => {
                push_custody(&mut drawn, moment, &reported.holder, &reported.of);
            }
            EventData::ReleaseMade(release) => {
                push_custody(&mut drawn, moment, &release.by, &release.of);
            }
            EventData::ProposalMade(made) => {
                drawn.proposals.insert(
                    made.proposal.clone(),
                    Lifecycle {
                        by: made.by.clone(),
                        made: moment,
                        made_seq: event.seq,
                        closed: None,
                    },
                );
                touched.extend(made.supersedes.iter().chain(made.counters.iter()));
            }
            EventData::ProposalAccepted(act) | EventData::ProposalWithdrawn(act) => {
                touched.push(&act.proposal)
            }
            EventData::ProposalRejected(rejected) => touched.push(&rejected.proposal),
            _ => {}
        }
        for proposal in touched {
            let status = drawn
                .folded
                .state
                .proposals
                .get(proposal)
                .map(|proposal| proposal.status);
            if let (Some(status), Some(lifecycle)) = (status, drawn.proposals.get_mut(proposal))
                && status != ProposalStatus::Open
                && lifecycle.closed.is_none()
            {
                lifecycle.closed = Some((moment, event.seq, status.name()));
            }
        }
    }
    drawn
}

fn push_custody(drawn: &mut Drawn, moment: i64, holder: &Slug, of: &Slug) {
    let counts = drawn
        .folded
        .state
        .custody
        .get(holder)
        .and_then(|held| held.get(of))
        .cloned()
        .unwrap_or_default();
    drawn
        .custody
        .push((moment, holder.clone(), of.clone(), counts));
}

fn total(counts: &Counts) -> u64 {
    counts.combatant + counts.civilian + counts.remains
}

/// The report of a log: the whole HTML page.
pub fn log_report(input: &LogReport<'_>) -> String {
    let drawn = fold_for_report(input.events, input.as_of.as_ref());
    let events = input.events;
    let state = serde_json::from_str::<serde_json::Value>(
        &StateDocument::new(
            &drawn.folded,
            events.last().map_or(0, |last| last.event.seq),
            events.last().map_or(Hash::ZERO, |last| last.hash),
        )
        .to_json(),
    )
    .expect("the state document is JSON");

    // Lanes: parties, then mediators and observers, in the state's order; then the joint one.
    let parties = &drawn.folded.state.parties;
    let mut lanes: Vec<(String, String)> = Vec::new();
    for wanted in ["party", "mediator", "observer"] {
        for (id, party) in parties {
            let role = serde_json::to_value(party.role).ok();
            if role.as_ref().and_then(|role| role.as_str()) == Some(wanted) {
                lanes.push((id.to_string(), format!("{} ({})", party.name, id)));
            }
        }
    }
    lanes.push((String::new(), JOINT_LANE.to_string()));
    let lane_of = |event: &Event| -> usize {
        actor(&event.data)
            .and_then(|party| lanes.iter().position(|(id, _)| id == party.as_str()))
            .unwrap_or(lanes.len() - 1)
    };

    let moments: Vec<i64> = drawn
        .applied
        .iter()
        .map(|&index| seconds(&events[index].event.occurred))
        .collect();
    let axis = TimeAxis::new(&moments);
    let aggregated = drawn.applied.len() > MAX_MARKS;

    let mut page = String::with_capacity(64 * 1024 + drawn.applied.len() * 600);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(page, "<title>accord report: {}</title>", escape(input.name));
    page.push_str("<style>\n");
    page.push_str(include_str!("report.css"));
    page.push_str("</style>\n</head>\n<body data-rendered=\"0\" data-script-errors=\"0\">\n");

    header(&mut page, input, &drawn);
    controls(&mut page, &lanes, &axis);
    page.push_str("<main>\n");
    timeline(
        &mut page, events, &drawn, &lanes, &lane_of, &axis, aggregated,
    );
    proposals(&mut page, &drawn, &axis);
    custody_chart(&mut page, &drawn, &axis);
    agreements(&mut page, &state);
    event_table(&mut page, events, &drawn, &lanes, &lane_of, aggregated);
    page.push_str("</main>\n");
    page.push_str(
        "<aside id=\"details\" aria-live=\"polite\"><p>Choose a mark (click, or Tab and Enter) to see its event.</p></aside>\n",
    );
    page.push_str("<footer><p>Made by <code>accord report</code> from the log's lines alone; the page fetches nothing.</p></footer>\n");

    // The data the script needs: per event (or per aggregated mark), the custody series and
    // the proposals' spans, and the axis.
    let data = page_data(events, &drawn, &lanes, &lane_of, &axis, aggregated);
    let _ = writeln!(
        page,
        "<script type=\"application/json\" id=\"report-data\">{}</script>",
        script_json(&data)
    );
    page.push_str("<script>\n");
    page.push_str(include_str!("report.js"));
    page.push_str("</script>\n</body>\n</html>\n");
    page
}

fn header(page: &mut String, input: &LogReport<'_>, drawn: &Drawn) {
    let events = input.events;
    let _ = writeln!(
        page,
        "<header>\n<h1>{}</h1>\n<dl class=\"facts\">",
        escape(input.name)
    );
    let head = events
        .last()
        .map_or("none (the log is empty)".to_string(), |last| {
            last.hash.to_string()
        });
    let _ = writeln!(
        page,
        "<dt>Head</dt><dd><code id=\"head\">{}</code></dd>",
        escape(&head)
    );
    let _ = writeln!(
        page,
        "<dt>Events</dt><dd id=\"event-count\">{} lines read; {} folded{}</dd>",
        events.len(),
        drawn.applied.len(),
        if input.scope.is_empty() {
            String::new()
        } else {
            format!(" ({})", escape(&input.scope))
        }
    );
    let refusal = input.refusal.as_ref().or(drawn.refused.as_ref());
    match refusal {
        None => page.push_str(
            "<dt>Verification</dt><dd id=\"verification\" class=\"ok\">ok: every line checked (shape, chain, rules)</dd>\n",
        ),
        Some(refusal) => {
            let _ = writeln!(
                page,
                "<dt>Verification</dt><dd id=\"verification\" class=\"refused\">refused at {}; the events before it are shown</dd>",
                escape(refusal)
            );
        }
    }
    match &input.checkpoint {
        None => page.push_str(
            "<dt>Signed checkpoint</dt><dd id=\"checkpoint\">none kept beside the log</dd>\n",
        ),
        Some(checkpoint) => {
            let matches = match checkpoint.root_matches {
                Some(true) => "the log's first lines have this root",
                Some(false) => "the log's first lines do NOT have this root",
                None => "the log is shorter than the checkpoint",
            };
            let _ = writeln!(
                page,
                "<dt>Signed checkpoint</dt><dd id=\"checkpoint\">{} at {} lines, root <code>{}</code>, signed by {}; {matches} (signature not checked here: <code>accord verify --checkpoint --pubkey</code> checks it)</dd>",
                escape(&checkpoint.origin),
                checkpoint.size,
                checkpoint.root,
                escape(&checkpoint.signers.join(", "))
            );
        }
    }
    page.push_str("</dl>\n</header>\n");
}

fn controls(page: &mut String, lanes: &[(String, String)], axis: &TimeAxis) {
    page.push_str("<form id=\"controls\" class=\"screen-only\" aria-label=\"Filters\">\n");
    page.push_str("<fieldset><legend>Parties</legend>\n");
    for (index, (_, label)) in lanes.iter().enumerate() {
        let _ = writeln!(
            page,
            "<label><input type=\"checkbox\" name=\"lane\" value=\"{index}\" checked> {}</label>",
            escape(label)
        );
    }
    page.push_str("</fieldset>\n<fieldset><legend>Events</legend>\n");
    for (family, label) in FAMILIES {
        let _ = writeln!(
            page,
            "<label><input type=\"checkbox\" name=\"family\" value=\"{family}\" checked> <span class=\"swatch f-{family}\"></span>{label}</label>"
        );
    }
    page.push_str("</fieldset>\n<fieldset><legend>Dates</legend>\n");
    let date = |knot: Option<&(i64, f64)>| {
        knot.and_then(|(moment, _)| chrono::DateTime::from_timestamp(*moment, 0))
            .map(|moment| moment.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let (first, last) = (date(axis.knots.first()), date(axis.knots.last()));
    let _ = writeln!(
        page,
        "<label>From <input type=\"date\" name=\"from\" value=\"{first}\" min=\"{first}\" max=\"{last}\"></label>\n<label>To <input type=\"date\" name=\"to\" value=\"{last}\" min=\"{first}\" max=\"{last}\"></label>"
    );
    let moments = axis.knots.len().saturating_sub(1);
    let _ = writeln!(
        page,
        "</fieldset>\n<fieldset class=\"moment\"><legend>The state as of</legend>\n<input type=\"range\" id=\"moment\" min=\"0\" max=\"{moments}\" value=\"{moments}\" step=\"1\" aria-describedby=\"moment-shown\">\n<output id=\"moment-shown\" for=\"moment\"></output>\n<div id=\"as-of\"></div>\n</fieldset>\n</form>"
    );
}

fn mark_shape(family: &str, x: f64, y: f64) -> String {
    match family {
        "statement" => format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"9\" height=\"9\"/>",
            x - 4.5,
            y - 4.5
        ),
        "agreement" => format!(
            "<path d=\"M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z\"/>",
            y - 6.5,
            x + 6.5,
            y + 6.5,
            x - 6.5
        ),
        "release" => format!(
            "<path d=\"M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z\"/>",
            y - 6.0,
            x + 6.0,
            y + 5.0,
            x - 6.0,
            y + 5.0
        ),
        "setup" => format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\"/>"),
        _ => format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\"/>"),
    }
}

#[allow(clippy::too_many_arguments)]
fn timeline(
    page: &mut String,
    events: &[ReportedEvent],
    drawn: &Drawn,
    lanes: &[(String, String)],
    lane_of: &dyn Fn(&Event) -> usize,
    axis: &TimeAxis,
    aggregated: bool,
) {
    let height = AXIS_HEIGHT + LANE_HEIGHT * lanes.len() as f64 + 8.0;
    let _ = writeln!(
        page,
        "<section id=\"timeline-section\">\n<h2>Who moved when</h2>\n<p class=\"hint\">One lane per party, along world time (a burst of events on one day is spread out: the axis is not to scale there). {}</p>",
        if aggregated {
            format!(
                "The log has {} events: each mark stands for the events of one lane and family in one stretch of time, and its size grows with their number.",
                drawn.applied.len()
            )
        } else {
            "Each mark is one event; its shape and colour say its family.".to_string()
        }
    );
    let _ = writeln!(
        page,
        "<svg id=\"timeline\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"group\" aria-label=\"Timeline of events by party\">"
    );
    axis_lines(page, axis, AXIS_HEIGHT - 8.0, height);
    for (index, (_, label)) in lanes.iter().enumerate() {
        let y = AXIS_HEIGHT + LANE_HEIGHT * index as f64;
        let _ = writeln!(
            page,
            "<g class=\"lane\" data-lane=\"{index}\"><rect class=\"lane-band\" x=\"0\" y=\"{y:.1}\" width=\"{WIDTH}\" height=\"{LANE_HEIGHT}\"/><text class=\"lane-name\" x=\"6\" y=\"{:.1}\">{}</text></g>",
            y + LANE_HEIGHT / 2.0 + 4.0,
            escape(label)
        );
    }
    if aggregated {
        for mark in aggregate(events, drawn, lane_of, axis) {
            let y = AXIS_HEIGHT + LANE_HEIGHT * mark.lane as f64 + LANE_HEIGHT / 2.0;
            let size = (3.0 + (mark.count as f64).log2() * 1.5).min(LANE_HEIGHT / 2.0 - 1.0);
            let _ = writeln!(
                page,
                "<g class=\"mark f-{}\" data-lane=\"{}\" data-family=\"{}\" data-t=\"{}\" data-count=\"{}\" data-first-seq=\"{}\" data-last-seq=\"{}\" tabindex=\"0\" role=\"button\" aria-label=\"{} events, lines {} to {}\"><title>{} {} events, lines {} to {}</title><circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"{size:.1}\"/></g>",
                mark.family,
                mark.lane,
                mark.family,
                mark.moment,
                mark.count,
                mark.first_seq,
                mark.last_seq,
                mark.count,
                mark.first_seq,
                mark.last_seq,
                mark.count,
                mark.family,
                mark.first_seq,
                mark.last_seq,
                mark.x
            );
        }
    } else {
        // Events at one moment in one lane are stacked, so that none hides another.
        let mut stacked: BTreeMap<(usize, i64), usize> = BTreeMap::new();
        for &index in &drawn.applied {
            let reported = &events[index];
            let event = &reported.event;
            let lane = lane_of(event);
            let moment = seconds(&event.occurred);
            let nth = stacked.entry((lane, moment)).or_insert(0);
            let offset = [0.0, -8.0, 8.0, -4.0, 4.0][*nth % 5];
            *nth += 1;
            let family = family(&event.data);
            let x = axis.x(moment);
            let y = AXIS_HEIGHT + LANE_HEIGHT * lane as f64 + LANE_HEIGHT / 2.0 + offset;
            let text = super::describe::describe(&event.data);
            let _ = writeln!(
                page,
                "<g class=\"mark f-{family}\" data-seq=\"{}\" data-lane=\"{lane}\" data-family=\"{family}\" data-t=\"{moment}\" tabindex=\"0\" role=\"button\" aria-label=\"line {}, {}: {}\"><title>{} line {}: {}</title>{}</g>",
                event.seq,
                event.seq,
                escape(event.occurred.as_str()),
                escape(&text),
                escape(event.occurred.as_str()),
                event.seq,
                escape(&text),
                mark_shape(family, x, y)
            );
        }
    }
    page.push_str("</svg>\n</section>\n");
}

/// The vertical grid lines and labels of the time axis, and the line the slider moves
/// (under the marks drawn after it).
fn axis_lines(page: &mut String, axis: &TimeAxis, label_y: f64, bottom: f64) {
    page.push_str(
        "<line class=\"now\" x1=\"0\" x2=\"0\" y1=\"0\" y2=\"0\" visibility=\"hidden\"/>\n",
    );
    page.push_str("<g class=\"axis\">");
    for (x, label) in axis.ticks() {
        let _ = write!(
            page,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{bottom:.1}\"/><text x=\"{x:.1}\" y=\"{label_y:.1}\">{}</text>",
            label_y + 4.0,
            escape(&label)
        );
    }
    page.push_str("</g>\n");
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

/// One mark per lane, family and stretch of the axis, in seq order within it.
fn aggregate(
    events: &[ReportedEvent],
    drawn: &Drawn,
    lane_of: &dyn Fn(&Event) -> usize,
    axis: &TimeAxis,
) -> Vec<AggregateMark> {
    let inner = WIDTH - LEFT - RIGHT;
    let mut marks: BTreeMap<(usize, usize, &'static str), AggregateMark> = BTreeMap::new();
    for &index in &drawn.applied {
        let event = &events[index].event;
        let moment = seconds(&event.occurred);
        let x = axis.x(moment);
        let bin = (((x - LEFT) / inner * AGGREGATE_BINS as f64) as usize).min(AGGREGATE_BINS - 1);
        let lane = lane_of(event);
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

fn proposals(page: &mut String, drawn: &Drawn, axis: &TimeAxis) {
    page.push_str("<section id=\"proposals-section\">\n<h2>Proposals, from made to closed</h2>\n");
    if drawn.proposals.is_empty() {
        page.push_str("<p>No proposal was made.</p>\n</section>\n");
        return;
    }
    let end = axis.knots.last().map_or(LEFT, |(_, x)| *x);
    let rows: Vec<(&Slug, &Lifecycle)> = drawn.proposals.iter().take(MAX_PROPOSAL_ROWS).collect();
    let row_height = 22.0;
    let height = AXIS_HEIGHT + row_height * rows.len() as f64 + 6.0;
    let _ = writeln!(
        page,
        "<svg id=\"proposals\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"group\" aria-label=\"Proposals as spans\">"
    );
    axis_lines(page, axis, AXIS_HEIGHT - 8.0, height);
    for (row, (id, lifecycle)) in rows.iter().enumerate() {
        let y = AXIS_HEIGHT + row_height * row as f64;
        let start = axis.x(lifecycle.made);
        let (stop, outcome) = match lifecycle.closed {
            Some((moment, _, outcome)) => (axis.x(moment), outcome),
            None => (end, "open"),
        };
        let closed_seq = lifecycle.closed.map_or(String::new(), |(_, seq, _)| {
            format!(" data-closed-seq=\"{seq}\"")
        });
        let _ = writeln!(
            page,
            "<g class=\"span o-{outcome}\" data-proposal=\"{}\" data-made-seq=\"{}\"{closed_seq}><title>{} by {}: {outcome}</title><rect x=\"{start:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" rx=\"3\"/><text class=\"span-name\" x=\"6\" y=\"{:.1}\">{}</text><text class=\"span-outcome\" x=\"{:.1}\" y=\"{:.1}\">{outcome}</text></g>",
            escape(id.as_str()),
            lifecycle.made_seq,
            escape(id.as_str()),
            escape(lifecycle.by.as_str()),
            y + 4.0,
            (stop - start).max(3.0),
            y + 14.0,
            escape(id.as_str()),
            (stop + 5.0).min(WIDTH - 40.0),
            y + 14.0
        );
    }
    page.push_str("</svg>\n");
    if drawn.proposals.len() > rows.len() {
        let _ = writeln!(
            page,
            "<p class=\"hint\">{} more proposals are not drawn (the first {} by name are).</p>",
            drawn.proposals.len() - rows.len(),
            rows.len()
        );
    }
    page.push_str("</section>\n");
}

/// The custody series of each pair of sides, thinned to `MAX_CUSTODY_POINTS` each.
fn custody_series(drawn: &Drawn) -> BTreeMap<(Slug, Slug), Vec<(i64, Counts)>> {
    let mut series: BTreeMap<(Slug, Slug), Vec<(i64, Counts)>> = BTreeMap::new();
    for (moment, holder, of, counts) in &drawn.custody {
        let points = series.entry((holder.clone(), of.clone())).or_default();
        // One point per moment: the last change at it.
        if points.last().is_some_and(|(last, _)| last == moment) {
            points.pop();
        }
        points.push((*moment, *counts));
    }
    for points in series.values_mut() {
        if points.len() > MAX_CUSTODY_POINTS {
            let every = points.len().div_ceil(MAX_CUSTODY_POINTS);
            let last = points.len() - 1;
            *points = points
                .iter()
                .enumerate()
                .filter(|(index, _)| index % every == every - 1 || *index == last)
                .map(|(_, point)| *point)
                .collect();
        }
    }
    series
}

fn custody_chart(page: &mut String, drawn: &Drawn, axis: &TimeAxis) {
    page.push_str("<section id=\"custody-section\">\n<h2>Custody over time</h2>\n");
    let series = custody_series(drawn);
    if series.is_empty() {
        page.push_str("<p>No detention or release was recorded.</p>\n</section>\n");
        return;
    }
    let top = series
        .values()
        .flat_map(|points| points.iter().map(|(_, counts)| total(counts)))
        .max()
        .unwrap_or(0)
        .max(1);
    let chart_height = 180.0;
    let height = AXIS_HEIGHT + chart_height + 10.0;
    let y_of = |count: u64| AXIS_HEIGHT + chart_height - count as f64 / top as f64 * chart_height;
    let end = axis.knots.last().map_or(WIDTH - RIGHT, |(_, x)| *x);
    let _ = writeln!(
        page,
        "<svg id=\"custody\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" aria-label=\"Captives held by each side over time\">"
    );
    axis_lines(page, axis, AXIS_HEIGHT - 8.0, height - 10.0);
    let _ = writeln!(
        page,
        "<g class=\"scale\"><text x=\"{:.1}\" y=\"{:.1}\">{top}</text><text x=\"{:.1}\" y=\"{:.1}\">0</text></g>",
        LEFT - 8.0,
        y_of(top) + 4.0,
        LEFT - 8.0,
        y_of(0) + 4.0
    );
    for (index, ((holder, of), points)) in series.iter().enumerate() {
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
        let last = points.last().map(|(_, counts)| *counts).unwrap_or_default();
        let _ = writeln!(
            page,
            "<g class=\"series s-{}\" data-holder=\"{}\" data-of=\"{}\"><title>held by {} of {}: {} now ({} combatants, {} civilians, {} remains)</title><path d=\"{path}\"/><text x=\"6\" y=\"{:.1}\">{} holds {}</text></g>",
            index % 6,
            escape(holder.as_str()),
            escape(of.as_str()),
            escape(holder.as_str()),
            escape(of.as_str()),
            total(&last),
            last.combatant,
            last.civilian,
            last.remains,
            AXIS_HEIGHT + 14.0 + 16.0 * index as f64,
            escape(holder.as_str()),
            escape(of.as_str())
        );
    }
    page.push_str("</svg>\n</section>\n");
}

fn agreements(page: &mut String, state: &serde_json::Value) {
    page.push_str(
        "<section id=\"agreements-section\">\n<h2>Agreements and their provisions</h2>\n",
    );
    let Some(agreements) = state["agreements"]
        .as_object()
        .filter(|map| !map.is_empty())
    else {
        page.push_str("<p>No agreement was signed.</p>\n</section>\n");
        return;
    };
    let text = |value: &serde_json::Value| escape(value.as_str().unwrap_or(""));
    let names = |value: &serde_json::Value| {
        let names: Vec<String> = value
            .as_array()
            .map(|names| names.iter().map(text).collect())
            .unwrap_or_default();
        names.join(", ")
    };
    for (id, agreement) in agreements {
        let _ = writeln!(
            page,
            "<article class=\"agreement\" data-agreement=\"{}\">\n<h3>{} <span class=\"status st-{}\">{}</span></h3>\n<p>Signed by {}{}.</p>",
            escape(id),
            text(&agreement["title"]),
            text(&agreement["status"]),
            text(&agreement["status"]).replace('_', " "),
            names(&agreement["signatories"]),
            match names(&agreement["witnesses"]) {
                witnesses if witnesses.is_empty() => String::new(),
                witnesses => format!(", witnessed by {witnesses}"),
            }
        );
        page.push_str("<table>\n<thead><tr><th scope=\"col\">Provision</th><th scope=\"col\">Status</th><th scope=\"col\">Allegations</th><th scope=\"col\">Contested claims</th></tr></thead>\n<tbody>\n");
        if let Some(provisions) = agreement["provisions"].as_object() {
            for (provision, terms) in provisions {
                let allegations: Vec<String> = terms["allegations"]
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .map(|allegation| {
                                format!(
                                    "<li>{} against {} (line {})</li>",
                                    text(&allegation["by"]),
                                    names(&allegation["against"]),
                                    allegation["seq"]
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let claims: Vec<String> = terms["claims"]
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .map(|claim| {
                                format!(
                                    "<li>{} {}s (line {}): {}</li>",
                                    text(&claim["by"]),
                                    text(&claim["kind"]),
                                    claim["seq"],
                                    text(&claim["text"])
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let list = |items: Vec<String>| {
                    if items.is_empty() {
                        "<span class=\"none\">none</span>".to_string()
                    } else {
                        format!("<ul>{}</ul>", items.concat())
                    }
                };
                let _ = writeln!(
                    page,
                    "<tr data-provision=\"{}\"><th scope=\"row\">{}<p class=\"terms\">{}</p><p class=\"obligated\">obliges {}</p></th><td><span class=\"status st-{}\">{}</span></td><td>{}</td><td>{}</td></tr>",
                    escape(provision),
                    escape(provision),
                    text(&terms["text"]),
                    names(&terms["obligated"]),
                    text(&terms["status"]),
                    text(&terms["status"]).replace('_', " "),
                    list(allegations),
                    list(claims)
                );
            }
        }
        page.push_str("</tbody>\n</table>\n</article>\n");
    }
    page.push_str("</section>\n");
}

/// Every event in a table, in application order: what a printed page shows in place of
/// the marks' details. Left out, and said so, past `MAX_MARKS`.
fn event_table(
    page: &mut String,
    events: &[ReportedEvent],
    drawn: &Drawn,
    lanes: &[(String, String)],
    lane_of: &dyn Fn(&Event) -> usize,
    aggregated: bool,
) {
    page.push_str(
        "<section id=\"events-section\">\n<h2>Every event, in the order it applies</h2>\n",
    );
    if aggregated {
        let _ = writeln!(
            page,
            "<p class=\"hint\">{} events are too many to list here; <code>accord history</code> and <code>accord state --as-of</code> answer for any of them.</p>\n</section>",
            drawn.applied.len()
        );
        return;
    }
    page.push_str("<table id=\"events\">\n<thead><tr><th scope=\"col\">Line</th><th scope=\"col\">Occurred</th><th scope=\"col\">Lane</th><th scope=\"col\">What</th><th scope=\"col\">Source</th></tr></thead>\n<tbody>\n");
    for &index in &drawn.applied {
        let event = &events[index].event;
        let _ = writeln!(
            page,
            "<tr class=\"f-{}\" data-row-seq=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            family(&event.data),
            event.seq,
            event.seq,
            escape(event.occurred.as_str()),
            escape(&lanes[lane_of(event)].1),
            escape(&super::describe::describe(&event.data)),
            escape(event.source.as_deref().unwrap_or(""))
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// What the script reads: the axis, the events (or aggregated marks), custody and
/// proposals.
fn page_data(
    events: &[ReportedEvent],
    drawn: &Drawn,
    lanes: &[(String, String)],
    lane_of: &dyn Fn(&Event) -> usize,
    axis: &TimeAxis,
    aggregated: bool,
) -> serde_json::Value {
    use serde_json::json;
    let knots: Vec<serde_json::Value> = axis
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
                    "lane": lane_of(event),
                    // Set as text by the script, but shown: bidirectional overrides too.
                    "text": super::text::printable(&super::describe::describe(&event.data)),
                    "source": event.source.as_deref().map(super::text::printable),
                    "hash": reported.hash,
                })
            })
            .collect()
    };
    let custody: Vec<serde_json::Value> = custody_series(drawn)
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
        .iter()
        .map(|(_, label)| super::text::printable(label).into_owned())
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

/// What the report of a simulation batch or a tournament is made from: the `--json` result,
/// and optionally the batch's `--per-run` JSON Lines and the domain's `analyze --frontier
/// --json`.
pub struct ResultReport<'a> {
    pub name: &'a str,
    pub result: &'a serde_json::Value,
    /// The runs, as `simulate --per-run FILE.jsonl` writes them.
    pub runs: &'a [serde_json::Value],
    pub analysis: Option<&'a serde_json::Value>,
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

/// Whether a batch's runs (`simulate --per-run RUNS.jsonl`) and its domain's analysis
/// (`analyze --frontier --json`) belong to the simulation `result` (`simulate --json`): the
/// runs carry the result's seed, one row for each of its runs, numbered in order, with a
/// utility for each of its parties; the analysis has a utility for each party; and the first
/// run, if it agreed, does no better than the analysis allows (more welfare than its maximum,
/// or more for every party than a point of its frontier): the analysis is of the first run's
/// preferences, which a scenario drawing preferences per run does not share with the others.
/// Why not, in words, when they do not.
pub fn inputs_belong_to_result(
    result: &serde_json::Value,
    runs: &[serde_json::Value],
    analysis: Option<&serde_json::Value>,
) -> Result<(), String> {
    if result_kind(result) != Some("simulation") {
        if !runs.is_empty() || analysis.is_some() {
            return Err(
                "--per-run and --analysis go with a simulation result, not a tournament's".into(),
            );
        }
        return Ok(());
    }
    let parties: Vec<&str> = result["parties"]
        .as_array()
        .map(|parties| {
            parties
                .iter()
                .filter_map(serde_json::Value::as_str)
                .collect()
        })
        .unwrap_or_default();
    let count = result["runs"].as_u64().unwrap_or(0);
    if !runs.is_empty() && runs.len() as u64 != count {
        return Err(format!(
            "the runs file holds {} runs and the result is of {count}: they are not the same batch",
            runs.len()
        ));
    }
    let agreements = runs_belong(result, runs, &parties)?;
    let Some(analysis) = analysis else {
        return Ok(());
    };
    analysis_belongs(analysis, &parties, &agreements)
}

/// A run may beat a figure of the analysis by a rounding of its doubles, no more.
const ROUNDING: f64 = 1e-9;

/// Whether the runs are the result's, in order (seed, run numbers, parties); the first
/// run's utilities when it agreed, which the analysis is held to.
fn runs_belong(
    result: &serde_json::Value,
    runs: &[serde_json::Value],
    parties: &[&str],
) -> Result<Vec<Vec<f64>>, String> {
    let seed = &result["seed"];
    let mut agreements: Vec<Vec<f64>> = Vec::new();
    for (index, row) in runs.iter().enumerate() {
        let line = index + 1;
        if row["seed"] != *seed {
            return Err(format!(
                "run on line {line} is of seed {}, the result of seed {seed}: they are not the same batch",
                row["seed"]
            ));
        }
        if row["run"].as_u64() != Some(line as u64) {
            return Err(format!(
                "line {line} holds run {}, not run {line}: the runs are not the result's, in order",
                row["run"]
            ));
        }
        let utilities = row["utilities"].as_object();
        let named: Vec<&str> = utilities
            .map(|utilities| utilities.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut expected = parties.to_vec();
        expected.sort_unstable();
        if named != expected {
            return Err(format!(
                "run on line {line} has utilities for {}, the result's parties are {}: they are not the same scenario",
                named.join(", "),
                parties.join(", ")
            ));
        }
        // Only the first run is held to the analysis: a scenario that draws preferences
        // for each run is analysed on the first run's draw (`analyze --seed`).
        if index == 0 && row["agreement"].as_bool() == Some(true) {
            agreements.push(
                parties
                    .iter()
                    .map(|party| utilities.and_then(|u| u[*party].as_f64()).unwrap_or(0.0))
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
    analysis: &serde_json::Value,
    parties: &[&str],
    agreements: &[Vec<f64>],
) -> Result<(), String> {
    for point in ["nash", "kalai_smorodinsky"] {
        if let Some(utilities) = analysis[point]["utilities"].as_array()
            && utilities.len() != parties.len()
        {
            return Err(format!(
                "the analysis's {point} point has {} utilities and the result {} parties: it is another domain's",
                utilities.len(),
                parties.len()
            ));
        }
    }
    if let Some(maximum) = analysis["max_welfare"].as_f64()
        && let Some(agreement) = agreements
            .iter()
            .find(|agreement| agreement.iter().sum::<f64>() > maximum + ROUNDING)
    {
        return Err(format!(
            "an agreed run has welfare {}, more than the analysis's maximum {maximum}: the analysis is another domain's",
            agreement.iter().sum::<f64>()
        ));
    }
    if let Some(frontier) = analysis["frontier"].as_array() {
        for point in frontier {
            let Some(utilities) = point["utilities"].as_array() else {
                continue;
            };
            let utilities: Vec<f64> = utilities
                .iter()
                .filter_map(serde_json::Value::as_f64)
                .collect();
            if utilities.len() != parties.len() {
                return Err(format!(
                    "the analysis's frontier has points of {} utilities and the result {} parties: it is another domain's",
                    utilities.len(),
                    parties.len()
                ));
            }
            let dominated = agreements.iter().any(|agreement| {
                agreement
                    .iter()
                    .zip(&utilities)
                    .all(|(run, frontier)| *run > frontier + ROUNDING)
            });
            if dominated {
                return Err(
                    "an agreed run is better for every party than a point of the analysis's frontier: the analysis is another domain's".into(),
                );
            }
        }
    }
    Ok(())
}

/// The most agreements drawn on the scatter; past it, every k-th in run order.
pub const MAX_SCATTER_POINTS: usize = 5_000;

fn number(value: &serde_json::Value) -> String {
    match value.as_f64() {
        Some(number) if number.fract() == 0.0 && number.abs() < 1e15 => format!("{number:.0}"),
        Some(number) => format!("{number:.4}"),
        None => escape(value.as_str().unwrap_or("–")),
    }
}

/// The page of a simulation batch or a tournament: the distribution of outcomes.
pub fn result_report(input: &ResultReport<'_>) -> String {
    let result = input.result;
    let kind = result_kind(result).unwrap_or("simulation");
    let mut page = String::with_capacity(64 * 1024);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(page, "<title>accord report: {}</title>", escape(input.name));
    page.push_str("<style>\n");
    page.push_str(include_str!("report.css"));
    page.push_str("</style>\n</head>\n<body data-rendered=\"1\" data-script-errors=\"0\">\n");
    let _ = writeln!(
        page,
        "<header>\n<h1>{}</h1>\n<dl class=\"facts\">\n<dt>Result</dt><dd id=\"kind\">{kind}</dd>\n<dt>Seed</dt><dd>{}</dd>",
        escape(input.name),
        number(&result["seed"])
    );
    page.push_str("</dl>\n</header>\n<main>\n");
    if kind == "tournament" {
        tournament_section(&mut page, result);
    } else {
        simulation_summary(&mut page, result);
        if !input.runs.is_empty() {
            rounds_histogram(&mut page, input.runs);
        }
        scatter(&mut page, result, input.runs, input.analysis);
    }
    page.push_str("</main>\n<footer><p>Made by <code>accord report</code> from the result alone; the page fetches nothing.</p></footer>\n</body>\n</html>\n");
    page
}

fn simulation_summary(page: &mut String, result: &serde_json::Value) {
    let parties: Vec<String> = result["parties"]
        .as_array()
        .map(|parties| {
            parties
                .iter()
                .map(|party| escape(party.as_str().unwrap_or("?")))
                .collect()
        })
        .unwrap_or_default();
    let rate = result["agreement_rate"].as_f64().unwrap_or(0.0);
    let _ = writeln!(
        page,
        "<section id=\"summary-section\">\n<h2>{} runs: agreements in {:.1}%</h2>\n<dl class=\"facts\"><dt>Parties</dt><dd>{}</dd><dt>Rounds</dt><dd>mean {}, from {} to {}</dd><dt>Runs with no agreement possible</dt><dd>{}</dd><dt>Distance to the Pareto frontier</dt><dd>{}</dd><dt>to the Nash point</dt><dd>{}</dd><dt>to the Kalai-Smorodinsky point</dt><dd>{}</dd><dt>to the maximum-welfare point</dt><dd>{}</dd><dt>Captives released</dt><dd>{}</dd></dl>",
        number(&result["runs"]),
        rate * 100.0,
        parties.join(", "),
        number(&result["rounds"]["mean"]),
        number(&result["rounds"]["min"]),
        number(&result["rounds"]["max"]),
        number(&result["runs_without_possible_agreement"]),
        number(&result["pareto_distance"]),
        number(&result["nash_distance"]),
        number(&result["kalai_smorodinsky_distance"]),
        number(&result["max_welfare_distance"]),
        number(&result["releases"])
    );
    let _ = writeln!(
        page,
        "<svg id=\"agreement-rate\" viewBox=\"0 0 {WIDTH} 34\" role=\"img\" aria-label=\"Agreement rate {:.1}%\"><rect x=\"0\" y=\"6\" width=\"{WIDTH}\" height=\"20\" class=\"lane-band\"/><rect x=\"0\" y=\"6\" width=\"{:.1}\" height=\"20\" class=\"bar\"/><text class=\"lane-name\" x=\"6\" y=\"20\">agreements {:.1}%</text></svg>",
        rate * 100.0,
        rate.clamp(0.0, 1.0) * WIDTH,
        rate * 100.0
    );
    page.push_str("<table id=\"utilities\">\n<thead><tr><th scope=\"col\">Party</th><th scope=\"col\">Mean utility</th><th scope=\"col\">SD</th><th scope=\"col\">Median</th><th scope=\"col\">Min</th><th scope=\"col\">Max</th></tr></thead>\n<tbody>\n");
    if let Some(utilities) = result["utilities"].as_array() {
        for (index, utility) in utilities.iter().enumerate() {
            let _ = writeln!(
                page,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                parties.get(index).cloned().unwrap_or_default(),
                number(&utility["mean"]),
                number(&utility["sd"]),
                number(&utility["median"]),
                number(&utility["min"]),
                number(&utility["max"])
            );
        }
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

fn rounds_histogram(page: &mut String, runs: &[serde_json::Value]) {
    let rounds: Vec<u64> = runs
        .iter()
        .filter_map(|run| run["round"].as_u64())
        .collect();
    let (Some(&low), Some(&high)) = (rounds.iter().min(), rounds.iter().max()) else {
        return;
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
    let _ = writeln!(
        page,
        "<section id=\"rounds-section\">\n<h2>Rounds to the end, over {} runs</h2>\n<svg id=\"rounds\" viewBox=\"0 0 {WIDTH} {:.0}\" role=\"img\" aria-label=\"Histogram of rounds\">",
        rounds.len(),
        height + 30.0
    );
    for (index, count) in counts.iter().enumerate() {
        let h = *count as f64 / top as f64 * height;
        let from = low + index as u64 * width;
        let _ = writeln!(
            page,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>rounds {from} to {}: {count} runs</title></rect>",
            LEFT + bar * index as f64,
            height - h + 4.0,
            (bar - 1.0).max(0.5),
            from + width - 1
        );
    }
    let _ = writeln!(
        page,
        "<g class=\"axis\"><text x=\"{LEFT}\" y=\"{:.0}\">{low}</text><text x=\"{:.0}\" y=\"{:.0}\">{high}</text></g><g class=\"scale\"><text x=\"{:.0}\" y=\"14\">{top}</text></g>\n</svg>\n</section>",
        height + 20.0,
        WIDTH - RIGHT,
        height + 20.0,
        LEFT - 8.0
    );
}

fn scatter(
    page: &mut String,
    result: &serde_json::Value,
    runs: &[serde_json::Value],
    analysis: Option<&serde_json::Value>,
) {
    let parties: Vec<&str> = result["parties"]
        .as_array()
        .map(|parties| parties.iter().filter_map(|party| party.as_str()).collect())
        .unwrap_or_default();
    let (Some(first), Some(second)) = (parties.first(), parties.get(1)) else {
        return;
    };
    page.push_str("<section id=\"scatter-section\">\n");
    let _ = writeln!(
        page,
        "<h2>Agreements against the Pareto frontier</h2>\n<p class=\"hint\">{} utility across, {} up{}.{}</p>",
        escape(first),
        escape(second),
        if parties.len() > 2 {
            " (the other parties are not shown)"
        } else {
            ""
        },
        match (runs.is_empty(), analysis.is_none()) {
            (true, true) =>
                " Give <code>--per-run RUNS.jsonl</code> (written by <code>simulate --per-run</code>) for the agreements and <code>--analysis FILE.json</code> (<code>analyze --frontier --json</code>) for the frontier and its points.",
            (true, false) => " Give <code>--per-run RUNS.jsonl</code> for the agreements.",
            (false, true) =>
                " Give <code>--analysis FILE.json</code> (<code>analyze --frontier --json</code>) for the frontier and its points.",
            (false, false) => "",
        }
    );
    let size = 420.0;
    let (left, top) = (50.0, 10.0);
    let at = |u: f64, v: f64| {
        (
            left + u.clamp(0.0, 1.0) * size,
            top + (1.0 - v.clamp(0.0, 1.0)) * size,
        )
    };
    let _ = writeln!(
        page,
        "<svg id=\"scatter\" viewBox=\"0 0 {:.0} {:.0}\" style=\"max-width:520px\" role=\"img\" aria-label=\"Agreements' utilities\">\n<rect class=\"lane-band\" x=\"{left}\" y=\"{top}\" width=\"{size}\" height=\"{size}\"/>\n<g class=\"axis\"><text x=\"{left}\" y=\"{:.0}\">0</text><text x=\"{:.0}\" y=\"{:.0}\">1</text><text x=\"{:.0}\" y=\"{:.0}\">{}</text></g><g class=\"scale\"><text x=\"{:.0}\" y=\"{:.0}\">1</text><text x=\"{:.0}\" y=\"{:.0}\">{}</text></g>",
        left + size + 20.0,
        top + size + 40.0,
        top + size + 14.0,
        left + size,
        top + size + 14.0,
        left + size / 2.0,
        top + size + 30.0,
        escape(first),
        left - 6.0,
        top + 8.0,
        left - 6.0,
        top + size / 2.0,
        escape(second)
    );
    let utility = |run: &serde_json::Value, party: &str| run["utilities"][party].as_f64();
    let agreements: Vec<(f64, f64)> = runs
        .iter()
        .filter(|run| run["agreement"].as_bool() == Some(true))
        .filter_map(|run| Some((utility(run, first)?, utility(run, second)?)))
        .collect();
    let every = agreements.len().div_ceil(MAX_SCATTER_POINTS).max(1);
    for (u, v) in agreements.iter().step_by(every) {
        let (x, y) = at(*u, *v);
        let _ = write!(
            page,
            "<circle class=\"agreement-point\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\"/>"
        );
    }
    page.push('\n');
    if let Some(analysis) = analysis {
        scatter_analysis(page, analysis, &at);
    }
    let _ = writeln!(
        page,
        "</svg>\n<p class=\"hint\">{} agreements{}.</p>\n</section>",
        agreements.len(),
        if every > 1 {
            format!(", every {every}th drawn")
        } else {
            String::new()
        }
    );
}

/// The analysis on the scatter: the Pareto frontier as a line, the Nash and
/// Kalai-Smorodinsky points marked; `at` places a pair of utilities on the drawing.
fn scatter_analysis(
    page: &mut String,
    analysis: &serde_json::Value,
    at: &dyn Fn(f64, f64) -> (f64, f64),
) {
    let point = |value: &serde_json::Value| {
        let utilities = value["utilities"].as_array()?;
        Some((utilities.first()?.as_f64()?, utilities.get(1)?.as_f64()?))
    };
    let mut frontier: Vec<(f64, f64)> = analysis["frontier"]
        .as_array()
        .map(|points| points.iter().filter_map(point).collect())
        .unwrap_or_default();
    frontier.sort_by(|a, b| a.0.total_cmp(&b.0));
    if !frontier.is_empty() {
        let path: Vec<String> = frontier
            .iter()
            .map(|(u, v)| {
                let (x, y) = at(*u, *v);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = writeln!(
            page,
            "<polyline class=\"frontier\" points=\"{}\"><title>the Pareto frontier ({} outcomes)</title></polyline>",
            path.join(" "),
            frontier.len()
        );
    }
    for (key, label) in [("nash", "Nash"), ("kalai_smorodinsky", "Kalai-Smorodinsky")] {
        if let Some((u, v)) = point(&analysis[key]) {
            let (x, y) = at(u, v);
            let _ = writeln!(
                page,
                "<g class=\"point p-{key}\"><title>the {label} point ({u:.4}, {v:.4})</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\"/><text x=\"{:.1}\" y=\"{:.1}\">{label}</text></g>",
                x - 5.0,
                y - 5.0,
                x + 8.0,
                y - 8.0
            );
        }
    }
}

fn tournament_section(page: &mut String, result: &serde_json::Value) {
    let _ = writeln!(
        page,
        "<section id=\"ranking-section\">\n<h2>Ranking: {} strategies, {} assignments, {} runs</h2>",
        result["strategies"].as_array().map_or(0, Vec::len),
        number(&result["assignments"]),
        number(&result["total_runs"])
    );
    let ranking: Vec<&serde_json::Value> = result["ranking"]
        .as_array()
        .map(|ranking| ranking.iter().collect())
        .unwrap_or_default();
    let top = ranking
        .iter()
        .filter_map(|row| row["utility_mean"].as_f64())
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let _ = writeln!(
        page,
        "<svg id=\"ranking-bars\" viewBox=\"0 0 {WIDTH} {:.0}\" role=\"img\" aria-label=\"Mean utility per strategy\">",
        ranking.len() as f64 * 24.0 + 6.0
    );
    for (index, row) in ranking.iter().enumerate() {
        let mean = row["utility_mean"].as_f64().unwrap_or(0.0);
        let y = 4.0 + index as f64 * 24.0;
        let _ = writeln!(
            page,
            "<g class=\"ranked\"><text class=\"lane-name\" x=\"6\" y=\"{:.1}\">{}</text><rect class=\"bar\" x=\"{LEFT}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"18\"/><text class=\"lane-name\" x=\"{:.1}\" y=\"{:.1}\">{mean:.4}</text></g>",
            y + 13.0,
            escape(row["strategy"].as_str().unwrap_or("?")),
            mean / top * (WIDTH - LEFT - RIGHT - 60.0),
            LEFT + mean / top * (WIDTH - LEFT - RIGHT - 60.0) + 6.0,
            y + 13.0
        );
    }
    page.push_str("</svg>\n");
    const COLUMNS: &[(&str, &str)] = &[
        ("utility_mean", "Mean utility"),
        ("utility_sd", "SD"),
        ("agreement_rate", "Agreements"),
        ("welfare_mean", "Welfare"),
        ("rounds_mean", "Rounds"),
        ("pareto_distance_mean", "To Pareto"),
        ("nash_distance_mean", "To Nash"),
        ("kalai_smorodinsky_distance_mean", "To K-S"),
        ("max_welfare_distance_mean", "To max welfare"),
        ("runs", "Runs"),
    ];
    page.push_str("<table id=\"ranking\">\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">Strategy</th>");
    for (_, label) in COLUMNS {
        let _ = write!(page, "<th scope=\"col\">{label}</th>");
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for (index, row) in ranking.iter().enumerate() {
        let _ = write!(
            page,
            "<tr><td>{}</td><th scope=\"row\">{}</th>",
            index + 1,
            escape(row["strategy"].as_str().unwrap_or("?"))
        );
        for (key, _) in COLUMNS {
            let _ = write!(page, "<td>{}</td>", number(&row[*key]));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_script_data_cannot_break_out_of_the_page() {
        assert_eq!(
            escape("<script>\"a\" & 'b'\u{1b}\u{202e}"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;\\u{1b}\\u{202e}"
        );
        let data = serde_json::json!({"text": "</script><!-- & -->"});
        let embedded = script_json(&data);
        assert!(!embedded.contains('<') && !embedded.contains('>'));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&embedded).unwrap(),
            data
        );
    }

    #[test]
    fn the_axis_keeps_order_and_room_between_moments() {
        let day = 86_400;
        let moments = [0, 60, 120, 30 * day, 30 * day + 1, 200 * day];
        let axis = TimeAxis::new(&moments);
        let xs: Vec<f64> = moments.iter().map(|moment| axis.x(*moment)).collect();
        assert!(xs.windows(2).all(|pair| pair[1] > pair[0]));
        assert!(xs[0] >= LEFT && xs[5] <= WIDTH - RIGHT + 0.01);
        assert!(axis.x(100 * day) > xs[4] && axis.x(100 * day) < xs[5]);
        assert!(!axis.ticks().is_empty());
    }
}
