//! The inspection tools (head, tail, word_count, tree, recent_changes, assert_file_unchanged,
//! revert_file, find_references, search_tests_for, related_files, ripgrep, jq) through the
//! real WASM plugin and host runtime, on a real git worktree.

mod support;

use dgov_worker::spec::{AttemptSpec, Role};
use serde_json::json;
use support::spec::attempt_spec;
use support::toolbox::{self, commit_all};

const FILES: &[(&str, &str)] = &[
    ("src/a.txt", "one\ntwo\nthree\nfour\nfive\n"),
    ("app/__init__.py", ""),
    ("app/util.py", "def parse_config():\n    return {}\n"),
    (
        "app/core.py",
        "from app.util import parse_config\n\nCFG = parse_config()\nparse_configs = 1\n",
    ),
    (
        "tests/test_util.py",
        "from app.util import parse_config\n\ndef test_parse():\n    assert parse_config() == {}\n",
    ),
    ("rs/src/lib.rs", "mod util;\npub use crate::util::helper;\n"),
    ("rs/src/util.rs", "pub fn helper() {}\n"),
    (
        "data.json",
        r#"{"name": "dgov", "deps": [{"n": "x"}, {"n": "y"}]}"#,
    ),
    (".hidden/h.py", "parse_config()\n"),
    ("node_modules/m.js", "parse_config()\n"),
];

type Fixture = toolbox::Fixture;

async fn fixture_as(role: Role) -> Fixture {
    let dir = toolbox::repo_with(FILES);
    let d = dir.path();
    std::fs::write(d.join("src/a.txt"), "one\ntwo\nthree\nfour\nfive\nsix\n").unwrap();
    commit_all(d, "a grows a sixth line");
    let spec = AttemptSpec {
        language: "python".into(),
        role,
        ..attempt_spec(d)
    };
    Fixture::open(dir, &spec, ()).await
}

async fn fixture() -> Fixture {
    fixture_as(Role::Worker).await
}

#[tokio::test]
async fn head_and_tail_number_lines_and_check_arguments() {
    let mut f = fixture().await;
    assert_eq!(
        f.ok("head", json!({"path": "src/a.txt", "n": 2})).await,
        "1: one\n2: two"
    );
    assert_eq!(
        f.ok("tail", json!({"path": "src/a.txt", "n": 2})).await,
        "5: five\n6: six"
    );
    assert_eq!(f.ok("head", json!({"path": "src/a.txt", "n": 0})).await, "");
    assert!(
        f.ok("head", json!({"path": "src/a.txt"}))
            .await
            .ends_with("6: six"),
        "default n is 20"
    );
    assert_eq!(
        f.err("tail", json!({"path": "src/nope.txt"})).await,
        "Error: src/nope.txt does not exist."
    );
    assert!(
        f.err("head", json!({"path": "src/a.txt", "n": -3}))
            .await
            .contains("head: argument 'n' must be 0 or more")
    );
    assert!(
        f.err("tail", json!({}))
            .await
            .contains("tail: missing required argument 'path'")
    );
    assert!(
        f.err("head", json!({"path": "src"}))
            .await
            .contains("is a directory")
    );
}

#[tokio::test]
async fn word_count_of_a_file_and_of_a_directory() {
    let mut f = fixture().await;
    assert_eq!(
        f.ok("word_count", json!({"path": "app/util.py"})).await,
        "2 lines, 4 words, 34 bytes: app/util.py"
    );
    let dir = f.ok("word_count", json!({"path": "app"})).await;
    assert_eq!(
        dir,
        "       4 app/core.py\n       2 app/util.py\n       0 app/__init__.py\n       6 total (3 files)"
    );
    assert!(
        f.err("word_count", json!({"path": "nope"}))
            .await
            .contains("nope does not exist.")
    );
}

#[tokio::test]
async fn tree_honours_depth_and_hides_hidden_and_dependency_dirs() {
    let mut f = fixture().await;
    let top = f.ok("tree", json!({"max_depth": 1})).await;
    assert_eq!(
        top, ".\n  app/\n  data.json\n  rs/\n  src/\n  tests/",
        "depth 1 lists the root's entries only; .git, .hidden and node_modules are left out"
    );
    let rs = f.ok("tree", json!({"path": "rs"})).await;
    assert_eq!(rs, "rs/\n  src/\n    lib.rs\n    util.rs");
    assert!(
        f.err("tree", json!({"path": "data.json"}))
            .await
            .contains("not a directory")
    );
    assert!(
        f.err("tree", json!({"max_depth": "deep"}))
            .await
            .contains("tree: argument 'max_depth' must be an integer")
    );
}

#[tokio::test]
async fn recent_changes_lists_the_commits_of_a_file() {
    let mut f = fixture().await;
    let log = f.ok("recent_changes", json!({"path": "src/a.txt"})).await;
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].ends_with(" a grows a sixth line"),
        "newest first: {log}"
    );
    assert!(lines[1].ends_with(" init"));
    assert_eq!(
        f.ok("recent_changes", json!({"path": "app/util.py"}))
            .await
            .lines()
            .count(),
        1
    );
    std::fs::write(f.path("src/new.txt"), "n\n").unwrap();
    assert_eq!(
        f.ok("recent_changes", json!({"path": "src/new.txt"})).await,
        "No git history for src/new.txt."
    );
    assert_eq!(
        f.err("recent_changes", json!({"path": "src/ghost.txt"}))
            .await,
        "Error: src/ghost.txt does not exist."
    );
}

#[tokio::test]
async fn assert_file_unchanged_reports_edits_and_new_files() {
    let mut f = fixture().await;
    assert_eq!(
        f.ok("assert_file_unchanged", json!({"path": "src/a.txt"}))
            .await,
        "OK: src/a.txt is unchanged from HEAD."
    );
    std::fs::write(f.path("src/a.txt"), "one\nTWO\n").unwrap();
    let r = f
        .ok("assert_file_unchanged", json!({"path": "src/a.txt"}))
        .await;
    assert!(r.starts_with("FAIL: src/a.txt has been modified:\n"), "{r}");
    assert!(r.contains("+TWO"), "{r}");
    // The original answered OK for a file that did not exist at HEAD; a new file is a change.
    std::fs::write(f.path("app/extra.py"), "x = 1\n").unwrap();
    let r = f
        .ok("assert_file_unchanged", json!({"path": "app/extra.py"}))
        .await;
    assert_eq!(
        r,
        "FAIL: app/extra.py is new since HEAD (untracked):\napp/extra.py"
    );
    std::fs::remove_file(f.path("app/util.py")).unwrap();
    assert!(
        f.ok("assert_file_unchanged", json!({"path": "app/util.py"}))
            .await
            .starts_with("FAIL: app/util.py has been modified:")
    );
    assert_eq!(
        f.err("assert_file_unchanged", json!({"path": "ghost.txt"}))
            .await,
        "Error: ghost.txt does not exist."
    );
}

#[tokio::test]
async fn revert_file_restores_head_and_removes_new_files() {
    let mut f = fixture().await;
    std::fs::write(f.path("src/a.txt"), "scribble\n").unwrap();
    let r = f
        .tools
        .call("revert_file", &json!({"path": "src/a.txt"}))
        .await;
    assert_eq!(r.text, "Successfully reverted src/a.txt to HEAD.");
    // Recorded like a write, so settlement's transient-scope check sees it.
    assert_eq!(
        r.activity,
        vec![json!({"kind": "revert_file", "path": "src/a.txt", "mode": "revert"})]
    );
    assert_eq!(
        std::fs::read_to_string(f.path("src/a.txt")).unwrap(),
        "one\ntwo\nthree\nfour\nfive\nsix\n"
    );
    std::fs::remove_file(f.path("app/util.py")).unwrap();
    f.ok("revert_file", json!({"path": "app/util.py"})).await;
    assert_eq!(
        std::fs::read_to_string(f.path("app/util.py")).unwrap(),
        "def parse_config():\n    return {}\n",
        "a deleted file comes back"
    );
    std::fs::write(f.path("app/extra.py"), "x = 1\n").unwrap();
    assert!(
        f.ok("revert_file", json!({"path": "app/extra.py"}))
            .await
            .contains("it was not in HEAD, so it was removed")
    );
    assert!(!f.path("app/extra.py").exists());
    assert_eq!(
        f.ok("assert_file_unchanged", json!({"path": "."})).await,
        "OK: . is unchanged from HEAD."
    );
    assert!(
        f.err("revert_file", json!({"path": ".dgov/state.db"}))
            .await
            .contains("owned by the governor")
    );
    assert!(
        f.err("revert_file", json!({"path": "app"}))
            .await
            .contains("Failed to revert app: it is a directory")
    );
    assert_eq!(
        f.err("revert_file", json!({"path": "ghost.txt"})).await,
        "Error: ghost.txt does not exist."
    );
    assert!(
        f.err("revert_file", json!({"path": "../x"}))
            .await
            .contains("traversal")
    );
}

#[tokio::test]
async fn read_only_roles_cannot_revert_but_can_inspect() {
    let mut f = fixture_as(Role::Reviewer).await;
    assert!(!f.tools.names().contains(&"revert_file"));
    for t in ["head", "tree", "ripgrep", "jq", "assert_file_unchanged"] {
        assert!(f.tools.names().contains(&t), "{t}");
    }
    std::fs::write(f.path("src/a.txt"), "scribble\n").unwrap();
    let r = f
        .tools
        .call("revert_file", &json!({"path": "src/a.txt"}))
        .await;
    assert!(r.failed);
    assert_eq!(
        std::fs::read_to_string(f.path("src/a.txt")).unwrap(),
        "scribble\n"
    );
}

#[tokio::test]
async fn find_references_matches_whole_words_and_can_skip_tests() {
    let mut f = fixture().await;
    let all = f
        .ok("find_references", json!({"symbol": "parse_config"}))
        .await;
    let files: Vec<&str> = all.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(
        files,
        [
            "app/core.py",
            "app/core.py",
            "app/util.py",
            "tests/test_util.py",
            "tests/test_util.py"
        ],
        "hidden and node_modules files are skipped; parse_configs is another word: {all}"
    );
    assert!(all.contains("app/util.py:1: def parse_config():"), "{all}");
    let no_tests = f
        .ok(
            "find_references",
            json!({"symbol": "parse_config", "exclude_tests": true}),
        )
        .await;
    assert!(!no_tests.contains("tests/"), "{no_tests}");
    assert!(no_tests.contains("app/util.py"));
    assert_eq!(
        f.ok("find_references", json!({"symbol": "nothing_here"}))
            .await,
        "No matches found for 'nothing_here'."
    );
    assert!(
        f.err(
            "find_references",
            json!({"symbol": "x", "exclude_tests": "maybe"})
        )
        .await
        .contains("find_references: argument 'exclude_tests' must be true or false")
    );
    assert!(
        f.err("find_references", json!({"symbol": " "}))
            .await
            .contains("must not be empty")
    );
}

#[tokio::test]
async fn search_tests_for_reports_test_files_only() {
    let mut f = fixture().await;
    assert_eq!(
        f.ok("search_tests_for", json!({"symbol": "parse_config"}))
            .await,
        "Tests referencing 'parse_config':\n  tests/test_util.py:\n    1: from app.util import parse_config\n    4: assert parse_config() == {}"
    );
    assert_eq!(
        f.ok("search_tests_for", json!({"symbol": "CFG"})).await,
        "No test files reference 'CFG'."
    );
}

#[tokio::test]
async fn related_files_follows_imports_both_ways() {
    let mut f = fixture().await;
    assert_eq!(
        f.ok("related_files", json!({"path": "app/util.py"})).await,
        "== app/util.py ==\n\nImports from (0):\n\nImported by (2):\n  app/core.py\n  tests/test_util.py"
    );
    assert_eq!(
        f.ok("related_files", json!({"path": "rs/src/lib.rs"}))
            .await,
        "== rs/src/lib.rs ==\n\nImports from (1):\n  rs/src/util.rs\n\nImported by (0):"
    );
    assert!(
        f.err("related_files", json!({"path": "src/a.txt"}))
            .await
            .contains("not a Python, Rust, JS/TS or Go file")
    );
}

#[tokio::test]
async fn ripgrep_supports_its_flag_subset_natively() {
    let mut f = fixture().await;
    assert_eq!(
        f.ok("ripgrep", json!({"pattern": "def \\w+", "path": "app"}))
            .await,
        "app/util.py:1:def parse_config():"
    );
    assert_eq!(
        f.ok(
            "ripgrep",
            json!({"pattern": "PARSE_CONFIG", "flags": "-i -l"})
        )
        .await,
        "app/core.py\napp/util.py\ntests/test_util.py"
    );
    assert_eq!(
        f.ok(
            "ripgrep",
            json!({"pattern": "parse_config", "path": "app/core.py", "flags": "-wc"})
        )
        .await,
        "app/core.py:2"
    );
    assert_eq!(
        f.ok("ripgrep", json!({"pattern": "{}", "flags": "-F"}))
            .await,
        "app/util.py:2:    return {}\nrs/src/util.rs:1:pub fn helper() {}\ntests/test_util.py:4:    assert parse_config() == {}"
    );
    let e = f
        .err("ripgrep", json!({"pattern": "x", "flags": "-g '*.py' -i"}))
        .await;
    assert!(e.contains("unsupported flag(s) -g '*.py'"), "{e}");
    assert!(
        f.err("ripgrep", json!({"pattern": "("}))
            .await
            .contains("ripgrep: invalid regex")
    );
    assert_eq!(
        f.ok("ripgrep", json!({"pattern": "parse", "path": ".hidden"}))
            .await,
        ".hidden/h.py:1:parse_config()",
        "a hidden directory asked for by name is searched"
    );
    assert!(
        f.err("ripgrep", json!({"pattern": "x", "path": "nowhere"}))
            .await
            .contains("nowhere does not exist.")
    );
    assert_eq!(
        f.ok("ripgrep", json!({"pattern": "zzz_nothing"})).await,
        "No matches found."
    );
}

#[tokio::test]
async fn jq_evaluates_its_subset_and_names_it_otherwise() {
    let mut f = fixture().await;
    assert_eq!(
        f.ok("jq", json!({"expr": ".deps[].n", "path": "data.json"}))
            .await,
        "\"x\"\n\"y\""
    );
    assert_eq!(
        f.ok("jq", json!({"expr": ".deps | length", "path": "data.json"}))
            .await,
        "2"
    );
    let e = f
        .err("jq", json!({"expr": "map(.n)", "path": "data.json"}))
        .await;
    assert!(e.contains("unsupported expression 'map(.n)'"), "{e}");
    assert!(e.contains("'keys'"), "the error names the subset: {e}");
    assert!(
        f.err("jq", json!({"expr": ".", "path": "src/a.txt"}))
            .await
            .contains("src/a.txt is not valid JSON")
    );
    assert_eq!(
        f.err("jq", json!({"expr": ".", "path": "nope.json"})).await,
        "Error: nope.json does not exist."
    );
    assert!(
        f.err("jq", json!({"path": "data.json"}))
            .await
            .contains("jq: missing required argument 'expr'")
    );
}

#[tokio::test]
async fn bad_arguments_are_errors_that_name_the_tool() {
    let mut f = fixture().await;
    for (tool, key) in [
        ("head", "path"),
        ("tail", "path"),
        ("word_count", "path"),
        ("recent_changes", "path"),
        ("assert_file_unchanged", "path"),
        ("revert_file", "path"),
        ("find_references", "symbol"),
        ("search_tests_for", "symbol"),
        ("related_files", "path"),
        ("ripgrep", "pattern"),
        ("jq", "expr"),
    ] {
        let mut wrong_type = json!({"path": "data.json"});
        wrong_type[key] = json!(5);
        assert_eq!(
            f.err(tool, json!({})).await,
            format!("Error: {tool}: missing required argument '{key}'.")
        );
        assert_eq!(
            f.err(tool, wrong_type).await,
            format!("Error: {tool}: argument '{key}' must be a string.")
        );
    }
    assert_eq!(
        f.err("tree", json!({"path": 5})).await,
        "Error: tree: argument 'path' must be a string."
    );
    assert_eq!(
        f.err("ripgrep", json!({"pattern": "x", "flags": ["-i"]}))
            .await,
        "Error: ripgrep: argument 'flags' must be a string."
    );
    assert!(
        f.ok("tree", json!({"path": null})).await.starts_with(".\n"),
        "null means the default"
    );
}

#[tokio::test]
async fn tree_shows_symlinks_without_following_them() {
    let mut f = fixture().await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "x").unwrap();
    std::os::unix::fs::symlink(outside.path(), f.path("src/outdir")).unwrap();
    assert_eq!(
        f.ok("tree", json!({"path": "src"})).await,
        "src/\n  a.txt\n  outdir@"
    );
}

#[tokio::test]
async fn related_files_knows_go_packages_through_go_mod() {
    let mut f = fixture().await;
    let files = [
        ("go.mod", "module example.com/app\n\ngo 1.22\n"),
        (
            "main.go",
            "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/app/internal/db\"\n)\n",
        ),
        ("internal/db/db.go", "package db\n"),
    ];
    for (p, c) in files {
        std::fs::create_dir_all(f.path(p).parent().unwrap()).unwrap();
        std::fs::write(f.path(p), c).unwrap();
    }
    assert_eq!(
        f.ok("related_files", json!({"path": "internal/db/db.go"}))
            .await,
        "== internal/db/db.go ==\n\nImports from (0):\n\nImported by (1):\n  main.go"
    );
    assert_eq!(
        f.ok("related_files", json!({"path": "main.go"})).await,
        "== main.go ==\n\nImports from (1):\n  internal/db/ (package)\n\nImported by (0):"
    );
}
