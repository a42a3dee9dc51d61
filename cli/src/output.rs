//! What the binary writes: every byte on stdout goes through `print_bytes`, every line on
//! stderr through `say`, and a document asked for with `--out` (or `copy`'s destination)
//! goes to stdout (`-`) or to a file put in place whole (`files::output`).
//!
//! A closed pipe (`accord history ... | head`) is the reader's choice: output stops there and
//! the command ends quietly. Any other failure to write stdout (a full disk, `/dev/full`) is
//! reported once, exit 2, and nothing more is tried on stdout, not even a `--json` refusal.
//! Nothing here panics, whatever happens to stdout or stderr.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use accord::files::output::{OutputError, OutputFile, OutputPath};

use accord::front::target::is_stdin;

use crate::context::{Failure, printable};

/// Set once stdout is closed by its reader (a broken pipe): nothing more is written there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Set once a write to stdout failed otherwise: it is reported, and not tried again.
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout and flushes it.
pub fn print(text: &str) -> Result<(), Failure> {
    print_bytes(text.as_bytes())
}

pub fn print_bytes(bytes: &[u8]) -> Result<(), Failure> {
    if stdout_gone() {
        return Ok(());
    }
    let mut stdout = io::stdout().lock();
    written(stdout.write_all(bytes).and_then(|()| stdout.flush()))
}

/// The outcome of writing to stdout, said as the command's outcome.
pub fn written(outcome: io::Result<()>) -> Result<(), Failure> {
    match outcome {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(error) => {
            let first = !STDOUT_FAILED.swap(true, Ordering::Relaxed);
            if first {
                Err(Failure::Usage(format!("writing to stdout: {error}")))
            } else {
                // Already reported by the write that failed first.
                Ok(())
            }
        }
    }
}

/// Whether stdout was closed or failed: nothing more is written there.
pub fn stdout_gone() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed) || STDOUT_FAILED.load(Ordering::Relaxed)
}

/// One line on stderr, `accord: ` first, control characters made visible; a stderr that
/// cannot be written is left alone.
pub fn say(line: &str) {
    let _ = writeln!(io::stderr().lock(), "accord: {}", printable(line));
}

/// A block of text for people on stderr, as it is (its log text already made printable),
/// when stdout holds a document; a stderr that cannot be written is left alone.
pub fn say_block(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// An output error as the command's failure: exit 2.
pub fn output_failure(error: OutputError) -> Failure {
    Failure::Usage(error.to_string())
}

/// Where a one-document output goes, checked before any work: stdout (`-`) or a file.
pub enum Destination {
    Stdout,
    File(OutputPath),
}

impl Destination {
    /// `-` is stdout; anything else a file, checked now (see `OutputPath::check`).
    pub fn check(path: &Path, force: bool) -> Result<Destination, Failure> {
        if is_stdin(path) {
            return Ok(Destination::Stdout);
        }
        OutputPath::check(path, force)
            .map(Destination::File)
            .map_err(output_failure)
    }

    pub fn is_stdout(&self) -> bool {
        matches!(self, Destination::Stdout)
    }

    /// The document written whole: on stdout, or in a file put in place once written.
    pub fn write(self, bytes: &[u8]) -> Result<(), Failure> {
        match self {
            Destination::Stdout => print_bytes(bytes),
            Destination::File(target) => {
                let path = target.path().to_path_buf();
                let mut file = OutputFile::create(target).map_err(output_failure)?;
                file.write_all(bytes).map_err(|error| {
                    Failure::Usage(format!(
                        "{}: {error}",
                        printable(&path.display().to_string())
                    ))
                })?;
                file.commit().map_err(output_failure)
            }
        }
    }
}
