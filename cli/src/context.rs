//! What every command shares: the global options (colour, the database stream and its
//! wait), the log a LOG argument names, time arguments, and the refusals of a query past a
//! log's end.

use std::path::Path;

use accord::format::time::Timestamp;
use accord::front::Target;
use accord::front::target::is_stdin;
use accord::stores::query::{Answer, Query};

use crate::output::say;
use crate::render;

/// What the global options say, for every command.
pub struct Context {
    pub paint: render::Paint,
    /// `--stream`: the stream of a postgres:// LOG.
    pub stream: Option<String>,
}

impl Context {
    /// The log a LOG argument names, with `--stream` and `--db-timeout`.
    pub fn target(&self, log: &Path) -> Result<Target, Failure> {
        open_target(log, self.stream.as_deref())
    }
}

/// How a command failed: the library's one refusal (exit 1 for refused input, 2 for a usage
/// or I/O problem).
pub use accord::front::Refusal as Failure;

/// `--db-timeout`, once read.
static DATABASE_WAIT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

/// How long to wait for a database: `--db-timeout`, or the store's default.
#[cfg(feature = "postgres")]
pub fn database_waits() -> accord::stores::postgres::Waits {
    DATABASE_WAIT.get().map_or_else(Default::default, |wait| {
        accord::stores::postgres::Waits::all(*wait)
    })
}

pub fn time_argument(flag: &str, text: &Option<String>) -> Result<Option<Timestamp>, Failure> {
    text.as_deref()
        .map(|text| {
            Timestamp::parse_argument(text)
                .map_err(|error| Failure::Usage(format!("{flag}: {error}")))
        })
        .transpose()
}

/// A warning about a log (a snapshot not used), escaped like every stderr line.
pub fn warn(path: &Path, warning: &str) {
    say(&format!("warning: {}: {warning}", path.display()));
}

/// The LOG argument's target, with `--db-timeout` for a database.
pub fn open_target(log: &Path, stream: Option<&str>) -> Result<Target, Failure> {
    Target::new(log, stream, DATABASE_WAIT.get().copied())
}

/// A stream of a database, with `--db-timeout`.
#[cfg(feature = "postgres")]
pub fn database_stream(url: &str, stream: &str) -> accord::front::target::StreamTarget {
    accord::front::target::StreamTarget::new(url, stream, DATABASE_WAIT.get().copied())
}

/// Why a command that needs a log file cannot take a stream (stdin, a FIFO, a pipe).
pub fn needs_a_file(path: &Path, command: &str, because: &str) -> Failure {
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
pub fn answer(target: &Target, query: &Query, at_argument: &str) -> Result<Answer, Failure> {
    let answer = accord::front::query::answer(target, query)?;
    told(&target.name(), query, answer, at_argument)
}

/// An answer, once the user is told of the snapshots it could not use, and refused if it
/// stops short of the seq `query` asked for.
pub fn told(
    path: &Path,
    query: &Query,
    answer: Answer,
    at_argument: &str,
) -> Result<Answer, Failure> {
    for warning in &answer.warnings {
        warn(path, warning);
    }
    accord::front::query::reaches(path, query, &answer, at_argument)?;
    Ok(answer)
}

/// Text with its control characters and bidirectional controls escaped, so what is shown
/// stays on one line and in its order.
pub fn printable(text: &str) -> String {
    accord::views::text::printable(text).into_owned()
}

/// `--db-timeout`, set once before the command runs.
pub fn set_database_wait(wait: std::time::Duration) {
    let _ = DATABASE_WAIT.set(wait);
}
