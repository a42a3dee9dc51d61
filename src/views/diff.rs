//! Differences between two states, entity by entity.
//!
//! A state is seen as a map from entity keys to JSON documents: `party:ARM`, `issue:ID`,
//! `proposal:ID`, `agreement:ID` (with its provisions), and one row per holder and side of
//! the custody and release tables, `custody:HOLDER/OF` and `released:HOLDER/OF`; in format
//! version 2, `meeting:ID` and one per correction or retraction, `correction:TARGET/BY`. A change
//! gives an entity's document before and after (`null` where it does not exist); applying
//! the changes between A and B to the state at A gives the state at B.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::fold::state::State;

/// One entity that differs between two states.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntityChange {
    pub entity: String,
    pub before: Value,
    pub after: Value,
}

const TABLES: [(&str, &str); 5] = [
    ("agreements", "agreement"),
    ("issues", "issue"),
    ("meetings", "meeting"),
    ("parties", "party"),
    ("proposals", "proposal"),
];
/// The state's list of corrections, one entity each.
const CORRECTIONS: (&str, &str) = ("corrections", "correction");
const CUSTODY_TABLES: [(&str, &str); 2] = [("custody", "custody"), ("released", "released")];

/// The state as a map from entity keys to documents, in key order.
pub fn entity_views(state: &State) -> BTreeMap<String, Value> {
    let Value::Object(object) = serde_json::to_value(state).expect("a state serialises") else {
        unreachable!("a state serialises to an object");
    };
    let mut views = BTreeMap::new();
    for (table, kind) in TABLES {
        if let Some(Value::Object(entries)) = object.get(table) {
            for (id, entity) in entries {
                views.insert(format!("{kind}:{id}"), entity.clone());
            }
        }
    }
    for (table, kind) in CUSTODY_TABLES {
        if let Some(Value::Object(holders)) = object.get(table) {
            for (holder, sides) in holders {
                for (of, counts) in sides.as_object().into_iter().flatten() {
                    views.insert(format!("{kind}:{holder}/{of}"), counts.clone());
                }
            }
        }
    }
    let (_, kind) = CORRECTIONS;
    for note in &state.corrections {
        views.insert(
            format!("{kind}:{}/{}", note.target, note.by),
            serde_json::to_value(note).expect("a note serialises"),
        );
    }
    views
}

/// Why entity documents do not describe a state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewsError {
    #[error("`{0}` is not KIND:ID")]
    NotKindAndId(String),
    #[error("`{key}` is not {kind}:HOLDER/OF")]
    NotHolderAndOf { key: String, kind: String },
    #[error("unknown kind of entity `{0}`")]
    UnknownKind(String),
    /// The documents, put together, are not a state's JSON.
    #[error("{0}")]
    NotAState(String),
}

/// The state that a map of entity documents describes.
pub fn state_from_views(views: &BTreeMap<String, Value>) -> Result<State, ViewsError> {
    let mut object = Map::new();
    for (table, _) in TABLES.iter().chain(CUSTODY_TABLES.iter()) {
        object.insert((*table).to_string(), Value::Object(Map::new()));
    }
    let mut corrections: Vec<crate::fold::state::CorrectionNote> = Vec::new();
    for (key, document) in views {
        let (kind, id) = key
            .split_once(':')
            .ok_or_else(|| ViewsError::NotKindAndId(key.clone()))?;
        if kind == CORRECTIONS.1 {
            let note = serde_json::from_value(document.clone())
                .map_err(|error| ViewsError::NotAState(format!("{key}: {error}")))?;
            corrections.push(note);
        } else if let Some((table, _)) = TABLES.iter().find(|(_, name)| *name == kind) {
            object[*table][id] = document.clone();
        } else if let Some((table, _)) = CUSTODY_TABLES.iter().find(|(_, name)| *name == kind) {
            let (holder, of) = id
                .split_once('/')
                .ok_or_else(|| ViewsError::NotHolderAndOf {
                    key: key.clone(),
                    kind: kind.to_string(),
                })?;
            let holders = object[*table]
                .as_object_mut()
                .expect("made an object above");
            let sides = holders
                .entry(holder)
                .or_insert_with(|| Value::Object(Map::new()));
            sides[of] = document.clone();
        } else {
            return Err(ViewsError::UnknownKind(kind.to_string()));
        }
    }
    let mut state: State = serde_json::from_value(Value::Object(object))
        .map_err(|error| ViewsError::NotAState(error.to_string()))?;
    for note in corrections {
        state.note_correction(note);
    }
    Ok(state)
}

/// The entities that differ between two states, in key order.
pub fn diff(before: &State, after: &State) -> Vec<EntityChange> {
    let old = entity_views(before);
    let new = entity_views(after);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let before = old.get(key).cloned().unwrap_or(Value::Null);
            let after = new.get(key).cloned().unwrap_or(Value::Null);
            (before != after).then(|| EntityChange {
                entity: key.clone(),
                before,
                after,
            })
        })
        .collect()
}

/// The state at A with the changes from A to B applied: the state at B.
pub fn apply(state: &State, changes: &[EntityChange]) -> Result<State, ViewsError> {
    let mut views = entity_views(state);
    for change in changes {
        if change.after.is_null() {
            views.remove(&change.entity);
        } else {
            views.insert(change.entity.clone(), change.after.clone());
        }
    }
    state_from_views(&views)
}

#[cfg(test)]
mod version_2_tests {
    use super::*;

    // Post-mortem: meetings and corrections were not entities of the diff, so a diff across
    // the Karabakh log's corrections said "No entity changed".
    #[test]
    fn meetings_and_corrections_are_entities_and_the_changes_rebuild_the_state() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(root.join("tests/fixtures/valid/corrections-and-meetings.jsonl"))
            .unwrap();
        let (log, whole) = crate::fold::verify_log(&bytes).unwrap();
        let before = crate::fold::fold(&log.events[..5], None).unwrap();
        let changes = diff(&before.state, &whole.state);
        let keys: Vec<&str> = changes
            .iter()
            .map(|change| change.entity.as_str())
            .collect();
        for wanted in [
            "meeting:yerevan-1",
            "correction:4/7",
            "correction:4/10",
            "correction:5/8",
        ] {
            assert!(keys.contains(&wanted), "{wanted} in {keys:?}");
        }
        assert_eq!(apply(&before.state, &changes).unwrap(), whole.state);
    }
}
