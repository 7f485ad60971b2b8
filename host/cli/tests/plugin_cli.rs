//! `dgov plugin list | check | new`, run as a user would: the built binary on real
//! repositories, real components.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::json;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn dgov(repo: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dgov"))
        .arg("-C")
        .arg(repo)
        .args(args)
        .env(
            "DGOV_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-component-cache"),
        )
        .output()
        .unwrap()
}

fn built(package: &str) -> PathBuf {
    dgov_wasm_build::WasmBuild {
        manifest_path: workspace().join("Cargo.toml"),
        packages: vec![package.into()],
        profile: "plugin".into(),
        target_dir: None,
        jobs: None,
    }
    .run()
    .unwrap()
    .remove(0)
}

#[test]
fn list_shows_builtin_and_repository_plugins_with_their_grants() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join(".dgov/plugins")).unwrap();
    std::fs::copy(
        built("secret-gate"),
        repo.path().join(".dgov/plugins/secret_gate.wasm"),
    )
    .unwrap();
    std::fs::copy(built("probe-tool"), repo.path().join("probe.wasm")).unwrap();
    std::fs::write(
        repo.path().join(".dgov/project.toml"),
        "[plugins]\npaths = [\"probe.wasm\"]\n\n[plugins.grants.probe-tool]\ncapabilities = [\"fs-read\", \"exec\"]\nexec = [\"git\"]\n",
    )
    .unwrap();

    let out = dgov(repo.path(), &["--json", "plugin", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    let plugins = doc["plugins"].as_array().unwrap();
    let by_name = |n: &str| {
        plugins
            .iter()
            .find(|p| p["name"] == n)
            .unwrap_or_else(|| panic!("{n} not listed: {doc}"))
    };
    assert_eq!(by_name("scope-gate")["source"], "built-in");
    let secret = by_name("secret-gate");
    assert_eq!(secret["kind"], "gate");
    assert_eq!(secret["wit_version"], "0.1.2");
    assert!(
        secret["source"]
            .as_str()
            .unwrap()
            .ends_with(".dgov/plugins/secret_gate.wasm")
    );
    let probe = by_name("probe-tool");
    assert_eq!(
        probe["granted"],
        serde_json::json!(["log", "fs-read", "exec"])
    );
    assert_eq!(
        probe["requested"],
        serde_json::json!(["log", "fs-read", "fs-write", "exec", "syntax", "network"])
    );

    // text output has the same rows
    let text = dgov(repo.path(), &["plugin", "list"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("secret-gate") && text.contains("built-in"),
        "{text}"
    );
}

#[test]
fn list_reports_a_broken_plugin_file_and_exits_1() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join(".dgov/plugins")).unwrap();
    std::fs::write(
        repo.path().join(".dgov/plugins/junk.wasm"),
        b"not wasm at all",
    )
    .unwrap();
    let out = dgov(repo.path(), &["plugin", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("junk.wasm") && text.contains("not a WebAssembly file"),
        "{text}"
    );
}

#[test]
fn check_validates_and_prints_requested_capabilities() {
    let repo = tempfile::tempdir().unwrap();
    let wasm = built("probe-tool");
    let out = dgov(
        repo.path(),
        &["--json", "plugin", "check", wasm.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    assert_eq!(doc["name"], "probe-tool");
    assert_eq!(doc["kind"], "tool");
    assert_eq!(
        doc["not_granted"],
        serde_json::json!(["fs-write", "exec", "network"])
    );
    assert!(
        doc["describe"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "noop")
    );

    let text = dgov(repo.path(), &["plugin", "check", wasm.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("requests    log, fs-read, fs-write, exec, syntax, network"),
        "{text}"
    );
    assert!(text.contains("[plugins.grants.probe-tool]"), "{text}");
}

#[test]
fn check_refuses_what_is_not_a_plugin_with_exit_2() {
    let repo = tempfile::tempdir().unwrap();
    let bogus = repo.path().join("bogus.wasm");
    std::fs::write(&bogus, b"\0asm\x01\0\0\0").unwrap();
    let out = dgov(repo.path(), &["plugin", "check", bogus.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("core WebAssembly module") && err.contains("wasm32-wasip2"),
        "{err}"
    );
    let out = dgov(repo.path(), &["plugin", "check", "missing.wasm"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The scaffold of each kind builds and passes its own tests (unit + component in the
/// sandbox). This builds a separate workspace, so it shares one target directory for the
/// three crates and reuses this workspace's lockfile to get the same dependency versions.
#[test]
fn new_scaffolds_crates_that_build_and_pass_their_own_tests() {
    let dir = tempfile::tempdir().unwrap();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold-target");
    for (name, kind) in [
        ("long-lines", "gate"),
        ("word-count", "tool"),
        ("file-size", "analyzer"),
    ] {
        let out = dgov(dir.path(), &["plugin", "new", name, "--kind", kind]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let crate_dir = dir.path().join(name);
        std::fs::copy(workspace().join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
        let test = Command::new(env!("CARGO"))
            .arg("test")
            .current_dir(&crate_dir)
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&test.stdout);
        assert!(
            test.status.success(),
            "scaffolded {kind} failed its tests:\n{stdout}\n{}",
            String::from_utf8_lossy(&test.stderr)
        );
        assert!(stdout.contains("test result: ok. 1 passed"), "{stdout}");

        // and the component it builds passes `dgov plugin check`
        let wasm = target
            .join("wasm32-wasip2/plugin")
            .join(format!("{}.wasm", name.replace('-', "_")));
        let check = dgov(
            dir.path(),
            &["--json", "plugin", "check", wasm.to_str().unwrap()],
        );
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        assert_eq!(json(&check)["kind"], kind);
        assert_eq!(json(&check)["name"], name);
    }
    // an existing crate is not overwritten
    let again = dgov(
        dir.path(),
        &["plugin", "new", "long-lines", "--kind", "gate"],
    );
    assert_eq!(again.status.code(), Some(2));
    let bad = dgov(
        dir.path(),
        &["plugin", "new", "bad name!", "--kind", "gate"],
    );
    assert_eq!(bad.status.code(), Some(2));
}
