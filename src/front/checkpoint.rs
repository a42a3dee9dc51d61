//! Signed checkpoints as a person hands them over: a note file and the public key file to
//! check its signature with; and whether a log extends one.

use std::io::Read as _;
use std::path::Path;

use crate::format::ids::Hash;
use crate::format::rules::Rule;
use crate::front::refusal::{Refusal, Where};
use crate::front::target::is_stdin;
use crate::proofs::checkpoint::{Checkpoint, MAX_NOTE_BYTES, VerifierKey};
use crate::views::text::printable;

/// A small file read whole (a proof, a line, a key, a checkpoint note; `-` is stdin),
/// refused past `limit` bytes.
pub fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>, Refusal> {
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    let read = if is_stdin(path) {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|file| file.take(limit + 1).read_to_end(&mut bytes))
    };
    read.map_err(|error| Refusal::Io(format!("{}: {error}", printable(&name))))?;
    if bytes.len() as u64 > limit {
        return Err(Refusal::Usage(format!(
            "{}: longer than the {limit} bytes a proof or a line can be",
            printable(&name)
        )));
    }
    Ok(bytes)
}

/// A small file of UTF-8 text, read whole.
pub fn read_small_text(path: &Path, limit: u64) -> Result<String, Refusal> {
    String::from_utf8(read_small(path, limit)?).map_err(|_| {
        Refusal::Usage(format!(
            "{}: not UTF-8 text",
            printable(&path.display().to_string())
        ))
    })
}

/// A signed checkpoint, once its signature by the public key holds (`checkpoint.signature`
/// when it does not).
pub fn open_checkpoint(path: &Path, pubkey: &Path) -> Result<Checkpoint, Refusal> {
    let key =
        VerifierKey::parse(&read_small_text(pubkey, MAX_NOTE_BYTES as u64)?).map_err(|detail| {
            Refusal::Usage(format!(
                "{}: {detail}",
                printable(&pubkey.display().to_string())
            ))
        })?;
    let note = read_small_text(path, MAX_NOTE_BYTES as u64)?;
    let name = printable(&path.display().to_string()).into_owned();
    let body = key.open(&note).map_err(|detail| {
        Refusal::under_rule(
            format!("{name}: checkpoint.signature: {detail}"),
            Rule::CheckpointSignature,
            Where::Nowhere,
            detail.to_string(),
        )
    })?;
    Checkpoint::parse_body(body).map_err(|detail| Refusal::Usage(format!("{name}: {detail}")))
}

/// Whether the log `name`'s first `signed.size` lines (`lines` of them were there) have the
/// signed root; `checkpoint.root` when not.
pub fn extends_checkpoint(
    name: &Path,
    lines: u64,
    root: Hash,
    signed: &Checkpoint,
) -> Result<(), Refusal> {
    let Some(detail) = signed.not_extended_by(lines, &root) else {
        return Ok(());
    };
    Err(Refusal::under_rule(
        format!("{}: checkpoint.root: {detail}", name.display()),
        Rule::CheckpointRoot,
        Where::Nowhere,
        detail,
    ))
}
