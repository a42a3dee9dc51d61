//! States by the names the datasets give them: ICEWS and ACLED name countries in words
//! ("Russian Federation", "Iran", "United States"), and the curated logs name states by
//! their ISO 3166-1 alpha-3 codes, so an import meets them on the same ids.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Names the datasets use that are not ISO's short names, nor ISO's name before its
/// qualifier ("Iran" of "Iran (Islamic Republic of)").
const OTHER_NAMES: &[(&str, &str)] = &[
    ("United States", "USA"),
    ("United Kingdom", "GBR"),
    ("Russia", "RUS"),
    ("Syria", "SYR"),
    ("North Korea", "PRK"),
    ("South Korea", "KOR"),
    ("Laos", "LAO"),
    ("Vietnam", "VNM"),
    ("Czech Republic", "CZE"),
    ("Macedonia", "MKD"),
    ("North Macedonia", "MKD"),
    ("Ivory Coast", "CIV"),
    ("Cote d'Ivoire", "CIV"),
    ("Democratic Republic of Congo", "COD"),
    ("Democratic Republic of the Congo", "COD"),
    ("Republic of Congo", "COG"),
    ("Republic of the Congo", "COG"),
    ("Occupied Palestinian Territory", "PSE"),
    ("Palestine", "PSE"),
    ("Taiwan", "TWN"),
    ("Tanzania", "TZA"),
    ("Burma", "MMR"),
    ("Myanmar", "MMR"),
    ("Cape Verde", "CPV"),
    ("Swaziland", "SWZ"),
    ("eSwatini", "SWZ"),
    ("Turkey", "TUR"),
    ("Turkiye", "TUR"),
    ("Bolivia", "BOL"),
    ("Venezuela", "VEN"),
    ("Moldova", "MDA"),
    ("Micronesia", "FSM"),
    ("Vatican City", "VAT"),
    ("East Timor", "TLS"),
    ("Timor-Leste", "TLS"),
    ("Brunei", "BRN"),
    ("Bahamas", "BHS"),
    ("Gambia", "GMB"),
];

/// A name reduced to its letters, lower case: how names are compared.
fn letters_of(name: &str) -> String {
    name.chars()
        .filter(|character| character.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn by_name() -> &'static HashMap<String, &'static str> {
    static BY_NAME: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    BY_NAME.get_or_init(|| {
        let mut names = HashMap::new();
        // "Iran (Islamic Republic of)", "Tanzania, United Republic of": the name before the
        // qualifier, where only one state has it ("Korea" is two).
        let mut shorts: HashMap<String, Option<&'static str>> = HashMap::new();
        for country in isocountry::CountryCode::iter() {
            let name = country.name();
            names.insert(letters_of(name), country.alpha3());
            if let Some(short) = name.split(['(', ',']).next() {
                shorts
                    .entry(letters_of(short))
                    .and_modify(|code| *code = None)
                    .or_insert(Some(country.alpha3()));
            }
        }
        for (short, code) in shorts {
            if let Some(code) = code {
                names.entry(short).or_insert(code);
            }
        }
        for (name, code) in OTHER_NAMES {
            names.insert(letters_of(name), code);
        }
        names
    })
}

/// The ISO 3166-1 alpha-3 code of the state a dataset names, if it names one.
pub fn state_by_name(name: &str) -> Option<&'static str> {
    let letters = letters_of(name);
    if letters.is_empty() {
        return None;
    }
    by_name().get(&letters).copied()
}

#[cfg(test)]
mod tests {
    use super::state_by_name;

    #[test]
    fn states_are_found_by_the_names_the_datasets_use() {
        for (name, code) in [
            ("Armenia", "ARM"),
            ("Azerbaijan", "AZE"),
            ("Russian Federation", "RUS"),
            ("Russia", "RUS"),
            ("Iran", "IRN"),
            ("United States", "USA"),
            ("France", "FRA"),
            ("Turkey", "TUR"),
            ("Occupied Palestinian Territory", "PSE"),
            ("korea, republic of", "KOR"),
        ] {
            assert_eq!(state_by_name(name), Some(code), "{name}");
        }
        assert_eq!(state_by_name("Nagorno-Karabakh"), None);
        assert_eq!(state_by_name(""), None);
    }
}
