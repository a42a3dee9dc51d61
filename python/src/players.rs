//! Strategies written in Python, playing in accord's simulator as `accord::sim::run::Player`s:
//! a Python object with `propose(state)` and `respond(offer)` chooses a party's moves, and the
//! simulator records and applies them as it does a built-in strategy's. Everything here runs
//! on the calling thread with the interpreter attached: a callback needs it.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

use accord::sim::SimError;
use accord::sim::domain::Domain;
use accord::sim::ranking::Ranking;
use accord::sim::run::{Player, PlayerList, Turn, relative_time};
use accord::sim::scenario::Scenario;

/// A scenario's issues and options, to turn an offer's dict into an outcome index and back.
struct OutcomeSpace {
    domain: Domain,
}

impl OutcomeSpace {
    fn of(scenario: &Scenario) -> OutcomeSpace {
        OutcomeSpace {
            domain: scenario.domain.clone(),
        }
    }

    /// `{issue id: option}` for outcome `index`.
    fn offer<'py>(&self, py: Python<'py>, index: u32) -> PyResult<Bound<'py, PyDict>> {
        let offer = PyDict::new(py);
        let outcome = self.domain.outcome(u64::from(index));
        for (issue, option) in self.domain.issues.iter().zip(outcome) {
            offer.set_item(issue.id.as_str(), issue.options[option].as_ref())?;
        }
        Ok(offer)
    }

    /// The outcome index of an offer: a mapping naming one option of every issue, and
    /// nothing else.
    fn index_of(&self, offer: &Bound<'_, PyAny>) -> PyResult<u32> {
        let issues = &self.domain.issues;
        let length = offer.len().map_err(|_| {
            PyTypeError::new_err(format!(
                "an offer is a dict of issue to option, not {}",
                type_name(offer)
            ))
        })?;
        if length != issues.len() {
            let ids: Vec<&str> = issues.iter().map(|issue| issue.id.as_str()).collect();
            return Err(PyValueError::new_err(format!(
                "an offer names one option of each of the {} issues ({}); this one names {length}",
                issues.len(),
                ids.join(", ")
            )));
        }
        let mut outcome = Vec::with_capacity(issues.len());
        for issue in issues {
            let id = issue.id.as_str();
            let value = offer.get_item(id).map_err(|_| {
                PyValueError::new_err(format!("the offer names no option of issue `{id}`"))
            })?;
            let text: String = value.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "issue `{id}`: an option is a str, not {}",
                    type_name(&value)
                ))
            })?;
            let position = issue
                .options
                .iter()
                .position(|option| option.as_ref() == text)
                .ok_or_else(|| {
                    let options: Vec<&str> = issue.options.iter().map(|o| o.as_ref()).collect();
                    PyValueError::new_err(format!(
                        "issue `{id}` has no option {text:?} (its options: {})",
                        options.join(", ")
                    ))
                })?;
            outcome.push(position);
        }
        // A simulated scenario has at most `MAX_ENUMERATED_OUTCOMES` outcomes.
        u32::try_from(self.domain.index_of(&outcome))
            .map_err(|_| PyValueError::new_err("outcome index past u32"))
    }
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |name| name.to_string())
}

/// What a Python strategy is shown of its negotiation: `propose(state)` is given it, and
/// `start(state)` (if the strategy has one) before the first move. It is one object for the
/// whole run, brought up to date before each call, so a strategy may keep it.
#[pyclass(module = "accord")]
pub struct Negotiation {
    /// This strategy's party.
    #[pyo3(get)]
    party: String,
    /// Every negotiating party, in acting order.
    #[pyo3(get)]
    parties: Py<PyTuple>,
    /// Issue id to its options, in the scenario's order.
    #[pyo3(get)]
    issues: Py<PyDict>,
    #[pyo3(get)]
    deadline: u32,
    /// From 1; 0 in `start`.
    #[pyo3(get)]
    round: u32,
    /// Relative time `(round - 1) / (deadline + 1)`, as the built-in strategies reckon it.
    #[pyo3(get)]
    time: f64,
    /// The standing offer (a dict of issue to option), or None.
    #[pyo3(get)]
    standing: Option<Py<PyDict>>,
    /// Who made the standing offer.
    #[pyo3(get)]
    standing_by: Option<String>,
    /// This party's last offer, or None.
    #[pyo3(get)]
    last_offer: Option<Py<PyDict>>,
    /// Every offer so far: dicts of `round`, `by` and `offer`.
    #[pyo3(get)]
    offers: Py<PyList>,
    /// This party's reservation value: the built-in strategies never offer or accept below
    /// it; the simulator does not stop a Python strategy from doing so.
    #[pyo3(get)]
    reservation: f64,
    /// GENIUS's discount factor, or None.
    #[pyo3(get)]
    discount: Option<f64>,
    /// The batch's seed and this run's number (from 1): what a strategy that draws random
    /// numbers seeds its generator with, so the run is reproducible.
    #[pyo3(get)]
    seed: u64,
    #[pyo3(get)]
    run: u64,
    space: Arc<OutcomeSpace>,
    ranking: Arc<Ranking>,
}

#[pymethods]
impl Negotiation {
    /// This party's utility of an offer (undiscounted), from its profile.
    fn utility(&self, offer: &Bound<'_, PyAny>) -> PyResult<f64> {
        let index = self.space.index_of(offer)?;
        Ok(self.ranking.utilities[index as usize])
    }

    /// This party's best offer (the lowest outcome among equals).
    fn best<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.space.offer(py, self.ranking.best())
    }

    /// The offer whose utility to this party is nearest `target`, ties to the better and
    /// then to the lowest outcome, among the offers worth at least `floor` (if no offer
    /// is, the best): what the built-in time-dependent strategies offer, with the target
    /// raised to the reservation value and `floor` the reservation value.
    #[pyo3(signature = (target, floor=None))]
    fn nearest<'py>(
        &self,
        py: Python<'py>,
        target: f64,
        floor: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        for (name, value) in [("target", Some(target)), ("floor", floor)] {
            if let Some(value) = value
                && !value.is_finite()
            {
                return Err(PyValueError::new_err(format!(
                    "{name}: a utility is a finite number, not {value}"
                )));
            }
        }
        let index = match floor {
            Some(floor) if floor > self.ranking.best_utility() => self.ranking.best(),
            Some(floor) => self.ranking.nearest(target, floor),
            None => self.ranking.nearest(target, f64::NEG_INFINITY),
        };
        self.space.offer(py, index)
    }

    fn __repr__(&self) -> String {
        format!(
            "Negotiation(party={:?}, run={}, round={} of {})",
            self.party, self.run, self.round, self.deadline
        )
    }
}

/// One party's Python strategy in one run.
pub struct PythonPlayer {
    strategy: Py<PyAny>,
    party: usize,
    /// Made at `start`.
    negotiation: Option<Py<Negotiation>>,
    space: Arc<OutcomeSpace>,
    parties: Vec<String>,
    seed: u64,
    run: u64,
    /// This party's ranking, cloned once per batch when every run shares preferences.
    rankings: Rc<RefCell<Vec<Option<Arc<Ranking>>>>>,
    shared_preferences: bool,
    /// The first exception a callback raised, for the caller to raise once the run stops.
    raised: Rc<RefCell<Option<PyErr>>>,
}

impl PythonPlayer {
    /// Keeps a callback's exception and stops the run.
    fn failed(&self, error: PyErr) -> SimError {
        let detail = format!(
            "the Python strategy of `{}` raised",
            self.parties[self.party]
        );
        self.raised.borrow_mut().get_or_insert(error);
        SimError::Party(detail)
    }

    fn negotiation(&self) -> &Py<Negotiation> {
        self.negotiation
            .as_ref()
            .expect("the simulator starts every player before its first move")
    }

    /// Brings the negotiation object up to this turn.
    fn update(&self, py: Python<'_>, turn: &Turn<'_>) -> PyResult<()> {
        let negotiation = self.negotiation().bind(py);
        // Python code never holds this borrow across a call of ours; if it ever did, the
        // run fails with an exception rather than a panic.
        let mut state = negotiation.try_borrow_mut()?;
        state.round = turn.round;
        state.time = relative_time(turn.round, turn.deadline);
        let (standing, standing_by) = match turn.standing {
            Some((by, outcome)) => (
                Some(self.space.offer(py, outcome)?.unbind()),
                Some(self.parties[by].clone()),
            ),
            None => (None, None),
        };
        state.standing = standing;
        state.standing_by = standing_by;
        Ok(())
    }
}

impl Player for PythonPlayer {
    fn start(&mut self, turn: &Turn<'_>) -> Result<(), SimError> {
        Python::attach(|py| {
            let ranking = {
                let mut kept = self.rankings.borrow_mut();
                let slot = &mut kept[self.party];
                match slot {
                    Some(ranking) if self.shared_preferences => ranking.clone(),
                    _ => slot.insert(Arc::new(turn.ranking.clone())).clone(),
                }
            };
            let issues = PyDict::new(py);
            for issue in &self.space.domain.issues {
                let options = issue.options.iter().map(|option| option.as_ref());
                issues.set_item(issue.id.as_str(), PyTuple::new(py, options)?)?;
            }
            let negotiation = Py::new(
                py,
                Negotiation {
                    party: self.parties[self.party].clone(),
                    parties: PyTuple::new(py, &self.parties)?.unbind(),
                    issues: issues.unbind(),
                    deadline: turn.deadline,
                    round: 0,
                    time: 0.0,
                    standing: None,
                    standing_by: None,
                    last_offer: None,
                    offers: PyList::empty(py).unbind(),
                    reservation: turn.preferences.reservation,
                    discount: turn.preferences.discount,
                    seed: self.seed,
                    run: self.run + 1,
                    space: self.space.clone(),
                    ranking,
                },
            )?;
            self.negotiation = Some(negotiation.clone_ref(py));
            let strategy = self.strategy.bind(py);
            if strategy.hasattr("start")? {
                strategy.call_method1("start", (negotiation,))?;
            }
            Ok(())
        })
        .map_err(|error| self.failed(error))
    }

    fn respond(&mut self, turn: &Turn<'_>, _standing: u32) -> Result<bool, SimError> {
        Python::attach(|py| {
            self.update(py, turn)?;
            let offer = self
                .negotiation()
                .try_borrow(py)?
                .standing
                .as_ref()
                .map(|offer| offer.clone_ref(py));
            self.strategy
                .bind(py)
                .call_method1("respond", (offer,))?
                .is_truthy()
        })
        .map_err(|error| self.failed(error))
    }

    fn propose(&mut self, turn: &Turn<'_>) -> Result<u32, SimError> {
        Python::attach(|py| {
            self.update(py, turn)?;
            let offer = self
                .strategy
                .bind(py)
                .call_method1("propose", (self.negotiation().clone_ref(py),))?;
            self.space.index_of(&offer).map_err(|error| {
                let message = format!(
                    "propose of `{}` in round {}: {}",
                    self.parties[self.party],
                    turn.round,
                    error.value(py)
                );
                if error.is_instance_of::<PyTypeError>(py) {
                    PyTypeError::new_err(message)
                } else {
                    PyValueError::new_err(message)
                }
            })
        })
        .map_err(|error| self.failed(error))
    }

    fn offered(&mut self, by: usize, outcome: u32, round: u32) -> Result<(), SimError> {
        Python::attach(|py| {
            let offer = self.space.offer(py, outcome)?;
            let entry = PyDict::new(py);
            entry.set_item("round", round)?;
            entry.set_item("by", &self.parties[by])?;
            entry.set_item("offer", &offer)?;
            let negotiation = self.negotiation().bind(py);
            let mut state = negotiation.try_borrow_mut()?;
            state.offers.bind(py).append(entry)?;
            if by == self.party {
                state.last_offer = Some(offer.unbind());
            }
            Ok(())
        })
        .map_err(|error| self.failed(error))
    }
}

/// The players of a batch: party id to a strategy class (a new instance each run) or object
/// (the same one every run).
pub struct PlayerFactory {
    by_party: Vec<Option<Py<PyAny>>>,
    space: Arc<OutcomeSpace>,
    parties: Vec<String>,
    seed: u64,
    shared_preferences: bool,
    rankings: Rc<RefCell<Vec<Option<Arc<Ranking>>>>>,
    pub raised: Rc<RefCell<Option<PyErr>>>,
}

impl PlayerFactory {
    pub fn new(
        scenario: &Scenario,
        seed: u64,
        players: &Bound<'_, PyDict>,
    ) -> PyResult<PlayerFactory> {
        let parties: Vec<String> = scenario
            .parties
            .iter()
            .map(|party| party.id.to_string())
            .collect();
        let mut by_party: Vec<Option<Py<PyAny>>> = (0..parties.len()).map(|_| None).collect();
        for (key, strategy) in players.iter() {
            let id: String = key
                .extract()
                .map_err(|_| PyTypeError::new_err("players maps a party id (str) to a strategy"))?;
            let position = parties.iter().position(|party| *party == id).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "players names `{id}`, which is not a negotiating party of the scenario ({})",
                    parties.join(", ")
                ))
            })?;
            for method in ["propose", "respond"] {
                if !strategy.hasattr(method)? {
                    return Err(PyTypeError::new_err(format!(
                        "the strategy of `{id}` has no `{method}` method"
                    )));
                }
            }
            by_party[position] = Some(strategy.unbind());
        }
        Ok(PlayerFactory::of_roles(
            scenario,
            seed,
            by_party,
            Rc::new(RefCell::new(None)),
        ))
    }

    /// The players of a batch whose roles are given one by one (`None`: a built-in
    /// strategy's), their exceptions kept in `raised`.
    pub fn of_roles(
        scenario: &Scenario,
        seed: u64,
        by_party: Vec<Option<Py<PyAny>>>,
        raised: Rc<RefCell<Option<PyErr>>>,
    ) -> PlayerFactory {
        let parties: Vec<String> = scenario
            .parties
            .iter()
            .map(|party| party.id.to_string())
            .collect();
        debug_assert_eq!(by_party.len(), parties.len());
        PlayerFactory {
            by_party,
            space: Arc::new(OutcomeSpace::of(scenario)),
            seed,
            shared_preferences: !scenario.has_random_preferences(),
            rankings: Rc::new(RefCell::new(vec![None; parties.len()])),
            parties,
            raised,
        }
    }

    /// The players of run `index`: a class is instantiated afresh for each run.
    pub fn players_of_run(&self, index: u64) -> Result<PlayerList<'static>, SimError> {
        Python::attach(|py| {
            self.by_party
                .iter()
                .enumerate()
                .map(|(party, strategy)| {
                    let Some(strategy) = strategy else {
                        return Ok(None);
                    };
                    let strategy = strategy.bind(py);
                    let strategy = if strategy.is_instance_of::<PyType>() {
                        strategy.call0()?
                    } else {
                        strategy.clone()
                    };
                    let player: Box<dyn Player> = Box::new(PythonPlayer {
                        strategy: strategy.unbind(),
                        party,
                        negotiation: None,
                        space: self.space.clone(),
                        parties: self.parties.clone(),
                        seed: self.seed,
                        run: index,
                        rankings: self.rankings.clone(),
                        shared_preferences: self.shared_preferences,
                        raised: self.raised.clone(),
                    });
                    Ok(Some(player))
                })
                .collect::<PyResult<Vec<_>>>()
        })
        .map_err(|error: PyErr| {
            let detail = "a strategy class raised when made".to_string();
            self.raised.borrow_mut().get_or_insert(error);
            SimError::Party(detail)
        })
    }

    /// The exception a strategy raised, if one did.
    pub fn take_raised(&self) -> Option<PyErr> {
        self.raised.borrow_mut().take()
    }
}

/// A tournament's strategies written in Python (`tournament::OutsideStrategies`): per
/// strategy index, its class, or `None` for a built-in strategy's name.
pub struct TournamentPlayers {
    classes: Vec<Option<Py<PyAny>>>,
    scenarios: Vec<Scenario>,
    seed: u64,
    /// The players of the assignment being played, kept from run to run.
    current: Option<((usize, Vec<usize>), PlayerFactory)>,
    pub raised: Rc<RefCell<Option<PyErr>>>,
}

impl TournamentPlayers {
    pub fn new(classes: Vec<Option<Py<PyAny>>>, scenarios: Vec<Scenario>, seed: u64) -> Self {
        TournamentPlayers {
            classes,
            scenarios,
            seed,
            current: None,
            raised: Rc::new(RefCell::new(None)),
        }
    }

    /// The exception a strategy raised, if one did.
    pub fn take_raised(&self) -> Option<PyErr> {
        self.raised.borrow_mut().take()
    }
}

impl accord::sim::tournament::OutsideStrategies for TournamentPlayers {
    fn plays(&self, strategy: usize) -> bool {
        self.classes.get(strategy).is_some_and(Option::is_some)
    }

    fn players_of_run(
        &mut self,
        domain: usize,
        assignment: &[usize],
        run: u64,
    ) -> Result<PlayerList<'static>, SimError> {
        let current =
            matches!(&self.current, Some((key, _)) if key.0 == domain && key.1 == assignment);
        if !current {
            let by_party = Python::attach(|py| {
                assignment
                    .iter()
                    .map(|strategy| {
                        self.classes[*strategy]
                            .as_ref()
                            .map(|class| class.clone_ref(py))
                    })
                    .collect()
            });
            let factory = PlayerFactory::of_roles(
                &self.scenarios[domain],
                self.seed,
                by_party,
                self.raised.clone(),
            );
            self.current = Some(((domain, assignment.to_vec()), factory));
        }
        match &self.current {
            Some((_, factory)) => factory.players_of_run(run),
            None => Err(SimError::Party("no players were made".into())),
        }
    }
}
