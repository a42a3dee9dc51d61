//! Fuzz target: any bytes as a log (read, envelope-checked, folded, rendered as state JSON)
//! and as drafts. Nothing may panic; every refusal must name a rule; every line that parses
//! as an event is written again (by the hand-written writer) and reads back as that event.

#![no_main]

use accord::event::Event;
use accord::log::Log;
use accord::state::StateDocument;
use accord::store::parse_drafts;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match Log::verify(bytes) {
        Ok((log, folded)) => {
            let json = StateDocument::new(&folded, log.len(), log.head()).to_json();
            assert!(json.starts_with('{'));
        }
        Err(error) => assert!(!error.rule.name().is_empty() && error.line >= 1),
    }
    for line in bytes.split(|byte| *byte == b'\n') {
        if let Ok(event) = Event::parse_line(line) {
            let written = event.to_line();
            let again = Event::parse_line(written.as_bytes()).expect("a written line parses");
            assert_eq!(again, event);
            assert_eq!(again.to_line(), written);
        }
    }
    if let Err(error) = parse_drafts(bytes) {
        assert!(error.rule().is_some(), "{error}");
    }
});
