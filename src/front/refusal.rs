//! One refusal for every front-door call: what the command line prints (one line, exit 1 or
//! 2, and `--json`'s object) and what Python raises (`AccordError`, `ValueError`, `OSError`)
//! are both made from it, so the two say the same thing about the same input.

use std::path::Path;

use crate::format::rules::Rule;
use crate::reading::log::{LogError, ReadError};
use crate::stores::file::StoreError;

/// Where in its input a refusal is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Where {
    /// Nowhere in particular: the whole log, or an argument.
    Nowhere,
    /// A line of the log, which is its seq too.
    LogLine(u64),
    /// A seq alone (a snapshot's, a database row's), not a line that was read.
    Seq(u64),
    /// A line of the drafts (counted from 1), which has no seq yet; `input` names the
    /// drafts' source.
    DraftLine { line: u64, input: String },
}

impl Where {
    /// The seq of the log, where there is one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Where::LogLine(seq) | Where::Seq(seq) => Some(*seq),
            Where::Nowhere | Where::DraftLine { .. } => None,
        }
    }

    /// The line of the input read, where there is one (a log's line, or a draft's).
    pub fn line(&self) -> Option<u64> {
        match self {
            Where::LogLine(line) | Where::DraftLine { line, .. } => Some(*line),
            Where::Nowhere | Where::Seq(_) => None,
        }
    }
}

/// Input that was read and refused (exit 1): the line for people, and what a machine needs.
#[derive(Clone, Debug)]
pub struct Refused {
    /// The whole line shown to people (after `accord: `).
    pub message: String,
    /// The rule broken; none for a refusal no rule names (an entity no event names, a
    /// simulation that cannot run).
    pub rule: Option<Rule>,
    pub at: Where,
    pub detail: String,
}

/// Why a front-door call did not do what it was asked.
#[derive(Clone, Debug)]
pub enum Refusal {
    /// The input was read and refused (exit 1; Python's `AccordError`).
    Refused(Refused),
    /// An argument cannot be used (exit 2; Python's `ValueError`).
    Usage(String),
    /// Reading or writing failed, or a database could not be reached (exit 2; Python's
    /// `OSError`).
    Io(String),
}

impl Refusal {
    /// A refusal that breaks no named rule.
    pub fn refused(message: String) -> Refusal {
        Refusal::Refused(Refused {
            detail: message.clone(),
            message,
            rule: None,
            at: Where::Nowhere,
        })
    }

    /// A refusal under `rule`, at `at`.
    pub fn under_rule(message: String, rule: Rule, at: Where, detail: String) -> Refusal {
        Refusal::Refused(Refused {
            message,
            rule: Some(rule),
            at,
            detail,
        })
    }

    /// A line of the log at `path` that breaks a rule.
    pub fn at_log_line(path: &Path, error: LogError) -> Refusal {
        Refusal::under_rule(
            format!("{}: {error}", path.display()),
            error.rule,
            Where::LogLine(error.line),
            error.detail,
        )
    }

    /// Why the log `name` could not be read or folded: a rule it breaks, or the reading
    /// failed.
    pub fn of_reading(name: &Path, error: ReadError) -> Refusal {
        match error {
            ReadError::Rule(error) => Refusal::at_log_line(name, error),
            ReadError::Io(error) => Refusal::Io(format!("{}: {error}", name.display())),
        }
    }

    /// A draft refused, named by the drafts' source: "d.jsonl: draft on line 3: ...".
    pub fn of_drafts(source_name: &str, error: StoreError) -> Refusal {
        let mut refusal = Refusal::from(error);
        if let Refusal::Refused(refused) = &mut refusal
            && let Where::DraftLine { input, .. } = &mut refused.at
        {
            refused.message = format!("{source_name}: {}", refused.message);
            *input = source_name.to_string();
        }
        refusal
    }

    /// The line shown to people.
    pub fn message(&self) -> &str {
        match self {
            Refusal::Refused(refused) => &refused.message,
            Refusal::Usage(message) | Refusal::Io(message) => message,
        }
    }

    /// The rule broken, where there is one.
    pub fn rule(&self) -> Option<Rule> {
        match self {
            Refusal::Refused(refused) => refused.rule,
            Refusal::Usage(_) | Refusal::Io(_) => None,
        }
    }

    /// The command line's exit code: 1 for refused input, 2 for a usage or I/O problem.
    pub fn exit_code(&self) -> u8 {
        match self {
            Refusal::Refused(_) => 1,
            Refusal::Usage(_) | Refusal::Io(_) => 2,
        }
    }

    /// What `--json` prints on stdout for this refusal: one object, `ok` false.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Refusal::Refused(refused) => {
                let mut object = serde_json::json!({
                    "ok": false,
                    "rule": refused.rule.map(Rule::name),
                    "detail": refused.detail,
                });
                if let Where::DraftLine { line, input } = &refused.at {
                    object["line"] = (*line).into();
                    object["input"] = input.clone().into();
                }
                if let Some(seq) = refused.at.seq() {
                    object["seq"] = seq.into();
                }
                object
            }
            Refusal::Usage(message) | Refusal::Io(message) => serde_json::json!({
                "ok": false,
                "rule": null,
                "usage": true,
                "detail": message,
            }),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Refusal {
        let message = error.to_string();
        match error {
            StoreError::Io { .. }
            | StoreError::Output(_)
            | StoreError::RangeTooLong { .. }
            | StoreError::Database { .. } => Refusal::Io(message),
            StoreError::Log { error, .. } | StoreError::NotTorn { error, .. } => {
                Refusal::under_rule(
                    message,
                    error.rule,
                    Where::LogLine(error.line),
                    error.detail,
                )
            }
            StoreError::Conflict {
                line, rule, detail, ..
            } => Refusal::under_rule(message, rule, Where::LogLine(line), detail),
            StoreError::ExpectSeq { .. } => Refusal::under_rule(
                message.clone(),
                Rule::AppendExpectSeq,
                Where::Nowhere,
                message,
            ),
            StoreError::AppendConflict { seq, .. } => Refusal::under_rule(
                message.clone(),
                Rule::AppendConflict,
                Where::Seq(seq),
                message,
            ),
            StoreError::Draft {
                draft,
                rule,
                detail,
            } => Refusal::under_rule(
                message,
                rule,
                Where::DraftLine {
                    line: draft as u64,
                    input: "drafts".to_string(),
                },
                detail,
            ),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.message())
    }
}

impl std::error::Error for Refusal {}
