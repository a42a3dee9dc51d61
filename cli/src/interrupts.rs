//! What an interrupt does to a command's unfinished outputs.

/// On SIGINT or SIGTERM, the temporaries of outputs not yet in place are removed (after any
/// rename into place or append under way ends), and the process then ends as the signal
/// would have ended it. signal-hook's handler only raises a flag (all a signal handler may
/// safely do); a thread of ours looks at the flags every 20 ms and does the removal, which
/// takes locks and calls the file system. (signal-hook's own iterator thread panics when
/// reading its pipe fails, which a failure injected into `read` showed.)
pub fn remove_unfinished_outputs_on_interrupt() {
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
