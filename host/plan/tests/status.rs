//! Plan status, plan list and archive against real directories (and git for the
//! ignored-archive refusal).

use std::path::Path;
use std::process::Command;

use dgov_plan::status::{ListFilter, list_plans, plan_status};
use dgov_plan::{CompileOptions, DeployRecord, append_deployed};

fn write(p: &Path, body: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

const TASKS: &str = "[tasks.a]\nprompt = \"## Orient\\n## Edit\\n## Verify\"\n[tasks.b]\nprompt = \"## Orient\\n## Edit\\n## Verify\"\ndepends_on = [\"a\"]\n[tasks.c]\nprompt = \"## Orient\\n## Edit\\n## Verify\"\ndepends_on = [\"b\"]\n";

fn plan(root: &Path, name: &str) -> std::path::PathBuf {
    let dir = root.join(".dgov/plans").join(name);
    write(
        &dir.join("_root.toml"),
        &format!("[plan]\nname = \"{name}\"\nsections = [\"s\"]\n"),
    );
    write(&dir.join("s/main.toml"), TASKS);
    dir
}

fn compile(dir: &Path) {
    let (p, _) = dgov_plan::compile_plan_dir_with(dir, &CompileOptions { dry_run: true }).unwrap();
    dgov_plan::write_compiled(&p).unwrap();
}

#[test]
fn status_counts_deployed_and_pending_with_direct_blockers() {
    let r = tempfile::tempdir().unwrap();
    let dir = plan(r.path(), "p");
    assert!(matches!(
        plan_status(r.path(), &dir),
        Err(dgov_plan::status::StatusError::NotCompiled(_))
    ));
    compile(&dir);
    append_deployed(
        r.path(),
        &DeployRecord {
            plan: "p".into(),
            unit: "s/main.a".into(),
            sha: "1234567890".into(),
            ts: "t".into(),
        },
    )
    .unwrap();
    append_deployed(
        r.path(),
        &DeployRecord {
            plan: "other".into(),
            unit: "s/main.b".into(),
            sha: "x".into(),
            ts: "t".into(),
        },
    )
    .unwrap();
    let st = plan_status(r.path(), &dir).unwrap();
    assert_eq!(
        (st.units, st.deployed, st.pending, st.stale),
        (3, 1, 2, false)
    );
    assert_eq!(
        st.unit_statuses[1].blocked_by,
        Vec::<String>::new(),
        "b's only dep a is deployed"
    );
    assert_eq!(
        st.unit_statuses[2].blocked_by,
        vec!["s/main.b"],
        "direct deps only"
    );
}

#[test]
fn stale_when_sources_change_but_not_when_only_touched() {
    let r = tempfile::tempdir().unwrap();
    let dir = plan(r.path(), "p");
    compile(&dir);
    // Rewriting identical content (new mtime) is not a change.
    std::fs::write(dir.join("s/main.toml"), TASKS).unwrap();
    assert!(!plan_status(r.path(), &dir).unwrap().stale);
    std::fs::write(dir.join("s/main.toml"), format!("{TASKS}\n# edited\n")).unwrap();
    assert!(plan_status(r.path(), &dir).unwrap().stale);
    compile(&dir);
    write(&dir.join("s/new.toml"), "[tasks.z]\nprompt = \"x\"\n");
    assert!(
        plan_status(r.path(), &dir).unwrap().stale,
        "a new task file makes it stale"
    );
    // A compiled-file input never reports stale.
    assert!(
        !plan_status(r.path(), &dir.join("_compiled.toml"))
            .unwrap()
            .stale
    );
}

#[test]
fn list_reports_every_status() {
    let r = tempfile::tempdir().unwrap();
    let _uncompiled = plan(r.path(), "a-uncompiled");
    let compiled = plan(r.path(), "b-compiled");
    compile(&compiled);
    let progress = plan(r.path(), "c-progress");
    compile(&progress);
    append_deployed(r.path(), &DeployRecord::now("c-progress", "s/main.a", "s")).unwrap();
    let done = plan(r.path(), "d-complete");
    compile(&done);
    for u in ["a", "b", "c"] {
        append_deployed(
            r.path(),
            &DeployRecord::now("d-complete", &format!("s/main.{u}"), "s"),
        )
        .unwrap();
    }
    let stale = plan(r.path(), "e-stale");
    compile(&stale);
    std::fs::write(stale.join("s/main.toml"), format!("{TASKS}# x\n")).unwrap();
    let degraded = plan(r.path(), "f-degraded");
    compile(&degraded);
    for u in ["a", "b", "c"] {
        append_deployed(
            r.path(),
            &DeployRecord::now("f-degraded", &format!("s/main.{u}"), "s"),
        )
        .unwrap();
    }
    write(
        &r.path().join(".dgov/runs.log"),
        "[2026-01-01 00:00:00Z] f-degraded (x) — fail (3s)\n\n[2026-01-02 00:00:00Z] f-degraded (x) — warn (3s)\n  merged: a\n  sentrux: 9100 -> 8800\n  sentrux_status: degradation\n  branch_verification_status: failed\n\n[2026-01-03 00:00:00Z] other — fail (1s)\n",
    );
    std::fs::create_dir_all(r.path().join(".dgov/plans/_scratch")).unwrap();
    let rows = list_plans(r.path(), ListFilter::Active);
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.status.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("a-uncompiled", "uncompiled"),
            ("b-compiled", "compiled"),
            ("c-progress", "in_progress"),
            ("d-complete", "complete"),
            ("e-stale", "stale"),
            ("f-degraded", "degraded"),
        ]
    );
    assert!(rows[5].remediation_needed);
    let st = plan_status(r.path(), &degraded).unwrap();
    assert_eq!(
        st.next_action
            .as_deref()
            .map(|n| n.starts_with("dgov plan remediate")),
        Some(true)
    );
    assert!(st.sentrux_degradation);
    assert_eq!(st.sentrux_quality.as_deref(), Some("9100 -> 8800"));
    assert_eq!(st.branch_verification_status.as_deref(), Some("failed"));
    // The Rust runner's header has no `(<plan_file>)` part; both forms are read.
    write(
        &r.path().join(".dgov/runs.log"),
        "[2026-01-02 00:00:00Z] f-degraded — warn (3.0s)\n\n",
    );
    assert_eq!(
        dgov_plan::status::last_run_status(r.path(), "f-degraded").as_deref(),
        Some("degraded")
    );
    assert_eq!(
        dgov_plan::status::last_run_status(r.path(), "c-progress"),
        None
    );
    assert!(list_plans(r.path(), ListFilter::Archived).is_empty());
}

#[test]
fn archive_moves_the_plan_and_status_follows_it() {
    let r = tempfile::tempdir().unwrap();
    let dir = plan(r.path(), "p");
    compile(&dir);
    let dest = dgov_plan::status::archive_plan(r.path(), "p").unwrap();
    assert!(
        dest.ends_with(".dgov/plans/archive/p")
            && dest.join("_root.toml").exists()
            && !dir.exists()
    );
    let st = plan_status(r.path(), &dir).unwrap();
    assert_eq!(st.resolved_from_archive.as_deref(), Some(dir.as_path()));
    let rows = list_plans(r.path(), ListFilter::All);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].archived);
    // Archiving again: the source is gone.
    assert!(matches!(
        dgov_plan::status::archive_plan(r.path(), "p"),
        Err(dgov_plan::status::ArchiveError::NotFound(_))
    ));
    // An existing archive target is refused instead of nesting (the original's quirk).
    let again = plan(r.path(), "p");
    assert!(matches!(
        dgov_plan::status::archive_plan(r.path(), "p"),
        Err(dgov_plan::status::ArchiveError::AlreadyArchived(_))
    ));
    assert!(again.exists());
}

#[test]
fn archive_refuses_when_git_would_ignore_the_archive() {
    if Command::new("git").arg("--version").output().is_err() {
        return;
    }
    let r = tempfile::tempdir().unwrap();
    assert!(
        Command::new("git")
            .arg("init")
            .arg("-q")
            .arg(r.path())
            .status()
            .unwrap()
            .success()
    );
    write(&r.path().join(".gitignore"), ".dgov/plans/archive/\n");
    let dir = plan(r.path(), "p");
    let err = dgov_plan::status::archive_plan(r.path(), "p").unwrap_err();
    assert!(
        matches!(err, dgov_plan::status::ArchiveError::Ignored(_)),
        "{err}"
    );
    assert!(dir.exists(), "nothing moved");
    // Compiling warns about the same rule before anything is archived.
    let (_, warnings) =
        dgov_plan::compile_plan_dir_with(&dir, &CompileOptions { dry_run: true }).unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.message.contains("git ignores .dgov/plans/archive/")),
        "{warnings:?}"
    );
}

#[test]
fn a_non_utf8_task_file_is_a_diagnostic_naming_it_not_an_io_failure() {
    let r = tempfile::tempdir().unwrap();
    let dir = plan(r.path(), "p");
    std::fs::write(
        dir.join("s/bad.toml"),
        b"[tasks.x]\nprompt = \"\xff\xfe\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("s/_ignored.toml"), b"\xff").unwrap();
    match dgov_plan::compile_plan_dir_with(&dir, &CompileOptions { dry_run: true }) {
        Err(dgov_plan::CompileError::Invalid { diagnostics }) => {
            assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
            assert!(
                diagnostics[0]
                    .file
                    .as_ref()
                    .unwrap()
                    .ends_with("s/bad.toml")
            );
            assert!(diagnostics[0].message.starts_with("cannot read file"));
        }
        other => panic!("expected a diagnostic, got {other:?}"),
    }
}
