//! `accord diff`: what changed in the state between two points, entity by entity.

use std::path::PathBuf;

use accord::format::time::Timestamp;
use accord::front::Target;
use accord::stores::query::{Answer, Query};

use crate::context::{Context, Failure, time_argument, told};
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
        &point(&from, &known_at)?,
        &point(&to, &known_at)?,
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
    let from_argument = format!("diff's FROM point {}", from.at.unwrap_or(0));
    let to_argument = format!("diff's TO point {}", to.at.unwrap_or(0));
    // A file's two points come from one reading, where the fold to TO passes through FROM.
    let (before, after) = accord::front::query::answer_pair(target, from, to)?;
    let name = target.name();
    let before = told(&name, from, before, &from_argument)?;
    let after = told(&name, to, after, &to_argument)?;
    let changes = accord::views::diff::diff(&before.folded.state, &after.folded.state);
    if json {
        let side = |answer: &Answer| {
            serde_json::json!({
                "events": answer.folded.events,
                "head": answer.head,
                "occurred": answer.folded.occurred,
                "seq": answer.seq,
            })
        };
        let document = serde_json::json!({
            "changes": changes,
            "from": side(&before),
            "to": side(&after),
        });
        return print(&format!("{document}\n"));
    }
    print(&render::diff(from, &before, to, &after, &changes, paint))
}

/// A point of `diff`: a seq, or a time (as of the end of it, for a date).
fn point(text: &str, known_at: &Option<Timestamp>) -> Result<Query, Failure> {
    let mut query = Query {
        known_at: known_at.clone(),
        ..Query::default()
    };
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        query.at = Some(
            text.parse()
                .map_err(|_| Failure::Usage(format!("`{text}`: seq too large")))?,
        );
    } else {
        query.as_of = Some(Timestamp::parse_argument(text).map_err(|error| {
            Failure::Usage(format!("`{text}` is neither a seq nor a time: {error}"))
        })?);
    }
    Ok(query)
}
