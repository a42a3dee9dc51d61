//! The `accord` Python package's native module: the Rust core's commands as functions that
//! return Python objects. Long work runs detached from the interpreter, so other Python
//! threads go on; every failure is a Python exception, never a panic.

use std::path::PathBuf;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use accord::fold::state::StateDocument;
use accord::format::time::Timestamp;
use accord::stores::file::{FileStore, StoreError};
use accord::stores::query::{self, Query};

pyo3::create_exception!(
    _accord,
    AccordError,
    pyo3::exceptions::PyException,
    "A log or input refused under one of the format's rules: `rule`, `line` or `seq`, `detail`."
);

/// A refusal as a Python exception with its rule, line and detail as attributes.
fn refused(py: Python<'_>, rule: &str, line: Option<u64>, detail: &str, message: String) -> PyErr {
    let error = AccordError::new_err(message);
    let value = error.value(py);
    let _ = value.setattr("rule", rule);
    let _ = value.setattr("line", line);
    let _ = value.setattr("seq", line);
    let _ = value.setattr("detail", detail);
    error
}

fn store_error(py: Python<'_>, error: StoreError) -> PyErr {
    match error {
        StoreError::Log { path, error } => refused(
            py,
            error.rule.name(),
            Some(error.line),
            &error.detail,
            format!(
                "{}: line {}: {}: {}",
                path.display(),
                error.line,
                error.rule.name(),
                error.detail
            ),
        ),
        other => PyOSError::new_err(other.to_string()),
    }
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

/// A log file.
#[pyclass(module = "accord", frozen)]
struct Log {
    path: PathBuf,
}

#[pymethods]
impl Log {
    /// Opens the log file at `path` (nothing is read until asked).
    #[staticmethod]
    fn open(path: PathBuf) -> Log {
        Log { path }
    }

    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Checks every line (shape, chain, rules) and the snapshots beside the log: a dict of
    /// `events`, `head`, `snapshots`; `AccordError` when a rule refuses it.
    fn verify(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let path = self.path.clone();
        let verified = py
            .detach(move || FileStore::new(&path).verify_with_snapshots(None))
            .map_err(|error| store_error(py, error))?;
        if let Some(mismatch) = verified.mismatches.first() {
            return Err(refused(
                py,
                "snapshot.mismatch",
                Some(mismatch.seq),
                &mismatch.detail,
                format!(
                    "{}: snapshot.mismatch: {}",
                    mismatch.path.display(),
                    mismatch.detail
                ),
            ));
        }
        let result = PyDict::new(py);
        result.set_item("events", verified.events)?;
        result.set_item("head", verified.head.to_string())?;
        result.set_item("snapshots", verified.snapshots)?;
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
        let path = self.path.clone();
        let text = py
            .detach(move || {
                query::answer(&FileStore::new(&path), &query).map(|answer| {
                    StateDocument::new(&answer.folded, answer.seq, answer.head).to_json()
                })
            })
            .map_err(|error| store_error(py, error))?;
        from_json(py, &text)
    }

    fn __repr__(&self) -> String {
        format!("Log.open({:?})", self.path.display().to_string())
    }
}

#[pymodule]
fn _accord(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Log>()?;
    module.add("AccordError", module.py().get_type::<AccordError>())?;
    Ok(())
}
