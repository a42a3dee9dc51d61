//! One simulated negotiation: the stacked alternating offers protocol, every move recorded
//! as an event, applied by the reducer, and (when asked) written as a log.

use crate::format::count::Count;
use std::sync::Arc;

use chrono::Duration;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::fold::reducer;
use crate::fold::state::State;
use crate::format::event::{
    AgreementSigned, Category, DetentionReported, EventData, EventParts, IssueRaised, PartyJoined,
    ProposalAct, ProposalMade, ProvisionTerms, ReleaseMade, Role, WRITTEN_VERSION,
    write_event_line,
};
use crate::format::ids::{EventId, Hash, Slug};
use crate::format::time::Timestamp;
use crate::sim::SimError;
use crate::sim::analysis::ranking::Ranking;
use crate::sim::analysis::space::analyze_with;
use crate::sim::analysis::yardstick::{Distances, FrontierScratch, Yardstick, frontier_and_nash};
use crate::sim::domains::preferences::{MAX_ENUMERATED_OUTCOMES, Outcome, Preferences};
use crate::sim::domains::scenario::{PartySpec, Protocol, ReleasePolicy, Scenario};
use crate::sim::domains::strategies::Strategy;
use crate::sim::protocol::agent::{Agent, time_dependent_targets};
use crate::sim::protocol::boa::{BoaAgent, OutcomeView};
use crate::sim::protocol::fast_paths::{TargetTable, TermsCache, offer_id};

/// What one run came to.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    pub agreed: bool,
    /// Whether some outcome is worth every party's reservation value. When one party's
    /// reservation is above everything it could get, the run makes no move at all: that
    /// party could neither offer nor accept.
    pub agreement_possible: bool,
    /// The round of the agreement, the deadline, or 0 for a run that made no move.
    pub rounds: u32,
    pub outcome: Option<Outcome>,
    /// Each party's utility of the agreement, discounted to the agreement's relative time
    /// where the party's profile has a discount factor; 0 without one.
    pub utilities: Vec<f64>,
    /// Persons released.
    pub released: u64,
    /// The agreement's distances to the frontier and the analysis's points (all `None`
    /// without agreement).
    pub distances: Distances,
    /// The run's log, when asked for.
    pub log: Option<Vec<u8>>,
}

/// Records events: applies each through the reducer and, when asked, writes its line.
struct Recorder {
    state: State,
    seq: u64,
    prev: Hash,
    /// The simulated clock: `start + step * ticks`.
    start: chrono::DateTime<chrono::Utc>,
    step: Duration,
    ticks: i32,
    rng: ChaCha8Rng,
    /// The clock's reading at `ticks`, formatted once for every event of the tick.
    stamp: Option<(i32, Timestamp)>,
    lines: Option<Vec<u8>>,
}

impl Recorder {
    fn record(&mut self, data: EventData) -> Result<(), SimError> {
        self.seq += 1;
        reducer::apply(&mut self.state, self.seq, &data).map_err(|violation| {
            SimError::IllegalMove {
                seq: self.seq,
                event_type: data.type_name(),
                violation,
            }
        })?;
        if let Some(lines) = &mut self.lines {
            // Ids are drawn only for a log: they appear nowhere else.
            let mut id = [0u8; 16];
            self.rng.fill_bytes(&mut id);
            let ticks = self.ticks;
            let stamp = match &mut self.stamp {
                Some((at, stamp)) if *at == ticks => stamp,
                slot => {
                    let time = Timestamp::recorded_now(self.start + self.step * ticks);
                    &slot.insert((ticks, time)).1
                }
            };
            let start = lines.len();
            write_event_line(
                lines,
                EventParts {
                    version: WRITTEN_VERSION,
                    seq: self.seq,
                    id: EventId::from_random_bytes(id),
                    occurred: stamp.as_str(),
                    recorded: stamp,
                    data: &data,
                    source: None,
                    sources: None,
                    origin: None,
                    prev: self.prev,
                },
            );
            self.prev = Hash::of(&lines[start..]);
            lines.push(b'\n');
        }
        Ok(())
    }

    fn tick(&mut self) {
        self.ticks += 1;
    }

    fn held(&self, holder: &Slug, of: &Slug) -> Vec<(Category, u64)> {
        let counts = self
            .state
            .custody
            .get(holder)
            .and_then(|sides| sides.get(of))
            .copied()
            .unwrap_or_default();
        [Category::Combatant, Category::Civilian, Category::Remains]
            .into_iter()
            .map(|category| {
                let range = counts.get(category);
                // The simulator writes exact counts only.
                debug_assert!(range.is_exact());
                (category, range.low)
            })
            .filter(|(_, count)| *count > 0)
            .collect()
    }
}

/// What a run needs of its parties' preferences: each party's ranking of the outcomes and
/// the frontier and Nash point an agreement is measured against.
#[derive(Default)]
pub struct Prepared {
    pub preferences: Vec<Preferences>,
    pub rankings: Vec<Ranking>,
    /// The frontier and the Nash point, when made in advance. Preferences shared by every
    /// run of a batch are measured once; a run's own preferences between two parties are
    /// measured only if the run agrees, and then only as far as its agreement needs
    /// (`measure`).
    pub yardstick: Option<Yardstick>,
    /// Nonlinear parties' outcomes to offer from (`rectangles::offer_pool`): outcome `i`
    /// of a run is `pool[i]`, and rankings rank the pool. `None`: outcome `i` is the
    /// domain's outcome of index `i`, and rankings rank every outcome.
    pub pool: Option<Arc<Vec<Outcome>>>,
    /// Whether some outcome meets every reservation, when the exact analysis said (the
    /// pool cannot).
    pub agreement_possible: Option<bool>,
}

impl Prepared {
    /// The outcome a run's index stands for.
    pub fn outcome(&self, scenario: &Scenario, index: u32) -> Outcome {
        match &self.pool {
            Some(pool) => pool[index as usize].clone(),
            None => scenario.domain.outcome(u64::from(index)),
        }
    }

    /// Nonlinear parties: the offer pool from `rng`, each party's ranking of it, and the
    /// yardstick of the exact analysis.
    fn fill_nonlinear(&mut self, scenario: &Scenario, rng: &mut ChaCha8Rng) {
        let pool =
            crate::sim::analysis::rectangles::offer_pool(&scenario.domain, &self.preferences, rng);
        self.rankings = self
            .preferences
            .iter()
            .map(|prefs| {
                Ranking::from_utilities(pool.iter().map(|outcome| prefs.utility(outcome)).collect())
            })
            .collect();
        self.pool = Some(Arc::new(pool));
        let analysis = analyze_with(&scenario.domain, &self.preferences, 0, true);
        self.agreement_possible = if analysis.nash.is_some() {
            Some(true)
        } else if analysis.nash_none {
            Some(false)
        } else {
            None
        };
        self.yardstick = Yardstick::from_analysis(&analysis, &self.preferences);
        if self.yardstick.is_none() {
            // The analysis gave up: measured against the pool's own frontier, in doubles.
            self.measure_in_doubles(&mut FrontierScratch::default());
        }
    }

    /// The yardstick of the ranked outcomes' own frontier and points, in doubles.
    fn measure_in_doubles(&mut self, frontier_scratch: &mut FrontierScratch) {
        let columns: Vec<&[f64]> = self
            .rankings
            .iter()
            .map(|ranking| ranking.utilities.as_slice())
            .collect();
        frontier_and_nash(
            &self.preferences,
            &self.rankings[0],
            &columns,
            frontier_scratch,
            self.yardstick.get_or_insert_with(Yardstick::default),
        );
    }

    /// Draws (or takes) the preferences of a run and ranks and analyses them, reusing the
    /// memory of the previous run's.
    fn refill(
        &mut self,
        scenario: &Scenario,
        rng: &mut ChaCha8Rng,
        frontier_scratch: &mut FrontierScratch,
        measuring: Measuring,
    ) {
        scenario.preferences_into(rng, &mut self.preferences);
        if scenario.is_nonlinear() {
            debug_assert_eq!(
                measuring,
                Measuring::InAdvance,
                "nonlinear preferences are given"
            );
            self.fill_nonlinear(scenario, rng);
            return;
        }
        self.pool = None;
        self.agreement_possible = None;
        self.rankings
            .resize_with(self.preferences.len(), Ranking::default);
        for (ranking, preferences) in self.rankings.iter_mut().zip(&self.preferences) {
            ranking.rebuild(preferences);
        }
        if measuring == Measuring::InAdvance {
            // Distances need the frontier's utility vectors, not each outcome sharing one:
            // two parties' frontier is built issue by issue, which is quicker than
            // enumerating (Travel's 188,160 outcomes: well under a millisecond against
            // tens), with the same vectors and points.
            let enumeration_limit = if self.preferences.len() == 2 {
                0
            } else {
                MAX_ENUMERATED_OUTCOMES
            };
            let analysis =
                analyze_with(&scenario.domain, &self.preferences, enumeration_limit, true);
            if let Some(yardstick) = Yardstick::from_analysis(&analysis, &self.preferences) {
                self.yardstick = Some(yardstick);
                return;
            }
        }
        if measuring == Measuring::EveryRun && self.preferences.len() == 2 {
            self.yardstick = None;
            return;
        }
        self.measure_in_doubles(frontier_scratch);
    }
}

/// Draws (or takes) the preferences shared by every run of a batch, ranks them, and
/// measures agreements against their exact analysis (in doubles where the analysis cannot
/// enumerate them).
pub fn prepare(scenario: &Scenario, rng: &mut ChaCha8Rng) -> Prepared {
    let mut prepared = Prepared::default();
    prepared.refill(
        scenario,
        rng,
        &mut FrontierScratch::default(),
        Measuring::InAdvance,
    );
    prepared
}

/// When a run's agreements are measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Measuring {
    /// Preferences shared by every run: against their exact analysis, made once (in doubles
    /// when the analysis does not enumerate them).
    InAdvance,
    /// A run's own preferences, in doubles: made with the preferences, except for two
    /// parties, whose agreement is measured after the run and only as far as it needs.
    EveryRun,
}

/// The memory one thread reuses from run to run, so a run allocates little.
#[derive(Default)]
pub struct Workspace {
    prepared: Prepared,
    frontier_scratch: FrontierScratch,
    /// `offer-001`, `offer-002`, ...: the proposal ids every run of a scenario uses, made
    /// once, of the width `offer_ids_width` of the scenario's most offers.
    offer_ids: Vec<Slug>,
    offer_ids_width: usize,
    terms: TermsCache,
    /// Per party: its time-dependent targets by round.
    targets: Vec<TargetTable>,
    outcome: Outcome,
    /// The frontier and Nash point of a run whose agreement needs them.
    late_yardstick: Yardstick,
    /// A finished run's log buffer, handed back (`reuse_log`) so the next run writes into
    /// memory already grown to a log's size.
    spare_log: Vec<u8>,
}

impl Workspace {
    /// Takes back a run's log once it is written, for the next run.
    pub fn reuse_log(&mut self, mut log: Vec<u8>) {
        log.clear();
        self.spare_log = log;
    }
}

/// The seeded generator of run `index`: a ChaCha8 stream of its own, so a run does not
/// depend on which thread runs it or in what order.
pub fn run_rng(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

/// A party whose moves are chosen outside the simulator: a strategy written in Python, say.
/// It only chooses: its offers and acceptances are recorded and applied by the reducer as a
/// built-in party's are, and land in the same log. It may offer or accept below its
/// reservation value; the simulator does not stop it.
pub trait Player {
    /// Once per run, before the first move (and only if the talks can start).
    fn start(&mut self, turn: &Turn<'_>) -> Result<(), SimError>;
    /// Whether to accept the standing offer, outcome `standing`, on this turn.
    fn respond(&mut self, turn: &Turn<'_>, standing: u32) -> Result<bool, SimError>;
    /// The outcome to offer on this turn, by index (see `Domain::outcome`).
    fn propose(&mut self, turn: &Turn<'_>) -> Result<u32, SimError>;
    /// An offer was made and recorded, by any party (this one's own too).
    fn offered(&mut self, by: usize, outcome: u32, round: u32) -> Result<(), SimError>;
}

/// What a player is shown on its turn.
pub struct Turn<'a> {
    /// The player's party, by acting order.
    pub party: usize,
    /// From 1; 0 before the first round (`Player::start`).
    pub round: u32,
    pub deadline: u32,
    /// The standing offer: who made it, and its outcome.
    pub standing: Option<(usize, u32)>,
    pub preferences: &'a Preferences,
    pub ranking: &'a Ranking,
    /// The state the reducer has folded from the run's events so far.
    pub state: &'a State,
}

/// Which parties of a run are players: `NoPlayers` for a run of built-in strategies only,
/// which compiles to the same loop as before players existed.
pub trait Players {
    fn player(&mut self, party: usize) -> Option<&mut (dyn Player + '_)>;
    /// Whether any party is a player.
    fn any(&self) -> bool;
}

/// Every party plays its scenario strategy.
pub struct NoPlayers;

impl Players for NoPlayers {
    #[inline(always)]
    fn player(&mut self, _party: usize) -> Option<&mut (dyn Player + '_)> {
        None
    }
    #[inline(always)]
    fn any(&self) -> bool {
        false
    }
}

/// Players by acting order; `None` plays the scenario's strategy.
pub type PlayerList<'p> = Vec<Option<Box<dyn Player + 'p>>>;

impl Players for PlayerList<'_> {
    fn player(&mut self, party: usize) -> Option<&mut (dyn Player + '_)> {
        match self.get_mut(party) {
            Some(Some(player)) => Some(player.as_mut()),
            _ => None,
        }
    }
    fn any(&self) -> bool {
        self.iter().any(Option::is_some)
    }
}

/// Plays run `index` of a scenario. `shared` is prepared once for all runs when preferences
/// do not change between runs; otherwise each run prepares its own.
pub fn run(
    scenario: &Scenario,
    seed: u64,
    index: u64,
    shared: Option<&Prepared>,
    write_log: bool,
    workspace: &mut Workspace,
) -> Result<RunResult, SimError> {
    run_with(
        scenario,
        seed,
        index,
        shared,
        write_log,
        workspace,
        &mut NoPlayers,
    )
}

/// `run`, with some parties' moves chosen by `players`. The stages: the caches served for
/// this scenario, the preferences prepared, the opening events, the rounds, the close (an
/// agreement signed, or the last offer withdrawn), and the measures of the outcome.
pub fn run_with(
    scenario: &Scenario,
    seed: u64,
    index: u64,
    shared: Option<&Prepared>,
    write_log: bool,
    workspace: &mut Workspace,
    players: &mut impl Players,
) -> Result<RunResult, SimError> {
    let mut rng = run_rng(seed, index);
    let Workspace {
        prepared: own,
        frontier_scratch,
        offer_ids,
        offer_ids_width,
        terms,
        targets,
        outcome: outcome_scratch,
        late_yardstick,
        spare_log,
    } = workspace;
    serve_caches(scenario, terms, offer_ids, offer_ids_width, targets);
    if shared.is_none() {
        own.refill(scenario, &mut rng, frontier_scratch, Measuring::EveryRun);
    }
    let prepared: &Prepared = match shared {
        Some(prepared) => prepared,
        None => own,
    };
    if prepared.pool.is_some() && players.any() {
        return Err(SimError::Scenario(
            "strategies written in Python play linear spaces; nonlinear (ANAC 2014) ones are played by the built-in strategies only".into(),
        ));
    }
    let mut recorder = Recorder {
        state: State::default(),
        seq: 0,
        prev: Hash::ZERO,
        start: scenario.start.instant(),
        ticks: 0,
        step: Duration::seconds(scenario.step_seconds),
        rng: ChaCha8Rng::seed_from_u64(rng.next_u64()),
        stamp: None,
        lines: write_log.then(|| {
            debug_assert!(spare_log.is_empty());
            std::mem::take(spare_log)
        }),
    };
    // The baseline agents' own generators are seeded from here (`protocol::boa`).
    let agent_seed = rng.next_u64();
    record_the_opening(&mut recorder, scenario)?;
    if scenario.protocol == Protocol::Mopac {
        if players.any() {
            return Err(SimError::Scenario(
                "strategies written in Python play saop; mopac is played by the built-in strategies only".into(),
            ));
        }
        return play_mopac(
            scenario,
            prepared,
            targets,
            agent_seed,
            &mut recorder,
            terms,
        );
    }
    let naming = OfferNaming {
        ids: offer_ids,
        width: *offer_ids_width,
        terms,
        outcome: outcome_scratch,
    };
    let talks = play_rounds(
        scenario,
        prepared,
        targets,
        agent_seed,
        &mut recorder,
        players,
        naming,
    )?;
    let (outcome, utilities, released_on_agreement) =
        close_the_talks(scenario, prepared, &mut recorder, players, &talks)?;
    // Distances are measured in undiscounted utility, as GENIUS's analysis is.
    let distances = match (&outcome, &talks.standing) {
        (Some(_), Some((_, _, index))) => measure(
            prepared,
            *index,
            &utilities,
            frontier_scratch,
            late_yardstick,
        ),
        _ => Distances::default(),
    };
    let utilities = match talks.agreed_round {
        Some(round) => {
            let t = relative_time(round, scenario.deadline);
            utilities
                .iter()
                .zip(&prepared.preferences)
                .map(|(utility, prefs)| prefs.discounted(*utility, t))
                .collect()
        }
        None => utilities,
    };
    let agreement_possible = outcome.is_some()
        || (!talks.someone_unsatisfiable && some_outcome_meets_every_reservation(prepared));
    Ok(RunResult {
        agreed: outcome.is_some(),
        agreement_possible,
        rounds: talks.agreed_round.unwrap_or(talks.deadline),
        outcome,
        utilities,
        released: talks.released + released_on_agreement,
        distances,
        log: recorder.lines,
    })
}

/// Keeps the workspace's caches that were made for this scenario and remakes the others:
/// the terms of outcomes, the offer ids (padded to the digits of the most offers a run can
/// make, so they sort in the order the offers were made), and each time-dependent party's
/// targets by round.
fn serve_caches(
    scenario: &Scenario,
    terms: &mut TermsCache,
    offer_ids: &mut Vec<Slug>,
    offer_ids_width: &mut usize,
    targets: &mut Vec<TargetTable>,
) {
    terms.serve(scenario);
    let most_offers = u64::from(scenario.deadline) * scenario.parties.len() as u64;
    let width = most_offers.max(1).ilog10() as usize + 1;
    if *offer_ids_width != width {
        offer_ids.clear();
        *offer_ids_width = width;
    }
    targets.resize_with(scenario.parties.len(), Default::default);
    for (party, table) in scenario.parties.iter().zip(targets.iter_mut()) {
        match party.strategy {
            Strategy::TimeDependent { e } if e > 0.0 => {
                let wanted = Some((e.to_bits(), scenario.deadline));
                if table.made_for != wanted {
                    time_dependent_targets(e, scenario.deadline, &mut table.targets);
                    table.made_for = wanted;
                }
            }
            _ => {
                table.targets.clear();
                table.made_for = None;
            }
        }
    }
}

/// The stage: parties, mediators, issues, custody.
fn record_the_opening(recorder: &mut Recorder, scenario: &Scenario) -> Result<(), SimError> {
    for party in &scenario.parties {
        recorder.record(EventData::PartyJoined(PartyJoined {
            party: party.id.clone(),
            name: party.name.clone(),
            role: Role::Party,
            members: None,
        }))?;
    }
    for (id, name) in &scenario.others {
        recorder.record(EventData::PartyJoined(PartyJoined {
            party: id.clone(),
            name: name.clone(),
            role: Role::Mediator,
            members: None,
        }))?;
    }
    for issue in &scenario.domain.issues {
        recorder.record(EventData::IssueRaised(IssueRaised {
            issue: issue.id.clone(),
            title: issue.title.clone(),
        }))?;
    }
    for holding in &scenario.custody {
        recorder.record(EventData::DetentionReported(DetentionReported {
            holder: holding.holder.clone(),
            of: holding.of.clone(),
            category: holding.category,
            count: Count::Exact(holding.count),
        }))?;
    }
    Ok(())
}

/// How offers are named and written: the workspace's cached ids and terms.
struct OfferNaming<'w> {
    ids: &'w mut Vec<Slug>,
    width: usize,
    terms: &'w mut TermsCache,
    outcome: &'w mut Outcome,
}

/// Where the talks stood when the rounds ended.
struct Talks {
    /// The rounds the talks could last: the scenario's deadline, or 0 when some party can
    /// be satisfied by no outcome.
    deadline: u32,
    someone_unsatisfiable: bool,
    /// The standing offer: its proposal, its proposer, its outcome.
    standing: Option<(Slug, usize, u32)>,
    agreed_round: Option<u32>,
    /// Persons released while the talks went on.
    released: u64,
}

/// The rounds of the stacked alternating offers protocol: in each, every party in turn
/// accepts the standing offer or makes its own, then the releases of the round.
#[allow(clippy::too_many_arguments)]
fn play_rounds(
    scenario: &Scenario,
    prepared: &Prepared,
    targets: &[TargetTable],
    agent_seed: u64,
    recorder: &mut Recorder,
    players: &mut impl Players,
    naming: OfferNaming<'_>,
) -> Result<Talks, SimError> {
    let (preferences, rankings) = (&prepared.preferences, &prepared.rankings);
    let parties = &scenario.parties;
    let count = parties.len();
    let mut agents = seat_the_agents(scenario, prepared, targets, agent_seed);
    let addressees = addressees_of(parties);
    // A party that no outcome satisfies can neither offer nor accept: the talks cannot
    // start, and the run says so rather than make a move below its reservation.
    let someone_unsatisfiable =
        (0..count).any(|party| rankings[party].best_utility() < preferences[party].reservation);
    let deadline = if someone_unsatisfiable {
        0
    } else {
        scenario.deadline
    };
    let outcome_space = scenario
        .domain
        .outcome_count()
        .map_or(u64::MAX, |count| u64::try_from(count).unwrap_or(u64::MAX));
    let mut talks = Talks {
        deadline,
        someone_unsatisfiable,
        standing: None,
        agreed_round: None,
        released: 0,
    };
    let mut offers = 0u64;
    let mut acceptances = 0;
    let mut releases = Releases::new(count);
    if deadline > 0 {
        start_players(scenario, prepared, recorder, players)?;
    }
    'rounds: for round in 1..=deadline {
        releases.this_round.fill(0);
        for party in 0..count {
            recorder.tick();
            let standing = &talks.standing;
            let (accepts, next) = choose(
                scenario,
                prepared,
                &mut agents[party],
                players,
                party,
                round,
                standing,
                &recorder.state,
                outcome_space,
            )?;
            if let Some((proposal, _, _)) = standing
                && accepts
            {
                recorder.record(EventData::ProposalAccepted(ProposalAct {
                    proposal: proposal.clone(),
                    by: parties[party].id.clone(),
                }))?;
                acceptances += 1;
                if acceptances == count - 1 {
                    talks.agreed_round = Some(round);
                    break 'rounds;
                }
                continue;
            }
            offers += 1;
            let id = offer_id(naming.ids, naming.width, offers);
            let terms =
                naming
                    .terms
                    .terms_of(scenario, prepared.pool.as_deref(), next, naming.outcome);
            recorder.record(EventData::ProposalMade(ProposalMade {
                proposal: id.clone(),
                by: parties[party].id.clone(),
                to: addressees[party].clone(),
                terms,
                supersedes: None,
                counters: standing.as_ref().map(|(previous, _, _)| previous.clone()),
            }))?;
            tell_of_the_offer(&mut agents, players, party, next, round, scenario.deadline)?;
            talks.standing = Some((id, party, next));
            acceptances = 0;
        }
        talks.released += releases.while_talks_go_on(recorder, parties)?;
    }
    Ok(talks)
}

/// What `party` does on its turn: whether it accepts the standing offer, and the offer it
/// would make instead; its agent's choice, or its player's.
#[allow(clippy::too_many_arguments)]
#[inline]
fn choose(
    scenario: &Scenario,
    prepared: &Prepared,
    agent: &mut Agent<'_>,
    players: &mut impl Players,
    party: usize,
    round: u32,
    standing: &Option<(Slug, usize, u32)>,
    state: &State,
    outcome_space: u64,
) -> Result<(bool, u32), SimError> {
    let Some(player) = players.player(party) else {
        let proposer = standing.as_ref().map(|(_, proposer, _)| *proposer);
        let next = agent.next_offer(round, scenario.deadline, proposer);
        let accepts = standing
            .as_ref()
            .is_some_and(|(_, _, outcome)| agent.accepts(*outcome, next));
        return Ok((accepts, next));
    };
    let turn = Turn {
        party,
        round,
        deadline: scenario.deadline,
        standing: standing
            .as_ref()
            .map(|(_, proposer, outcome)| (*proposer, *outcome)),
        preferences: &prepared.preferences[party],
        ranking: &prepared.rankings[party],
        state,
    };
    player_move(player, &turn, outcome_space)
}

/// Each party's agent, playing its strategy on its preferences and ranking; a BOA party's
/// generator seeded from `agent_seed` and its seat.
fn seat_the_agents<'a>(
    scenario: &'a Scenario,
    prepared: &'a Prepared,
    targets: &'a [TargetTable],
    agent_seed: u64,
) -> Vec<Agent<'a>> {
    let count = scenario.parties.len();
    let view = OutcomeView {
        domain: &scenario.domain,
        pool: prepared.pool.as_deref().map(Vec::as_slice),
    };
    (0..count)
        .map(|party| {
            let strategy = scenario.parties[party].strategy;
            let (preferences, ranking) = (&prepared.preferences[party], &prepared.rankings[party]);
            let agent = Agent::new(
                strategy,
                preferences,
                ranking,
                &targets[party].targets,
                count,
            );
            match strategy {
                Strategy::Boa(boa) => agent.with_boa(BoaAgent::new(
                    boa,
                    party,
                    count,
                    view,
                    ranking,
                    preferences,
                    agent_seed,
                )),
                _ => agent,
            }
        })
        .collect()
}

/// To whom each party's offers go: every other party, in acting order.
fn addressees_of(parties: &[PartySpec]) -> Vec<Arc<[Slug]>> {
    (0..parties.len())
        .map(|party| {
            (0..parties.len())
                .filter(|other| *other != party)
                .map(|other| parties[other].id.clone())
                .collect()
        })
        .collect()
}

/// Each player is shown the talks before the first round.
fn start_players(
    scenario: &Scenario,
    prepared: &Prepared,
    recorder: &Recorder,
    players: &mut impl Players,
) -> Result<(), SimError> {
    for party in 0..scenario.parties.len() {
        if let Some(player) = players.player(party) {
            player.start(&Turn {
                party,
                round: 0,
                deadline: scenario.deadline,
                standing: None,
                preferences: &prepared.preferences[party],
                ranking: &prepared.rankings[party],
                state: &recorder.state,
            })?;
        }
    }
    Ok(())
}

/// Every other agent, and every player, learns of `party`'s offer of `outcome`.
fn tell_of_the_offer(
    agents: &mut [Agent<'_>],
    players: &mut impl Players,
    party: usize,
    outcome: u32,
    round: u32,
    deadline: u32,
) -> Result<(), SimError> {
    agents[party].offered(outcome);
    for (other, agent) in agents.iter_mut().enumerate() {
        if other != party {
            agent.observe(party, outcome, round, deadline);
        }
    }
    if players.any() {
        for other in 0..agents.len() {
            if let Some(player) = players.player(other) {
                player.offered(party, outcome, round)?;
            }
        }
    }
    Ok(())
}

/// Persons each holder freed of each side, by `holder * count + of`: last round's (for
/// reciprocity) and this round's.
struct Releases {
    count: usize,
    last_round: Vec<u64>,
    this_round: Vec<u64>,
}

impl Releases {
    fn new(count: usize) -> Releases {
        Releases {
            count,
            last_round: vec![0; count * count],
            this_round: vec![0; count * count],
        }
    }

    /// The releases of a round while the talks go on, by each holder's policy: how many
    /// persons were freed.
    fn while_talks_go_on(
        &mut self,
        recorder: &mut Recorder,
        parties: &[PartySpec],
    ) -> Result<u64, SimError> {
        let count = self.count;
        let mut freed_in_round = 0;
        for (holder_index, holder) in parties.iter().enumerate() {
            for (of_index, of) in parties.iter().enumerate() {
                let wanted = match holder.release {
                    ReleasePolicy::Goodwill(persons) => persons,
                    ReleasePolicy::Reciprocal => self.last_round[of_index * count + holder_index],
                    ReleasePolicy::None | ReleasePolicy::OnAgreement => 0,
                };
                if wanted == 0 {
                    continue;
                }
                let freed = release(recorder, &holder.id, &of.id, wanted, None)?;
                self.this_round[holder_index * count + of_index] += freed;
                freed_in_round += freed;
            }
        }
        std::mem::swap(&mut self.last_round, &mut self.this_round);
        Ok(freed_in_round)
    }
}

/// The close of the talks: an agreement signed on the standing offer (and the releases it
/// brings), or the last offer withdrawn. The outcome agreed, each party's (undiscounted)
/// utility of it (zeros without an agreement), and the persons released on agreement.
fn close_the_talks(
    scenario: &Scenario,
    prepared: &Prepared,
    recorder: &mut Recorder,
    players: &impl Players,
    talks: &Talks,
) -> Result<(Option<Outcome>, Vec<f64>, u64), SimError> {
    let parties = &scenario.parties;
    let count = parties.len();
    match (talks.agreed_round, &talks.standing) {
        (Some(_), Some((proposal, _, index))) => {
            let outcome = prepared.outcome(scenario, *index);
            recorder.tick();
            let all: Vec<Slug> = parties.iter().map(|party| party.id.clone()).collect();
            let provisions = provisions_of(scenario, &outcome, &all);
            recorder.record(EventData::AgreementSigned(AgreementSigned {
                agreement: Slug::parse("agreement").expect("a valid slug"),
                title: format!("Agreement of {}", scenario.name),
                signatories: all,
                witnesses: None,
                proposal: Some(proposal.clone()),
                provisions,
            }))?;
            let mut released = 0;
            let exchange = scenario
                .domain
                .issues
                .iter()
                .zip(&outcome)
                .find(|(issue, option)| issue.exchange_options.contains(option));
            if let Some((issue, _)) = exchange {
                recorder.tick();
                for holder in parties
                    .iter()
                    .filter(|party| party.release == ReleasePolicy::OnAgreement)
                {
                    for of in parties {
                        released +=
                            release(recorder, &holder.id, &of.id, u64::MAX, Some(&issue.id))?;
                    }
                }
            }
            let utilities = agreed_utilities(prepared, players, &outcome);
            Ok((Some(outcome), utilities, released))
        }
        (_, Some((proposal, proposer, _))) => {
            recorder.tick();
            recorder.record(EventData::ProposalWithdrawn(ProposalAct {
                proposal: proposal.clone(),
                by: parties[*proposer].id.clone(),
            }))?;
            Ok((None, vec![0.0; count], 0))
        }
        (_, None) => Ok((None, vec![0.0; count], 0)),
    }
}

/// An agreement's provisions: one per issue, `ISSUE TITLE: OPTION`, obligating `obligated`.
fn provisions_of(
    scenario: &Scenario,
    outcome: &[usize],
    obligated: &[Slug],
) -> Vec<ProvisionTerms> {
    scenario
        .domain
        .issues
        .iter()
        .zip(outcome)
        .map(|(issue, option)| ProvisionTerms {
            provision: issue.id.clone(),
            text: format!("{}: {}", issue.title, issue.options[*option]),
            obligated: obligated.to_vec(),
        })
        .collect()
}

/// Each party's utility of the outcome agreed.
fn agreed_utilities(prepared: &Prepared, players: &impl Players, outcome: &Outcome) -> Vec<f64> {
    let preferences = &prepared.preferences;
    let utilities: Vec<f64> = preferences
        .iter()
        .map(|prefs| prefs.utility(outcome))
        .collect();
    debug_assert!(
        players.any()
            || utilities
                .iter()
                .zip(preferences)
                .all(|(utility, prefs)| *utility >= prefs.reservation),
        "no built-in party accepts or offers below its reservation"
    );
    utilities
}

/// A player's move: accept the standing offer, or the offer it makes instead (checked to be
/// an outcome of the scenario).
fn player_move(
    player: &mut (dyn Player + '_),
    turn: &Turn<'_>,
    outcome_space: u64,
) -> Result<(bool, u32), SimError> {
    if let Some((_, standing)) = turn.standing
        && player.respond(turn, standing)?
    {
        return Ok((true, standing));
    }
    let offer = player.propose(turn)?;
    if u64::from(offer) >= outcome_space {
        return Err(SimError::Party(format!(
            "party {} offered outcome {offer}; the scenario has {outcome_space}",
            turn.party + 1
        )));
    }
    Ok((false, offer))
}

/// The relative time of round `round` of `deadline`: the strategies' `(round - 1) /
/// (deadline + 1)`, so an agreement in round 1 is not discounted at all.
pub fn relative_time(round: u32, deadline: u32) -> f64 {
    f64::from(round.saturating_sub(1)) / (f64::from(deadline) + 1.0)
}

/// Whether some outcome is worth every party's reservation value: what a run that did not
/// agree reports. One pass over the outcomes, paid only by runs that did not agree.
fn some_outcome_meets_every_reservation(prepared: &Prepared) -> bool {
    if let Some(possible) = prepared.agreement_possible {
        return possible;
    }
    let (preferences, rankings) = (&prepared.preferences, &prepared.rankings);
    let Some(first) = rankings.first() else {
        return false;
    };
    first.utilities.iter().enumerate().any(|(index, utility)| {
        *utility >= preferences[0].reservation
            && rankings
                .iter()
                .zip(preferences)
                .skip(1)
                .all(|(ranking, prefs)| ranking.utilities[index] >= prefs.reservation)
    })
}

/// The distances of an agreement on outcome `index` (worth `utilities`) to the Pareto
/// frontier and to the analysis's points. Without a yardstick made in advance (two parties
/// with preferences of their own), the frontier is made now, for a run that agreed only:
/// the points lie on it, so it is cheaper than a pass over every outcome for each.
fn measure(
    prepared: &Prepared,
    index: u32,
    utilities: &[f64],
    frontier_scratch: &mut FrontierScratch,
    late_yardstick: &mut Yardstick,
) -> Distances {
    if let Some(yardstick) = &prepared.yardstick {
        return yardstick.distances(utilities);
    }
    let (preferences, rankings) = (&prepared.preferences, &prepared.rankings);
    assert_eq!(rankings.len(), 2, "only two parties are measured late");
    let columns = [
        rankings[0].utilities.as_slice(),
        rankings[1].utilities.as_slice(),
    ];
    debug_assert_eq!(
        [columns[0][index as usize], columns[1][index as usize]],
        utilities
    );
    frontier_and_nash(
        preferences,
        &rankings[0],
        &columns,
        frontier_scratch,
        late_yardstick,
    );
    late_yardstick.distances(utilities)
}

/// Releases up to `wanted` persons `holder` holds of `of`, category by category. Returns how
/// many it freed.
fn release(
    recorder: &mut Recorder,
    holder: &Slug,
    of: &Slug,
    wanted: u64,
    under: Option<&Slug>,
) -> Result<u64, SimError> {
    let mut left = wanted;
    let mut freed = 0;
    for (category, held) in recorder.held(holder, of) {
        if left == 0 {
            break;
        }
        let count = held.min(left);
        recorder.record(EventData::ReleaseMade(ReleaseMade {
            by: holder.clone(),
            of: of.clone(),
            category,
            count: Count::Exact(count),
            agreement: under.map(|_| Slug::parse("agreement").expect("a valid slug")),
            provision: under.cloned(),
        }))?;
        left -= count;
        freed += count;
    }
    Ok(freed)
}

// ---- MOPAC: multiple offers, partial consensus ----

/// One offer of a MOPAC round: its proposer, its proposal, its outcome, and who voted for
/// it (its proposer first, then the voters in acting order).
struct RoundOffer {
    proposer: usize,
    proposal: Slug,
    outcome: u32,
    supporters: Vec<usize>,
    /// Every addressee voted for it: the reducer holds it `accepted`, no longer open.
    accepted_by_all: bool,
}

/// GeniusWeb's MOPAC, as accord events. Each round, every party still negotiating offers
/// (a `proposal.made` to the others still negotiating, superseding its offer of the round
/// before), then each votes for every other offer it would accept (its acceptance rule:
/// worth at least its own offer of the round, and its reservation; a vote is a
/// `proposal.accepted`). Then, while some offer's proposer and at least one voter are still
/// free, the offer with the most free supporters (the first offered of equals) binds them:
/// unless every addressee voted, its proposer narrows it to them (a `proposal.made` with
/// the same terms, to the supporters, superseding it) and they accept it; they sign an
/// `agreement.signed` naming it, with one provision per issue obligating them, withdraw
/// their other open offers, and leave. The others negotiate on while two remain, until the
/// deadline, when every open offer is withdrawn.
///
/// Each party's utility is that of the agreement binding it (discounted to the round of
/// that agreement), 0 for a party bound by none; the run's outcome is its first
/// agreement's. Distances to the frontier and its points are measured for an agreement of
/// every party only: a partial agreement is not a point of the whole outcome space.
fn play_mopac(
    scenario: &Scenario,
    prepared: &Prepared,
    targets: &[TargetTable],
    agent_seed: u64,
    recorder: &mut Recorder,
    terms: &mut TermsCache,
) -> Result<RunResult, SimError> {
    let parties = &scenario.parties;
    let count = parties.len();
    let mut agents = seat_the_agents(scenario, prepared, targets, agent_seed);
    let mut negotiating = vec![true; count];
    let mut open: Vec<Option<Slug>> = vec![None; count];
    let mut bound: Vec<Option<(u32, u32)>> = vec![None; count];
    let mut agreements: Vec<u32> = Vec::new();
    let mut outcome_scratch = Outcome::new();
    // Each round makes at most a proposal per party and a narrowed one per two parties.
    let most_proposals = u64::from(scenario.deadline) * (count as u64 + count as u64 / 2);
    let width = most_proposals.max(1).ilog10() as usize + 1;
    let mut proposals = 0u64;
    let mut next_id = || {
        proposals += 1;
        Slug::parse(&format!("offer-{proposals:0width$}")).expect("a valid slug")
    };
    let ids_of = |members: &[usize]| -> Vec<Slug> {
        members
            .iter()
            .map(|party| parties[*party].id.clone())
            .collect()
    };
    let someone_unsatisfiable = (0..count).any(|party| {
        prepared.rankings[party].best_utility() < prepared.preferences[party].reservation
    });
    let deadline = if someone_unsatisfiable {
        0
    } else {
        scenario.deadline
    };
    let mut last_round = 0;
    for round in 1..=deadline {
        let still: Vec<usize> = (0..count).filter(|party| negotiating[*party]).collect();
        if still.len() < 2 {
            break;
        }
        last_round = round;
        // Offers.
        let mut offers: Vec<RoundOffer> = Vec::new();
        for (place, party) in still.iter().enumerate() {
            recorder.tick();
            // Tit-for-tat answers the party offering before it in this round's order.
            let before = still[(place + still.len() - 1) % still.len()];
            let outcome = agents[*party].next_offer(round, scenario.deadline, Some(before));
            let proposal = next_id();
            let to: Vec<usize> = still
                .iter()
                .copied()
                .filter(|other| other != party)
                .collect();
            recorder.record(EventData::ProposalMade(ProposalMade {
                proposal: proposal.clone(),
                by: parties[*party].id.clone(),
                to: ids_of(&to).into(),
                terms: terms.terms_of(
                    scenario,
                    prepared.pool.as_deref(),
                    outcome,
                    &mut outcome_scratch,
                ),
                supersedes: open[*party].take(),
                counters: None,
            }))?;
            agents[*party].offered(outcome);
            for other in &to {
                agents[*other].observe(*party, outcome, round, scenario.deadline);
            }
            offers.push(RoundOffer {
                proposer: *party,
                proposal,
                outcome,
                supporters: vec![*party],
                accepted_by_all: false,
            });
        }
        // Votes.
        for voter in &still {
            recorder.tick();
            let own = offers
                .iter()
                .find(|offer| offer.proposer == *voter)
                .map(|offer| offer.outcome)
                .expect("every party still negotiating offered");
            for offer in offers.iter_mut().filter(|offer| offer.proposer != *voter) {
                if agents[*voter].accepts(offer.outcome, own) {
                    recorder.record(EventData::ProposalAccepted(ProposalAct {
                        proposal: offer.proposal.clone(),
                        by: parties[*voter].id.clone(),
                    }))?;
                    offer.supporters.push(*voter);
                }
            }
        }
        for offer in &mut offers {
            offer.accepted_by_all = offer.supporters.len() == still.len();
        }
        // Coalitions, the largest first.
        let mut free: Vec<bool> = negotiating.clone();
        loop {
            let best = offers
                .iter()
                .enumerate()
                .filter(|(_, offer)| free[offer.proposer])
                .map(|(index, offer)| {
                    (
                        index,
                        offer
                            .supporters
                            .iter()
                            .filter(|party| free[**party])
                            .count(),
                    )
                })
                .filter(|(_, supporters)| *supporters >= 2)
                .fold(
                    None,
                    |best: Option<(usize, usize)>, (index, supporters)| match best {
                        Some((_, most)) if most >= supporters => best,
                        _ => Some((index, supporters)),
                    },
                );
            let Some((chosen, _)) = best else {
                break;
            };
            let offer = &offers[chosen];
            let mut coalition: Vec<usize> = offer
                .supporters
                .iter()
                .copied()
                .filter(|party| free[*party])
                .collect();
            coalition.sort_unstable();
            recorder.tick();
            let signed = if offer.accepted_by_all && coalition.len() == still.len() {
                offer.proposal.clone()
            } else {
                let narrowed = next_id();
                let to: Vec<usize> = coalition
                    .iter()
                    .copied()
                    .filter(|party| *party != offer.proposer)
                    .collect();
                recorder.record(EventData::ProposalMade(ProposalMade {
                    proposal: narrowed.clone(),
                    by: parties[offer.proposer].id.clone(),
                    to: ids_of(&to).into(),
                    terms: terms.terms_of(
                        scenario,
                        prepared.pool.as_deref(),
                        offer.outcome,
                        &mut outcome_scratch,
                    ),
                    supersedes: (!offer.accepted_by_all).then(|| offer.proposal.clone()),
                    counters: None,
                }))?;
                for member in &to {
                    recorder.record(EventData::ProposalAccepted(ProposalAct {
                        proposal: narrowed.clone(),
                        by: parties[*member].id.clone(),
                    }))?;
                }
                narrowed
            };
            let outcome = prepared.outcome(scenario, offer.outcome);
            let signatories = ids_of(&coalition);
            agreements.push(offer.outcome);
            recorder.record(EventData::AgreementSigned(AgreementSigned {
                agreement: Slug::parse(&format!("agreement-{}", agreements.len()))
                    .expect("a valid slug"),
                title: format!(
                    "Agreement of {} among {}",
                    scenario.name,
                    signatories
                        .iter()
                        .map(Slug::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                signatories: signatories.clone(),
                witnesses: None,
                proposal: Some(signed),
                provisions: provisions_of(scenario, &outcome, &signatories),
            }))?;
            let chosen_proposer = offer.proposer;
            for member in &coalition {
                free[*member] = false;
                negotiating[*member] = false;
                bound[*member] = Some((offer.outcome, round));
                // A member's own offer of the round, still open, is withdrawn as it leaves.
                if let Some(own) = offers.iter().find(|own| own.proposer == *member)
                    && *member != chosen_proposer
                    && !own.accepted_by_all
                {
                    recorder.record(EventData::ProposalWithdrawn(ProposalAct {
                        proposal: own.proposal.clone(),
                        by: parties[*member].id.clone(),
                    }))?;
                }
            }
        }
        for offer in &offers {
            if negotiating[offer.proposer] {
                open[offer.proposer] = (!offer.accepted_by_all).then(|| offer.proposal.clone());
            }
        }
    }
    // The deadline: every offer still open is withdrawn by its proposer.
    if open.iter().any(Option::is_some) {
        recorder.tick();
    }
    for (party, proposal) in open.iter_mut().enumerate() {
        if let Some(proposal) = proposal.take() {
            recorder.record(EventData::ProposalWithdrawn(ProposalAct {
                proposal,
                by: parties[party].id.clone(),
            }))?;
        }
    }
    let utilities: Vec<f64> = (0..count)
        .map(|party| match bound[party] {
            Some((index, round)) => {
                let prefs = &prepared.preferences[party];
                let outcome = prepared.outcome(scenario, index);
                prefs.discounted(
                    prefs.utility(&outcome),
                    relative_time(round, scenario.deadline),
                )
            }
            None => 0.0,
        })
        .collect();
    let everyone = agreements.len() == 1 && bound.iter().all(Option::is_some);
    let distances = match (everyone, &prepared.yardstick) {
        (true, Some(yardstick)) => {
            let index = agreements[0];
            let outcome = prepared.outcome(scenario, index);
            let undiscounted: Vec<f64> = prepared
                .preferences
                .iter()
                .map(|prefs| prefs.utility(&outcome))
                .collect();
            yardstick.distances(&undiscounted)
        }
        _ => Distances::default(),
    };
    let agreed = !agreements.is_empty();
    let last_agreement = bound
        .iter()
        .filter_map(|entry| entry.map(|(_, round)| round))
        .max();
    Ok(RunResult {
        agreed,
        agreement_possible: agreed
            || (!someone_unsatisfiable && some_outcome_meets_every_reservation(prepared)),
        rounds: last_agreement.unwrap_or(last_round),
        outcome: agreements
            .first()
            .map(|index| prepared.outcome(scenario, *index)),
        utilities,
        released: 0,
        distances,
        log: recorder.lines.take(),
    })
}

#[cfg(test)]
mod tests {
    use super::{Prepared, measure};
    use crate::sim::analysis::ranking::Ranking;
    use crate::sim::analysis::yardstick::{FrontierScratch, Yardstick, frontier_and_nash};
    use crate::sim::domains::preferences::Preferences;
    use proptest::prelude::{ProptestConfig, prop, prop_assert_eq, prop_oneof, proptest};
    use proptest::strategy::Strategy as _;

    fn prepared(columns: [&[f64]; 2], reservations: [f64; 2], in_advance: bool) -> Prepared {
        let preferences: Vec<Preferences> = reservations
            .iter()
            .map(|reservation| Preferences {
                weights: vec![1.0],
                values: vec![vec![1.0]],
                reservation: *reservation,
                discount: None,
                written: Default::default(),
                rectangles: None,
            })
            .collect();
        let rankings: Vec<Ranking> = columns
            .iter()
            .map(|column| Ranking::from_utilities(column.to_vec()))
            .collect();
        let yardstick = in_advance.then(|| {
            let mut yardstick = Yardstick::default();
            frontier_and_nash(
                &preferences,
                &rankings[0],
                &columns,
                &mut FrontierScratch::default(),
                &mut yardstick,
            );
            yardstick
        });
        Prepared {
            preferences,
            rankings,
            yardstick,
            ..Prepared::default()
        }
    }

    fn utility() -> impl proptest::strategy::Strategy<Value = f64> {
        // Few levels make ties and dominated outcomes common.
        prop_oneof![
            (0u32..5).prop_map(|level| f64::from(level) / 4.0),
            0.0f64..1.0
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// An agreement measured late (after its run, against a frontier made then) is at the
        /// same distances, to the bit, as measured against a frontier made in advance.
        #[test]
        fn late_measures_equal_measures_made_in_advance(
            pairs in prop::collection::vec((utility(), utility()), 1..150),
            reservations in (prop_oneof![(0u32..3).prop_map(|level| f64::from(level) / 4.0), 0.0f64..1.0], 0.0f64..0.8),
        ) {
            let first: Vec<f64> = pairs.iter().map(|pair| pair.0).collect();
            let second: Vec<f64> = pairs.iter().map(|pair| pair.1).collect();
            let reservations = [reservations.0, reservations.1];
            let late = prepared([&first, &second], reservations, false);
            let in_advance = prepared([&first, &second], reservations, true);
            let (mut scratch, mut yardstick) = (FrontierScratch::default(), Yardstick::default());
            for index in 0..first.len() {
                let utilities = [first[index], second[index]];
                prop_assert_eq!(
                    measure(&late, index as u32, &utilities, &mut scratch, &mut yardstick),
                    measure(&in_advance, index as u32, &utilities, &mut scratch, &mut yardstick)
                );
            }
        }
    }
}
