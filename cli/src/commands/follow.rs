//! `accord follow`: print each event as it lands, until interrupted.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use accord::front::Target;
use accord::views::text::counted;

use crate::context::{Context, Failure, needs_a_file};
use crate::output::{say, written};
use crate::render;

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file (polled), or postgres://... with --stream (notified).
    pub log: PathBuf,
    /// Start at line SEQ (1 prints the whole log first); by default, the events that
    /// land after the follow starts.
    #[arg(long, value_name = "SEQ")]
    pub from: Option<u64>,
    /// Each event as its log line (JSON Lines).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args { log, from, json } = args;

    follow(&context.target(&log)?, from, json, context.paint)
}

/// `accord follow`: each event from line `from` (by default, from the next line to land)
/// printed and flushed as it lands, until interrupted or stdout closes.
fn follow(
    target: &Target,
    from: Option<u64>,
    json: bool,
    paint: render::Paint,
) -> Result<(), Failure> {
    if let Target::Once(path) = target {
        return Err(needs_a_file(
            path,
            "follow",
            "polls a log file (or listens to a stream) for lines that land later",
        ));
    }
    let store = target.store()?;
    let missing = matches!(target, Target::File(path) if !path.exists());
    let from = match from {
        Some(from) => from.max(1),
        // A file not there yet is followed from its first line.
        None if missing => 1,
        None => store.head()?.0 + 1,
    };
    // On a terminal, a follow with nothing to show yet says what it waits for.
    if io::stderr().is_terminal() {
        let name = target.name().display().to_string();
        if missing {
            say(&format!("{name} does not exist yet; waiting for it"));
        } else {
            let events = store.head()?.0;
            if from > events + 1 {
                say(&format!(
                    "{name} has {}; waiting for line {from}",
                    counted(events, "event", "events")
                ));
            }
        }
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut outcome = Ok(());
    store.follow(from, &mut |event| {
        let text = if json {
            let mut line = event.to_line();
            line.push('\n');
            line
        } else {
            render::event(event, paint)
        };
        // A closed stdout (`accord follow LOG | head`) ends the follow quietly; a stdout
        // that cannot be written ends it with the error.
        outcome = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        outcome.is_ok()
    })?;
    written(outcome)
}
