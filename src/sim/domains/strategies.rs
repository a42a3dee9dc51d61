//! The strategy a party plays, by name: what a scenario file or a command names, parsed and
//! checked before anything runs (how each plays is `protocol::agent`).

/// A strategy name that is none of those accord plays.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("unknown strategy `{name}` (boulware, linear, conceder, hardliner, e=VALUE, tit_for_tat)")]
pub struct UnknownStrategy {
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Strategy {
    /// Target utility `1 - t^(1/e)` at relative time `t`; `e = 0` never concedes.
    TimeDependent { e: f64 },
    /// Concedes, in its own utility, what the last offerer conceded in its last move.
    TitForTat,
}

impl Strategy {
    /// `boulware` (e = 0.2), `linear` (1), `conceder` (2), `hardliner` (0), `e=VALUE` for any
    /// e >= 0, `tit_for_tat`.
    pub fn parse(text: &str) -> Result<Strategy, UnknownStrategy> {
        let e = match text {
            "boulware" => 0.2,
            "linear" => 1.0,
            "conceder" => 2.0,
            "hardliner" => 0.0,
            "tit_for_tat" | "tit-for-tat" => return Ok(Strategy::TitForTat),
            other => {
                let value = other
                    .strip_prefix("e=")
                    .and_then(|value| value.parse::<f64>().ok());
                match value {
                    Some(e) if e.is_finite() && e >= 0.0 => e,
                    _ => {
                        return Err(UnknownStrategy {
                            name: other.to_string(),
                        });
                    }
                }
            }
        };
        Ok(Strategy::TimeDependent { e })
    }
}
