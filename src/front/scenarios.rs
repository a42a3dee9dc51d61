//! The scenario a simulation, an analysis or a tournament plays, from the files a person
//! names: a scenario file (or `-`), GENIUS files, GeniusWeb profiles, or a GENIUS directory;
//! with the defaults the command line and Python share.

use std::path::{Path, PathBuf};

use crate::front::refusal::Refusal;
use crate::front::target::{is_stdin, stdin_bytes};
use crate::sim::SimError;
use crate::sim::domains::scenario::{self, Scenario};

/// The strategy of every party of GENIUS or GeniusWeb files when none is named.
pub const DEFAULT_STRATEGY: &str = "boulware";
/// The deadline, in rounds, of GENIUS or GeniusWeb files when none is given.
pub const DEFAULT_DEADLINE: u32 = 100;

impl From<SimError> for Refusal {
    /// A file that could not be read or written is an I/O problem; anything else about a
    /// scenario or a run is refused input under no rule of the format.
    fn from(error: SimError) -> Refusal {
        if error.is_io() {
            Refusal::Io(error.to_string())
        } else if matches!(error, SimError::UnknownStrategyArgument { .. }) {
            // A flag's value that names no strategy: a usage error, as a bad flag is.
            Refusal::Usage(error.to_string())
        } else {
            Refusal::refused(error.to_string())
        }
    }
}

/// Where a scenario comes from.
pub enum ScenarioFiles<'a> {
    /// A scenario file (JSON), or `-` for stdin.
    Scenario(&'a Path),
    /// A GENIUS domain file and its profiles (one party each); one may be `-`.
    Genius {
        domain: &'a Path,
        profiles: &'a [PathBuf],
    },
    /// GeniusWeb profiles, each carrying the domain; one may be `-`.
    GeniusWeb(&'a [PathBuf]),
    /// A GENIUS directory: the one .xml file with `domain` in its name, and its other .xml
    /// files as the profiles, in name order.
    GeniusDirectory(&'a Path),
}

impl ScenarioFiles<'_> {
    /// A path that is a directory is a GENIUS directory; any other a scenario file.
    pub fn of_path(path: &Path) -> ScenarioFiles<'_> {
        if path.is_dir() {
            ScenarioFiles::GeniusDirectory(path)
        } else {
            ScenarioFiles::Scenario(path)
        }
    }
}

/// The scenario `files` describe, with its strategies (one name for every party, or one per
/// party) and deadline replaced where given. GENIUS and GeniusWeb files play
/// `DEFAULT_STRATEGY` for `DEFAULT_DEADLINE` rounds unless told.
pub fn load_scenario(
    files: ScenarioFiles<'_>,
    strategies: Option<&[String]>,
    deadline: Option<u32>,
) -> Result<Scenario, Refusal> {
    let default_strategies = || vec![DEFAULT_STRATEGY.to_string()];
    let named = strategies.map_or_else(default_strategies, <[String]>::to_vec);
    let rounds = deadline.unwrap_or(DEFAULT_DEADLINE);
    let loaded = match files {
        ScenarioFiles::Scenario(path) if is_stdin(path) => {
            let bytes = stdin_bytes()?;
            let text = std::str::from_utf8(bytes)
                .map_err(|_| Refusal::refused("stdin: the scenario is not UTF-8".into()))?;
            scenario::from_text(text, Path::new("stdin"), Path::new("."))
                .and_then(|loaded| loaded.with_overrides(strategies, deadline))
        }
        ScenarioFiles::Scenario(path) => {
            scenario::load(path).and_then(|loaded| loaded.with_overrides(strategies, deadline))
        }
        ScenarioFiles::Genius { domain, profiles } => {
            let files = std::iter::once(domain).chain(profiles.iter().map(PathBuf::as_path));
            one_stdin_at_most("--genius", files)?;
            scenario::from_genius_read_by(domain, profiles, &named, rounds, &read_profile_text)
        }
        ScenarioFiles::GeniusWeb(profiles) => {
            one_stdin_at_most("--geniusweb", profiles.iter().map(PathBuf::as_path))?;
            scenario::from_geniusweb_read_by(profiles, &named, rounds, &read_profile_text)
        }
        ScenarioFiles::GeniusDirectory(path) => {
            scenario::from_genius_directory(path, &named, rounds)
        }
    };
    Ok(loaded?)
}

/// Stdin can stand for one of a command's files only: it is read once.
fn one_stdin_at_most<'a>(
    option: &str,
    files: impl Iterator<Item = &'a Path>,
) -> Result<(), Refusal> {
    if files.filter(|path| is_stdin(path)).count() > 1 {
        return Err(Refusal::Usage(format!(
            "{option}: stdin (`-`) can stand for one of the files only"
        )));
    }
    Ok(())
}

/// A GENIUS or GeniusWeb file's text; `-` reads stdin.
fn read_profile_text(path: &Path) -> Result<String, SimError> {
    if !is_stdin(path) {
        return crate::sim::domains::genius::read(path);
    }
    let bytes = stdin_bytes().map_err(|_| SimError::io(Path::new("stdin"), "cannot be read"))?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| SimError::in_file(Path::new("stdin"), "not UTF-8"))
}

/// A scenario's outcome space and the preferences it was computed from.
pub struct ScenarioAnalysis {
    /// The parties' preferences of the scenario's first run under the seed.
    pub preferences: Vec<crate::sim::domains::preferences::Preferences>,
    pub analysis: crate::sim::analysis::Analysis,
}

/// The outcome space of a scenario, as `analyze` gives it: of the preferences of its first
/// run under `seed` (a scenario may draw them per run), the frontier's points listed when
/// `list_frontier`.
pub fn analyze_scenario(scenario: &Scenario, seed: u64, list_frontier: bool) -> ScenarioAnalysis {
    let preferences = scenario.preferences(&mut crate::sim::protocol::run::run_rng(seed, 0));
    let analysis = if list_frontier {
        crate::sim::analysis::analyze_listing_frontier(&scenario.domain, &preferences)
    } else {
        crate::sim::analysis::analyze(&scenario.domain, &preferences)
    };
    ScenarioAnalysis {
        preferences,
        analysis,
    }
}
