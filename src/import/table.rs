//! Rows of a delimited export (ICEWS's tab-separated files, ACLED's CSV) as the JSON
//! objects `origin.fields` keeps: each column's header and its text, in the file's order,
//! so that every row can be written back from the log.

use super::ImportError;

/// The most columns a row may have.
const MAX_COLUMNS: usize = 256;

/// A delimited file read: its headers, and its rows.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The index of a column, by its header.
    pub fn column(&self, header: &str) -> Option<usize> {
        self.headers.iter().position(|known| known == header)
    }

    /// Row `row` as a compact JSON object of its headers and texts, in the file's order.
    pub fn fields(&self, row: &[String]) -> String {
        let mut object = String::from("{");
        for (index, (header, value)) in self.headers.iter().zip(row).enumerate() {
            if index > 0 {
                object.push(',');
            }
            object.push_str(&serde_json::Value::from(header.as_str()).to_string());
            object.push(':');
            object.push_str(&serde_json::Value::from(value.as_str()).to_string());
        }
        object.push('}');
        object
    }
}

/// Text as a file's bytes spell it: UTF-8, or else Latin-1 (older ICEWS files), without a
/// byte-order mark.
pub fn text_of(bytes: &[u8]) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
    };
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// A delimited file: `quoting` is CSV's double quotes (ACLED), or none at all (ICEWS, whose
/// texts hold quotes as they are). Every row has as many columns as the header line.
pub fn read(bytes: &[u8], delimiter: u8, quoting: bool) -> Result<Table, ImportError> {
    let text = text_of(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|error| ImportError::Shape(format!("the header line: {error}")))?
        .iter()
        .map(|header| header.trim().to_string())
        .collect();
    if headers.len() > MAX_COLUMNS {
        return Err(ImportError::Shape(format!(
            "{} columns, more than {MAX_COLUMNS}",
            headers.len()
        )));
    }
    let mut rows = Vec::new();
    for (index, row) in reader.records().enumerate() {
        let row = row.map_err(|error| ImportError::Record {
            record: index as u64 + 1,
            detail: error.to_string(),
        })?;
        rows.push(row.iter().map(str::to_string).collect());
    }
    Ok(Table { headers, rows })
}

/// The columns a dataset's rows need, by header, or which one the file lacks.
pub fn columns<const N: usize>(
    table: &Table,
    dataset: &str,
    headers: [&str; N],
) -> Result<[usize; N], ImportError> {
    let mut found = [0; N];
    for (slot, header) in found.iter_mut().zip(headers) {
        *slot = table.column(header).ok_or_else(|| {
            ImportError::Shape(format!(
                "no `{header}` column: not {dataset}'s export (its header line names {})",
                table.headers.join(", ")
            ))
        })?;
    }
    Ok(found)
}
