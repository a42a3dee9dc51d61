//! Rows of a delimited export (ICEWS's tab-separated files, ACLED's CSV) as the JSON
//! objects `origin.fields` keeps: each column's header and its text, in the file's order,
//! so that every row can be written back from the log. Read as a stream: a row at a time.

use std::io::Read;

use super::ImportError;

/// The most columns a row may have.
const MAX_COLUMNS: usize = 256;

/// The most bytes one row may have (a row is one record: no record of the datasets comes
/// near it).
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// A delimited file read as a stream: its headers, then a row at a time.
pub struct TableReader<R: Read> {
    reader: csv::Reader<R>,
    headers: Vec<String>,
    record: csv::ByteRecord,
    rows: u64,
}

/// A field's text: UTF-8, or else Latin-1 (older ICEWS files), byte for byte.
fn text_of(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
}

impl<R: Read> TableReader<R> {
    /// A delimited stream: `quoting` is CSV's double quotes (ACLED), or none at all (ICEWS,
    /// whose texts hold quotes as they are). Every row must have as many columns as the
    /// header line, which may begin with a byte-order mark.
    pub fn new(read: R, delimiter: u8, quoting: bool) -> Result<TableReader<R>, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .quoting(quoting)
            .has_headers(true)
            .flexible(false)
            .from_reader(read);
        let headers: Vec<String> = reader
            .byte_headers()
            .map_err(|error| ImportError::Shape(format!("the header line: {error}")))?
            .iter()
            .enumerate()
            .map(|(index, header)| {
                let header = text_of(header);
                let header = if index == 0 {
                    header.trim_start_matches('\u{feff}').to_string()
                } else {
                    header
                };
                header.trim().to_string()
            })
            .collect();
        if headers.len() > MAX_COLUMNS {
            return Err(ImportError::Shape(format!(
                "{} columns, more than {MAX_COLUMNS}",
                headers.len()
            )));
        }
        Ok(TableReader {
            reader,
            headers,
            record: csv::ByteRecord::new(),
            rows: 0,
        })
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The index of a column, by its header.
    pub fn column(&self, header: &str) -> Option<usize> {
        self.headers.iter().position(|known| known == header)
    }

    /// The next row's texts, or `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<Vec<String>>, ImportError> {
        let read = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|error| ImportError::Record {
                record: self.rows + 1,
                detail: error.to_string(),
            })?;
        if !read {
            return Ok(None);
        }
        self.rows += 1;
        if self.record.as_slice().len() > MAX_ROW_BYTES {
            return Err(ImportError::Record {
                record: self.rows,
                detail: format!("longer than {MAX_ROW_BYTES} bytes"),
            });
        }
        Ok(Some(self.record.iter().map(text_of).collect()))
    }

    /// Up to `most` more rows, each made a `T` by `make` (given the headers and the row's
    /// texts); none at the end.
    pub fn next_rows<T>(
        &mut self,
        most: usize,
        mut make: impl FnMut(&[String], &[String]) -> T,
    ) -> Result<Vec<T>, ImportError> {
        let mut made = Vec::new();
        while made.len() < most {
            let Some(row) = self.next_row()? else {
                break;
            };
            made.push(make(&self.headers, &row));
        }
        Ok(made)
    }

    /// How many bytes of the stream have been read.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The columns a dataset's rows need, by header, or which one the file lacks.
    pub fn columns<const N: usize>(
        &self,
        dataset: &str,
        headers: [&str; N],
    ) -> Result<[usize; N], ImportError> {
        let mut found = [0; N];
        for (slot, header) in found.iter_mut().zip(headers) {
            *slot = self.column(header).ok_or_else(|| {
                ImportError::Shape(format!(
                    "no `{header}` column: not {dataset}'s export (its header line names {})",
                    self.headers.join(", ")
                ))
            })?;
        }
        Ok(found)
    }
}

/// A row as a compact JSON object of its headers and texts, in the file's order.
pub fn fields(headers: &[String], row: &[String]) -> String {
    let length: usize = headers.iter().chain(row).map(String::len).sum();
    let mut object = String::with_capacity(length + 6 * headers.len() + 2);
    object.push('{');
    for (index, (header, value)) in headers.iter().zip(row).enumerate() {
        if index > 0 {
            object.push(',');
        }
        push_json_string(&mut object, header);
        object.push(':');
        push_json_string(&mut object, value);
    }
    object.push('}');
    object
}

/// The digest of a row, as `digest_of` gives it of `fields(headers, row)`.
pub fn digest(headers: &[String], row: &[String]) -> [u8; 16] {
    super::digest_of_pairs(
        headers
            .iter()
            .zip(row)
            .map(|(header, value)| (header.as_str(), value.as_str())),
    )
}

/// A text as a JSON string, escaped as serde_json escapes it.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    let mut rest = text;
    while let Some(at) = rest
        .find(|character: char| character == '"' || character == '\\' || (character as u32) < 0x20)
    {
        out.push_str(&rest[..at]);
        let character = rest[at..].chars().next().unwrap_or_default();
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            other => out.push_str(&format!("\\u{:04x}", other as u32)),
        }
        rest = &rest[at + character.len_utf8()..];
    }
    out.push_str(rest);
    out.push('"');
}

/// A delimited file read whole: its headers, and its rows.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A delimited file's bytes read whole (for a reader that wants every row at once).
pub fn read(bytes: &[u8], delimiter: u8, quoting: bool) -> Result<Table, ImportError> {
    let mut reader = TableReader::new(bytes, delimiter, quoting)?;
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        rows.push(row);
    }
    Ok(Table {
        headers: reader.headers,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_written_as_serde_json_writes_them_and_digested_as_their_json() {
        let headers: Vec<String> = ["a", "b \"q\"", "c"].map(String::from).to_vec();
        let row: Vec<String> = ["x\ty\n", "\\ \u{1} é", ""].map(String::from).to_vec();
        let written = fields(&headers, &row);
        let expected: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .zip(&row)
            .map(|(header, value)| (header.clone(), serde_json::Value::from(value.as_str())))
            .collect();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&written).unwrap(),
            serde_json::Value::Object(expected)
        );
        for (header, value) in headers.iter().zip(&row) {
            assert!(written.contains(&serde_json::Value::from(header.as_str()).to_string()));
            assert!(written.contains(&serde_json::Value::from(value.as_str()).to_string()));
        }
        assert_eq!(digest(&headers, &row), super::super::digest_of(&written));
    }
}
