//! Inputs that cannot be read twice or from an offset: pipes, FIFOs, terminals, sockets
//! (`/dev/stdin`, `<(cat log)`). Such an input is read once into memory, as stdin (`-`) is;
//! a regular file is read where it lies, as often as a replay needs.

use std::path::Path;

/// Whether `path` names something that is read as a stream (not a regular file, not a
/// directory): followed through symbolic links, as opening it would be.
pub fn is_stream(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|metadata| !metadata.is_file() && !metadata.is_dir())
}
