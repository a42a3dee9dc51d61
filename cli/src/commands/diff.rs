//! `accord diff`: what changed in the state between two points, entity by entity.

use std::path::PathBuf;

use accord::front::Target;
use accord::stores::query::Query;

use crate::context::{Context, Failure, time_argument, warn};
use crate::output::print;
use crate::render;

#[derive(clap::Args)]
pub struct Args {
    /// The log: a file, - for stdin, or postgres://... with --stream.
    pub log: PathBuf,
    /// The earlier point: a seq or a time (RFC 3339, or a date for the end of that day).
    pub from: String,
    /// The later point: a seq or a time.
    pub to: String,
    /// Read both points from the lines recorded at or before TIME.
    #[arg(long, value_name = "TIME")]
    pub known_at: Option<String>,
    /// One JSON document: both points and every changed entity before and after.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let Args {
        log,
        from,
        to,
        known_at,
        json,
    } = args;

    let known_at = time_argument("--known-at", &known_at)?;
    diff(
        &context.target(&log)?,
        &accord::front::query::point(&from, &known_at)?,
        &accord::front::query::point(&to, &known_at)?,
        json,
        context.paint,
    )
}

fn diff(
    target: &Target,
    from: &Query,
    to: &Query,
    json: bool,
    paint: render::Paint,
) -> Result<(), Failure> {
    let name = target.name();
    let diff = accord::front::query::diff(target, from, to, &mut |warning| warn(&name, warning))?;
    if json {
        return print(&format!("{}\n", diff.to_json()));
    }
    print(&render::diff(
        from,
        &diff.before,
        to,
        &diff.after,
        &diff.changes,
        paint,
    ))
}
