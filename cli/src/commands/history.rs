//! `accord history`: every event that touched an entity, in application order, with what it
//! changed.

use std::io::{self, Write};
use std::path::PathBuf;

use accord::front::Target;
use accord::views::history::{EntityRef, HistoryEntry};

use crate::context::{Context, Failure};
use crate::output::written;
use crate::render;

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file, - for stdin, or postgres://... with --stream.
    pub log: PathBuf,
    /// party:ID, issue:ID, proposal:ID, agreement:ID or provision:AGREEMENT/PROVISION.
    #[arg(value_name = "KIND:ID")]
    pub entity: String,
    /// One JSON object per event, with the entity before and after.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args { log, entity, json } = args;
    history(&context.target(&log)?, &entity, json, context.paint)
}

fn history(target: &Target, entity: &str, json: bool, paint: render::Paint) -> Result<(), Failure> {
    let path = &target.name();
    let entity = EntityRef::parse(entity).map_err(|error| Failure::Usage(error.to_string()))?;
    // A first pass counts the entries (no fold), so an empty history is refused before
    // anything is printed and the header can say how long it is; then each entry is
    // printed as the fold reaches it, never the whole history, nor the log, at once.
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut outcome: io::Result<()> = Ok(());
    let mut header_written = json;
    let on_entry = |named: u64, entry: HistoryEntry<'_>| {
        if outcome.is_ok() && !header_written {
            header_written = true;
            outcome = out.write_all(render::history_header(&entity, named).as_bytes());
        }
        if outcome.is_err() {
            return false;
        }
        let text = if json {
            let mut line = entry.to_json().to_string();
            line.push('\n');
            line
        } else {
            render::history_entry(&entity, &entry, paint)
        };
        outcome = out.write_all(text.as_bytes());
        outcome.is_ok()
    };
    let (named, stale) = accord::front::entities::history(target, &entity, on_entry)?;
    let printed = written(outcome.and_then(|()| out.flush()));
    // The answer is out: an index that did not describe the log is written again now.
    if let Some(stale) = stale {
        stale.write_again(target, &mut |warning| {
            crate::output::say(&format!("warning: {warning}"))
        });
    }
    if named == 0 {
        return Err(Failure::refused(format!(
            "{}: no event names {entity}",
            path.display()
        )));
    }
    printed
}
