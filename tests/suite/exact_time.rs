//! Time is exact: a second 60 exists only where a leap second was, a period counts its leap
//! second, and a time argument is never cut short. The logs are fixtures
//! (`tests/fixtures/valid/leap-second.jsonl`, `tests/fixtures/invalid/second-60-*`).

use crate::binary::{accord, root, stderr, stdout};

fn leap_log() -> String {
    root()
        .join("tests/fixtures/valid/leap-second.jsonl")
        .display()
        .to_string()
}

/// The issues of the leap-second log's state as of `when`.
fn issues_as_of(when: &str) -> Vec<String> {
    let output = accord(&["state", &leap_log(), "--as-of", when, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{when}: {}", stderr(&output));
    let state: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    state["issues"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn a_period_ends_after_its_leap_second() {
    // Post-mortem: `--as-of 2016-12-31` ended at 23:59:59.999999999, leaving out what
    // happened in that day's leap second.
    for period in [
        "2016-12-31",
        "2016-12",
        "2016",
        "2016-12-31T23:59:60.999999999Z",
    ] {
        assert_eq!(issues_as_of(period), ["x"], "{period}");
    }
    assert_eq!(issues_as_of("2016-12-31T23:59:59Z"), Vec::<String>::new());
    assert_eq!(issues_as_of("2017-01"), ["x", "y"]);
}

#[test]
fn a_second_60_off_a_leap_second_day_is_refused_in_a_log_and_as_an_argument() {
    // Post-mortem: `2021-02-03T12:30:60Z`, a second that never was, was accepted.
    let log = root().join("tests/fixtures/invalid/second-60-not-a-leap-second.jsonl");
    let output = accord(&["verify", log.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("line 2: envelope.shape") && stderr(&output).contains("never was"),
        "{}",
        stderr(&output)
    );
    let output = accord(&["state", &leap_log(), "--as-of", "2021-02-03T12:30:60Z"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("never was"), "{}", stderr(&output));
}

#[test]
fn a_time_argument_is_never_cut_short() {
    // Post-mortem: `--as-of` values with more than 9 digits of a second were cut to 9.
    let output = accord(&[
        "state",
        &leap_log(),
        "--as-of",
        "2016-12-31T23:59:59.9999999999Z",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("10 digits"), "{}", stderr(&output));
    for bad in ["2021-13", "2021-02-30", "21", "2021-5"] {
        let output = accord(&["state", &leap_log(), "--as-of", bad]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
    }
}
