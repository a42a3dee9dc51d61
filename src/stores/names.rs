//! What a LOG argument names (a file, or a database by URL or key-value connection string),
//! and a database named without its password.

/// The keys a libpq key-value connection string (`host=db user=ana dbname=logs`) is made of.
const CONNECTION_KEYS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "options",
    "sslmode",
    "connect_timeout",
    "application_name",
];

/// Whether a LOG argument names a database: a `postgres://` or `postgresql://` URL, or a
/// libpq key-value connection string (every word `KEY=VALUE`, with a known key).
pub fn is_database_target(text: &str) -> bool {
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return true;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    !words.is_empty()
        && text.contains('=')
        && words
            .iter()
            .all(|word| word.contains('=') || word.starts_with('\''))
        && words.iter().any(|word| {
            word.split_once('=')
                .is_some_and(|(key, _)| CONNECTION_KEYS.contains(&key))
        })
}

/// A database's name without its password, to name it in messages, in every form a
/// connection string may carry one: `postgres://USER:PASSWORD@...`, a `password=` query
/// parameter of a URL, and a `password=` key of a key-value string (quoted or not). Both
/// builds, with and without the PostgreSQL store, show connection strings so.
pub fn shown_url(url: &str) -> String {
    let mut shown = url.to_string();
    // USER:PASSWORD@ of a URL.
    if let Some(scheme_end) = shown.find("://") {
        let authority_end = shown[scheme_end + 3..]
            .find(['/', '?'])
            .map_or(shown.len(), |end| scheme_end + 3 + end);
        if let Some(at) = shown[..authority_end].rfind('@')
            && at > scheme_end
            && let Some(colon) = shown[scheme_end + 3..at].find(':')
        {
            shown.replace_range(scheme_end + 3 + colon + 1..at, "***");
        }
    }
    // password=VALUE, in a query string (ended by & or #) or a key-value string (ended by
    // a space, or a closing quote).
    let mut from = 0;
    while let Some(found) = shown[from..].to_ascii_lowercase().find("password=") {
        let start = from + found + "password=".len();
        let boundary = start == "password=".len()
            || matches!(
                shown.as_bytes()[start - "password=".len() - 1],
                b'?' | b'&' | b' ' | b'\t'
            );
        if !boundary {
            from = start;
            continue;
        }
        let rest = &shown[start..];
        let length = if let Some(quoted) = rest.strip_prefix('\'') {
            let mut end = 0;
            let mut escaped = false;
            for (index, character) in quoted.char_indices() {
                if escaped {
                    escaped = false;
                } else if character == '\\' {
                    escaped = true;
                } else if character == '\'' {
                    end = index + 1;
                    break;
                }
                end = index + character.len_utf8();
            }
            end + 1
        } else {
            rest.find(['&', '#', ' ', '\t']).unwrap_or(rest.len())
        };
        shown.replace_range(start..start + length, "***");
        from = start + 3;
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::shown_url;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            shown_url("postgres://ana:secret@db.example:5432/logs"),
            "postgres://ana:***@db.example:5432/logs"
        );
        assert_eq!(
            shown_url("postgres://ana@db.example/logs"),
            "postgres://ana@db.example/logs"
        );
        assert_eq!(
            shown_url("postgres://localhost/logs"),
            "postgres://localhost/logs"
        );
        // Post-mortem: a password given as a query parameter, or in a key-value string,
        // was shown whole in errors and in copy's report.
        assert_eq!(
            shown_url("postgres://ana@host/db?password=secret&sslmode=disable"),
            "postgres://ana@host/db?password=***&sslmode=disable"
        );
        assert_eq!(
            shown_url("postgresql://ana:s3cr@t@host/db"),
            "postgresql://ana:***@host/db"
        );
        assert_eq!(
            shown_url("host=db user=ana password=secret dbname=logs"),
            "host=db user=ana password=*** dbname=logs"
        );
        assert_eq!(
            shown_url("host=db password='with space' dbname=logs"),
            "host=db password=*** dbname=logs"
        );
        assert_eq!(shown_url("password=secret"), "password=***");
        assert!(super::is_database_target(
            "host=db user=ana password=secret"
        ));
        assert!(super::is_database_target("postgresql://db/logs"));
        assert!(!super::is_database_target("events/karabakh.jsonl"));
        assert!(!super::is_database_target("my=log.jsonl"));
    }
}
