//! `accord check-proof`: check a proof without the log: exit 0 if it holds, 1 if it does
//! not.

use std::path::{Path, PathBuf};

use accord::format::ids::Hash;
use accord::front::Where;
use accord::front::checkpoint::read_small;
use accord::views::text::counted;

use crate::arguments::SignedCheckpoint;
use crate::context::{Context, Failure, printable};
use crate::output::print;

#[derive(clap::Args)]
pub struct Args {
    /// The proof file (`accord prove`'s output), or - for stdin.
    pub proof: PathBuf,
    /// The line to check (a file holding it) instead of the one the proof carries.
    #[arg(long, value_name = "FILE")]
    pub line: Option<PathBuf>,
    /// The root you trust: the new tree's for an inclusion proof, the old tree's for a
    /// consistency proof (without it, the proof's own root, which proves less).
    #[arg(long, value_name = "HEX", conflicts_with = "checkpoint")]
    pub root: Option<String>,
    /// A signed checkpoint whose root you trust, in place of --root.
    #[command(flatten)]
    pub signed: SignedCheckpoint,
    /// The result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, _context: &Context) -> Result<(), Failure> {
    let Args {
        proof,
        line,
        root,
        signed,
        json,
    } = args;

    use accord::proofs::TrustedRoot;
    let trusted = match root {
        Some(root) => TrustedRoot::Root(
            Hash::parse(&root).map_err(|error| Failure::Usage(format!("--root: {error}")))?,
        ),
        None => signed
            .open()?
            .map_or(TrustedRoot::Nothing, TrustedRoot::Checkpoint),
    };
    check_proof(&proof, line.as_deref(), trusted, json)
}

/// `accord check-proof`: whether a proof holds, from the proof, the line and a root alone.
fn check_proof(
    path: &Path,
    line_file: Option<&Path>,
    trusted: accord::proofs::TrustedRoot,
    json: bool,
) -> Result<(), Failure> {
    use accord::proofs::{MAX_PROOF_BYTES, Proof, TrustedRoot};
    let name = printable(&path.display().to_string());
    let bytes = read_small(path, MAX_PROOF_BYTES)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Usage(format!("{name}: a proof is UTF-8 JSON")))?;
    let proof = accord::proofs::parse_proof(&text)
        .map_err(|detail| Failure::Usage(format!("{name}: {detail}")))?;
    let against = match &trusted {
        TrustedRoot::Root(_) => "the root given".to_string(),
        TrustedRoot::Checkpoint(signed) => format!("the signed checkpoint of {}", signed.origin),
        TrustedRoot::Nothing => {
            "the proof's own root (give --root or --checkpoint to check it against one you trust)"
                .to_string()
        }
    };
    let line = match (&proof, line_file) {
        (Proof::Inclusion(_), Some(file)) => {
            let mut line = read_small(file, accord::reading::log::MAX_LINE_BYTES as u64 + 1)?;
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            Some(line)
        }
        _ => None,
    };
    let checked =
        accord::proofs::check_proof(&proof, line.as_deref(), &trusted).map_err(|refusal| {
            Failure::under_rule(
                format!("{name}: {}: {}", refusal.rule, refusal.detail),
                refusal.rule,
                Where::Nowhere,
                refusal.detail,
            )
        })?;
    if json {
        return print(&format!("{}\n", checked.document));
    }
    let root = checked.root;
    let summary = match &proof {
        Proof::Inclusion(proof) => {
            let line = line.as_deref().unwrap_or(proof.line.as_bytes());
            let event = accord::format::event::Event::parse_line(line).ok();
            let what = event.map_or(String::new(), |event| {
                format!(
                    " ({} {}, occurred {})",
                    event.data.type_name(),
                    event.id,
                    event.occurred
                )
            });
            format!(
                "ok: line {}{what} is in the tree of {} with root {root}, checked against {against}",
                proof.seq,
                counted(proof.tree_size, "line", "lines")
            )
        }
        Proof::Consistency(proof) => format!(
            "ok: the tree of {} with root {} extends the tree of {} with root {root}, checked against {against}",
            counted(proof.to_size, "line", "lines"),
            proof.to_root,
            counted(proof.from_size, "line", "lines")
        ),
    };
    print(&format!("{}\n", printable(&summary)))
}
