//! `accord-extras`: the shell completions and man pages, made from the clap definitions
//! `accord` parses with, and installed like every other output (checked, whole or none).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn extras(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accord-extras"))
        .args(arguments)
        .output()
        .expect("accord-extras runs")
}

/// Every command `accord --help` lists.
fn commands() -> Vec<String> {
    let help = crate::binary::accord(&["--help"]);
    let text = String::from_utf8(help.stdout).unwrap();
    let listed = text.split("Commands:").nth(1).expect("a list of commands");
    listed
        .lines()
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

fn install(prefix: &Path) {
    let installed = extras(&["--prefix", prefix.to_str().unwrap()]);
    assert!(
        installed.status.success(),
        "{}",
        String::from_utf8_lossy(&installed.stderr)
    );
}

#[test]
fn every_command_gets_a_man_page_with_its_options_and_the_global_ones() {
    let directory = tempfile::tempdir().unwrap();
    install(directory.path());
    let pages = directory.path().join("share/man/man1");
    let commands = commands();
    assert_eq!(commands.len(), 24, "{commands:?}");
    let top = fs::read_to_string(pages.join("accord.1")).unwrap();
    for command in &commands {
        let in_roff = command.replace('-', "\\-");
        assert!(top.contains(&in_roff), "accord.1 lists {command}");
        let page = fs::read_to_string(pages.join(format!("accord-{command}.1"))).unwrap();
        assert!(
            page.contains(&format!(".TH accord-{command} 1")),
            "{command}: {page}"
        );
        // Its own help, option by option, and the global options, escaped for roff.
        let help = crate::binary::accord(&[command.as_str(), "--help"]);
        let help = String::from_utf8(help.stdout).unwrap();
        for option in help
            .split_whitespace()
            .filter(|word| word.starts_with("--") && word.len() > 2)
        {
            let name: String = option[2..]
                .chars()
                .take_while(|character| character.is_ascii_alphanumeric() || *character == '-')
                .collect();
            let option = format!("--{name}");
            let in_roff = option.replace('-', "\\-");
            assert!(page.contains(&in_roff), "accord-{command}.1 lacks {option}");
        }
        for global in ["\\-\\-color", "\\-\\-stream", "\\-\\-db\\-timeout"] {
            assert!(page.contains(global), "accord-{command}.1 lacks {global}");
        }
    }
}

#[test]
fn bash_completes_commands_and_their_options() {
    let directory = tempfile::tempdir().unwrap();
    install(directory.path());
    let script = directory
        .path()
        .join("share/bash-completion/completions/accord");
    let complete = |words: &str| {
        let program = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             _accord accord \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let output = Command::new("bash")
            .args(["-c", &program])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let commands = complete("accord ver");
    assert!(commands.lines().any(|word| word == "verify"), "{commands}");
    let options = complete("accord state --kn");
    assert!(
        options.lines().any(|word| word == "--known-at"),
        "{options}"
    );
    let zsh =
        fs::read_to_string(directory.path().join("share/zsh/site-functions/_accord")).unwrap();
    assert!(zsh.starts_with("#compdef accord"), "{zsh}");
    let fish = fs::read_to_string(
        directory
            .path()
            .join("share/fish/vendor_completions.d/accord.fish"),
    )
    .unwrap();
    assert!(fish.contains("complete -c accord"), "{fish}");
}

#[test]
fn installing_again_replaces_nothing_without_force_and_gives_the_same_bytes() {
    let directory = tempfile::tempdir().unwrap();
    install(directory.path());
    let page = directory.path().join("share/man/man1/accord-verify.1");
    let first = fs::read(&page).unwrap();
    fs::write(&page, b"kept").unwrap();
    let again = extras(&["--prefix", directory.path().to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    let said = String::from_utf8(again.stderr).unwrap();
    assert!(
        said.contains("exists") && said.contains("--force"),
        "{said}"
    );
    assert_eq!(said.lines().count(), 1, "{said}");
    assert_eq!(fs::read(&page).unwrap(), b"kept", "nothing replaced");
    let forced = extras(&["--prefix", directory.path().to_str().unwrap(), "--force"]);
    assert!(forced.status.success());
    assert_eq!(fs::read(&page).unwrap(), first, "the same bytes each time");
}
