//! Output for people: the state as a report, a history as a timeline.

use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use accord::describe::{describe, quote};
use accord::history::{Change, EntityRef, HistoryEntry, json_changes};
use accord::ids::Slug;
use accord::log::Prefix;
use accord::state::{AgreementStatus, Counts, StateDocument};
use accord::time::Timestamp;

fn names(list: &[Slug]) -> String {
    if list.is_empty() {
        return "nobody".to_string();
    }
    list.iter().map(Slug::as_str).collect::<Vec<_>>().join(", ")
}

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 { format!("1 {one}") } else { format!("{count} {many}") }
}

fn counts_in_words(counts: &Counts) -> String {
    let mut parts = Vec::new();
    if counts.combatant > 0 {
        parts.push(plural(counts.combatant as usize, "combatant", "combatants"));
    }
    if counts.civilian > 0 {
        parts.push(plural(counts.civilian as usize, "civilian", "civilians"));
    }
    if counts.remains > 0 {
        parts.push(format!("remains of {}", counts.remains));
    }
    if parts.is_empty() {
        return "none".to_string();
    }
    parts.join(", ")
}

fn enum_word<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|value| value.as_str().map(|text| text.replace('_', " "))).unwrap_or_default()
}

pub fn state(path: &Path, document: &StateDocument<'_>, prefix: &Prefix, as_of: Option<&Timestamp>) -> String {
    let mut out = String::new();
    let mut scope = Vec::new();
    if let Some(at) = prefix.at {
        scope.push(format!("first {at} lines"));
    }
    if let Some(known_at) = &prefix.known_at {
        scope.push(format!("as recorded by {known_at}"));
    }
    if let Some(as_of) = as_of {
        scope.push(format!("events that occurred by {as_of}"));
    }
    let scope = if scope.is_empty() { String::new() } else { format!(" ({})", scope.join("; ")) };
    let _ = writeln!(out, "State of {}{scope}", path.display());
    let latest = document.occurred.map_or("none".to_string(), |occurred| occurred.to_string());
    let _ = writeln!(
        out,
        "  {} folded of {} lines; latest event occurred {latest}",
        plural(document.events as usize, "event", "events"),
        document.seq
    );
    let _ = writeln!(out, "  head {}", document.head);

    let _ = writeln!(out, "\nParties ({})", document.parties.len());
    let width = document.parties.keys().map(|id| id.as_str().len()).max().unwrap_or(0);
    for (id, party) in document.parties {
        let members = if party.members.is_empty() { String::new() } else { format!("; members {}", names(&party.members)) };
        let _ = writeln!(out, "  {id:width$}  {}: {}{members}", party.name, enum_word(&party.role));
        for (issue, position) in &party.positions {
            let _ = writeln!(out, "  {:width$}    position on {issue} (seq {}): {}", "", position.seq, quote(&position.text));
        }
        for commitment in &party.commitments {
            let _ = writeln!(out, "  {:width$}    commitment (seq {}): {}", "", commitment.seq, quote(&commitment.text));
        }
    }

    let _ = writeln!(out, "\nIssues ({})", document.issues.len());
    let width = document.issues.keys().map(|id| id.as_str().len()).max().unwrap_or(0);
    for (id, issue) in document.issues {
        let _ = writeln!(out, "  {id:width$}  {}", issue.title);
    }

    let _ = writeln!(out, "\nProposals ({})", document.proposals.len());
    for (id, proposal) in document.proposals {
        let mut relation = String::new();
        if let Some(old) = &proposal.supersedes {
            relation = format!(", supersedes {old}");
        }
        if let Some(old) = &proposal.counters {
            relation = format!(", counters {old}");
        }
        let accepted = if proposal.accepted_by.is_empty() {
            String::new()
        } else {
            format!("; accepted by {}", names(&proposal.accepted_by))
        };
        let _ = writeln!(
            out,
            "  {id}  by {} to {}{relation}: {}{accepted}",
            proposal.by,
            names(&proposal.to),
            proposal.status.name()
        );
        for term in &proposal.terms {
            let _ = writeln!(out, "      on {}: {}", term.issue, quote(&term.text));
        }
    }

    let _ = writeln!(out, "\nAgreements ({})", document.agreements.len());
    for (id, agreement) in document.agreements {
        let status = match agreement.status {
            AgreementStatus::InForce => "in force",
            AgreementStatus::Terminated => "terminated",
        };
        let _ = writeln!(out, "  {id}  {}: {status}", agreement.title);
        let mut parties = format!("signed by {}", names(&agreement.signatories));
        if !agreement.witnesses.is_empty() {
            let _ = write!(parties, "; witnessed by {}", names(&agreement.witnesses));
        }
        if let Some(proposal) = &agreement.proposal {
            let _ = write!(parties, "; on proposal {proposal}");
        }
        let _ = writeln!(out, "      {parties}");
        let width = agreement.provisions.keys().map(|id| id.as_str().len()).max().unwrap_or(0);
        for (provision_id, provision) in &agreement.provisions {
            let _ = writeln!(
                out,
                "      {provision_id:width$}  {:<11}  {} (obligates {})",
                enum_word(&provision.status),
                quote(&provision.text),
                names(&provision.obligated)
            );
            for allegation in &provision.allegations {
                let _ = writeln!(
                    out,
                    "      {:width$}  alleged breach: {} against {} (seq {})",
                    "",
                    allegation.by,
                    names(&allegation.against),
                    allegation.seq
                );
            }
        }
    }

    for (title, table) in [("Custody (held now)", document.custody), ("Released so far", document.released)] {
        let _ = writeln!(out, "\n{title}");
        let mut any = false;
        for (holder, by_side) in table {
            for (of, counts) in by_side {
                any = true;
                let _ = writeln!(
                    out,
                    "  {holder} of {of}: {} ({} in all)",
                    counts_in_words(counts),
                    counts.total()
                );
            }
        }
        if !any {
            let _ = writeln!(out, "  none");
        }
    }
    out
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(text) => quote(text),
        other => other.to_string(),
    }
}

pub fn history(entity: &EntityRef, entries: &[HistoryEntry<'_>], color: bool) -> String {
    let (bold, dim, reset) = if color { ("\x1b[1m", "\x1b[2m", "\x1b[0m") } else { ("", "", "") };
    let mut out = String::new();
    let _ = writeln!(out, "History of {entity}: {}", plural(entries.len(), "event", "events"));
    for entry in entries {
        let event = entry.event;
        let _ = writeln!(
            out,
            "\n{bold}seq {}  {}  {}{reset}",
            event.seq,
            event.occurred,
            event.data.type_name()
        );
        let _ = writeln!(out, "  {}", describe(&event.data));
        let _ = writeln!(out, "  {dim}recorded {}{reset}", event.recorded);
        if let Some(source) = &event.source {
            let _ = writeln!(out, "  {dim}source: {source}{reset}");
        }
        let changes = json_changes(&entry.before, &entry.after);
        if entry.before.is_null() && !entry.after.is_null() {
            let _ = writeln!(out, "  created:");
            for change in json_changes(&Value::Object(Default::default()), &entry.after) {
                let empty = |value: &Value| match value {
                    Value::Array(items) => items.is_empty(),
                    Value::Object(fields) => fields.is_empty(),
                    Value::Null => true,
                    _ => false,
                };
                if let Change::Added { path, value } = change
                    && !empty(&value)
                {
                    let _ = writeln!(out, "    {path} = {}", compact(&value));
                }
            }
            continue;
        }
        if changes.is_empty() {
            let _ = writeln!(out, "  changed nothing in {entity}");
        }
        for change in changes {
            let _ = match change {
                Change::Added { path, value } => writeln!(out, "  + {path} = {}", compact(&value)),
                Change::Removed { path, value } => writeln!(out, "  - {path} (was {})", compact(&value)),
                Change::Changed { path, before, after } => {
                    writeln!(out, "  ~ {path}: {} -> {}", compact(&before), compact(&after))
                }
            };
        }
    }
    out
}
