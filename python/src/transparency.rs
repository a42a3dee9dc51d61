//! The transparency functions from Python: signed checkpoints opened and proofs checked
//! with the core's own code, refusals raised as `AccordError` under the rule the command
//! line names.

use std::path::Path;

use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use accord::format::ids::Hash;
use accord::proofs::checkpoint::{Checkpoint, MAX_NOTE_BYTES, SignerKey, VerifierKey};
use accord::proofs::{MAX_PROOF_BYTES, Proof};

use crate::{from_json, refused};

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
/// under `checkpoint.signature` when it does not.
pub fn open_checkpoint(py: Python<'_>, note: &Path, pubkey: &Path) -> PyResult<Checkpoint> {
    let key = VerifierKey::parse(&small_text(pubkey, MAX_NOTE_BYTES)?)
        .map_err(|detail| PyValueError::new_err(format!("{}: {detail}", pubkey.display())))?;
    let text = small_text(note, MAX_NOTE_BYTES)?;
    let body = key.open(&text).map_err(|detail| {
        let message = format!("{}: checkpoint.signature: {detail}", note.display());
        refused(py, "checkpoint.signature", None, &detail, message)
    })?;
    Checkpoint::parse_body(body)
        .map_err(|detail| PyValueError::new_err(format!("{}: {detail}", note.display())))
}

/// `AccordError` under `checkpoint.root` unless the log's first `signed.size` lines (of
/// which it has `lines`) have the signed root.
pub fn extends_checkpoint(
    py: Python<'_>,
    log: &Path,
    lines: u64,
    root: Hash,
    signed: &Checkpoint,
) -> PyResult<()> {
    let detail = if lines < signed.size {
        format!(
            "the log has {lines} lines, fewer than the {} of the checkpoint of {}: it does not extend it",
            signed.size, signed.origin
        )
    } else if root != signed.root {
        format!(
            "the tree of the log's first {} lines has root {root}, the checkpoint of {} says {}: the log does not extend it",
            signed.size, signed.origin, signed.root
        )
    } else {
        return Ok(());
    };
    let message = format!("{}: checkpoint.root: {detail}", log.display());
    Err(refused(py, "checkpoint.root", None, &detail, message))
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
    accord::proofs::parse_proof(&text).map_err(PyValueError::new_err)
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
    let signed = match (root, checkpoint, pubkey) {
        (Some(_), Some(_), _) => {
            return Err(PyValueError::new_err(
                "root or checkpoint: one root to trust, not two",
            ));
        }
        (_, Some(checkpoint), Some(pubkey)) => Some(open_checkpoint(py, &checkpoint, &pubkey)?),
        (_, Some(_), None) | (_, None, Some(_)) => {
            return Err(PyValueError::new_err(
                "checkpoint and pubkey go together: the signature is checked by the key",
            ));
        }
        (_, None, None) => None,
    };
    let given_root = root
        .map(|text| {
            Hash::parse(text).map_err(|error| PyValueError::new_err(format!("root: {error}")))
        })
        .transpose()?;
    // The root trusted for a tree of `size` lines.
    let trusted = |size: u64, rule: &str| -> PyResult<Option<Hash>> {
        match (&given_root, &signed) {
            (Some(root), _) => Ok(Some(*root)),
            (None, Some(signed)) if signed.size == size => Ok(Some(signed.root)),
            (None, Some(signed)) => {
                let detail = format!(
                    "the checkpoint is of a tree of {} lines, and the proof needs the root of {size}",
                    signed.size
                );
                Err(refused(
                    py,
                    rule,
                    None,
                    &detail,
                    format!("{rule}: {detail}"),
                ))
            }
            (None, None) => Ok(None),
        }
    };
    let document = match proof {
        Proof::Inclusion(proof) => {
            let line: Vec<u8> = match line {
                None => proof.line.clone().into_bytes(),
                Some(line) => {
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
                    bytes
                }
            };
            let trusted_root = trusted(proof.tree_size, "proof.inclusion")?;
            let root = trusted_root.unwrap_or(proof.root);
            if !accord::proofs::check_inclusion(&proof, &line, &root) {
                let detail = format!(
                    "the proof does not lead from that line, as line {} of a tree of {}, to the root {root}",
                    proof.seq, proof.tree_size
                );
                let message = format!("proof.inclusion: {detail}");
                return Err(refused(py, "proof.inclusion", None, &detail, message));
            }
            serde_json::json!({"ok": true, "proof": "inclusion", "seq": proof.seq,
                "tree_size": proof.tree_size, "root": root,
                "root_trusted": trusted_root.is_some()})
        }
        Proof::Consistency(proof) => {
            let trusted_root = trusted(proof.from_size, "proof.consistency")?;
            let from_root = trusted_root.unwrap_or(proof.from_root);
            if !accord::proofs::check_consistency(&proof, &from_root) {
                let detail = format!(
                    "the proof does not lead from the tree of {} with root {from_root} to the tree of {} with root {}",
                    proof.from_size, proof.to_size, proof.to_root
                );
                let message = format!("proof.consistency: {detail}");
                return Err(refused(py, "proof.consistency", None, &detail, message));
            }
            serde_json::json!({"ok": true, "proof": "consistency", "from_size": proof.from_size,
                "to_size": proof.to_size, "from_root": from_root, "to_root": proof.to_root,
                "root_trusted": trusted_root.is_some()})
        }
    };
    from_json(py, &document.to_string())
}
