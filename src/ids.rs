//! The identifiers of the log: author-chosen slugs, event UUIDs and SHA-256 hashes.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Longest slug: 64 characters.
pub const MAX_SLUG_CHARS: usize = 64;

/// The id of a party, issue, proposal, agreement or provision: 1 to 64 characters of
/// `A-Z a-z 0-9 . _ -`, starting with a letter or a digit.
///
/// Shared, not copied: states and simulations clone slugs constantly, and a clone is a
/// reference count. Slugs are the keys of every map of the state, so each carries its first
/// eight bytes as a number: most comparisons end there, without reading the text.
#[derive(Clone, Debug)]
pub struct Slug {
    text: std::sync::Arc<str>,
    /// The first eight bytes, big-endian, padded with zeros (no slug contains a zero byte,
    /// so the padding orders a shorter slug before a longer one it begins).
    prefix: u64,
}

impl PartialEq for Slug {
    fn eq(&self, other: &Slug) -> bool {
        self.prefix == other.prefix && self.rest_cmp(other).is_eq()
    }
}

impl Eq for Slug {}

impl Ord for Slug {
    /// The order of the text, byte by byte.
    fn cmp(&self, other: &Slug) -> std::cmp::Ordering {
        self.prefix
            .cmp(&other.prefix)
            .then_with(|| self.rest_cmp(other))
    }
}

impl PartialOrd for Slug {
    fn partial_cmp(&self, other: &Slug) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::hash::Hash for Slug {
    /// The text's hash, as `Borrow<str>` requires.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

const PREFIX_BYTES: usize = 8;

impl Slug {
    /// Orders two slugs with equal prefixes: both texts are then the same eight bytes or
    /// fewer (equal, as no slug holds a zero byte), or both go on past the prefix.
    fn rest_cmp(&self, other: &Slug) -> std::cmp::Ordering {
        let (mine, theirs) = (self.text.as_bytes(), other.text.as_bytes());
        if std::sync::Arc::ptr_eq(&self.text, &other.text)
            || (mine.len() <= PREFIX_BYTES && theirs.len() <= PREFIX_BYTES)
        {
            return mine.len().cmp(&theirs.len());
        }
        mine[PREFIX_BYTES..].cmp(&theirs[PREFIX_BYTES..])
    }
}

fn prefix_of(text: &str) -> u64 {
    let mut bytes = [0u8; PREFIX_BYTES];
    for (slot, byte) in bytes.iter_mut().zip(text.as_bytes()) {
        *slot = *byte;
    }
    u64::from_be_bytes(bytes)
}

impl Slug {
    pub fn parse(text: &str) -> Result<Slug, String> {
        let bytes = text.as_bytes();
        let allowed =
            |byte: &u8| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-');
        if bytes.is_empty()
            || bytes.len() > MAX_SLUG_CHARS
            || !bytes[0].is_ascii_alphanumeric()
            || !bytes.iter().all(allowed)
        {
            let shown: String = text.chars().take(MAX_SLUG_CHARS + 1).collect();
            return Err(format!(
                "`{shown}` is not an identifier (1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)"
            ));
        }
        Ok(Slug {
            text: std::sync::Arc::from(text),
            prefix: prefix_of(text),
        })
    }

    /// Whether both are clones of one slug (not merely equal text): a cheap identity check.
    pub fn shares_text_with(&self, other: &Slug) -> bool {
        std::sync::Arc::ptr_eq(&self.text, &other.text)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Borrow<str> for Slug {
    fn borrow(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` honours width and alignment, so slugs line up in columns.
        formatter.pad(&self.text)
    }
}

impl Serialize for Slug {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Slug {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Slug::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The id of an event: a UUID written lowercase and hyphenated, as the log requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(uuid::Uuid);

impl EventId {
    pub fn parse(text: &str) -> Result<EventId, String> {
        let refuse = || {
            let shown: String = text.chars().take(40).collect();
            format!("`{shown}` is not a lowercase hyphenated UUID")
        };
        let uuid = uuid::Uuid::try_parse(text).map_err(|_| refuse())?;
        if uuid.hyphenated().to_string() != text {
            return Err(refuse());
        }
        Ok(EventId(uuid))
    }

    pub fn random() -> EventId {
        EventId(uuid::Uuid::new_v4())
    }

    /// A version-4 UUID made of the given bytes (from a seeded generator).
    pub fn from_random_bytes(bytes: [u8; 16]) -> EventId {
        EventId(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    pub fn from_u128(value: u128) -> EventId {
        EventId(uuid::Uuid::from_u128(value))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0.hyphenated())
    }
}

impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Every line carries one: encoded on the stack, not through the formatting machinery.
        let mut text = uuid::Uuid::encode_buffer();
        serializer.serialize_str(self.0.hyphenated().encode_lower(&mut text))
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        EventId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A SHA-256 digest: the hash of a line, the `prev` of the next, the head of a log.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash([u8; 32]);

impl Hash {
    /// The `prev` of line 1 and the head of an empty log.
    pub const ZERO: Hash = Hash([0; 32]);

    pub fn of(bytes: &[u8]) -> Hash {
        let digest = Sha256::digest(bytes);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_slice());
        Hash(out)
    }

    /// Parses 64 lowercase hexadecimal digits.
    pub fn parse(text: &str) -> Result<Hash, String> {
        let refuse = || {
            let shown: String = text.chars().take(70).collect();
            format!("`{shown}` is not 64 lowercase hexadecimal digits")
        };
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(refuse());
        }
        let mut out = [0u8; 32];
        for (index, pair) in bytes.chunks_exact(2).enumerate() {
            let high = lower_hex_value(pair[0]).ok_or_else(refuse)?;
            let low = lower_hex_value(pair[1]).ok_or_else(refuse)?;
            out[index] = high << 4 | low;
        }
        Ok(Hash(out))
    }
}

fn lower_hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

impl Hash {
    /// Lowercase hex, on the stack: every line written carries a hash.
    fn hex(&self) -> [u8; 64] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 64];
        for (index, byte) in self.0.iter().enumerate() {
            text[2 * index] = DIGITS[usize::from(byte >> 4)];
            text[2 * index + 1] = DIGITS[usize::from(byte & 0x0f)];
        }
        text
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(std::str::from_utf8(&self.hex()).expect("hex digits are ASCII"))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Hash({self})")
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(std::str::from_utf8(&self.hex()).expect("hex digits are ASCII"))
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Hash::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_allowed_form() {
        for good in ["ARM", "OSCE-MG", "a", "9.x_y-z", &"a".repeat(64)] {
            assert!(Slug::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "-ARM", ".x", "a b", "é", "a/b", &"a".repeat(65)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uuids_must_be_lowercase_and_hyphenated() {
        assert!(EventId::parse("6f1b2c3d-0000-4000-8000-000000000001").is_ok());
        assert!(EventId::parse("6F1B2C3D-0000-4000-8000-000000000001").is_err());
        assert!(EventId::parse("6f1b2c3d000040008000000000000001").is_err());
        assert!(EventId::parse("{6f1b2c3d-0000-4000-8000-000000000001}").is_err());
    }

    #[test]
    fn hashes_round_trip_and_refuse_upper_case() {
        let hash = Hash::of(b"abc");
        assert_eq!(
            hash.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Hash::parse(&hash.to_string()).unwrap(), hash);
        assert!(Hash::parse(&hash.to_string().to_uppercase()).is_err());
        assert_eq!(Hash::ZERO.to_string(), "0".repeat(64));
    }
}

#[cfg(test)]
mod slug_order_tests {
    use super::Slug;
    use proptest::prelude::*;

    fn slug_text() -> impl Strategy<Value = String> {
        // Short alphabets make shared prefixes, equal texts and prefixes of each other common.
        prop_oneof![
            "[ab][ab.-]{0,12}",
            "offer-[0-9]{1,4}",
            "[A-Za-z0-9][A-Za-z0-9._-]{0,63}",
        ]
    }

    proptest! {
        #[test]
        fn slugs_order_and_compare_as_their_text(first in slug_text(), second in slug_text()) {
            let (a, b) = (Slug::parse(&first).unwrap(), Slug::parse(&second).unwrap());
            prop_assert_eq!(a.cmp(&b), first.as_str().cmp(second.as_str()));
            prop_assert_eq!(a == b, first == second);
            prop_assert_eq!(a.clone().cmp(&a), std::cmp::Ordering::Equal);
        }
    }
}
