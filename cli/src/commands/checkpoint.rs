//! `accord checkpoint`: sign a checkpoint of the whole log (its tree size and root), keep
//! it in LOG.checkpoints/ and print it.

use std::path::{Path, PathBuf};

use accord::front::Target;
use accord::front::checkpoint::read_small;
use accord::front::target::is_stdin;
use accord::proofs::checkpoint::Checkpoint;
use accord::stores::file::FileStore;

use crate::context::{Context, Failure, printable};
use crate::output::{print, say};

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file (the checkpoint is kept beside it), or postgres://... (printed).
    pub log: PathBuf,
    /// The private key (`accord keygen`'s PATH).
    #[arg(long, value_name = "PATH")]
    pub key: PathBuf,
    /// The log's name in the checkpoint, e.g. example.org/karabakh.
    #[arg(long, value_name = "NAME")]
    pub origin: String,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args { log, key, origin } = args;
    checkpoint(&context.target(&log)?, &key, &origin)
}

/// `accord checkpoint LOG --key PATH --origin NAME`: the whole log's tree head, signed; kept
/// in LOG.checkpoints/ for a file, and printed.
fn checkpoint(target: &Target, key_path: &Path, origin: &str) -> Result<(), Failure> {
    use accord::proofs::checkpoint::{MAX_NOTE_BYTES, SignerKey, check_origin};
    check_origin(origin).map_err(|detail| Failure::Usage(format!("--origin: {detail}")))?;
    let key_text = String::from_utf8(read_small(key_path, MAX_NOTE_BYTES as u64)?)
        .map_err(|_| Failure::Usage("--key: not a key file".into()))?;
    let key = SignerKey::parse(&key_text).map_err(|detail| {
        Failure::Usage(format!(
            "{}: {detail}",
            printable(&key_path.display().to_string())
        ))
    })?;
    let (size, root) = target.read(|source| accord::proofs::root(source, None))?;
    let note = key.sign(
        &Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        }
        .body(),
    );
    if let Target::File(path) = target {
        match std::fs::metadata(path) {
            Ok(metadata) if metadata.is_file() => {
                if let Some(kept) =
                    FileStore::new(path).keep_checkpoint(size, &key.verifier().id_hex(), &note)?
                {
                    say(&format!("kept in {}", kept.display()));
                }
            }
            // Nothing is made beside what is not a regular file (a device, a FIFO).
            Ok(metadata) => say(&format!(
                "{}: {}, so the checkpoint is printed, not kept beside it",
                path.display(),
                accord::files::output::kind_of(&metadata)
            )),
            Err(_) => {}
        }
    }
    if let Target::Once(path) = target
        && !is_stdin(path)
    {
        say(&format!(
            "{}: read once as a stream, so the checkpoint is printed, not kept beside it",
            path.display()
        ));
    }
    print(&note)
}
