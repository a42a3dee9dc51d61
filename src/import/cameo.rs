//! The CAMEO to PLOVER conversion table (`data/CAMEO2PLOVER-2021.txt`, the PLOVER manual's,
//! read unchanged): the bridge from ICEWS's CAMEO codes to the PLOVER event types whose
//! mapping to accord `plover.rs` gives, so that both codings become the same events.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("data/CAMEO2PLOVER-2021.txt");

/// One CAMEO code as the table converts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversion {
    pub event: String,
    pub mode: Option<String>,
    /// CAMEO's description of the code.
    pub description: String,
}

/// The table, by CAMEO code. A code the table lists twice (`175`) keeps its first line.
pub fn table() -> &'static BTreeMap<String, Conversion> {
    static TABLE_BY_CODE: OnceLock<BTreeMap<String, Conversion>> = OnceLock::new();
    TABLE_BY_CODE.get_or_init(|| {
        let mut table = BTreeMap::new();
        for line in TABLE.lines() {
            let (body, description) = line.split_once('#').unwrap_or((line, ""));
            let Some((code, conversion)) = body.split_once(':') else {
                continue;
            };
            let code = code.trim();
            if code.is_empty() || !code.chars().all(|character| character.is_ascii_digit()) {
                continue;
            }
            let mut parts = conversion.split(',').map(str::trim);
            let event = parts.next().unwrap_or_default().to_string();
            if event.is_empty() {
                continue;
            }
            let mode = parts
                .next()
                .filter(|mode| !mode.is_empty())
                .map(str::to_string);
            table.entry(code.to_string()).or_insert(Conversion {
                event,
                mode,
                description: description.trim().to_string(),
            });
        }
        table
    })
}

/// The conversion of a CAMEO code as a file gives it. Some exports lose the leading zero
/// (`36` for `036`, `841` for `0841`): a code the table lacks is tried with one.
pub fn convert(code: &str) -> Option<&'static Conversion> {
    let code = code.trim();
    if code.is_empty() || !code.chars().all(|character| character.is_ascii_digit()) {
        return None;
    }
    let table = table();
    table.get(code).or_else(|| table.get(&format!("0{code}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads_every_coded_line() {
        let table = table();
        assert!(table.len() > 250, "{}", table.len());
        assert_eq!(convert("036").unwrap().event, "AGREE");
        assert_eq!(convert("0841").unwrap().mode.as_deref(), Some("release"));
        assert_eq!(convert("841"), convert("0841"));
        assert_eq!(convert("057").unwrap().description, "Sign formal agreement");
        assert_eq!(convert("04").unwrap().event, "CONSULT");
        assert!(convert("010").is_none(), "the table leaves CAMEO 01 out");
        assert!(convert("x").is_none());
    }
}
