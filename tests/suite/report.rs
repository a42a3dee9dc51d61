//! `accord report`: the page's structure (a golden file), one mark per event, escaping,
//! scale, and the file-safety conventions. `report_in_browser` opens it in Chromium.

use std::fs;
use std::path::Path;

use crate::binary::{accord, accord_with_stdin, karabakh, path_text, root, stderr, stdout};

/// The golden structure of the Karabakh report; `ACCORD_BLESS=1 cargo test report` writes it
/// again after a deliberate change of the page.
const GOLDEN: &str = "tests/fixtures/report/karabakh.structure.txt";

/// The page's skeleton: each start tag with its id and classes, one per line and indented
/// by depth, the text and other attributes left out; runs of identical lines counted.
/// Panics on a closing tag that closes no open one: the page must nest.
pub fn structure(html: &str) -> String {
    const VOID: &[&str] = &["meta", "input", "br", "hr", "img", "link"];
    let mut lines: Vec<String> = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("every tag ends");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            assert_eq!(
                open.pop().as_deref(),
                Some(name),
                "</{name}> closes what is open"
            );
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|character| !character.is_whitespace() && *character != '/')
            .collect();
        let attribute = |key: &str| {
            let marker = format!(" {key}=\"");
            tag.find(&marker).map(|at| {
                let value = &tag[at + marker.len()..];
                value[..value.find('"').unwrap()].to_string()
            })
        };
        let mut line = format!("{}{name}", "  ".repeat(open.len()));
        if let Some(id) = attribute("id") {
            line.push_str(&format!("#{id}"));
        }
        if let Some(class) = attribute("class") {
            for class in class.split_whitespace() {
                line.push_str(&format!(".{class}"));
            }
        }
        lines.push(line);
        let self_closing = tag.ends_with('/') || VOID.contains(&name.as_str());
        if !self_closing {
            open.push(name.clone());
        }
        // The contents of a script or style element are not markup.
        if name == "script" || name == "style" {
            let closing = format!("</{name}>");
            let at = rest.find(&closing).expect("a script or style element ends");
            rest = &rest[at + closing.len()..];
            open.pop();
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
    let mut counted: Vec<(String, usize)> = Vec::new();
    for line in lines {
        match counted.last_mut() {
            Some((last, count)) if *last == line => *count += 1,
            _ => counted.push((line, 1)),
        }
    }
    counted
        .into_iter()
        .map(|(line, count)| {
            if count == 1 {
                format!("{line}\n")
            } else {
                format!("{line} ×{count}\n")
            }
        })
        .collect()
}

/// The report of `log` written to `out`, its page as text.
pub fn report(log: &Path, out: &Path, extra: &[&str]) -> String {
    let mut arguments = vec!["report", path_text(log), "--out", path_text(out)];
    arguments.extend(extra);
    let made = accord(&arguments);
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(stdout(&made).starts_with("report of "), "{}", stdout(&made));
    fs::read_to_string(out).unwrap()
}

/// The seqs of the marks that stand for one event each, in page order.
pub fn mark_seqs(html: &str) -> Vec<u64> {
    html.split("<g class=\"mark ")
        .skip(1)
        .filter_map(|mark| {
            let at = mark.find("data-seq=\"")? + "data-seq=\"".len();
            let digits: String = mark[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

#[test]
fn the_karabakh_report_has_one_mark_per_event_and_the_golden_structure() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("karabakh.html");
    let html = report(&karabakh(), &out, &[]);
    let mut seqs = mark_seqs(&html);
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=38).collect::<Vec<u64>>(), "one mark per event");
    // Self-contained: nothing is fetched.
    for fetch in ["src=", "href=\"http", "@import", "url(", "fetch("] {
        assert!(!html.contains(fetch), "the page fetches nothing ({fetch})");
    }
    for shown in [
        "Trilateral statement on a complete ceasefire in Nagorno-Karabakh",
        "AZE holds ARM",
        "updated-madrid-principles",
        "More than 100 other Armenian prisoners of war",
        "ok: every line checked",
    ] {
        assert!(html.contains(shown), "the page shows {shown}");
    }
    // Post-mortem: the page made through maud lost its last newline, and the failure-point
    // test (which knows a page is whole by `</html>\n`) saw every report as cut short.
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    // The same log gives the same bytes.
    let again = directory.path().join("again.html");
    assert_eq!(report(&karabakh(), &again, &[]), html);
    let skeleton = structure(&html);
    let golden = root().join(GOLDEN);
    if std::env::var_os("ACCORD_BLESS").is_some() {
        fs::write(&golden, &skeleton).unwrap();
    }
    assert_eq!(
        skeleton,
        fs::read_to_string(&golden).unwrap(),
        "the page's structure changed: look, then ACCORD_BLESS=1 cargo test report"
    );
}

#[test]
fn a_report_as_of_a_day_draws_only_what_had_occurred() {
    let directory = tempfile::tempdir().unwrap();
    let html = report(
        &karabakh(),
        &directory.path().join("r.html"),
        &["--as-of", "2020-11-10"],
    );
    let seqs = mark_seqs(&html);
    assert!(!seqs.is_empty() && seqs.len() < 38, "{}", seqs.len());
    assert!(html.contains("as of 2020-11-10"));
    assert!(!html.contains("AZE holds ARM"), "no one was held yet");
}

#[test]
fn a_report_never_overwrites_without_force_and_replaces_whole_with_it() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("r.html");
    fs::write(&out, "mine").unwrap();
    let refused = accord(&["report", path_text(&karabakh()), "--out", path_text(&out)]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("exists"), "{}", stderr(&refused));
    assert_eq!(fs::read_to_string(&out).unwrap(), "mine");
    report(&karabakh(), &out, &["--force"]);
    assert!(
        fs::read_to_string(&out)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    assert!(!directory.path().join("r.html.tmp").exists());
}

#[test]
fn text_from_a_log_cannot_act_on_the_page() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("hostile.jsonl");
    let drafts = fs::read_to_string(root().join("tests/fixtures/hostile/escapes.drafts.jsonl"))
        .unwrap()
        .replace(
            "Claim",
            "Claim</script><script>alert(1)</script><b onclick=x>",
        );
    assert!(
        accord_with_stdin(&["append", path_text(&log)], &drafts)
            .status
            .success()
    );
    let html = report(&log, &directory.path().join("r.html"), &[]);
    assert_eq!(
        html.matches("<script").count(),
        2,
        "the data and the page's script only"
    );
    assert!(!html.contains("<b onclick"));
    for character in html.chars() {
        assert!(
            character == '\n' || !accord::views::text::is_unsafe_for_terminals(character),
            "{character:?} reached the page"
        );
    }
}

#[test]
fn a_refused_log_is_reported_up_to_its_refusal_and_exits_1() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("broken.jsonl");
    let mut text = fs::read_to_string(karabakh()).unwrap();
    text = text.replacen("\"seq\":20,", "\"seq\":21,", 1);
    fs::write(&log, text).unwrap();
    let out = directory.path().join("r.html");
    let made = accord(&["report", path_text(&log), "--out", path_text(&out)]);
    assert_eq!(made.status.code(), Some(1), "{}", stderr(&made));
    let html = fs::read_to_string(&out).unwrap();
    assert!(html.contains("class=\"refused\""));
    assert_eq!(mark_seqs(&html).len(), 19);
}

#[test]
fn a_long_log_is_drawn_in_aggregate_and_stays_a_few_mib() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("long.jsonl");
    let mut drafts = String::new();
    for party in ["ARM", "AZE"] {
        drafts.push_str(&format!(
            "{{\"type\":\"party.joined\",\"occurred\":\"2021-01-01T00:00:00Z\",\"data\":{{\"party\":\"{party}\",\"name\":\"{party}\",\"role\":\"party\"}}}}\n"
        ));
    }
    drafts.push_str("{\"type\":\"issue.raised\",\"occurred\":\"2021-01-01T00:00:00Z\",\"data\":{\"issue\":\"border\",\"title\":\"Border\"}}\n");
    for n in 0..9_997u64 {
        let by = if n % 2 == 0 { "ARM" } else { "AZE" };
        let (day, hour) = (n / 24, n % 24);
        let date = chrono::NaiveDate::from_ymd_opt(2021, 1, 2).unwrap()
            + chrono::Duration::days(day as i64);
        drafts.push_str(&format!(
            "{{\"type\":\"statement.made\",\"occurred\":\"{date}T{hour:02}:00:00Z\",\"data\":{{\"by\":\"{by}\",\"kind\":\"position\",\"issue\":\"border\",\"text\":\"Round {n}: a position restated at some length so that the line weighs what a real one does.\"}}}}\n"
        ));
    }
    let appended = accord_with_stdin(&["append", path_text(&log)], &drafts);
    assert!(appended.status.success(), "{}", stderr(&appended));
    let html = report(&log, &directory.path().join("r.html"), &[]);
    assert!(html.len() < 3 << 20, "{} bytes", html.len());
    assert!(mark_seqs(&html).is_empty(), "no mark per event");
    let counted: u64 = html
        .split("data-count=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        counted, 10_000,
        "the aggregated marks stand for every event"
    );
}

#[test]
fn a_simulation_and_a_tournament_result_get_their_own_page() {
    use crate::binary::scenario;
    let directory = tempfile::tempdir().unwrap();
    let at = |name: &str| directory.path().join(name);
    let domain = scenario("random-3x10.json");
    let domain = path_text(&domain);
    let runs = at("runs.jsonl");
    let simulated = accord(&[
        "simulate",
        domain,
        "--runs",
        "300",
        "--json",
        "--per-run",
        path_text(&runs),
    ]);
    assert!(simulated.status.success(), "{}", stderr(&simulated));
    fs::write(at("sim.json"), &simulated.stdout).unwrap();
    let analysed = accord(&["analyze", domain, "--frontier", "--json"]);
    assert!(analysed.status.success(), "{}", stderr(&analysed));
    fs::write(at("analysis.json"), &analysed.stdout).unwrap();
    let html = report(
        &at("sim.json"),
        &at("sim.html"),
        &[
            "--per-run",
            path_text(&runs),
            "--analysis",
            path_text(&at("analysis.json")),
        ],
    );
    for part in [
        "id=\"summary-section\"",
        "id=\"rounds\"",
        "class=\"frontier\"",
        "the Nash point",
        "the Kalai-Smorodinsky point",
    ] {
        assert!(html.contains(part), "the page has {part}");
    }
    let agreements = html.matches("class=\"agreement-point\"").count();
    assert!(agreements > 0 && agreements <= 300, "{agreements}");
    structure(&html);
    // A tournament's ranking, one row per strategy.
    let ranked = accord(&[
        "tournament",
        domain,
        "--strategies",
        "boulware,conceder,linear",
        "--runs",
        "2",
        "--json",
    ]);
    assert!(ranked.status.success(), "{}", stderr(&ranked));
    fs::write(at("tournament.json"), &ranked.stdout).unwrap();
    let html = report(&at("tournament.json"), &at("tournament.html"), &[]);
    assert!(html.contains("id=\"ranking\""));
    assert_eq!(html.matches("<g class=\"ranked\">").count(), 3);
    structure(&html);
    // The result's extra files go with a result only.
    let refused = accord(&[
        "report",
        path_text(&karabakh()),
        "--out",
        path_text(&at("k.html")),
        "--per-run",
        path_text(&runs),
    ]);
    assert_eq!(refused.status.code(), Some(2));
}

// Post-mortem: the report folded every line as written, so a log with corrections drew its
// originals and, in a debug build, stopped at the first correction line (an assertion).
#[test]
fn a_report_draws_the_corrected_log_and_nothing_of_what_was_retracted() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("corrected.html");
    let log = crate::binary::root().join("tests/fixtures/valid/corrections-and-meetings.jsonl");
    let html = report(&log, &out, &[]);
    let mut seqs = mark_seqs(&html);
    seqs.sort_unstable();
    // Lines 7 to 10 are corrections and retractions, line 5 is retracted.
    assert_eq!(
        seqs,
        vec![1, 2, 3, 4, 6, 11],
        "one mark per effective event"
    );
    assert!(
        html.contains("101 to 120 civilians of ARM"),
        "line 4 as last corrected"
    );
    // The table shows line 4 as corrected beside what it said, struck through, and line 5
    // struck through at its place.
    let row = |seq: u64| {
        let start = html
            .find(&format!("data-row-seq=\"{seq}\""))
            .unwrap_or_else(|| panic!("a row for line {seq}"));
        &html[start..start + html[start..].find("</tr>").unwrap()]
    };
    assert!(row(4).contains("<del>RUS holds 100 civilians of ARM</del>"));
    assert!(row(4).contains("corrected by line 10: a second look: between 101 and 120"));
    assert!(row(4).contains("2021-05~ <del>2021-05-03T12:00:00Z</del>"));
    assert!(row(5).contains("<del>ARM claims [issue captives]: “a wrong claim”</del>"));
    assert!(row(5).contains("retracted by line 8: no source said it"));
    assert!(
        !row(6).contains("<del>"),
        "a line nobody changed is not struck through"
    );
    // The shipped log, corrected throughout, draws its 40 effective events.
    let shipped = directory.path().join("karabakh.html");
    let html = report(&crate::binary::shipped_karabakh(), &shipped, &[]);
    assert_eq!(mark_seqs(&html).len(), 40);
}
