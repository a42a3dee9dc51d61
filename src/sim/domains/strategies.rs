//! The strategy a party plays, by name: what a scenario file or a command names, parsed and
//! checked before anything runs (how each plays is `protocol::agent`).

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
    pub fn parse(text: &str) -> Result<Strategy, String> {
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
                        return Err(format!(
                            "unknown strategy `{other}` (boulware, linear, conceder, hardliner, e=VALUE, tit_for_tat)"
                        ));
                    }
                }
            }
        };
        Ok(Strategy::TimeDependent { e })
    }
}
