//! `accord correct`: append an `event.corrected` of line SEQ (format version 2), its
//! replacement read from FILE or stdin, or only its time given with `--occurred`.

use std::io::Read;
use std::path::PathBuf;

use accord::format::time::Timestamp;
use accord::format::world_time::WorldTime;
use accord::front::corrections::{correction, parse_replacement, with_time};
use accord::front::target::is_stdin;

use crate::context::{Context, Failure};

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file, or postgres://... with --stream.
    pub log: PathBuf,
    /// The line that was wrong.
    pub seq: u64,
    /// The replacement, {"type","occurred","data"}; stdin if absent (and no --occurred).
    pub file: Option<PathBuf>,
    /// Why it is corrected (kept in the log and shown beside the line).
    #[arg(long)]
    pub reason: String,
    /// Correct only the line's time, to this world time (a point, `2021-05`, `2021~`,
    /// `2021-05-01/2021-05-06`); the line's type and data stay what they are.
    #[arg(long, value_name = "TIME", conflicts_with = "file")]
    pub occurred: Option<String>,
    #[command(flatten)]
    pub options: super::append::OneLineOptions,
}

/// The longest replacement read, in bytes: a line's limit.
const MAX_REPLACEMENT_BYTES: u64 = accord::reading::log::MAX_LINE_BYTES as u64;

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let target = context.target(&args.log)?;
    let replacement = match &args.occurred {
        Some(occurred) => {
            let occurred = WorldTime::parse(occurred)
                .map_err(|error| Failure::Usage(format!("--occurred {error}")))?;
            with_time(&target, args.seq, occurred)?
        }
        None => {
            let file = args.file.as_deref().filter(|file| !is_stdin(file));
            let name = file.map_or("stdin".to_string(), |file| file.display().to_string());
            let mut text = String::new();
            let read = match file {
                Some(file) => std::fs::File::open(file).and_then(|opened| {
                    opened
                        .take(MAX_REPLACEMENT_BYTES + 1)
                        .read_to_string(&mut text)
                }),
                None => std::io::stdin()
                    .lock()
                    .take(MAX_REPLACEMENT_BYTES + 1)
                    .read_to_string(&mut text),
            };
            read.map_err(|error| Failure::Usage(format!("{name}: {error}")))?;
            if text.len() as u64 > MAX_REPLACEMENT_BYTES {
                return Err(Failure::Usage(format!(
                    "{name}: a replacement is at most {MAX_REPLACEMENT_BYTES} bytes"
                )));
            }
            parse_replacement(&text)?
        }
    };
    let now = Timestamp::recorded_now(chrono::Utc::now());
    let draft = correction(
        args.seq,
        &args.reason,
        replacement,
        args.options.source.as_deref(),
        &now,
    );
    super::append::land_one(&target, draft, "the correction", &args.options)
}
