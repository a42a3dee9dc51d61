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

#[cfg(test)]
mod tests {
    use super::printable;

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
