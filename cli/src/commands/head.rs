//! `accord head`: print the head of the log (the hash of its last line).

use std::path::PathBuf;

use accord::front::Target;
use accord::stores::file::FileStore;
use accord::views::text::counted;

use crate::context::{Context, Failure, warn};
use crate::output::print;

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file, - for stdin, or postgres://... with --stream.
    pub log: PathBuf,
    /// The hash of line SEQ instead.
    #[arg(long, value_name = "SEQ")]
    pub at: Option<u64>,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args { log, at } = args;
    head(&context.target(&log)?, at)
}

/// The head without a fold: lines are read and their envelopes checked, nothing more.
fn head(target: &Target, at: Option<u64>) -> Result<(), Failure> {
    let path = &target.name();
    let (seq, head) = match target {
        Target::File(path) => {
            let (seq, head, warnings) = accord::stores::file::head(&FileStore::new(path), at)?;
            for warning in &warnings {
                warn(path, warning);
            }
            (seq, head)
        }
        _ => target.read(|source| accord::stores::head_from(source, at))?,
    };
    if let Some(at) = at
        && seq < at
    {
        return Err(Failure::Usage(format!(
            "--at {at}: {} has {}",
            path.display(),
            counted(seq, "line", "lines")
        )));
    }
    print(&format!("{head}\n"))
}
