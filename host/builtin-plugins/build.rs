//! Builds every crate under `plugins/` for wasm32-wasip2 (workspace `plugin` profile) and
//! generates `builtin.rs`, which embeds the components with `include_bytes!`. This is what
//! makes `cargo install --path host/cli` produce a binary that needs no extra step.
//!
//! The nested cargo uses its own target directory next to this build's profile directory
//! (shared by `cargo build`, `cargo test` and `cargo clippy`, which all use the same profile
//! directory), with the outer build's environment scrubbed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir
        .join("../..")
        .canonicalize()
        .expect("workspace root");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());

    for watched in ["plugins", "sdk/guest", "wit", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=DGOV_PLUGIN_TARGET_DIR");

    // Only crates that are workspace members can be built with `-p`; a directory that is
    // not (yet) listed is skipped with a warning instead of breaking the whole build.
    let workspace_manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let plugins: Vec<(String, PathBuf)> = dgov_wasm_build::plugin_crates(&root.join("plugins"))
        .into_iter()
        .filter(|(name, dir)| {
            let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let listed = workspace_manifest.contains(&format!("\"plugins/{dir_name}\""));
            if !listed {
                println!("cargo:warning=plugins/{dir_name} ({name}) is not a workspace member; not embedded");
            }
            listed
        })
        .collect();
    let target_dir = std::env::var_os("DGOV_PLUGIN_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| profile_dir(&out_dir).join("dgov-wasm"));
    let built = if plugins.is_empty() {
        Vec::new()
    } else {
        let build = dgov_wasm_build::WasmBuild {
            manifest_path: root.join("Cargo.toml"),
            packages: plugins.iter().map(|(name, _)| name.clone()).collect(),
            profile: "plugin".to_owned(),
            target_dir: Some(target_dir),
            jobs: std::env::var("NUM_JOBS").ok(),
        };
        match build.run() {
            Ok(paths) => paths,
            Err(e) => panic!("{e}"),
        }
    };

    let mut src = String::from(
        "/// Every first-party plugin, by package name, in name order.\npub static BUILTIN: &[Builtin] = &[\n",
    );
    for ((name, _), wasm) in plugins.iter().zip(&built) {
        let embedded = out_dir.join(format!("{name}.wasm"));
        std::fs::copy(wasm, &embedded).expect("copy plugin into OUT_DIR");
        writeln!(
            src,
            "    Builtin {{ name: {name:?}, bytes: include_bytes!({:?}) }},",
            embedded.display().to_string()
        )
        .unwrap();
    }
    src.push_str("];\n");
    std::fs::write(out_dir.join("builtin.rs"), src).expect("write builtin.rs");
}

/// `<target>/<profile>` from `<target>/<profile>/build/<pkg>-<hash>/out`.
fn profile_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.to_path_buf())
}
