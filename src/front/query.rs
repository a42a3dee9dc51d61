//! The state at a point of a log, from the best start the log has: a file's snapshots, a
//! database stream's tail checkpoint, or the first line.

use crate::front::refusal::Refusal;
use crate::front::target::Target;
use crate::stores::file::FileStore;
use crate::stores::query::{Answer, Query};

/// The state `query` asks for. A file starts from its best snapshot, a database stream
/// from its tail checkpoint when the query is a seq or the end, anything else from its
/// first line. The snapshots it could not use are in the answer's `warnings`.
pub fn answer(target: &Target, query: &Query) -> Result<Answer, Refusal> {
    if let Some(answer) = from_tail_checkpoint(target, query)? {
        return Ok(answer);
    }
    match target {
        Target::File(path) => Ok(crate::stores::file::answer(&FileStore::new(path), query)?),
        // No snapshots: the same replay, from the first line.
        _ => {
            let scope = query.scope();
            target.read(|source| {
                crate::replay::replay_whole(source, &scope, &mut |_| {})
                    .map(|replay| Answer::from_replay(replay, None))
            })
        }
    }
}

/// The states at two points of one log (`diff`): a file's in one reading, where the fold
/// to the later point passes through the earlier one.
pub fn answer_pair(target: &Target, from: &Query, to: &Query) -> Result<(Answer, Answer), Refusal> {
    match target {
        Target::File(path) => {
            let (before, after, _) =
                crate::stores::file::answer_pair(&FileStore::new(path), from, to)?;
            Ok((before, after))
        }
        _ => Ok((answer(target, from)?, answer(target, to)?)),
    }
}

/// A database stream's state at its end (or line `at`), from its tail checkpoint when that
/// holds and the query allows it.
#[cfg(feature = "postgres")]
fn from_tail_checkpoint(target: &Target, query: &Query) -> Result<Option<Answer>, Refusal> {
    let Target::Stream(stream) = target else {
        return Ok(None);
    };
    if query.known_at.is_some() || query.as_of.is_some() || query.without_snapshots {
        return Ok(None);
    }
    Ok(stream
        .store()?
        .fold_from_checkpoint(query.at)?
        .map(|(replay, seq)| Answer::from_replay(replay, Some(seq))))
}

#[cfg(not(feature = "postgres"))]
fn from_tail_checkpoint(target: &Target, _query: &Query) -> Result<Option<Answer>, Refusal> {
    if let Target::Stream(_) = target {
        target.store()?;
    }
    Ok(None)
}

/// Refuses an answer that stops short of the seq `query` asked for: the log has fewer
/// lines. `argument` names what asked, as the speaker calls it (`--at`, `TO`, `at`); the
/// log is named `name`.
pub fn reaches(
    name: &std::path::Path,
    query: &Query,
    answer: &Answer,
    argument: &str,
) -> Result<(), Refusal> {
    let Some(at) = query.at else {
        return Ok(());
    };
    if answer.seq >= at || query.known_at.is_some() {
        return Ok(());
    }
    // A user who writes `diff LOG 2021 2022` means years; digits alone are a seq.
    let looks_like_a_year = (1000..=9999).contains(&at);
    Err(Refusal::Usage(format!(
        "{argument}: {} has {}{}",
        name.display(),
        crate::views::text::counted(answer.seq, "line", "lines"),
        if looks_like_a_year {
            format!(" (digits alone are a seq; for the year {at} write a date, such as {at}-12-31)")
        } else {
            String::new()
        }
    )))
}

/// A point of a log named by a person: a seq (digits alone) or a time (RFC 3339 or a
/// period), under `known_at` if given.
pub fn point(
    text: &str,
    known_at: &Option<crate::format::time::Timestamp>,
) -> Result<Query, Refusal> {
    let mut query = Query {
        known_at: known_at.clone(),
        ..Query::default()
    };
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        query.at = Some(
            text.parse()
                .map_err(|_| Refusal::Usage(format!("`{text}`: seq too large")))?,
        );
    } else {
        query.as_of = Some(
            crate::format::time::Timestamp::parse_argument(text).map_err(|error| {
                Refusal::Usage(format!("`{text}` is neither a seq nor a time: {error}"))
            })?,
        );
    }
    Ok(query)
}

/// What changed between two points of a log, entity by entity, and the two answers.
pub struct Diff {
    pub before: Answer,
    pub after: Answer,
    pub changes: Vec<crate::views::diff::EntityChange>,
}

impl Diff {
    /// `diff --json`'s document: the changes and each point's events, head, latest
    /// occurrence and seq.
    pub fn to_json(&self) -> serde_json::Value {
        let side = |answer: &Answer| {
            serde_json::json!({
                "events": answer.folded.events,
                "head": answer.head,
                "occurred": answer.folded.occurred,
                "seq": answer.seq,
            })
        };
        serde_json::json!({
            "changes": self.changes,
            "from": side(&self.before),
            "to": side(&self.after),
        })
    }
}

/// The two points' answers (from one reading of a file, where the fold to `to` passes
/// through `from`), each refused if it stops short of its seq, and what changed between
/// them. `warned` hears each point's warnings (the snapshots not used) before it is checked.
pub fn diff(
    target: &Target,
    from: &Query,
    to: &Query,
    warned: &mut dyn FnMut(&str),
) -> Result<Diff, Refusal> {
    let (before, after) = answer_pair(target, from, to)?;
    let name = target.name();
    for (query, answer, which) in [(from, &before, "FROM"), (to, &after, "TO")] {
        answer.warnings.iter().for_each(|warning| warned(warning));
        let argument = format!("diff's {which} point {}", query.at.unwrap_or(0));
        reaches(&name, query, answer, &argument)?;
    }
    let changes = crate::views::diff::diff(&before.folded.state, &after.folded.state);
    Ok(Diff {
        before,
        after,
        changes,
    })
}
