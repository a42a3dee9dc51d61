//! Signed checkpoints: a tree's size and root in the C2SP `tlog-checkpoint` form, signed with
//! Ed25519 as a C2SP `signed-note`, with keys in the note format's text form.
//!
//! A checkpoint's body is three lines: the log's origin (a name for it), the tree size in
//! decimal, the root in standard base64. A signed note is the body, a blank line, and one
//! line per signature: an em dash, the key's name, and base64 of the key id (4 bytes) and the
//! signature (64 bytes). The key id is the first four bytes of SHA-256(name, a newline, the
//! algorithm byte 0x01, the public key), so a verifier finds its signature by name and id.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::format::ids::Hash;
use crate::views::text::counted;

/// The algorithm byte of Ed25519 in the note format.
const ED25519: u8 = 0x01;

/// The longest note (or key file) read.
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// A signed note's checkpoint and the names of the keys its signature lines name, read
/// without checking any signature: for showing what a log keeps beside it, never for
/// believing it (`VerifierKey::open` is that).
pub fn read_unverified(note: &str) -> Result<(Checkpoint, Vec<String>), CheckpointError> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(CheckpointError::NoteTooLong);
    }
    let Some(split) = note.rfind("\n\n") else {
        return Err(CheckpointError::NoteShape);
    };
    let checkpoint = Checkpoint::parse_body(&note[..split + 1])?;
    let names = note[split + 2..]
        .lines()
        .filter_map(|line| line.strip_prefix(SIGNATURE_PREFIX))
        .filter_map(|line| line.split_once(' ').map(|(name, _)| name.to_string()))
        .collect();
    Ok((checkpoint, names))
}

/// Why a checkpoint, a key or a signed note is refused; each text is shortened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the note is longer than 1 MiB")]
    NoteTooLong,
    #[error("a signed note is a text, a blank line, and its signatures")]
    NoteShape,
    #[error("a signed note ends with its signature lines")]
    NoteEnd,
    #[error("`{0}` is not a signature line")]
    NotASignatureLine(String),
    #[error("the signature by {name} does not hold")]
    SignatureFails { name: String },
    #[error("no signature of {name}'s key {id} holds")]
    NoSignatureHolds { name: String, id: String },
    #[error("the note has no signature by {name}")]
    NoSignatureBy { name: String },
    #[error("a checkpoint's body ends with a newline")]
    BodyEnd,
    #[error("an origin is one line of printable text, at most 1,024 bytes")]
    Origin,
    #[error("a checkpoint has a tree size line")]
    NoSizeLine,
    #[error("`{0}` is not a tree size")]
    NotATreeSize(String),
    #[error("a checkpoint has a root line")]
    NoRootLine,
    #[error("`{0}` is not a base64 SHA-256 root")]
    NotARoot(String),
    #[error("`{0}`: a key's name is printable, without spaces or `+`, at most 256 bytes")]
    KeyName(String),
    #[error(
        "this is a private key (`accord keygen --out PATH` writes it to PATH); a public key is wanted here, PATH.pub"
    )]
    PrivateKeyForPublic,
    #[error(
        "this is a public key (`accord keygen --out PATH` writes it to PATH.pub); the private key is wanted here, PATH"
    )]
    PublicKeyForPrivate,
    #[error("a key here begins with `{0}`")]
    KeyPrefix(&'static str),
    #[error("a key is NAME+ID+KEY")]
    KeyShape,
    #[error("a key's id is 8 hexadecimal digits")]
    KeyId,
    #[error("a key's last part is base64")]
    KeyBase64,
    #[error("the key is not an Ed25519 key")]
    NotEd25519,
    #[error("not an Ed25519 public key")]
    NotEd25519Public,
    #[error("the key's id does not match its key")]
    IdMismatch,
    #[error("no randomness: {0}")]
    NoRandomness(String),
}

/// What begins every signature line.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// A tree head: the log's origin, the tree's size and root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The checkpoint's body, each line with its newline.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root.as_bytes())
        )
    }

    /// Why a log of `lines` lines, whose first `self.size` lines have the tree root `root`,
    /// does not extend this checkpoint (rule `checkpoint.root`); `None` when it does.
    pub fn not_extended_by(&self, lines: u64, root: &Hash) -> Option<String> {
        if lines < self.size {
            Some(format!(
                "the log has {}, fewer than the {} of the checkpoint of {}: it does not extend it",
                counted(lines, "line", "lines"),
                self.size,
                self.origin
            ))
        } else if *root != self.root {
            Some(format!(
                "the tree of the log's first {} lines has root {root}, the checkpoint of {} says {}: the log does not extend it",
                self.size, self.origin, self.root
            ))
        } else {
            None
        }
    }

    /// Reads a body: origin, size and root lines, then any extension lines (kept unread).
    pub fn parse_body(body: &str) -> Result<Checkpoint, CheckpointError> {
        let Some(text) = body.strip_suffix('\n') else {
            return Err(CheckpointError::BodyEnd);
        };
        let mut lines = text.split('\n');
        let origin = lines.next().unwrap_or_default();
        check_origin(origin)?;
        let size_text = lines.next().ok_or(CheckpointError::NoSizeLine)?;
        let canonical = size_text == "0"
            || (!size_text.starts_with('0')
                && !size_text.is_empty()
                && size_text.bytes().all(|byte| byte.is_ascii_digit()));
        let size = size_text
            .parse::<u64>()
            .ok()
            .filter(|_| canonical)
            .ok_or_else(|| CheckpointError::NotATreeSize(shorten(size_text)))?;
        let root_text = lines.next().ok_or(CheckpointError::NoRootLine)?;
        let root: [u8; 32] = STANDARD
            .decode(root_text)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| CheckpointError::NotARoot(shorten(root_text)))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root: Hash::from_bytes(root),
        })
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

/// A checkpoint's origin: one line of printable text.
pub fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    if origin.is_empty() || origin.len() > 1024 || origin.chars().any(char::is_control) {
        return Err(CheckpointError::Origin);
    }
    Ok(())
}

/// A key's name: no spaces, no `+`, printable, at most 256 bytes.
pub fn check_key_name(name: &str) -> Result<(), CheckpointError> {
    if name.is_empty()
        || name.len() > 256
        || name.chars().any(|character| {
            character.is_whitespace() || character.is_control() || character == '+'
        })
    {
        return Err(CheckpointError::KeyName(shorten(name)));
    }
    Ok(())
}

/// The key id of an Ed25519 public key under `name`.
fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ED25519]);
    hasher.update(public);
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// What a private key's text begins with.
const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";

/// The parts of a key's text: `[PRIVATE+KEY+]NAME+ID+BASE64`.
fn key_parts<'t>(
    text: &'t str,
    prefix: &'static str,
) -> Result<(&'t str, [u8; 4], [u8; 32]), CheckpointError> {
    let text = text.trim_end_matches('\n');
    // The other half of a pair, given in the wrong place, is named for what it is.
    if prefix.is_empty() && text.starts_with(PRIVATE_PREFIX) {
        return Err(CheckpointError::PrivateKeyForPublic);
    }
    if prefix == PRIVATE_PREFIX && !text.starts_with(PRIVATE_PREFIX) && text.split('+').count() >= 3
    {
        return Err(CheckpointError::PublicKeyForPrivate);
    }
    let rest = text
        .strip_prefix(prefix)
        .ok_or(CheckpointError::KeyPrefix(prefix))?;
    // The key's base64 may hold `+` itself: it is everything after the second.
    let mut parts = rest.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CheckpointError::KeyShape);
    };
    check_key_name(name)?;
    let id: [u8; 4] = (id.len() == 8)
        .then(|| u32::from_str_radix(id, 16).ok())
        .flatten()
        .map(u32::to_be_bytes)
        .ok_or(CheckpointError::KeyId)?;
    let bytes = STANDARD
        .decode(key)
        .map_err(|_| CheckpointError::KeyBase64)?;
    let (Some(&ED25519), Ok(key)) = (bytes.first(), <[u8; 32]>::try_from(&bytes[1..])) else {
        return Err(CheckpointError::NotEd25519);
    };
    Ok((name, id, key))
}

/// A private key, able to sign.
pub struct SignerKey {
    name: String,
    id: [u8; 4],
    signing: SigningKey,
}

impl SignerKey {
    /// A new key under `name`, from the operating system's randomness.
    pub fn generate(name: &str) -> Result<SignerKey, CheckpointError> {
        check_key_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|error| CheckpointError::NoRandomness(error.to_string()))?;
        Ok(SignerKey::from_seed(name, seed))
    }

    fn from_seed(name: &str, seed: [u8; 32]) -> SignerKey {
        let signing = SigningKey::from_bytes(&seed);
        let id = key_id(name, &signing.verifying_key().to_bytes());
        SignerKey {
            name: name.to_string(),
            id,
            signing,
        }
    }

    /// Reads `PRIVATE+KEY+NAME+ID+BASE64`, checking that the id is the key's.
    pub fn parse(text: &str) -> Result<SignerKey, CheckpointError> {
        let (name, id, seed) = key_parts(text, PRIVATE_PREFIX)?;
        let key = SignerKey::from_seed(name, seed);
        if key.id != id {
            return Err(CheckpointError::IdMismatch);
        }
        Ok(key)
    }

    /// The key as its file holds it.
    pub fn to_text(&self) -> String {
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(self.signing.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}\n",
            self.name,
            crate::format::ids::hex_text(&self.id),
            STANDARD.encode(bytes)
        )
    }

    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            verifying: self.signing.verifying_key(),
        }
    }

    /// `body` (ending with a newline) signed: the body, a blank line, the signature line.
    pub fn sign(&self, body: &str) -> String {
        debug_assert!(body.ends_with('\n'));
        let signature = self.signing.sign(body.as_bytes());
        let mut bytes = self.id.to_vec();
        bytes.extend_from_slice(&signature.to_bytes());
        format!(
            "{body}\n{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(bytes)
        )
    }
}

/// A public key, able to check signatures.
#[derive(Clone, Debug)]
pub struct VerifierKey {
    name: String,
    id: [u8; 4],
    verifying: VerifyingKey,
}

impl VerifierKey {
    /// Reads `NAME+ID+BASE64`, checking that the id is the key's.
    pub fn parse(text: &str) -> Result<VerifierKey, CheckpointError> {
        let (name, id, public) = key_parts(text, "")?;
        let verifying =
            VerifyingKey::from_bytes(&public).map_err(|_| CheckpointError::NotEd25519Public)?;
        if key_id(name, &public) != id {
            return Err(CheckpointError::IdMismatch);
        }
        Ok(VerifierKey {
            name: name.to_string(),
            id,
            verifying,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id, in hexadecimal.
    pub fn id_hex(&self) -> String {
        crate::format::ids::hex_text(&self.id)
    }

    pub fn to_text(&self) -> String {
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(self.verifying.as_bytes());
        format!(
            "{}+{}+{}\n",
            self.name,
            crate::format::ids::hex_text(&self.id),
            STANDARD.encode(bytes)
        )
    }

    /// The body of `note` if this key signed it.
    pub fn open<'n>(&self, note: &'n str) -> Result<&'n str, CheckpointError> {
        if note.len() > MAX_NOTE_BYTES {
            return Err(CheckpointError::NoteTooLong);
        }
        let Some(split) = note.rfind("\n\n") else {
            return Err(CheckpointError::NoteShape);
        };
        let (body, signatures) = (&note[..split + 1], &note[split + 2..]);
        if !signatures.ends_with('\n') || signatures.len() < 2 {
            return Err(CheckpointError::NoteEnd);
        }
        let mut named = false;
        for line in signatures.trim_end_matches('\n').split('\n') {
            let Some((name, signature)) = line
                .strip_prefix(SIGNATURE_PREFIX)
                .and_then(|line| line.split_once(' '))
            else {
                return Err(CheckpointError::NotASignatureLine(shorten(line)));
            };
            if name != self.name {
                continue;
            }
            named = true;
            let Some(bytes) = STANDARD
                .decode(signature)
                .ok()
                .filter(|bytes| bytes.len() == 68)
            else {
                continue;
            };
            if bytes[..4] != self.id {
                continue;
            }
            let signature = ed25519_dalek::Signature::from_bytes(
                bytes[4..].try_into().expect("68 bytes less 4 are 64"),
            );
            return self
                .verifying
                .verify_strict(body.as_bytes(), &signature)
                .map(|()| body)
                .map_err(|_| CheckpointError::SignatureFails {
                    name: self.name.clone(),
                });
        }
        Err(if named {
            CheckpointError::NoSignatureHolds {
                name: self.name.clone(),
                id: crate::format::ids::hex_text(&self.id),
            }
        } else {
            CheckpointError::NoSignatureBy {
                name: self.name.clone(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of Go's golang.org/x/mod/sumdb/note package documentation.
    const SIGNER: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const SIGNED: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn the_note_format_example_signs_and_opens_to_the_byte() {
        let signer = SignerKey::parse(SIGNER).unwrap();
        assert_eq!(signer.to_text().trim_end(), SIGNER);
        assert_eq!(signer.verifier().to_text().trim_end(), VERIFIER);
        assert_eq!(signer.sign(TEXT), SIGNED);
        let verifier = VerifierKey::parse(VERIFIER).unwrap();
        assert_eq!(verifier.open(SIGNED), Ok(TEXT));
    }
}
