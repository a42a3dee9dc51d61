//! The ids of the lines read so far, in little memory: what the `envelope.id` rule needs to
//! know about every line, and the one thing a streaming reader keeps per line.
//!
//! An exact set of ten million 128-bit ids cannot be held in less than about 130 MB, so the
//! set keeps a 64-bit fingerprint of each id instead: 16 bits choose one of 65,536 buckets
//! and the other 48 are stored, 6 bytes per id. A fingerprint never seen means an id never
//! seen. A fingerprint seen before only *may* mean the id was: the reader records the line
//! as a candidate and confirms it exactly against the log's ids afterwards, so the rule
//! stays exact. For random ids a false candidate among ten million lines comes about once
//! in 3,600 logs; ids made to collide cost a confirming pass, never a wrong answer.

use std::collections::HashSet;

use crate::format::ids::EventId;

/// Below this many ids a plain hash set of fingerprints is smaller than 65,536 buckets.
const SMALL_SET_LIMIT: usize = 1 << 16;

const BUCKET_BITS: u32 = 16;

/// A 48-bit remainder, stored as three `u16`s so that a bucket packs 6 bytes per id.
type Remainder = [u16; 3];

/// Fingerprints of the ids seen; see the module's comment.
#[derive(Clone, Debug, Default)]
pub struct IdsSeen {
    small: HashSet<u64>,
    buckets: Vec<Vec<Remainder>>,
    len: usize,
}

/// A 64-bit fingerprint of an id: both halves mixed (splitmix64's finaliser), so that ids
/// that differ in one bit, or count up, spread over every bucket.
fn fingerprint(id: &EventId) -> u64 {
    fn mix(mut value: u64) -> u64 {
        value ^= value >> 30;
        value = value.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        value ^= value >> 27;
        value = value.wrapping_mul(0x94d0_49bb_1331_11eb);
        value ^ (value >> 31)
    }
    let bits = id.as_u128();
    mix(mix(bits as u64) ^ (bits >> 64) as u64)
}

fn split(fingerprint: u64) -> (usize, Remainder) {
    let bucket = (fingerprint >> (64 - BUCKET_BITS)) as usize;
    let remainder = [
        fingerprint as u16,
        (fingerprint >> 16) as u16,
        (fingerprint >> 32) as u16,
    ];
    (bucket, remainder)
}

impl IdsSeen {
    /// Adds an id. Returns false when its fingerprint was there already: the id may have
    /// been seen (a candidate to confirm), or may be new with a colliding fingerprint.
    pub fn insert(&mut self, id: &EventId) -> bool {
        let fingerprint = fingerprint(id);
        if self.buckets.is_empty() {
            if !self.small.insert(fingerprint) {
                return false;
            }
            self.len += 1;
            if self.small.len() == SMALL_SET_LIMIT {
                self.spread_into_buckets();
            }
            return true;
        }
        let (bucket, remainder) = split(fingerprint);
        let bucket = &mut self.buckets[bucket];
        if bucket.contains(&remainder) {
            return false;
        }
        // Grow by a quarter, not double: the slack of 65,536 buckets is resident memory.
        if bucket.len() == bucket.capacity() {
            bucket.reserve_exact((bucket.len() / 4).max(4));
        }
        bucket.push(remainder);
        self.len += 1;
        true
    }

    fn spread_into_buckets(&mut self) {
        self.buckets = vec![Vec::new(); 1 << BUCKET_BITS];
        for fingerprint in std::mem::take(&mut self.small) {
            let (bucket, remainder) = split(fingerprint);
            self.buckets[bucket].push(remainder);
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_seen_again_is_always_caught_before_and_after_the_buckets() {
        let mut seen = IdsSeen::default();
        let count = 3 * SMALL_SET_LIMIT as u128;
        for value in 0..count {
            assert!(seen.insert(&EventId::from_u128(value)), "{value} is new");
        }
        assert_eq!(seen.len(), count as usize);
        for value in [0, 1, SMALL_SET_LIMIT as u128 - 1, count - 1] {
            assert!(!seen.insert(&EventId::from_u128(value)), "{value} was seen");
        }
        assert_eq!(seen.len(), count as usize);
    }
}
