//! `init` on fixture repositories of each language: detection, commands, scaffolded files,
//! idempotence, and that the shipped SOPs and project.toml are valid.

use std::path::Path;

use dgov_plan::init::{Confidence, Language, detect, init_plan, init_project};

fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (p, body) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    dir
}

#[test]
fn rust_repo_gets_cargo_commands() {
    let r = repo(&[
        ("Cargo.toml", "[package]\nname='x'\n"),
        ("Cargo.lock", ""),
        ("src/lib.rs", ""),
        ("tests/it.rs", ""),
    ]);
    let d = detect(r.path(), None);
    assert_eq!(d.language, Language::Rust);
    assert_eq!(d.confidence, Confidence::High);
    assert_eq!(
        (d.src_dir.as_str(), d.test_dir.as_str()),
        ("src/", "tests/")
    );
    assert_eq!(d.test_cmd, "cargo test");
    assert_eq!(d.format_check_cmd, "cargo fmt --check");
    assert!(d.lint_cmd.starts_with("cargo clippy"));
    assert_eq!(d.ignore_files, vec!["Cargo.lock"]);
    assert_eq!(d.source_extensions, vec![".rs"]);
}

#[test]
fn python_repo_gets_uv_ruff_pytest_and_coverage_when_pytest_is_a_dependency() {
    let r = repo(&[
        (
            "pyproject.toml",
            "[project]\nname='x'\ndependencies=['pytest']\n",
        ),
        ("src/pkg/__init__.py", ""),
        ("tests/test_a.py", ""),
    ]);
    let d = detect(r.path(), None);
    assert_eq!(d.language, Language::Python);
    assert_eq!(d.test_cmd, "uv run pytest {test_dir} -q --tb=short");
    assert_eq!(d.lint_cmd, "uv run ruff check {file}");
    assert_eq!(
        d.coverage_cmd,
        "uv run pytest --cov=src --cov-report=json:{output} -q"
    );
    assert!(
        d.ignore_files.contains(&"uv.lock".to_string()),
        "uv.lock is always ignored for python"
    );
}

#[test]
fn javascript_repo_commands_come_from_its_config_files() {
    let r = repo(&[
        (
            "package.json",
            r#"{"devDependencies": {"vitest": "1"}, "scripts": {"test": "vitest"}}"#,
        ),
        ("eslint.config.js", ""),
        (".prettierrc", "{}"),
        ("tsconfig.json", "{}"),
        ("pnpm-lock.yaml", ""),
        ("src/index.ts", ""),
        ("test/a.test.ts", ""),
    ]);
    let d = detect(r.path(), None);
    assert_eq!(d.language, Language::Javascript);
    assert_eq!(d.test_dir, "test/");
    assert_eq!(d.test_cmd, "npx vitest run {test_dir}");
    assert_eq!(d.lint_cmd, "npx eslint {file}");
    assert_eq!(d.format_check_cmd, "npx prettier --check {file}");
    assert_eq!(d.type_check_cmd, "npx tsc --noEmit");
    assert!(d.setup_cmd.starts_with("pnpm install"));
}

#[test]
fn javascript_without_configs_leaves_commands_empty() {
    let r = repo(&[("index.js", ""), ("lib/util.js", "")]);
    let d = detect(r.path(), None);
    assert_eq!(d.language, Language::Javascript);
    assert_eq!(d.src_dir, "lib/");
    assert!(d.test_cmd.is_empty() && d.lint_cmd.is_empty() && d.format_cmd.is_empty());
}

#[test]
fn go_repo_gets_go_test_and_gofmt() {
    let r = repo(&[
        ("go.mod", "module x\n"),
        ("go.sum", ""),
        ("main.go", ""),
        ("pkg/a/a.go", ""),
    ]);
    let d = detect(r.path(), None);
    assert_eq!(d.language, Language::Go);
    assert_eq!(d.test_cmd, "go test ./...");
    assert_eq!(d.format_cmd, "gofmt -w {file}");
    assert_eq!(
        d.lint_cmd, "go vet ./...",
        "no golangci config: fall back to go vet"
    );
    assert_eq!(d.src_dir, "pkg/");
    assert_eq!(d.ignore_files, vec!["go.sum"]);
}

#[test]
fn counts_decide_without_a_manifest_and_empty_repos_are_unknown() {
    let r = repo(&[
        ("a.py", ""),
        ("b.py", ""),
        ("c.go", ""),
        ("node_modules/x/y.js", ""),
        ("node_modules/x/z.js", ""),
        ("node_modules/x/w.js", ""),
    ]);
    assert_eq!(
        detect(r.path(), None).language,
        Language::Python,
        "node_modules is skipped"
    );
    let empty = repo(&[("README.md", "")]);
    let d = detect(empty.path(), None);
    assert_eq!(
        (d.language, d.confidence),
        (Language::Unknown, Confidence::Low)
    );
    assert!(d.test_cmd.is_empty());
    let forced = detect(empty.path(), Some(Language::Rust));
    assert_eq!(
        (forced.language, forced.confidence),
        (Language::Rust, Confidence::Explicit)
    );
}

#[test]
fn init_scaffolds_valid_files_and_never_overwrites_without_force() {
    for (lang, files) in [
        (Language::Rust, vec![("Cargo.toml", "")]),
        (Language::Python, vec![("x.py", "")]),
        (Language::Javascript, vec![("package.json", "{}")]),
        (Language::Go, vec![("go.mod", "")]),
        (Language::Unknown, vec![]),
    ] {
        let r = repo(&files);
        let rep = init_project(r.path(), Some(lang), false).unwrap();
        assert!(rep.created.contains(&".dgov/project.toml".to_string()));
        assert!(rep.created.contains(&".dgov/governor.md".to_string()));
        assert!(rep.created.contains(&".dgov/.gitignore".to_string()));
        // The scaffolded project.toml loads without errors or warnings.
        let (cfg, diags) = dgov_plan::load_project_config(r.path()).unwrap();
        assert!(diags.is_empty(), "{lang:?}: {diags:?}");
        assert_eq!(cfg.project.language, lang.as_str());
        // Every shipped SOP parses.
        let sops = dgov_plan::load_sops(r.path()).unwrap_or_else(|d| panic!("{lang:?}: {d:?}"));
        assert!(sops.sops.len() >= 6);
        let style = sops.sops.iter().any(|s| s.name.ends_with("-style"));
        assert_eq!(
            style,
            lang != Language::Unknown,
            "{lang:?}: language SOP installed only for known languages"
        );
        let gi = std::fs::read_to_string(r.path().join(".dgov/.gitignore")).unwrap();
        assert!(gi.contains("plans/*/_compiled.toml"));
        assert!(
            !gi.lines()
                .any(|l| !l.starts_with('#') && l.contains("archive")),
            "archived plans stay tracked"
        );
        // Re-running keeps user edits.
        std::fs::write(r.path().join(".dgov/governor.md"), "mine").unwrap();
        let again = init_project(r.path(), Some(lang), false).unwrap();
        assert!(again.created.is_empty() && again.overwritten.is_empty());
        assert_eq!(
            std::fs::read_to_string(r.path().join(".dgov/governor.md")).unwrap(),
            "mine"
        );
        // Missing files are filled in.
        std::fs::remove_file(r.path().join(".dgov/sops/testing.md")).unwrap();
        let fill = init_project(r.path(), Some(lang), false).unwrap();
        assert_eq!(fill.created, vec![".dgov/sops/testing.md".to_string()]);
        let forced = init_project(r.path(), Some(lang), true).unwrap();
        assert!(
            forced
                .overwritten
                .contains(&".dgov/governor.md".to_string())
        );
        assert_ne!(
            std::fs::read_to_string(r.path().join(".dgov/governor.md")).unwrap(),
            "mine"
        );
    }
}

#[test]
fn init_plan_scaffolds_a_tree_that_compiles_once_the_example_is_copied() {
    let r = repo(&[]);
    let files = init_plan(r.path(), "demo", &["core".into(), "docs".into()], false).unwrap();
    assert_eq!(files.len(), 3);
    assert!(matches!(
        init_plan(r.path(), "demo", &[], false),
        Err(dgov_plan::init::InitPlanError::Exists(_))
    ));
    assert!(matches!(
        init_plan(r.path(), "../x", &[], false),
        Err(dgov_plan::init::InitPlanError::BadName(_))
    ));
    let dir = r.path().join(".dgov/plans/demo");
    // As scaffolded, the plan has no tasks (examples are ignored) and says why.
    let err = dgov_plan::compile_plan_dir_with(&dir, &dgov_plan::CompileOptions { dry_run: true })
        .unwrap_err();
    assert!(err.to_string().contains("only ignored files"), "{err}");
    std::fs::copy(dir.join("core/_example.toml"), dir.join("core/main.toml")).unwrap();
    let (plan, warnings) =
        dgov_plan::compile_plan_dir_with(&dir, &dgov_plan::CompileOptions { dry_run: true })
            .unwrap();
    assert_eq!(plan.tasks.len(), 2);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(plan.tasks[1].depends_on, vec!["core/main.add-parser"]);
    let _ = Path::new("");
}
