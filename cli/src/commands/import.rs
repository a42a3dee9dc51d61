//! `accord import`: records of an event dataset appended to a log as events, all or none,
//! each with its record kept whole in `origin`.

use std::io::Read;
use std::path::PathBuf;

use accord::front::import::{Dataset, MAX_INPUT_BYTES, filters, plan};

use crate::context::{Context, Failure};
use crate::output::print;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// PLOVER JSON records (a JSON array, or one record per line): POLECAT's coding.
    Plover,
}

#[derive(clap::Args)]
pub struct Args {
    /// The dataset the files come from.
    #[arg(value_enum)]
    pub format: Format,
    /// The dataset's files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The log to append to: a file (created if absent), or postgres://... with --stream.
    #[arg(long, value_name = "LOG")]
    pub into: PathBuf,
    /// Keep only records that name one of these parties (ids as the log names them:
    /// ARM,AZE,RUS).
    #[arg(long, value_name = "IDS")]
    pub actors: Option<String>,
    /// Keep only records that occurred from this world time on (2020-09-27, 2020-09).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Keep only records that occurred by the end of this world time (2021-05-31, 2021-05).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Print what would be appended, and append nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object: what was imported, skipped (by reason) and appended.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let target = context.target(&args.into)?;
    let mut inputs = Vec::new();
    for file in &args.files {
        let name = file.display().to_string();
        let mut bytes = Vec::new();
        std::fs::File::open(file)
            .and_then(|opened| opened.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|error| Failure::Usage(format!("{name}: {error}")))?;
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            return Err(Failure::Usage(format!(
                "{name}: longer than {MAX_INPUT_BYTES} bytes, the most one import reads"
            )));
        }
        inputs.push((name, bytes));
    }
    let dataset = match args.format {
        Format::Plover => Dataset::Plover,
    };
    let filters = filters(
        args.actors.as_deref(),
        args.from.as_deref(),
        args.to.as_deref(),
    )?;
    let plan = plan(&target, dataset, &inputs, &filters)?;
    let skipped: u64 = plan.skipped.values().sum();
    let mut appended = None;
    if !args.dry_run && !plan.drafts.is_empty() {
        let drafts: Vec<_> = plan
            .drafts
            .iter()
            .cloned()
            .enumerate()
            .map(|(index, draft)| (index + 1, draft))
            .collect();
        let outcome = target
            .store()?
            .append_batch(&drafts, None, chrono::Utc::now())
            .map_err(|error| Failure::of_drafts("the import", error))?;
        let new = outcome
            .drafts
            .iter()
            .filter(|draft| matches!(draft, accord::stores::file::DraftOutcome::Appended { .. }))
            .count();
        appended = Some((new, outcome.events, outcome.head));
    }
    let mut out = String::new();
    if args.json {
        let mut document = serde_json::json!({
            "imported": plan.imported,
            "skipped": plan.skipped,
            "drafts": plan.drafts.len(),
            "dry_run": args.dry_run,
        });
        if let Some((new, events, head)) = &appended {
            document["appended"] = serde_json::json!(new);
            document["events"] = serde_json::json!(events);
            document["head"] = serde_json::json!(head);
        }
        out.push_str(&document.to_string());
        out.push('\n');
    } else {
        let verb = if args.dry_run { "would append" } else { "read" };
        out.push_str(&format!(
            "{} records mapped to events, {skipped} skipped; {verb} {} drafts (parties that join first, then events)\n",
            plan.imported,
            plan.drafts.len()
        ));
        for (reason, count) in &plan.skipped {
            out.push_str(&format!("  skipped {count}: {reason}\n"));
        }
        if args.dry_run {
            for draft in &plan.drafts {
                let id = draft.id.map(|id| id.to_string()).unwrap_or_default();
                out.push_str(&format!(
                    "  {} {} {id}\n",
                    draft.occurred.as_str(),
                    draft.data.type_name()
                ));
            }
        }
        if let Some((new, events, head)) = &appended {
            out.push_str(&format!(
                "appended {new} (the rest were there already); head {head} ({events} events)\n"
            ));
        }
    }
    print(&out)
}
