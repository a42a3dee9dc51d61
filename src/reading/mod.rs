//! Reading a log: its lines in file order, the envelope rules between them, the chain.

pub mod ids_seen;
pub mod log;
