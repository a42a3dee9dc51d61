//! `accord-extras`: installs accord's shell completions (bash, zsh, fish) and man pages
//! under a prefix (`~/.local` by default), made from the clap definitions `accord` parses
//! with.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use accord_cli::context::printable;
use accord_cli::{extras, interrupts, output};

/// Installs accord's shell completions (bash, zsh, fish) and man pages.
#[derive(Parser)]
#[command(name = "accord-extras", version, about, max_term_width = 100)]
struct Arguments {
    /// Where to install: completions go in PREFIX/share/bash-completion/completions,
    /// PREFIX/share/zsh/site-functions and PREFIX/share/fish/vendor_completions.d, man pages
    /// in PREFIX/share/man/man1 (default: ~/.local).
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<PathBuf>,
    /// Replace files that exist (without it, any file there is refused and nothing written).
    #[arg(long)]
    force: bool,
}

fn main() -> ExitCode {
    interrupts::remove_unfinished_outputs_on_interrupt();
    let arguments = match Arguments::try_parse() {
        Ok(arguments) => arguments,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    let prefix = match arguments.prefix {
        Some(prefix) => prefix,
        None => match std::env::var_os("HOME").filter(|home| !home.is_empty()) {
            Some(home) => PathBuf::from(home).join(".local"),
            None => {
                output::say("HOME is not set: give --prefix");
                return ExitCode::from(2);
            }
        },
    };
    let installed =
        extras::extra_files().and_then(|files| extras::install(&prefix, &files, arguments.force));
    match installed {
        Ok(paths) => {
            let mut said = String::new();
            for path in &paths {
                said.push_str(&format!(
                    "installed {}\n",
                    printable(&path.display().to_string())
                ));
            }
            match output::print(&said) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => ExitCode::from(failure.exit_code()),
            }
        }
        Err(failure) => {
            output::say(failure.message());
            ExitCode::from(failure.exit_code())
        }
    }
}
