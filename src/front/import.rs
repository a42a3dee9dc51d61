//! `accord import`: records of a dataset made drafts for a log, beside the parties the log
//! already has, so that a curated log and an import meet on the same ids.

use std::collections::BTreeSet;

use super::{Refusal, Target};
use std::collections::HashMap;

use crate::format::count::CountRange;
use crate::format::event::Category;
use crate::format::ids::Slug;
use crate::format::time::Timestamp;
use crate::format::world_time::WorldTime;
use crate::import::{Filters, Held, ImportPlan, Planner, acled, icews, plover};
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

/// The most bytes of one input file an import reads.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// The drafts that importing `inputs` (each a name and its bytes) into `target` appends,
/// with the records skipped by reason (among them those `filters` leave out): new records
/// as events, changed ones as corrections, deleted ones as retractions, made at `now`. A
/// log that does not exist yet has no parties and holds no records.
pub fn plan(
    target: &Target,
    dataset: Dataset,
    inputs: &[(String, Vec<u8>)],
    filters: &Filters,
    now: &Timestamp,
) -> Result<ImportPlan, Refusal> {
    if let Target::Once(path) = target {
        return Err(Refusal::Usage(format!(
            "import appends to a log file or a stream, and {} is read once as a stream",
            crate::views::text::printable(&path.display().to_string())
        )));
    }
    let exists = !matches!(target, Target::File(path) if !path.exists());
    let (parties, held) = match target {
        Target::File(path) if !path.exists() => (BTreeSet::new(), Held::new(dataset.name())),
        _ => (
            super::query::answer(target, &Query::default())?
                .folded
                .state
                .parties
                .keys()
                .cloned()
                .collect(),
            held(target, dataset.name())?,
        ),
    };
    // Releases read the log's custody as of their time: one fold per holder, side and
    // time (releases are few among a dataset's records).
    type Holding = Vec<(Category, CountRange)>;
    let mut known: HashMap<(Slug, Slug, String), Holding> = HashMap::new();
    let mut custody = |holder: &Slug, of: &Slug, when: &WorldTime| -> Holding {
        let key = (holder.clone(), of.clone(), when.as_str().to_string());
        if !exists {
            return Holding::new();
        }
        if let Some(held) = known.get(&key) {
            return held.clone();
        }
        let query = Query {
            as_of: Some(Timestamp::from_instant(when.start())),
            ..Query::default()
        };
        let held: Holding = super::query::answer(target, &query)
            .ok()
            .and_then(|answer| {
                let counts = *answer.folded.state.custody.get(holder)?.get(of)?;
                Some(
                    [Category::Combatant, Category::Civilian, Category::Remains]
                        .into_iter()
                        .map(|category| (category, counts.get(category)))
                        .filter(|(_, range)| range.high != Some(0))
                        .collect(),
                )
            })
            .unwrap_or_default();
        known.insert(key, held.clone());
        held
    };
    let mut planner = Planner::new(dataset.name(), filters, parties, held, now.clone())
        .with_custody(&mut custody);
    let mut deletions = Vec::new();
    for (name, bytes) in inputs {
        let shape = |error: crate::import::ImportError| {
            Refusal::Usage(format!("{}: {error}", crate::views::text::printable(name)))
        };
        match dataset {
            Dataset::Plover => {
                let records = plover::records(bytes).map_err(shape)?;
                planner.add_batch(records.iter().map(plover::source_record).collect());
            }
            Dataset::Icews => planner.add_batch(icews::records(bytes).map_err(shape)?),
            Dataset::Acled => match acled::read(bytes).map_err(shape)? {
                acled::File::Events(records) => planner.add_batch(records),
                acled::File::Deletions(rows) => deletions.extend(rows),
            },
        }
    }
    // Deletions after every release read: a record deleted upstream stays deleted even when
    // an older export listing it is read in the same import.
    for (key, fields) in deletions {
        planner.delete(&key, &fields);
    }
    Ok(planner.finish())
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

/// What an import did: its plan, and what landed (none for a dry run, or when there was
/// nothing to append).
pub struct ImportOutcome {
    pub plan: ImportPlan,
    pub appended: Option<Appended>,
}

/// What an import appended: how many new lines (the others were there already), and the
/// log's events and head after it.
pub struct Appended {
    pub new: usize,
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
            "drafts": self.plan.drafts.len(),
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

/// Imports `inputs` into `target`: the plan, then (unless `dry_run`) its drafts appended as
/// one batch, all or none.
pub fn import(
    target: &Target,
    dataset: Dataset,
    inputs: &[(String, Vec<u8>)],
    filters: &Filters,
    dry_run: bool,
) -> Result<ImportOutcome, Refusal> {
    let clock = chrono::Utc::now();
    let plan = plan(
        target,
        dataset,
        inputs,
        filters,
        &Timestamp::recorded_now(clock),
    )?;
    if dry_run || plan.drafts.is_empty() {
        return Ok(ImportOutcome {
            plan,
            appended: None,
        });
    }
    let drafts: Vec<_> = plan
        .drafts
        .iter()
        .cloned()
        .enumerate()
        .map(|(index, draft)| (index + 1, draft))
        .collect();
    let outcome = target.store()?.append_batch(&drafts, None, clock)?;
    let new = outcome
        .drafts
        .iter()
        .filter(|draft| matches!(draft, crate::stores::append::DraftOutcome::Appended { .. }))
        .count();
    Ok(ImportOutcome {
        plan,
        appended: Some(Appended {
            new,
            events: outcome.events,
            head: outcome.head,
        }),
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

/// The files of an import, read whole up to `MAX_INPUT_BYTES` each.
pub fn read_inputs(paths: &[std::path::PathBuf]) -> Result<Vec<(String, Vec<u8>)>, Refusal> {
    use std::io::Read;
    let mut inputs = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|opened| opened.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|error| Refusal::Io(format!("{name}: {error}")))?;
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            return Err(Refusal::Usage(format!(
                "{name}: longer than {MAX_INPUT_BYTES} bytes, the most one import reads"
            )));
        }
        inputs.push((name, bytes));
    }
    Ok(inputs)
}
