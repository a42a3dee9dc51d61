//! `accord retract`: append an `event.retracted` of line SEQ (format version 2), under every
//! rule of an append.

use std::path::PathBuf;

use accord::format::time::Timestamp;
use accord::front::corrections::retraction;

use crate::context::{Context, Failure};

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file, or postgres://... with --stream.
    pub log: PathBuf,
    /// The line that was wrong.
    pub seq: u64,
    /// Why it is retracted (kept in the log and shown beside the line).
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub options: super::append::OneLineOptions,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let target = context.target(&args.log)?;
    let now = Timestamp::recorded_now(chrono::Utc::now());
    let draft = retraction(args.seq, &args.reason, args.options.source.as_deref(), &now);
    super::append::land_one(&target, draft, "the retraction", &args.options)
}
