//! The strategy a party plays, by name: what a scenario file or a command names, parsed and
//! checked before anything runs (how each plays is `protocol::agent` and `protocol::boa`).

/// A strategy name that is none of those accord plays.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "unknown strategy `{name}` (boulware, linear, conceder, hardliner, e=VALUE, tit_for_tat, \
     one of the baseline agents {agents}, or boa:BIDDING:MODEL:ACCEPTANCE)",
    agents = Baseline::NAMES.join(", ")
)]
pub struct UnknownStrategy {
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Strategy {
    /// Target utility `1 - t^(1/e)` at relative time `t`; `e = 0` never concedes.
    TimeDependent { e: f64 },
    /// Concedes, in its own utility, what the last offerer conceded in its last move.
    TitForTat,
    /// A bidding strategy, an opponent model and an acceptance condition (Baarslag et al.
    /// 2014): a baseline agent, or any recombination of their parts.
    Boa(Boa),
}

/// The agents published comparisons run against (docs/agents.md: each one's source and
/// where accord departs from it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Baseline {
    AgentK,
    HardHeaded,
    CuhkAgent,
    TheFawkes,
    AgentM,
    Atlas3,
    Caduceus,
    PonPokoAgent,
    AgreeableAgent2018,
    AgentGG,
    NiceTitForTat,
}

impl Baseline {
    pub const ALL: [Baseline; 11] = [
        Baseline::AgentK,
        Baseline::HardHeaded,
        Baseline::CuhkAgent,
        Baseline::TheFawkes,
        Baseline::AgentM,
        Baseline::Atlas3,
        Baseline::Caduceus,
        Baseline::PonPokoAgent,
        Baseline::AgreeableAgent2018,
        Baseline::AgentGG,
        Baseline::NiceTitForTat,
    ];

    /// The names a scenario or a command gives them (any letter case; `-` for `_`).
    pub const NAMES: [&'static str; 11] = [
        "agentk",
        "hardheaded",
        "cuhkagent",
        "thefawkes",
        "agentm",
        "atlas3",
        "caduceus",
        "ponpokoagent",
        "agreeableagent2018",
        "agentgg",
        "nice_tit_for_tat",
    ];

    pub fn name(self) -> &'static str {
        Baseline::NAMES[self as usize]
    }

    fn parse(text: &str) -> Option<Baseline> {
        let wanted = text.to_ascii_lowercase().replace('-', "_");
        let position = Baseline::NAMES.iter().position(|name| *name == wanted)?;
        Some(Baseline::ALL[position])
    }

    /// The opponent model the agent was published with.
    pub fn model(self) -> Model {
        match self {
            Baseline::AgentK | Baseline::PonPokoAgent => Model::None,
            Baseline::NiceTitForTat => Model::Bayesian,
            _ => Model::Frequency,
        }
    }

    /// The agent as its three parts.
    pub fn boa(self) -> Boa {
        Boa {
            bidding: Bidding::Agent(self),
            model: self.model(),
            acceptance: Acceptance::Agent(self),
        }
    }
}

/// A BOA agent's parts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Boa {
    pub bidding: Bidding,
    pub model: Model,
    pub acceptance: Acceptance,
}

/// How a party chooses the utility it asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bidding {
    /// Faratin, Sierra and Jennings' target `1 - t^(1/e)`.
    TimeDependent { e: f64 },
    /// A baseline agent's offering strategy.
    Agent(Baseline),
}

/// What a party learns of the others' preferences from their offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// Nothing: among outcomes worth its target, the party offers the nearest.
    None,
    /// The frequency model of HardHeaded (van Krimpen, Looije and Hajizadeh 2013).
    Frequency,
    /// The scalable Bayesian model of Hindriks and Tykhonov (2008).
    Bayesian,
}

/// When a party accepts the standing offer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Acceptance {
    /// Worth at least the offer it would make next.
    Next,
    /// From relative time `t` on, anything (above its reservation value).
    Time(f64),
    /// AC_next, or from relative time `t` on, worth at least the best offer received in
    /// the last stretch of time as long as what remains (Baarslag et al.'s AC_combi(MAX^W)).
    Combi(f64),
    /// A baseline agent's own condition.
    Agent(Baseline),
}

impl Strategy {
    /// `boulware` (e = 0.2), `linear` (1), `conceder` (2), `hardliner` (0), `e=VALUE` for any
    /// e >= 0, `tit_for_tat`, a baseline agent's name (`Baseline::NAMES`), or
    /// `boa:BIDDING:MODEL:ACCEPTANCE` where BIDDING is a time-dependent name or an agent's
    /// name, MODEL is `none`, `frequency` or `bayesian`, and ACCEPTANCE is `ac_next`,
    /// `ac_time=T`, `ac_combi=T` or an agent's name.
    pub fn parse(text: &str) -> Result<Strategy, UnknownStrategy> {
        let unknown = || UnknownStrategy {
            name: text.to_string(),
        };
        if text == "tit_for_tat" || text == "tit-for-tat" {
            return Ok(Strategy::TitForTat);
        }
        if let Some(agent) = Baseline::parse(text) {
            return Ok(Strategy::Boa(agent.boa()));
        }
        if let Some(parts) = text.strip_prefix("boa:") {
            let parts: Vec<&str> = parts.split(':').collect();
            let [bidding, model, acceptance] = parts[..] else {
                return Err(unknown());
            };
            let bidding = match Baseline::parse(bidding) {
                Some(agent) => Bidding::Agent(agent),
                None => Bidding::TimeDependent {
                    e: time_dependent_e(bidding).ok_or_else(unknown)?,
                },
            };
            let model = match model {
                "none" => Model::None,
                "frequency" => Model::Frequency,
                "bayesian" => Model::Bayesian,
                _ => return Err(unknown()),
            };
            let acceptance = parse_acceptance(acceptance).ok_or_else(unknown)?;
            return Ok(Strategy::Boa(Boa {
                bidding,
                model,
                acceptance,
            }));
        }
        let e = time_dependent_e(text).ok_or_else(unknown)?;
        Ok(Strategy::TimeDependent { e })
    }
}

/// The `e` of a time-dependent strategy's name.
fn time_dependent_e(text: &str) -> Option<f64> {
    match text {
        "boulware" => Some(0.2),
        "linear" => Some(1.0),
        "conceder" => Some(2.0),
        "hardliner" => Some(0.0),
        other => other
            .strip_prefix("e=")
            .and_then(|value| value.parse::<f64>().ok())
            .filter(|e| e.is_finite() && *e >= 0.0),
    }
}

fn parse_acceptance(text: &str) -> Option<Acceptance> {
    let time = |value: &str| {
        value
            .parse::<f64>()
            .ok()
            .filter(|t| (0.0..=1.0).contains(t))
    };
    if text == "ac_next" {
        return Some(Acceptance::Next);
    }
    if let Some(value) = text.strip_prefix("ac_time=") {
        return time(value).map(Acceptance::Time);
    }
    if let Some(value) = text.strip_prefix("ac_combi=") {
        return time(value).map(Acceptance::Combi);
    }
    Baseline::parse(text).map(Acceptance::Agent)
}

#[cfg(test)]
mod tests {
    use super::{Acceptance, Baseline, Bidding, Boa, Model, Strategy};

    #[test]
    fn names_parse_to_their_parts() {
        for agent in Baseline::ALL {
            assert_eq!(
                Strategy::parse(agent.name()),
                Ok(Strategy::Boa(agent.boa()))
            );
        }
        assert_eq!(
            Strategy::parse("HardHeaded"),
            Ok(Strategy::Boa(Baseline::HardHeaded.boa()))
        );
        assert_eq!(
            Strategy::parse("boa:boulware:bayesian:ac_combi=0.98"),
            Ok(Strategy::Boa(Boa {
                bidding: Bidding::TimeDependent { e: 0.2 },
                model: Model::Bayesian,
                acceptance: Acceptance::Combi(0.98),
            }))
        );
        assert_eq!(
            Strategy::parse("boa:agentk:frequency:ac_next"),
            Ok(Strategy::Boa(Boa {
                bidding: Bidding::Agent(Baseline::AgentK),
                model: Model::Frequency,
                acceptance: Acceptance::Next,
            }))
        );
        for wrong in [
            "boa:boulware:frequency",
            "boa:boulware:guess:ac_next",
            "boa:boulware:none:ac_time=2",
            "boa:nobody:none:ac_next",
            "agentq",
        ] {
            assert!(Strategy::parse(wrong).is_err(), "{wrong}");
        }
    }
}
