//! `accord root`: the RFC 9162 Merkle tree of the log's first N lines (default all): its
//! size and root.

use std::path::PathBuf;

use accord::front::Target;
use accord::views::text::counted;

use crate::context::{Context, Failure};
use crate::output::print;

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file, - for stdin, or postgres://... with --stream.
    pub log: PathBuf,
    /// The tree of the first N lines.
    #[arg(long, value_name = "N")]
    pub at: Option<u64>,
    /// {"size", "root"} as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args { log, at, json } = args;
    merkle_root(&context.target(&log)?, at, json)
}

/// `accord root`: the size and root of the log's Merkle tree.
fn merkle_root(target: &Target, at: Option<u64>, json: bool) -> Result<(), Failure> {
    let (size, root) = target.read(|source| accord::proofs::root(source, at))?;
    if let Some(at) = at
        && size < at
    {
        return Err(Failure::Usage(format!(
            "--at {at}: {} has {}",
            target.name().display(),
            counted(size, "line", "lines")
        )));
    }
    if json {
        return print(&format!(
            "{}\n",
            serde_json::json!({"size": size, "root": root})
        ));
    }
    print(&format!("size {size} root {root}\n"))
}
