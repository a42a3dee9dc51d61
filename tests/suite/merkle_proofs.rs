//! The Merkle tree of `accord::proofs` against RFC 9162's definitions, written out here as
//! plainly as the RFC states them, against the RFC 6962 test vectors that Go's
//! `golang.org/x/mod/sumdb/tlog` and Certificate Transparency's test data share, and against
//! a second implementation (the `ct-merkle` crate).

use accord::format::ids::Hash;
use accord::proofs::merkle::{
    CompactRange, RangeHashes, consistency_ranges, empty_root, inclusion_ranges, leaf_hash,
    node_hash, verify_consistency, verify_inclusion,
};
use sha2::Sha256;

/// RFC 9162's MTH, recursively.
fn mth(leaves: &[Vec<u8>]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaf_hash(&leaves[0]),
        n => {
            let k = largest_power_of_two_below(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn largest_power_of_two_below(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 9162's PATH(m, D[n]).
fn path(m: usize, leaves: &[Vec<u8>]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = largest_power_of_two_below(n);
    if m < k {
        let mut proof = path(m, &leaves[..k]);
        proof.push(mth(&leaves[k..]));
        proof
    } else {
        let mut proof = path(m - k, &leaves[k..]);
        proof.push(mth(&leaves[..k]));
        proof
    }
}

/// RFC 9162's SUBPROOF(m, D[n], b).
fn subproof(m: usize, leaves: &[Vec<u8>], whole: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if whole { Vec::new() } else { vec![mth(leaves)] };
    }
    let k = largest_power_of_two_below(n);
    if m <= k {
        let mut proof = subproof(m, &leaves[..k], whole);
        proof.push(mth(&leaves[k..]));
        proof
    } else {
        let mut proof = subproof(m - k, &leaves[k..], false);
        proof.push(mth(&leaves[..k]));
        proof
    }
}

/// The streaming implementation's hashes of `ranges` over `leaves`.
fn streamed(ranges: &[(u64, u64)], leaves: &[Hash]) -> Vec<Hash> {
    let mut hashes = RangeHashes::new(ranges);
    for leaf in leaves {
        hashes.push(*leaf);
    }
    hashes.finish().expect("every range reached")
}

fn leaves(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|index| format!("line {index} of the test log").into_bytes())
        .collect()
}

/// Every bit of `hashes` flipped in turn: each copy differs from the original by one bit.
fn with_each_bit_flipped(hashes: &[Hash]) -> impl Iterator<Item = Vec<Hash>> + '_ {
    (0..hashes.len() * 256).map(move |bit| {
        let mut changed = hashes.to_vec();
        let mut bytes = *changed[bit / 256].as_bytes();
        bytes[bit % 256 / 8] ^= 1 << (bit % 8);
        changed[bit / 256] = Hash::from_bytes(bytes);
        changed
    })
}

#[test]
fn the_rfc_6962_test_vectors_hold() {
    // The eight leaves of the Certificate Transparency test data, and the roots of their
    // first one to eight.
    let leaves: Vec<Vec<u8>> = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|hex| {
        (0..hex.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).unwrap())
            .collect()
    })
    .collect();
    let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    assert_eq!(
        empty_root().to_string(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let mut tree = CompactRange::default();
    for (leaf, root) in leaves.iter().zip(roots) {
        tree.push(leaf_hash(leaf));
        assert_eq!(tree.root().to_string(), root, "size {}", tree.size());
    }
}

#[test]
fn every_proof_up_to_a_few_hundred_lines_is_the_rfc_definitions_own() {
    const INCLUSION_SIZES: usize = 160;
    const CONSISTENCY_SIZES: usize = 90;
    let all = leaves(INCLUSION_SIZES);
    let leaf_hashes: Vec<Hash> = all.iter().map(|leaf| leaf_hash(leaf)).collect();
    let mut tree = CompactRange::default();
    for size in 1..=INCLUSION_SIZES {
        let prefix = &all[..size];
        tree.push(leaf_hashes[size - 1]);
        let root = mth(prefix);
        assert_eq!(tree.root(), root, "size {size}");
        for index in 0..size {
            let ranges = inclusion_ranges(index as u64, size as u64);
            let proof = streamed(&ranges, &leaf_hashes[..size]);
            assert_eq!(proof, path(index, prefix), "leaf {index} of {size}");
            let leaf = &leaf_hashes[index];
            assert!(verify_inclusion(
                index as u64,
                size as u64,
                leaf,
                &proof,
                &root
            ));
            // Another index, leaf or root does not pass. (Another size may: the size
            // shapes the path, and the root is what binds the proof to its tree.)
            if size > 1 {
                let other = (index + 1) % size;
                assert!(!verify_inclusion(
                    other as u64,
                    size as u64,
                    leaf,
                    &proof,
                    &root
                ));
                assert!(!verify_inclusion(
                    index as u64,
                    size as u64,
                    &leaf_hashes[other],
                    &proof,
                    &root
                ));
            }
            assert!(!verify_inclusion(
                index as u64,
                size as u64,
                leaf,
                &proof,
                &node_hash(&root, &root)
            ));
        }
        if size <= CONSISTENCY_SIZES {
            for old in 1..=size {
                let ranges = consistency_ranges(old as u64, size as u64);
                let proof = streamed(&ranges, &leaf_hashes[..size]);
                assert_eq!(proof, subproof(old, prefix, true), "{old} to {size}");
                let old_root = mth(&all[..old]);
                assert!(verify_consistency(
                    old as u64,
                    size as u64,
                    &old_root,
                    &root,
                    &proof
                ));
                if old < size {
                    assert!(!verify_consistency(
                        old as u64,
                        size as u64,
                        &root,
                        &root,
                        &proof
                    ));
                    assert!(!verify_consistency(
                        old as u64 + 1,
                        size as u64,
                        &old_root,
                        &root,
                        &proof
                    ));
                }
            }
        }
    }
}

#[test]
fn any_flipped_bit_of_a_proof_is_refused() {
    let all = leaves(77);
    let leaf_hashes: Vec<Hash> = all.iter().map(|leaf| leaf_hash(leaf)).collect();
    let root = mth(&all);
    for index in [0, 1, 38, 63, 64, 76] {
        let proof = path(index, &all);
        for changed in with_each_bit_flipped(&proof) {
            assert!(!verify_inclusion(
                index as u64,
                77,
                &leaf_hashes[index],
                &changed,
                &root
            ));
        }
        for changed in with_each_bit_flipped(&[root]) {
            assert!(!verify_inclusion(
                index as u64,
                77,
                &leaf_hashes[index],
                &proof,
                &changed[0]
            ));
        }
    }
    for old in [1, 2, 5, 32, 33, 76] {
        let proof = subproof(old, &all, true);
        let old_root = mth(&all[..old]);
        for changed in with_each_bit_flipped(&proof) {
            assert!(!verify_consistency(
                old as u64, 77, &old_root, &root, &changed
            ));
        }
        for changed in with_each_bit_flipped(&[old_root]) {
            assert!(!verify_consistency(
                old as u64,
                77,
                &changed[0],
                &root,
                &proof
            ));
        }
    }
}

#[test]
fn the_ct_merkle_crate_agrees_on_every_root_and_proof() {
    use ct_merkle::mem_backed_tree::MemoryBackedTree;
    let all = leaves(130);
    let leaf_hashes: Vec<Hash> = all.iter().map(|leaf| leaf_hash(leaf)).collect();
    let mut theirs = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    let mut ours = CompactRange::default();
    let bytes_of =
        |hashes: &[Hash]| -> Vec<u8> { hashes.iter().flat_map(|hash| *hash.as_bytes()).collect() };
    for size in 1..=all.len() {
        theirs.push(all[size - 1].clone());
        ours.push(leaf_hashes[size - 1]);
        assert_eq!(theirs.root().as_bytes().as_slice(), ours.root().as_bytes());
        for index in 0..size {
            let proof = streamed(
                &inclusion_ranges(index as u64, size as u64),
                &leaf_hashes[..size],
            );
            assert_eq!(theirs.prove_inclusion(index).as_bytes(), bytes_of(&proof));
        }
        for old in 1..size {
            let proof = streamed(
                &consistency_ranges(old as u64, size as u64),
                &leaf_hashes[..size],
            );
            assert_eq!(
                theirs.prove_consistency(size - old).as_bytes(),
                bytes_of(&proof)
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Random logs, random lines and sizes: the root, and the proofs accord makes from the
    /// log's bytes, are the RFC definitions', and they check.
    #[test]
    fn random_logs_prove_what_the_definitions_say(
        lines in proptest::collection::vec(proptest::collection::vec(0x20u8..0x7f, 0..40), 1..300),
        pick in 0usize..10_000,
        older in 0usize..10_000,
    ) {
        use accord::proofs::{check_consistency, check_inclusion, prove_consistency, prove_inclusion, root};
        use accord::replay::BytesSource;
        let mut bytes = Vec::new();
        for line in &lines {
            bytes.extend_from_slice(line);
            bytes.push(b'\n');
        }
        let source = BytesSource(&bytes);
        let size = lines.len();
        let (counted, tree_root) = root(&source, None).unwrap();
        proptest::prop_assert_eq!(counted as usize, size);
        proptest::prop_assert_eq!(tree_root, mth(&lines));
        let seq = pick % size + 1;
        let proof = prove_inclusion(&source, seq as u64, None).unwrap();
        proptest::prop_assert_eq!(&proof.path, &path(seq - 1, &lines));
        proptest::prop_assert!(check_inclusion(&proof, &lines[seq - 1], &tree_root));
        let old = older % size + 1;
        let extension = prove_consistency(&source, old as u64, None).unwrap();
        proptest::prop_assert_eq!(&extension.path, &subproof(old, &lines, true));
        proptest::prop_assert_eq!(extension.from_root, mth(&lines[..old]));
        proptest::prop_assert!(check_consistency(&extension, &mth(&lines[..old])));
    }
}
