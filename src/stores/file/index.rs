//! The entity index: every entity's history, kept beside a log file (`LOG.index`) so that
//! `history` and the state of one entity answer by reading that entity's entries and the
//! lines they name, not by folding the whole log.
//!
//! The file, in order:
//!
//! - `MAGIC`;
//! - the line table: for each line of the log, in seq order, where it starts (8 bytes,
//!   little-endian), its length with its newline (4 bytes) and the first 16 bytes of its
//!   SHA-256: `LINE_RECORD_BYTES` a line, so line N's record is found without a search;
//! - one block per entity, sorted by its name (`party:ARM`): a JSON document with the
//!   entity, its entries and its view in the state of the whole log (`final`);
//! - the directory, in pages of at most `ENTITIES_PER_PAGE` entities: each a JSON list of
//!   `[name, offset, length, sha256]` of the blocks, sorted;
//! - the header line: where the index stands in the log (the seq, head and byte range of
//!   the last line, as a snapshot's header says it) and the table of pages (first name,
//!   offset, length, SHA-256), wrapped with the SHA-256 of its own bytes;
//! - the trailer: the header's offset in 20 digits between newlines.
//!
//! An entry is `[seq, before, after]`, or `[seq, before, after, told]` for a line told as
//! written (`{"changed_by", "retracted", "refused"?}`) or a correction of it (`{"last_word",
//! "refused"?}`). Views are kept as patches (see `patch_between`): `before` from the
//! entity's previous view (`null` for the first entry), `after` from `before`, `null` where
//! nothing changed, so that an entry whose event does not change the entity costs a few
//! bytes whatever the entity's size.
//!
//! **The index is a cache, never a source of truth.** It is believed only when its header's
//! checksum holds, the log is exactly as long as the index says and its last line still
//! hashes to the head the index names; then each page and block it reads must match the
//! checksum above it, and each line it reads must hash to what the line table recorded and
//! carry the seq asked for. Anything else and the question is answered from the log, as if
//! there were no index. Like a snapshot's, its checksums catch a damaged or stale cache, not
//! a forger who recomputes them: only `verify` settles that.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::files::output::{OutputFile, OutputPath};
use crate::format::event::Event;
use crate::format::ids::Hash;
use crate::replay::Seen;
use crate::stores::error::StoreError;
use crate::stores::file::store::FileStore;
use crate::views::history::{EntityRef, HistoryEntry, Told};

/// The first bytes of an index file (its format is in the name).
const MAGIC: &[u8] = b"accord entity index 1\n";

/// Bytes of one line's record in the line table.
const LINE_RECORD_BYTES: u64 = 28;

/// Entities in one page of the directory: a page is read and checked whole to find one.
const ENTITIES_PER_PAGE: usize = 1024;

/// The trailer: the header's offset, 20 digits, between newlines.
const TRAILER_BYTES: u64 = 22;

/// The longest header read (its table of pages grows by one row per 1,024 entities).
const MAX_HEADER_BYTES: u64 = 64 << 20;

/// Where an index stands in its log, and where its parts are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexHeader {
    /// The log's lines: the index holds the histories of all of them.
    pub seq: u64,
    /// The hash of line `seq` (zero for an empty log).
    pub head: Hash,
    /// Where line `seq` starts, and the log's length just past it: the log's whole length.
    pub line_start: u64,
    pub end_offset: u64,
    /// Entities named by the log's events.
    pub entities: u64,
    /// Entries in all their histories.
    pub entries: u64,
    /// The directory's pages, in order of their first entity's name.
    pub pages: Vec<PageRow>,
}

/// One page of the directory, as the header names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRow(pub String, pub u64, pub u64, pub Hash);

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderLine {
    header: Box<serde_json::value::RawValue>,
    header_sha256: Hash,
}

/// One entity's block.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Block {
    entity: String,
    #[serde(rename = "final")]
    final_view: Value,
    entries: Vec<Value>,
}

/// Why an index is not believed: the question is then answered from the log.
#[derive(Debug, thiserror::Error)]
pub enum IndexProblem {
    #[error("there is no index")]
    Absent,
    #[error("it cannot be read: {0}")]
    Unreadable(#[from] io::Error),
    #[error("it is not an entity index of this format")]
    NotAnIndex,
    #[error("its {0} does not match its checksum")]
    Checksum(&'static str),
    #[error("its {0} is not what an index holds ({1})")]
    Malformed(&'static str, String),
    #[error(
        "it describes {indexed} lines ending at byte {end_offset}, and the log is {length} bytes long"
    )]
    OtherLength {
        indexed: u64,
        end_offset: u64,
        length: u64,
    },
    #[error("line {seq} of the log no longer hashes to the head it names")]
    OtherHead { seq: u64 },
    #[error("line {seq} of the log is not the line it recorded")]
    OtherLine { seq: u64 },
}

impl FileStore {
    /// Where the entity index is kept: `LOG.index`.
    pub fn index_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".index");
        PathBuf::from(name)
    }
}

/// What writing an index made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSummary {
    pub path: PathBuf,
    pub seq: u64,
    pub head: Hash,
    pub entities: u64,
    pub entries: u64,
    pub bytes: u64,
}

/// An entity's entries as the index build gathers them.
#[derive(Default)]
struct Gathered {
    /// The entries' JSON, comma-separated.
    entries: Vec<u8>,
    count: u64,
    /// The view the next entry's `before` is a patch from.
    last_view: Value,
}

/// The JSON a `Told` adds to an entry, if any.
fn told_json(told: &Told) -> Option<Value> {
    match told {
        Told::Applied => None,
        Told::AsWritten {
            changed_by,
            retracted,
            refused,
        } => {
            let mut object = json!({"changed_by": changed_by, "retracted": retracted});
            if let Some(refused) = refused {
                object["refused"] = json!(refused);
            }
            Some(object)
        }
        Told::Correction { last_word, refused } => {
            let mut object = json!({"last_word": last_word});
            if let Some(refused) = refused {
                object["refused"] = json!(refused);
            }
            Some(object)
        }
    }
}

fn told_from_json(value: Option<&Value>) -> Option<Told> {
    let Some(value) = value else {
        return Some(Told::Applied);
    };
    let object = value.as_object()?;
    let refused = match object.get("refused") {
        None => None,
        Some(text) => Some(text.as_str()?.to_string()),
    };
    if let Some(changed_by) = object.get("changed_by") {
        return Some(Told::AsWritten {
            changed_by: changed_by.as_u64()?,
            retracted: object.get("retracted")?.as_bool()?,
            refused,
        });
    }
    Some(Told::Correction {
        last_word: object.get("last_word")?.as_bool()?,
        refused,
    })
}

/// The patch that turns `from` into `to`, or `None` when they are equal: `{"v": VALUE}`
/// replaces the value; `{"o": {KEY: PATCH, ...}, "d": [KEY, ...]}` edits an object (the
/// keys patched, the keys removed), so that a party whose custody changed in one cell is
/// kept as that cell, not as the party.
pub fn patch_between(from: &Value, to: &Value) -> Option<Value> {
    if from == to {
        return None;
    }
    let (Value::Object(old), Value::Object(new)) = (from, to) else {
        return Some(json!({"v": to}));
    };
    let mut edited = serde_json::Map::new();
    for (key, value) in new {
        let patch = match old.get(key) {
            Some(old_value) => patch_between(old_value, value),
            None => Some(json!({"v": value})),
        };
        if let Some(patch) = patch {
            edited.insert(key.clone(), patch);
        }
    }
    let removed: Vec<&String> = old.keys().filter(|key| !new.contains_key(*key)).collect();
    let mut patch = json!({"o": edited});
    if !removed.is_empty() {
        patch["d"] = json!(removed);
    }
    Some(patch)
}

/// `from` with `patch` (from `patch_between`, or `null` for none) applied, or `None` when
/// the patch is not one.
pub fn patched(from: &Value, patch: &Value) -> Option<Value> {
    if patch.is_null() {
        return Some(from.clone());
    }
    let patch = patch.as_object()?;
    if let Some(value) = patch.get("v") {
        return (patch.len() == 1).then(|| value.clone());
    }
    let mut object = from.as_object()?.clone();
    for (key, edit) in patch.get("o")?.as_object()? {
        let old = object.get(key).cloned().unwrap_or(Value::Null);
        object.insert(key.clone(), patched(&old, edit)?);
    }
    if let Some(removed) = patch.get("d") {
        for key in removed.as_array()? {
            object.remove(key.as_str()?);
        }
    }
    Some(Value::Object(object))
}

fn sha256(bytes: &[u8]) -> Hash {
    Hash::from_bytes(Sha256::digest(bytes).into())
}

/// Writes `LOG.index` for the whole log, replacing any index there: through a temporary
/// beside it, synced and renamed, so a failure leaves the old index or none, never half of
/// one. Refuses a log its fold refuses (an index tells only a log that folds).
pub fn write_index(store: &FileStore) -> Result<IndexSummary, StoreError> {
    store.check_regular()?;
    let file = store.open_shared()?;
    let path = store.index_path();
    let output = OutputFile::create(OutputPath::check(&path, true)?)?;
    let failed = |error: io::Error| StoreError::Io {
        path: path.clone(),
        source: error,
    };
    let mut writer = BufWriter::with_capacity(1 << 20, output);
    writer.write_all(MAGIC).map_err(failed)?;
    let mut written = MAGIC.len() as u64;
    let mut position = crate::reading::log::Position::default();
    let mut table_error: Option<io::Error> = None;
    let mut observe = |seen: &Seen<'_>| {
        debug_assert_eq!(
            seen.position.seq,
            position.seq + 1,
            "lines come in seq order"
        );
        position = seen.position.clone();
        let length = seen.position.end_offset - seen.position.line_start;
        let mut record = [0u8; LINE_RECORD_BYTES as usize];
        record[..8].copy_from_slice(&seen.position.line_start.to_le_bytes());
        // A line is at most MAX_LINE_BYTES (1 MiB) long: its length fits in 4 bytes.
        record[8..12].copy_from_slice(&(length as u32).to_le_bytes());
        record[12..].copy_from_slice(&seen.position.head.as_bytes()[..16]);
        if table_error.is_none()
            && let Err(error) = writer.write_all(&record)
        {
            table_error = Some(error);
        }
    };
    let mut gathered: HashMap<EntityRef, Gathered> = HashMap::new();
    let mut entries = 0u64;
    let mut on_entry = |entity: &EntityRef, entry: HistoryEntry<'_>| {
        let kept = gathered.entry(entity.clone()).or_default();
        let before = patch_between(&kept.last_view, &entry.before);
        let after = patch_between(&entry.before, &entry.after);
        let mut row = vec![json!(entry.event.seq), json!(before), json!(after)];
        row.extend(told_json(&entry.told));
        if kept.count > 0 {
            kept.entries.push(b',');
        }
        serde_json::to_writer(&mut kept.entries, &row).expect("a Vec takes any JSON");
        kept.count += 1;
        kept.last_view = entry.after;
        entries += 1;
    };
    let folded = crate::views::history::every_history(
        &crate::replay::FileSource(&file),
        &mut observe,
        &mut on_entry,
    )
    .map_err(|error| store.read_error(error))?;
    if let Some(error) = table_error {
        return Err(failed(error));
    }
    written += position.seq * LINE_RECORD_BYTES;
    let mut names: Vec<(String, EntityRef)> = gathered
        .keys()
        .map(|entity| (entity.to_string(), entity.clone()))
        .collect();
    names.sort_by(|one, other| one.0.cmp(&other.0));
    let mut directory: Vec<(String, u64, u64, Hash)> = Vec::with_capacity(names.len());
    for (name, entity) in &names {
        let kept = gathered.remove(entity).expect("named from the map");
        let mut block = Vec::with_capacity(kept.entries.len() + 64);
        block.extend_from_slice(b"{\"entity\":");
        serde_json::to_writer(&mut block, name).expect("a Vec takes any JSON");
        block.extend_from_slice(b",\"final\":");
        serde_json::to_writer(&mut block, &entity.view(&folded.state))
            .expect("a Vec takes any JSON");
        block.extend_from_slice(b",\"entries\":[");
        block.extend_from_slice(&kept.entries);
        block.extend_from_slice(b"]}\n");
        writer.write_all(&block).map_err(failed)?;
        directory.push((name.clone(), written, block.len() as u64, sha256(&block)));
        written += block.len() as u64;
    }
    let mut pages = Vec::new();
    for page in directory.chunks(ENTITIES_PER_PAGE) {
        let mut bytes = serde_json::to_vec(page).expect("rows serialise");
        bytes.push(b'\n');
        writer.write_all(&bytes).map_err(failed)?;
        pages.push(PageRow(
            page[0].0.clone(),
            written,
            bytes.len() as u64,
            sha256(&bytes),
        ));
        written += bytes.len() as u64;
    }
    let header = IndexHeader {
        seq: position.seq,
        head: position.head,
        line_start: position.line_start,
        end_offset: position.end_offset,
        entities: names.len() as u64,
        entries,
        pages,
    };
    let header_text = serde_json::to_string(&header).expect("a header serialises");
    let header_sha256 = sha256(header_text.as_bytes());
    let line = serde_json::to_string(&HeaderLine {
        header: serde_json::value::RawValue::from_string(header_text).expect("serde_json wrote it"),
        header_sha256,
    })
    .expect("a header line serialises");
    let header_offset = written;
    writer.write_all(line.as_bytes()).map_err(failed)?;
    writer
        .write_all(format!("\n{header_offset:020}\n").as_bytes())
        .map_err(failed)?;
    written += line.len() as u64 + TRAILER_BYTES;
    let output = writer
        .into_inner()
        .map_err(|error| failed(error.into_error()))?;
    output.commit()?;
    Ok(IndexSummary {
        path,
        seq: header.seq,
        head: header.head,
        entities: header.entities,
        entries,
        bytes: written,
    })
}

/// An index found to describe the log it is read beside, opened for questions.
pub struct Index<'l> {
    file: File,
    log: &'l File,
    pub header: IndexHeader,
}

fn read_exact_at(file: &File, offset: u64, length: u64) -> io::Result<Vec<u8>> {
    let mut reader = file;
    reader.seek(SeekFrom::Start(offset))?;
    let mut bytes = vec![0; usize::try_from(length).map_err(io::Error::other)?];
    reader.read_exact(&mut bytes)?;
    Ok(bytes)
}

impl<'l> Index<'l> {
    /// The index of `store`, read beside the log opened (under its shared lock) as `log`,
    /// if it describes the log as it is.
    pub fn open(store: &FileStore, log: &'l File) -> Result<Index<'l>, IndexProblem> {
        let file = match File::open(store.index_path()) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(IndexProblem::Absent);
            }
            Err(error) => return Err(error.into()),
        };
        let length = file.metadata()?.len();
        if length < MAGIC.len() as u64 + TRAILER_BYTES
            || read_exact_at(&file, 0, MAGIC.len() as u64)? != MAGIC
        {
            return Err(IndexProblem::NotAnIndex);
        }
        let trailer = read_exact_at(&file, length - TRAILER_BYTES, TRAILER_BYTES)?;
        let header_offset = std::str::from_utf8(&trailer[1..21])
            .ok()
            .filter(|_| trailer[0] == b'\n' && trailer[21] == b'\n')
            .and_then(|digits| digits.parse::<u64>().ok())
            .ok_or(IndexProblem::NotAnIndex)?;
        let header_bytes = (length - TRAILER_BYTES)
            .checked_sub(header_offset)
            .filter(|bytes| (1..=MAX_HEADER_BYTES).contains(bytes))
            .ok_or(IndexProblem::NotAnIndex)?;
        let line = read_exact_at(&file, header_offset, header_bytes)?;
        let wrapped: HeaderLine = serde_json::from_slice(&line)
            .map_err(|error| IndexProblem::Malformed("header line", error.to_string()))?;
        if sha256(wrapped.header.get().as_bytes()) != wrapped.header_sha256 {
            return Err(IndexProblem::Checksum("header"));
        }
        let header: IndexHeader = serde_json::from_str(wrapped.header.get())
            .map_err(|error| IndexProblem::Malformed("header", error.to_string()))?;
        let log_length = log.metadata()?.len();
        if log_length != header.end_offset {
            return Err(IndexProblem::OtherLength {
                indexed: header.seq,
                end_offset: header.end_offset,
                length: log_length,
            });
        }
        if header.seq > 0
            && !store.line_hashes_to(log, header.line_start, header.end_offset, &header.head)
        {
            return Err(IndexProblem::OtherHead { seq: header.seq });
        }
        Ok(Index { file, log, header })
    }

    /// The block of `entity`, checked against its page and its page against the header,
    /// or `None` when no event names it.
    fn block(&self, entity: &EntityRef) -> Result<Option<Block>, IndexProblem> {
        let name = entity.to_string();
        let pages = &self.header.pages;
        let page_index = pages.partition_point(|row| row.0.as_str() <= name.as_str());
        let Some(page_index) = page_index.checked_sub(1) else {
            return Ok(None);
        };
        let PageRow(_, offset, length, sha) = &pages[page_index];
        let bytes = read_exact_at(&self.file, *offset, *length)?;
        if sha256(&bytes) != *sha {
            return Err(IndexProblem::Checksum("directory"));
        }
        let rows: Vec<(String, u64, u64, Hash)> = serde_json::from_slice(&bytes)
            .map_err(|error| IndexProblem::Malformed("directory", error.to_string()))?;
        let Ok(found) = rows.binary_search_by(|row| row.0.as_str().cmp(name.as_str())) else {
            return Ok(None);
        };
        let (_, offset, length, sha) = &rows[found];
        let bytes = read_exact_at(&self.file, *offset, *length)?;
        if sha256(&bytes) != *sha {
            return Err(IndexProblem::Checksum("block"));
        }
        let block: Block = serde_json::from_slice(&bytes)
            .map_err(|error| IndexProblem::Malformed("block", error.to_string()))?;
        if block.entity != name {
            return Err(IndexProblem::Malformed(
                "block",
                format!("it names {}", block.entity),
            ));
        }
        Ok(Some(block))
    }

    /// The bytes of line `seq` of the log (without its newline), read where the line table
    /// says it is and checked against it.
    fn line_bytes(&self, seq: u64) -> Result<Vec<u8>, IndexProblem> {
        if seq == 0 || seq > self.header.seq {
            return Err(IndexProblem::OtherLine { seq });
        }
        let at = MAGIC.len() as u64 + (seq - 1) * LINE_RECORD_BYTES;
        let record = read_exact_at(&self.file, at, LINE_RECORD_BYTES)?;
        let start = u64::from_le_bytes(record[..8].try_into().expect("8 bytes"));
        let length = u32::from_le_bytes(record[8..12].try_into().expect("4 bytes"));
        if length == 0 || length as usize > crate::reading::log::MAX_LINE_BYTES + 1 {
            return Err(IndexProblem::OtherLine { seq });
        }
        let mut bytes = read_exact_at(self.log, start, u64::from(length))
            .map_err(|_| IndexProblem::OtherLine { seq })?;
        if bytes.pop() != Some(b'\n') || Hash::of(&bytes).as_bytes()[..16] != record[12..] {
            return Err(IndexProblem::OtherLine { seq });
        }
        Ok(bytes)
    }

    /// The entity's view in the state of the whole log, or `None` when no event names it.
    pub fn view(&self, entity: &EntityRef) -> Result<Option<Value>, IndexProblem> {
        Ok(self.block(entity)?.map(|block| block.final_view))
    }

    /// The entity's history: `on_entry` gets the count and each entry, as `stream_history`
    /// hands them, and returns whether to go on. Every line the history names is read and
    /// checked before the first entry is handed over, so that a problem found in the index
    /// is found before anything is told; then the lines are read again and told one at a
    /// time (a long history is never held whole). Returns the count (0 when no event names
    /// the entity).
    pub fn history(
        &self,
        entity: &EntityRef,
        mut on_entry: impl FnMut(u64, HistoryEntry<'_>) -> bool,
    ) -> Result<u64, IndexProblem> {
        let Some(block) = self.block(entity)? else {
            return Ok(0);
        };
        let malformed = |detail: &str| IndexProblem::Malformed("block", detail.to_string());
        let count = block.entries.len() as u64;
        let mut rows = Vec::with_capacity(block.entries.len());
        for entry in &block.entries {
            let row = entry
                .as_array()
                .ok_or_else(|| malformed("an entry is not a list"))?;
            let (Some(seq), Some(before), Some(after)) =
                (row.first().and_then(Value::as_u64), row.get(1), row.get(2))
            else {
                return Err(malformed("an entry is not [seq, before, after]"));
            };
            let how = told_from_json(row.get(3))
                .filter(|_| row.len() <= 4)
                .ok_or_else(|| malformed("an entry tells its line in no known way"))?;
            self.line_bytes(seq)?;
            rows.push((seq, before, after, how));
        }
        let mut view = Value::Null;
        for (seq, before, after, how) in rows {
            let event = Event::parse_line(&self.line_bytes(seq)?)
                .ok()
                .filter(|event| event.seq == seq)
                .ok_or(IndexProblem::OtherLine { seq })?;
            let before = patched(&view, before).ok_or_else(|| malformed("a patch"))?;
            let after = patched(&before, after).ok_or_else(|| malformed("a patch"))?;
            view = after.clone();
            let entry = HistoryEntry {
                event: &event,
                before,
                after,
                told: how,
            };
            if !on_entry(count, entry) {
                break;
            }
        }
        Ok(count)
    }
}
