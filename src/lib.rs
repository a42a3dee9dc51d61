//! accord: the history of a negotiation as an append-only, hash-chained log of events,
//! folded by one pure reducer into the state of the negotiation.
//!
//! The command line is a package of its own (`cli/`, the `accord` binary); this crate
//! builds without it. The folders are the layers, and each uses only those listed before it (the map is
//! `docs/ARCHITECTURE.md`; the format is `docs/format.md`):
//!
//! - `files`: outputs put in place whole or not at all, the temporaries an interrupt
//!   removes, inputs read as streams (used by the stores, the simulator and the command line;
//!   the layers that read and fold never write);
//! - `format`: what a line is (ids, time, rules, events, drafts, the canonical writer);
//! - `reading`: a log's lines in file order, the envelope rules between them, the chain;
//! - `fold`: the state, the one reducer, and the fold in application order;
//! - `replay`: the streaming engine over any source of lines;
//! - `views`: what people and programs read (state changes, history, people's text);
//! - `proofs`: the RFC 9162 Merkle tree over the lines, its proofs, signed checkpoints;
//! - `stores`: where a log lives (the `Store` trait, the file store, its snapshots and
//!   queries, the PostgreSQL store);
//! - `sim`: negotiations simulated, apart from all of the above but the format and fold;
//! - `import`: records of the field's event datasets (PLOVER, ...) made drafts, each with
//!   its record kept whole;
//! - `front`: the front door, what a command does as calls that return typed values and
//!   one `Refusal`, for the command line and Python alike.

pub mod files;
pub mod fold;
pub mod format;
pub mod front;
pub mod import;
pub mod proofs;
pub mod reading;
pub mod replay;
pub mod results;
pub mod sim;
pub mod stores;
pub mod views;

#[cfg(test)]
mod layers {
    /// Each folder and the folders it may use: the ones before it in the crate's map.
    const LAYERS: &[(&str, &[&str])] = &[
        ("files", &[]),
        ("format", &[]),
        ("reading", &["format"]),
        ("fold", &["format", "reading"]),
        ("replay", &["format", "reading", "fold"]),
        ("results", &[]),
        ("views", &["format", "reading", "fold", "replay", "results"]),
        ("proofs", &["format", "reading", "replay", "views"]),
        (
            "stores",
            &[
                "files", "format", "reading", "fold", "replay", "views", "proofs",
            ],
        ),
        ("sim", &["files", "format", "fold", "results"]),
        ("import", &["format"]),
        (
            "front",
            &[
                "files", "format", "reading", "fold", "replay", "results", "views", "proofs",
                "stores", "sim", "import",
            ],
        ),
    ];

    /// Within a folder, its modules in order: each uses only those before it (its `mod.rs`,
    /// the folder's face, may use them all). A module is a file or a folder.
    const FOLDERS: &[(&str, &[&str])] = &[
        (
            "stores",
            &[
                "error", "names", "append", "snapshot", "verify", "query", "follow", "store",
                "file", "postgres",
            ],
        ),
        (
            "stores/file",
            &["store", "snapshots", "queries", "durability", "following"],
        ),
        (
            "stores/postgres",
            &[
                "connection",
                "schema",
                "store",
                "reading",
                "appending",
                "following",
            ],
        ),
        ("sim", &["domains", "analysis", "protocol", "batches"]),
        (
            "views/report",
            &["axis", "fold", "drawing", "page", "results"],
        ),
        (
            "sim/domains",
            &[
                "decimal",
                "preferences",
                "genius",
                "geniusweb",
                "strategies",
                "scenario",
            ],
        ),
        ("sim/analysis", &["exact", "ranking", "space", "yardstick"]),
        ("sim/protocol", &["agent", "fast_paths", "run"]),
        ("sim/batches", &["pool", "batch", "tournament"]),
        (
            "front",
            &[
                "refusal",
                "target",
                "corrections",
                "checkpoint",
                "query",
                "verify",
                "scenarios",
                "import",
            ],
        ),
    ];

    /// The modules of `folder` that `text` names through `crate::FOLDER::` or `super::`
    /// (a file directly in the folder names its siblings with `super::`), outside comments.
    fn siblings_named(text: &str, folder: &str, through_super: bool) -> Vec<String> {
        let prefix = format!("crate::{}::", folder.replace('/', "::"));
        let mut named = Vec::new();
        let mut prefixes = vec![prefix];
        if through_super {
            prefixes.push("super::".to_string());
        }
        for prefix in &prefixes {
            for (at, _) in text.match_indices(prefix.as_str()) {
                let line_start = text[..at].rfind('\n').map_or(0, |newline| newline + 1);
                if text[line_start..at].trim_start().starts_with("//") {
                    continue;
                }
                let rest = &text[at + prefix.len()..];
                // `crate::stores::{a::X, b::Y}` names each of a and b.
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group
                        .split('}')
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(str::trim)
                        .collect(),
                    None => vec![rest],
                };
                for name in names {
                    let module: String = name
                        .chars()
                        .take_while(|character| character.is_ascii_lowercase() || *character == '_')
                        .collect();
                    if !module.is_empty() {
                        named.push(module);
                    }
                }
            }
        }
        named
    }

    #[test]
    fn each_module_of_a_folder_uses_only_the_modules_before_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for (folder, order) in FOLDERS {
            for (index, module) in order.iter().enumerate() {
                let directory = root.join(folder);
                let mut files = Vec::new();
                let as_file = directory.join(format!("{module}.rs"));
                if as_file.is_file() {
                    files.push(as_file);
                } else {
                    sources(&directory.join(module), &mut files);
                }
                assert!(!files.is_empty(), "{folder}/{module} has no sources");
                for file in files {
                    let text = std::fs::read_to_string(&file).unwrap();
                    let directly_in_folder = file.parent() == Some(directory.as_path());
                    for named in siblings_named(&text, folder, directly_in_folder) {
                        let Some(position) = order.iter().position(|sibling| *sibling == named)
                        else {
                            continue;
                        };
                        assert!(
                            position <= index,
                            "{} uses {folder}/{named}, which comes after {module}",
                            file.display()
                        );
                    }
                }
            }
        }
    }

    fn sources(directory: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                found.push(path);
            }
        }
    }

    #[test]
    fn each_layer_uses_only_the_layers_before_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for (layer, allowed) in LAYERS {
            let mut files = Vec::new();
            sources(&root.join(layer), &mut files);
            assert!(!files.is_empty(), "{layer} has no sources");
            for file in files {
                let text = std::fs::read_to_string(&file).unwrap();
                for (at, _) in text.match_indices("crate::") {
                    let used: String = text[at + "crate::".len()..]
                        .chars()
                        .take_while(|character| character.is_ascii_lowercase() || *character == '_')
                        .collect();
                    // Comments may name any layer; only code is held to the order.
                    let line_start = text[..at].rfind('\n').map_or(0, |newline| newline + 1);
                    if text[line_start..at].trim_start().starts_with("//") {
                        continue;
                    }
                    assert!(
                        used == *layer || allowed.contains(&used.as_str()),
                        "{} uses crate::{used}, which is not below {layer}",
                        file.display()
                    );
                }
            }
        }
    }
}
