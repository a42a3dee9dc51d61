//! `accord verify`: check every line: shape, chain and every rule, folded in application
//! order.

use std::path::PathBuf;

use accord::format::ids::Hash;
use accord::front::Target;
use accord::proofs::checkpoint::Checkpoint;
use accord::views::text::counted;

use crate::arguments::SignedCheckpoint;
use crate::context::{Context, Failure, printable};
use crate::output::{print, say};

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file, - for stdin, or postgres://... with --stream.
    pub log: PathBuf,
    /// Also require that the log extends this pinned head (the hash of one of its lines).
    #[arg(long, value_name = "HEX")]
    pub head: Option<String>,
    /// Also require that the log extends a signed checkpoint.
    #[command(flatten)]
    pub signed: SignedCheckpoint,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args {
        log,
        head,
        signed,
        json,
    } = args;

    let target = context.target(&log)?;
    verify(&target, head.as_deref(), signed.open()?.as_ref(), json)
}

fn verify(
    target: &Target,
    pinned: Option<&str>,
    signed: Option<&Checkpoint>,
    json: bool,
) -> Result<(), Failure> {
    let pinned = pinned
        .map(|text| Hash::parse(text).map_err(|error| Failure::Usage(format!("--head: {error}"))))
        .transpose()?;
    let verified = accord::front::verify::verify(target, pinned, signed, &mut |also| {
        say(also.message());
    })?;
    let snapshots = verified.snapshots;
    let pinned_at = verified.pinned_seq;
    if json {
        let mut report = serde_json::json!({
            "ok": true,
            "events": verified.events,
            "head": verified.head,
            "snapshots": snapshots,
        });
        if let Some(seq) = pinned_at {
            report["pinned_seq"] = seq.into();
        }
        if let Some(covered) = &verified.checkpoint {
            report["checkpoint_size"] = covered.size.into();
            report["covered_snapshots"] = covered.covered_snapshots.clone().into();
        }
        return print(&format!("{report}\n"));
    }
    let mut line = format!(
        "ok {} head {}",
        counted(verified.events, "event", "events"),
        verified.head
    );
    if snapshots > 0 {
        line.push_str(&format!(
            " ({} beside it agree{})",
            counted(snapshots as u64, "snapshot", "snapshots"),
            if snapshots == 1 { "s" } else { "" }
        ));
    }
    match pinned_at {
        Some(0) => {
            line.push_str(" (extends the pinned head: the empty log's, which every log extends)")
        }
        Some(seq) => line.push_str(&format!(" (extends the pinned head, line {seq})")),
        None => {}
    }
    if let Some(signed) = signed {
        line.push_str(&format!(
            " (extends the signed checkpoint of {} at {}",
            printable(&signed.origin),
            counted(signed.size, "line", "lines")
        ));
        let covered = verified
            .checkpoint
            .as_ref()
            .map_or(&[][..], |covered| &covered.covered_snapshots);
        if !covered.is_empty() {
            let seqs: Vec<String> = covered.iter().map(u64::to_string).collect();
            line.push_str(&format!(
                "; its snapshots at seq {} stand on the signed lines",
                seqs.join(", ")
            ));
        }
        line.push(')');
    }
    print(&format!("{line}\n"))
}
