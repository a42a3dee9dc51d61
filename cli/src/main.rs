//! The `accord` command line. The library does the work; this file reads arguments, picks
//! the command, and turns failures into one line on stderr and an exit code.

mod arguments;
mod commands;
mod context;
mod output;
mod render;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;

use arguments::Arguments;

fn main() -> ExitCode {
    remove_unfinished_outputs_on_interrupt();
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

/// On SIGINT or SIGTERM, the temporaries of outputs not yet in place are removed (after any
/// rename into place or append under way ends), and the process then ends as the signal
/// would have ended it. signal-hook's handler only raises a flag (all a signal handler may
/// safely do); a thread of ours looks at the flags every 20 ms and does the removal, which
/// takes locks and calls the file system. (signal-hook's own iterator thread panics when
/// reading its pipe fails, which a failure injected into `read` showed.)
fn remove_unfinished_outputs_on_interrupt() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut flags = Vec::new();
    for signal in [SIGINT, SIGTERM] {
        let raised = Arc::new(AtomicBool::new(false));
        if signal_hook::flag::register(signal, Arc::clone(&raised)).is_err() {
            return;
        }
        flags.push((signal, raised));
    }
    let _ = std::thread::Builder::new()
        .name("interrupts".into())
        .spawn(move || {
            loop {
                if let Some((signal, _)) = flags
                    .iter()
                    .find(|(_, raised)| raised.load(Ordering::Relaxed))
                {
                    accord::files::unfinished::interrupt();
                    let _ = signal_hook::low_level::emulate_default_handler(*signal);
                    std::process::exit(128 + signal);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        });
}
