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
//! - the entities' entries, in chunks of about `CHUNK_BYTES`, each a JSON list of entries
//!   of one entity, written as the fold reaches them (an entity's chunks in its history's
//!   order, the entities' interleaved);
//! - for each entity, sorted by name (`party:ARM`): its view in the state of the whole log,
//!   then the list of its chunks (`[offset, length, sha256, entries]`);
//! - the directory, in pages of at most `ENTITIES_PER_PAGE` entities: each a JSON list of
//!   `[name, entries, [offset, length, sha256] of the view, the same of the chunk list]`,
//!   sorted by name;
//! - the header line: where the index stands in the log (the seq, head and byte range of
//!   the last line, as a snapshot's header says it) and the table of pages (first name,
//!   offset, length, SHA-256), wrapped with the SHA-256 of its own bytes;
//! - the trailer: the header's offset in 20 digits between newlines.
//!
//! An entry is `[seq, before, after]`, or `[seq, before, after, told]` for a line told as
//! written (`{"changed_by", "retracted", "refused"?}`) or a correction of it (`{"last_word",
//! "refused"?}`). `before` is `null` when it is the entity's previous view (its previous
//! entry's `after`, or nothing before its first), else the whole view as a patch
//! (`{"v": VIEW}`); `after` is a patch from `before` (see `patch_between`), `null` where
//! nothing changed. So an entry whose event does not change the entity costs a few bytes
//! whatever the entity's size, and writing the index keeps, of each entity, only a
//! fingerprint of its last view and the chunk it is filling: memory is the fold's, not the
//! histories'.
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

/// Where a part of the index is: offset, length and the SHA-256 of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Span(u64, u64, Hash);

/// An entity's row in a page of the directory: its name, its entries, where its view and
/// its list of chunks are.
#[derive(Serialize, Deserialize)]
struct DirectoryRow(String, u64, Span, Span);

/// One chunk of an entity's entries: where it is, and how many entries it holds.
#[derive(Clone, Serialize, Deserialize)]
struct ChunkRow(Span, u64);

/// Bytes of entries an entity gathers before they are written as a chunk.
const CHUNK_BYTES: usize = 64 << 10;

/// Why an index is not believed: the question is then answered from the log.
#[derive(Debug, thiserror::Error)]
pub enum IndexProblem {
    #[error("there is no index")]
    Absent,
    #[error("it cannot be read: {0}")]
    Unreadable(#[from] io::Error),
    #[error("it is not an entity index of this format")]
    NotAnIndex,
    #[error("it is {0}, not a regular file")]
    NotAFile(&'static str),
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
struct Gathered {
    /// The entries not yet written, their JSON comma-separated.
    pending: Vec<u8>,
    pending_count: u64,
    /// The chunks written.
    chunks: Vec<ChunkRow>,
    count: u64,
    /// The fingerprint of the entity's last view (`after` of its last entry).
    last_view: u64,
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
    let (Value::Object(old), Value::Object(new)) = (from, to) else {
        return (from != to).then(|| json!({"v": to}));
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
    if edited.is_empty() && removed.is_empty() {
        return None;
    }
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

/// A fingerprint of a view, to tell whether an entity's view is still the one its last
/// entry left: a 64-bit SipHash of the value's structure (kinds, keys, strings, numbers),
/// taken by walking it rather than writing its JSON (a party's view is kilobytes, and is
/// fingerprinted at every entry). Only the writing process compares fingerprints; two
/// different views share one with a chance of 2^-64, and the index is a cache `verify`
/// never relies on.
fn view_fingerprint(view: &Value) -> u64 {
    use std::hash::{Hash as _, Hasher};
    fn walk(value: &Value, hasher: &mut std::collections::hash_map::DefaultHasher) {
        match value {
            Value::Null => 0u8.hash(hasher),
            Value::Bool(flag) => (1u8, flag).hash(hasher),
            Value::Number(number) => {
                (2u8, number.as_u64(), number.as_i64()).hash(hasher);
                number.as_f64().map(f64::to_bits).hash(hasher);
            }
            Value::String(text) => (3u8, text).hash(hasher),
            Value::Array(items) => {
                (4u8, items.len()).hash(hasher);
                items.iter().for_each(|item| walk(item, hasher));
            }
            Value::Object(object) => {
                (5u8, object.len()).hash(hasher);
                for (key, item) in object {
                    key.hash(hasher);
                    walk(item, hasher);
                }
            }
        }
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    walk(view, &mut hasher);
    hasher.finish()
}

/// The index file being written: its bytes go through a buffer into the temporary file,
/// and every part's place is counted. The first write error is kept and reported at the
/// end (the fold's callbacks cannot return one).
struct IndexWriter {
    writer: BufWriter<OutputFile>,
    written: u64,
    error: Option<io::Error>,
}

impl IndexWriter {
    fn put(&mut self, bytes: &[u8]) -> Span {
        let span = Span(self.written, bytes.len() as u64, sha256(bytes));
        if self.error.is_none()
            && let Err(error) = self.writer.write_all(bytes)
        {
            self.error = Some(error);
        }
        self.written += bytes.len() as u64;
        span
    }

    /// Writes an entity's pending entries as one chunk.
    fn flush_chunk(&mut self, gathered: &mut Gathered) {
        if gathered.pending_count == 0 {
            return;
        }
        let mut bytes = Vec::with_capacity(gathered.pending.len() + 3);
        bytes.push(b'[');
        bytes.extend_from_slice(&gathered.pending);
        bytes.extend_from_slice(b"]\n");
        let span = self.put(&bytes);
        gathered.chunks.push(ChunkRow(span, gathered.pending_count));
        gathered.pending.clear();
        gathered.pending_count = 0;
    }
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
    let writer = std::cell::RefCell::new(IndexWriter {
        writer: BufWriter::with_capacity(1 << 20, output),
        written: 0,
        error: None,
    });
    writer.borrow_mut().put(MAGIC);
    let mut position = crate::reading::log::Position::default();
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
        writer.borrow_mut().put(&record);
    };
    let nothing = view_fingerprint(&Value::Null);
    let mut gathered: HashMap<EntityRef, Gathered> = HashMap::new();
    let mut entries = 0u64;
    let mut on_entry = |entity: &EntityRef, entry: HistoryEntry<'_>| {
        let kept = gathered.entry(entity.clone()).or_insert_with(|| Gathered {
            pending: Vec::new(),
            pending_count: 0,
            chunks: Vec::new(),
            count: 0,
            last_view: nothing,
        });
        let before_hash = view_fingerprint(&entry.before);
        let before = (before_hash != kept.last_view).then(|| json!({"v": entry.before}));
        let after = patch_between(&entry.before, &entry.after);
        // An entry that changes nothing leaves the view, and its hash, as they were.
        kept.last_view = match after {
            None => before_hash,
            Some(_) => view_fingerprint(&entry.after),
        };
        if kept.pending_count > 0 {
            kept.pending.push(b',');
        }
        let seq = entry.event.seq;
        let written = match told_json(&entry.told) {
            None => serde_json::to_writer(&mut kept.pending, &(seq, before, after)),
            Some(told) => serde_json::to_writer(&mut kept.pending, &(seq, before, after, told)),
        };
        written.expect("a Vec takes any JSON");
        kept.pending_count += 1;
        kept.count += 1;
        entries += 1;
        if kept.pending.len() >= CHUNK_BYTES {
            writer.borrow_mut().flush_chunk(kept);
        }
    };
    let folded = crate::views::history::every_history(
        &crate::replay::FileSource(&file),
        &mut observe,
        &mut on_entry,
    )
    .map_err(|error| store.read_error(error))?;
    let mut writer = writer.into_inner();
    let mut names: Vec<(String, EntityRef)> = gathered
        .keys()
        .map(|entity| (entity.to_string(), entity.clone()))
        .collect();
    names.sort_by(|one, other| one.0.cmp(&other.0));
    let mut directory: Vec<DirectoryRow> = Vec::with_capacity(names.len());
    for (name, entity) in &names {
        let mut kept = gathered.remove(entity).expect("named from the map");
        writer.flush_chunk(&mut kept);
        debug_assert_eq!(
            kept.chunks.iter().map(|chunk| chunk.1).sum::<u64>(),
            kept.count
        );
        let mut view = serde_json::to_vec(&entity.view(&folded.state)).expect("a view serialises");
        view.push(b'\n');
        let view = writer.put(&view);
        let mut list = serde_json::to_vec(&kept.chunks).expect("chunk rows serialise");
        list.push(b'\n');
        let list = writer.put(&list);
        directory.push(DirectoryRow(name.clone(), kept.count, view, list));
    }
    let mut pages = Vec::new();
    for page in directory.chunks(ENTITIES_PER_PAGE) {
        let mut bytes = serde_json::to_vec(page).expect("rows serialise");
        bytes.push(b'\n');
        let Span(offset, length, sha) = writer.put(&bytes);
        pages.push(PageRow(page[0].0.clone(), offset, length, sha));
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
    let header_offset = writer.written;
    writer.put(line.as_bytes());
    writer.put(format!("\n{header_offset:020}\n").as_bytes());
    if let Some(error) = writer.error {
        return Err(failed(error));
    }
    let bytes = writer.written;
    let output = writer
        .writer
        .into_inner()
        .map_err(|error| failed(error.into_error()))?;
    output.commit()?;
    Ok(IndexSummary {
        path,
        seq: header.seq,
        head: header.head,
        entities: header.entities,
        entries,
        bytes,
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
        let path = store.index_path();
        match std::fs::metadata(&path) {
            Ok(metadata) if metadata.is_file() => {}
            // A FIFO would block the open; a directory or a device is no index.
            Ok(metadata) => {
                return Err(IndexProblem::NotAFile(crate::files::output::kind_of(
                    &metadata,
                )));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(IndexProblem::Absent);
            }
            Err(error) => return Err(error.into()),
        }
        let file = File::open(&path)?;
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

    /// The bytes of a part of the index, checked against its SHA-256.
    fn part(&self, span: &Span, what: &'static str) -> Result<Vec<u8>, IndexProblem> {
        let Span(offset, length, sha) = span;
        let bytes = read_exact_at(&self.file, *offset, *length)?;
        if sha256(&bytes) != *sha {
            return Err(IndexProblem::Checksum(what));
        }
        Ok(bytes)
    }

    /// The directory row of `entity`, checked against its page and its page against the
    /// header, or `None` when no event names it.
    fn row(&self, entity: &EntityRef) -> Result<Option<DirectoryRow>, IndexProblem> {
        let name = entity.to_string();
        let pages = &self.header.pages;
        let page_index = pages.partition_point(|row| row.0.as_str() <= name.as_str());
        let Some(page_index) = page_index.checked_sub(1) else {
            return Ok(None);
        };
        let PageRow(_, offset, length, sha) = &pages[page_index];
        let bytes = self.part(&Span(*offset, *length, *sha), "directory")?;
        let rows: Vec<DirectoryRow> = serde_json::from_slice(&bytes)
            .map_err(|error| IndexProblem::Malformed("directory", error.to_string()))?;
        Ok(rows
            .binary_search_by(|row| row.0.as_str().cmp(name.as_str()))
            .ok()
            .map(|found| rows.into_iter().nth(found).expect("found there")))
    }

    /// The entries of a chunk, checked.
    fn chunk(&self, chunk: &ChunkRow) -> Result<Vec<Value>, IndexProblem> {
        let bytes = self.part(&chunk.0, "chunk of entries")?;
        let entries: Vec<Value> = serde_json::from_slice(&bytes)
            .map_err(|error| IndexProblem::Malformed("chunk of entries", error.to_string()))?;
        if entries.len() as u64 != chunk.1 {
            return Err(IndexProblem::Malformed(
                "chunk of entries",
                format!("{} entries where its row says {}", entries.len(), chunk.1),
            ));
        }
        Ok(entries)
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
        let Some(row) = self.row(entity)? else {
            return Ok(None);
        };
        let bytes = self.part(&row.2, "view")?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| IndexProblem::Malformed("view", error.to_string()))
    }

    /// The entity's history: `on_entry` gets the count and each entry, as `stream_history`
    /// hands them, and returns whether to go on. Every chunk and every line the history
    /// names is read and checked before the first entry is handed over, so that a problem
    /// found in the index is found before anything is told; then they are read again and
    /// told a chunk at a time (a long history is never held whole). Returns the count (0
    /// when no event names the entity).
    pub fn history(
        &self,
        entity: &EntityRef,
        mut on_entry: impl FnMut(u64, HistoryEntry<'_>) -> bool,
    ) -> Result<u64, IndexProblem> {
        let Some(row) = self.row(entity)? else {
            return Ok(0);
        };
        let count = row.1;
        let list = self.part(&row.3, "list of chunks")?;
        let chunks: Vec<ChunkRow> = serde_json::from_slice(&list)
            .map_err(|error| IndexProblem::Malformed("list of chunks", error.to_string()))?;
        if chunks.iter().map(|chunk| chunk.1).sum::<u64>() != count {
            return Err(IndexProblem::Malformed(
                "list of chunks",
                format!("its chunks do not hold the {count} entries its row says"),
            ));
        }
        for chunk in &chunks {
            for entry in self.chunk(chunk)? {
                let (seq, ..) = entry_parts(&entry)?;
                self.line_bytes(seq)?;
            }
        }
        let malformed =
            |detail: &str| IndexProblem::Malformed("chunk of entries", detail.to_string());
        let mut view = Value::Null;
        for chunk in &chunks {
            for entry in self.chunk(chunk)? {
                let (seq, before, after, told) = entry_parts(&entry)?;
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
                    told,
                };
                if !on_entry(count, entry) {
                    return Ok(count);
                }
            }
        }
        Ok(count)
    }
}

/// An entry's seq, `before` and `after` patches, and how it tells its line.
fn entry_parts(entry: &Value) -> Result<(u64, &Value, &Value, Told), IndexProblem> {
    let malformed = |detail: &str| IndexProblem::Malformed("chunk of entries", detail.to_string());
    let row = entry
        .as_array()
        .ok_or_else(|| malformed("an entry is not a list"))?;
    let (Some(seq), Some(before), Some(after)) =
        (row.first().and_then(Value::as_u64), row.get(1), row.get(2))
    else {
        return Err(malformed("an entry is not [seq, before, after]"));
    };
    let told = told_from_json(row.get(3))
        .filter(|_| row.len() <= 4)
        .ok_or_else(|| malformed("an entry tells its line in no known way"))?;
    Ok((seq, before, after, told))
}
