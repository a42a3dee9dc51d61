//! Fuzz target for the reducer: the input's lines are taken as envelopes and re-sealed
//! (`seq` and `prev` set as a writer would) before the log is read and folded, so that
//! mutations reach the domain rules instead of stopping at the hash chain.

#![no_main]

use accord::ids::Hash;
use accord::log::Log;
use accord::state::StateDocument;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|bytes: &[u8]| {
    let mut sealed = Vec::with_capacity(bytes.len() + 128);
    let mut prev = Hash::ZERO;
    for (index, line) in bytes.split(|byte| *byte == b'\n').enumerate() {
        let line = match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(mut object)) => {
                object.insert("seq".into(), Value::from(index as u64 + 1));
                object.insert("prev".into(), Value::from(prev.to_string()));
                serde_json::to_vec(&object).unwrap()
            }
            _ => line.to_vec(),
        };
        prev = Hash::of(&line);
        sealed.extend_from_slice(&line);
        sealed.push(b'\n');
    }
    match Log::verify(&sealed) {
        Ok((log, folded)) => {
            let json = StateDocument::new(&folded, log.len(), log.head()).to_json();
            assert!(json.starts_with('{'));
        }
        Err(error) => assert!(!error.rule.name().is_empty() && error.line >= 1),
    }
});
