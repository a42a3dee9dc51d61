//! Fuzz target: any bytes as a log (read, envelope-checked, folded, rendered as state JSON)
//! and as drafts. Nothing may panic; every refusal must name a rule.

#![no_main]

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
    if let Err(error) = parse_drafts(bytes) {
        assert!(error.rule().is_some(), "{error}");
    }
});
