//! `accord db init`: the PostgreSQL store's schema.

use clap::Subcommand;

use crate::context::{Context, Failure};
#[cfg(feature = "postgres")]
use crate::context::{database_waits, printable};
#[cfg(feature = "postgres")]
use crate::output::print;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: DbAction,
}

#[derive(Subcommand)]
pub enum DbAction {
    /// Create the schema of the PostgreSQL store; running it again changes nothing.
    Init {
        /// The database: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.
        url: String,
    },
}

pub fn run(args: Args, _context: &Context) -> Result<(), Failure> {
    let DbAction::Init { url } = args.action;
    database_init(&url)
}

/// `accord db init URL`.
#[cfg(feature = "postgres")]
fn database_init(url: &str) -> Result<(), Failure> {
    use accord::stores::postgres::{InitOutcome, SCHEMA_VERSION, init_with};
    use accord::stores::shown_url;
    let said = match init_with(url, database_waits())? {
        InitOutcome::Created => format!("created the accord schema {SCHEMA_VERSION}"),
        InitOutcome::AlreadyThere => {
            format!("the accord schema {SCHEMA_VERSION} is already there; nothing changed")
        }
    };
    print(&format!("{}: {said}\n", printable(&shown_url(url))))
}

#[cfg(not(feature = "postgres"))]
fn database_init(_url: &str) -> Result<(), Failure> {
    Err(accord::front::target::without_postgres("db init"))
}
