//! The `accord` command line. The library does the work; this file reads arguments, picks
//! the command, and turns failures into one line on stderr and an exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{Arguments, Failure};

fn main() -> ExitCode {
    let arguments = match Arguments::try_parse() {
        Ok(arguments) => arguments,
        Err(error) => {
            // Help and version go to stdout with success; everything else is a usage error.
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match cli::run(arguments) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (code, message) = match &failure {
                Failure::Refused(message) => (1, message),
                Failure::Usage(message) => (2, message),
            };
            eprintln!("accord: {}", cli::printable(message));
            ExitCode::from(code)
        }
    }
}
