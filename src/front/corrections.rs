//! Correcting a log by appending (format version 2): the drafts `accord retract` and
//! `accord correct` append, and the line a time correction keeps the rest of.

use std::ops::ControlFlow;

use crate::fold::effective::LastWords;
use crate::format::event::{Draft, Event, EventCorrected, EventData, EventRetracted, Replacement};
use crate::format::provenance::Source as Cited;
use crate::format::time::Timestamp;
use crate::format::world_time::WorldTime;
use crate::front::refusal::Refusal;
use crate::front::target::Target;
use crate::reading::log::{EnvelopeChecker, Position, Prefix, read_lines};

/// The draft of a retraction of line `target`, made at `now`, citing `source` if given.
pub fn retraction(target: u64, reason: &str, source: Option<&str>, now: &Timestamp) -> Draft {
    let mut draft = Draft::new(
        WorldTime::of_point(now.clone()),
        EventData::EventRetracted(EventRetracted {
            target,
            reason: reason.to_string(),
        }),
    );
    draft.sources = source.map(|cite| vec![Cited::citing(cite)]);
    draft
}

/// The draft of a correction of line `target` to `replacement`, made at `now`.
pub fn correction(
    target: u64,
    reason: &str,
    replacement: Replacement,
    source: Option<&str>,
    now: &Timestamp,
) -> Draft {
    let mut draft = Draft::new(
        WorldTime::of_point(now.clone()),
        EventData::EventCorrected(EventCorrected {
            target,
            reason: reason.to_string(),
            replacement,
        }),
    );
    draft.sources = source.map(|cite| vec![Cited::citing(cite)]);
    draft
}

/// A replacement as a person writes it: `{"type", "occurred", "data"}`, read as a
/// version-2 line's are.
pub fn parse_replacement(text: &str) -> Result<Replacement, Refusal> {
    serde_json::from_str::<Replacement>(text.trim()).map_err(|error| {
        Refusal::under_rule(
            format!("the replacement: {error}"),
            crate::format::rules::Rule::EnvelopeShape,
            crate::front::refusal::Where::Nowhere,
            error.to_string(),
        )
    })
}

/// The fold at a file log's tail, from its checked tail checkpoint (and the lines after
/// it); `None` when it cannot be had so (the caller reads the log).
fn file_tail(path: &std::path::Path) -> Option<crate::stores::query::Answer> {
    let store = crate::stores::file::FileStore::new(path);
    let mut file = std::fs::File::open(path).ok()?;
    crate::stores::file::tail(&store, &mut file).ok()
}

/// What line `seq` of the log says now (its last word applied), with its time replaced by
/// `occurred`: the replacement of `accord correct --occurred` alone.
pub fn with_time(target: &Target, seq: u64, occurred: WorldTime) -> Result<Replacement, Refusal> {
    let name = target.name();
    // A file's tail (from its checkpoint) names the last words; the line and its last word
    // are then found by bisection, without reading the log.
    if let Target::File(path) = target
        && let Some(tail) = file_tail(path)
    {
        let end = tail.position();
        let found = target.read(|source| {
            Ok(crate::replay::line_at::effective_line(
                source,
                &tail.folded.state.corrections,
                &end,
                seq,
            ))
        })?;
        match found {
            Some(Some(event)) => {
                return Ok(Replacement {
                    occurred,
                    data: Box::new(event.data),
                });
            }
            Some(None) => {
                return Err(Refusal::refused(format!(
                    "{}: line {seq} is retracted: nothing of it is left to correct",
                    name.display()
                )));
            }
            None => {}
        }
    }
    let found = target.read(|source| {
        let mut last_words = LastWords::default();
        for correction in
            crate::replay::corrections::scan(source, &Position::default(), &Prefix::default())?
        {
            last_words.note(correction);
        }
        let mut line: Option<Event> = None;
        let mut checker = EnvelopeChecker::default();
        let mut position = Position::default();
        let prefix = Prefix {
            at: Some(seq),
            known_at: None,
        };
        let reader = source
            .read_at(0)
            .map_err(crate::reading::log::ReadError::Io)?;
        read_lines(reader, &mut checker, &mut position, &prefix, |event, _| {
            if event.seq == seq {
                line = Some(event);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        Ok(line.map(|line| {
            let is_correction = line.data.is_correction();
            (
                last_words.effective(&line).map(|event| event.into_owned()),
                is_correction,
            )
        }))
    })?;
    let refused = |why: &str| Refusal::refused(format!("{}: line {seq} {why}", name.display()));
    match found {
        None => Err(refused("is past the end of the log")),
        Some((_, true)) => Err(refused(
            "is itself a correction or retraction: correct the line it speaks of",
        )),
        Some((None, false)) => Err(refused("is retracted: nothing of it is left to correct")),
        Some((Some(event), false)) => Ok(Replacement {
            occurred,
            data: Box::new(event.data),
        }),
    }
}
