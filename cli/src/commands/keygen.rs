//! `accord keygen`: write an Ed25519 key pair for signing checkpoints: PATH (private, mode
//! 0600) and PATH.pub.

use std::io::Write;
use std::path::{Path, PathBuf};

use accord::front::target::is_stdin;

use crate::context::{Context, Failure, printable};
use crate::output::{output_failure, print};

#[derive(clap::Args)]
pub struct Args {
    /// Where the private key goes; the public key goes in PATH.pub.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// The key's name, which its signatures carry (default: PATH's file name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Replace key files that exist.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args, _context: &Context) -> Result<(), Failure> {
    let Args { out, name, force } = args;
    keygen(&out, name.as_deref(), force)
}

/// `accord keygen --out PATH`: PATH (private, 0600) and PATH.pub, both put in place or
/// neither; the private key is never printed.
fn keygen(out: &Path, name: Option<&str>, force: bool) -> Result<(), Failure> {
    use accord::files::output::{OutputFile, OutputPath, commit_all};
    use accord::proofs::checkpoint::SignerKey;
    if is_stdin(out) {
        return Err(Failure::Usage(
            "--out -: a private key is never printed; give a file".into(),
        ));
    }
    let name = match name {
        Some(name) => name.to_string(),
        None => out
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("accord")
            .to_string(),
    };
    let mut public_path = out.as_os_str().to_owned();
    public_path.push(".pub");
    let public_path = PathBuf::from(public_path);
    // Both places are checked before a key is made: neither file is written if either
    // cannot be.
    let private_target = OutputPath::check(out, force).map_err(output_failure)?;
    let public_target = OutputPath::check(&public_path, force).map_err(output_failure)?;
    let key = SignerKey::generate(&name).map_err(|error| Failure::Usage(error.to_string()))?;
    let verifier = key.verifier().to_text();
    let write = |file: &mut OutputFile, text: &str| {
        file.write_all(text.as_bytes()).map_err(|error| {
            Failure::Usage(format!(
                "{}: {error}",
                printable(&file.path().display().to_string())
            ))
        })
    };
    let mut private = OutputFile::create_private(private_target).map_err(output_failure)?;
    write(&mut private, &key.to_text())?;
    let mut public = OutputFile::create(public_target).map_err(output_failure)?;
    write(&mut public, &verifier)?;
    commit_all(vec![private, public]).map_err(output_failure)?;
    print(&format!(
        "wrote {} (the private key, mode 0600) and {}: {}\n",
        printable(&out.display().to_string()),
        printable(&public_path.display().to_string()),
        printable(verifier.trim_end())
    ))
}
