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
    let json = arguments.wants_json();
    match cli::run(arguments) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (code, message) = match &failure {
                Failure::Refused(refusal) => (1, &refusal.message),
                Failure::Usage(message) => (2, message),
            };
            // A machine that asked for JSON gets its answer on stdout too.
            if json {
                println!("{}", failure.to_json());
            }
            eprintln!("accord: {}", cli::printable(message));
            ExitCode::from(code)
        }
    }
}
