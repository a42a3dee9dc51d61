//! `accord prove`: print a proof: that line SEQ is in the tree of size M (--seq), or that
//! the tree of size M extends the tree of size M1 (--from); a small JSON file anyone can
//! check.

use std::path::PathBuf;

use accord::front::Target;

use crate::context::{Context, Failure};
use crate::output::print;

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file, - for stdin, or postgres://... with --stream.
    pub log: PathBuf,
    /// Prove that this line is in the tree.
    #[arg(
        long,
        value_name = "N",
        required_unless_present = "from",
        conflicts_with = "from"
    )]
    pub seq: Option<u64>,
    /// Prove that the tree extends the tree of the first M1 lines.
    #[arg(long, value_name = "M1")]
    pub from: Option<u64>,
    /// The tree of the first M lines (default: the whole log).
    #[arg(long, value_name = "M")]
    pub size: Option<u64>,
    /// The proof on one line (without it, indented for people to read).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args {
        log,
        seq,
        from,
        size,
        json,
    } = args;
    prove(&context.target(&log)?, seq, from, size, json)
}

/// `accord prove`: an inclusion proof (`--seq`) or a consistency proof (`--from`).
fn prove(
    target: &Target,
    seq: Option<u64>,
    from: Option<u64>,
    size: Option<u64>,
    json: bool,
) -> Result<(), Failure> {
    use accord::proofs::ProveError;
    let made = target.read(|source| {
        let made = match (seq, from) {
            (Some(seq), _) => {
                accord::proofs::prove_inclusion(source, seq, size).map(serde_json::to_value)
            }
            (None, Some(from)) => {
                accord::proofs::prove_consistency(source, from, size).map(serde_json::to_value)
            }
            (None, None) => Err(ProveError::Asked(
                "--seq or --from says what to prove".into(),
            )),
        };
        // A usage problem is not a reading's: it is told apart after the reading.
        Ok(made)
    })?;
    let document = match made {
        Ok(document) => document.map_err(|error| Failure::Usage(error.to_string()))?,
        Err(ProveError::Asked(message)) => return Err(Failure::Usage(message)),
        Err(ProveError::Read(error)) => return Err(Failure::of_reading(&target.name(), error)),
    };
    let text = if json {
        document.to_string()
    } else {
        serde_json::to_string_pretty(&document)
            .map_err(|error| Failure::Usage(error.to_string()))?
    };
    print(&format!("{text}\n"))
}
