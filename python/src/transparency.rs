//! The transparency functions from Python: signed checkpoints opened and proofs checked
//! with the core's own code, refusals raised as `AccordError` under the rule the command
//! line names.

use std::path::Path;

use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use accord::format::ids::Hash;
use accord::proofs::checkpoint::{Checkpoint, MAX_NOTE_BYTES, SignerKey};
use accord::proofs::{MAX_PROOF_BYTES, Proof, TrustedRoot};

use crate::{from_json, refusal_error};

/// A small text file read whole (a key, a checkpoint note), refused past `limit` bytes.
fn small_text(path: &Path, limit: usize) -> PyResult<String> {
    let shown = path.display();
    let length = std::fs::metadata(path)
        .map_err(|error| PyOSError::new_err(format!("{shown}: {error}")))?
        .len();
    if length > limit as u64 {
        return Err(PyValueError::new_err(format!(
            "{shown}: {length} bytes, more than the {limit} a key or a checkpoint can be"
        )));
    }
    let bytes =
        std::fs::read(path).map_err(|error| PyOSError::new_err(format!("{shown}: {error}")))?;
    String::from_utf8(bytes).map_err(|_| PyValueError::new_err(format!("{shown}: not UTF-8 text")))
}

/// The private key of a key file from `accord keygen`.
pub fn signer_key(path: &Path) -> PyResult<SignerKey> {
    SignerKey::parse(&small_text(path, MAX_NOTE_BYTES)?)
        .map_err(|detail| PyValueError::new_err(format!("{}: {detail}", path.display())))
}

/// A signed checkpoint, once its signature by the public key file holds: `AccordError`
/// under `checkpoint.signature` when it does not (the front door's own check).
pub fn open_checkpoint(py: Python<'_>, note: &Path, pubkey: &Path) -> PyResult<Checkpoint> {
    accord::front::checkpoint::open_checkpoint(note, pubkey)
        .map_err(|refusal| refusal_error(py, refusal))
}

/// A proof as `Log.prove` returns it (a dict) or as `accord prove --json` writes it (text).
fn proof_of(py: Python<'_>, proof: &Bound<'_, PyAny>) -> PyResult<Proof> {
    let text: String = if let Ok(text) = proof.cast::<PyString>() {
        text.to_string()
    } else if proof.cast::<PyDict>().is_ok() {
        py.import("json")?
            .call_method1("dumps", (proof,))?
            .extract()?
    } else {
        return Err(PyTypeError::new_err(
            "a proof is the dict Log.prove returns, or its JSON text",
        ));
    };
    if text.len() as u64 > MAX_PROOF_BYTES {
        return Err(PyValueError::new_err(format!(
            "a proof is at most {MAX_PROOF_BYTES} bytes"
        )));
    }
    accord::proofs::parse_proof(&text).map_err(|error| PyValueError::new_err(error.to_string()))
}

/// Checks a proof without the log, as `accord check-proof`: against `root` (hex) or a
/// signed `checkpoint` file with its `pubkey` file when given, else against the proof's
/// own root. An inclusion proof is of `line` (str or bytes; the proof's own line without
/// it). Returns the command's `--json` dict; `AccordError` under `proof.inclusion`,
/// `proof.consistency`, `checkpoint.signature` when it does not hold.
#[pyfunction]
#[pyo3(signature = (proof, line=None, root=None, checkpoint=None, pubkey=None))]
pub fn check_proof(
    py: Python<'_>,
    proof: &Bound<'_, PyAny>,
    line: Option<&Bound<'_, PyAny>>,
    root: Option<&str>,
    checkpoint: Option<std::path::PathBuf>,
    pubkey: Option<std::path::PathBuf>,
) -> PyResult<Py<PyAny>> {
    let proof = proof_of(py, proof)?;
    let trusted = match (root, checkpoint, pubkey) {
        (Some(_), Some(_), _) => {
            return Err(PyValueError::new_err(
                "root or checkpoint: one root to trust, not two",
            ));
        }
        (Some(root), None, None) => TrustedRoot::Root(
            Hash::parse(root).map_err(|error| PyValueError::new_err(format!("root: {error}")))?,
        ),
        (_, Some(checkpoint), Some(pubkey)) => {
            TrustedRoot::Checkpoint(open_checkpoint(py, &checkpoint, &pubkey)?)
        }
        (_, Some(_), None) | (_, None, Some(_)) => {
            return Err(PyValueError::new_err(
                "checkpoint and pubkey go together: the signature is checked by the key",
            ));
        }
        (None, None, None) => TrustedRoot::Nothing,
    };
    let line: Option<Vec<u8>> = line
        .map(|line| -> PyResult<Vec<u8>> {
            let mut bytes: Vec<u8> = if let Ok(bytes) = line.cast::<PyBytes>() {
                bytes.as_bytes().to_vec()
            } else {
                line.extract::<String>()
                    .map_err(|_| PyTypeError::new_err("a line is str or bytes"))?
                    .into_bytes()
            };
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
            }
            Ok(bytes)
        })
        .transpose()?;
    let checked =
        accord::proofs::check_proof(&proof, line.as_deref(), &trusted).map_err(|refusal| {
            let message = format!("{}: {}", refusal.rule.name(), refusal.detail);
            let refusal = accord::front::Refusal::under_rule(
                message,
                refusal.rule,
                accord::front::Where::Nowhere,
                refusal.detail,
            );
            refusal_error(py, refusal)
        })?;
    from_json(py, &checked.document.to_string())
}
