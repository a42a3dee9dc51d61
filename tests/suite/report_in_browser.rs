//! The Karabakh report opened in headless Chromium (cargo feature `browser`; `.ci/run`
//! installs Debian's `chromium` when it is missing). Fails, never skips, without a browser.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::binary::karabakh;

fn chromium() -> PathBuf {
    let named = std::env::var_os("ACCORD_CHROMIUM").map(PathBuf::from);
    let found = named
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|path| path.exists());
    found.expect(
        "no Chromium: install Debian's chromium (.ci/run does) or name it in ACCORD_CHROMIUM",
    )
}

/// Chromium run headless on `page` with `arguments`; its stdout.
fn headless(page: &Path, arguments: &[&str], profile: &Path) -> String {
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(arguments)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Chromium runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_karabakh_report_renders_in_chromium_with_one_mark_per_event() {
    let directory = tempfile::tempdir().unwrap();
    let page = directory.path().join("karabakh.html");
    super::report::report(&karabakh(), &page, &[]);
    let profile = directory.path().join("profile");
    // The DOM once the script has run: it marks the body rendered, and counts errors.
    let dom = headless(&page, &["--dump-dom"], &profile);
    assert!(
        dom.contains("data-rendered=\"1\""),
        "the script ran to its end"
    );
    assert!(dom.contains("data-script-errors=\"0\""), "no script error");
    let mut seqs = super::report::mark_seqs(&dom);
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=38).collect::<Vec<u64>>(),
        "one mark per event in the DOM"
    );
    assert!(
        dom.contains("AZE holds 59 of ARM"),
        "the slider's state is filled in"
    );
    // Opened at 3 May 2021 with only Armenia's statements: the custody before the release
    // of the 4th, and every other mark hidden by the filters.
    let linked = PathBuf::from(format!(
        "{}#at=2021-05-03&lanes=0&families=statement",
        page.display()
    ));
    let dom = headless(&linked, &["--dump-dom"], &profile);
    assert!(dom.contains("data-script-errors=\"0\""), "no script error");
    assert!(
        dom.contains("AZE holds 62 of ARM"),
        "the state as of 3 May 2021"
    );
    let shown: Vec<&str> = dom
        .split("<g class=\"mark ")
        .skip(1)
        .filter(|mark| !mark[..mark.find('"').unwrap()].contains("hidden"))
        .collect();
    assert!(!shown.is_empty());
    for mark in shown {
        assert!(mark.starts_with("f-statement") && mark.contains("data-lane=\"0\""));
    }
    // A screenshot: a blank page compresses to a few KiB, this one does not.
    let shot = directory.path().join("karabakh.png");
    headless(
        &page,
        &[
            "--window-size=1280,1600",
            &format!("--screenshot={}", shot.display()),
        ],
        &profile,
    );
    let bytes = std::fs::read(&shot).expect("a screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        bytes.len() > 60_000,
        "the page drew something: {} bytes",
        bytes.len()
    );
}
