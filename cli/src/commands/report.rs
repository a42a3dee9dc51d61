//! `accord report LOG --out FILE.html`: the negotiation on one page
//! (`accord::views::report` draws it).

use accord::results::{AnalysisJson, RunRow};
use accord::views::report::ResultDocument;
use std::path::{Path, PathBuf};

use accord::format::time::Timestamp;
use accord::reading::log::{Prefix, ReadError};
use accord::replay::Scope;
use accord::views::report::{CheckpointSeen, LogReport, ReportedEvent};

use accord::front::Target;
use accord::front::checkpoint::read_small;
use accord::proofs::checkpoint::Checkpoint;

use crate::context::{Context, Failure, printable, time_argument};
use crate::output::{Destination, print, say};

#[derive(clap::Args)]
pub struct Args {
    /// The log (a file, - for stdin, or postgres://... with --stream), or a simulation
    /// or tournament result (`--json` output saved to a file).
    pub log: PathBuf,
    /// The page to write (refused if it exists, unless --force).
    #[arg(long, value_name = "FILE.html")]
    pub out: PathBuf,
    /// Only the lines recorded at or before TIME (what was known then).
    #[arg(long, value_name = "TIME")]
    pub known_at: Option<String>,
    /// Only the events that occurred at or before TIME (what was true then).
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Check the signature of the latest checkpoint kept beside the log with this key.
    #[arg(long, value_name = "KEY")]
    pub pubkey: Option<PathBuf>,
    /// For a simulation result: its runs (`simulate --per-run RUNS.jsonl`), for the
    /// rounds' histogram and the agreements' scatter.
    #[arg(long, value_name = "RUNS.jsonl")]
    pub per_run: Option<PathBuf>,
    /// For a simulation result: its domain's `analyze --frontier --json`, for the
    /// frontier and the Nash and Kalai-Smorodinsky points.
    #[arg(long, value_name = "FILE.json")]
    pub analysis: Option<PathBuf>,
    /// Replace FILE.html if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let known_at = time_argument("--known-at", &args.known_at)?;
    let as_of = time_argument("--as-of", &args.as_of)?;
    let files = ResultFiles {
        per_run: args.per_run.as_deref(),
        analysis: args.analysis.as_deref(),
    };
    report(
        &context.target(&args.log)?,
        &args.out,
        known_at,
        as_of,
        args.pubkey.as_deref(),
        files,
        args.force,
    )
}

/// The most events a report reads: each is held until the page is drawn.
pub const MAX_REPORT_EVENTS: usize = 1_000_000;

/// The files that add to the report of a simulation batch: its runs and its domain's
/// analysis.
pub struct ResultFiles<'a> {
    pub per_run: Option<&'a Path>,
    pub analysis: Option<&'a Path>,
}

/// The largest result or analysis document read.
const MAX_RESULT_BYTES: u64 = 64 << 20;

/// The most runs read from a `--per-run` file.
pub const MAX_PER_RUN_ROWS: usize = 1_000_000;

#[allow(clippy::too_many_arguments)]
pub fn report(
    target: &Target,
    out: &Path,
    known_at: Option<Timestamp>,
    as_of: Option<Timestamp>,
    pubkey: Option<&Path>,
    files: ResultFiles<'_>,
    force: bool,
) -> Result<(), Failure> {
    // Checked before any reading: nothing is overwritten by surprise, and only a regular
    // file (or stdout, `-`) is written.
    let destination = Destination::check(out, force)?;
    if let Some(result) = result_document(target)? {
        if known_at.is_some() || as_of.is_some() || pubkey.is_some() {
            return Err(Failure::Usage(
                "--known-at, --as-of and --pubkey are for a log, not a simulation or tournament result".into(),
            ));
        }
        return result_report(target, &result, destination, files);
    }
    if files.per_run.is_some() || files.analysis.is_some() {
        return Err(Failure::Usage(format!(
            "{}: --per-run and --analysis go with a simulation result (`simulate --json` saved to a file), not a log",
            printable(&target.name().display().to_string())
        )));
    }
    let name = target.name();
    let scope = Scope {
        prefix: Prefix {
            at: None,
            known_at: known_at.clone(),
        },
        as_of: None,
    };
    let checkpoint_note = match target {
        Target::File(path) => latest_checkpoint(path)?,
        _ => None,
    };
    let reading = read_for_report(target, &scope, checkpoint_note.as_ref())?;
    if reading.too_many {
        return Err(Failure::Usage(format!(
            "{}: a report draws at most {MAX_REPORT_EVENTS} events; narrow it with --known-at",
            printable(&name.display().to_string())
        )));
    }
    let (events, refusal) = (reading.events, reading.refusal);
    let checkpoint = match checkpoint_note {
        None => None,
        Some(note) => Some(checkpoint_seen(note, reading.root_at_checkpoint, pubkey)?),
    };
    let mut scope_words = Vec::new();
    if let Some(known_at) = &known_at {
        scope_words.push(format!("known at {known_at}"));
    }
    if let Some(as_of) = &as_of {
        scope_words.push(format!("as of {as_of}"));
    }
    let shown_name = name.display().to_string();
    let page = accord::views::report::log_report(&LogReport {
        name: &shown_name,
        events: &events,
        refusal: refusal
            .as_ref()
            .map(|error| format!("line {}: {}: {}", error.line, error.rule, error.detail)),
        checkpoint,
        as_of,
        scope: scope_words.join(", "),
    });
    let to_stdout = destination.is_stdout();
    destination.write(page.as_bytes())?;
    let verdict = match &refusal {
        None => "the log verifies".to_string(),
        Some(error) => format!(
            "the log is refused at line {}; the page shows what came before",
            error.line
        ),
    };
    let said = format!(
        "report of {} written to {} ({} bytes; {verdict})",
        accord::views::text::counted(events.len() as u64, "event", "events"),
        shown_destination(out, to_stdout),
        page.len(),
    );
    tell(&said, to_stdout)?;
    match refusal {
        // The page is written, and the log is still refused: exit 1, as `verify` would.
        Some(error) => Err(Failure::of_reading(&name, ReadError::Rule(error))),
        None => Ok(()),
    }
}

/// What a report reads of a log: its events (up to the limit) with their lines' hashes, the
/// rule that refused it at some line, and the root of its tree at the size of the checkpoint
/// kept beside it.
struct ReportReading {
    events: Vec<ReportedEvent>,
    too_many: bool,
    refusal: Option<accord::reading::log::LogError>,
    root_at_checkpoint: Option<(u64, accord::format::ids::Hash)>,
}

/// Reads the log once for the report: a log refused at some line is reported up to it.
fn read_for_report(
    target: &Target,
    scope: &Scope,
    checkpoint_note: Option<&(String, Checkpoint, Vec<String>)>,
) -> Result<ReportReading, Failure> {
    let mut events = Vec::new();
    let mut too_many = false;
    let (refusal, root_at_checkpoint) = target.read(|source| {
        let replayed = accord::replay::replay_whole(source, scope, &mut |seen| {
            if events.len() == MAX_REPORT_EVENTS {
                too_many = true;
                return;
            }
            events.push(ReportedEvent {
                event: seen.event.clone(),
                hash: seen.position.head,
            });
        });
        let refusal = match replayed {
            Ok(_) => None,
            Err(ReadError::Rule(error)) => Some(error),
            Err(error) => return Err(error),
        };
        let root = match checkpoint_note {
            Some((_, checkpoint, _)) => Some(accord::proofs::root(source, Some(checkpoint.size))?),
            None => None,
        };
        Ok((refusal, root))
    })?;
    Ok(ReportReading {
        events,
        too_many,
        refusal,
        root_at_checkpoint,
    })
}

/// The kept checkpoint as the page shows it: whether the log's tree of its size has its
/// root, and who signed it (with `--pubkey`, whether that key's signature holds).
fn checkpoint_seen(
    (note, checkpoint, signers): (String, Checkpoint, Vec<String>),
    root_at_checkpoint: Option<(u64, accord::format::ids::Hash)>,
    pubkey: Option<&Path>,
) -> Result<CheckpointSeen, Failure> {
    let mut signers = signers;
    if let Some(pubkey) = pubkey {
        let key = key(pubkey)?;
        let holds = key.open(&note).is_ok();
        signers = vec![format!(
            "{} (its signature {} with {})",
            key.name(),
            if holds { "holds" } else { "does NOT hold" },
            pubkey.display()
        )];
    }
    Ok(CheckpointSeen {
        root_matches: root_at_checkpoint.and_then(|(lines, root)| {
            (lines == checkpoint.size).then_some(root == checkpoint.root)
        }),
        origin: checkpoint.origin,
        size: checkpoint.size,
        root: checkpoint.root,
        signers,
    })
}

/// Where the page went, for the line that says so.
fn shown_destination(out: &Path, to_stdout: bool) -> String {
    if to_stdout {
        "stdout".to_string()
    } else {
        out.display().to_string()
    }
}

/// The line that says what was written: on stdout, or on stderr when stdout holds the page.
fn tell(said: &str, to_stdout: bool) -> Result<(), Failure> {
    if to_stdout {
        say(said);
        Ok(())
    } else {
        print(&format!("{}\n", printable(said)))
    }
}

/// The latest checkpoint kept in `LOG.checkpoints/` (the largest size; the first key id
/// among those), read without checking its signature; `None` when there is none.
fn latest_checkpoint(
    log: &Path,
) -> Result<Option<(String, accord::proofs::checkpoint::Checkpoint, Vec<String>)>, Failure> {
    let mut directory = log.as_os_str().to_owned();
    directory.push(".checkpoints");
    let Ok(entries) = std::fs::read_dir(PathBuf::from(directory)) else {
        return Ok(None);
    };
    let mut names: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "txt"))
        .collect();
    // Names are SIZE (20 digits) and the key id: the last is the largest size.
    names.sort();
    let Some(latest) = names.last() else {
        return Ok(None);
    };
    let bytes = read_small(latest, accord::proofs::checkpoint::MAX_NOTE_BYTES as u64)?;
    let note = String::from_utf8(bytes).map_err(|_| {
        Failure::Usage(format!(
            "{}: not UTF-8 text",
            printable(&latest.display().to_string())
        ))
    })?;
    let (checkpoint, signers) =
        accord::proofs::checkpoint::read_unverified(&note).map_err(|detail| {
            Failure::Usage(format!(
                "{}: {detail}",
                printable(&latest.display().to_string())
            ))
        })?;
    Ok(Some((note, checkpoint, signers)))
}

fn key(path: &Path) -> Result<accord::proofs::checkpoint::VerifierKey, Failure> {
    let bytes = read_small(path, accord::proofs::checkpoint::MAX_NOTE_BYTES as u64)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Usage(format!("{}: not a key file", path.display())))?;
    accord::proofs::checkpoint::VerifierKey::parse(&text).map_err(|detail| {
        Failure::Usage(format!(
            "{}: {detail}",
            printable(&path.display().to_string())
        ))
    })
}

/// The document of a simulation or tournament result, when the input is one (`--json`
/// output saved to a file: one JSON object, on one line or pretty-printed); `None` for a
/// log.
fn result_document(target: &Target) -> Result<Option<ResultDocument>, Failure> {
    use std::io::{BufRead as _, Read as _};
    let bytes: Vec<u8> = match target {
        Target::Stream { .. } => return Ok(None),
        Target::Once(path) => accord::front::target::once_bytes(path)?.to_vec(),
        Target::File(path) => {
            let Ok(file) = std::fs::File::open(path) else {
                // The log's own reading names the problem.
                return Ok(None);
            };
            let mut reader = std::io::BufReader::new(file).take(MAX_RESULT_BYTES + 1);
            let mut first = Vec::new();
            reader
                .read_until(b'\n', &mut first)
                .map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))?;
            if first.trim_ascii() == b"{" {
                reader
                    .read_to_end(&mut first)
                    .map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))?;
            }
            first
        }
    };
    let document = if bytes.trim_ascii_start().starts_with(b"{\n") {
        &bytes[..]
    } else {
        bytes
            .split(|byte| *byte == b'\n')
            .next()
            .unwrap_or_default()
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(document) else {
        return Ok(None);
    };
    ResultDocument::of_json(value).transpose().map_err(|error| {
        Failure::Usage(format!(
            "{}: {error}",
            printable(&target.name().display().to_string())
        ))
    })
}

fn result_report(
    target: &Target,
    result: &ResultDocument,
    destination: Destination,
    files: ResultFiles<'_>,
) -> Result<(), Failure> {
    let runs = match files.per_run {
        Some(path) => per_run_rows(path)?,
        None => Vec::new(),
    };
    let analysis = match files.analysis {
        Some(path) => {
            let bytes = read_small(path, MAX_RESULT_BYTES)?;
            let value: AnalysisJson = serde_json::from_slice(&bytes).map_err(|error| {
                Failure::Usage(format!(
                    "{}: not an analysis (`analyze --frontier --json`): {error}",
                    printable(&path.display().to_string())
                ))
            })?;
            Some(value)
        }
        None => None,
    };
    let name = target.name().display().to_string();
    // Another batch's runs or another domain's analysis would draw a page that lies.
    accord::views::report::inputs_belong_to_result(result, &runs, analysis.as_ref())
        .map_err(|detail| Failure::refused(format!("{}: {detail}", printable(&name))))?;
    let page = accord::views::report::result_report(&accord::views::report::ResultReport {
        name: &name,
        result,
        runs: &runs,
        analysis: analysis.as_ref(),
    });
    let to_stdout = destination.is_stdout();
    let out = match &destination {
        Destination::File(target) => target.path().display().to_string(),
        Destination::Stdout => "stdout".to_string(),
    };
    destination.write(page.as_bytes())?;
    tell(
        &format!(
            "report of the {} result written to {out} ({} bytes)",
            result.kind(),
            page.len()
        ),
        to_stdout,
    )
}

/// The rows of a `simulate --per-run FILE.jsonl`, each a JSON object.
fn per_run_rows(path: &Path) -> Result<Vec<RunRow>, Failure> {
    use std::io::BufRead as _;
    let shown = printable(&path.display().to_string());
    let file =
        std::fs::File::open(path).map_err(|error| Failure::Usage(format!("{shown}: {error}")))?;
    let mut rows = Vec::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|error| Failure::Usage(format!("{shown}: {error}")))?;
        if rows.len() == MAX_PER_RUN_ROWS {
            return Err(Failure::Usage(format!(
                "{shown}: a report reads at most {MAX_PER_RUN_ROWS} runs"
            )));
        }
        let row: RunRow = serde_json::from_str(&line).map_err(|_| {
            Failure::Usage(format!(
                "{shown}: line {}: not a run of `simulate --per-run FILE.jsonl`",
                index + 1
            ))
        })?;
        rows.push(row);
    }
    Ok(rows)
}
