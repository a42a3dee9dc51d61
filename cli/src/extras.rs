//! Shell completions (bash, zsh, fish) and man pages, made from the clap definitions the
//! `accord` binary parses with, so they cannot fall out of step with it; and their
//! installation under a prefix, through the same output checks as every other file accord
//! writes (nothing replaced without `--force`, every file whole or none).

use std::path::{Path, PathBuf};

use std::io::Write as _;

use clap::CommandFactory as _;

use accord::files::output::{OutputFile, OutputPath, commit_all};

use crate::arguments::Arguments;
use crate::context::{Failure, printable};
use crate::output::output_failure;

/// A file to install: where it goes under the prefix, and its bytes.
pub struct ExtraFile {
    pub relative_path: PathBuf,
    pub bytes: Vec<u8>,
}

/// The completions of the three shells and a man page for `accord` and for each command
/// (`accord-state.1`, ...), at the places under a prefix where each shell and `man` look.
pub fn extra_files() -> Result<Vec<ExtraFile>, Failure> {
    use clap_complete::Shell;
    let mut files = Vec::new();
    for (shell, relative_path) in [
        (Shell::Bash, "share/bash-completion/completions/accord"),
        (Shell::Zsh, "share/zsh/site-functions/_accord"),
        (Shell::Fish, "share/fish/vendor_completions.d/accord.fish"),
    ] {
        let mut bytes = Vec::new();
        clap_complete::generate(shell, &mut Arguments::command(), "accord", &mut bytes);
        files.push(ExtraFile {
            relative_path: PathBuf::from(relative_path),
            bytes,
        });
    }
    // Built, so that each command carries the global options (--color, --stream,
    // --db-timeout) into its own page.
    let mut command = Arguments::command();
    command.build();
    files.push(man_page(command.clone(), "accord")?);
    for subcommand in command.get_subcommands() {
        let name = format!("accord-{}", subcommand.get_name());
        files.push(man_page(subcommand.clone(), &name)?);
    }
    Ok(files)
}

/// The man page (section 1) of `command`, called `name`.
fn man_page(command: clap::Command, name: &str) -> Result<ExtraFile, Failure> {
    let command = command
        .name(name.to_string())
        .bin_name(name.replacen('-', " ", 1))
        .version(env!("CARGO_PKG_VERSION"));
    let mut bytes = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut bytes)
        .map_err(|error| Failure::Io(format!("the man page of {name}: {error}")))?;
    Ok(ExtraFile {
        relative_path: Path::new("share/man/man1").join(format!("{name}.1")),
        bytes,
    })
}

/// Writes `files` under `prefix`, all or none: every place is checked before anything is
/// written or made (nothing there, or a regular file and `force`), the directories they go
/// in are made as needed, and the files are renamed into place together once all are whole.
pub fn install(prefix: &Path, files: &[ExtraFile], force: bool) -> Result<Vec<PathBuf>, Failure> {
    // Every place is checked before anything is made: a refusal leaves the prefix as it was.
    let mut targets = Vec::new();
    for file in files {
        let path = prefix.join(&file.relative_path);
        targets.push(OutputPath::check(&path, force).map_err(output_failure)?);
    }
    for target in &targets {
        let directory = target.path().parent().unwrap_or(prefix);
        std::fs::create_dir_all(directory).map_err(|error| {
            Failure::Io(format!(
                "{}: {error}",
                printable(&directory.display().to_string())
            ))
        })?;
    }
    let mut written = Vec::new();
    let mut paths = Vec::new();
    for (target, file) in targets.into_iter().zip(files) {
        paths.push(target.path().to_path_buf());
        let mut output = OutputFile::create(target).map_err(output_failure)?;
        output.write_all(&file.bytes).map_err(|error| {
            Failure::Io(format!(
                "{}: {error}",
                printable(&output.path().display().to_string())
            ))
        })?;
        written.push(output);
    }
    commit_all(written).map_err(output_failure)?;
    Ok(paths)
}
