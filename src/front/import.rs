//! `accord import`: records of a dataset made drafts for a log, beside the parties the log
//! already has, so that a curated log and an import meet on the same ids.

use std::collections::BTreeSet;

use super::{Refusal, Target};
use crate::import::{Filters, ImportPlan, plover};
use crate::stores::query::Query;

/// The datasets `accord import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    Plover,
}

/// The most bytes of one input file an import reads.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// The drafts that importing `inputs` (each a name and its bytes) into `target` appends,
/// with the records skipped by reason (among them those `filters` leave out). A log that
/// does not exist yet has no parties.
pub fn plan(
    target: &Target,
    dataset: Dataset,
    inputs: &[(String, Vec<u8>)],
    filters: &Filters,
) -> Result<ImportPlan, Refusal> {
    if let Target::Once(path) = target {
        return Err(Refusal::Usage(format!(
            "import appends to a log file or a stream, and {} is read once as a stream",
            crate::views::text::printable(&path.display().to_string())
        )));
    }
    let mut parties: BTreeSet<crate::format::ids::Slug> = match target {
        Target::File(path) if !path.exists() => BTreeSet::new(),
        _ => super::query::answer(target, &Query::default())?
            .folded
            .state
            .parties
            .keys()
            .cloned()
            .collect(),
    };
    let mut plan = ImportPlan::default();
    for (name, bytes) in inputs {
        match dataset {
            Dataset::Plover => {
                let records = plover::records(bytes)
                    .map_err(|error| Refusal::Usage(format!("{name}: {error}")))?;
                for record in &records {
                    plan.add(
                        (plover::DATASET, &record.key, &record.text),
                        plover::map(record),
                        filters,
                        &mut parties,
                    );
                }
            }
        }
    }
    Ok(plan)
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
    let plan = plan(target, dataset, inputs, filters)?;
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
    let outcome = target
        .store()?
        .append_batch(&drafts, None, chrono::Utc::now())?;
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
        other => Err(Refusal::Usage(format!(
            "dataset `{other}`: accord imports plover (icews and acled are still to come)"
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
