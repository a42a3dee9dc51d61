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
    /// Where the retraction's author learned that the line was wrong.
    #[arg(long)]
    pub source: Option<String>,
    /// Refuse unless the log has exactly N events (optimistic concurrency).
    #[arg(long, value_name = "N")]
    pub expect_seq: Option<u64>,
    /// Print one JSON object for the retraction and one for the result.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let target = context.target(&args.log)?;
    let now = Timestamp::recorded_now(chrono::Utc::now());
    let draft = retraction(args.seq, &args.reason, args.source.as_deref(), &now);
    super::append::land(
        &target,
        &[(1, draft)],
        "the retraction",
        args.expect_seq,
        args.json,
    )
}
