//! Files accord writes for its user, and inputs that are not files: the layer every other
//! one may use, since every layer that writes (the stores' snapshots, checkpoints and
//! intents, the simulator's run logs) writes through it.
//!
//! - `output`: an output file or directory is checked before anything is written (only
//!   nothing, or a regular file with `--force`, may stand there), written beside its place,
//!   and put in place whole by a rename, or not at all;
//! - `unfinished`: the temporaries being written, which an interrupt removes;
//! - `input`: whether a path is read as a stream (a FIFO, a terminal, a pipe), once.

pub mod input;
pub mod output;
pub mod unfinished;
