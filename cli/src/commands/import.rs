//! `accord import`: records of an event dataset appended to a log as events, each with its
//! record kept whole in `origin`: all or none up to 100,000 drafts, and a bigger import in
//! appends of that size, each all or none.

use std::path::PathBuf;

use std::io::IsTerminal;

use accord::front::import::{Dataset, Progress, filters, import, inputs};

use crate::context::{Context, Failure};
use crate::output::{print, say};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// PLOVER JSON records (a JSON array, or one record per line): POLECAT's coding.
    Plover,
    /// ICEWS event files (tab-separated, as the Dataverse publishes them): CAMEO's coding.
    Icews,
    /// ACLED CSV exports, and its deletions list (event_id_cnty, deleted_timestamp).
    Acled,
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
    let inputs = inputs(&args.files);
    let dataset = match args.format {
        Format::Plover => Dataset::Plover,
        Format::Icews => Dataset::Icews,
        Format::Acled => Dataset::Acled,
    };
    let filters = filters(
        args.actors.as_deref(),
        args.from.as_deref(),
        args.to.as_deref(),
    )?;
    // A bar over the bytes of the files, on a terminal only.
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {binary_bytes}/{binary_total_bytes} read, {binary_bytes_per_sec}, {eta} left",
            )
            .expect("a valid template"),
        );
        bar
    });
    let mut progress = |read: Progress| {
        if let Some(bar) = &bar {
            bar.set_length(read.bytes_total);
            bar.set_position(read.bytes_read);
        }
    };
    let imported = import(
        &target,
        dataset,
        &inputs,
        &filters,
        args.dry_run,
        &mut progress,
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let outcome = imported?;
    let plan = &outcome.plan;
    let mut out = String::new();
    if args.json {
        out.push_str(&outcome.to_json(args.dry_run).to_string());
        out.push('\n');
    } else {
        let skipped: u64 = plan.skipped.values().sum();
        let verb = if args.dry_run { "would append" } else { "read" };
        out.push_str(&format!(
            "{} records new, {} corrected, {} retracted, {} unchanged, {skipped} skipped; {verb} {} drafts (parties that join first, events, corrections, retractions)\n",
            plan.imported,
            plan.corrected,
            plan.retracted,
            plan.unchanged,
            outcome.drafts
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
            let unlisted = outcome.drafts.saturating_sub(plan.drafts.len() as u64);
            if unlisted > 0 {
                out.push_str(&format!("  and {unlisted} more drafts\n"));
            }
        }
        if let Some(appended) = &outcome.appended {
            out.push_str(&format!(
                "appended {}; head {} ({} events)\n",
                appended.new, appended.head, appended.events
            ));
        }
    }
    // The events are on disk: a report that cannot be printed must not look like a failed
    // import.
    match (print(&out), &outcome.appended) {
        (Err(Failure::Usage(error)), Some(appended)) => {
            say(&format!(
                "{}: the import landed ({} appended, head {}), but its report could not be printed: {error}",
                target.name().display(),
                appended.new,
                appended.head
            ));
            Ok(())
        }
        (printed, _) => printed,
    }
}
