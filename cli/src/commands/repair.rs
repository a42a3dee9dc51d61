//! `accord repair`: cut what a crash left half-written at the end of the log, printing what
//! is cut.

use std::path::PathBuf;

use accord::front::Target;
use accord::stores::file::FileStore;
use accord::views::text::counted;

use crate::context::{Context, Failure, needs_a_file, printable};
use crate::output::print;

#[derive(clap::Args)]
pub struct Args {
    /// The log file to repair.
    pub log: PathBuf,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args { log } = args;
    repair(&context.target(&log)?)
}

fn repair(target: &Target) -> Result<(), Failure> {
    let path = match target {
        Target::File(path) => path,
        Target::Once(path) => {
            return Err(needs_a_file(
                path,
                "repair",
                "cuts a torn tail from a log file in place",
            ));
        }
        Target::Stream { .. } => {
            // Every line envelope-checked: a stream's appends are transactions, so it has
            // no torn line to cut, but it may still hold a damaged one.
            let (seq, head) = target.read(|source| accord::stores::head_from(source, None))?;
            return print(&format!(
                "nothing to repair: a stream's appends are transactions, never torn\nok {} head {head}\n",
                counted(seq, "event", "events")
            ));
        }
    };
    let outcome = FileStore::new(path).repair()?;
    let mut out = String::new();
    if let Some(line) = outcome.newline_added {
        out.push_str(&format!(
            "line {line} was a complete event without its newline: added the newline\n"
        ));
    } else if outcome.cut.is_empty() {
        out.push_str("nothing to repair\n");
    }
    for cut in &outcome.cut {
        let content = accord::reading::log::without_trailing_nul_bytes(&cut.bytes);
        let nul_bytes = cut.bytes.len() - content.len();
        if content.is_empty() {
            out.push_str(&format!(
                "cut {} after line {}, what a file system can leave when a crash cuts an append short\n",
                counted(nul_bytes as u64, "NUL byte", "NUL bytes"),
                cut.line - 1
            ));
            continue;
        }
        let what = if cut.torn {
            "torn, no newline"
        } else {
            "part of an unfinished append"
        };
        let and_nul = if nul_bytes > 0 {
            format!(
                " and {} after it",
                counted(nul_bytes as u64, "NUL byte", "NUL bytes")
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "cut line {} ({what}, {} bytes{and_nul}): {}\n",
            cut.line,
            content.len(),
            printable(&String::from_utf8_lossy(content))
        ));
    }
    out.push_str(&format!(
        "ok {} head {}\n",
        counted(outcome.events, "event", "events"),
        outcome.head
    ));
    print(&out)
}
