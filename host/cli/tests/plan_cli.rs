//! The plan commands through the built `dgov` binary: exit codes, text and `--json` output,
//! fail-closed compile, status/list/archive, and `--help` on every command.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::{json, text};

fn dgov(repo: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dgov"))
        .arg("-C")
        .arg(repo)
        .args(args)
        .current_dir(repo)
        .output()
        .unwrap()
}

fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join(".git")).unwrap();
    std::fs::write(d.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    d
}

const PROVIDER: &str = "\nprovider = \"local\"\n[providers.local]\nbase_url = \"http://127.0.0.1:9/v1\"\napi_key_env = \"LOCAL_KEY\"\ndefault_agent = \"m\"\n";

#[test]
fn init_then_init_plan_then_compile_end_to_end() {
    let r = repo();
    let o = dgov(r.path(), &["--json", "init", "-y"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let j = json(&o);
    assert_eq!(j["detection"]["language"], "rust");
    assert!(
        j["created"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == ".dgov/sops/rust-style.md")
    );
    // Second run creates nothing: "already initialized", exit 1.
    let again = dgov(r.path(), &["init", "-y"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("Already initialized"));

    assert_eq!(
        dgov(r.path(), &["init-plan", "demo", "--sections", "core,docs"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        dgov(r.path(), &["init-plan", "demo"]).status.code(),
        Some(1),
        "existing plan needs --force"
    );
    let plan = r.path().join(".dgov/plans/demo");
    std::fs::copy(plan.join("core/_example.toml"), plan.join("core/main.toml")).unwrap();

    // Without a provider, a real compile fails closed and says how to fix it.
    let o = dgov(r.path(), &["compile", "demo"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("no provider for task 'add-parser'"),
        "{}",
        text(&o)
    );
    assert!(!plan.join("_compiled.toml").exists());

    // Dry run works without one, and --graph draws the waves.
    let o = dgov(
        r.path(),
        &["compile", ".dgov/plans/demo", "--dry-run", "--graph"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("Compiled 2 units, 1 edges"), "{out}");
    assert!(
        out.contains("wave 2 (1 task)") && out.contains("◀ core/main.add-parser"),
        "{out}"
    );

    // With a provider the real compile bundles SOPs (rust-style matches .rs writes).
    let cfg = r.path().join(".dgov/project.toml");
    let mut t = std::fs::read_to_string(&cfg).unwrap();
    t = t.replacen("[project]\n", &format!("[project]{PROVIDER}"), 1);
    // Providers table must come after [project]'s keys: move it to the end instead.
    let (proj, rest) = t.split_once("[providers.local]").unwrap();
    let (prov, tail) = rest.split_once("\n\n").unwrap();
    let t = format!("{proj}{tail}\n[providers.local]{prov}\n");
    std::fs::write(&cfg, t).unwrap();
    let o = dgov(r.path(), &["--json", "compile", "demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let j = json(&o);
    assert_eq!(j["status"], "compiled");
    assert_eq!(j["units"], 2);
    assert_eq!(j["edges"], 1);
    assert_eq!(j["dry_run"], false);
    assert_eq!(j["sop_set_hash"].as_str().unwrap().len(), 64);
    let compiled = std::fs::read_to_string(plan.join("_compiled.toml")).unwrap();
    assert!(compiled.contains("[SOP: Rust style]"), "{compiled}");

    // validate accepts it; plan status shows both pending.
    let o = dgov(r.path(), &["validate", ".dgov/plans/demo/_compiled.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = dgov(r.path(), &["--json", "plan", "status", "demo"]);
    let j = json(&o);
    assert_eq!(
        (
            j["units"].as_u64(),
            j["pending"].as_u64(),
            j["stale"].as_bool()
        ),
        (Some(2), Some(2), Some(false))
    );
}

#[test]
fn compile_errors_are_listed_all_at_once_in_json() {
    let r = repo();
    let plan = r.path().join(".dgov/plans/bad");
    std::fs::create_dir_all(plan.join("s")).unwrap();
    std::fs::write(
        plan.join("_root.toml"),
        "[plan]\nname = \"bad\"\nsections = [\"s\"]\n",
    )
    .unwrap();
    std::fs::write(
        plan.join("s/a.toml"),
        "[tasks.a]\nprompt = \"x\"\ndepends_on = [\"b\"]\n[tasks.b]\nprompt = \"y\"\ndepends_on = [\"a\"]\n[tasks.c]\ntimeout_s = \"slow\"\n",
    )
    .unwrap();
    std::fs::write(plan.join("_compiled.toml"), "stale output").unwrap();
    let o = dgov(r.path(), &["--json", "compile", "bad", "--dry-run"]);
    assert_eq!(o.status.code(), Some(1));
    let j = json(&o);
    assert_eq!(j["status"], "invalid");
    let msgs: Vec<String> = j["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("dependency cycle: s/a.a → s/a.b → s/a.a")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("timeout_s` must be a non-negative integer")),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.contains("empty prompt")), "{msgs:?}");
    assert!(j["errors"][0]["line"].is_u64());
    assert!(
        !plan.join("_compiled.toml").exists(),
        "a failed compile removes the old output"
    );
}

#[test]
fn status_list_and_archive() {
    let r = repo();
    assert_eq!(dgov(r.path(), &["init-plan", "p"]).status.code(), Some(0));
    let plan = r.path().join(".dgov/plans/p");
    std::fs::write(plan.join("tasks/main.toml"), "[tasks.a]\nprompt = \"## Orient\\n## Edit\\n## Verify\"\n[tasks.b]\nprompt = \"## Orient\\n## Edit\\n## Verify\"\ndepends_on = [\"a\"]\n").unwrap();
    let o = dgov(r.path(), &["plan", "status", "p"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("Not compiled; run 'dgov compile"),
        "{}",
        text(&o)
    );
    let o = dgov(r.path(), &["--json", "plan", "list"]);
    assert_eq!(json(&o)[0]["status"], "uncompiled");
    assert_eq!(
        dgov(r.path(), &["compile", "p", "--dry-run"]).status.code(),
        Some(0)
    );
    dgov_plan::append_deployed(
        r.path(),
        &dgov_plan::DeployRecord::now("p", "tasks/main.a", "0123456789abcdef"),
    )
    .unwrap();
    let o = dgov(r.path(), &["plan", "status", "p", "-v"]);
    let out = text(&o);
    assert!(out.contains("Plan: p  (1/2 deployed, 1 pending)"), "{out}");
    assert!(
        out.contains("✓ tasks/main.a") && out.contains("sha 0123456"),
        "{out}"
    );
    assert!(out.contains("○ tasks/main.b  (pending)"), "{out}");
    let o = dgov(r.path(), &["--json", "plan", "list"]);
    assert_eq!(json(&o)[0]["status"], "in_progress");
    let o = dgov(r.path(), &["--json", "archive-plan", "p"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(r.path().join(".dgov/plans/archive/p/_root.toml").exists());
    let o = dgov(r.path(), &["--json", "plan", "list", "--archived"]);
    assert_eq!(json(&o)[0]["archived"], true);
    assert_eq!(
        dgov(r.path(), &["archive-plan", "p"]).status.code(),
        Some(2),
        "gone now: input error"
    );
    assert_eq!(
        dgov(r.path(), &["plan", "list", "--all", "--archived"])
            .status
            .code(),
        Some(2),
        "flags conflict"
    );
}

#[test]
fn every_plan_command_has_help() {
    let r = repo();
    for cmd in [
        vec!["init"],
        vec!["init-plan"],
        vec!["compile"],
        vec!["validate"],
        vec!["plan"],
        vec!["plan", "status"],
        vec!["plan", "list"],
        vec!["archive-plan"],
    ] {
        let mut args = cmd.clone();
        args.push("--help");
        let o = dgov(r.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{cmd:?}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("Usage:"), "{cmd:?}: {out}");
    }
    let o = dgov(r.path(), &["compile", "--help"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("--dry-run") && out.contains("--graph") && out.contains("Skip SOP bundling"),
        "{out}"
    );
}
