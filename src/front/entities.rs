//! One entity of a log: its history and its state, from the entity index kept beside a log
//! file (`LOG.index`) when that still describes the log, else from the log itself.
//!
//! An index that exists but does not describe the log (the log grew, or the index is
//! damaged) is not believed: the question is answered from the log, and the caller gets a
//! `StaleIndex` to write again once its answer is out (a warning says why), as `accord
//! index` writes it. Without an index nothing is written: a person asks for one with
//! `accord index`.

use serde_json::Value;

use crate::front::refusal::Refusal;
use crate::front::target::Target;
use crate::stores::file::FileStore;
use crate::stores::file::index::{Index, IndexProblem, IndexSummary};
use crate::views::history::{EntityRef, HistoryEntry};

/// Writes the entity index of a log file (`LOG.index`), replacing any there.
pub fn write_index(target: &Target) -> Result<IndexSummary, Refusal> {
    match target {
        Target::File(path) => Ok(crate::stores::file::index::write_index(&FileStore::new(
            path,
        ))?),
        _ => Err(Refusal::Usage(format!(
            "{}: an entity index is kept beside a log file",
            target.name().display()
        ))),
    }
}

/// What the index said, or why the log answers.
enum FromIndex<T> {
    Answered(T),
    /// No index, or not for this kind of log: nothing to say.
    Absent,
    /// An index that is not believed, and why: the log answers.
    NotBelieved(IndexProblem),
}

/// Asks the index of a file target, if it has one that describes the log.
fn ask_index<T>(
    target: &Target,
    ask: impl FnOnce(&Index<'_>) -> Result<T, IndexProblem>,
) -> Result<FromIndex<T>, Refusal> {
    let Target::File(path) = target else {
        return Ok(FromIndex::Absent);
    };
    let store = FileStore::new(path);
    let log = store.open_shared()?;
    let asked = Index::open(&store, &log).and_then(|index| ask(&index));
    Ok(match asked {
        Ok(answer) => FromIndex::Answered(answer),
        Err(IndexProblem::Absent) => FromIndex::Absent,
        Err(problem) => FromIndex::NotBelieved(problem),
    })
}

/// An index found not to describe its log (grown, damaged, not an index): the question was
/// answered from the log, and the index is to be written again once the answer is out, so
/// that a person reads the answer first.
#[must_use = "an index that was not believed is written again with `write_again`"]
pub struct StaleIndex {
    problem: IndexProblem,
}

impl StaleIndex {
    /// Writes the index again, warning why first; a failure to write it is a warning too
    /// (the answer was given).
    pub fn write_again(self, target: &Target, warned: &mut dyn FnMut(&str)) {
        let Target::File(path) = target else {
            return;
        };
        let store = FileStore::new(path);
        let index = store.index_path();
        warned(&format!(
            "{}: not used, as {}; answered from the log, and the index is written again",
            index.display(),
            self.problem
        ));
        if let Err(error) = crate::stores::file::index::write_index(&store) {
            warned(&format!("{}: not written again: {error}", index.display()));
        }
    }
}

/// The index not believed, if it was not.
fn stale<T>(asked: FromIndex<T>) -> Option<StaleIndex> {
    match asked {
        FromIndex::NotBelieved(problem) => Some(StaleIndex { problem }),
        _ => None,
    }
}

/// The history of `entity`: `on_entry` gets the count and each entry, and returns whether
/// to go on (as `views::history::stream_history`). Returns the count, 0 when no event names
/// the entity, and an index that was not believed, for the caller to write again once the
/// answer is out.
pub fn history(
    target: &Target,
    entity: &EntityRef,
    mut on_entry: impl FnMut(u64, HistoryEntry<'_>) -> bool,
) -> Result<(u64, Option<StaleIndex>), Refusal> {
    let mut handed = false;
    let asked = ask_index(target, |index| {
        index.history(entity, |count, entry| {
            handed = true;
            on_entry(count, entry)
        })
    })?;
    match &asked {
        FromIndex::Answered(named) => return Ok((*named, None)),
        // Every line is checked before the first entry is told: a problem met after that is
        // a line that checked and then did not parse, which the log's own reading refuses.
        FromIndex::NotBelieved(problem) if handed => {
            return Err(Refusal::Usage(format!(
                "{}: {problem}",
                target.name().display()
            )));
        }
        _ => {}
    }
    let named = target
        .read(|source| crate::views::history::stream_history(source, entity, &mut on_entry))?;
    Ok((named, stale(asked)))
}

/// The entity as it stands in the state of the whole log (as `history` shows it after its
/// last entry, and the state JSON holds it), or `None` when it is not in the state; and an
/// index that was not believed, as `history` gives it. `warned` hears the snapshots a fold
/// of the log could not use.
pub fn view(
    target: &Target,
    entity: &EntityRef,
    warned: &mut dyn FnMut(&str),
) -> Result<(Option<Value>, Option<StaleIndex>), Refusal> {
    let asked = ask_index(target, |index| index.view(entity))?;
    if let FromIndex::Answered(view) = asked {
        // A party whose joining was retracted is named by lines, yet not in the state.
        return Ok((view.filter(|view| !view.is_null()), None));
    }
    let answer = crate::front::query::answer(target, &crate::stores::query::Query::default())?;
    answer.warnings.iter().for_each(|warning| warned(warning));
    let view = entity.view(&answer.folded.state);
    Ok(((!view.is_null()).then_some(view), stale(asked)))
}
