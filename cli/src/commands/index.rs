//! `accord index`: keep every entity's history beside a log file (in LOG.index), so that
//! `history` and `state --entity` read one entity's entries instead of folding the log.

use std::path::PathBuf;

use accord::front::Target;
use accord::views::text::counted;

use crate::context::{Context, Failure, needs_a_file, printable};
use crate::output::print;

#[derive(clap::Args)]
pub struct Args {
    /// The log file; the index goes in LOG.index, replacing the one there.
    pub log: PathBuf,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args { log } = args;
    let target = context.target(&log)?;
    match &target {
        Target::File(_) => {}
        Target::Once(path) => {
            return Err(needs_a_file(
                path,
                "index",
                "keeps every entity's history beside a log file, in LOG.index",
            ));
        }
        Target::Stream { .. } => {
            return Err(Failure::Usage(format!(
                "index: {} is a database stream; an entity index is a file beside a log file",
                printable(&target.name().display().to_string())
            )));
        }
    }
    let written = accord::front::entities::write_index(&target)?;
    print(&format!(
        "index of {} at seq {} head {} ({}, {}, {} bytes) written to {}\n",
        target.name().display(),
        written.seq,
        written.head,
        counted(written.entities, "entity", "entities"),
        counted(written.entries, "history entry", "history entries"),
        written.bytes,
        written.path.display(),
    ))
}
