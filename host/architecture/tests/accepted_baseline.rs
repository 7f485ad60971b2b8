//! The accepted baseline on real temporary git repositories: `.sentrux/dgov-baseline.json`
//! written by `gate-save` and by the refresh, the baseline's age and staleness (with an
//! injected clock), the refresh commit and its refusal on a dirty root.

mod support;

use std::path::Path;

use dgov_architecture::analyzer::block_on;
use dgov_architecture::refresh::{self, Refresh};
use dgov_architecture::staleness::{AgeSource, baseline_age};
use dgov_architecture::{METADATA_PATH, Mode, Policy, StaleLimits, commands, metadata, run_hooks};
use support::{arch, commit, write};

const DAY: f64 = 86_400.0;
/// A fixed "now" for the tests (2026-11-24T00:00:00Z).
const NOW: f64 = 1_795_478_400.0;

fn head(root: &Path) -> String {
    let repo = git2::Repository::open(root).unwrap();
    repo.head().unwrap().target().unwrap().to_string()
}

fn subjects(root: &Path) -> Vec<String> {
    let repo = git2::Repository::open(root).unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push_head().unwrap();
    walk.map(|o| {
        repo.find_commit(o.unwrap())
            .unwrap()
            .summary()
            .unwrap()
            .unwrap_or("")
            .to_string()
    })
    .collect()
}

const A: &str = "from . import b\n\ndef fa():\n    return b.fb()\n";
const B: &str = "def fb():\n    return 1\n";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    write(dir.path(), &[("a.py", A), ("b.py", B)]);
    commit(dir.path(), "init");
    dir
}

fn gate_save(root: &Path, now: f64) -> commands::CommandOutput {
    block_on(commands::gate_save(arch(), root, &Policy::default(), now))
        .unwrap()
        .unwrap()
}

fn refresh(root: &Path, now: f64) -> Refresh {
    block_on(refresh::refresh_accepted(
        arch(),
        root,
        &Policy::default(),
        &[],
        now,
    ))
    .unwrap()
    .unwrap()
}

#[test]
fn gate_save_records_the_metadata_at_head_only_for_a_clean_tree() {
    let dir = project();
    let root = dir.path();
    let out = gate_save(root, NOW);
    assert_eq!(out.code, 0);
    let meta = metadata::read(root).unwrap().expect("metadata written");
    assert_eq!(meta.accepted_head, head(root));
    assert_eq!(meta.schema, 1);
    assert_eq!(meta.baseline, "baseline.json");
    assert_eq!(meta.timestamp, NOW);
    assert_eq!(meta.refreshed_at, "2026-11-24T00:00:00Z");
    assert_eq!(
        meta.quality,
        Some(
            out.json["quality_signal"]
                .as_f64()
                .map(|q| (q * 10000.0).round() as u32)
                .unwrap()
        )
    );
    assert_eq!(out.json["metadata"]["accepted_head"], head(root));
    assert!(out.stdout.contains("Accepted at "), "{}", out.stdout);
    // The file on disk is pretty JSON with sorted keys.
    let text = std::fs::read_to_string(root.join(METADATA_PATH)).unwrap();
    let keys: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
        .collect();
    assert_eq!(
        keys,
        [
            "accepted_head",
            "baseline",
            "quality",
            "refreshed_at",
            "schema",
            "timestamp"
        ]
    );

    // An uncommitted source change: the baseline is saved, the metadata is not (it would
    // vouch for HEAD while describing the working tree), and stderr says so.
    write(root, &[("b.py", "def fb():\n    return 2\n")]);
    let out = gate_save(root, NOW + DAY);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("dgov-baseline.json not written"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("b.py"), "{}", out.stderr);
    assert_eq!(out.json["metadata"], serde_json::Value::Null);
    assert_eq!(metadata::read(root).unwrap().unwrap().timestamp, NOW);
}

#[test]
fn staleness_counts_commits_since_the_accepted_head_and_age_from_the_clock() {
    let dir = project();
    let root = dir.path();
    gate_save(root, NOW);
    let limits = StaleLimits {
        commits: 2,
        days: 14,
    };
    let age = baseline_age(root, NOW + 60.0, limits).unwrap().unwrap();
    assert_eq!(age.source, AgeSource::Metadata);
    assert_eq!(age.commits_behind, Some(0));
    assert!(!age.stale);
    assert_eq!(
        age.description,
        format!(
            "0 commits behind HEAD; 1 minute old; baseline commit {:.12}",
            head(root)
        )
    );
    // Three commits later: over the limit of 2.
    for i in 0..3 {
        write(root, &[(&format!("n{i}.py") as &str, "N = 1\n")]);
        commit(root, &format!("n{i}"));
    }
    let age = baseline_age(root, NOW + 60.0, limits).unwrap().unwrap();
    assert_eq!(age.commits_behind, Some(3));
    assert!(age.stale);
    // Fresh by commits, old by time: 15 days > 14.
    let loose = StaleLimits {
        commits: 10,
        days: 14,
    };
    assert!(
        !baseline_age(root, NOW + 13.0 * DAY, loose)
            .unwrap()
            .unwrap()
            .stale
    );
    let old = baseline_age(root, NOW + 15.0 * DAY, loose)
        .unwrap()
        .unwrap();
    assert!(old.stale);
    assert!(
        old.description.contains("; 15 days old; "),
        "{}",
        old.description
    );
}

/// Without usable metadata (here: an `accepted_head` that does not resolve) the age comes
/// from the last commit touching `.sentrux/baseline.json` and the baseline's timestamp.
#[test]
fn staleness_falls_back_to_the_last_commit_of_the_baseline() {
    let dir = project();
    let root = dir.path();
    gate_save(root, NOW);
    std::fs::remove_file(root.join(METADATA_PATH)).unwrap();
    // Never committed: commits unknown, age from the baseline's own timestamp.
    let age = baseline_age(root, NOW + 2.0 * 3600.0, StaleLimits::default())
        .unwrap()
        .unwrap();
    assert_eq!(age.source, AgeSource::History);
    assert_eq!(age.commits_behind, None);
    assert_eq!(
        age.description,
        "unknown commits behind HEAD; 2 hours old; baseline commit unknown"
    );
    let with_baseline = commit(root, "baseline");
    for i in 0..11 {
        write(root, &[(&format!("n{i}.py") as &str, "N = 1\n")]);
        commit(root, &format!("n{i}"));
    }
    metadata::write(
        root,
        &metadata::Metadata::new("0000000000000000000000000000000000000bad", NOW, None),
    )
    .unwrap();
    let age = baseline_age(root, NOW, StaleLimits::default())
        .unwrap()
        .unwrap();
    assert_eq!(age.source, AgeSource::History);
    assert_eq!(age.baseline_commit.as_deref(), Some(with_baseline.as_str()));
    assert_eq!(age.commits_behind, Some(11));
    assert!(age.stale, "11 > 10 commits");
}

#[test]
fn the_refresh_commits_once_and_is_a_no_op_the_second_time() {
    let dir = project();
    let root = dir.path();
    // A bootstrapped, uncommitted baseline, then a change to the structure.
    block_on(run_hooks::ensure_baseline(arch(), root))
        .unwrap()
        .unwrap();
    write(root, &[("c.py", "from . import a\nZ = a.fa()\n")]);
    let accepted = commit(root, "edge");
    let Refresh::Committed {
        commit: c,
        baseline_changed,
    } = refresh(root, NOW)
    else {
        panic!("expected a commit");
    };
    assert!(baseline_changed);
    assert_eq!(head(root), c);
    assert_eq!(subjects(root)[0], "Refresh sentrux baseline");
    let repo = dgov_git::Repo::open(root).unwrap();
    assert!(
        repo.dirty_paths().unwrap().is_empty(),
        "both files committed"
    );
    let meta = metadata::read(root).unwrap().unwrap();
    assert_eq!(
        meta.accepted_head, accepted,
        "the commit whose tree was scanned"
    );
    let base = dgov_architecture::baseline::read(root).unwrap().unwrap();
    assert_eq!(base.total_import_edges, 2);
    assert_eq!(base.timestamp, NOW);
    // The refresh commit itself does not make the baseline a commit behind.
    let age = baseline_age(root, NOW, StaleLimits::default())
        .unwrap()
        .unwrap();
    assert_eq!(age.commits_behind, Some(0));

    // Again, later: nothing changed, nothing committed, files untouched.
    let before = std::fs::read_to_string(root.join(METADATA_PATH)).unwrap();
    assert_eq!(refresh(root, NOW + DAY), Refresh::AlreadyCurrent);
    assert_eq!(head(root), c);
    assert_eq!(
        std::fs::read_to_string(root.join(METADATA_PATH)).unwrap(),
        before
    );

    // A new commit that leaves the structure alone moves only the accepted commit.
    write(root, &[("README.md", "docs\n")]);
    let docs = commit(root, "docs");
    let Refresh::Committed {
        baseline_changed, ..
    } = refresh(root, NOW + 2.0 * DAY)
    else {
        panic!("the accepted commit moved");
    };
    assert!(!baseline_changed);
    assert_eq!(metadata::read(root).unwrap().unwrap().accepted_head, docs);
    assert_eq!(
        dgov_architecture::baseline::read(root)
            .unwrap()
            .unwrap()
            .timestamp,
        NOW,
        "the unchanged baseline keeps its timestamp"
    );
}

#[test]
fn the_refresh_is_refused_on_a_dirty_root_and_writes_nothing() {
    let dir = project();
    let root = dir.path();
    gate_save(root, NOW);
    commit(root, "baseline");
    let meta_before = std::fs::read_to_string(root.join(METADATA_PATH)).unwrap();
    write(root, &[("c.py", "from . import a\n")]);
    write(root, &[(".dgov/plans/deployed.jsonl", "{}\n")]);
    let Refresh::Refused { dirty, reason } = refresh(root, NOW + DAY) else {
        panic!("a dirty root must be refused");
    };
    assert_eq!(dirty, ["c.py"], "dgov's own files do not count");
    assert!(reason.contains("uncommitted"), "{reason}");
    assert_eq!(subjects(root)[0], "baseline");
    assert_eq!(
        std::fs::read_to_string(root.join(METADATA_PATH)).unwrap(),
        meta_before
    );
    // The same path exempted (a directory the run itself moved) no longer blocks: the
    // refresh goes ahead, and HEAD (the commit of the baseline accepted at `init`, which
    // changed nothing else) is already current.
    let out = block_on(refresh::refresh_accepted(
        arch(),
        root,
        &Policy::default(),
        &["c.py".to_string()],
        NOW + DAY,
    ))
    .unwrap()
    .unwrap();
    assert_eq!(out, Refresh::AlreadyCurrent);
}

/// A degradation that was already there when the run started is not the run's: in `diff`
/// mode the run is not degraded (so the refresh can accept it); in `strict` mode it is.
#[test]
fn a_pre_existing_degradation_degrades_only_in_strict_mode() {
    let dir = project();
    let root = dir.path();
    gate_save(root, NOW);
    write(
        root,
        &[("b.py", "from . import a\n\ndef fb():\n    return a.fa()\n")],
    );
    commit(root, "cycle");
    let pre = commit(root, "pre-run");
    write(root, &[("d.py", "D = 1\n")]);
    commit(root, "run");
    let changed = run_hooks::changed_files(root, &pre, "HEAD").unwrap();
    assert_eq!(changed, ["d.py"]);
    let diff = block_on(run_hooks::post_run(
        arch(),
        root,
        "HEAD",
        &changed,
        Mode::Diff,
    ))
    .unwrap()
    .unwrap();
    assert!(!diff.degraded);
    assert!(diff.pre_existing > 0);
    assert!(diff.warning.unwrap().contains("not by this run's changes"));
    let strict = block_on(run_hooks::post_run(
        arch(),
        root,
        "HEAD",
        &changed,
        Mode::Strict,
    ))
    .unwrap()
    .unwrap();
    assert!(strict.degraded);
}
