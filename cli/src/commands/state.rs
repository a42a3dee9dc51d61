//! `accord state`: print the state the log folds to.

use std::path::PathBuf;

use accord::fold::state::StateDocument;
use accord::format::ids::Hash;
use accord::front::Target;
use accord::front::checkpoint::extends_checkpoint;
use accord::proofs::checkpoint::Checkpoint;
use accord::stores::file::FileStore;
use accord::stores::query::{Answer, Query};

use crate::arguments::SignedCheckpoint;
use crate::context::{Context, Failure, answer, time_argument};
use crate::output::{print, say};
use crate::render;

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file, - for stdin, or postgres://... with --stream.
    pub log: PathBuf,
    /// Only the log's first SEQ lines.
    #[arg(long, value_name = "SEQ")]
    pub at: Option<u64>,
    /// Only the lines recorded at or before TIME (what was known then).
    #[arg(long, value_name = "TIME")]
    pub known_at: Option<String>,
    /// Only the events that occurred at or before TIME (what was true then).
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// The state JSON of the format, keys sorted, on one line.
    #[arg(long, conflicts_with = "hash")]
    pub json: bool,
    /// Only the SHA-256 of the state JSON.
    #[arg(long)]
    pub hash: bool,
    /// Fold from the first line, ignoring snapshots.
    #[arg(long)]
    pub no_snapshot: bool,
    /// Only this entity (party:ID, issue:ID, proposal:ID, agreement:ID or
    /// provision:AGREEMENT/PROVISION) as it stands at the log's end, as JSON: from the
    /// entity index (`accord index`) when it describes the log.
    #[arg(
        long,
        value_name = "KIND:ID",
        conflicts_with_all = ["at", "known_at", "as_of", "hash", "no_snapshot", "checkpoint"]
    )]
    pub entity: Option<String>,
    /// Check that the lines the state stands on are in the tree a signed checkpoint
    /// signed (from the snapshot's kept tree, reading only the lines after it).
    #[command(flatten)]
    pub signed: SignedCheckpoint,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args {
        log,
        at,
        known_at,
        as_of,
        json,
        hash,
        no_snapshot,
        entity,
        signed,
    } = args;
    if let Some(entity) = entity {
        return entity_state(&context.target(&log)?, &entity, json);
    }

    let query = Query {
        at,
        known_at: time_argument("--known-at", &known_at)?,
        as_of: time_argument("--as-of", &as_of)?,
        without_snapshots: no_snapshot,
    };
    let signed = signed.open()?;
    let target = context.target(&log)?;
    state(&target, &query, json, hash, context.paint, signed.as_ref())
}

fn state(
    target: &Target,
    query: &Query,
    json: bool,
    hash: bool,
    paint: render::Paint,
    signed: Option<&Checkpoint>,
) -> Result<(), Failure> {
    let answer = answer(target, query, &format!("--at {}", query.at.unwrap_or(0)))?;
    if let Some(signed) = signed {
        let note = covered_by_checkpoint(target, query, &answer, signed)?;
        say(&format!("{}: {note}", target.name().display()));
    }
    let document = StateDocument::new(&answer.folded, answer.seq, answer.head);
    if hash {
        return print(&format!("{}\n", Hash::of(document.to_json().as_bytes())));
    }
    if json {
        return print(&format!("{}\n", document.to_json()));
    }
    print(&render::state(
        &target.name(),
        &document,
        query,
        answer.snapshot,
        paint,
    ))
}

/// One entity as it stands at the log's end: its JSON, on one line with `--json`, indented
/// for people (text from the log escaped as everywhere).
fn entity_state(target: &Target, entity: &str, json: bool) -> Result<(), Failure> {
    let entity = accord::views::history::EntityRef::parse(entity)
        .map_err(|error| Failure::Usage(format!("--entity: {error}")))?;
    let mut warned = |warning: &str| crate::output::say(&format!("warning: {warning}"));
    let (view, stale) = accord::front::entities::view(target, &entity, &mut warned)?;
    let printed = match &view {
        None => Err(Failure::refused(format!(
            "{}: {entity} is not in the state",
            target.name().display()
        ))),
        Some(view) if json => print(&format!("{view}\n")),
        Some(view) => {
            let text = serde_json::to_string_pretty(view).expect("a view serialises");
            let lines: Vec<String> = text.lines().map(crate::context::printable).collect();
            print(&format!("{}\n", lines.join("\n")))
        }
    };
    // The answer is out: an index that did not describe the log is written again now.
    if let Some(stale) = stale {
        stale.write_again(target, &mut warned);
    }
    printed
}

/// Whether the lines an answer stands on are in the tree a checkpoint signed: the tree of
/// the log's first `signed.size` lines, grown from the tree kept by the snapshot the answer
/// started from (so only the lines after it are read; every line with `--no-snapshot`),
/// must have the signed root. What the user is told, or `checkpoint.root` when the log is
/// not what was signed.
fn covered_by_checkpoint(
    target: &Target,
    query: &Query,
    answer: &Answer,
    signed: &Checkpoint,
) -> Result<String, Failure> {
    let (lines, root, from_snapshot) = match target {
        Target::File(path) if !query.without_snapshots => {
            let store = FileStore::new(path);
            let mut file = store.open_shared()?;
            let tree = store.tree_at(&mut file, signed.size, answer.snapshot)?;
            (tree.tree.size(), tree.tree.root(), tree.from_snapshot)
        }
        _ => {
            let (lines, root) =
                target.read(|source| accord::proofs::root(source, Some(signed.size)))?;
            (lines, root, None)
        }
    };
    let path = target.name();
    extends_checkpoint(&path, lines, root, signed)?;
    let how = match from_snapshot {
        Some(seq) if seq == signed.size => format!("the snapshot at seq {seq} keeps that tree"),
        Some(seq) => format!(
            "the snapshot at seq {seq} keeps the tree of lines 1 to {seq}; lines {} to {} were read",
            seq + 1,
            signed.size
        ),
        None => "every line read".to_string(),
    };
    let mut note = format!(
        "lines 1 to {} are the tree signed for {} ({how})",
        signed.size, signed.origin
    );
    if from_snapshot.is_some() && from_snapshot == answer.snapshot {
        note.push_str("; this state starts from that snapshot");
    }
    if answer.seq > signed.size {
        note.push_str(&format!(
            "; lines {} to {} came after it and no checkpoint covers them",
            signed.size + 1,
            answer.seq
        ));
    }
    Ok(note)
}
