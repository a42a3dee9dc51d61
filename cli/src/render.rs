//! Output for people: the state as a report, a history as a timeline.

use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use accord::fold::state::{AgreementStatus, Claim, ClaimKind, Counts, StateDocument};
use accord::format::ids::Slug;
use accord::stores::query::{Answer, Query};
use accord::views::describe::describe;
use accord::views::diff::EntityChange;
use accord::views::history::{Change, EntityRef, HistoryEntry, Told, json_changes};
use accord::views::text::printable;

/// Colour and weight for a terminal, or nothing: `--color`, `NO_COLOR` and whether stdout is
/// a terminal decide (see `cli::color_enabled`).
#[derive(Clone, Copy)]
pub struct Paint {
    pub enabled: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }

    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }

    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
}

/// A time argument for people: a date given alone (the end of that day) reads as such.
fn moment(time: &accord::format::time::Timestamp) -> String {
    let text = time.to_string();
    match text.strip_suffix("T23:59:59.999999999Z") {
        Some(date) => format!("the end of {date} (UTC)"),
        None => text,
    }
}

/// Widest line the report wraps text to.
const WRAP_COLUMNS: usize = 100;

fn names(list: &[Slug]) -> String {
    if list.is_empty() {
        return "nobody".to_string();
    }
    list.iter().map(Slug::as_str).collect::<Vec<_>>().join(", ")
}

fn plural(count: u64, one: &str, many: &str) -> String {
    accord::views::text::counted(count, one, many)
}

fn counts_in_words(counts: &Counts) -> String {
    use accord::format::count::CountRange;
    // A category known to hold nobody is left out; one known only within bounds is shown
    // with them ("at least 101 civilians").
    let words = |range: CountRange, one: &str, many: &str| -> Option<String> {
        match range {
            CountRange {
                low: 0,
                high: Some(0),
            } => None,
            exact if exact.is_exact() => Some(plural(exact.low, one, many)),
            bounded => Some(format!("{bounded} {many}")),
        }
    };
    let parts: Vec<String> = [
        words(counts.combatant, "combatant", "combatants"),
        words(counts.civilian, "civilian", "civilians"),
        match counts.remains {
            CountRange {
                low: 0,
                high: Some(0),
            } => None,
            remains => Some(format!("the remains of {remains}")),
        },
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        return "none".to_string();
    }
    parts.join(", ")
}

/// `in_progress` as people write it: `in progress`.
fn enum_word<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(|text| text.replace('_', " ")))
        .unwrap_or_default()
}

/// Appends `text` (from a log, so escaped first) wrapped to the report's width, every line
/// indented by `indent` spaces.
fn wrapped(out: &mut String, indent: usize, text: &str) {
    let text = printable(text);
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty()
            && indent + line.chars().count() + 1 + word.chars().count() > WRAP_COLUMNS
        {
            let _ = writeln!(out, "{:indent$}{line}", "");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{:indent$}{line}", "");
    }
}

/// Claims and denials side by side, in application order, each under who said it: the
/// report adjudicates none.
fn claims(out: &mut String, indent: usize, claims: &[Claim]) {
    for claim in claims {
        let kind = match claim.kind {
            ClaimKind::Claim => "claims",
            ClaimKind::Denial => "denies",
        };
        let _ = writeln!(
            out,
            "{:indent$}{} {kind} (seq {}):",
            "", claim.by, claim.seq
        );
        wrapped(out, indent + 2, &claim.text);
    }
}

pub fn state(
    path: &Path,
    document: &StateDocument<'_>,
    query: &Query,
    snapshot: Option<u64>,
    paint: Paint,
) -> String {
    let mut out = String::new();
    state_header(&mut out, path, document, query, snapshot, paint);
    state_parties(&mut out, document, paint);
    state_issues(&mut out, document, paint);
    state_proposals(&mut out, document, paint);
    state_agreements(&mut out, document, paint);
    state_meetings(&mut out, document, paint);
    state_custody(&mut out, document, query.as_of.as_ref(), paint);
    state_corrections(&mut out, document, query.as_of.as_ref(), paint);
    out
}

/// Who met where, hosted and mediated by whom, on what (version 2; only when the log
/// records a meeting).
fn state_meetings(out: &mut String, document: &StateDocument<'_>, paint: Paint) {
    if document.meetings.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}",
        paint.bold(&format!("Meetings ({})", document.meetings.len()))
    );
    for (id, meeting) in document.meetings {
        let mut line = format!("{id}: {}", names(&meeting.parties));
        if !meeting.mediators.is_empty() {
            let _ = write!(line, ", mediated by {}", names(&meeting.mediators));
        }
        if let Some(place) = &meeting.place {
            let _ = write!(line, ", in {place}");
        }
        if let Some(host) = &meeting.hosted_by {
            let _ = write!(line, ", hosted by {host}");
        }
        let _ = write!(line, " (seq {})", meeting.seq);
        wrapped(out, 2, &line);
        if let Some(title) = &meeting.title {
            wrapped(out, 4, title);
        }
        if !meeting.issues.is_empty() {
            let _ = writeln!(out, "    on {}", names(&meeting.issues));
        }
    }
}

/// What later lines corrected or retracted, and why; under `--as-of`, the events that may
/// lie after it (version 2; only when there are any).
fn state_corrections(
    out: &mut String,
    document: &StateDocument<'_>,
    as_of: Option<&accord::format::time::Timestamp>,
    paint: Paint,
) {
    if !document.corrections.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint.bold(&format!(
                "Corrected or retracted ({})",
                document.corrections.len()
            ))
        );
        for note in document.corrections {
            let kind = match note.kind {
                accord::fold::state::CorrectionKind::Corrected => "corrected",
                accord::fold::state::CorrectionKind::Retracted => "retracted",
            };
            wrapped(
                out,
                2,
                &format!(
                    "line {} {kind} by line {}: {}",
                    note.target,
                    note.by,
                    accord::views::describe::quote(&note.reason)
                ),
            );
        }
    }
    if let Some(as_of) = as_of
        && !document.uncertain.is_empty()
    {
        let seqs: Vec<String> = document.uncertain.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "\n{}",
            paint.bold(&format!("May lie after {}", moment(as_of)))
        );
        wrapped(
            out,
            2,
            &format!(
                "known only to a period that ends later: line{} {}",
                if seqs.len() == 1 { "" } else { "s" },
                seqs.join(", ")
            ),
        );
    }
}

/// Which log, which part of it, and where the fold stands.
fn state_header(
    out: &mut String,
    path: &Path,
    document: &StateDocument<'_>,
    query: &Query,
    snapshot: Option<u64>,
    paint: Paint,
) {
    let (prefix, as_of) = (query, query.as_of.as_ref());
    let mut scope = Vec::new();
    if let Some(at) = prefix.at {
        scope.push(format!("its first {at} lines"));
    }
    if let Some(known_at) = &prefix.known_at {
        scope.push(format!("as recorded by {}", moment(known_at)));
    }
    if let Some(as_of) = as_of {
        scope.push(format!("events that occurred by {}", moment(as_of)));
    }
    let scope = if scope.is_empty() {
        String::new()
    } else {
        format!(", {}", scope.join(", "))
    };
    let _ = writeln!(
        out,
        "{}",
        paint.bold(&format!(
            "State of {}{scope}",
            printable(&path.display().to_string())
        ))
    );
    let latest = document
        .occurred
        .map_or("none".to_string(), |occurred| occurred.for_people());
    let _ = writeln!(
        out,
        "  {} folded, through seq {}; the latest occurred {latest}",
        plural(document.events, "event", "events"),
        document.seq
    );
    let _ = writeln!(out, "  head {}", document.head);
    if let Some(seq) = snapshot {
        let _ = writeln!(out, "  (folded from the snapshot at seq {seq})");
    }
}

fn state_parties(out: &mut String, document: &StateDocument<'_>, paint: Paint) {
    let _ = writeln!(
        out,
        "\n{}",
        paint.bold(&format!("Parties ({})", document.parties.len()))
    );
    let width = document
        .parties
        .keys()
        .map(|id| id.as_str().len())
        .max()
        .unwrap_or(0);
    let detail_indent = width + 4;
    for (id, party) in document.parties {
        let members = if party.members.is_empty() {
            String::new()
        } else {
            format!("; members {}", names(&party.members))
        };
        let _ = writeln!(
            out,
            "  {id:width$}  {} ({}{members})",
            printable(&party.name),
            enum_word(&party.role)
        );
        for (issue, position) in &party.positions {
            let _ = writeln!(
                out,
                "{:detail_indent$}position on {issue} (seq {}):",
                "", position.seq
            );
            wrapped(out, detail_indent + 2, &position.text);
        }
        for commitment in &party.commitments {
            let _ = writeln!(
                out,
                "{:detail_indent$}commitment (seq {}):",
                "", commitment.seq
            );
            wrapped(out, detail_indent + 2, &commitment.text);
        }
    }
}

fn state_issues(out: &mut String, document: &StateDocument<'_>, paint: Paint) {
    let _ = writeln!(
        out,
        "\n{}",
        paint.bold(&format!("Issues ({})", document.issues.len()))
    );
    let width = document
        .issues
        .keys()
        .map(|id| id.as_str().len())
        .max()
        .unwrap_or(0);
    for (id, issue) in document.issues {
        let _ = writeln!(out, "  {id:width$}  {}", printable(&issue.title));
        claims(out, width + 4, &issue.claims);
    }
}

fn state_proposals(out: &mut String, document: &StateDocument<'_>, paint: Paint) {
    let _ = writeln!(
        out,
        "\n{}",
        paint.bold(&format!("Proposals ({})", document.proposals.len()))
    );
    for (id, proposal) in document.proposals {
        let mut line = format!(
            "  {id}: {}, by {} to {}",
            proposal.status.name(),
            proposal.by,
            names(&proposal.to)
        );
        if let Some(old) = &proposal.supersedes {
            let _ = write!(line, ", superseding {old}");
        }
        if let Some(old) = &proposal.counters {
            let _ = write!(line, ", countering {old}");
        }
        if !proposal.accepted_by.is_empty() {
            let _ = write!(line, "; accepted by {}", names(&proposal.accepted_by));
        }
        let _ = writeln!(out, "{line}");
        for term in proposal.terms.iter() {
            let _ = writeln!(out, "    on {}:", term.issue);
            wrapped(out, 6, &term.text);
        }
    }
}

fn state_agreements(out: &mut String, document: &StateDocument<'_>, paint: Paint) {
    let _ = writeln!(
        out,
        "\n{}",
        paint.bold(&format!("Agreements ({})", document.agreements.len()))
    );
    for (id, agreement) in document.agreements {
        let status = match agreement.status {
            AgreementStatus::InForce => "in force",
            AgreementStatus::Terminated => "terminated",
        };
        let _ = writeln!(out, "  {id}: {status}");
        let _ = writeln!(out, "    {}", printable(&agreement.title));
        let mut parties = format!("signed by {}", names(&agreement.signatories));
        if !agreement.witnesses.is_empty() {
            let _ = write!(parties, "; witnessed by {}", names(&agreement.witnesses));
        }
        if let Some(proposal) = &agreement.proposal {
            let _ = write!(parties, "; on proposal {proposal}");
        }
        let _ = writeln!(out, "    {parties}");
        for (provision_id, provision) in &agreement.provisions {
            let _ = writeln!(
                out,
                "    {provision_id}: {}, obligates {}",
                enum_word(&provision.status),
                names(&provision.obligated)
            );
            wrapped(out, 6, &provision.text);
            for allegation in &provision.allegations {
                let _ = writeln!(
                    out,
                    "      ! breach alleged by {} against {} (seq {})",
                    allegation.by,
                    names(&allegation.against),
                    allegation.seq
                );
            }
            claims(out, 6, &provision.claims);
        }
    }
}

/// Custody and releases as this log adds them up at its point in time.
fn state_custody(
    out: &mut String,
    document: &StateDocument<'_>,
    as_of: Option<&accord::format::time::Timestamp>,
    paint: Paint,
) {
    // What this log records, at its own point in time, never "now": custody and releases
    // are what the log's events add up to, not all there ever were.
    let point = match as_of {
        Some(as_of) => format!(", as of {}", moment(as_of)),
        None => String::new(),
    };
    for (title, verb, table) in [
        (
            format!("Custody in this log{point}"),
            "holds",
            document.custody,
        ),
        (
            format!("Released in this log{point}"),
            "released",
            document.released,
        ),
    ] {
        let _ = writeln!(out, "\n{}", paint.bold(&title));
        let mut any = false;
        for (holder, by_side) in table {
            for (of, counts) in by_side {
                any = true;
                let _ = writeln!(
                    out,
                    "  {holder} {verb} {} of {of}: {}",
                    counts.total(),
                    counts_in_words(counts)
                );
            }
        }
        if !any {
            let _ = writeln!(out, "  none");
        }
    }
}

/// A value from a log for people: a string in quotes, anything else as compact JSON (whose
/// strings may still hold bidirectional controls), escaped either way.
fn compact(value: &Value) -> String {
    match value {
        Value::String(text) => format!("\u{201c}{}\u{201d}", printable(text)),
        other => printable(&other.to_string()).into_owned(),
    }
}

/// What changed in an entity, one path per line: `+` added, `-` removed, `~` changed.
fn changed(out: &mut String, changes: &[Change], paint: Paint) {
    for change in changes {
        let _ = match change {
            Change::Added { path, value } => {
                writeln!(out, "  {} {path} = {}", paint.green("+"), compact(value))
            }
            Change::Removed { path, value } => {
                writeln!(out, "  {} {path} (was {})", paint.red("-"), compact(value))
            }
            Change::Changed {
                path,
                before,
                after,
            } => writeln!(
                out,
                "  {} {path}: {} -> {}",
                paint.yellow("~"),
                compact(before),
                compact(after)
            ),
        };
    }
}

/// The fields of a new entity, one leaf per line (empty lists and maps left out).
fn created(out: &mut String, path: &str, value: &Value) {
    match value {
        Value::Object(fields) => {
            for (key, inner) in fields {
                let inner_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                created(out, &inner_path, inner);
            }
        }
        other if !is_empty(other) => {
            let _ = writeln!(out, "    {path} = {}", compact(other));
        }
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        Value::Null => true,
        _ => false,
    }
}

/// The first line of a history for people.
pub fn history_header(entity: &EntityRef, events: u64) -> String {
    format!(
        "History of {entity}: {}\n",
        plural(events, "event", "events")
    )
}

/// Where a line's facts come from, as it says it: a version-1 `source` as written; each of
/// version 2's `sources` with what it gives of its link, date and words; the dataset record
/// an imported line came from.
fn provenance_lines(event: &accord::format::event::Event) -> Vec<String> {
    let mut lines: Vec<String> = event
        .source
        .iter()
        .map(|source| format!("source: {source}"))
        .collect();
    for source in event.sources.iter().flatten() {
        let mut line = format!("source: {}", source.cite);
        if let Some(published) = &source.published {
            let _ = write!(line, ", published {}", published.for_people());
        }
        if let Some(url) = &source.url {
            let _ = write!(line, " <{url}>");
        }
        if let Some(quote) = &source.quote {
            let _ = write!(line, ": “{quote}”");
        }
        lines.push(line);
    }
    if let Some(origin) = &event.origin {
        lines.push(format!(
            "imported from {} record {}",
            origin.dataset, origin.id
        ));
    }
    lines
}

/// One event for people: its seq, times and type, what it says, and its sources.
pub fn event(event: &accord::format::event::Event, paint: Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        paint.bold(&format!(
            "seq {}  {}  {}",
            event.seq,
            event.occurred.for_people(),
            event.data.type_name()
        ))
    );
    wrapped(&mut out, 2, &describe(&event.data));
    for provenance in provenance_lines(event) {
        let mut lines = String::new();
        wrapped(&mut lines, 2, &provenance);
        for line in lines.lines() {
            let _ = writeln!(out, "{}", paint.dim(line));
        }
    }
    let _ = writeln!(
        out,
        "  {}",
        paint.dim(&format!("recorded {}", event.recorded))
    );
    out
}

/// One entry of a history for people: the event, its source, and what it changed. A line
/// that a later line corrected or retracted is told as written, with what it would change,
/// then its last word with what that changed.
pub fn history_entry(entity: &EntityRef, entry: &HistoryEntry<'_>, paint: Paint) -> String {
    let mut out = String::new();
    out.push('\n');
    out.push_str(&event(entry.event, paint));
    let refused = match &entry.told {
        Told::Applied => &None,
        Told::AsWritten {
            changed_by,
            retracted,
            refused,
        } => {
            let verb = if *retracted { "retracts" } else { "corrects" };
            let words = format!("as written; seq {changed_by}, the last word on it, {verb} it");
            let _ = writeln!(out, "  {}", paint.dim(&words));
            refused
        }
        Told::Correction { last_word, refused } => {
            if !last_word {
                let _ = writeln!(out, "  {}", paint.dim("a later line has the last word"));
            }
            refused
        }
    };
    if let Some(refused) = refused {
        wrapped(&mut out, 2, &format!("it would not apply here: {refused}"));
        return out;
    }
    if entry.before.is_null() && !entry.after.is_null() {
        let _ = writeln!(out, "  created {entity}:");
        created(&mut out, "", &entry.after);
        return out;
    }
    let changes = json_changes(&entry.before, &entry.after);
    if changes.is_empty() {
        let words = match entry.told {
            Told::Correction { .. } => format!("  (changes nothing in {entity})"),
            _ => format!("  (names {entity} without changing it)"),
        };
        let _ = writeln!(out, "{words}");
    }
    changed(&mut out, &changes, paint);
    out
}

fn describe_point(query: &Query, answer: &Answer) -> String {
    let mut words = vec![format!("seq {}", answer.seq)];
    if let Some(known_at) = &query.known_at {
        words.push(format!("as recorded by {}", moment(known_at)));
    }
    if let Some(as_of) = &query.as_of {
        words.push(format!("as of {}", moment(as_of)));
    }
    let latest = answer
        .folded
        .occurred
        .as_ref()
        .map_or("none".to_string(), |occurred| occurred.for_people());
    format!(
        "{} ({} folded, the latest occurred {latest})",
        words.join(", "),
        plural(answer.folded.events, "event", "events")
    )
}

pub fn diff(
    from: &Query,
    before: &Answer,
    to: &Query,
    after: &Answer,
    changes: &[EntityChange],
    paint: Paint,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "From {}", describe_point(from, before));
    let _ = writeln!(out, "to   {}", describe_point(to, after));
    if changes.is_empty() {
        let _ = writeln!(out, "\nNo entity changed.");
    }
    for change in changes {
        let _ = writeln!(out, "\n{}", paint.bold(&change.entity));
        if change.before.is_null() {
            let _ = writeln!(out, "  created:");
            created(&mut out, "", &change.after);
            continue;
        }
        if change.after.is_null() {
            let _ = writeln!(out, "  gone (was {})", compact(&change.before));
            continue;
        }
        changed(
            &mut out,
            &json_changes(&change.before, &change.after),
            paint,
        );
    }
    out
}
