//! The `accord` command line. The library does the work; this file reads arguments, picks
//! the command, and turns failures into one line on stderr and an exit code.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

use accord_cli::arguments::Arguments;
use accord_cli::{commands, interrupts, output};

fn main() -> ExitCode {
    interrupts::remove_unfinished_outputs_on_interrupt();
    let arguments = match Arguments::try_parse() {
        Ok(arguments) => arguments,
        Err(error) => {
            // Help and version go to stdout with success; everything else is a usage error,
            // and so is help that could not be written.
            let code = if error.use_stderr() { 2 } else { 0 };
            let printed = error.print();
            let failed = printed.is_err_and(|error| error.kind() != std::io::ErrorKind::BrokenPipe);
            return ExitCode::from(if failed { 2 } else { code });
        }
    };
    let json = arguments.wants_json();
    match commands::run(arguments) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (code, message) = (failure.exit_code(), failure.message());
            // A machine that asked for JSON gets its answer on stdout too, unless stdout is
            // what failed.
            if json && !output::stdout_gone() {
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(stdout, "{}", failure.to_json()).and_then(|()| stdout.flush());
            }
            output::say(message);
            ExitCode::from(code)
        }
    }
}
