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
/// States and simulations clone slugs constantly and every map of the state is keyed by
/// them. So a slug keeps its first 16 bytes inline, zero-padded: a slug that short (nearly
/// all of them) is cloned by copying 24 bytes, with no allocation and no atomic reference
/// count, and most comparisons of any two slugs end after reading those bytes as one
/// number. A longer slug also shares its whole text behind a reference count.
#[derive(Clone)]
pub struct Slug {
    /// The first `INLINE_BYTES` bytes of the text, then zeros. No slug contains a zero byte,
    /// so the padding orders a shorter slug before a longer one it begins.
    head: [u8; INLINE_BYTES],
    /// The whole text, for a slug longer than `INLINE_BYTES` (and only then).
    long: Option<std::sync::Arc<str>>,
}

/// Bytes of a slug held inline.
const INLINE_BYTES: usize = 16;

/// Bytes as lower-case hexadecimal text.
pub fn hex_text(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl PartialEq for Slug {
    #[inline]
    fn eq(&self, other: &Slug) -> bool {
        self.head == other.head
            && match (&self.long, &other.long) {
                (None, None) => true,
                (Some(text), Some(other_text)) => {
                    std::sync::Arc::ptr_eq(text, other_text) || text == other_text
                }
                // Equal heads, and one text ends within them while the other goes on.
                _ => false,
            }
    }
}

impl Eq for Slug {}

impl Ord for Slug {
    /// The order of the text, byte by byte.
    #[inline]
    fn cmp(&self, other: &Slug) -> std::cmp::Ordering {
        // Eight bytes at a time: the first eight usually settle it.
        let word = |slug: &Slug, at: usize| {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(&slug.head[at..at + 8]);
            u64::from_be_bytes(eight)
        };
        word(self, 0)
            .cmp(&word(other, 0))
            .then_with(|| word(self, 8).cmp(&word(other, 8)))
            .then_with(|| match (&self.long, &other.long) {
                (None, None) => std::cmp::Ordering::Equal,
                _ => self.as_str().as_bytes().cmp(other.as_str().as_bytes()),
            })
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
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Slug {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), formatter)
    }
}

/// Why a text is not the identifier, event id or hash the log needs; each holds the text,
/// shortened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error(
        "`{shown}` is not an identifier (1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit){}",
        foreign_note(*.foreign)
    )]
    NotASlug {
        shown: String,
        /// Its first character outside ASCII, named by code point: a Cyrillic `А` in `АRM`
        /// looks like the Latin `A` it is not.
        foreign: Option<char>,
    },
    #[error("`{0}` is not a lowercase hyphenated UUID")]
    NotAnEventId(String),
    #[error("`{0}` is not 64 lowercase hexadecimal digits")]
    NotAHash(String),
}

fn foreign_note(foreign: Option<char>) -> String {
    foreign.map_or(String::new(), |character| {
        format!(
            "; its character `{}` is U+{:04X}, not ASCII",
            character.escape_default(),
            u32::from(character)
        )
    })
}

impl Slug {
    pub fn parse(text: &str) -> Result<Slug, IdError> {
        let bytes = text.as_bytes();
        let allowed =
            |byte: &u8| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-');
        if bytes.is_empty()
            || bytes.len() > MAX_SLUG_CHARS
            || !bytes[0].is_ascii_alphanumeric()
            || !bytes.iter().all(allowed)
        {
            return Err(IdError::NotASlug {
                shown: text.chars().take(MAX_SLUG_CHARS + 1).collect(),
                foreign: text.chars().find(|character| !character.is_ascii()),
            });
        }
        let mut head = [0u8; INLINE_BYTES];
        let inline = bytes.len().min(INLINE_BYTES);
        head[..inline].copy_from_slice(&bytes[..inline]);
        Ok(Slug {
            head,
            long: (bytes.len() > INLINE_BYTES).then(|| std::sync::Arc::from(text)),
        })
    }

    pub fn as_str(&self) -> &str {
        match &self.long {
            Some(text) => text,
            None => {
                // The padding is the number's high zero bytes, read little-endian.
                let padding = u128::from_le_bytes(self.head).leading_zeros() as usize / 8;
                std::str::from_utf8(&self.head[..INLINE_BYTES - padding])
                    .expect("a slug's head holds the ASCII it was parsed from")
            }
        }
    }
}

impl Borrow<str> for Slug {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` honours width and alignment, so slugs line up in columns.
        formatter.pad(self.as_str())
    }
}

impl Serialize for Slug {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Deserialises a JSON string through `parse` without copying it: serde's `Cow<str>` always
/// allocates an owned `String`, and every line holds several identifiers, timestamps and a
/// hash. `expecting` names the form in serde's own errors (a number where a string belongs).
pub(crate) fn deserialize_str_with<'de, D, T, E>(
    deserializer: D,
    expecting: &'static str,
    parse: fn(&str) -> Result<T, E>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    E: fmt::Display,
{
    struct StrVisitor<T, E> {
        expecting: &'static str,
        parse: fn(&str) -> Result<T, E>,
    }
    impl<'de, T, E: fmt::Display> serde::de::Visitor<'de> for StrVisitor<T, E> {
        type Value = T;
        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str(self.expecting)
        }
        fn visit_str<Refused: serde::de::Error>(self, text: &str) -> Result<T, Refused> {
            (self.parse)(text).map_err(Refused::custom)
        }
    }
    deserializer.deserialize_str(StrVisitor { expecting, parse })
}

impl<'de> Deserialize<'de> for Slug {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_str_with(deserializer, "a string", Slug::parse)
    }
}

/// The id of an event: a UUID written lowercase and hyphenated, as the log requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(uuid::Uuid);

impl EventId {
    pub fn parse(text: &str) -> Result<EventId, IdError> {
        let refuse = || IdError::NotAnEventId(text.chars().take(40).collect());
        let uuid = uuid::Uuid::try_parse(text).map_err(|_| refuse())?;
        // The one form the log allows, written on the stack: every line's id passes here.
        let mut canonical = [0u8; uuid::fmt::Hyphenated::LENGTH];
        if uuid.hyphenated().encode_lower(&mut canonical) != text {
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

    pub fn as_u128(&self) -> u128 {
        self.0.as_u128()
    }

    /// The id as the log writes it, encoded into `buffer` on the stack.
    pub fn encode<'a>(&self, buffer: &'a mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &'a str {
        self.0.hyphenated().encode_lower(buffer)
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
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        serializer.serialize_str(self.encode(&mut text))
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_str_with(deserializer, "a string", EventId::parse)
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
    pub fn parse(text: &str) -> Result<Hash, IdError> {
        let refuse = || IdError::NotAHash(text.chars().take(70).collect());
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(refuse());
        }
        // Every line's `prev` passes here: decode without a branch per digit, then refuse
        // once if any digit was not one.
        let mut out = [0u8; 32];
        let mut not_digits = 0u8;
        for (index, pair) in bytes.chunks_exact(2).enumerate() {
            let high = LOWER_HEX_VALUES[usize::from(pair[0])];
            let low = LOWER_HEX_VALUES[usize::from(pair[1])];
            not_digits |= high | low;
            out[index] = high << 4 | (low & 0x0f);
        }
        if not_digits & NOT_A_DIGIT != 0 {
            return Err(refuse());
        }
        Ok(Hash(out))
    }
}

/// Marks a byte that is not a lowercase hexadecimal digit in `LOWER_HEX_VALUES`.
const NOT_A_DIGIT: u8 = 0x80;

/// The value of each lowercase hexadecimal digit, `NOT_A_DIGIT` for every other byte.
const LOWER_HEX_VALUES: [u8; 256] = {
    let mut table = [NOT_A_DIGIT; 256];
    let mut digit = 0;
    while digit < 16 {
        table[b"0123456789abcdef"[digit] as usize] = digit as u8;
        digit += 1;
    }
    table
};

impl Hash {
    /// A digest computed elsewhere (a Merkle tree's nodes).
    pub const fn from_bytes(bytes: [u8; 32]) -> Hash {
        Hash(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, on the stack: every line written carries a hash.
    pub fn hex(&self) -> [u8; 64] {
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
        deserialize_str_with(deserializer, "a string", Hash::parse)
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
        // Short alphabets make shared prefixes, equal texts and prefixes of each other common;
        // lengths around 16 bytes cross from inline slugs to long ones.
        prop_oneof![
            "[ab][ab.-]{0,12}",
            "offer-[0-9]{1,4}",
            "[ab]{12,20}",
            "[A-Za-z0-9][A-Za-z0-9._-]{0,63}",
        ]
    }

    fn hash_of<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(value)
    }

    proptest! {
        #[test]
        fn slugs_order_and_compare_as_their_text(first in slug_text(), second in slug_text()) {
            let (a, b) = (Slug::parse(&first).unwrap(), Slug::parse(&second).unwrap());
            prop_assert_eq!(a.cmp(&b), first.as_str().cmp(second.as_str()));
            prop_assert_eq!(a == b, first == second);
            prop_assert_eq!(a.clone().cmp(&a), std::cmp::Ordering::Equal);
            prop_assert_eq!(a.as_str(), first.as_str());
            prop_assert_eq!(hash_of(&a), hash_of(first.as_str()));
        }
    }
}
