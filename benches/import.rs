//! `accord import icews` of a million ICEWS-shaped rows against merely parsing the same
//! file with the csv crate: the ratio of their speeds (issue: no less than one half), and
//! the import's peak memory (bounded by a batch, not the file).
//!
//! Run: `cargo bench --bench import` (release build; writes a 1,000,000-row file of about
//! 300 MB under `target/bench-data/` the first time). The import runs the release
//! `accord` binary, so build it first (`cargo build --release`); its peak memory is
//! `/usr/bin/time -f %M`. Prints a Markdown table (see docs/performance.md).

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const ROWS: u64 = 1_000_000;

const HEADER: &str = "Event ID\tEvent Date\tSource Name\tSource Sectors\tSource Country\tEvent Text\tCAMEO Code\tIntensity\tTarget Name\tTarget Sectors\tTarget Country\tStory ID\tSentence Number\tPublisher\tCity\tDistrict\tProvince\tCountry\tLatitude\tLongitude";

/// Countries and their capitals, as ICEWS names them.
const COUNTRIES: &[(&str, &str)] = &[
    ("Armenia", "Yerevan"),
    ("Azerbaijan", "Baku"),
    ("Russian Federation", "Moscow"),
    ("Turkey", "Ankara"),
    ("France", "Paris"),
    ("United States", "Washington"),
    ("Iran", "Tehran"),
    ("Georgia", "Tbilisi"),
    ("Ukraine", "Kyiv"),
    ("Germany", "Berlin"),
];

/// CAMEO codes and their texts, weighted as ICEWS's are: statements, consultations and
/// appeals most, violence often, signings and releases rarely.
const CODES: &[(&str, &str)] = &[
    ("010", "Make statement"),
    ("010", "Make statement"),
    ("042", "Make a visit"),
    ("043", "Host a visit"),
    ("036", "Express intent to meet or negotiate"),
    ("020", "Make an appeal or request"),
    ("040", "Consult"),
    ("051", "Praise or endorse"),
    ("112", "Accuse"),
    ("111", "Criticize or denounce"),
    ("190", "Use conventional military force"),
    ("173", "Arrest, detain, or charge with legal action"),
    ("138", "Threaten with military force"),
    ("1053", "Demand release of persons or property"),
    ("057", "Sign formal agreement"),
    ("0841", "Return, release person(s)"),
];

const SECTORS: &[&str] = &[
    "Elite,Executive,Executive Office,Government",
    "",
    "Army,Military",
    "Foreign Ministry,Government",
    "Media,News",
    "Opposition Major Party (Out of Government),Parties",
];

const NAMES: &[&str] = &[
    "Foreign Minister",
    "Citizen",
    "Military",
    "Police",
    "Opposition",
    "Journalist",
    "Human Rights Activist",
    "Protester",
];

/// A deterministic stream of numbers (xorshift), so every run writes the same file.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }
}

fn actor(numbers: &mut Numbers) -> (String, &'static str, &'static str) {
    let (country, _) = COUNTRIES[numbers.next(COUNTRIES.len())];
    let sectors = SECTORS[numbers.next(SECTORS.len())];
    let name = if numbers.next(3) == 0 {
        country.to_string()
    } else {
        format!("{} ({country})", NAMES[numbers.next(NAMES.len())])
    };
    (name, sectors, country)
}

/// The million-row file, written once.
fn file() -> PathBuf {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    fs::create_dir_all(&directory).unwrap();
    let path = directory.join("icews-1m.tab");
    if path.exists() {
        return path;
    }
    let partial = directory.join("icews-1m.tab.partial");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&partial).unwrap());
    writeln!(out, "{HEADER}").unwrap();
    let mut numbers = Numbers(0x2545_f491_4f6c_dd1d);
    let first_day = chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
    for row in 0..ROWS {
        // About 180 rows a day, in date order, as the yearly files are.
        let day = first_day + chrono::Days::new(row / 180);
        let (source, source_sectors, source_country) = actor(&mut numbers);
        let (target, target_sectors, target_country) = actor(&mut numbers);
        let (code, text) = CODES[numbers.next(CODES.len())];
        let (country, city) = COUNTRIES[numbers.next(COUNTRIES.len())];
        writeln!(
            out,
            "{}\t{day}\t{source}\t{source_sectors}\t{source_country}\t{text}\t{code}\t{:.1}\t{target}\t{target_sectors}\t{target_country}\t{}\t{}\tInterfax\t{city}\t\t{city}\t{country}\t{:.4}\t{:.4}",
            20_000_000 + row,
            numbers.next(200) as f64 / 10.0 - 10.0,
            40_000_000 + row / 3,
            1 + numbers.next(6),
            30.0 + numbers.next(200_000) as f64 / 10_000.0,
            20.0 + numbers.next(300_000) as f64 / 10_000.0,
        )
        .unwrap();
    }
    out.flush().unwrap();
    drop(out);
    fs::rename(&partial, &path).unwrap();
    path
}

/// Parses every row of the file with the csv crate, as the import's reader is set up
/// (tab-separated, no quoting), touching every field: rows read.
fn csv_parse(path: &Path) -> u64 {
    let file = std::io::BufReader::with_capacity(1 << 20, File::open(path).unwrap());
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .from_reader(file);
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    let mut bytes = 0usize;
    while reader.read_byte_record(&mut record).unwrap() {
        rows += 1;
        bytes += record.iter().map(<[u8]>::len).sum::<usize>();
    }
    assert!(bytes > 0);
    rows
}

fn accord_binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/accord");
    assert!(
        path.exists(),
        "build the release binary first: cargo build --release"
    );
    path
}

/// `accord import icews FILE --into a new log`: seconds, peak resident kilobytes, and what
/// it printed.
fn import(path: &Path) -> (f64, u64, String) {
    let log = path.with_extension("jsonl");
    let _ = fs::remove_file(&log);
    for cache in ["jsonl.tail", "jsonl.tail.previous", "jsonl.lock"] {
        let _ = fs::remove_file(path.with_extension(cache));
    }
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(accord_binary())
        .args(["import", "icews"])
        .arg(path)
        .arg("--into")
        .arg(&log)
        .arg("--json")
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak: u64 = stderr.lines().last().unwrap().trim().parse().unwrap();
    (
        seconds,
        peak,
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
    )
}

fn main() {
    let path = file();
    let bytes = fs::metadata(&path).unwrap().len();
    // Warm the page cache, so both read from memory.
    let mut warm = Vec::new();
    File::open(&path).unwrap().read_to_end(&mut warm).unwrap();
    drop(warm);
    let mut parses = Vec::new();
    for _ in 0..2 {
        let started = Instant::now();
        assert_eq!(csv_parse(&path), ROWS);
        parses.push(started.elapsed().as_secs_f64());
    }
    let parse = parses.iter().copied().fold(f64::INFINITY, f64::min);
    let (seconds, peak, printed) = import(&path);
    let outcome: serde_json::Value = serde_json::from_str(&printed).unwrap();
    println!(
        "{} rows, {:.0} MB: {} imported, {} skipped, {} lines appended",
        ROWS,
        bytes as f64 / 1e6,
        outcome["imported"],
        outcome["skipped"]
            .as_object()
            .unwrap()
            .values()
            .map(|count| count.as_u64().unwrap())
            .sum::<u64>(),
        outcome["appended"]
    );
    println!();
    println!("| | seconds | rows/s | peak RSS |");
    println!("|---|---|---|---|");
    println!(
        "| csv crate, parse only (best of {}) | {parse:.2} | {:.0} | |",
        parses.len(),
        ROWS as f64 / parse
    );
    println!(
        "| `accord import icews`, into a new log | {seconds:.2} | {:.0} | {} MB |",
        ROWS as f64 / seconds,
        peak / 1024
    );
    println!();
    println!(
        "import speed / parse speed: {:.2} (target: no less than 0.5)",
        parse / seconds
    );
}
