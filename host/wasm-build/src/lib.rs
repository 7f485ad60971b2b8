//! Building plugin crates for `wasm32-wasip2` from inside another cargo invocation.
//!
//! Used by `dgov-builtin-plugins`' build script (to embed first-party plugins in the `dgov`
//! binary) and by the plugin test harness (to build a plugin before testing it). A nested
//! cargo must not inherit the outer build's flags: `RUSTFLAGS` tuned for x86-64, a
//! `RUSTC_WRAPPER`, or cargo's own `CARGO_*` variables would leak into the wasm build, so
//! they are scrubbed (the same precautions wasmtime's test-program builder takes).
//!
//! Plugins are built with the workspace's `plugin` profile when it exists (small, LTO,
//! `panic = "abort"`), else `release`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The target every dgov plugin is built for.
pub const TARGET: &str = "wasm32-wasip2";

/// One plugin build request.
#[derive(Debug, Clone)]
pub struct WasmBuild {
    /// `Cargo.toml` of the workspace (or of a standalone plugin crate).
    pub manifest_path: PathBuf,
    /// Packages to build (`-p`); empty builds the manifest's own package.
    pub packages: Vec<String>,
    /// Cargo profile: `plugin` inside the dgov workspace, `release` elsewhere.
    pub profile: String,
    /// Target directory; `None` keeps cargo's default for the manifest.
    pub target_dir: Option<PathBuf>,
    /// Parallel jobs (`-j`), e.g. from the outer build's `NUM_JOBS`.
    pub jobs: Option<String>,
}

/// A failed nested build, with cargo's output for the message.
#[derive(Debug)]
pub struct BuildError(pub String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl WasmBuild {
    /// Run the build; returns the `.wasm` path of each requested package (same order).
    pub fn run(&self) -> Result<Vec<PathBuf>, BuildError> {
        // Resolve the target directory up front: the child's environment is scrubbed of
        // `CARGO_*`, so a `CARGO_TARGET_DIR` the caller set must be passed explicitly.
        let target_dir = match &self.target_dir {
            Some(dir) => dir.clone(),
            None => default_target_dir(&self.manifest_path)?,
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.arg("build")
            .arg("--target")
            .arg(TARGET)
            .arg("--profile")
            .arg(&self.profile)
            .arg("--manifest-path")
            .arg(&self.manifest_path);
        for package in &self.packages {
            cmd.arg("-p").arg(package);
        }
        cmd.arg("--target-dir").arg(&target_dir);
        if let Some(jobs) = &self.jobs {
            cmd.arg("-j").arg(jobs);
        }
        scrub_env(&mut cmd);
        let output = cmd
            .output()
            .map_err(|e| BuildError(format!("could not run cargo to build plugins: {e}")))?;
        if !output.status.success() {
            return Err(BuildError(format!(
                "building plugins for {TARGET} failed (is the target installed? `rustup target add {TARGET}`; the repository's rust-toolchain.toml names it):\n{}",
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        let out_dir = target_dir.join(TARGET).join(&self.profile);
        let names: Vec<String> = if self.packages.is_empty() {
            vec![package_name(&self.manifest_path)?]
        } else {
            self.packages.clone()
        };
        names
            .iter()
            .map(|name| {
                let path = out_dir.join(format!("{}.wasm", name.replace('-', "_")));
                if path.is_file() {
                    Ok(path)
                } else {
                    Err(BuildError(format!(
                        "cargo succeeded but {} is missing; does `{name}` have `crate-type = [\"cdylib\"]`?",
                        path.display()
                    )))
                }
            })
            .collect()
    }
}

/// Remove everything from the outer cargo's environment that would change the nested
/// build, keeping the toolchain selection (`RUSTUP_*`) and cargo's home.
fn scrub_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let leaks =
            (key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_NET_OFFLINE")
                || matches!(
                    key,
                    "RUSTFLAGS"
                        | "RUSTDOCFLAGS"
                        | "RUSTC"
                        | "RUSTC_WRAPPER"
                        | "RUSTC_WORKSPACE_WRAPPER"
                        | "RUSTC_LINKER"
                        | "CARGO"
                        | "OUT_DIR"
                        | "TARGET"
                        | "HOST"
                        | "OPT_LEVEL"
                        | "PROFILE"
                        | "DEBUG"
                        | "NUM_JOBS"
                        | "LLVM_PROFILE_FILE"
                );
        if leaks {
            cmd.env_remove(key);
        }
    }
}

/// The `[package] name` of a crate manifest (a tiny line scan: no TOML crate in build scripts).
pub fn package_name(manifest: &Path) -> Result<String, BuildError> {
    let text = std::fs::read_to_string(manifest)
        .map_err(|e| BuildError(format!("reading {}: {e}", manifest.display())))?;
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if in_package
            && let Some(rest) = line.strip_prefix("name")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            return Ok(value.trim().trim_matches('"').to_owned());
        }
    }
    Err(BuildError(format!(
        "no [package] name in {}",
        manifest.display()
    )))
}

/// Where cargo puts build output for `manifest` when no `--target-dir` is given.
fn default_target_dir(manifest: &Path) -> Result<PathBuf, BuildError> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .map_err(|e| BuildError(format!("cargo metadata: {e}")))?;
    let text = String::from_utf8_lossy(&output.stdout);
    // Extract "target_directory":"..." without a JSON dependency.
    let key = "\"target_directory\":\"";
    let start = text
        .find(key)
        .ok_or_else(|| BuildError("cargo metadata printed no target_directory".into()))?
        + key.len();
    let end = text[start..]
        .find('"')
        .ok_or_else(|| BuildError("malformed cargo metadata".into()))?;
    Ok(PathBuf::from(
        text[start..start + end].replace("\\\\", "\\"),
    ))
}

/// Every plugin crate directly under `dir` (directories holding a `Cargo.toml`), sorted.
pub fn plugin_crates(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let manifest = entry.path().join("Cargo.toml");
            if let Ok(name) = package_name(&manifest) {
                out.push((name, entry.path()));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_package_name_not_a_dependency_name() {
        let dir = std::env::temp_dir().join(format!("dgov-wasm-build-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[dependencies]\nname = \"nope\"\n\n[package]\nversion = \"1.0.0\"\nname = \"my-gate\"\n",
        )
        .unwrap();
        assert_eq!(package_name(&manifest).unwrap(), "my-gate");
        std::fs::write(&manifest, "[lib]\n").unwrap();
        assert!(package_name(&manifest).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
