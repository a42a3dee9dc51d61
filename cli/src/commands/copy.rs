//! `accord copy`: copy a log between stores (files, postgres://... streams), byte for byte;
//! the copy is read back and must be the same bytes, with the same head.

use std::io::{self, Write};
use std::path::Path;

use accord::front::target::{is_stdin, stdin_bytes, stream_bytes};
use accord::replay::BytesSource;
use accord::stores::file::FileStore;
use accord::views::text::counted;

#[cfg(feature = "postgres")]
use crate::context::database_stream;
use crate::context::{Context, Failure, open_target, printable};
use crate::output::{Destination, print, say};

#[derive(clap::Args)]
pub struct Args {
    /// The log to copy: a file, or postgres://USER@HOST/DATABASE with --stream.
    pub source: String,
    /// Where to: a new file (refused if it exists, unless --force), or an empty stream.
    pub destination: String,
    /// The destination's stream, when it is a postgres:// log (default: --stream's).
    #[arg(long, value_name = "NAME")]
    pub to_stream: Option<String>,
    /// Replace a destination file that exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args {
        source,
        destination,
        to_stream,
        force,
    } = args;

    let from_stream = context
        .stream
        .clone()
        .unwrap_or_else(|| accord::front::target::DEFAULT_STREAM.to_string());
    let to_stream = to_stream.unwrap_or_else(|| from_stream.clone());
    copy_log(&source, &destination, &from_stream, &to_stream, force)
}

/// Whether a LOG argument names a database rather than a file (a URL or a key-value
/// connection string).
fn is_database(target: &str) -> bool {
    accord::stores::is_database_target(target)
}

/// The bytes of the log at `target` (a file, stdin, a pipe, or a stream of a database).
fn log_bytes(target: &str, stream: &str) -> Result<Vec<u8>, Failure> {
    if is_database(target) {
        return database_log_bytes(target, stream);
    }
    let path = Path::new(target);
    if is_stdin(path) {
        return Ok(stdin_bytes()?.to_vec());
    }
    if accord::files::input::is_stream(path) {
        return stream_bytes(path).map(<[u8]>::to_vec);
    }
    Ok(FileStore::new(target).read_bytes()?)
}

/// What the copy's read-back compares: the bytes' length and SHA-256.
#[derive(PartialEq, Eq)]
struct Digest {
    length: u64,
    sha256: [u8; 32],
}

/// A writer that keeps only the digest of what it is given.
#[derive(Default)]
struct Digesting {
    length: u64,
    hasher: sha2::Sha256,
}

impl Write for Digesting {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        use sha2::Digest as _;
        self.hasher.update(bytes);
        self.length += bytes.len() as u64;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Digesting {
    fn finish(self) -> Digest {
        use sha2::Digest as _;
        Digest {
            length: self.length,
            sha256: self.hasher.finalize().into(),
        }
    }
}

impl Digest {
    fn of(bytes: &[u8]) -> Digest {
        let mut digesting = Digesting::default();
        let _ = digesting.write_all(bytes);
        digesting.finish()
    }
}

/// The digest of the log at `target`, read a buffer (a file) or a page (a stream) at a time.
fn log_digest(target: &str, stream: &str) -> Result<Digest, Failure> {
    let mut digesting = Digesting::default();
    if is_database(target) {
        let store = open_target(Path::new(target), Some(stream))?.store()?;
        accord::stores::with_whole(&*store, |source| {
            source
                .read_at(0)
                .and_then(|mut reader| io::copy(&mut reader, &mut digesting))
        })?
        .map_err(|error| {
            Failure::Usage(format!(
                "{}: {error}",
                printable(&accord::stores::shown_url(target))
            ))
        })?;
    } else {
        let store = FileStore::new(target);
        let mut file = store.open_shared()?;
        io::copy(&mut file, &mut digesting)
            .map_err(|error| Failure::Usage(format!("{}: {error}", printable(target))))?;
    }
    Ok(digesting.finish())
}

/// Where `copy` writes: an empty stream of a database, stdout (`-`), or a file (checked
/// before the source is read).
enum CopyDestination {
    Stream,
    Document(Destination),
}

/// `accord copy SOURCE DESTINATION`.
fn copy_log(
    source: &str,
    destination: &str,
    from_stream: &str,
    to_stream: &str,
    force: bool,
) -> Result<(), Failure> {
    let shown = |target: &str, stream: &str| {
        if is_database(target) {
            format!("{}#{stream}", accord::stores::shown_url(target))
        } else if is_stdin(Path::new(target)) {
            "stdin".to_string()
        } else {
            target.to_string()
        }
    };
    // With --force, a copy onto its own source would cut the log before writing it back.
    let same_file = !is_database(source)
        && !is_database(destination)
        && std::fs::canonicalize(source)
            .ok()
            .is_some_and(|source| std::fs::canonicalize(destination).ok() == Some(source));
    if same_file || (is_database(source) && source == destination && from_stream == to_stream) {
        return Err(Failure::Usage(format!(
            "copy: {} is both the source and the destination",
            printable(&shown(destination, to_stream))
        )));
    }
    let destination_kind = if is_database(destination) {
        CopyDestination::Stream
    } else {
        CopyDestination::Document(Destination::check(Path::new(destination), force)?)
    };
    let bytes = log_bytes(source, from_stream)?;
    // Only a log that verifies is copied: a copy must not carry damage somewhere new. The
    // check is the streaming replay's, so the copy holds the bytes and no more.
    let verified = accord::stores::verify::verify_source(&BytesSource(&bytes), None)
        .map_err(|error| Failure::of_reading(Path::new(&shown(source, from_stream)), error))?;
    let to_stdout = match destination_kind {
        CopyDestination::Stream => {
            database_import(destination, to_stream, &bytes)?;
            false
        }
        CopyDestination::Document(document) => {
            let to_stdout = document.is_stdout();
            document.write(&bytes)?;
            to_stdout
        }
    };
    // Read back as a digest, a page or a buffer at a time: the copy holds the log once.
    if !to_stdout && log_digest(destination, to_stream)? != Digest::of(&bytes) {
        return Err(Failure::Usage(format!(
            "{}: the copy reads back different from {}",
            printable(&shown(destination, to_stream)),
            printable(&shown(source, from_stream))
        )));
    }
    let said = format!(
        "copied {} from {} to {}; head {}",
        counted(verified.events, "event", "events"),
        shown(source, from_stream),
        if to_stdout {
            "stdout".to_string()
        } else {
            shown(destination, to_stream)
        },
        verified.head
    );
    if to_stdout {
        // Stdout holds the log: the report goes to stderr.
        say(&said);
        return Ok(());
    }
    print(&format!("{}\n", printable(&said)))
}

#[cfg(feature = "postgres")]
fn database_log_bytes(url: &str, stream: &str) -> Result<Vec<u8>, Failure> {
    Ok(database_stream(url, stream).store()?.export()?)
}

#[cfg(feature = "postgres")]
fn database_import(url: &str, stream: &str, bytes: &[u8]) -> Result<(), Failure> {
    database_stream(url, stream).store()?.import(bytes)?;
    Ok(())
}

#[cfg(not(feature = "postgres"))]
fn database_log_bytes(_url: &str, _stream: &str) -> Result<Vec<u8>, Failure> {
    Err(without_postgres("copy"))
}

#[cfg(not(feature = "postgres"))]
fn database_import(_url: &str, _stream: &str, _bytes: &[u8]) -> Result<(), Failure> {
    Err(without_postgres("copy"))
}

#[cfg(not(feature = "postgres"))]
use accord::front::target::without_postgres;
