//! `accord import`: records of a dataset made drafts for a log, beside the parties the log
//! already has and what it holds of the dataset, so that a curated log and an import meet
//! on the same ids and a newer release corrects what changed. Files are read as streams,
//! a batch of records at a time, and appended a batch of drafts at a time: memory is
//! bounded by a batch, not by the file.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;

use super::{Refusal, Target};
use crate::format::event::Draft;
use crate::format::ids::Slug;
use crate::format::time::Timestamp;
use crate::import::{
    Filters, Held, ImportError, ImportPlan, Planner, RecordStream, acled, icews, plover,
};
use crate::stores::query::Query;

/// The datasets `accord import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    Plover,
    Icews,
    Acled,
}

impl Dataset {
    /// The dataset's name, in `origin.dataset` and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Plover => plover::DATASET,
            Dataset::Icews => icews::DATASET,
            Dataset::Acled => acled::DATASET,
        }
    }
}

/// The most bytes of one PLOVER file an import reads (a JSON array is read whole; the
/// delimited exports are streamed, whatever their size).
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// Records read and planned at a time.
pub const RECORDS_PER_BATCH: usize = 10_000;

/// Drafts appended at a time (each append all or none): an import of more lands in
/// several appends, and a second run after a failure adds what the first did not.
pub const DRAFTS_PER_APPEND: usize = 100_000;

/// Drafts a dry run keeps to list; it counts the rest.
pub const MAX_LISTED_DRAFTS: usize = 1_000;

/// A file of an import: a path (read as a stream), or bytes (a test's, Python's).
pub enum Input {
    Path(PathBuf),
    Bytes { name: String, bytes: Vec<u8> },
}

impl Input {
    fn name(&self) -> String {
        match self {
            Input::Path(path) => {
                crate::views::text::printable(&path.display().to_string()).into_owned()
            }
            Input::Bytes { name, .. } => crate::views::text::printable(name).into_owned(),
        }
    }

    fn len(&self) -> u64 {
        match self {
            Input::Path(path) => std::fs::metadata(path).map_or(0, |metadata| metadata.len()),
            Input::Bytes { bytes, .. } => bytes.len() as u64,
        }
    }

    fn open(&self) -> Result<Box<dyn Read + '_>, Refusal> {
        match self {
            Input::Path(path) => {
                let file = std::fs::File::open(path)
                    .map_err(|error| Refusal::Io(format!("{}: {error}", self.name())))?;
                Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, file)))
            }
            Input::Bytes { bytes, .. } => Ok(Box::new(bytes.as_slice())),
        }
    }
}

/// The files of an import, by their paths.
pub fn inputs(paths: &[PathBuf]) -> Vec<Input> {
    paths.iter().cloned().map(Input::Path).collect()
}

/// How far an import has read: bytes of all its files.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub bytes_read: u64,
    pub bytes_total: u64,
}

/// A batch of a file: records, or (ACLED) rows of a deletions list.
enum Batch {
    Records(Vec<crate::import::SourceRecord>),
    Deletions(Vec<(String, String)>),
}

/// Reads every input a batch at a time, handing each batch to `take`, and the bytes read
/// so far to `progress`.
fn each_batch(
    dataset: Dataset,
    inputs: &[Input],
    records_per_batch: usize,
    progress: &mut dyn FnMut(Progress),
    mut take: impl FnMut(Batch) -> Result<(), Refusal>,
) -> Result<(), Refusal> {
    let bytes_total = inputs.iter().map(Input::len).sum();
    let mut done = 0u64;
    for input in inputs {
        let shape = |error: ImportError| Refusal::Usage(format!("{}: {error}", input.name()));
        let mut report = |read: u64| {
            progress(Progress {
                bytes_read: done + read,
                bytes_total,
            })
        };
        let read = input.open()?;
        match dataset {
            Dataset::Plover => {
                // PLOVER JSON (an array, or a record per line) or POLECAT's tab-separated
                // export, told apart by the first byte that is not blank.
                let mut read = std::io::BufReader::with_capacity(1 << 16, read);
                let json = {
                    let start = std::io::BufRead::fill_buf(&mut read)
                        .map_err(|error| Refusal::Io(format!("{}: {error}", input.name())))?;
                    let start = start.strip_prefix(b"\xef\xbb\xbf").unwrap_or(start);
                    matches!(
                        start.iter().find(|byte| !byte.is_ascii_whitespace()),
                        Some(b'[' | b'{') | None
                    )
                };
                if !json {
                    let mut records = plover::Polecat::new(read).map_err(shape)?;
                    done += stream(
                        &mut records,
                        records_per_batch,
                        &shape,
                        &mut take,
                        &mut report,
                    )?;
                    continue;
                }
                let mut bytes = Vec::new();
                read.take(MAX_INPUT_BYTES + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|error| Refusal::Io(format!("{}: {error}", input.name())))?;
                if bytes.len() as u64 > MAX_INPUT_BYTES {
                    return Err(Refusal::Usage(format!(
                        "{}: longer than {MAX_INPUT_BYTES} bytes, the most one PLOVER file may be",
                        input.name()
                    )));
                }
                let records = plover::records(&bytes).map_err(shape)?;
                for chunk in records.chunks(records_per_batch) {
                    take(Batch::Records(
                        chunk.iter().map(plover::source_record).collect(),
                    ))?;
                }
                report(bytes.len() as u64);
                done += bytes.len() as u64;
            }
            Dataset::Icews => {
                let mut records = icews::Records::new(read).map_err(shape)?;
                done += stream(
                    &mut records,
                    records_per_batch,
                    &shape,
                    &mut take,
                    &mut report,
                )?;
            }
            Dataset::Acled => {
                let mut reader = acled::Reader::new(read).map_err(shape)?;
                loop {
                    let batch = match reader.next_batch(records_per_batch).map_err(shape)? {
                        acled::Batch::Events(records) if records.is_empty() => break,
                        acled::Batch::Deletions(rows) if rows.is_empty() => break,
                        acled::Batch::Events(records) => Batch::Records(records),
                        acled::Batch::Deletions(rows) => Batch::Deletions(rows),
                    };
                    take(batch)?;
                    report(reader.bytes_read());
                }
                done += reader.bytes_read();
            }
        }
    }
    Ok(())
}

/// Hands every batch of `records` to `take` and the bytes read after each to `report`:
/// the bytes read in all.
fn stream(
    records: &mut dyn RecordStream,
    records_per_batch: usize,
    shape: &dyn Fn(ImportError) -> Refusal,
    take: &mut impl FnMut(Batch) -> Result<(), Refusal>,
    report: &mut impl FnMut(u64),
) -> Result<u64, Refusal> {
    loop {
        let batch = records.next_batch(records_per_batch).map_err(shape)?;
        if batch.is_empty() {
            return Ok(records.bytes_read());
        }
        take(Batch::Records(batch))?;
        report(records.bytes_read());
    }
}

/// What a log is before an import: whether it exists, its parties, and what its lines
/// hold of the dataset.
fn start(target: &Target, dataset: Dataset) -> Result<(BTreeSet<Slug>, Held), Refusal> {
    if let Target::Once(path) = target {
        return Err(Refusal::Usage(format!(
            "import appends to a log file or a stream, and {} is read once as a stream",
            crate::views::text::printable(&path.display().to_string())
        )));
    }
    // A log that does not exist yet (a file, or a stream no append has made) is empty:
    // the import makes it.
    let absent = match target {
        Target::File(path) => !path.exists(),
        _ => target.store()?.head()?.0 == 0,
    };
    if absent {
        return Ok((BTreeSet::new(), Held::new(dataset.name())));
    }
    let parties = super::query::answer(target, &Query::default())?
        .folded
        .state
        .parties
        .keys()
        .cloned()
        .collect();
    Ok((parties, held(target, dataset.name())?))
}

/// What the log's lines hold of `dataset`: one pass over the log.
fn held(target: &Target, dataset: &str) -> Result<Held, Refusal> {
    use crate::reading::log::{EnvelopeChecker, Position, Prefix, ReadError, read_lines};
    let mut held = Held::new(dataset);
    target.read(|source| {
        let mut checker = EnvelopeChecker::default();
        let mut position = Position::default();
        let reader = source.read_at(0).map_err(ReadError::Io)?;
        read_lines(
            reader,
            &mut checker,
            &mut position,
            &Prefix::default(),
            |event, _| {
                held.note(&event);
                std::ops::ControlFlow::Continue(())
            },
        )
    })?;
    Ok(held)
}

/// The drafts that importing `inputs` into `target` would append, all kept, with the
/// records counted by outcome and skip reason: what a dry run plans (and the tests read).
pub fn plan(
    target: &Target,
    dataset: Dataset,
    inputs: &[Input],
    filters: &Filters,
    now: &Timestamp,
) -> Result<ImportPlan, Refusal> {
    run(
        target,
        dataset,
        inputs,
        filters,
        now,
        RECORDS_PER_BATCH,
        &mut |_| {},
        |_, _| Ok(()),
    )
}

/// Plans an import of `inputs` into `target` batch by batch: after each batch of records,
/// and once more at the end (`last`), `after_batch` may take the drafts planned so far.
/// Deletions come after every release read: a record deleted upstream stays deleted even
/// when an older export listing it is read in the same import.
#[allow(clippy::too_many_arguments)]
fn run(
    target: &Target,
    dataset: Dataset,
    inputs: &[Input],
    filters: &Filters,
    now: &Timestamp,
    records_per_batch: usize,
    progress: &mut dyn FnMut(Progress),
    mut after_batch: impl FnMut(&mut Planner, bool) -> Result<(), Refusal>,
) -> Result<ImportPlan, Refusal> {
    let (parties, held) = start(target, dataset)?;
    let mut planner = Planner::new(dataset.name(), filters, parties, held, now.clone());
    let mut deletions = Vec::new();
    each_batch(dataset, inputs, records_per_batch, progress, |batch| {
        match batch {
            Batch::Records(records) => planner.add_batch(records),
            Batch::Deletions(rows) => deletions.extend(rows),
        }
        after_batch(&mut planner, false)
    })?;
    for (key, fields) in deletions {
        planner.delete(&key, &fields);
    }
    after_batch(&mut planner, true)?;
    Ok(planner.finish())
}

/// The filters of `accord import` from their texts: `ARM,AZE,RUS` and two world times.
pub fn filters(
    actors: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Filters, Refusal> {
    let time = |flag: &str, text: Option<&str>| {
        text.map(|text| {
            crate::format::world_time::WorldTime::parse(text.trim())
                .map_err(|error| Refusal::Usage(format!("{flag} {text}: {error}")))
        })
        .transpose()
    };
    let actors = actors
        .map(|list| {
            list.split(',')
                .filter(|actor| !actor.trim().is_empty())
                .map(|actor| {
                    crate::format::ids::Slug::parse(actor.trim())
                        .map_err(|error| Refusal::Usage(format!("--actors {actor}: {error}")))
                })
                .collect::<Result<std::collections::BTreeSet<_>, _>>()
        })
        .transpose()?;
    Ok(Filters {
        actors,
        from: time("--from", from)?,
        to: time("--to", to)?,
    })
}

/// What an import did: its counts, its drafts (all of them counted; a dry run lists the
/// first `MAX_LISTED_DRAFTS`), and what landed (none for a dry run, or when there was
/// nothing to append).
pub struct ImportOutcome {
    pub plan: ImportPlan,
    pub drafts: u64,
    pub appended: Option<Appended>,
}

/// What an import appended: how many lines, in how many appends, and the log's events and
/// head after it.
pub struct Appended {
    pub new: u64,
    pub appends: u64,
    pub events: u64,
    pub head: crate::format::ids::Hash,
}

impl ImportOutcome {
    /// The outcome as `accord import --json` prints it and Python returns it.
    pub fn to_json(&self, dry_run: bool) -> serde_json::Value {
        let mut document = serde_json::json!({
            "imported": self.plan.imported,
            "corrected": self.plan.corrected,
            "retracted": self.plan.retracted,
            "unchanged": self.plan.unchanged,
            "skipped": self.plan.skipped,
            "drafts": self.drafts,
            "dry_run": dry_run,
        });
        if let Some(appended) = &self.appended {
            document["appended"] = serde_json::json!(appended.new);
            document["events"] = serde_json::json!(appended.events);
            document["head"] = serde_json::json!(appended.head);
        }
        document
    }
}

/// How an import batches: records read and planned at a time, drafts appended at a time.
#[derive(Clone, Copy, Debug)]
pub struct Batching {
    pub records: usize,
    pub drafts: usize,
}

impl Default for Batching {
    fn default() -> Batching {
        Batching {
            records: RECORDS_PER_BATCH,
            drafts: DRAFTS_PER_APPEND,
        }
    }
}

/// Imports `inputs` into `target`: records are read and planned a batch at a time, and
/// (unless `dry_run`) the drafts appended every `DRAFTS_PER_APPEND`, each append all or
/// none; `progress` hears how far the files have been read.
pub fn import(
    target: &Target,
    dataset: Dataset,
    inputs: &[Input],
    filters: &Filters,
    dry_run: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportOutcome, Refusal> {
    import_batched(
        target,
        dataset,
        inputs,
        filters,
        dry_run,
        progress,
        Batching::default(),
    )
}

/// `import`, batched as `batching` says (a test's small batches show what a big file does).
pub fn import_batched(
    target: &Target,
    dataset: Dataset,
    inputs: &[Input],
    filters: &Filters,
    dry_run: bool,
    progress: &mut dyn FnMut(Progress),
    batching: Batching,
) -> Result<ImportOutcome, Refusal> {
    assert!(batching.records >= 1 && batching.drafts >= 1);
    let clock = chrono::Utc::now();
    let now = Timestamp::recorded_now(clock);
    let file_store = match target {
        Target::File(path) => Some(crate::stores::file::FileStore::new(path)),
        _ => None,
    };
    let mut appender = file_store
        .as_ref()
        .map(crate::stores::file::Appender::remembering_ids);
    let mut listed: Vec<Draft> = Vec::new();
    let mut drafts = 0u64;
    let mut appended: Option<Appended> = None;
    let flush = |planner: &mut Planner, last: bool| -> Result<(), Refusal> {
        if planner.pending() == 0 || (!last && planner.pending() < batching.drafts) {
            return Ok(());
        }
        let batch = planner.take_drafts();
        drafts += batch.len() as u64;
        if dry_run {
            let room = MAX_LISTED_DRAFTS.saturating_sub(listed.len());
            listed.extend(batch.into_iter().take(room));
            return Ok(());
        }
        let count = batch.len();
        let numbered: Vec<(usize, Draft)> = batch
            .into_iter()
            .enumerate()
            .map(|(index, draft)| (index + 1, draft))
            .collect();
        // A file log keeps one appender, which holds the fold at the tail between appends:
        // each append costs its batch, not a reading of the tail checkpoint.
        let outcome = match appender.as_mut() {
            Some(appender) => appender.append(&numbered, None, clock)?,
            None => target.store()?.append_batch(&numbered, None, clock)?,
        };
        let new = outcome
            .drafts
            .iter()
            .filter(|draft| matches!(draft, crate::stores::append::DraftOutcome::Appended { .. }))
            .count();
        // The plan numbered its lines from the log's next seq: a draft found already in the
        // log would shift every later one, and a correction planned after it would name
        // the wrong line. The plan never makes one; this says so if it ever did.
        if new != count {
            return Err(Refusal::refused(format!(
                "{}: {} of the import's {count} drafts were in the log already; the import stopped after this append, which landed whole: run it again",
                target.name().display(),
                count - new
            )));
        }
        let total = appended.get_or_insert(Appended {
            new: 0,
            appends: 0,
            events: 0,
            head: outcome.head,
        });
        total.new += new as u64;
        total.appends += 1;
        total.events = outcome.events;
        total.head = outcome.head;
        Ok(())
    };
    let mut plan = run(
        target,
        dataset,
        inputs,
        filters,
        &now,
        batching.records,
        progress,
        flush,
    )?;
    plan.drafts = listed;
    Ok(ImportOutcome {
        plan,
        drafts,
        appended,
    })
}

/// A dataset by the name `accord import` takes.
pub fn dataset(name: &str) -> Result<Dataset, Refusal> {
    match name {
        "plover" => Ok(Dataset::Plover),
        "icews" => Ok(Dataset::Icews),
        "acled" => Ok(Dataset::Acled),
        other => Err(Refusal::Usage(format!(
            "dataset `{}`: accord imports plover, icews and acled",
            crate::views::text::printable(other)
        ))),
    }
}
