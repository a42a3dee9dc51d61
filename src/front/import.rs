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
