//! accord's scenario format (JSON; see docs/simulation.md) and scenarios made from GENIUS
//! files on the command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand_chacha::ChaCha8Rng;
use rand_core::Rng;
use serde::Deserialize;

use crate::format::event::{Category, MAX_COUNT};
use crate::format::ids::Slug;
use crate::format::time::Timestamp;
use crate::sim::SimError;
use crate::sim::domains::preferences::{Domain, Issue, Preferences, normalise_by_largest, slugify};
use crate::sim::domains::strategies::Strategy;
use crate::sim::genius;

/// How a holder releases the persons it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleasePolicy {
    None,
    /// Releases this many every round while talks go on.
    Goodwill(u64),
    /// Releases as many as the other side released last round.
    Reciprocal,
    /// Releases everyone once an agreement with an exchange provision is signed.
    OnAgreement,
}

/// The protocol a scenario's parties negotiate by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// Stacked alternating offers: an agreement binds every party.
    #[default]
    Saop,
    /// GeniusWeb's MOPAC (multiple offers, partial consensus): every round each party
    /// offers and votes on the others' offers, and an offer enough parties vote for binds
    /// them alone; the others negotiate on (`protocol::run`).
    Mopac,
}

impl Protocol {
    pub fn parse(name: &str) -> Result<Protocol, String> {
        match name {
            "saop" => Ok(Protocol::Saop),
            "mopac" => Ok(Protocol::Mopac),
            other => Err(format!("`protocol` is `{other}`; it is saop or mopac")),
        }
    }
}

/// Where a party's preferences come from.
#[derive(Clone, Debug, PartialEq)]
pub enum PreferenceSource {
    Given(Preferences),
    /// Drawn for each run from the run's seed: weights uniform and normalised to sum 1,
    /// evaluations uniform in [0, 1), reservation as given.
    Random {
        reservation: f64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartySpec {
    pub id: Slug,
    pub name: String,
    pub strategy: Strategy,
    pub preferences: PreferenceSource,
    pub release: ReleasePolicy,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Holding {
    pub holder: Slug,
    pub of: Slug,
    pub category: Category,
    pub count: u64,
}

/// Everything a simulation needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub start: Timestamp,
    pub step_seconds: i64,
    pub deadline: u32,
    pub domain: Domain,
    /// Negotiating parties, in the order they act.
    pub parties: Vec<PartySpec>,
    /// Mediators and observers: they join the log, they do not bid.
    pub others: Vec<(Slug, String)>,
    pub custody: Vec<Holding>,
    pub protocol: Protocol,
}

/// Longest deadline a scenario may set.
pub const MAX_DEADLINE: u32 = 100_000;
/// Most negotiating parties.
pub const MAX_PARTIES: usize = 64;

impl Scenario {
    /// The preferences of every party for one run.
    pub fn preferences(&self, rng: &mut ChaCha8Rng) -> Vec<Preferences> {
        let mut preferences = Vec::new();
        self.preferences_into(rng, &mut preferences);
        preferences
    }

    /// `preferences`, written over the previous run's so that their memory is reused.
    pub fn preferences_into(&self, rng: &mut ChaCha8Rng, preferences: &mut Vec<Preferences>) {
        preferences.resize_with(self.parties.len(), Preferences::default);
        for (party, into) in self.parties.iter().zip(preferences.iter_mut()) {
            match &party.preferences {
                PreferenceSource::Given(given) => into.clone_from(given),
                PreferenceSource::Random { reservation } => {
                    random_preferences_into(&self.domain, *reservation, rng, into)
                }
            }
        }
    }

    /// Whether the parties' preferences are nonlinear (ANAC 2014 rectangles): runs then
    /// offer from a pool of outcomes (`Prepared::pool`).
    pub fn is_nonlinear(&self) -> bool {
        self.parties.iter().any(|party| {
            matches!(&party.preferences, PreferenceSource::Given(given) if given.rectangles.is_some())
        })
    }

    /// Whether every run draws its own preferences.
    pub fn has_random_preferences(&self) -> bool {
        self.parties
            .iter()
            .any(|party| matches!(party.preferences, PreferenceSource::Random { .. }))
    }

    /// Whether the simulator can run this scenario: it ranks every outcome for each party,
    /// so the space must be enumerable. The analysis has no such limit (it answers larger
    /// spaces without enumerating), so loading a scenario does not check this.
    pub fn check_simulable(&self) -> Result<(), SimError> {
        let nonlinear: Vec<&Preferences> = self
            .parties
            .iter()
            .filter_map(|party| match &party.preferences {
                PreferenceSource::Given(given) if given.rectangles.is_some() => Some(given),
                _ => None,
            })
            .collect();
        if !nonlinear.is_empty() {
            if nonlinear.len() != self.parties.len() {
                return Err(SimError::Scenario(
                    "some parties' preferences are nonlinear and some linear: a simulation takes one kind".into(),
                ));
            }
            let negative = nonlinear.iter().any(|prefs| {
                prefs.rectangles.as_ref().is_some_and(|rectangles| {
                    rectangles
                        .boxes
                        .iter()
                        .any(|rectangle| rectangle.utility < 0.0)
                })
            });
            if negative {
                return Err(SimError::Scenario(
                    "a rectangle of negative utility: nonlinear simulations take positive ones"
                        .into(),
                ));
            }
            // Played from an offer pool (`rectangles::offer_pool`), not from every outcome.
            return Ok(());
        }
        let count = self.domain.outcome_count().unwrap_or(u128::MAX);
        if count > crate::sim::domains::preferences::MAX_ENUMERATED_OUTCOMES {
            return Err(SimError::Scenario(format!(
                "{count} outcomes: simulations enumerate outcome spaces of at most {} (`accord analyze` answers larger ones)",
                crate::sim::domains::preferences::MAX_ENUMERATED_OUTCOMES
            )));
        }
        Ok(())
    }

    fn check(self) -> Result<Scenario, SimError> {
        if self.parties.len() < 2 || self.parties.len() > MAX_PARTIES {
            return Err(SimError::Scenario(format!(
                "a scenario needs 2 to {MAX_PARTIES} negotiating parties, not {}",
                self.parties.len()
            )));
        }
        if self.deadline == 0 || self.deadline > MAX_DEADLINE {
            return Err(SimError::Scenario(format!(
                "the deadline must be 1 to {MAX_DEADLINE} rounds, not {}",
                self.deadline
            )));
        }
        if self.step_seconds <= 0 {
            return Err(SimError::Scenario("step_seconds must be positive".into()));
        }
        // The clock ticks once per move: at most `deadline` rounds of every party, the
        // agreement, and the releases it sets off. Its last tick must be a time a log can
        // hold.
        let ticks = i64::from(self.deadline) * self.parties.len() as i64 + 2;
        let last_tick = chrono::TimeDelta::try_seconds(self.step_seconds)
            .and_then(|step| step.checked_mul(i32::try_from(ticks).ok()?))
            .and_then(|span| self.start.instant().checked_add_signed(span))
            .filter(|instant| chrono::Datelike::year(instant) <= 9999);
        if last_tick.is_none() {
            return Err(SimError::Scenario(format!(
                "step_seconds {} is too long: {} rounds of {} parties would take the simulated clock past the year 9999",
                self.step_seconds,
                self.deadline,
                self.parties.len()
            )));
        }
        if self.domain.issues.is_empty()
            || self
                .domain
                .issues
                .iter()
                .any(|issue| issue.options.is_empty())
        {
            return Err(SimError::Scenario(
                "every scenario needs issues, each with at least one option".into(),
            ));
        }
        check_issues(&self.domain)?;
        let mut ids: Vec<&Slug> = self
            .parties
            .iter()
            .map(|party| &party.id)
            .chain(self.others.iter().map(|(id, _)| id))
            .collect();
        ids.sort();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(SimError::Scenario(format!(
                "party {} is named twice",
                pair[0]
            )));
        }
        check_custody(&self.custody, &ids)?;
        if self.protocol == Protocol::Mopac
            && (!self.custody.is_empty()
                || self
                    .parties
                    .iter()
                    .any(|party| party.release != ReleasePolicy::None))
        {
            return Err(SimError::Scenario(
                "custody and release policies are played under saop only, not mopac".into(),
            ));
        }
        for party in &self.parties {
            if let PreferenceSource::Given(preferences) = &party.preferences
                && !preferences.fits(&self.domain)
            {
                return Err(SimError::Scenario(format!(
                    "the preferences of {} do not fit the issues",
                    party.id
                )));
            }
        }
        Ok(self)
    }
}

/// Every holding names parties of the scenario, and counts 1 to `MAX_COUNT` persons, alone
/// and added up with the others of its holder, side and category.
fn check_custody(custody: &[Holding], ids: &[&Slug]) -> Result<(), SimError> {
    let mut totals: std::collections::BTreeMap<(&Slug, &Slug, &str), u64> =
        std::collections::BTreeMap::new();
    for (index, holding) in custody.iter().enumerate() {
        for party in [&holding.holder, &holding.of] {
            if !ids.contains(&party) {
                return Err(SimError::Scenario(format!(
                    "custody names {party}, who is not in the scenario"
                )));
            }
        }
        let what = format!(
            "custody[{index}] ({} holds {} of {})",
            holding.holder,
            holding.category.name(),
            holding.of
        );
        if holding.count == 0 || holding.count > MAX_COUNT {
            return Err(SimError::Scenario(format!(
                "{what}: `count` is {}; a holding counts 1 to {MAX_COUNT} persons",
                holding.count
            )));
        }
        let total = totals
            .entry((&holding.holder, &holding.of, holding.category.name()))
            .or_default();
        *total = total.saturating_add(holding.count);
        if *total > MAX_COUNT {
            return Err(SimError::Scenario(format!(
                "{what}: the holdings of {} {} of {} add up to {}, more than the largest count {MAX_COUNT}",
                holding.holder,
                holding.category.name(),
                holding.of,
                total
            )));
        }
    }
    Ok(())
}

/// Random preferences, drawn into `into`: a weight per issue (normalised to sum to 1), then
/// an evaluation per option, issue by issue, each issue's divided by its largest.
fn random_preferences_into(
    domain: &Domain,
    reservation: f64,
    rng: &mut ChaCha8Rng,
    into: &mut Preferences,
) {
    let mut unit = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    into.weights.clear();
    into.weights.extend(domain.issues.iter().map(|_| unit()));
    let total: f64 = into.weights.iter().sum();
    into.weights
        .iter_mut()
        .for_each(|weight| *weight /= if total > 0.0 { total } else { 1.0 });
    into.values.resize_with(domain.issues.len(), Vec::new);
    for (values, issue) in into.values.iter_mut().zip(&domain.issues) {
        values.clear();
        values.extend(issue.options.iter().map(|_| unit()));
        normalise_by_largest(values);
    }
    into.reservation = reservation;
    into.written = Default::default();
}

// ---- The JSON format ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    start: Timestamp,
    #[serde(default = "default_step")]
    step_seconds: i64,
    deadline: u32,
    #[serde(default)]
    issues: Option<Vec<IssueFile>>,
    #[serde(default)]
    genius_domain: Option<PathBuf>,
    parties: Vec<PartyFile>,
    #[serde(default)]
    mediators: Vec<OtherFile>,
    #[serde(default)]
    custody: Vec<HoldingFile>,
    #[serde(default)]
    protocol: Option<String>,
}

fn default_step() -> i64 {
    3600
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueFile {
    id: Slug,
    title: String,
    options: Vec<String>,
    #[serde(default)]
    exchange_options: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartyFile {
    id: Slug,
    name: String,
    strategy: String,
    preferences: PreferencesFile,
    #[serde(default)]
    release: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, untagged)]
enum PreferencesFile {
    Given {
        weights: BTreeMap<String, f64>,
        evaluations: BTreeMap<String, BTreeMap<String, f64>>,
        #[serde(default)]
        reservation: f64,
    },
    Genius {
        genius_profile: PathBuf,
    },
    Random {
        random: bool,
        #[serde(default)]
        reservation: f64,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OtherFile {
    id: Slug,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldingFile {
    holder: Slug,
    of: Slug,
    category: Category,
    count: u64,
}

/// Most bytes of a scenario file.
const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// Reads a scenario file. GENIUS paths in it are relative to the scenario's directory.
pub fn load(path: &Path) -> Result<Scenario, SimError> {
    let length = std::fs::metadata(path)
        .map_err(|error| SimError::io(path, error))?
        .len();
    if length > MAX_SCENARIO_BYTES {
        return Err(SimError::in_file(
            path,
            format!("{length} bytes, more than {MAX_SCENARIO_BYTES}"),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|error| SimError::io(path, error))?;
    from_text(&text, path, path.parent().unwrap_or(Path::new(".")))
}

/// A scenario from its JSON text (`simulate -` reads it from stdin): `path` names it in
/// errors, and GENIUS files it names are found relative to `base`.
pub fn from_text(text: &str, path: &Path, base: &Path) -> Result<Scenario, SimError> {
    if text.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(SimError::in_file(
            path,
            format!("{} bytes, more than {MAX_SCENARIO_BYTES}", text.len()),
        ));
    }
    let document: serde_json::Value = serde_json::from_str(text)
        .map_err(|error| SimError::in_file(path, format!("not JSON: {error}")))?;
    if !document.is_object() {
        return Err(SimError::in_file(
            path,
            format!(
                "a scenario is a JSON object, and this is {}",
                json_kind(&document)
            ),
        ));
    }
    let file: ScenarioFile = serde_json::from_str(text)
        .map_err(|error| SimError::in_file(path, in_the_files_words(&error)))?;
    let domain = domain_of(&file, path, base)?;
    // Before the parties' preferences, which name the issues.
    check_issues(&domain).map_err(|error| SimError::in_file(path, error.to_string()))?;
    let parties = file
        .parties
        .into_iter()
        .map(|party| party_of(party, &domain, path, base))
        .collect::<Result<Vec<_>, _>>()?;
    let protocol = match &file.protocol {
        Some(name) => Protocol::parse(name).map_err(|error| SimError::in_file(path, error))?,
        None => Protocol::Saop,
    };
    Scenario {
        name: file.name,
        start: file.start,
        step_seconds: file.step_seconds,
        deadline: file.deadline,
        domain,
        parties,
        others: file
            .mediators
            .into_iter()
            .map(|other| (other.id, other.name))
            .collect(),
        custody: file
            .custody
            .into_iter()
            .map(|holding| Holding {
                holder: holding.holder,
                of: holding.of,
                category: holding.category,
                count: holding.count,
            })
            .collect(),
        protocol,
    }
    .check()
    .map_err(|error| SimError::in_file(path, error.to_string()))
}

/// The domain a scenario file gives: its own `issues`, or a GENIUS domain file.
fn domain_of(file: &ScenarioFile, path: &Path, base: &Path) -> Result<Domain, SimError> {
    match (&file.genius_domain, &file.issues) {
        (None, Some(issues)) if issues.is_empty() => Err(SimError::in_file(
            path,
            "`issues` is empty: a scenario needs at least one issue",
        )),
        (Some(domain), None) => genius::load_domain(&base.join(domain)),
        (None, Some(file_issues)) => {
            let mut issues = Vec::new();
            for issue in file_issues {
                let exchange_options = issue
                    .exchange_options
                    .iter()
                    .map(|option| {
                        issue.options.iter().position(|known| known.as_str() == option.as_str()).ok_or_else(|| {
                            SimError::in_file(path, format!("issue {}: exchange option `{option}` is not one of its options", issue.id))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                issues.push(Issue {
                    id: issue.id.clone(),
                    title: issue.title.clone(),
                    options: issue
                        .options
                        .iter()
                        .map(|option| std::sync::Arc::from(option.as_str()))
                        .collect(),
                    exchange_options,
                });
            }
            Ok(Domain { issues })
        }
        _ => Err(SimError::in_file(
            path,
            "give either `issues` or `genius_domain`, not both or neither",
        )),
    }
}

/// A party of a scenario file: its strategy, release policy and preferences (given, from a
/// GENIUS profile, or drawn at random for each run).
fn party_of(
    party: PartyFile,
    domain: &Domain,
    path: &Path,
    base: &Path,
) -> Result<PartySpec, SimError> {
    let strategy = Strategy::parse(&party.strategy)
        .map_err(|detail| SimError::in_file(path, format!("party {}: {detail}", party.id)))?;
    let release = parse_release(party.release.as_deref())
        .map_err(|detail| SimError::in_file(path, format!("party {}: {detail}", party.id)))?;
    let preferences = match party.preferences {
        PreferencesFile::Given {
            weights,
            evaluations,
            reservation,
        } => PreferenceSource::Given(
            given_preferences(domain, &weights, &evaluations, reservation).map_err(|detail| {
                SimError::in_file(path, format!("party {}: {detail}", party.id))
            })?,
        ),
        PreferencesFile::Genius { genius_profile } => {
            PreferenceSource::Given(genius::load_profile(&base.join(genius_profile), domain)?)
        }
        PreferencesFile::Random {
            random: true,
            reservation,
        } => PreferenceSource::Random { reservation },
        PreferencesFile::Random { random: false, .. } => {
            return Err(SimError::in_file(
                path,
                format!("party {}: `random` must be true when given", party.id),
            ));
        }
    };
    Ok(PartySpec {
        id: party.id,
        name: party.name,
        strategy,
        preferences,
        release,
    })
}

/// Each issue named once, each option of an issue listed once.
fn check_issues(domain: &Domain) -> Result<(), SimError> {
    let mut issue_ids: Vec<&Slug> = domain.issues.iter().map(|issue| &issue.id).collect();
    issue_ids.sort();
    if let Some(pair) = issue_ids.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(SimError::Scenario(format!(
            "issue {} is named twice in `issues`",
            pair[0]
        )));
    }
    for issue in &domain.issues {
        let mut options: Vec<&str> = issue.options.iter().map(|option| &**option).collect();
        options.sort_unstable();
        if let Some(pair) = options.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(SimError::Scenario(format!(
                "issue {} lists the option `{}` twice",
                issue.id, pair[0]
            )));
        }
    }
    Ok(())
}

/// What a JSON value is, for people: "an array", "a number"...
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A JSON error of a scenario file in the file's words: serde names the types accord reads
/// a scenario into, which mean nothing to its author.
fn in_the_files_words(error: &serde_json::Error) -> String {
    let mut text = error.to_string();
    for (internal, said) in [
        ("struct ScenarioFile", "a scenario object"),
        ("struct IssueFile", "an issue object ({id, title, options})"),
        (
            "struct PartyFile",
            "a party object ({id, name, strategy, preferences})",
        ),
        (
            "data did not match any variant of untagged enum PreferencesFile",
            "preferences are {weights, evaluations, reservation?}, {genius_profile} or {random: true, reservation?}",
        ),
        ("untagged enum PreferencesFile", "preferences"),
        ("struct OtherFile", "a mediator object ({id, name})"),
        (
            "struct HoldingFile",
            "a custody object ({holder, of, category, count})",
        ),
        (
            "enum Category",
            "a category (combatant, civilian or remains)",
        ),
    ] {
        text = text.replace(internal, said);
    }
    text
}

fn given_preferences(
    domain: &Domain,
    weights: &BTreeMap<String, f64>,
    evaluations: &BTreeMap<String, BTreeMap<String, f64>>,
    reservation: f64,
) -> Result<Preferences, SimError> {
    for key in weights.keys().chain(evaluations.keys()) {
        if !domain.issues.iter().any(|issue| issue.id.as_str() == key) {
            return Err(SimError::Scenario(format!(
                "preferences name `{key}`, which is not an issue"
            )));
        }
    }
    let mut weight_list = Vec::new();
    let mut evaluation_list = Vec::new();
    for issue in &domain.issues {
        let weight = *weights
            .get(issue.id.as_str())
            .ok_or_else(|| SimError::Scenario(format!("no weight for issue {}", issue.id)))?;
        let table = evaluations
            .get(issue.id.as_str())
            .ok_or_else(|| SimError::Scenario(format!("no evaluations for issue {}", issue.id)))?;
        for option in table.keys() {
            if !issue
                .options
                .iter()
                .any(|known| known.as_ref() == option.as_str())
            {
                return Err(SimError::Scenario(format!(
                    "issue {} has no option `{option}`",
                    issue.id
                )));
            }
        }
        let values = issue
            .options
            .iter()
            .map(|option| table.get(&**option).copied().unwrap_or(0.0))
            .collect::<Vec<_>>();
        if !weight.is_finite()
            || weight < 0.0
            || values
                .iter()
                .any(|value| !value.is_finite() || *value < 0.0)
        {
            return Err(SimError::Scenario(format!(
                "weights and evaluations of issue {} must be finite and not negative",
                issue.id
            )));
        }
        weight_list.push(weight);
        evaluation_list.push(values);
    }
    if !reservation.is_finite() {
        return Err(SimError::Scenario(
            "the reservation value must be finite".into(),
        ));
    }
    Ok(Preferences::from_evaluations(
        weight_list,
        evaluation_list,
        reservation,
    ))
}

fn parse_release(text: Option<&str>) -> Result<ReleasePolicy, SimError> {
    let Some(text) = text else {
        return Ok(ReleasePolicy::None);
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["none"] => Ok(ReleasePolicy::None),
        ["reciprocal"] => Ok(ReleasePolicy::Reciprocal),
        ["on_agreement"] => Ok(ReleasePolicy::OnAgreement),
        ["goodwill", count] => count
            .parse()
            .ok()
            .filter(|count| *count >= 1)
            .map(ReleasePolicy::Goodwill)
            .ok_or_else(|| {
                SimError::Scenario(format!(
                    "`goodwill {count}`: the count must be a whole number from 1"
                ))
            }),
        _ => Err(SimError::Scenario(format!(
            "unknown release policy `{text}` (none, goodwill K, reciprocal, on_agreement)"
        ))),
    }
}

/// A scenario for GENIUS files given on the command line: one party per profile, named by
/// its file, with the strategies in order.
pub fn from_genius(
    domain_path: &Path,
    profiles: &[PathBuf],
    strategies: &[String],
    deadline: u32,
) -> Result<Scenario, SimError> {
    from_genius_read_by(domain_path, profiles, strategies, deadline, &|path| {
        genius::read(path)
    })
}

/// The scenario of a GENIUS directory: its one `.xml` file with `domain` in its name, and
/// every other `.xml` file in it but `pareto.xml` as a profile (in name order), one party each, all playing
/// `strategies` (one, or one per profile) until `deadline`; named after the directory, as
/// papers name domains.
pub fn from_genius_directory(
    directory: &Path,
    strategies: &[String],
    deadline: u32,
) -> Result<Scenario, SimError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .map_err(|error| SimError::io(directory, error))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .map_err(|error| SimError::io(directory, error))?;
    // GENIUS ships a `pareto.xml` (utility pairs, not XML) beside some domains.
    files.retain(|file| {
        file.extension().is_some_and(|extension| extension == "xml")
            && !file
                .file_stem()
                .and_then(|stem| stem.to_str())
                .is_some_and(|stem| stem.eq_ignore_ascii_case("pareto"))
    });
    files.sort();
    let is_domain = |file: &PathBuf| {
        file.file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.to_ascii_lowercase().contains("domain"))
    };
    let domains: Vec<&PathBuf> = files.iter().filter(|file| is_domain(file)).collect();
    let [domain] = domains[..] else {
        // A usage error, as a missing file is: the directory is not one.
        return Err(SimError::io(
            directory,
            format!(
                "a GENIUS directory needs exactly one .xml file with `domain` in its name; it has {}",
                domains.len()
            ),
        ));
    };
    let profiles: Vec<PathBuf> = files
        .iter()
        .filter(|file| !is_domain(file))
        .cloned()
        .collect();
    let mut scenario = from_genius(domain, &profiles, strategies, deadline)?;
    if let Some(name) = directory.file_name().and_then(|name| name.to_str()) {
        scenario.name = name.to_string();
    }
    Ok(scenario)
}

/// `from_genius`, with the files' text read by `read` (the command line reads `-` from
/// stdin).
pub fn from_genius_read_by(
    domain_path: &Path,
    profiles: &[PathBuf],
    strategies: &[String],
    deadline: u32,
    read: &dyn Fn(&Path) -> Result<String, SimError>,
) -> Result<Scenario, SimError> {
    let domain = genius::domain_from_text(&read(domain_path)?, domain_path)?;
    if strategies.len() != profiles.len() && strategies.len() != 1 {
        return Err(SimError::Scenario(format!(
            "{} profiles but {} strategies",
            profiles.len(),
            strategies.len()
        )));
    }
    let mut parties: Vec<PartySpec> = Vec::new();
    for (index, profile) in profiles.iter().enumerate() {
        // A profile read from stdin (`-`) is named for it.
        let stem = profile
            .file_stem()
            .and_then(|stem| stem.to_str())
            .map(|stem| if stem == "-" { "stdin" } else { stem })
            .unwrap_or("party");
        let taken: Vec<Slug> = parties.iter().map(|party| party.id.clone()).collect();
        let strategy_name = &strategies[index.min(strategies.len() - 1)];
        parties.push(PartySpec {
            id: slugify(stem, &taken),
            name: stem.to_string(),
            strategy: Strategy::parse(strategy_name)?,
            preferences: PreferenceSource::Given(genius::profile_from_text(
                &read(profile)?,
                profile,
                &domain,
            )?),
            release: ReleasePolicy::None,
        });
    }
    let name = domain_path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("genius")
        .to_string();
    profiles_scenario(name, domain, parties, deadline)
}

/// A scenario from GeniusWeb profiles (JSON `LinearAdditiveUtilitySpace`, each carrying the
/// domain), read by `read`: one party per profile, named by its file, as with GENIUS files.
pub fn from_geniusweb_read_by(
    profiles: &[PathBuf],
    strategies: &[String],
    deadline: u32,
    read: &dyn Fn(&Path) -> Result<String, SimError>,
) -> Result<Scenario, SimError> {
    let (domain, read_profiles) = crate::sim::domains::geniusweb::profiles_read_by(profiles, read)?;
    if strategies.len() != read_profiles.len() && strategies.len() != 1 {
        return Err(SimError::Scenario(format!(
            "{} profiles but {} strategies",
            read_profiles.len(),
            strategies.len()
        )));
    }
    let mut parties: Vec<PartySpec> = Vec::new();
    for (index, (preferences, stem)) in read_profiles.into_iter().enumerate() {
        let taken: Vec<Slug> = parties.iter().map(|party| party.id.clone()).collect();
        let strategy_name = &strategies[index.min(strategies.len() - 1)];
        parties.push(PartySpec {
            id: slugify(&stem, &taken),
            name: stem,
            strategy: Strategy::parse(strategy_name)?,
            preferences: PreferenceSource::Given(preferences),
            release: ReleasePolicy::None,
        });
    }
    profiles_scenario("geniusweb".to_string(), domain, parties, deadline)
}

/// The scenario of a negotiation given by profile files (GENIUS or GeniusWeb): the
/// parties alone, no custody, the clock from 2026-01-01 a minute a step.
fn profiles_scenario(
    name: String,
    domain: Domain,
    parties: Vec<PartySpec>,
    deadline: u32,
) -> Result<Scenario, SimError> {
    Scenario {
        name,
        start: Timestamp::parse("2026-01-01T00:00:00Z").expect("a valid time"),
        step_seconds: 60,
        deadline,
        domain,
        parties,
        others: Vec::new(),
        custody: Vec::new(),
        protocol: Protocol::Saop,
    }
    .check()
}

impl Scenario {
    /// The scenario with its strategies (one name for every party, or one per party in
    /// acting order) or its deadline replaced, checked again: what `simulate --strategies`
    /// and `--deadline` do to a scenario file.
    pub fn with_overrides(
        mut self,
        strategies: Option<&[String]>,
        deadline: Option<u32>,
    ) -> Result<Scenario, SimError> {
        if let Some(names) = strategies {
            if names.len() != self.parties.len() && names.len() != 1 {
                return Err(SimError::Scenario(format!(
                    "--strategies names {} strategies; the scenario has {} negotiating parties (give one, or one each)",
                    names.len(),
                    self.parties.len()
                )));
            }
            for (index, party) in self.parties.iter_mut().enumerate() {
                party.strategy =
                    Strategy::parse(&names[index.min(names.len() - 1)]).map_err(|source| {
                        SimError::UnknownStrategyArgument {
                            argument: "--strategies",
                            source,
                        }
                    })?;
            }
        }
        if let Some(deadline) = deadline {
            self.deadline = deadline;
        }
        self.check()
    }
}
