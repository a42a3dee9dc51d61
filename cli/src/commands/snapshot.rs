//! `accord snapshot`: store the state at the log's end beside it (in LOG.snapshots/), for
//! later queries to start from.

use std::path::PathBuf;

use accord::front::Target;
use accord::stores::file::FileStore;
use accord::views::text::counted;

use crate::context::{Context, Failure, needs_a_file, printable};
use crate::output::print;

#[derive(clap::Args)]
pub struct Args {
    /// The log file; the snapshot goes in LOG.snapshots/.
    pub log: PathBuf,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args { log } = args;
    snapshot(&context.target(&log)?)
}

fn snapshot(target: &Target) -> Result<(), Failure> {
    let path = match target {
        Target::File(path) => path,
        Target::Once(path) => {
            return Err(needs_a_file(
                path,
                "snapshot",
                "keeps the state beside a log file, in LOG.snapshots/",
            ));
        }
        Target::Stream { .. } => {
            return Err(Failure::Usage(format!(
                "snapshot: {} keeps the state at its tail in the database, checked before every use; snapshots are files beside a log file",
                printable(&target.name().display().to_string())
            )));
        }
    };
    let store = FileStore::new(path);
    match accord::stores::file::snapshot(&store)? {
        None => Err(Failure::refused(format!(
            "{}: the log is empty; there is nothing to snapshot",
            path.display()
        ))),
        Some(written) => {
            let answer = &written.answer;
            let start = answer
                .snapshot
                .map_or("from the first line".to_string(), |seq| {
                    format!("from the snapshot at seq {seq}")
                });
            let tree_start = written
                .tree_from_snapshot
                .map_or("every line read".to_string(), |seq| {
                    format!("grown from the snapshot at seq {seq}")
                });
            print(&format!(
                "snapshot at seq {} head {} ({}, folded {start}) written to {}\ntree size {} root {} ({tree_start})\n",
                answer.seq,
                answer.head,
                counted(answer.folded.events, "event", "events"),
                written.path.display(),
                written.tree.size(),
                written.tree.root(),
            ))
        }
    }
}
