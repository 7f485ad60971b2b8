//! Repository hygiene that `cargo test` enforces: frozen contract versions stay frozen, the
//! current contract's version matches the host, and every source file of this crate says
//! what it is.

use std::path::Path;

use sha2::{Digest, Sha256};

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Released WIT is never edited: plugins in the wild were built against these bytes.
#[test]
fn frozen_wit_versions_are_unchanged() {
    let frozen = [
        (
            "since_v0.1.0/capabilities.wit",
            "204341ecb79c4ed41be3c240767001215a201a0bd6f0097da9f4f3d69c02807e",
        ),
        (
            "since_v0.1.0/types.wit",
            "90df2157549591d6752bae1ca2cc1720e4b642858bc8abe0bf38aadb7ef81e6b",
        ),
        (
            "since_v0.1.0/worlds.wit",
            "2e80ac011f9b22b62da5a1d4d87cc01c955f6c2afd9c22ab1975f17df7ab2a82",
        ),
    ];
    for (file, expected) in frozen {
        let bytes = std::fs::read(root().join("wit").join(file)).unwrap();
        let actual = hex::encode(Sha256::digest(&bytes));
        assert_eq!(
            actual, expected,
            "wit/{file} is frozen; add a new version instead (wit/README.md)"
        );
    }
}

/// The host's declared contract version is the one in `wit/plugin`.
#[test]
fn current_wit_version_matches_the_host() {
    let expected = format!(
        "package dgov:plugin@{};",
        dgov_plugin_host::meta::WIT_VERSION
    );
    for file in ["types.wit", "capabilities.wit", "worlds.wit"] {
        let text = std::fs::read_to_string(root().join("wit/plugin").join(file)).unwrap();
        assert!(
            text.contains(&expected),
            "wit/plugin/{file} does not declare `{expected}`"
        );
    }
    let sdk = std::fs::read_to_string(root().join("sdk/guest/src/lib.rs")).unwrap();
    let version = dgov_plugin_host::meta::WIT_VERSION.to_string();
    for line in sdk.lines().filter(|l| l.contains("\"dgov:plugin/")) {
        assert!(
            line.contains(&format!("@{version}\"")),
            "sdk/guest/src/lib.rs maps an old version: {line}"
        );
    }
}

#[test]
fn every_source_file_opens_with_a_doc_comment() {
    for dir in ["src", "tests", "benches"] {
        let Ok(entries) = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.starts_with("//!"),
                    "{} must open with a `//!` line saying what it is",
                    path.display()
                );
            }
        }
    }
}
