//! Where a version-2 line's facts come from: its `sources` (what says so) and its `origin`
//! (the dataset record it was imported from, kept whole). Neither is folded into the state.

use serde::{Deserialize, Serialize};

use super::world_time::WorldTime;

/// The longest `origin.dataset`, in characters.
pub const MAX_DATASET_CHARS: usize = 64;
/// The longest `origin.id`, in characters.
pub const MAX_ORIGIN_ID_CHARS: usize = 256;

/// One source of a line: `cite` for people, and optionally where it is (`url`), when it was
/// published, and the words relied on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub cite: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<WorldTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

impl Source {
    /// A source that only cites.
    pub fn citing(cite: impl Into<String>) -> Source {
        Source {
            cite: cite.into(),
            url: None,
            published: None,
            quote: None,
        }
    }

    /// Whether it says no more than a version-1 `source` can: a non-empty citation alone.
    pub fn is_citation_only(&self) -> bool {
        self.url.is_none() && self.published.is_none() && self.quote.is_none()
    }
}

/// The upstream record a line was imported from: its dataset, its id there, and the record
/// as it was, so that nothing of the source is lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    pub dataset: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<RecordFields>,
}

/// An upstream record's fields, a JSON object kept as its bytes: key order, number
/// spellings and all are written back as they were read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordFields(Box<serde_json::value::RawValue>);

impl RecordFields {
    /// Fields from a JSON text already checked to be one (an object, for `origin`).
    pub fn from_raw(raw: Box<serde_json::value::RawValue>) -> RecordFields {
        RecordFields(raw)
    }

    /// The object's text, as read.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The object as a JSON value (for a reader that wants its fields).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.as_str()).unwrap_or(serde_json::Value::Null)
    }
}

impl PartialEq for RecordFields {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for RecordFields {}

/// Why `sources` or `origin` is refused (`envelope.shape`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProvenanceError {
    #[error("`sources` is a non-empty list; leave it out when there is none")]
    NoSources,
    #[error("source {index}: `cite` is text for people, and not empty")]
    EmptyCite { index: usize },
    #[error("`origin.dataset` is 1 to {MAX_DATASET_CHARS} characters")]
    Dataset,
    #[error("`origin.id` is 1 to {MAX_ORIGIN_ID_CHARS} characters")]
    OriginId,
    #[error("`origin.fields` is a JSON object")]
    FieldsNotAnObject,
}

/// The rules types alone do not say: a non-empty list, each `cite` non-empty (counted from
/// 1 in the message).
pub fn check_sources(sources: &[Source]) -> Result<(), ProvenanceError> {
    if sources.is_empty() {
        return Err(ProvenanceError::NoSources);
    }
    match sources
        .iter()
        .position(|source| source.cite.trim().is_empty())
    {
        Some(index) => Err(ProvenanceError::EmptyCite { index: index + 1 }),
        None => Ok(()),
    }
}

impl Origin {
    pub fn check(&self) -> Result<(), ProvenanceError> {
        let chars = |text: &str| text.chars().count();
        if !(1..=MAX_DATASET_CHARS).contains(&chars(&self.dataset)) {
            return Err(ProvenanceError::Dataset);
        }
        if !(1..=MAX_ORIGIN_ID_CHARS).contains(&chars(&self.id)) {
            return Err(ProvenanceError::OriginId);
        }
        if self
            .fields
            .as_ref()
            .is_some_and(|fields| !fields.as_str().starts_with('{'))
        {
            return Err(ProvenanceError::FieldsNotAnObject);
        }
        Ok(())
    }
}

/// What a version-1 `source` means in version 2 (upcasting): one source that cites it; an
/// empty one is no source.
pub fn upcast_source(source: Option<&str>) -> Option<Vec<Source>> {
    source
        .filter(|text| !text.is_empty())
        .map(|text| vec![Source::citing(text)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_read_and_write_back_as_written() {
        let text = r#"[{"cite":"Kremlin, Statement","url":"http://en.kremlin.ru/events/president/news/64384","published":"2020-11-10","quote":"a complete ceasefire"},{"cite":"Reuters"}]"#;
        let sources: Vec<Source> = serde_json::from_str(text).unwrap();
        assert_eq!(check_sources(&sources), Ok(()));
        assert_eq!(serde_json::to_string(&sources).unwrap(), text);
        assert_eq!(
            sources[0].published.as_ref().unwrap().as_str(),
            "2020-11-10"
        );
    }

    #[test]
    fn sources_and_origins_outside_the_rules_are_refused() {
        assert_eq!(check_sources(&[]), Err(ProvenanceError::NoSources));
        let blank: Vec<Source> = serde_json::from_str(r#"[{"cite":"a"},{"cite":" "}]"#).unwrap();
        assert_eq!(
            check_sources(&blank),
            Err(ProvenanceError::EmptyCite { index: 2 })
        );
        assert!(serde_json::from_str::<Vec<Source>>(r#"[{"cite":"a","page":3}]"#).is_err());
        assert!(
            serde_json::from_str::<Vec<Source>>(r#"[{"cite":"a","published":"2021-02-30"}]"#)
                .is_err()
        );
        let origin = |dataset: &str, id: &str| Origin {
            dataset: dataset.into(),
            id: id.into(),
            fields: None,
        };
        assert_eq!(origin("POLECAT", "20210506-1").check(), Ok(()));
        assert_eq!(origin("", "1").check(), Err(ProvenanceError::Dataset));
        assert_eq!(
            origin(&"d".repeat(65), "1").check(),
            Err(ProvenanceError::Dataset)
        );
        assert_eq!(
            origin("ACLED", &"9".repeat(257)).check(),
            Err(ProvenanceError::OriginId)
        );
        assert!(serde_json::from_str::<Origin>(r#"{"dataset":"a","id":"1","extra":1}"#).is_err());
        // Kept as written: key order (not sorted), number spellings, nesting.
        let written = r#"{"dataset":"ICEWS","id":"26581","fields":{"Story ID":26581,"CAMEO Code":"057","Intensity":8.0e0,"Actors":["a",{"b":null}]}}"#;
        let kept: Origin = serde_json::from_str(written).unwrap();
        assert_eq!(kept.check(), Ok(()));
        assert_eq!(serde_json::to_string(&kept).unwrap(), written);
        assert_eq!(
            kept.fields.as_ref().unwrap().to_value()["CAMEO Code"],
            "057"
        );
        let listed: Origin =
            serde_json::from_str(r#"{"dataset":"ICEWS","id":"1","fields":[1,2]}"#).unwrap();
        assert_eq!(listed.check(), Err(ProvenanceError::FieldsNotAnObject));
    }

    #[test]
    fn a_version_1_source_is_one_cited_source_and_an_empty_one_none() {
        assert_eq!(upcast_source(Some("")), None);
        assert_eq!(upcast_source(None), None);
        assert_eq!(
            upcast_source(Some("TASS"))
                .unwrap()
                .iter()
                .map(|source| source.cite.as_str())
                .collect::<Vec<_>>(),
            ["TASS"]
        );
    }
}
