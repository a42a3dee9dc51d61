//! One file per command: its arguments (`Args`, clap) and its handler (`run`), which calls
//! the library's front door and prints what it returns.

pub mod analyze;
pub mod append;
pub mod check_proof;
pub mod checkpoint;
pub mod copy;
pub mod correct;
pub mod db;
pub mod diff;
pub mod follow;
pub mod head;
pub mod history;
pub mod import;
pub mod index;
pub mod keygen;
pub mod prove;
pub mod repair;
pub mod report;
pub mod retract;
pub mod root;
pub mod simulate;
pub mod snapshot;
pub mod state;
pub mod tournament;
pub mod verify;

use crate::arguments::{Arguments, Command};
use crate::context::{Context, Failure, printable};

/// Runs the command the arguments name.
pub fn run(arguments: Arguments) -> Result<(), Failure> {
    let context = Context {
        paint: crate::render::Paint {
            enabled: crate::arguments::color_enabled(arguments.color),
        },
        stream: arguments.stream,
    };
    if let Some(seconds) = arguments.db_timeout {
        crate::context::set_database_wait(std::time::Duration::from_secs(u64::from(seconds)));
    }
    if let Some(name) = &context.stream {
        let takes_a_log = !matches!(
            arguments.command,
            Command::Simulate(_)
                | Command::Analyze(_)
                | Command::Tournament(_)
                | Command::Keygen(_)
                | Command::CheckProof(_)
                | Command::Db(_)
        );
        if !takes_a_log {
            return Err(Failure::Usage(format!(
                "--stream {}: a stream belongs to a postgres:// log, and this command takes no log",
                printable(name)
            )));
        }
    }
    match arguments.command {
        Command::Append(args) => append::run(args, &context),
        Command::State(args) => state::run(args, &context),
        Command::Diff(args) => diff::run(args, &context),
        Command::Snapshot(args) => snapshot::run(args, &context),
        Command::Verify(args) => verify::run(args, &context),
        Command::History(args) => history::run(args, &context),
        Command::Index(args) => index::run(args, &context),
        Command::Repair(args) => repair::run(args, &context),
        Command::Simulate(args) => simulate::run(args, &context),
        Command::Analyze(args) => analyze::run(args, &context),
        Command::Tournament(args) => tournament::run(args, &context),
        Command::Copy(args) => copy::run(args, &context),
        Command::Db(args) => db::run(args, &context),
        Command::Follow(args) => follow::run(args, &context),
        Command::Root(args) => root::run(args, &context),
        Command::Prove(args) => prove::run(args, &context),
        Command::CheckProof(args) => check_proof::run(args, &context),
        Command::Keygen(args) => keygen::run(args, &context),
        Command::Checkpoint(args) => checkpoint::run(args, &context),
        Command::Report(args) => report::run(args, &context),
        Command::Head(args) => head::run(args, &context),
        Command::Retract(args) => retract::run(args, &context),
        Command::Correct(args) => correct::run(args, &context),
        Command::Import(args) => import::run(args, &context),
    }
}
