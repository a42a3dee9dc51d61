//! `accord append`: append drafts (JSON Lines, from FILE or stdin) to LOG, all or none.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use accord::front::Target;
use accord::front::target::is_stdin;
use accord::stores::file::{self, DraftOutcome};
use accord::views::text::counted;

use crate::context::{Context, Failure, needs_a_file};
use crate::output::{print, say};

#[derive(clap::Args)]
pub struct Args {
    /// The log to append to (created if missing): a file, or postgres://... with --stream.
    pub log: PathBuf,
    /// Drafts: one {"type","data","occurred","id"?,"source"?,"sources"?,"origin"?} per line;
    /// stdin if absent.
    pub file: Option<PathBuf>,
    /// Refuse unless the log has exactly N events (optimistic concurrency).
    #[arg(long, value_name = "N")]
    pub expect_seq: Option<u64>,
    /// Print one JSON object per draft and one for the result.
    #[arg(long)]
    pub json: bool,
}

/// What `retract` and `correct` take beside their line: as an append of one draft.
#[derive(clap::Args)]
pub struct OneLineOptions {
    /// Where its author learned what it says (a citation, kept as the line's source).
    #[arg(long)]
    pub source: Option<String>,
    /// Refuse unless the log has exactly N events (optimistic concurrency).
    #[arg(long, value_name = "N")]
    pub expect_seq: Option<u64>,
    /// Print one JSON object for the line and one for the result.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args {
        log,
        file,
        expect_seq,
        json,
    } = args;
    append(&context.target(&log)?, file.as_deref(), expect_seq, json)
}

fn append(
    target: &Target,
    file: Option<&Path>,
    expect_seq: Option<u64>,
    json: bool,
) -> Result<(), Failure> {
    if let Target::Once(path) = target {
        return Err(needs_a_file(
            path,
            "append",
            "appends to a log file or a stream",
        ));
    }
    let file = file.filter(|file| !is_stdin(file));
    let source_name = file.map_or("stdin".to_string(), |file| file.display().to_string());
    let mut bytes = Vec::new();
    // One byte past the limit tells a too-long input from one exactly at it.
    let limit = accord::stores::append::MAX_DRAFT_BYTES as u64 + 1;
    let read = match file {
        Some(file) => {
            std::fs::File::open(file).and_then(|opened| opened.take(limit).read_to_end(&mut bytes))
        }
        None => io::stdin().lock().take(limit).read_to_end(&mut bytes),
    };
    read.map_err(|error| Failure::Usage(format!("{source_name}: {error}")))?;
    let drafts =
        file::parse_drafts(&bytes).map_err(|error| Failure::of_drafts(&source_name, error))?;
    land(target, &drafts, &source_name, expect_seq, json)
}

/// Appends one draft built by `retract` or `correct`, and prints what landed.
pub(crate) fn land_one(
    target: &Target,
    draft: accord::format::event::Draft,
    what: &str,
    options: &OneLineOptions,
) -> Result<(), Failure> {
    land(
        target,
        &[(1, draft)],
        what,
        options.expect_seq,
        options.json,
    )
}

/// Appends `drafts` (numbered as their source numbers them) and prints what landed: what
/// `append`, `retract` and `correct` print.
pub(crate) fn land(
    target: &Target,
    drafts: &[(usize, accord::format::event::Draft)],
    source_name: &str,
    expect_seq: Option<u64>,
    json: bool,
) -> Result<(), Failure> {
    let store = target.store()?;
    let outcome = store
        .append_batch(drafts, expect_seq, chrono::Utc::now())
        .map_err(|error| Failure::of_drafts(source_name, error))?;
    let mut out = String::new();
    for draft in &outcome.drafts {
        let line = match (draft, json) {
            (DraftOutcome::Appended { seq, id, type_name }, false) => {
                format!("appended seq {seq} {type_name} {id}")
            }
            (DraftOutcome::Duplicate { existing_seq, id }, false) => {
                format!("duplicate {id}: already at seq {existing_seq}, skipped")
            }
            (DraftOutcome::Appended { seq, id, type_name }, true) => {
                serde_json::json!({"result": "appended", "seq": seq, "id": id, "type": type_name})
                    .to_string()
            }
            (DraftOutcome::Duplicate { existing_seq, id }, true) => {
                serde_json::json!({"result": "duplicate", "seq": existing_seq, "id": id})
                    .to_string()
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    if json {
        out.push_str(
            &serde_json::json!({"events": outcome.events, "head": outcome.head}).to_string(),
        );
    } else {
        out.push_str(&format!(
            "head {} ({})",
            outcome.head,
            counted(outcome.events, "event", "events")
        ));
    }
    out.push('\n');
    // The events are on disk: a report that cannot be printed must not look like a failed
    // append (a retry of drafts without ids would append them twice).
    if let Err(Failure::Usage(error)) = print(&out) {
        say(&format!(
            "{}: the append landed ({}, head {}), but its report could not be printed: {error}",
            target.name().display(),
            counted(outcome.events, "event", "events"),
            outcome.head
        ));
    }
    Ok(())
}
