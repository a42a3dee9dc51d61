//! Commands of the `accord` binary.

mod output;
mod render;
mod report;
mod simulate;

use output::{Destination, output_failure, print, written};
pub use output::{say, stdout_gone};

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use accord::fold::state::StateDocument;
use accord::format::ids::Hash;
use accord::format::time::Timestamp;
use accord::front::Where;
use accord::proofs::checkpoint::Checkpoint;
use accord::reading::log::ReadError;
use accord::replay::BytesSource;
use accord::stores::file::{self, DraftOutcome, FileStore};
use accord::stores::query::{self, Answer, Query};
use accord::views::history::{self, EntityRef, HistoryEntry};
use accord::views::text::counted;

/// Keeps the history of a negotiation as an append-only, hash-chained event log and folds
/// it into the state of the negotiation.
#[derive(Parser)]
#[command(name = "accord", version, about, max_term_width = 100)]
pub struct Arguments {
    /// Colour for people: auto (only on a terminal, and not when NO_COLOR is set), always,
    /// or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// The stream of a postgres:// LOG (default main).
    #[arg(long, global = true, value_name = "NAME")]
    stream: Option<String>,
    /// The longest accord waits for a database, in seconds: to connect, for one statement,
    /// for another writer's lock (30 by default).
    #[arg(long, global = true, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..=86_400))]
    db_timeout: Option<u32>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether output for people is coloured. `auto` colours only a terminal, and never when
/// `NO_COLOR` is set to anything but the empty string (no-color.org); `always` and `never`
/// are the user's word and win over both.
fn color_enabled(choice: ColorChoice) -> bool {
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
enum Command {
    /// Append drafts (JSON Lines, from FILE or stdin) to LOG, all or none.
    Append {
        /// The log to append to (created if missing): a file, or postgres://... with --stream.
        log: PathBuf,
        /// Drafts: one {"type","data","occurred","id"?,"source"?} per line; stdin if absent.
        file: Option<PathBuf>,
        /// Refuse unless the log has exactly N events (optimistic concurrency).
        #[arg(long, value_name = "N")]
        expect_seq: Option<u64>,
        /// Print one JSON object per draft and one for the result.
        #[arg(long)]
        json: bool,
    },
    /// Print the state the log folds to.
    State {
        /// The log: a file, - for stdin, or postgres://... with --stream.
        log: PathBuf,
        /// Only the log's first SEQ lines.
        #[arg(long, value_name = "SEQ")]
        at: Option<u64>,
        /// Only the lines recorded at or before TIME (what was known then).
        #[arg(long, value_name = "TIME")]
        known_at: Option<String>,
        /// Only the events that occurred at or before TIME (what was true then).
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
        /// The state JSON of the format, keys sorted, on one line.
        #[arg(long, conflicts_with = "hash")]
        json: bool,
        /// Only the SHA-256 of the state JSON.
        #[arg(long)]
        hash: bool,
        /// Fold from the first line, ignoring snapshots.
        #[arg(long)]
        no_snapshot: bool,
        /// Check that the lines the state stands on are in the tree a signed checkpoint
        /// signed (from the snapshot's kept tree, reading only the lines after it).
        #[command(flatten)]
        signed: SignedCheckpoint,
    },
    /// What changed in the state between two points, entity by entity.
    ///
    /// A point is a seq (the log's first SEQ lines) or a time (the events that occurred by
    /// then).
    Diff {
        /// The log: a file, - for stdin, or postgres://... with --stream.
        log: PathBuf,
        /// The earlier point: a seq or a time (RFC 3339, or a date for the end of that day).
        from: String,
        /// The later point: a seq or a time.
        to: String,
        /// Read both points from the lines recorded at or before TIME.
        #[arg(long, value_name = "TIME")]
        known_at: Option<String>,
        /// One JSON document: both points and every changed entity before and after.
        #[arg(long)]
        json: bool,
    },
    /// Store the state at the log's end beside it (in LOG.snapshots/), for later queries to
    /// start from.
    Snapshot {
        /// The log file; the snapshot goes in LOG.snapshots/.
        log: PathBuf,
    },
    /// Check every line: shape, chain and every rule, folded in application order.
    Verify {
        /// The log: a file, - for stdin, or postgres://... with --stream.
        log: PathBuf,
        /// Also require that the log extends this pinned head (the hash of one of its lines).
        #[arg(long, value_name = "HEX")]
        head: Option<String>,
        /// Also require that the log extends a signed checkpoint.
        #[command(flatten)]
        signed: SignedCheckpoint,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every event that touched an entity, in application order, with what it changed.
    History {
        /// The log: a file, - for stdin, or postgres://... with --stream.
        log: PathBuf,
        /// party:ID, issue:ID, proposal:ID, agreement:ID or provision:AGREEMENT/PROVISION.
        #[arg(value_name = "KIND:ID")]
        entity: String,
        /// One JSON object per event, with the entity before and after.
        #[arg(long)]
        json: bool,
    },
    /// Cut what a crash left half-written at the end of the log, printing what is cut.
    ///
    /// Cuts a torn last line, or the lines of an append its intent file shows unfinished;
    /// refuses, cutting nothing, if anything else in the log is wrong.
    Repair {
        /// The log file to repair.
        log: PathBuf,
    },
    /// Run a seeded simulation of a scenario (or of GENIUS files) and summarise it.
    Simulate {
        /// A scenario file (JSON; see docs/simulation.md). Omit with --genius or --geniusweb.
        #[arg(required_unless_present_any = ["genius", "geniusweb"])]
        scenario: Option<PathBuf>,
        /// The seed: the same seed gives the same logs and summary, byte for byte.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = seed_value)]
        seed: u64,
        /// How many runs (run i uses stream i of the seed).
        #[arg(long, default_value_t = 1)]
        runs: u64,
        /// Write the log of the run here (one run only).
        #[arg(long, value_name = "LOG", conflicts_with = "out_dir")]
        out: Option<PathBuf>,
        /// Write each run's log in this directory as run-NNNNNN.jsonl.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Write one row per run to this file: CSV (FILE.csv) or JSON Lines (FILE.jsonl),
        /// with the run, seed, agreement, round, outcome, utilities and distances.
        #[arg(long, value_name = "FILE")]
        per_run: Option<PathBuf>,
        /// Replace the --out file, the run logs in --out-dir or the --per-run file if they
        /// exist (without it, an existing file is refused and left untouched).
        #[arg(long)]
        force: bool,
        /// The summary as JSON.
        #[arg(long)]
        json: bool,
        /// Worker threads (default: every core). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// A GENIUS domain and its profiles, in place of SCENARIO.
        #[arg(long, num_args = 2.., value_names = ["DOMAIN.xml", "PROFILE.xml"])]
        genius: Option<Vec<PathBuf>>,
        /// GeniusWeb profiles (JSON LinearAdditiveUtilitySpace, each carrying the domain), in
        /// place of SCENARIO.
        #[arg(long, num_args = 1.., value_name = "PROFILE.json", conflicts_with = "genius")]
        geniusweb: Option<Vec<PathBuf>>,
        /// The strategies, in profile order with --genius (default boulware for all), or in
        /// the scenario's acting order, replacing the scenario's: boulware, linear,
        /// conceder, hardliner, e=VALUE, tit_for_tat. One name applies to every party.
        #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
        strategies: Option<Vec<String>>,
        /// The deadline in rounds: 100 by default with --genius; with a scenario file it
        /// replaces the scenario's.
        #[arg(long, value_name = "ROUNDS")]
        deadline: Option<u32>,
    },
    /// The outcome-space analysis: outcomes, Pareto frontier, Nash point, maximum welfare,
    /// opposition.
    Analyze {
        /// A scenario file. Omit with --genius or --geniusweb.
        #[arg(required_unless_present_any = ["genius", "geniusweb"])]
        scenario: Option<PathBuf>,
        /// A GENIUS domain and its profiles, in place of SCENARIO.
        #[arg(long, num_args = 2.., value_names = ["DOMAIN.xml", "PROFILE.xml"])]
        genius: Option<Vec<PathBuf>>,
        /// GeniusWeb profiles (JSON LinearAdditiveUtilitySpace, each carrying the domain), in
        /// place of SCENARIO.
        #[arg(long, num_args = 1.., value_name = "PROFILE.json", conflicts_with = "genius")]
        geniusweb: Option<Vec<PathBuf>>,
        /// The seed for scenarios with random preferences (run 0's draw is analysed; 0 by
        /// default). Refused for a scenario without them, where it would change nothing.
        #[arg(long, allow_hyphen_values = true, value_parser = seed_value)]
        seed: Option<u64>,
        /// The analysis as JSON: n_outcomes, pareto_size, nash, kalai_smorodinsky,
        /// max_welfare, opposition.
        #[arg(long)]
        json: bool,
        /// Also list the Pareto frontier's outcomes, with their utilities.
        #[arg(long)]
        frontier: bool,
    },
    /// Play every assignment of the strategies to the roles of every domain, N seeded runs
    /// each, and rank the strategies.
    Tournament {
        /// Domains: a GENIUS directory (one file with `domain` in its name, the other .xml
        /// files its profiles, one party each) or a scenario file.
        #[arg(required = true)]
        domains: Vec<PathBuf>,
        /// The strategies: boulware, linear, conceder, hardliner, e=VALUE, tit_for_tat.
        #[arg(long, value_delimiter = ',', value_name = "NAME,...", required = true)]
        strategies: Vec<String>,
        /// Seeded runs of each assignment.
        #[arg(long, default_value_t = 10)]
        runs: u64,
        /// The seed: the same seed gives the same ranking, byte for byte.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = seed_value)]
        seed: u64,
        /// The deadline in rounds of GENIUS domains (100 by default); scenarios keep theirs.
        #[arg(long, value_name = "ROUNDS")]
        deadline: Option<u32>,
        /// Also write the ranking as CSV to this file.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Replace the --csv file if it exists.
        #[arg(long)]
        force: bool,
        /// The result as JSON.
        #[arg(long)]
        json: bool,
        /// Worker threads (default: every core). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Copy a log between stores (files, postgres://... streams), byte for byte; the copy is
    /// read back and must be the same bytes, with the same head.
    Copy {
        /// The log to copy: a file, or postgres://USER@HOST/DATABASE with --stream.
        source: String,
        /// Where to: a new file (refused if it exists, unless --force), or an empty stream.
        destination: String,
        /// The destination's stream, when it is a postgres:// log (default: --stream's).
        #[arg(long, value_name = "NAME")]
        to_stream: Option<String>,
        /// Replace a destination file that exists.
        #[arg(long)]
        force: bool,
    },
    /// The PostgreSQL store's database (accord built with the cargo feature `postgres`).
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Print each event as it lands, until interrupted.
    Follow {
        /// The log: a file (polled), or postgres://... with --stream (notified).
        log: PathBuf,
        /// Start at line SEQ (1 prints the whole log first); by default, the events that
        /// land after the follow starts.
        #[arg(long, value_name = "SEQ")]
        from: Option<u64>,
        /// Each event as its log line (JSON Lines).
        #[arg(long)]
        json: bool,
    },
    /// The RFC 9162 Merkle tree of the log's first N lines (default all): its size and root.
    Root {
        /// The log: a file, - for stdin, or postgres://... with --stream.
        log: PathBuf,
        /// The tree of the first N lines.
        #[arg(long, value_name = "N")]
        at: Option<u64>,
        /// {"size", "root"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a proof: that line SEQ is in the tree of size M (--seq), or that the tree of
    /// size M extends the tree of size M1 (--from); a small JSON file anyone can check.
    Prove {
        /// The log: a file, - for stdin, or postgres://... with --stream.
        log: PathBuf,
        /// Prove that this line is in the tree.
        #[arg(
            long,
            value_name = "N",
            required_unless_present = "from",
            conflicts_with = "from"
        )]
        seq: Option<u64>,
        /// Prove that the tree extends the tree of the first M1 lines.
        #[arg(long, value_name = "M1")]
        from: Option<u64>,
        /// The tree of the first M lines (default: the whole log).
        #[arg(long, value_name = "M")]
        size: Option<u64>,
        /// The proof on one line (without it, indented for people to read).
        #[arg(long)]
        json: bool,
    },
    /// Check a proof without the log: exit 0 if it holds, 1 if it does not.
    CheckProof {
        /// The proof file (`accord prove`'s output), or - for stdin.
        proof: PathBuf,
        /// The line to check (a file holding it) instead of the one the proof carries.
        #[arg(long, value_name = "FILE")]
        line: Option<PathBuf>,
        /// The root you trust: the new tree's for an inclusion proof, the old tree's for a
        /// consistency proof (without it, the proof's own root, which proves less).
        #[arg(long, value_name = "HEX", conflicts_with = "checkpoint")]
        root: Option<String>,
        /// A signed checkpoint whose root you trust, in place of --root.
        #[command(flatten)]
        signed: SignedCheckpoint,
        /// The result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write an Ed25519 key pair for signing checkpoints: PATH (private, mode 0600) and
    /// PATH.pub.
    Keygen {
        /// Where the private key goes; the public key goes in PATH.pub.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// The key's name, which its signatures carry (default: PATH's file name).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Replace key files that exist.
        #[arg(long)]
        force: bool,
    },
    /// Sign a checkpoint of the whole log (its tree size and root), keep it in
    /// LOG.checkpoints/ and print it.
    Checkpoint {
        /// The log: a file (the checkpoint is kept beside it), or postgres://... (printed).
        log: PathBuf,
        /// The private key (`accord keygen`'s PATH).
        #[arg(long, value_name = "PATH")]
        key: PathBuf,
        /// The log's name in the checkpoint, e.g. example.org/karabakh.
        #[arg(long, value_name = "NAME")]
        origin: String,
    },
    /// Write the negotiation on one self-contained HTML page: a timeline per party,
    /// proposals from made to closed, custody over time, agreements and their provisions;
    /// or the distribution of outcomes of a simulation or tournament result.
    Report {
        /// The log (a file, - for stdin, or postgres://... with --stream), or a simulation
        /// or tournament result (`--json` output saved to a file).
        log: PathBuf,
        /// The page to write (refused if it exists, unless --force).
        #[arg(long, value_name = "FILE.html")]
        out: PathBuf,
        /// Only the lines recorded at or before TIME (what was known then).
        #[arg(long, value_name = "TIME")]
        known_at: Option<String>,
        /// Only the events that occurred at or before TIME (what was true then).
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
        /// Check the signature of the latest checkpoint kept beside the log with this key.
        #[arg(long, value_name = "KEY")]
        pubkey: Option<PathBuf>,
        /// For a simulation result: its runs (`simulate --per-run RUNS.jsonl`), for the
        /// rounds' histogram and the agreements' scatter.
        #[arg(long, value_name = "RUNS.jsonl")]
        per_run: Option<PathBuf>,
        /// For a simulation result: its domain's `analyze --frontier --json`, for the
        /// frontier and the Nash and Kalai-Smorodinsky points.
        #[arg(long, value_name = "FILE.json")]
        analysis: Option<PathBuf>,
        /// Replace FILE.html if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print the head of the log (the hash of its last line).
    Head {
        /// The log: a file, - for stdin, or postgres://... with --stream.
        log: PathBuf,
        /// The hash of line SEQ instead.
        #[arg(long, value_name = "SEQ")]
        at: Option<u64>,
    },
}

/// `--db-timeout`, once read.
static DATABASE_WAIT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

/// How long to wait for a database: `--db-timeout`, or the store's default.
#[cfg(feature = "postgres")]
fn database_waits() -> accord::stores::postgres::Waits {
    DATABASE_WAIT.get().map_or_else(Default::default, |wait| {
        accord::stores::postgres::Waits::all(*wait)
    })
}

/// A `--seed`: a whole number from 0 to 2^64 - 1, said so when it is not one (`-1` would
/// otherwise read as an unknown flag).
fn seed_value(text: &str) -> Result<u64, String> {
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

/// How a command failed: the library's one refusal (exit 1 for refused input, 2 for a usage
/// or I/O problem).
pub use accord::front::Refusal as Failure;

fn time_argument(flag: &str, text: &Option<String>) -> Result<Option<Timestamp>, Failure> {
    text.as_deref()
        .map(|text| {
            Timestamp::parse_argument(text)
                .map_err(|error| Failure::Usage(format!("{flag}: {error}")))
        })
        .transpose()
}

/// A warning about a log (a snapshot not used), escaped like every stderr line.
fn warn(path: &Path, warning: &str) {
    say(&format!("warning: {}: {warning}", path.display()));
}

/// `--checkpoint FILE --pubkey KEY`: a signed checkpoint and the key to check it with.
#[derive(clap::Args)]
struct SignedCheckpoint {
    /// A signed checkpoint (`accord checkpoint`'s output), with --pubkey.
    #[arg(long, value_name = "FILE", requires = "pubkey")]
    checkpoint: Option<PathBuf>,
    /// The public key (`accord keygen`'s PATH.pub) the checkpoint is signed with.
    #[arg(long, value_name = "KEY", requires = "checkpoint")]
    pubkey: Option<PathBuf>,
}

impl SignedCheckpoint {
    /// The checkpoint, once its signature holds; `None` when none was given.
    fn open(&self) -> Result<Option<Checkpoint>, Failure> {
        match (&self.checkpoint, &self.pubkey) {
            (Some(checkpoint), Some(pubkey)) => open_checkpoint(checkpoint, pubkey).map(Some),
            _ => Ok(None),
        }
    }
}

#[derive(Subcommand)]
enum DbAction {
    /// Create the schema of the PostgreSQL store; running it again changes nothing.
    Init {
        /// The database: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.
        url: String,
    },
}

impl Arguments {
    /// Whether the command asked for JSON: its refusals are then printed as JSON too.
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Command::Append { json, .. }
            | Command::State { json, .. }
            | Command::Diff { json, .. }
            | Command::Verify { json, .. }
            | Command::History { json, .. }
            | Command::Follow { json, .. }
            | Command::Root { json, .. }
            | Command::Prove { json, .. }
            | Command::CheckProof { json, .. }
            | Command::Simulate { json, .. }
            | Command::Analyze { json, .. }
            | Command::Tournament { json, .. } => *json,
            Command::Snapshot { .. }
            | Command::Repair { .. }
            | Command::Head { .. }
            | Command::Report { .. }
            | Command::Copy { .. }
            | Command::Keygen { .. }
            | Command::Checkpoint { .. }
            | Command::Db { .. } => false,
        }
    }
}

pub fn run(arguments: Arguments) -> Result<(), Failure> {
    let paint = render::Paint {
        enabled: color_enabled(arguments.color),
    };
    let stream = arguments.stream;
    if let Some(seconds) = arguments.db_timeout {
        let _ = DATABASE_WAIT.set(std::time::Duration::from_secs(u64::from(seconds)));
    }
    if let Some(name) = &stream {
        let takes_a_log = !matches!(
            arguments.command,
            Command::Simulate { .. }
                | Command::Analyze { .. }
                | Command::Tournament { .. }
                | Command::Keygen { .. }
                | Command::CheckProof { .. }
                | Command::Db { .. }
        );
        if !takes_a_log {
            return Err(Failure::Usage(format!(
                "--stream {}: a stream belongs to a postgres:// log, and this command takes no log",
                printable(name)
            )));
        }
    }
    let target = |log: &Path| open_target(log, stream.as_deref());
    match arguments.command {
        Command::Append {
            log,
            file,
            expect_seq,
            json,
        } => append(&target(&log)?, file.as_deref(), expect_seq, json),
        Command::State {
            log,
            at,
            known_at,
            as_of,
            json,
            hash,
            no_snapshot,
            signed,
        } => {
            let query = Query {
                at,
                known_at: time_argument("--known-at", &known_at)?,
                as_of: time_argument("--as-of", &as_of)?,
                without_snapshots: no_snapshot,
            };
            let signed = signed.open()?;
            let target = target(&log)?;
            state(&target, &query, json, hash, paint, signed.as_ref())
        }
        Command::Diff {
            log,
            from,
            to,
            known_at,
            json,
        } => {
            let known_at = time_argument("--known-at", &known_at)?;
            diff(
                &target(&log)?,
                &point(&from, &known_at)?,
                &point(&to, &known_at)?,
                json,
                paint,
            )
        }
        Command::Snapshot { log } => snapshot(&target(&log)?),
        Command::Verify {
            log,
            head,
            signed,
            json,
        } => {
            let target = target(&log)?;
            verify(&target, head.as_deref(), signed.open()?.as_ref(), json)
        }
        Command::Keygen { out, name, force } => keygen(&out, name.as_deref(), force),
        Command::Checkpoint { log, key, origin } => checkpoint(&target(&log)?, &key, &origin),
        Command::History { log, entity, json } => history(&target(&log)?, &entity, json, paint),
        Command::Head { log, at } => head(&target(&log)?, at),
        Command::Report {
            log,
            out,
            known_at,
            as_of,
            pubkey,
            per_run,
            analysis,
            force,
        } => {
            let known_at = time_argument("--known-at", &known_at)?;
            let as_of = time_argument("--as-of", &as_of)?;
            let files = report::ResultFiles {
                per_run: per_run.as_deref(),
                analysis: analysis.as_deref(),
            };
            report::report(
                &target(&log)?,
                &out,
                known_at,
                as_of,
                pubkey.as_deref(),
                files,
                force,
            )
        }
        Command::Repair { log } => repair(&target(&log)?),
        Command::Simulate {
            scenario,
            seed,
            runs,
            out,
            out_dir,
            per_run,
            force,
            json,
            threads,
            genius,
            geniusweb,
            strategies,
            deadline,
        } => {
            let scenario = match geniusweb {
                Some(profiles) => {
                    load_geniusweb(scenario.as_deref(), &profiles, strategies, deadline)?
                }
                None => {
                    load_scenario(scenario.as_deref(), genius.as_deref(), strategies, deadline)?
                }
            };
            simulate::simulate(
                &scenario,
                seed,
                runs,
                simulate::Outputs {
                    out: out.as_deref(),
                    out_dir,
                    per_run: per_run.as_deref(),
                    force,
                },
                json,
                threads,
            )
        }
        Command::Tournament {
            domains,
            strategies,
            runs,
            seed,
            deadline,
            csv,
            force,
            json,
            threads,
        } => {
            let threads = simulate::runs_and_threads(runs, threads)?;
            let scenarios = domains
                .iter()
                .map(|path| load_tournament_domain(path, deadline))
                .collect::<Result<Vec<_>, _>>()?;
            let options = accord::sim::tournament::TournamentOptions {
                strategies,
                runs,
                seed,
                threads,
            };
            simulate::tournament(&scenarios, &options, json, csv.as_deref(), force)
        }
        Command::Db {
            action: DbAction::Init { url },
        } => database_init(&url),
        Command::Copy {
            source,
            destination,
            to_stream,
            force,
        } => {
            let from_stream =
                stream.unwrap_or_else(|| accord::front::target::DEFAULT_STREAM.to_string());
            let to_stream = to_stream.unwrap_or_else(|| from_stream.clone());
            copy_log(&source, &destination, &from_stream, &to_stream, force)
        }
        Command::Root { log, at, json } => merkle_root(&target(&log)?, at, json),
        Command::Prove {
            log,
            seq,
            from,
            size,
            json,
        } => prove(&target(&log)?, seq, from, size, json),
        Command::CheckProof {
            proof,
            line,
            root,
            signed,
            json,
        } => {
            use accord::proofs::TrustedRoot;
            let trusted = match root {
                Some(root) => TrustedRoot::Root(
                    Hash::parse(&root)
                        .map_err(|error| Failure::Usage(format!("--root: {error}")))?,
                ),
                None => signed
                    .open()?
                    .map_or(TrustedRoot::Nothing, TrustedRoot::Checkpoint),
            };
            check_proof(&proof, line.as_deref(), trusted, json)
        }
        Command::Follow { log, from, json } => {
            follow(&open_target(&log, stream.as_deref())?, from, json, paint)
        }
        Command::Analyze {
            scenario,
            genius,
            geniusweb,
            seed,
            json,
            frontier,
        } => {
            let scenario = match geniusweb {
                Some(profiles) => load_geniusweb(scenario.as_deref(), &profiles, None, None)?,
                None => load_scenario(scenario.as_deref(), genius.as_deref(), None, None)?,
            };
            if seed.is_some() && !scenario.has_random_preferences() {
                return Err(Failure::Usage(
                    "--seed: no party of this scenario draws random preferences, so the seed would change nothing".into(),
                ));
            }
            simulate::analyze(&scenario, seed.unwrap_or(0), json, frontier)
        }
    }
}

fn append(
    target: &Target,
    file: Option<&Path>,
    expect_seq: Option<u64>,
    json: bool,
) -> Result<(), Failure> {
    if let Target::Once(path) = target {
        return Err(needs_a_file(
            path,
            "append",
            "appends to a log file or a stream",
        ));
    }
    let file = file.filter(|file| !is_stdin(file));
    let source_name = file.map_or("stdin".to_string(), |file| file.display().to_string());
    let mut bytes = Vec::new();
    // One byte past the limit tells a too-long input from one exactly at it.
    let limit = file::MAX_DRAFT_BYTES as u64 + 1;
    let read = match file {
        Some(file) => {
            std::fs::File::open(file).and_then(|opened| opened.take(limit).read_to_end(&mut bytes))
        }
        None => io::stdin().lock().take(limit).read_to_end(&mut bytes),
    };
    read.map_err(|error| Failure::Usage(format!("{source_name}: {error}")))?;
    let drafts =
        file::parse_drafts(&bytes).map_err(|error| Failure::of_drafts(&source_name, error))?;
    let store = target.store()?;
    let outcome = store
        .append_batch(&drafts, expect_seq, chrono::Utc::now())
        .map_err(|error| Failure::of_drafts(&source_name, error))?;
    let mut out = String::new();
    for draft in &outcome.drafts {
        let line = match (draft, json) {
            (DraftOutcome::Appended { seq, id, type_name }, false) => {
                format!("appended seq {seq} {type_name} {id}")
            }
            (DraftOutcome::Duplicate { existing_seq, id }, false) => {
                format!("duplicate {id}: already at seq {existing_seq}, skipped")
            }
            (DraftOutcome::Appended { seq, id, type_name }, true) => {
                serde_json::json!({"result": "appended", "seq": seq, "id": id, "type": type_name})
                    .to_string()
            }
            (DraftOutcome::Duplicate { existing_seq, id }, true) => {
                serde_json::json!({"result": "duplicate", "seq": existing_seq, "id": id})
                    .to_string()
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    if json {
        out.push_str(
            &serde_json::json!({"events": outcome.events, "head": outcome.head}).to_string(),
        );
    } else {
        out.push_str(&format!(
            "head {} ({})",
            outcome.head,
            counted(outcome.events, "event", "events")
        ));
    }
    out.push('\n');
    // The events are on disk: a report that cannot be printed must not look like a failed
    // append (a retry of drafts without ids would append them twice).
    if let Err(Failure::Usage(error)) = print(&out) {
        say(&format!(
            "{}: the append landed ({}, head {}), but its report could not be printed: {error}",
            target.name().display(),
            counted(outcome.events, "event", "events"),
            outcome.head
        ));
    }
    Ok(())
}

/// Where a LOG argument points (the library's front door).
use accord::front::Target;

/// Why a log could not be read or folded: a rule it breaks (exit 1), or the reading
/// failed (exit 2).
fn read_failure(name: &Path, error: ReadError) -> Failure {
    Failure::of_reading(name, error)
}

/// The LOG argument's target, with `--db-timeout` for a database.
fn open_target(log: &Path, stream: Option<&str>) -> Result<Target, Failure> {
    Target::new(log, stream, DATABASE_WAIT.get().copied())
}

/// A stream of a database, with `--db-timeout`.
#[cfg(feature = "postgres")]
fn database_stream(url: &str, stream: &str) -> accord::front::target::StreamTarget {
    accord::front::target::StreamTarget::new(url, stream, DATABASE_WAIT.get().copied())
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

/// `accord prove`: an inclusion proof (`--seq`) or a consistency proof (`--from`).
fn prove(
    target: &Target,
    seq: Option<u64>,
    from: Option<u64>,
    size: Option<u64>,
    json: bool,
) -> Result<(), Failure> {
    use accord::proofs::ProveError;
    let made = target.read(|source| {
        let made = match (seq, from) {
            (Some(seq), _) => {
                accord::proofs::prove_inclusion(source, seq, size).map(serde_json::to_value)
            }
            (None, Some(from)) => {
                accord::proofs::prove_consistency(source, from, size).map(serde_json::to_value)
            }
            (None, None) => Err(ProveError::Asked(
                "--seq or --from says what to prove".into(),
            )),
        };
        // A usage problem is not a reading's: it is told apart after the reading.
        Ok(made)
    })?;
    let document = match made {
        Ok(document) => document.map_err(|error| Failure::Usage(error.to_string()))?,
        Err(ProveError::Asked(message)) => return Err(Failure::Usage(message)),
        Err(ProveError::Read(error)) => return Err(read_failure(&target.name(), error)),
    };
    let text = if json {
        document.to_string()
    } else {
        serde_json::to_string_pretty(&document)
            .map_err(|error| Failure::Usage(error.to_string()))?
    };
    print(&format!("{text}\n"))
}

/// `accord keygen --out PATH`: PATH (private, 0600) and PATH.pub, both put in place or
/// neither; the private key is never printed.
fn keygen(out: &Path, name: Option<&str>, force: bool) -> Result<(), Failure> {
    use accord::files::output::{OutputFile, OutputPath, commit_all};
    use accord::proofs::checkpoint::SignerKey;
    if is_stdin(out) {
        return Err(Failure::Usage(
            "--out -: a private key is never printed; give a file".into(),
        ));
    }
    let name = match name {
        Some(name) => name.to_string(),
        None => out
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("accord")
            .to_string(),
    };
    let mut public_path = out.as_os_str().to_owned();
    public_path.push(".pub");
    let public_path = PathBuf::from(public_path);
    // Both places are checked before a key is made: neither file is written if either
    // cannot be.
    let private_target = OutputPath::check(out, force).map_err(output_failure)?;
    let public_target = OutputPath::check(&public_path, force).map_err(output_failure)?;
    let key = SignerKey::generate(&name).map_err(Failure::Usage)?;
    let verifier = key.verifier().to_text();
    let write = |file: &mut OutputFile, text: &str| {
        file.write_all(text.as_bytes()).map_err(|error| {
            Failure::Usage(format!(
                "{}: {error}",
                printable(&file.path().display().to_string())
            ))
        })
    };
    let mut private = OutputFile::create_private(private_target).map_err(output_failure)?;
    write(&mut private, &key.to_text())?;
    let mut public = OutputFile::create(public_target).map_err(output_failure)?;
    write(&mut public, &verifier)?;
    commit_all(vec![private, public]).map_err(output_failure)?;
    print(&format!(
        "wrote {} (the private key, mode 0600) and {}: {}\n",
        printable(&out.display().to_string()),
        printable(&public_path.display().to_string()),
        printable(verifier.trim_end())
    ))
}

/// `accord checkpoint LOG --key PATH --origin NAME`: the whole log's tree head, signed; kept
/// in LOG.checkpoints/ for a file, and printed.
fn checkpoint(target: &Target, key_path: &Path, origin: &str) -> Result<(), Failure> {
    use accord::proofs::checkpoint::{MAX_NOTE_BYTES, SignerKey, check_origin};
    check_origin(origin).map_err(|detail| Failure::Usage(format!("--origin: {detail}")))?;
    let key_text = String::from_utf8(read_small(key_path, MAX_NOTE_BYTES as u64)?)
        .map_err(|_| Failure::Usage("--key: not a key file".into()))?;
    let key = SignerKey::parse(&key_text).map_err(|detail| {
        Failure::Usage(format!(
            "{}: {detail}",
            printable(&key_path.display().to_string())
        ))
    })?;
    let (size, root) = target.read(|source| accord::proofs::root(source, None))?;
    let note = key.sign(
        &Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        }
        .body(),
    );
    if let Target::File(path) = target {
        match std::fs::metadata(path) {
            Ok(metadata) if metadata.is_file() => {
                if let Some(kept) =
                    FileStore::new(path).keep_checkpoint(size, &key.verifier().id_hex(), &note)?
                {
                    say(&format!("kept in {}", kept.display()));
                }
            }
            // Nothing is made beside what is not a regular file (a device, a FIFO).
            Ok(metadata) => say(&format!(
                "{}: {}, so the checkpoint is printed, not kept beside it",
                path.display(),
                accord::files::output::kind_of(&metadata)
            )),
            Err(_) => {}
        }
    }
    if let Target::Once(path) = target
        && !is_stdin(path)
    {
        say(&format!(
            "{}: read once as a stream, so the checkpoint is printed, not kept beside it",
            path.display()
        ));
    }
    print(&note)
}

/// `accord check-proof`: whether a proof holds, from the proof, the line and a root alone.
fn check_proof(
    path: &Path,
    line_file: Option<&Path>,
    trusted: accord::proofs::TrustedRoot,
    json: bool,
) -> Result<(), Failure> {
    use accord::proofs::{MAX_PROOF_BYTES, Proof, TrustedRoot};
    let name = printable(&path.display().to_string());
    let bytes = read_small(path, MAX_PROOF_BYTES)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Usage(format!("{name}: a proof is UTF-8 JSON")))?;
    let proof = accord::proofs::parse_proof(&text)
        .map_err(|detail| Failure::Usage(format!("{name}: {detail}")))?;
    let against = match &trusted {
        TrustedRoot::Root(_) => "the root given".to_string(),
        TrustedRoot::Checkpoint(signed) => format!("the signed checkpoint of {}", signed.origin),
        TrustedRoot::Nothing => {
            "the proof's own root (give --root or --checkpoint to check it against one you trust)"
                .to_string()
        }
    };
    let line = match (&proof, line_file) {
        (Proof::Inclusion(_), Some(file)) => {
            let mut line = read_small(file, accord::reading::log::MAX_LINE_BYTES as u64 + 1)?;
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            Some(line)
        }
        _ => None,
    };
    let checked =
        accord::proofs::check_proof(&proof, line.as_deref(), &trusted).map_err(|refusal| {
            Failure::under_rule(
                format!("{name}: {}: {}", refusal.rule, refusal.detail),
                refusal.rule,
                Where::Nowhere,
                refusal.detail,
            )
        })?;
    if json {
        return print(&format!("{}\n", checked.document));
    }
    let root = checked.root;
    let summary = match &proof {
        Proof::Inclusion(proof) => {
            let line = line.as_deref().unwrap_or(proof.line.as_bytes());
            let event = accord::format::event::Event::parse_line(line).ok();
            let what = event.map_or(String::new(), |event| {
                format!(
                    " ({} {}, occurred {})",
                    event.data.type_name(),
                    event.id,
                    event.occurred
                )
            });
            format!(
                "ok: line {}{what} is in the tree of {} with root {root}, checked against {against}",
                proof.seq,
                counted(proof.tree_size, "line", "lines")
            )
        }
        Proof::Consistency(proof) => format!(
            "ok: the tree of {} with root {} extends the tree of {} with root {root}, checked against {against}",
            counted(proof.to_size, "line", "lines"),
            proof.to_root,
            counted(proof.from_size, "line", "lines")
        ),
    };
    print(&format!("{}\n", printable(&summary)))
}

/// A point of `diff`: a seq, or a time (as of the end of it, for a date).
fn point(text: &str, known_at: &Option<Timestamp>) -> Result<Query, Failure> {
    let mut query = Query {
        known_at: known_at.clone(),
        ..Query::default()
    };
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        query.at = Some(
            text.parse()
                .map_err(|_| Failure::Usage(format!("`{text}`: seq too large")))?,
        );
    } else {
        query.as_of = Some(Timestamp::parse_argument(text).map_err(|error| {
            Failure::Usage(format!("`{text}` is neither a seq nor a time: {error}"))
        })?);
    }
    Ok(query)
}

use accord::front::target::{is_stdin, once_bytes, stdin_bytes, stream_bytes};

/// Why a command that needs a log file cannot take a stream (stdin, a FIFO, a pipe).
fn needs_a_file(path: &Path, command: &str, because: &str) -> Failure {
    let what = if is_stdin(path) {
        "stdin (`-`)".to_string()
    } else {
        let kind = std::fs::metadata(path).map_or("not a regular file", |metadata| {
            accord::files::output::kind_of(&metadata)
        });
        format!("{} ({kind})", printable(&path.display().to_string()))
    };
    Failure::Usage(format!(
        "{command} {because}, and {what} is read once as a stream"
    ))
}

/// The state at a point. `at_argument` names, in an error, the argument that set
/// `query.at` (`--at 40`, or `diff`'s `TO` point `40`).
fn answer(target: &Target, query: &Query, at_argument: &str) -> Result<Answer, Failure> {
    let answer = accord::front::query::answer(target, query)?;
    told(&target.name(), query, answer, at_argument)
}

/// An answer, once the user is told of the snapshots it could not use, and refused if it
/// stops short of the seq `query` asked for.
fn told(path: &Path, query: &Query, answer: Answer, at_argument: &str) -> Result<Answer, Failure> {
    for warning in &answer.warnings {
        warn(path, warning);
    }
    if let Some(at) = query.at
        && answer.seq < at
        && query.known_at.is_none()
    {
        // A user who writes `diff LOG 2021 2022` means years; digits alone are a seq.
        let looks_like_a_year = (1000..=9999).contains(&at);
        return Err(Failure::Usage(format!(
            "{at_argument}: {} has {}{}",
            path.display(),
            counted(answer.seq, "line", "lines"),
            if looks_like_a_year {
                format!(
                    " (digits alone are a seq; for the year {at} write a date, such as {at}-12-31)"
                )
            } else {
                String::new()
            }
        )));
    }
    Ok(answer)
}

fn state(
    target: &Target,
    query: &Query,
    json: bool,
    hash: bool,
    paint: render::Paint,
    signed: Option<&Checkpoint>,
) -> Result<(), Failure> {
    let answer = answer(target, query, &format!("--at {}", query.at.unwrap_or(0)))?;
    if let Some(signed) = signed {
        let note = covered_by_checkpoint(target, query, &answer, signed)?;
        say(&format!("{}: {note}", target.name().display()));
    }
    let document = StateDocument::new(&answer.folded, answer.seq, answer.head);
    if hash {
        return print(&format!("{}\n", Hash::of(document.to_json().as_bytes())));
    }
    if json {
        return print(&format!("{}\n", document.to_json()));
    }
    print(&render::state(
        &target.name(),
        &document,
        query,
        answer.snapshot,
        paint,
    ))
}

/// Whether the lines an answer stands on are in the tree a checkpoint signed: the tree of
/// the log's first `signed.size` lines, grown from the tree kept by the snapshot the answer
/// started from (so only the lines after it are read; every line with `--no-snapshot`),
/// must have the signed root. What the user is told, or `checkpoint.root` when the log is
/// not what was signed.
fn covered_by_checkpoint(
    target: &Target,
    query: &Query,
    answer: &Answer,
    signed: &Checkpoint,
) -> Result<String, Failure> {
    let (lines, root, from_snapshot) = match target {
        Target::File(path) if !query.without_snapshots => {
            let store = FileStore::new(path);
            let mut file = store.open_shared()?;
            let tree = store.tree_at(&mut file, signed.size, answer.snapshot)?;
            (tree.tree.size(), tree.tree.root(), tree.from_snapshot)
        }
        _ => {
            let (lines, root) =
                target.read(|source| accord::proofs::root(source, Some(signed.size)))?;
            (lines, root, None)
        }
    };
    let path = target.name();
    extends_checkpoint(&path, lines, root, signed)?;
    let how = match from_snapshot {
        Some(seq) if seq == signed.size => format!("the snapshot at seq {seq} keeps that tree"),
        Some(seq) => format!(
            "the snapshot at seq {seq} keeps the tree of lines 1 to {seq}; lines {} to {} were read",
            seq + 1,
            signed.size
        ),
        None => "every line read".to_string(),
    };
    let mut note = format!(
        "lines 1 to {} are the tree signed for {} ({how})",
        signed.size, signed.origin
    );
    if from_snapshot.is_some() && from_snapshot == answer.snapshot {
        note.push_str("; this state starts from that snapshot");
    }
    if answer.seq > signed.size {
        note.push_str(&format!(
            "; lines {} to {} came after it and no checkpoint covers them",
            signed.size + 1,
            answer.seq
        ));
    }
    Ok(note)
}

fn diff(
    target: &Target,
    from: &Query,
    to: &Query,
    json: bool,
    paint: render::Paint,
) -> Result<(), Failure> {
    let from_argument = format!("diff's FROM point {}", from.at.unwrap_or(0));
    let to_argument = format!("diff's TO point {}", to.at.unwrap_or(0));
    // A file's two points come from one reading, where the fold to TO passes through FROM.
    let (before, after) = accord::front::query::answer_pair(target, from, to)?;
    let name = target.name();
    let before = told(&name, from, before, &from_argument)?;
    let after = told(&name, to, after, &to_argument)?;
    let changes = accord::views::diff::diff(&before.folded.state, &after.folded.state);
    if json {
        let side = |answer: &Answer| {
            serde_json::json!({
                "events": answer.folded.events,
                "head": answer.head,
                "occurred": answer.folded.occurred,
                "seq": answer.seq,
            })
        };
        let document = serde_json::json!({
            "changes": changes,
            "from": side(&before),
            "to": side(&after),
        });
        return print(&format!("{document}\n"));
    }
    print(&render::diff(from, &before, to, &after, &changes, paint))
}

fn snapshot(target: &Target) -> Result<(), Failure> {
    let path = match target {
        Target::File(path) => path,
        Target::Once(path) => {
            return Err(needs_a_file(
                path,
                "snapshot",
                "keeps the state beside a log file, in LOG.snapshots/",
            ));
        }
        Target::Stream { .. } => {
            return Err(Failure::Usage(format!(
                "snapshot: {} keeps the state at its tail in the database, checked before every use; snapshots are files beside a log file",
                printable(&target.name().display().to_string())
            )));
        }
    };
    let store = FileStore::new(path);
    match query::snapshot(&store)? {
        None => Err(Failure::refused(format!(
            "{}: the log is empty; there is nothing to snapshot",
            path.display()
        ))),
        Some(written) => {
            let answer = &written.answer;
            let start = answer
                .snapshot
                .map_or("from the first line".to_string(), |seq| {
                    format!("from the snapshot at seq {seq}")
                });
            let tree_start = written
                .tree_from_snapshot
                .map_or("every line read".to_string(), |seq| {
                    format!("grown from the snapshot at seq {seq}")
                });
            print(&format!(
                "snapshot at seq {} head {} ({}, folded {start}) written to {}\ntree size {} root {} ({tree_start})\n",
                answer.seq,
                answer.head,
                counted(answer.folded.events, "event", "events"),
                written.path.display(),
                written.tree.size(),
                written.tree.root(),
            ))
        }
    }
}

fn verify(
    target: &Target,
    pinned: Option<&str>,
    signed: Option<&Checkpoint>,
    json: bool,
) -> Result<(), Failure> {
    let pinned = pinned
        .map(|text| Hash::parse(text).map_err(|error| Failure::Usage(format!("--head: {error}"))))
        .transpose()?;
    let verified = accord::front::verify::verify(target, pinned, signed, &mut |also| {
        say(also.message());
    })?;
    let snapshots = verified.snapshots;
    let pinned_at = verified.pinned_seq;
    if json {
        let mut report = serde_json::json!({
            "ok": true,
            "events": verified.events,
            "head": verified.head,
            "snapshots": snapshots,
        });
        if let Some(seq) = pinned_at {
            report["pinned_seq"] = seq.into();
        }
        if let Some(covered) = &verified.checkpoint {
            report["checkpoint_size"] = covered.size.into();
            report["covered_snapshots"] = covered.covered_snapshots.clone().into();
        }
        return print(&format!("{report}\n"));
    }
    let mut line = format!(
        "ok {} head {}",
        counted(verified.events, "event", "events"),
        verified.head
    );
    if snapshots > 0 {
        line.push_str(&format!(
            " ({} beside it agree{})",
            counted(snapshots as u64, "snapshot", "snapshots"),
            if snapshots == 1 { "s" } else { "" }
        ));
    }
    match pinned_at {
        Some(0) => {
            line.push_str(" (extends the pinned head: the empty log's, which every log extends)")
        }
        Some(seq) => line.push_str(&format!(" (extends the pinned head, line {seq})")),
        None => {}
    }
    if let Some(signed) = signed {
        line.push_str(&format!(
            " (extends the signed checkpoint of {} at {}",
            printable(&signed.origin),
            counted(signed.size, "line", "lines")
        ));
        let covered = verified
            .checkpoint
            .as_ref()
            .map_or(&[][..], |covered| &covered.covered_snapshots);
        if !covered.is_empty() {
            let seqs: Vec<String> = covered.iter().map(u64::to_string).collect();
            line.push_str(&format!(
                "; its snapshots at seq {} stand on the signed lines",
                seqs.join(", ")
            ));
        }
        line.push(')');
    }
    print(&format!("{line}\n"))
}

use accord::front::checkpoint::{extends_checkpoint, open_checkpoint, read_small};

fn history(target: &Target, entity: &str, json: bool, paint: render::Paint) -> Result<(), Failure> {
    let path = &target.name();
    let entity = EntityRef::parse(entity).map_err(Failure::Usage)?;
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
            let event = entry.event;
            let mut line = serde_json::json!({
                "after": entry.after,
                "before": entry.before,
                "data": event.data,
                "id": event.id,
                "occurred": event.occurred,
                "recorded": event.recorded,
                "seq": event.seq,
                "source": event.source,
                "type": event.data.type_name(),
            })
            .to_string();
            line.push('\n');
            line
        } else {
            render::history_entry(&entity, &entry, paint)
        };
        outcome = out.write_all(text.as_bytes());
        outcome.is_ok()
    };
    let named = target.read(|source| history::stream_history(source, &entity, on_entry))?;
    if named == 0 {
        return Err(Failure::refused(format!(
            "{}: no event names {entity}",
            path.display()
        )));
    }
    written(outcome.and_then(|()| out.flush()))
}

/// The head without a fold: lines are read and their envelopes checked, nothing more.
fn head(target: &Target, at: Option<u64>) -> Result<(), Failure> {
    let path = &target.name();
    let (seq, head) = match target {
        Target::File(path) => {
            let (seq, head, warnings) = query::head(&FileStore::new(path), at)?;
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

/// Text with its control characters and bidirectional controls escaped, so what is shown
/// stays on one line and in its order.
pub fn printable(text: &str) -> String {
    accord::views::text::printable(text).into_owned()
}

/// The scenario of `simulate` or `analyze`: a scenario file, with the strategies or the
/// deadline replaced when given, or GENIUS files (boulware and 100 rounds unless given).
/// A tournament's domain: a GENIUS directory (the one .xml file with `domain` in its name,
/// and its other .xml files as the profiles, in name order) or a scenario file.
fn load_tournament_domain(
    path: &Path,
    deadline: Option<u32>,
) -> Result<accord::sim::scenario::Scenario, Failure> {
    if !path.is_dir() {
        return load_scenario(Some(path), None, None, deadline);
    }
    accord::sim::scenario::from_genius_directory(
        path,
        &["boulware".to_string()],
        deadline.unwrap_or(100),
    )
    .map_err(simulate::sim_failure)
}

/// A GENIUS or GeniusWeb file's text; `-` reads stdin (for one of the files only).
fn read_profile_text(path: &Path) -> Result<String, accord::sim::SimError> {
    if !is_stdin(path) {
        return accord::sim::genius::read(path);
    }
    let bytes = stdin_bytes()
        .map_err(|_| accord::sim::SimError::io(Path::new("stdin"), "cannot be read"))?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| accord::sim::SimError::new(Path::new("stdin"), "not UTF-8".into()))
}

/// The scenario of `--geniusweb PROFILE.json...`: one party per profile.
fn load_geniusweb(
    path: Option<&Path>,
    profiles: &[PathBuf],
    strategies: Option<Vec<String>>,
    deadline: Option<u32>,
) -> Result<accord::sim::scenario::Scenario, Failure> {
    if let Some(path) = path {
        return Err(Failure::Usage(format!(
            "give a SCENARIO or --geniusweb, not both ({} and --geniusweb)",
            path.display()
        )));
    }
    if profiles.iter().filter(|path| is_stdin(path)).count() > 1 {
        return Err(Failure::Usage(
            "--geniusweb: stdin (`-`) can stand for one of the files only".into(),
        ));
    }
    let strategies = strategies.unwrap_or_else(|| vec!["boulware".to_string()]);
    accord::sim::scenario::from_geniusweb_read_by(
        profiles,
        &strategies,
        deadline.unwrap_or(100),
        &read_profile_text,
    )
    .map_err(simulate::sim_failure)
}

fn load_scenario(
    path: Option<&Path>,
    genius: Option<&[PathBuf]>,
    strategies: Option<Vec<String>>,
    deadline: Option<u32>,
) -> Result<accord::sim::scenario::Scenario, Failure> {
    use accord::sim::scenario;
    match (path, genius) {
        (Some(path), Some(_)) => Err(Failure::Usage(format!(
            "give a SCENARIO or --genius, not both ({} and --genius)",
            path.display()
        ))),
        (_, Some([domain, profiles @ ..])) => {
            let strategies = strategies.unwrap_or_else(|| vec!["boulware".to_string()]);
            if [domain]
                .into_iter()
                .chain(profiles)
                .filter(|path| is_stdin(path))
                .count()
                > 1
            {
                return Err(Failure::Usage(
                    "--genius: stdin (`-`) can stand for one of the files only".into(),
                ));
            }
            scenario::from_genius_read_by(
                domain,
                profiles,
                &strategies,
                deadline.unwrap_or(100),
                &read_profile_text,
            )
            .map_err(simulate::sim_failure)
        }
        (Some(path), _) if is_stdin(path) => {
            let bytes = stdin_bytes()?;
            let text = std::str::from_utf8(bytes)
                .map_err(|_| Failure::refused("stdin: the scenario is not UTF-8".into()))?;
            scenario::from_text(text, Path::new("stdin"), Path::new("."))
                .and_then(|loaded| loaded.with_overrides(strategies.as_deref(), deadline))
                .map_err(simulate::sim_failure)
        }
        (Some(path), _) => scenario::load(path)
            .and_then(|loaded| loaded.with_overrides(strategies.as_deref(), deadline))
            .map_err(simulate::sim_failure),
        _ => Err(Failure::Usage(
            "give a SCENARIO or --genius DOMAIN.xml PROFILE.xml...".into(),
        )),
    }
}

/// `accord db init URL`.
#[cfg(feature = "postgres")]
fn database_init(url: &str) -> Result<(), Failure> {
    use accord::stores::postgres::{InitOutcome, SCHEMA_VERSION, init_with};
    use accord::stores::shown_url;
    let said = match init_with(url, database_waits())? {
        InitOutcome::Created => format!("created the accord schema {SCHEMA_VERSION}"),
        InitOutcome::AlreadyThere => {
            format!("the accord schema {SCHEMA_VERSION} is already there; nothing changed")
        }
    };
    print(&format!("{}: {said}\n", printable(&shown_url(url))))
}

#[cfg(not(feature = "postgres"))]
fn database_init(_url: &str) -> Result<(), Failure> {
    Err(without_postgres("db init"))
}

/// Whether a LOG argument names a database rather than a file (a URL or a key-value
/// connection string).
fn is_database(target: &str) -> bool {
    accord::stores::is_database_target(target)
}

/// The bytes of the log at `target` (a file, stdin, a pipe, or a stream of a database).
fn log_bytes(target: &str, stream: &str) -> Result<Vec<u8>, Failure> {
    if is_database(target) {
        return database_log_bytes(target, stream);
    }
    let path = Path::new(target);
    if is_stdin(path) {
        return Ok(stdin_bytes()?.to_vec());
    }
    if accord::files::input::is_stream(path) {
        return stream_bytes(path).map(<[u8]>::to_vec);
    }
    Ok(FileStore::new(target).read_bytes()?)
}

/// What the copy's read-back compares: the bytes' length and SHA-256.
#[derive(PartialEq, Eq)]
struct Digest {
    length: u64,
    sha256: [u8; 32],
}

/// A writer that keeps only the digest of what it is given.
#[derive(Default)]
struct Digesting {
    length: u64,
    hasher: sha2::Sha256,
}

impl Write for Digesting {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        use sha2::Digest as _;
        self.hasher.update(bytes);
        self.length += bytes.len() as u64;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Digesting {
    fn finish(self) -> Digest {
        use sha2::Digest as _;
        Digest {
            length: self.length,
            sha256: self.hasher.finalize().into(),
        }
    }
}

impl Digest {
    fn of(bytes: &[u8]) -> Digest {
        let mut digesting = Digesting::default();
        let _ = digesting.write_all(bytes);
        digesting.finish()
    }
}

/// The digest of the log at `target`, read a buffer (a file) or a page (a stream) at a time.
fn log_digest(target: &str, stream: &str) -> Result<Digest, Failure> {
    let mut digesting = Digesting::default();
    if is_database(target) {
        let store = open_target(Path::new(target), Some(stream))?.store()?;
        accord::stores::with_whole(&*store, |source| {
            source
                .read_at(0)
                .and_then(|mut reader| io::copy(&mut reader, &mut digesting))
        })?
        .map_err(|error| {
            Failure::Usage(format!(
                "{}: {error}",
                printable(&accord::stores::shown_url(target))
            ))
        })?;
    } else {
        let store = FileStore::new(target);
        let mut file = store.open_shared()?;
        io::copy(&mut file, &mut digesting)
            .map_err(|error| Failure::Usage(format!("{}: {error}", printable(target))))?;
    }
    Ok(digesting.finish())
}

/// Where `copy` writes: an empty stream of a database, stdout (`-`), or a file (checked
/// before the source is read).
enum CopyDestination {
    Stream,
    Document(Destination),
}

/// `accord copy SOURCE DESTINATION`.
fn copy_log(
    source: &str,
    destination: &str,
    from_stream: &str,
    to_stream: &str,
    force: bool,
) -> Result<(), Failure> {
    let shown = |target: &str, stream: &str| {
        if is_database(target) {
            format!("{}#{stream}", accord::stores::shown_url(target))
        } else if is_stdin(Path::new(target)) {
            "stdin".to_string()
        } else {
            target.to_string()
        }
    };
    // With --force, a copy onto its own source would cut the log before writing it back.
    let same_file = !is_database(source)
        && !is_database(destination)
        && std::fs::canonicalize(source)
            .ok()
            .is_some_and(|source| std::fs::canonicalize(destination).ok() == Some(source));
    if same_file || (is_database(source) && source == destination && from_stream == to_stream) {
        return Err(Failure::Usage(format!(
            "copy: {} is both the source and the destination",
            printable(&shown(destination, to_stream))
        )));
    }
    let destination_kind = if is_database(destination) {
        CopyDestination::Stream
    } else {
        CopyDestination::Document(Destination::check(Path::new(destination), force)?)
    };
    let bytes = log_bytes(source, from_stream)?;
    // Only a log that verifies is copied: a copy must not carry damage somewhere new. The
    // check is the streaming replay's, so the copy holds the bytes and no more.
    let verified = accord::stores::snapshot::verify_source(&BytesSource(&bytes), None)
        .map_err(|error| read_failure(Path::new(&shown(source, from_stream)), error))?;
    let to_stdout = match destination_kind {
        CopyDestination::Stream => {
            database_import(destination, to_stream, &bytes)?;
            false
        }
        CopyDestination::Document(document) => {
            let to_stdout = document.is_stdout();
            document.write(&bytes)?;
            to_stdout
        }
    };
    // Read back as a digest, a page or a buffer at a time: the copy holds the log once.
    if !to_stdout && log_digest(destination, to_stream)? != Digest::of(&bytes) {
        return Err(Failure::Usage(format!(
            "{}: the copy reads back different from {}",
            printable(&shown(destination, to_stream)),
            printable(&shown(source, from_stream))
        )));
    }
    let said = format!(
        "copied {} from {} to {}; head {}",
        counted(verified.events, "event", "events"),
        shown(source, from_stream),
        if to_stdout {
            "stdout".to_string()
        } else {
            shown(destination, to_stream)
        },
        verified.head
    );
    if to_stdout {
        // Stdout holds the log: the report goes to stderr.
        say(&said);
        return Ok(());
    }
    print(&format!("{}\n", printable(&said)))
}

#[cfg(feature = "postgres")]
fn database_log_bytes(url: &str, stream: &str) -> Result<Vec<u8>, Failure> {
    Ok(database_stream(url, stream).store()?.export()?)
}

#[cfg(feature = "postgres")]
fn database_import(url: &str, stream: &str, bytes: &[u8]) -> Result<(), Failure> {
    database_stream(url, stream).store()?.import(bytes)?;
    Ok(())
}

#[cfg(not(feature = "postgres"))]
fn database_log_bytes(_url: &str, _stream: &str) -> Result<Vec<u8>, Failure> {
    Err(without_postgres("copy"))
}

#[cfg(not(feature = "postgres"))]
fn database_import(_url: &str, _stream: &str, _bytes: &[u8]) -> Result<(), Failure> {
    Err(without_postgres("copy"))
}

#[cfg(not(feature = "postgres"))]
use accord::front::target::without_postgres;
