//! Where a log lives. `Store` is what every store offers the rest of accord: the lines of a
//! range, a batch appended after an expected seq, the head. The file store (`file/`) and,
//! with the cargo feature `postgres`, the PostgreSQL store (`postgres/`) implement it.
//!
//! The store-neutral modules come first, each using only those before it: `error` (what
//! goes wrong), `append` (an append planned, the same lines for every store), `snapshot`
//! (the snapshot format), `verify` (a log checked against its snapshots), `query` (what a
//! query asks and answers), `follow` (a follower's place). Then one folder per store, which
//! uses them and never the other store.

pub mod append;
pub mod error;
pub mod file;
pub mod follow;
pub mod names;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod query;
pub mod snapshot;
pub mod store;
pub mod verify;

pub use append::AppendOutcome;
pub use error::StoreError;
pub use file::FileStore;
pub use names::{is_database_target, shown_url};
pub use store::{MAX_RANGE_LINES, Store, head_from, with_whole};
