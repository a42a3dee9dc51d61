//! The `accord` Python package's native module: the Rust core's commands as functions that
//! return Python objects. Long work runs detached from the interpreter, so other Python
//! threads go on; every failure is a Python exception, never a panic.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use accord::fold::state::StateDocument;
use accord::format::event::Event;
use accord::format::ids::Hash;
use accord::format::time::Timestamp;
use accord::front::{Refusal, Target};
use accord::reading::log::{EnvelopeChecker, Position, Prefix, ReadError, read_lines};
use accord::stores::file::{DraftOutcome, FileStore, StoreError, parse_drafts};
use accord::stores::query::Query;
use accord::views::history::{EntityRef, HistoryEntry};

mod players;
mod transparency;

pyo3::create_exception!(
    _accord,
    AccordError,
    pyo3::exceptions::PyException,
    "A log or input refused under one of the format's rules: `rule`, `line` or `seq`, `detail`."
);

/// The front door's refusal as a Python exception: input refused is `AccordError` with its
/// rule (None when no rule names it), line, seq and detail as attributes; an argument that
/// cannot be used `ValueError`; a failed reading or an unreachable database `OSError`.
fn refusal_error(py: Python<'_>, refusal: Refusal) -> PyErr {
    let refused = match refusal {
        Refusal::Refused(refused) => refused,
        Refusal::Usage(message) => return PyValueError::new_err(message),
        Refusal::Io(message) => return PyOSError::new_err(message),
    };
    let error = AccordError::new_err(refused.message);
    let value = error.value(py);
    let _ = value.setattr("rule", refused.rule.map(accord::format::rules::Rule::name));
    let _ = value.setattr("line", refused.at.line());
    // Post-mortem: a draft's refusal set `seq` to the draft's line, as if it were a line of
    // the log; a draft has no seq.
    let _ = value.setattr("seq", refused.at.seq());
    let _ = value.setattr("detail", refused.detail);
    error
}

/// A store's failure as Python sees it (through the front door's refusal).
fn store_error(py: Python<'_>, error: StoreError) -> PyErr {
    refusal_error(py, Refusal::from(error))
}

fn read_error(py: Python<'_>, path: &Path, error: ReadError) -> PyErr {
    refusal_error(py, Refusal::of_reading(path, error))
}

fn time(name: &str, text: Option<&str>) -> PyResult<Option<Timestamp>> {
    text.map(|text| {
        Timestamp::parse_argument(text)
            .map_err(|detail| PyValueError::new_err(format!("{name}: {detail}")))
    })
    .transpose()
}

/// JSON text as Python objects, through the standard `json` module (key order kept).
fn from_json(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

/// A log: a file, or a stream of a PostgreSQL database.
#[pyclass(module = "accord", frozen)]
struct Log {
    target: Target,
    /// What messages call it: the file, or the database (without its password) and stream.
    path: PathBuf,
}

impl Log {
    /// `read` over the whole log from its first line, in one consistent reading (a file
    /// under its shared lock, a stream in one snapshot), detached from the interpreter.
    fn read<R: Send>(
        &self,
        py: Python<'_>,
        read: impl FnOnce(&dyn accord::replay::Source) -> Result<R, ReadError> + Send,
    ) -> PyResult<R> {
        let target = self.target.clone();
        py.detach(move || target.read(read))
            .map_err(|refusal| refusal_error(py, refusal))
    }

    /// Appends one draft built here (a retraction, a correction), as `append` appends.
    fn append_one(
        &self,
        py: Python<'_>,
        draft: accord::format::event::Draft,
        expect_seq: Option<u64>,
    ) -> PyResult<Py<PyAny>> {
        let target = self.target.clone();
        let outcome = py
            .detach(move || -> Result<_, Refusal> {
                let store = target.store()?;
                Ok(store.append_batch(&[(1, draft)], expect_seq, chrono::Utc::now())?)
            })
            .map_err(|refusal| refusal_error(py, refusal))?;
        append_document(py, &outcome)
    }
}

/// `timeout` in seconds, checked: above 0, at most a day.
fn database_wait(timeout: Option<f64>) -> PyResult<Option<std::time::Duration>> {
    match timeout {
        None => Ok(None),
        Some(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 => {
            Ok(Some(std::time::Duration::from_secs_f64(seconds)))
        }
        Some(seconds) => Err(PyValueError::new_err(format!(
            "timeout {seconds}: seconds above 0, at most a day"
        ))),
    }
}

#[cfg(not(feature = "postgres"))]
fn connect(_py: Python<'_>, target: &Target) -> PyResult<()> {
    let Target::Stream(stream) = target else {
        return Ok(());
    };
    Err(PyValueError::new_err(format!(
        "{}: this build of accord has no PostgreSQL store (build the package with its `postgres` feature)",
        accord::stores::shown_url(&stream.url)
    )))
}

/// A database stream is connected to, and its schema checked, when it is opened.
#[cfg(feature = "postgres")]
fn connect(py: Python<'_>, target: &Target) -> PyResult<()> {
    if let Target::Stream(stream) = target {
        py.detach(|| stream.store())
            .map_err(|refusal| refusal_error(py, refusal))?;
    }
    Ok(())
}

#[pymethods]
impl Log {
    /// Opens the log file at `path`, or the stream `stream` (default `main`) of the
    /// PostgreSQL database at a `postgres://` URL, as the command line names logs. A file is
    /// not read until asked; a database is connected to, and its schema checked, now.
    /// `timeout` bounds, in seconds, every wait for the database (to connect, a statement,
    /// another writer's lock; 30 by default), as `--db-timeout` does.
    #[staticmethod]
    #[pyo3(signature = (path, stream=None, timeout=None))]
    fn open(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        stream: Option<String>,
        timeout: Option<f64>,
    ) -> PyResult<Log> {
        let path: PathBuf = path.extract()?;
        let target = match Target::new(&path, stream.as_deref(), database_wait(timeout)?) {
            // A log is read from Python by position (`events()`), so a path is a file, even
            // one that is not regular (`-`, a FIFO): reading it says what it is.
            Ok(Target::Once(path)) => Target::File(path),
            Ok(target) => target,
            Err(refusal) => return Err(refusal_error(py, refusal)),
        };
        connect(py, &target)?;
        Ok(Log {
            path: target.name(),
            target,
        })
    }

    /// The file, or the database (without its password) and the stream, as `URL#STREAM`.
    #[getter]
    fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// Checks every line (shape, chain, rules) and the snapshots beside the log: a dict of
    /// `events`, `head`, `snapshots`; `AccordError` when a rule refuses it. `head` (hex):
    /// also require that it is the hash of one of the log's lines (`pinned_seq` says which),
    /// as `verify --head`. `checkpoint` and `pubkey` (files): also require that the log
    /// extends the signed checkpoint (`checkpoint_size`, and `covered_snapshots`, the
    /// snapshots whose kept tree lies within it), as `verify --checkpoint --pubkey`.
    #[pyo3(signature = (head=None, checkpoint=None, pubkey=None))]
    fn verify(
        &self,
        py: Python<'_>,
        head: Option<&str>,
        checkpoint: Option<PathBuf>,
        pubkey: Option<PathBuf>,
    ) -> PyResult<Py<PyAny>> {
        let pinned = head
            .map(|text| {
                Hash::parse(text).map_err(|error| PyValueError::new_err(format!("head: {error}")))
            })
            .transpose()?;
        let signed = match (checkpoint, pubkey) {
            (Some(checkpoint), Some(pubkey)) => {
                Some(transparency::open_checkpoint(py, &checkpoint, &pubkey)?)
            }
            (None, None) => None,
            _ => {
                return Err(PyValueError::new_err(
                    "checkpoint and pubkey go together: the signature is checked by the key",
                ));
            }
        };
        let target = self.target.clone();
        let verified = py
            .detach(|| accord::front::verify::verify(&target, pinned, signed.as_ref(), &mut |_| {}))
            .map_err(|refusal| refusal_error(py, refusal))?;
        let result = PyDict::new(py);
        result.set_item("events", verified.events)?;
        result.set_item("head", verified.head.to_string())?;
        result.set_item("snapshots", verified.snapshots)?;
        if let Some(seq) = verified.pinned_seq {
            result.set_item("pinned_seq", seq)?;
        }
        if let Some(covered) = verified.checkpoint {
            result.set_item("checkpoint_size", covered.size)?;
            result.set_item("covered_snapshots", covered.covered_snapshots)?;
        }
        Ok(result.into_any().unbind())
    }

    /// The RFC 9162 Merkle tree of the log's first `at` lines (all without it): a dict of
    /// `size` and `root`, as `accord root --json`.
    #[pyo3(signature = (at=None))]
    fn root(&self, py: Python<'_>, at: Option<u64>) -> PyResult<Py<PyAny>> {
        let (size, root) = self.read(py, |source| accord::proofs::root(source, at))?;
        if let Some(at) = at
            && size < at
        {
            return Err(PyValueError::new_err(format!(
                "at {at}: {} has {size} lines",
                self.path.display()
            )));
        }
        from_json(
            py,
            &serde_json::json!({"size": size, "root": root}).to_string(),
        )
    }

    /// A proof, as `accord prove --json` prints it: with `seq`, that line `seq` is in the
    /// tree of the first `size` lines (all without it); with `from_size`, that the tree of
    /// `size` lines extends the tree of `from_size`. `check_proof` checks it.
    #[pyo3(signature = (seq=None, size=None, from_size=None))]
    fn prove(
        &self,
        py: Python<'_>,
        seq: Option<u64>,
        size: Option<u64>,
        from_size: Option<u64>,
    ) -> PyResult<Py<PyAny>> {
        use accord::proofs::ProveError;
        let made = self.read(py, |source| {
            Ok(match (seq, from_size) {
                (Some(seq), None) => accord::proofs::prove_inclusion(source, seq, size)
                    .map(|proof| serde_json::to_string(&proof)),
                (None, Some(from)) => accord::proofs::prove_consistency(source, from, size)
                    .map(|proof| serde_json::to_string(&proof)),
                _ => Err(ProveError::Asked(
                    "give seq (an inclusion proof) or from_size (a consistency proof)".into(),
                )),
            })
        })?;
        match made {
            Ok(text) => from_json(py, &text.expect("a proof serialises")),
            Err(ProveError::Asked(message)) => Err(PyValueError::new_err(
                message
                    .replace("--seq", "seq")
                    .replace("--from", "from_size"),
            )),
            Err(ProveError::Read(error)) => Err(read_error(py, &self.path, error)),
        }
    }

    /// Signs the whole log's tree head with the key file `key` (from `accord keygen`) as a
    /// C2SP checkpoint of `origin`, keeps it in `LOG.checkpoints/` (never over another note
    /// of that size and key), and returns `note` (its text), `size`, `root` and `kept`
    /// (the file written, or None when the same note was already kept).
    fn checkpoint(&self, py: Python<'_>, key: PathBuf, origin: &str) -> PyResult<Py<PyAny>> {
        let signer = transparency::signer_key(&key)?;
        accord::proofs::checkpoint::check_origin(origin)
            .map_err(|detail| PyValueError::new_err(format!("origin: {detail}")))?;
        let (size, root) = self.read(py, |source| accord::proofs::root(source, None))?;
        let note = signer.sign(
            &accord::proofs::checkpoint::Checkpoint {
                origin: origin.to_string(),
                size,
                root,
            }
            .body(),
        );
        // A stream's checkpoints are the caller's to keep: only a file has a place beside it.
        let kept = match &self.target {
            Target::File(path) => FileStore::new(path)
                .keep_checkpoint(size, &signer.verifier().id_hex(), &note)
                .map_err(|error| store_error(py, error))?,
            Target::Once(_) | Target::Stream(_) => None,
        };
        let result = PyDict::new(py);
        result.set_item("note", &note)?;
        result.set_item("size", size)?;
        result.set_item("root", root.to_string())?;
        result.set_item("kept", kept)?;
        Ok(result.into_any().unbind())
    }

    /// The state JSON of the format as Python objects: of the log's first `at` lines, of
    /// what was recorded by `known_at`, of what had occurred by `as_of` (RFC 3339 or a date).
    #[pyo3(signature = (at=None, known_at=None, as_of=None))]
    fn state(
        &self,
        py: Python<'_>,
        at: Option<u64>,
        known_at: Option<&str>,
        as_of: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let query = Query {
            at,
            known_at: time("known_at", known_at)?,
            as_of: time("as_of", as_of)?,
            without_snapshots: false,
        };
        let target = self.target.clone();
        let text = py
            .detach(move || {
                let answer = accord::front::query::answer(&target, &query)?;
                // A seq past the log's end is refused, as the command line refuses it.
                accord::front::query::reaches(&target.name(), &query, &answer, "at")?;
                Ok(StateDocument::new(&answer.folded, answer.seq, answer.head).to_json())
            })
            .map_err(|refusal| refusal_error(py, refusal))?;
        from_json(py, &text)
    }

    /// Every event that touched an entity (`party:ARM`, `provision:AGREEMENT/PROVISION`,
    /// ...), in application order: a list of dicts with the event and the entity before and
    /// after it, as `accord history --json` prints them. Read from the entity index
    /// (`index()`) when it describes the log, else from the log (and an index that no
    /// longer describes it is written again).
    fn history(&self, py: Python<'_>, entity: &str) -> PyResult<Py<PyAny>> {
        let entity =
            EntityRef::parse(entity).map_err(|error| PyValueError::new_err(error.to_string()))?;
        let target = self.target.clone();
        let lines = py
            .detach(move || {
                let mut lines = String::from("[");
                let (_, stale) = accord::front::entities::history(
                    &target,
                    &entity,
                    |_, entry: HistoryEntry<'_>| {
                        if lines.len() > 1 {
                            lines.push(',');
                        }
                        lines.push_str(&entry.to_json().to_string());
                        true
                    },
                )?;
                if let Some(stale) = stale {
                    stale.write_again(&target, &mut |_| {});
                }
                lines.push(']');
                Ok(lines)
            })
            .map_err(|refusal| refusal_error(py, refusal))?;
        from_json(py, &lines)
    }

    /// The entity (`party:ARM`, ...) as it stands at the log's end, as `accord state
    /// --entity` prints it, or `None` when it is not in the state. From the entity index
    /// when it describes the log.
    fn entity(&self, py: Python<'_>, entity: &str) -> PyResult<Py<PyAny>> {
        let entity =
            EntityRef::parse(entity).map_err(|error| PyValueError::new_err(error.to_string()))?;
        let target = self.target.clone();
        let view = py
            .detach(move || {
                let (view, stale) = accord::front::entities::view(&target, &entity, &mut |_| {})?;
                if let Some(stale) = stale {
                    stale.write_again(&target, &mut |_| {});
                }
                Ok(view)
            })
            .map_err(|refusal| refusal_error(py, refusal))?;
        match view {
            Some(view) => from_json(py, &view.to_string()),
            None => Ok(py.None()),
        }
    }

    /// Writes the entity index beside a log file (`LOG.index`), as `accord index` does: a
    /// dict of `path`, `seq`, `head`, `entities`, `entries` and `bytes`.
    fn index(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let target = self.target.clone();
        let written = py
            .detach(move || accord::front::entities::write_index(&target))
            .map_err(|refusal| refusal_error(py, refusal))?;
        let result = PyDict::new(py);
        result.set_item("path", written.path.display().to_string())?;
        result.set_item("seq", written.seq)?;
        result.set_item("head", written.head.to_string())?;
        result.set_item("entities", written.entities)?;
        result.set_item("entries", written.entries)?;
        result.set_item("bytes", written.bytes)?;
        Ok(result.into_any().unbind())
    }

    /// What changed between two points, each a seq (`int`) or a time (`str`): a dict of
    /// `from` and `to` (where each stands) and `changes` (each entity before and after), as
    /// `accord diff --json` prints it.
    #[pyo3(signature = (a, b, known_at=None))]
    fn diff(
        &self,
        py: Python<'_>,
        a: &Bound<'_, PyAny>,
        b: &Bound<'_, PyAny>,
        known_at: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let known_at = time("known_at", known_at)?;
        let (from, to) = (point(a, &known_at)?, point(b, &known_at)?);
        let target = self.target.clone();
        let text = py
            .detach(move || {
                accord::front::query::diff(&target, &from, &to, &mut |_| {})
                    .map(|diff| diff.to_json().to_string())
            })
            .map_err(|refusal| refusal_error(py, refusal))?;
        from_json(py, &text)
    }

    /// Appends drafts (dicts, or JSON Lines text), all or none, as `accord append` does:
    /// a dict of `events`, `head` and each draft's outcome. `expect_seq` refuses the append
    /// unless the log has exactly that many events.
    #[pyo3(signature = (drafts, expect_seq=None))]
    fn append(
        &self,
        py: Python<'_>,
        drafts: &Bound<'_, PyAny>,
        expect_seq: Option<u64>,
    ) -> PyResult<Py<PyAny>> {
        let text: String = if let Ok(text) = drafts.extract::<String>() {
            text
        } else {
            let dumps = py.import("json")?.getattr("dumps")?;
            let mut text = String::new();
            for draft in drafts.try_iter()? {
                let line: String = dumps.call1((draft?,))?.extract()?;
                text.push_str(&line);
                text.push('\n');
            }
            text
        };
        let target = self.target.clone();
        let outcome = py
            .detach(move || {
                let drafts = parse_drafts(text.as_bytes())?;
                let store = target.store()?;
                Ok(store.append_batch(&drafts, expect_seq, chrono::Utc::now())?)
            })
            .map_err(|refusal| refusal_error(py, refusal))?;
        append_document(py, &outcome)
    }

    /// Imports the records of a dataset's files (`format`: "plover", "icews", "acled") into
    /// the log, as `accord import` does (all or none up to 100,000 drafts, a bigger import
    /// in appends of that size), each with its record kept whole: a dict of `imported`,
    /// `corrected`, `retracted`, `unchanged`, `skipped` (by reason), `drafts`, `dry_run`,
    /// and once something landed `appended`, `events` and `head`, as `accord import
    /// --json` prints it. `actors` (a list of party ids), `from_` and `to` (world times)
    /// keep only the new records that fit.
    #[pyo3(signature = (format, paths, actors=None, from_=None, to=None, dry_run=false))]
    #[allow(clippy::too_many_arguments)]
    fn import_records(
        &self,
        py: Python<'_>,
        format: &str,
        paths: &Bound<'_, PyAny>,
        actors: Option<Vec<String>>,
        from_: Option<String>,
        to: Option<String>,
        dry_run: bool,
    ) -> PyResult<Py<PyAny>> {
        let paths: Vec<std::path::PathBuf> = match paths.extract::<std::path::PathBuf>() {
            Ok(path) => vec![path],
            Err(_) => paths.extract()?,
        };
        let target = self.target.clone();
        let format = format.to_string();
        let actors = actors.map(|actors| actors.join(","));
        let document = py
            .detach(move || -> Result<_, Refusal> {
                let dataset = accord::front::import::dataset(&format)?;
                let filters = accord::front::import::filters(
                    actors.as_deref(),
                    from_.as_deref(),
                    to.as_deref(),
                )?;
                let inputs = accord::front::import::inputs(&paths);
                let outcome = accord::front::import::import(
                    &target,
                    dataset,
                    &inputs,
                    &filters,
                    dry_run,
                    &mut |_| {},
                )?;
                Ok(outcome.to_json(dry_run).to_string())
            })
            .map_err(|refusal| refusal_error(py, refusal))?;
        from_json(py, &document)
    }

    /// Appends a retraction of line `seq` (format version 2), as `accord retract` does: the
    /// line folds no more, and stays in the log, as does why.
    #[pyo3(signature = (seq, reason, source=None, expect_seq=None))]
    fn retract(
        &self,
        py: Python<'_>,
        seq: u64,
        reason: String,
        source: Option<String>,
        expect_seq: Option<u64>,
    ) -> PyResult<Py<PyAny>> {
        let now = Timestamp::recorded_now(chrono::Utc::now());
        let draft = accord::front::corrections::retraction(seq, &reason, source.as_deref(), &now);
        self.append_one(py, draft, expect_seq)
    }

    /// Appends a correction of line `seq` (format version 2), as `accord correct` does:
    /// `replacement` is what the line should have said (a dict, or JSON text, of `type`,
    /// `occurred` and `data`), or `occurred` alone corrects only its time.
    #[pyo3(signature = (seq, reason, replacement=None, occurred=None, source=None, expect_seq=None))]
    #[allow(clippy::too_many_arguments)]
    fn correct(
        &self,
        py: Python<'_>,
        seq: u64,
        reason: String,
        replacement: Option<&Bound<'_, PyAny>>,
        occurred: Option<String>,
        source: Option<String>,
        expect_seq: Option<u64>,
    ) -> PyResult<Py<PyAny>> {
        let replacement = match (replacement, occurred) {
            (Some(replacement), None) => {
                let text: String = match replacement.extract::<String>() {
                    Ok(text) => text,
                    Err(_) => py
                        .import("json")?
                        .getattr("dumps")?
                        .call1((replacement,))?
                        .extract()?,
                };
                accord::front::corrections::parse_replacement(&text)
                    .map_err(|refusal| refusal_error(py, refusal))?
            }
            (None, Some(occurred)) => {
                let occurred = accord::format::world_time::WorldTime::parse(&occurred)
                    .map_err(|error| PyValueError::new_err(format!("occurred: {error}")))?;
                let target = self.target.clone();
                py.detach(move || accord::front::corrections::with_time(&target, seq, occurred))
                    .map_err(|refusal| refusal_error(py, refusal))?
            }
            _ => {
                return Err(PyValueError::new_err(
                    "give the replacement, or occurred alone to correct only the time",
                ));
            }
        };
        let now = Timestamp::recorded_now(chrono::Utc::now());
        let draft = accord::front::corrections::correction(
            seq,
            &reason,
            replacement,
            source.as_deref(),
            &now,
        );
        self.append_one(py, draft, expect_seq)
    }

    /// The log's events in file order, each a dict (its line's fields), read a batch at a
    /// time: memory holds one batch, whatever the log's length. Each line's envelope and
    /// chain are checked as it is read; `verify()` checks the rest.
    fn events(&self) -> Events {
        Events {
            target: self.target.clone(),
            path: self.path.clone(),
            reading: Mutex::new(Reading::default()),
        }
    }

    /// One row per event (`seq`, `id`, `type`, `occurred`, `recorded`, `party`, `source`,
    /// `data`), typed: integers, categories, UTC datetimes. Needs pandas, which accord
    /// does not depend on.
    fn to_pandas(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let events = Py::new(py, self.events())?;
        Ok(py
            .import("accord._frames")?
            .call_method1("events_frame", (events,))?
            .unbind())
    }

    fn __repr__(&self) -> String {
        format!("Log.open({:?})", self.path.display().to_string())
    }
}

/// A history's failure, made a Python exception once attached again.
enum PyErrOrRead {
    Store(StoreError),
    Read(ReadError),
    Refusal(Refusal),
}

impl PyErrOrRead {
    fn into_py_err(self, py: Python<'_>, path: &Path) -> PyErr {
        match self {
            PyErrOrRead::Store(error) => store_error(py, error),
            PyErrOrRead::Read(error) => read_error(py, path, error),
            PyErrOrRead::Refusal(refusal) => refusal_error(py, refusal),
        }
    }
}

/// A world time as format version 2 reads it: `(start, end)`, RFC 3339 UTC timestamps to
/// the nanosecond; a point is its instant twice. What `to_pandas` types `occurred` with.
#[pyfunction]
fn world_time(text: &str) -> PyResult<(String, String)> {
    let time = accord::format::world_time::WorldTime::parse(text)
        .map_err(|error| PyValueError::new_err(error.to_string()))?;
    let shown = |instant: chrono::DateTime<chrono::Utc>| {
        instant.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
    };
    Ok((shown(time.start()), shown(time.end())))
}

/// What an append returns to Python: each draft's outcome, the events and the head.
fn append_document(
    py: Python<'_>,
    outcome: &accord::stores::append::AppendOutcome,
) -> PyResult<Py<PyAny>> {
    let drafts: Vec<serde_json::Value> = outcome
        .drafts
        .iter()
        .map(|draft| match draft {
            DraftOutcome::Appended { seq, id, type_name } => {
                serde_json::json!({"result": "appended", "seq": seq, "id": id, "type": type_name})
            }
            DraftOutcome::Duplicate { existing_seq, id } => {
                serde_json::json!({"result": "duplicate", "seq": existing_seq, "id": id})
            }
        })
        .collect();
    let document =
        serde_json::json!({"drafts": drafts, "events": outcome.events, "head": outcome.head});
    from_json(py, &document.to_string())
}

/// An event as JSON, as `accord history --json` prints it without the entity.
fn event_json(event: &Event) -> String {
    accord::views::describe::event_json(event).to_string()
}

/// A point of `diff`: a seq or a time.
fn point(value: &Bound<'_, PyAny>, known_at: &Option<Timestamp>) -> PyResult<Query> {
    let mut query = Query {
        known_at: known_at.clone(),
        ..Query::default()
    };
    if let Ok(seq) = value.extract::<u64>() {
        query.at = Some(seq);
    } else if let Ok(text) = value.extract::<String>() {
        // Digits in a string are a seq, as on the command line.
        return accord::front::query::point(&text, known_at)
            .map_err(|refusal| Python::attach(|py| refusal_error(py, refusal)));
    } else {
        return Err(PyValueError::new_err(
            "a point is a seq (int) or a time (str)",
        ));
    }
    Ok(query)
}

/// Events a reading hands to Python at a time.
const EVENTS_PER_BATCH: usize = 1024;

/// Where an `Events` iterator is in the log.
#[derive(Default)]
struct Reading {
    position: Position,
    batch: std::collections::VecDeque<String>,
    ended: bool,
}

/// `Log.events()`: the log's events, a batch at a time.
#[pyclass(module = "accord")]
struct Events {
    target: Target,
    path: PathBuf,
    reading: Mutex<Reading>,
}

#[pymethods]
impl Events {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let mut reading = self
            .reading
            .lock()
            .map_err(|_| PyOSError::new_err("the reading failed in another thread"))?;
        if reading.batch.is_empty() && !reading.ended {
            let target = self.target.clone();
            let position = reading.position.clone();
            let (batch, position) = py
                .detach(move || next_batch(&target, position))
                .map_err(|error| error.into_py_err(py, &self.path))?;
            reading.ended = batch.is_empty();
            reading.batch = batch.into();
            reading.position = position;
        }
        match reading.batch.pop_front() {
            Some(line) => from_json(py, &line).map(Some),
            None => Ok(None),
        }
    }
}

/// The next events after `position`, as JSON, and where they end.
fn next_batch(target: &Target, position: Position) -> Result<(Vec<String>, Position), PyErrOrRead> {
    match target {
        Target::File(path) => {
            let store = FileStore::new(path);
            let file = store.open_shared().map_err(PyErrOrRead::Store)?;
            batch_after(&accord::replay::FileSource(&file), position)
        }
        #[cfg(feature = "postgres")]
        Target::Stream(stream) => stream
            .store()
            .map_err(PyErrOrRead::Refusal)?
            .read_with_position(&position.clone(), |source| batch_after(source, position))
            .map_err(PyErrOrRead::Store)?,
        // `Log.open` makes every path a file, and a database a stream only with the store.
        _ => Err(PyErrOrRead::Refusal(accord::front::Refusal::Usage(
            format!(
                "{}: read once, or without the PostgreSQL store: not read by position",
                target.name().display()
            ),
        ))),
    }
}

/// The events of `source` after `position`, a batch of them, checked as they are read.
fn batch_after(
    source: &dyn accord::replay::Source,
    mut position: Position,
) -> Result<(Vec<String>, Position), PyErrOrRead> {
    let reader = source
        .read_at(position.end_offset)
        .map_err(|error| PyErrOrRead::Read(ReadError::Io(error)))?;
    let mut checker = EnvelopeChecker::after(&position);
    let mut batch = Vec::new();
    read_lines(
        reader,
        &mut checker,
        &mut position,
        &Prefix::default(),
        |event, _| {
            batch.push(event_json(&event));
            if batch.len() == EVENTS_PER_BATCH {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .map_err(PyErrOrRead::Read)?;
    Ok((batch, position))
}

/// A simulation's failure as a Python exception: a scenario or run refused is `AccordError`
/// under no rule (the format's rules are about logs; `rule` is None), an unreadable file
/// `OSError`.
fn sim_error(error: accord::sim::SimError) -> PyErr {
    Python::attach(|py| refusal_error(py, Refusal::from(error)))
}

/// A scenario file, or a GENIUS directory (one domain file and its profiles, as
/// `tournament` takes them), with its strategies (one name, or one per party) and deadline
/// replaced where given: the front door's loading, with the command line's defaults
/// (`boulware` for 100 rounds for a GENIUS directory unless told).
fn scenario(
    path: &Path,
    strategies: Option<&[String]>,
    deadline: Option<u32>,
) -> PyResult<accord::sim::scenario::Scenario> {
    use accord::front::scenarios::{ScenarioFiles, load_scenario};
    load_scenario(ScenarioFiles::of_path(path), strategies, deadline)
        .map_err(|refusal| Python::attach(|py| refusal_error(py, refusal)))
}

/// The worker threads: the ones asked for, or every core.
fn threads(threads: Option<usize>) -> PyResult<usize> {
    let most = accord::sim::batch::MAX_THREADS;
    match threads {
        Some(threads) if threads == 0 || threads > most => Err(PyValueError::new_err(format!(
            "threads must be 1 to {most}"
        ))),
        Some(threads) => Ok(threads),
        None => Ok(std::thread::available_parallelism().map_or(1, usize::from)),
    }
}

/// Runs a seeded batch of a scenario file, as `accord simulate SCENARIO --json`: the
/// summary as a dict. With `per_run=True` it also holds `per_run`, one dict per run as
/// `--per-run FILE.jsonl` writes them; with `log_dir` each run's log is written there, as
/// `--out-dir` does (never over a run log that stands there unless `force=True`). The same
/// seed gives the same result on any number of threads.
///
/// `players` maps party ids to strategies written in Python (see `Negotiation`): a class is
/// made afresh for each run, an object plays every run. A batch with players runs on the
/// calling thread, attached to the interpreter, since its strategies are Python code.
#[pyfunction]
#[pyo3(signature = (scenario_path, seed=0, runs=1, threads=None, per_run=false, players=None, log_dir=None, force=false, strategies=None, deadline=None))]
#[allow(clippy::too_many_arguments)]
fn simulate(
    py: Python<'_>,
    scenario_path: PathBuf,
    seed: u64,
    runs: u64,
    threads: Option<usize>,
    per_run: bool,
    players: Option<Bound<'_, PyDict>>,
    log_dir: Option<PathBuf>,
    force: bool,
    strategies: Option<Vec<String>>,
    deadline: Option<u32>,
) -> PyResult<Py<PyAny>> {
    let scenario = scenario(&scenario_path, strategies.as_deref(), deadline)?;
    let options = batch_options(seed, runs, self::threads(threads)?, log_dir, force);
    let mut rows: Vec<serde_json::Value> = Vec::new();
    let mut on_result = row_collector(&scenario, seed, per_run, &mut rows);
    let summary = match players.filter(|players| !players.is_empty()) {
        None => py
            .detach(|| accord::sim::batch::simulate(&scenario, &options, &|_| {}, &mut on_result))
            .map_err(sim_error)?,
        Some(players) => {
            let factory = players::PlayerFactory::new(&scenario, seed, &players)?;
            let summary = accord::sim::batch::simulate_with_players(
                &scenario,
                &options,
                &mut |index| factory.players_of_run(index),
                &mut on_result,
            );
            if let Some(raised) = factory.take_raised() {
                return Err(raised);
            }
            summary.map_err(sim_error)?
        }
    };
    drop(on_result);
    summary_document(py, &summary, per_run.then_some(rows))
}

/// The options of a batch `simulate` plays (its logs written, none kept).
fn batch_options(
    seed: u64,
    runs: u64,
    threads: usize,
    log_dir: Option<PathBuf>,
    force: bool,
) -> accord::sim::batch::BatchOptions {
    accord::sim::batch::BatchOptions {
        seed,
        runs,
        threads,
        out_dir: log_dir,
        keep_logs: false,
        overwrite: force,
    }
}

/// What `simulate` does with each run's result: a `per_run` row when asked.
fn row_collector<'a>(
    scenario: &'a accord::sim::scenario::Scenario,
    seed: u64,
    per_run: bool,
    rows: &'a mut Vec<serde_json::Value>,
) -> impl FnMut(u64, &accord::sim::run::RunResult) + 'a {
    move |index, result| {
        if per_run {
            rows.push(accord::sim::batch::run_row(scenario, seed, index, result));
        }
    }
}

/// A batch's summary as `simulate` returns it: with `per_run` rows when asked.
fn summary_document(
    py: Python<'_>,
    summary: &accord::sim::batch::Summary,
    rows: Option<Vec<serde_json::Value>>,
) -> PyResult<Py<PyAny>> {
    let mut document = serde_json::to_value(summary).expect("a summary serialises");
    if let Some(rows) = rows {
        document["per_run"] = serde_json::Value::Array(rows);
    }
    from_json(py, &document.to_string())
}

/// Plays run `run` (from 1) of a scenario file from `seed`, as run `run` of
/// `simulate(..., seed=seed)` plays it, with `players` (as `simulate` takes them), and
/// returns its `per_run` row with `log`: the run's log as text, every move of every party
/// recorded by the reducer. `log_path` also writes it there (a new file, unless
/// `force=True`).
#[pyfunction]
#[pyo3(signature = (scenario_path, players=None, seed=0, run=1, log_path=None, force=false, strategies=None, deadline=None))]
#[allow(clippy::too_many_arguments)]
fn play(
    py: Python<'_>,
    scenario_path: PathBuf,
    players: Option<Bound<'_, PyDict>>,
    seed: u64,
    run: u64,
    log_path: Option<PathBuf>,
    force: bool,
    strategies: Option<Vec<String>>,
    deadline: Option<u32>,
) -> PyResult<Py<PyAny>> {
    let scenario = scenario(&scenario_path, strategies.as_deref(), deadline)?;
    if run == 0 || run > accord::sim::batch::MAX_RUNS {
        return Err(PyValueError::new_err(format!(
            "run is 1 to {}",
            accord::sim::batch::MAX_RUNS
        )));
    }
    let index = run - 1;
    let empty = PyDict::new(py);
    let factory = players::PlayerFactory::new(&scenario, seed, players.as_ref().unwrap_or(&empty))?;
    let played = factory
        .players_of_run(index)
        .and_then(|mut players| accord::sim::batch::play_run(&scenario, seed, index, &mut players));
    if let Some(raised) = factory.take_raised() {
        return Err(raised);
    }
    let result = played.map_err(sim_error)?;
    let log = result.log.clone().unwrap_or_default();
    if let Some(path) = &log_path {
        accord::sim::write_new_file(path, &log, force).map_err(sim_error)?;
    }
    let mut row = accord::sim::batch::run_row(&scenario, seed, index, &result);
    row["log"] = serde_json::Value::String(String::from_utf8(log).expect("a log is UTF-8"));
    from_json(py, &row.to_string())
}

/// The outcome space of a scenario file, as `accord analyze SCENARIO --json [--frontier]`.
#[pyfunction]
#[pyo3(signature = (scenario_path, seed=0, frontier=false))]
fn analyze(
    py: Python<'_>,
    scenario_path: PathBuf,
    seed: u64,
    frontier: bool,
) -> PyResult<Py<PyAny>> {
    let scenario = scenario(&scenario_path, None, None)?;
    let text = py.detach(|| {
        let analysis =
            accord::front::scenarios::analyze_scenario(&scenario, seed, frontier).analysis;
        serde_json::to_string(&analysis.to_json(&scenario.domain)).expect("an analysis serialises")
    });
    from_json(py, &text)
}

/// Per strategy of a tournament, its Python class (`None`: a built-in strategy's name).
type StrategyClasses = Vec<Option<Py<PyAny>>>;

/// A tournament's domains, strategies' names as options, and the Python classes among them.
fn tournament_setup(
    scenario_paths: &[PathBuf],
    strategies: &Bound<'_, pyo3::types::PyList>,
    runs: u64,
    seed: u64,
    threads: usize,
    deadline: Option<u32>,
) -> PyResult<(
    Vec<accord::sim::scenario::Scenario>,
    accord::sim::tournament::TournamentOptions,
    StrategyClasses,
)> {
    let scenarios = tournament_scenarios(scenario_paths, deadline)?;
    let (names, classes) = tournament_strategies(strategies)?;
    let options = accord::sim::tournament::TournamentOptions {
        strategies: names,
        runs,
        seed,
        threads,
    };
    Ok((scenarios, options, classes))
}

/// A tournament's strategies as Python gives them: a built-in strategy's name, a strategy
/// class (named by its `__name__`), or a `(name, class)` pair. Their names, and per
/// strategy its class (`None` for a built-in one).
fn tournament_strategies(
    strategies: &Bound<'_, pyo3::types::PyList>,
) -> PyResult<(Vec<String>, StrategyClasses)> {
    use pyo3::exceptions::PyTypeError;
    use pyo3::types::{PyTuple, PyType};
    let mut names = Vec::new();
    let mut classes = Vec::new();
    for item in strategies.iter() {
        if let Ok(name) = item.extract::<String>() {
            names.push(name);
            classes.push(None);
            continue;
        }
        let (name, class) = if let Ok(pair) = item.cast::<PyTuple>() {
            if pair.len() != 2 {
                return Err(PyTypeError::new_err(
                    "a strategy given as a tuple is (name, class)",
                ));
            }
            let name: String = pair.get_item(0)?.extract().map_err(|_| {
                PyTypeError::new_err("a strategy given as a tuple is (name, class): name is a str")
            })?;
            (name, pair.get_item(1)?)
        } else if item.is_instance_of::<PyType>() {
            let name: String = item.getattr("__name__")?.extract()?;
            (name, item.clone())
        } else {
            return Err(PyTypeError::new_err(format!(
                "a strategy is a built-in strategy's name, a class or a (name, class) pair; \
                 a {} object is not (a class is made afresh for every run)",
                item.get_type().name()?
            )));
        };
        if !class.is_instance_of::<PyType>() {
            return Err(PyTypeError::new_err(format!(
                "the strategy `{name}` is a class (made afresh for every run), not an object"
            )));
        }
        for method in ["propose", "respond"] {
            if !class.hasattr(method)? {
                return Err(PyTypeError::new_err(format!(
                    "the strategy `{name}` has no `{method}` method"
                )));
            }
        }
        names.push(name);
        classes.push(Some(class.unbind()));
    }
    Ok((names, classes))
}

fn tournament_scenarios(
    scenario_paths: &[PathBuf],
    deadline: Option<u32>,
) -> PyResult<Vec<accord::sim::scenario::Scenario>> {
    scenario_paths
        .iter()
        .map(|path| scenario(path, None, deadline))
        .collect()
}

/// Every assignment of `strategies` to the roles of each scenario file, `runs` seeded runs
/// each, and the strategies ranked, as `accord tournament ... --json`. A strategy is a
/// built-in strategy's name, a strategy class written in Python (see `Negotiation`; named
/// by its `__name__`), or a `(name, class)` pair. Built-in strategies alone play on
/// `threads`; with Python strategies the tournament plays on the calling thread (`accord.
/// tournament(..., processes=N)` shares it among processes).
#[pyfunction]
#[pyo3(signature = (scenario_paths, strategies, runs=10, seed=0, threads=None, deadline=None))]
fn tournament(
    py: Python<'_>,
    scenario_paths: Vec<PathBuf>,
    strategies: Bound<'_, pyo3::types::PyList>,
    runs: u64,
    seed: u64,
    threads: Option<usize>,
    deadline: Option<u32>,
) -> PyResult<Py<PyAny>> {
    let (scenarios, options, classes) = tournament_setup(
        &scenario_paths,
        &strategies,
        runs,
        seed,
        self::threads(threads)?,
        deadline,
    )?;
    if classes.iter().all(Option::is_none) {
        let text = py.detach(|| {
            accord::sim::tournament::play(&scenarios, &options, &|_| {})
                .map(|played| serde_json::to_string(&played).expect("a tournament serialises"))
        });
        return from_json(py, &text.map_err(sim_error)?);
    }
    let outside: Vec<bool> = classes.iter().map(Option::is_some).collect();
    let every_job: Vec<usize> =
        (0..accord::sim::tournament::jobs(&scenarios, &options).len()).collect();
    let records = tournament_records(&scenarios, &options, classes, &every_job)?;
    let played = accord::sim::tournament::ranked_records(
        &scenarios,
        &options,
        &|strategy| outside[strategy],
        &records,
    )
    .map_err(sim_error)?;
    from_json(
        py,
        &serde_json::to_string(&played).expect("a tournament serialises"),
    )
}

/// Plays the assignments numbered `part` of a tournament with Python strategies on this
/// thread.
fn tournament_records(
    scenarios: &[accord::sim::scenario::Scenario],
    options: &accord::sim::tournament::TournamentOptions,
    classes: Vec<Option<Py<PyAny>>>,
    part: &[usize],
) -> PyResult<Vec<Vec<accord::sim::tournament::RunRecord>>> {
    let mut players = players::TournamentPlayers::new(classes, scenarios.to_vec(), options.seed);
    let played = accord::sim::tournament::play_with_outside(scenarios, options, &mut players, part);
    if let Some(raised) = players.take_raised() {
        return Err(raised);
    }
    played.map_err(sim_error)
}

/// A run record as Python keeps it: `(agreed, rounds, utilities, (pareto, nash,
/// kalai_smorodinsky, max_welfare))`; floats cross as Python floats, exactly.
type RecordTuple = (
    bool,
    u32,
    Vec<f64>,
    (Option<f64>, Option<f64>, Option<f64>, Option<f64>),
);

fn record_tuple(record: &accord::sim::tournament::RunRecord) -> RecordTuple {
    let distances = record.distances;
    (
        record.agreed,
        record.rounds,
        record.utilities.clone(),
        (
            distances.pareto,
            distances.nash,
            distances.kalai_smorodinsky,
            distances.max_welfare,
        ),
    )
}

fn record_of_tuple(tuple: RecordTuple) -> accord::sim::tournament::RunRecord {
    let (agreed, rounds, utilities, (pareto, nash, kalai_smorodinsky, max_welfare)) = tuple;
    accord::sim::tournament::RunRecord {
        agreed,
        rounds,
        utilities,
        distances: accord::sim::analysis::yardstick::Distances {
            pareto,
            nash,
            kalai_smorodinsky,
            max_welfare,
        },
    }
}

/// A worker process's share of a tournament (`accord.tournament(..., processes=N)`): the
/// assignments numbered `part`, their run records as tuples.
#[pyfunction]
#[pyo3(signature = (scenario_paths, strategies, runs, seed, deadline, part))]
fn _tournament_part(
    scenario_paths: Vec<PathBuf>,
    strategies: Bound<'_, pyo3::types::PyList>,
    runs: u64,
    seed: u64,
    deadline: Option<u32>,
    part: Vec<usize>,
) -> PyResult<Vec<Vec<RecordTuple>>> {
    let (scenarios, options, classes) =
        tournament_setup(&scenario_paths, &strategies, runs, seed, 1, deadline)?;
    let records = tournament_records(&scenarios, &options, classes, &part)?;
    Ok(records
        .iter()
        .map(|runs| runs.iter().map(record_tuple).collect())
        .collect())
}

/// How many assignments a tournament plays (for sharing it among processes).
#[pyfunction]
#[pyo3(signature = (scenario_paths, strategies, deadline))]
fn _tournament_size(
    scenario_paths: Vec<PathBuf>,
    strategies: Bound<'_, pyo3::types::PyList>,
    deadline: Option<u32>,
) -> PyResult<usize> {
    let (scenarios, options, _) =
        tournament_setup(&scenario_paths, &strategies, 1, 0, 1, deadline)?;
    Ok(accord::sim::tournament::jobs(&scenarios, &options).len())
}

/// The tournament of every share's records, in assignment order, ranked.
#[pyfunction]
#[pyo3(signature = (scenario_paths, strategies, runs, seed, deadline, records))]
fn _tournament_rank(
    py: Python<'_>,
    scenario_paths: Vec<PathBuf>,
    strategies: Bound<'_, pyo3::types::PyList>,
    runs: u64,
    seed: u64,
    deadline: Option<u32>,
    records: Vec<Vec<RecordTuple>>,
) -> PyResult<Py<PyAny>> {
    let (scenarios, options, classes) =
        tournament_setup(&scenario_paths, &strategies, runs, seed, 1, deadline)?;
    let records: Vec<Vec<_>> = records
        .into_iter()
        .map(|runs| runs.into_iter().map(record_of_tuple).collect())
        .collect();
    let played = accord::sim::tournament::ranked_records(
        &scenarios,
        &options,
        &|strategy| classes.get(strategy).is_some_and(Option::is_some),
        &records,
    )
    .map_err(sim_error)?;
    from_json(
        py,
        &serde_json::to_string(&played).expect("a tournament serialises"),
    )
}

/// A run's result as Python keeps it: `(agreed, agreement_possible, rounds, outcome,
/// utilities, released, distances, log)`.
type ResultTuple = (
    bool,
    bool,
    u32,
    Option<Vec<usize>>,
    Vec<f64>,
    u64,
    (Option<f64>, Option<f64>, Option<f64>, Option<f64>),
    Option<Py<pyo3::types::PyBytes>>,
);

/// A worker process's share of `accord.simulate(..., players=..., processes=N)`: runs
/// `start` to `end`, their results as tuples (with their logs when `keep_logs`).
#[pyfunction]
#[pyo3(signature = (scenario_path, players, seed, start, end, keep_logs, strategies, deadline))]
#[allow(clippy::too_many_arguments)]
fn _simulate_part(
    py: Python<'_>,
    scenario_path: PathBuf,
    players: Bound<'_, PyDict>,
    seed: u64,
    start: u64,
    end: u64,
    keep_logs: bool,
    strategies: Option<Vec<String>>,
    deadline: Option<u32>,
) -> PyResult<Vec<ResultTuple>> {
    let scenario = scenario(&scenario_path, strategies.as_deref(), deadline)?;
    let factory = players::PlayerFactory::new(&scenario, seed, &players)?;
    let played = accord::sim::batch::play_runs_with_players(
        &scenario,
        seed,
        start..end,
        keep_logs,
        &mut |index| factory.players_of_run(index),
    );
    if let Some(raised) = factory.take_raised() {
        return Err(raised);
    }
    Ok(played
        .map_err(sim_error)?
        .into_iter()
        .map(|result| {
            let distances = result.distances;
            (
                result.agreed,
                result.agreement_possible,
                result.rounds,
                result.outcome,
                result.utilities,
                result.released,
                (
                    distances.pareto,
                    distances.nash,
                    distances.kalai_smorodinsky,
                    distances.max_welfare,
                ),
                result
                    .log
                    .map(|log| pyo3::types::PyBytes::new(py, &log).unbind()),
            )
        })
        .collect())
}

/// The batch of every share's results, in run order: its summary as `simulate` gives it,
/// and its logs written into `log_dir` as `simulate` writes them.
#[pyfunction]
#[pyo3(signature = (scenario_path, seed, runs, results, per_run, log_dir, force, strategies, deadline))]
#[allow(clippy::too_many_arguments)]
fn _simulate_finish(
    py: Python<'_>,
    scenario_path: PathBuf,
    seed: u64,
    runs: u64,
    results: Vec<ResultTuple>,
    per_run: bool,
    log_dir: Option<PathBuf>,
    force: bool,
    strategies: Option<Vec<String>>,
    deadline: Option<u32>,
) -> PyResult<Py<PyAny>> {
    let scenario = scenario(&scenario_path, strategies.as_deref(), deadline)?;
    let options = batch_options(seed, runs, 1, log_dir, force);
    let results = results
        .into_iter()
        .map(
            |(agreed, agreement_possible, rounds, outcome, utilities, released, distances, log)| {
                let (pareto, nash, kalai_smorodinsky, max_welfare) = distances;
                accord::sim::run::RunResult {
                    agreed,
                    agreement_possible,
                    rounds,
                    outcome,
                    utilities,
                    released,
                    distances: accord::sim::analysis::yardstick::Distances {
                        pareto,
                        nash,
                        kalai_smorodinsky,
                        max_welfare,
                    },
                    log: log.map(|log| log.as_bytes(py).to_vec()),
                }
            },
        )
        .collect();
    let mut rows: Vec<serde_json::Value> = Vec::new();
    let mut on_result = row_collector(&scenario, seed, per_run, &mut rows);
    let summary =
        accord::sim::batch::simulate_from_results(&scenario, &options, results, &mut on_result)
            .map_err(sim_error)?;
    drop(on_result);
    summary_document(py, &summary, per_run.then_some(rows))
}

#[pymodule]
fn _accord(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Log>()?;
    module.add_class::<Events>()?;
    module.add_class::<players::Negotiation>()?;
    module.add_function(wrap_pyfunction!(world_time, module)?)?;
    module.add_function(wrap_pyfunction!(simulate, module)?)?;
    module.add_function(wrap_pyfunction!(play, module)?)?;
    module.add_function(wrap_pyfunction!(transparency::check_proof, module)?)?;
    module.add_function(wrap_pyfunction!(analyze, module)?)?;
    module.add_function(wrap_pyfunction!(tournament, module)?)?;
    module.add_function(wrap_pyfunction!(_tournament_part, module)?)?;
    module.add_function(wrap_pyfunction!(_tournament_size, module)?)?;
    module.add_function(wrap_pyfunction!(_tournament_rank, module)?)?;
    module.add_function(wrap_pyfunction!(_simulate_part, module)?)?;
    module.add_function(wrap_pyfunction!(_simulate_finish, module)?)?;
    module.add("AccordError", module.py().get_type::<AccordError>())?;
    Ok(())
}
