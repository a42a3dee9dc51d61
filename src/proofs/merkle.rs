//! The RFC 9162 Merkle tree over a log's lines, and its proofs.
//!
//! A leaf is a line's bytes without its newline: leaf hash `SHA-256(0x00 || line)`, node
//! hash `SHA-256(0x01 || left || right)`, and the tree of the first n lines split at the
//! largest power of two below n, as RFC 9162 (section 2.1) defines it. Nothing of the log's
//! format changes: any RFC 9162 implementation computes the same root from the same lines.
//!
//! Everything here streams the lines once. A root keeps one hash per level (a *compact
//! range*: the perfect subtrees the lines so far split into, at most 64). A proof is a list
//! of the hashes of disjoint ranges of leaves that `proof ranges` names from the sizes
//! alone; one pass feeds each leaf to the range it falls in, so a proof also holds
//! O(log n) hashes, whatever the log's size.

use sha2::{Digest, Sha256};

use crate::format::ids::Hash;

/// The hash of a leaf: `SHA-256(0x00 || line)`.
pub fn leaf_hash(line: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(line);
    Hash::from_bytes(hasher.finalize().into())
}

/// The hash of an inner node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left.as_bytes());
    hasher.update(right.as_bytes());
    Hash::from_bytes(hasher.finalize().into())
}

/// The root of the empty tree: `SHA-256()` of nothing.
pub fn empty_root() -> Hash {
    Hash::from_bytes(Sha256::digest([]).into())
}

/// The root of a tree built a leaf at a time: the perfect subtrees the leaves so far split
/// into, largest first, each with its height.
#[derive(Clone, Debug, Default)]
pub struct CompactRange {
    subtrees: Vec<(Hash, u32)>,
    size: u64,
}

impl CompactRange {
    /// Adds the next leaf, by its leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut height = 0;
        // Two perfect subtrees of one height are the two halves of the next.
        while let Some(&(left, left_height)) = self.subtrees.last() {
            if left_height != height {
                break;
            }
            self.subtrees.pop();
            hash = node_hash(&left, &hash);
            height += 1;
        }
        self.subtrees.push((hash, height));
        self.size += 1;
        debug_assert_eq!(
            self.subtrees.len() as u32,
            self.size.count_ones(),
            "one perfect subtree per bit of the size"
        );
    }

    /// Leaves added so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The hashes of its perfect subtrees, largest first: with the size, all it is (the
    /// heights are the size's set bits).
    pub fn subtree_hashes(&self) -> Vec<Hash> {
        self.subtrees.iter().map(|(hash, _)| *hash).collect()
    }

    /// The compact range of `size` leaves whose perfect subtrees, largest first, have the
    /// hashes `hashes`; `None` unless there is one hash per set bit of the size.
    pub fn from_subtrees(size: u64, hashes: &[Hash]) -> Option<CompactRange> {
        if hashes.len() != size.count_ones() as usize {
            return None;
        }
        let heights = (0..64u32).rev().filter(|bit| size & (1 << bit) != 0);
        Some(CompactRange {
            subtrees: hashes.iter().copied().zip(heights).collect(),
            size,
        })
    }

    /// The root of the tree of the leaves so far (RFC 9162's MTH): the subtrees joined
    /// right to left.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&(mut root, _)) = subtrees.next() else {
            return empty_root();
        };
        for (left, _) in subtrees {
            root = node_hash(left, &root);
        }
        root
    }
}

/// The largest power of two strictly below `n` (n ≥ 2): where RFC 9162 splits a tree.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// A range of leaves `[start, end)` whose subtree hash a proof carries.
pub type LeafRange = (u64, u64);

/// The ranges whose hashes make the inclusion proof of leaf `index` (from 0) in the tree of
/// size `size`, in proof order (the leaf's sibling first): RFC 9162's PATH.
pub fn inclusion_ranges(index: u64, size: u64) -> Vec<LeafRange> {
    debug_assert!(index < size);
    let mut ranges = Vec::new();
    let (mut start, mut end, mut index) = (0, size, index);
    // Walk down from the root, noting each sibling; the proof lists them bottom up.
    while end - start > 1 {
        let k = split(end - start);
        if index < k {
            ranges.push((start + k, end));
            end = start + k;
        } else {
            ranges.push((start, start + k));
            start += k;
            index -= k;
        }
    }
    ranges.reverse();
    ranges
}

/// The ranges whose hashes make the consistency proof between the trees of sizes `old`
/// and `new` (1 ≤ old ≤ new), in proof order: RFC 9162's PROOF (SUBPROOF with b true).
pub fn consistency_ranges(old: u64, new: u64) -> Vec<LeafRange> {
    debug_assert!(1 <= old && old <= new);
    let mut ranges = Vec::new();
    let (mut start, mut end, mut m, mut whole_old_tree) = (0, new, old, true);
    // SUBPROOF appends each sibling after the proof of its subtree: walking down, the
    // siblings come out in reverse.
    loop {
        let n = end - start;
        if m == n {
            if !whole_old_tree {
                ranges.push((start, end));
            }
            break;
        }
        let k = split(n);
        if m <= k {
            ranges.push((start + k, end));
            end = start + k;
        } else {
            ranges.push((start, start + k));
            start += k;
            m -= k;
            whole_old_tree = false;
        }
    }
    ranges.reverse();
    ranges
}

/// The hashes of `ranges` (disjoint ranges of leaves), computed while the leaves stream
/// by: feed each leaf hash in order with `push`, then `finish`.
pub struct RangeHashes {
    /// The ranges sorted by start, with their place in the proof.
    order: Vec<(LeafRange, usize)>,
    /// The next range in `order` not yet done.
    next: usize,
    current: CompactRange,
    hashes: Vec<Option<Hash>>,
    leaf: u64,
}

impl RangeHashes {
    pub fn new(ranges: &[LeafRange]) -> RangeHashes {
        let mut order: Vec<(LeafRange, usize)> = ranges.iter().copied().zip(0..).collect();
        order.sort_unstable();
        debug_assert!(
            order.windows(2).all(|pair| pair[0].0.1 <= pair[1].0.0),
            "the ranges of a proof are disjoint"
        );
        RangeHashes {
            order,
            next: 0,
            current: CompactRange::default(),
            hashes: vec![None; ranges.len()],
            leaf: 0,
        }
    }

    /// The next leaf, by its leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let index = self.leaf;
        self.leaf += 1;
        let Some(&((start, end), place)) = self.order.get(self.next) else {
            return;
        };
        if index < start {
            return;
        }
        self.current.push(leaf);
        if index + 1 == end {
            self.hashes[place] = Some(self.current.root());
            self.current = CompactRange::default();
            self.next += 1;
        }
    }

    /// The hashes in proof order, once every range's leaves were pushed; `None` if some
    /// range was not reached.
    pub fn finish(self) -> Option<Vec<Hash>> {
        self.hashes.into_iter().collect()
    }
}

/// RFC 9162's "right-shift both fn and sn equally until LSB(fn) is set or fn is 0", which
/// both verifications take after a hash joined on the left.
fn shift_to_a_right_child(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// Checks an inclusion proof (RFC 9162, 2.1.3.2): that the leaf of hash `leaf` at `index`
/// is in the tree of size `size` whose root is `root`.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    root_from_inclusion(index, size, leaf, path).is_some_and(|computed| computed == *root)
}

/// The root an inclusion proof leads to, or `None` if it is not a proof for that index
/// and size.
pub fn root_from_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash]) -> Option<Hash> {
    if index >= size {
        return None;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if sn == 0 {
            return None;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            shift_to_a_right_child(&mut fn_, &mut sn);
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(r)
}

/// Checks a consistency proof (RFC 9162, 2.1.4.2): that the tree of size `new` with root
/// `new_root` extends the tree of size `old` with root `old_root` (1 ≤ old ≤ new).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    path: &[Hash],
) -> bool {
    if old == 0 || old > new {
        return false;
    }
    if old == new {
        return path.is_empty() && old_root == new_root;
    }
    let mut path: Vec<Hash> = path.to_vec();
    if old.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            shift_to_a_right_child(&mut fn_, &mut sn);
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == *old_root && sr == *new_root && sn == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compact_range_is_its_size_and_subtree_hashes() {
        let mut range = CompactRange::default();
        for line in 0..13u8 {
            range.push(leaf_hash(&[line]));
            let again = CompactRange::from_subtrees(range.size(), &range.subtree_hashes());
            assert_eq!(again.map(|again| again.root()), Some(range.root()));
        }
        let mut grown = CompactRange::from_subtrees(13, &range.subtree_hashes()).unwrap();
        range.push(leaf_hash(b"next"));
        grown.push(leaf_hash(b"next"));
        assert_eq!(grown.root(), range.root());
        assert!(CompactRange::from_subtrees(12, &range.subtree_hashes()).is_none());
    }

    #[test]
    fn splits_at_the_largest_power_of_two_below() {
        assert_eq!(
            [2, 3, 4, 5, 8, 9, 1 << 40].map(split),
            [1, 2, 2, 4, 4, 8, 1 << 39]
        );
    }
}
