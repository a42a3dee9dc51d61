//! The command line's arguments (clap): the global options and one subcommand, whose own
//! arguments live beside its handler in `commands/`.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use accord::proofs::checkpoint::Checkpoint;

use crate::commands;
use crate::context::Failure;

/// Keeps the history of a negotiation as an append-only, hash-chained event log and folds
/// it into the state of the negotiation.
#[derive(Parser)]
#[command(name = "accord", version, about, max_term_width = 100)]
pub struct Arguments {
    /// Colour for people: auto (only on a terminal, and not when NO_COLOR is set), always,
    /// or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// The stream of a postgres:// LOG (default main).
    #[arg(long, global = true, value_name = "NAME")]
    pub stream: Option<String>,
    /// The longest accord waits for a database, in seconds: to connect, for one statement,
    /// for another writer's lock (30 by default).
    #[arg(long, global = true, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub db_timeout: Option<u32>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether output for people is coloured. `auto` colours only a terminal, and never when
/// `NO_COLOR` is set to anything but the empty string (no-color.org); `always` and `never`
/// are the user's word and win over both.
pub fn color_enabled(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        }
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Append drafts (JSON Lines, from FILE or stdin) to LOG, all or none.
    Append(commands::append::Args),
    /// Print the state the log folds to.
    State(commands::state::Args),
    /// What changed in the state between two points, entity by entity.
    ///
    /// A point is a seq (the log's first SEQ lines) or a time (the events that occurred by
    /// then).
    Diff(commands::diff::Args),
    /// Store the state at the log's end beside it (in LOG.snapshots/), for later queries to
    /// start from.
    Snapshot(commands::snapshot::Args),
    /// Check every line: shape, chain and every rule, folded in application order.
    Verify(commands::verify::Args),
    /// Every event that touched an entity, in application order, with what it changed.
    History(commands::history::Args),
    /// Keep every entity's history beside the log (in LOG.index), so that `history` and
    /// `state --entity` answer without folding the log.
    ///
    /// The index is a cache: it is used only while it describes the log as it is (its
    /// length and last line) and its checksums hold; otherwise the log answers and the
    /// index is written again.
    Index(commands::index::Args),
    /// Cut what a crash left half-written at the end of the log, printing what is cut.
    ///
    /// Cuts a torn last line, or the lines of an append its intent file shows unfinished;
    /// refuses, cutting nothing, if anything else in the log is wrong.
    Repair(commands::repair::Args),
    /// Run a seeded simulation of a scenario (or of GENIUS files) and summarise it.
    Simulate(commands::simulate::Args),
    /// The outcome-space analysis: outcomes, Pareto frontier, Nash point, maximum welfare,
    /// opposition.
    Analyze(commands::analyze::Args),
    /// Play every assignment of the strategies to the roles of every domain, N seeded runs
    /// each, and rank the strategies.
    Tournament(commands::tournament::Args),
    /// Copy a log between stores (files, postgres://... streams), byte for byte; the copy is
    /// read back and must be the same bytes, with the same head.
    Copy(commands::copy::Args),
    /// The PostgreSQL store's database (accord built with the cargo feature `postgres`).
    Db(commands::db::Args),
    /// Print each event as it lands, until interrupted.
    Follow(commands::follow::Args),
    /// The RFC 9162 Merkle tree of the log's first N lines (default all): its size and root.
    Root(commands::root::Args),
    /// Print a proof: that line SEQ is in the tree of size M (--seq), or that the tree of
    /// size M extends the tree of size M1 (--from); a small JSON file anyone can check.
    Prove(commands::prove::Args),
    /// Check a proof without the log: exit 0 if it holds, 1 if it does not.
    CheckProof(commands::check_proof::Args),
    /// Write an Ed25519 key pair for signing checkpoints: PATH (private, mode 0600) and
    /// PATH.pub.
    Keygen(commands::keygen::Args),
    /// Sign a checkpoint of the whole log (its tree size and root), keep it in
    /// LOG.checkpoints/ and print it.
    Checkpoint(commands::checkpoint::Args),
    /// Write the negotiation on one self-contained HTML page: a timeline per party,
    /// proposals from made to closed, custody over time, agreements and their provisions;
    /// or the distribution of outcomes of a simulation or tournament result.
    Report(commands::report::Args),
    /// Print the head of the log (the hash of its last line).
    Head(commands::head::Args),
    /// Append a retraction of line SEQ (format version 2): it folds no more, and stays in
    /// the log, as does why.
    Retract(commands::retract::Args),
    /// Append a correction of line SEQ (format version 2): what it should have said, read
    /// from FILE or stdin as {"type","occurred","data"}, or only its time with --occurred.
    Correct(commands::correct::Args),
    /// Import records of an event dataset (plover) into a log as events, all or none, each
    /// with its record kept whole; importing a file again appends nothing.
    Import(commands::import::Args),
}

/// A `--seed`: a whole number from 0 to 2^64 - 1, said so when it is not one (`-1` would
/// otherwise read as an unknown flag).
pub fn seed_value(text: &str) -> Result<u64, String> {
    text.parse().map_err(|_| {
        if text.starts_with('-') {
            format!(
                "`{text}`: a seed is 0 or more (a whole number up to {})",
                u64::MAX
            )
        } else {
            format!("`{text}`: a seed is a whole number from 0 to {}", u64::MAX)
        }
    })
}

/// `--checkpoint FILE --pubkey KEY`: a signed checkpoint and the key to check it with.
#[derive(clap::Args)]
pub struct SignedCheckpoint {
    /// A signed checkpoint (`accord checkpoint`'s output), with --pubkey.
    #[arg(long, value_name = "FILE", requires = "pubkey")]
    checkpoint: Option<PathBuf>,
    /// The public key (`accord keygen`'s PATH.pub) the checkpoint is signed with.
    #[arg(long, value_name = "KEY", requires = "checkpoint")]
    pubkey: Option<PathBuf>,
}

impl SignedCheckpoint {
    /// The checkpoint, once its signature holds; `None` when none was given.
    pub fn open(&self) -> Result<Option<Checkpoint>, Failure> {
        match (&self.checkpoint, &self.pubkey) {
            (Some(checkpoint), Some(pubkey)) => {
                accord::front::checkpoint::open_checkpoint(checkpoint, pubkey).map(Some)
            }
            _ => Ok(None),
        }
    }
}

impl Arguments {
    /// Whether the command asked for JSON: its refusals are then printed as JSON too.
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Command::Append(args) => args.json,
            Command::State(args) => args.json,
            Command::Diff(args) => args.json,
            Command::Verify(args) => args.json,
            Command::History(args) => args.json,
            Command::Follow(args) => args.json,
            Command::Root(args) => args.json,
            Command::Prove(args) => args.json,
            Command::CheckProof(args) => args.json,
            Command::Simulate(args) => args.json,
            Command::Analyze(args) => args.json,
            Command::Tournament(args) => args.json,
            Command::Retract(args) => args.options.json,
            Command::Correct(args) => args.options.json,
            Command::Import(args) => args.json,
            Command::Snapshot(_)
            | Command::Index(_)
            | Command::Repair(_)
            | Command::Head(_)
            | Command::Report(_)
            | Command::Copy(_)
            | Command::Keygen(_)
            | Command::Checkpoint(_)
            | Command::Db(_) => false,
        }
    }
}
