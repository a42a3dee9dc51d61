//! Following a stream: notifications woken on, the rows read from the table, reconnecting
//! with a bounded backoff.

use crate::format::event::Event;
use crate::format::ids::Hash;
use crate::reading::log::ReadError;
use crate::stores::error::StoreError;
use crate::stores::postgres::connection::{
    LINE_AT, NOTIFY_CHANNEL, connect_with, driver_error, one_snapshot, seq_column,
};
use crate::stores::postgres::reading::StreamSource;
use crate::stores::postgres::store::PgStore;
use postgres::Client;
use std::cell::RefCell;

/// How long a follower waits for a notification before it reads anyway: a safety net for
/// a notification lost, never the way events are found.
pub(crate) const FOLLOW_WAKE: std::time::Duration = std::time::Duration::from_secs(1);

/// The longest wait between two attempts to reconnect a follower.
pub(crate) const FOLLOW_MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(5);

/// What ended one connection of a follow.
pub(crate) enum FollowEnd {
    /// The caller asked to stop.
    Stopped,
    /// The connection failed: connect again and go on from the same place.
    Lost,
}

impl PgStore {
    /// `Store::follow` for a stream: a connection of its own listens on `accord_events`,
    /// then reads the rows after the last one handed over, then waits for a notification
    /// naming this stream (or `FOLLOW_WAKE`) and reads again. When the connection fails it
    /// connects again, listens, and reads from where it stood: listening comes before
    /// reading, so a row committed in between is read, never missed, and the position
    /// makes sure it is not handed over twice. Only a first connection that fails, or a
    /// stream that stops extending what was handed over, ends the follow with an error.
    pub fn follow_stream(
        &self,
        from: u64,
        on_event: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<(), StoreError> {
        let mut follower = crate::stores::follow::Follower::new(from);
        let mut connected_once = false;
        let mut backoff = std::time::Duration::from_millis(100);
        loop {
            let client = connect_with(&self.url, self.waits).and_then(|mut client| {
                client
                    .batch_execute(&format!(
                        "SET application_name = 'accord follow'; LISTEN {NOTIFY_CHANNEL}"
                    ))
                    .map_err(|error| driver_error(&self.url, error))?;
                Ok(client)
            });
            let mut client = match client {
                Ok(client) => client,
                Err(error) if !connected_once => return Err(error),
                Err(_) => {
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(FOLLOW_MAX_BACKOFF);
                    continue;
                }
            };
            connected_once = true;
            backoff = std::time::Duration::from_millis(100);
            match self.follow_on(&mut client, &mut follower, on_event)? {
                FollowEnd::Stopped => return Ok(()),
                FollowEnd::Lost => continue,
            }
        }
    }

    /// One connection's share of a follow.
    pub(crate) fn follow_on(
        &self,
        client: &mut Client,
        follower: &mut crate::stores::follow::Follower,
        on_event: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<FollowEnd, StoreError> {
        loop {
            let transaction = match one_snapshot(client) {
                Ok(transaction) => transaction,
                Err(_) => return Ok(FollowEnd::Lost),
            };
            let cell = RefCell::new(transaction);
            let position = follower.position().clone();
            if position.seq > 0 {
                let row = cell
                    .borrow_mut()
                    .query_opt(LINE_AT, &[&self.stream, &seq_column(position.seq)]);
                let still_there = match row {
                    Err(_) => return Ok(FollowEnd::Lost),
                    Ok(row) => row
                        .and_then(|row| row.try_get::<_, &[u8]>(0).ok().map(Hash::of))
                        .is_some_and(|hash| hash == position.head),
                };
                if !still_there {
                    return Err(self.read_error(ReadError::Rule(
                        crate::reading::log::LogError {
                            line: position.seq,
                            rule: crate::format::rules::Rule::EnvelopeChain,
                            detail: format!(
                                "line {} no longer hashes to the line already shown: the stream was cut, replaced or rewritten",
                                position.seq
                            ),
                        },
                    )));
                }
            }
            let source = StreamSource::new(&cell, &self.stream, u64::MAX).from_position(&position);
            let read = follower.read_new(&source, on_event);
            drop(source);
            let _ = cell.into_inner().commit();
            match read {
                Ok(true) => {}
                Ok(false) => return Ok(FollowEnd::Stopped),
                Err(ReadError::Io(_)) => return Ok(FollowEnd::Lost),
                Err(error) => return Err(self.read_error(error)),
            }
            if client.is_closed() {
                return Ok(FollowEnd::Lost);
            }
            // Wait for a notification naming this stream past the position, or the wake.
            let seen = follower.position().seq;
            let mut notifications = client.notifications();
            let mut waiting = notifications.timeout_iter(FOLLOW_WAKE);
            loop {
                use postgres::fallible_iterator::FallibleIterator as _;
                match waiting.next() {
                    Ok(None) => break,
                    Err(_) => return Ok(FollowEnd::Lost),
                    Ok(Some(notification)) => {
                        let landed = notification
                            .payload()
                            .split_once(' ')
                            .filter(|(_, stream)| *stream == self.stream)
                            .and_then(|(seq, _)| seq.parse::<u64>().ok());
                        if landed.is_some_and(|seq| seq > seen) {
                            break;
                        }
                    }
                }
            }
        }
    }
}
