//! Where a log is, as a person names it: a file, `-` or another stream read once, or a
//! stream of a PostgreSQL database (`postgres://...` or a key-value connection string, with
//! a stream name).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::front::refusal::Refusal;
use crate::reading::log::ReadError;
use crate::replay::{BytesSource, Source};
use crate::stores::Store;
use crate::stores::file::FileStore;
use crate::views::text::printable;

/// The stream a database log names when no stream is given.
pub const DEFAULT_STREAM: &str = "main";

/// Where a LOG argument points.
#[derive(Clone)]
pub enum Target {
    /// `-` (stdin), or a path that is not a regular file (a FIFO, `/dev/stdin`,
    /// `<(cat log)`): a log read once, whole, into memory.
    Once(PathBuf),
    File(PathBuf),
    /// A stream of a PostgreSQL database.
    Stream(StreamTarget),
}

/// A stream of a database: connected to on first use, and that connection kept.
#[derive(Clone)]
pub struct StreamTarget {
    pub url: String,
    pub stream: String,
    /// The bound on every wait for the database; the store's default without one.
    pub wait: Option<Duration>,
    #[cfg(feature = "postgres")]
    opened: Arc<std::sync::OnceLock<Arc<crate::stores::postgres::PgStore>>>,
}

impl StreamTarget {
    /// The stream `stream` of the database at `url` (not connected to yet).
    pub fn new(url: &str, stream: &str, wait: Option<Duration>) -> StreamTarget {
        StreamTarget {
            url: url.to_string(),
            stream: stream.to_string(),
            wait,
            #[cfg(feature = "postgres")]
            opened: Arc::default(),
        }
    }

    /// The stream's store, connected to (and its schema checked) on first use.
    #[cfg(feature = "postgres")]
    pub fn store(&self) -> Result<Arc<crate::stores::postgres::PgStore>, Refusal> {
        use crate::stores::postgres::{PgStore, Waits};
        if let Some(store) = self.opened.get() {
            return Ok(store.clone());
        }
        let waits = self.wait.map_or_else(Waits::default, Waits::all);
        let store = Arc::new(PgStore::open_with(&self.url, &self.stream, waits)?);
        Ok(self.opened.get_or_init(|| store).clone())
    }
}

/// What a build without the PostgreSQL store says when asked for one. (Not behind the
/// feature: in a workspace build, the library may have the store while the command line
/// was built without it.)
pub fn without_postgres(what: &str) -> Refusal {
    Refusal::Usage(format!(
        "{what}: this accord was built without the PostgreSQL store (build it with `--features postgres`)"
    ))
}

/// `-` names stdin wherever a log or an input is read.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

impl Target {
    /// The log that `log` names (and `stream`, only for a database). `wait` bounds every
    /// wait for a database.
    pub fn new(
        log: &Path,
        stream: Option<&str>,
        wait: Option<Duration>,
    ) -> Result<Target, Refusal> {
        if let Some(url) = log
            .to_str()
            .filter(|text| crate::stores::is_database_target(text))
        {
            let stream = stream.unwrap_or(DEFAULT_STREAM);
            return Ok(Target::Stream(StreamTarget::new(url, stream, wait)));
        }
        if let Some(stream) = stream {
            return Err(Refusal::Usage(format!(
                "--stream {}: a stream belongs to a postgres:// log, and {} is a file",
                printable(stream),
                printable(&log.display().to_string())
            )));
        }
        Ok(if is_stdin(log) || crate::files::input::is_stream(log) {
            Target::Once(log.to_path_buf())
        } else {
            Target::File(log.to_path_buf())
        })
    }

    /// What messages call the log: stdin, the file, or the database (without its password)
    /// and the stream.
    pub fn name(&self) -> PathBuf {
        match self {
            Target::Once(path) if is_stdin(path) => PathBuf::from("stdin"),
            Target::Once(path) => path.clone(),
            Target::File(path) => path.clone(),
            Target::Stream(stream) => PathBuf::from(format!(
                "{}#{}",
                crate::stores::shown_url(&stream.url),
                stream.stream
            )),
        }
    }

    /// The log's store (a file's is created by its first append); a stream read once is
    /// not one.
    pub fn store(&self) -> Result<Arc<dyn Store>, Refusal> {
        match self {
            Target::Once(_) => Err(Refusal::Usage(format!(
                "{}: a stream is read once, not a store",
                printable(&self.name().display().to_string())
            ))),
            Target::File(path) => Ok(Arc::new(FileStore::new(path))),
            #[cfg(feature = "postgres")]
            Target::Stream(stream) => Ok(stream.store()?),
            #[cfg(not(feature = "postgres"))]
            Target::Stream(_) => Err(without_postgres("a postgres:// log")),
        }
    }

    /// `read` run over the whole log, from its first line, without snapshots: the bytes of
    /// a stream read once, a file under its shared lock, or a database stream in one
    /// snapshot of the database.
    pub fn read<R>(
        &self,
        read: impl FnOnce(&dyn Source) -> Result<R, ReadError>,
    ) -> Result<R, Refusal> {
        let name = self.name();
        let refusal = |error| Refusal::of_reading(&name, error);
        match self {
            Target::Once(path) => read(&BytesSource(once_bytes(path)?)).map_err(refusal),
            _ => {
                let store = self.store()?;
                crate::stores::with_whole(&*store, read)?.map_err(refusal)
            }
        }
    }
}

/// Everything on stdin, read once (a command may ask for two points of one log, and a
/// scenario and a log may not both be stdin).
pub fn stdin_bytes() -> Result<&'static [u8], Refusal> {
    static STDIN: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();
    let read = STDIN.get_or_init(|| {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map(|_| bytes)
            .map_err(|error| format!("stdin: {error}"))
    });
    read.as_deref().map_err(|error| Refusal::Io(error.clone()))
}

/// The bytes of stdin (`-`) or of a stream named by a path, read once whole (a pipe cannot
/// be read twice).
pub fn once_bytes(path: &Path) -> Result<&'static [u8], Refusal> {
    if is_stdin(path) {
        stdin_bytes()
    } else {
        stream_bytes(path)
    }
}

/// A stream named by a path (a FIFO, `/dev/stdin`, `<(cat log)`), read once whole and kept
/// for the process's life: there are as many as the distinct paths a process names.
pub fn stream_bytes(path: &Path) -> Result<&'static [u8], Refusal> {
    type Read = Result<&'static [u8], String>;
    static STREAMS: std::sync::Mutex<Vec<(PathBuf, Read)>> = std::sync::Mutex::new(Vec::new());
    let mut streams = STREAMS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, read)) = streams.iter().find(|(seen, _)| seen == path) {
        return read.clone().map_err(Refusal::Io);
    }
    let mut bytes = Vec::new();
    let read: Read = std::fs::File::open(path)
        .and_then(|mut file| file.read_to_end(&mut bytes))
        .map(|_| &*Box::leak(bytes.into_boxed_slice()))
        .map_err(|error| format!("{}: {error}", printable(&path.display().to_string())));
    streams.push((path.to_path_buf(), read.clone()));
    read.map_err(Refusal::Io)
}
