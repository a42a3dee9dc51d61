//! Text from a log on its way to a person's terminal.
//!
//! Names, titles, statements and sources are whatever the author of a log typed, and a log
//! may come from anyone. Printed raw, an escape sequence in a title could clear the screen,
//! rewrite a line already shown or set the window's title, and a bidirectional override could
//! make `ARM` read as `MRA`. Everything from a log passes through `printable` before it is
//! shown to people; JSON output needs nothing, since JSON escapes control characters itself
//! and machines do not render bidirectional text.

use std::borrow::Cow;

/// Whether a character would act on the terminal or on the display order of the text
/// around it instead of being shown: control characters (C0, DEL, C1, ESC among them), the
/// bidirectional embeddings, overrides, isolates and marks, and the line and paragraph
/// separators that some terminals break lines on.
pub fn is_unsafe_for_terminals(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` with every character `is_unsafe_for_terminals` names written visibly, Rust-style
/// (`\u{1b}`, `\u{202e}`, `\n`, `\t`), so what is shown is what the log holds, on one line.
/// Borrowed when there is nothing to escape, which is nearly always.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_for_terminals) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        if is_unsafe_for_terminals(character) {
            shown.extend(character.escape_default());
        } else {
            shown.push(character);
        }
    }
    Cow::Owned(shown)
}

/// A whole number for people, its thousands grouped: `27,407`.
pub fn grouped(number: u128) -> String {
    let digits = number.to_string();
    let mut shown = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            shown.push(',');
        }
        shown.push(digit);
    }
    shown
}

/// A count and its noun, in the singular for one: `1 event`, `27,407 events`.
pub fn counted(count: u64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", grouped(u128::from(count)))
    }
}

#[cfg(test)]
mod tests {
    use super::{counted, grouped, printable};

    #[test]
    fn numbers_read_well() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(27_407), "27,407");
        assert_eq!(
            grouped(1_000_000_000_000_000_000_000_000_000_000),
            "1,000,000,000,000,000,000,000,000,000,000"
        );
        assert_eq!(counted(1, "event", "events"), "1 event");
        assert_eq!(counted(0, "event", "events"), "0 events");
        assert_eq!(counted(1_234, "run", "runs"), "1,234 runs");
    }

    #[test]
    fn controls_escapes_and_overrides_are_made_visible() {
        assert_eq!(printable("Armenia"), "Armenia");
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("\u{202e}MRA"), "\\u{202e}MRA");
        assert_eq!(printable("line\nnext\ttab\r"), "line\\nnext\\ttab\\r");
        assert_eq!(printable("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(printable("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        // Accents, scripts and typographic quotes are text, not controls.
        assert_eq!(
            printable("Ərdoğan «Шуша» “Ադրբեջան”"),
            "Ərdoğan «Шуша» “Ադրբեջան”"
        );
    }
}
