//! The `accord` command line, as the library its two binaries share: `accord` (`main.rs`)
//! and `accord-extras` (`bin/accord-extras.rs`), which writes the shell completions and
//! man pages made from the same clap definitions. The work itself is the `accord`
//! library's; this crate parses arguments, calls its front door, and prints.

pub mod arguments;
pub mod commands;
pub mod context;
pub mod extras;
pub mod interrupts;
pub mod output;
pub mod render;
