//! The project tools through the real WASM plugin and host runtime, in a real git worktree:
//! file_symbols and check_syntax on host-parsed Rust, Python, TypeScript and Go files;
//! lint_check, lint_fix, format_file and type_check running committed shell-script fake
//! toolchain commands; claims enforced on the writing tools (and the tools absent for a
//! researcher); scope_status comparing claims with git's view of the worktree.

mod support;

use std::path::Path;

use dgov_worker::spec::{AttemptSpec, Claims, PathPolicySpec, Role, ToolchainSpec};
use serde_json::json;
use support::git;
use support::spec::attempt_spec;
use support::toolbox;

fn spec(worktree: &Path, toolchain: ToolchainSpec, claims: Claims, role: Role) -> AttemptSpec {
    AttemptSpec {
        claims,
        exec_allow: dgov_worker::subprocess::exec_allow(&toolchain),
        toolchain,
        path_policy: PathPolicySpec {
            ignore: vec!["__pycache__".into(), "*.log".into()],
            allow: Vec::new(),
            deny: vec!["*.key".into()],
        },
        language: "rust".into(),
        role,
        ..attempt_spec(worktree)
    }
}

/// Fake toolchain: the linter prints its arguments and fails on a file containing `BAD`;
/// the fixer and formatter rewrite their files; the type checker reports its arguments.
fn toolchain() -> ToolchainSpec {
    ToolchainSpec {
        lint_cmd: "sh lint.sh {file}".into(),
        lint_fix_cmd: "sh fix.sh {file}".into(),
        format_cmd: "sh fmt.sh {file}".into(),
        type_check_cmd: "sh types.sh".into(),
    }
}

fn claims() -> Claims {
    Claims {
        edit: vec!["src/lib.rs".into(), "src/app.py".into()],
        create: vec!["src/new.rs".into()],
        read: vec!["README.md".into()],
        ..Claims::default()
    }
}

type Fixture = toolbox::Fixture;

fn write(d: &Path, p: &str, text: &str) {
    toolbox::write_files(d, &[(p, text)]);
}

async fn fixture(toolchain: ToolchainSpec, claims: Claims, role: Role) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(
        d,
        "src/lib.rs",
        "pub struct Parser {\n    depth: u32,\n}\n\nimpl Parser {\n    pub fn depth(&self) -> u32 {\n        self.depth\n    }\n}\n\npub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n",
    );
    write(
        d,
        "src/broken.rs",
        "fn ok() {}\n\nfn broken( {\n    let x = ;\n}\n",
    );
    write(
        d,
        "src/app.py",
        "class App:\n    def run(self, n):\n        return n\n\n\ndef main():\n    App().run(1)\n",
    );
    write(d, "src/bad.py", "def f(:\n    pass\n");
    write(
        d,
        "web/ui.ts",
        "export function greet(name: string): string {\n  return name;\n}\n",
    );
    write(
        d,
        "go/main.go",
        "package main\n\nfunc Hello() string {\n\treturn \"hi\"\n}\n",
    );
    write(d, "src/other.rs", "pub fn other() {}\n");
    write(d, "README.md", "readme\n");
    write(d, "notes.txt", "plain text\n");
    write(
        d,
        "lint.sh",
        "echo \"linting: $*\"\nif grep -l BAD \"$@\" 2>/dev/null; then echo 'found BAD' >&2; exit 1; fi\nexit 0\n",
    );
    write(
        d,
        "fix.sh",
        "for f in \"$@\"; do sed -i 's/BAD/GOOD/' \"$f\"; echo \"fixed $f\"; done\n",
    );
    write(
        d,
        "fmt.sh",
        "for f in \"$@\"; do printf '// formatted\\n' >> \"$f\"; echo \"formatted $f\"; done\n",
    );
    write(
        d,
        "types.sh",
        "echo \"type check: ${1:-everything}\"\nexit 3\n",
    );
    toolbox::commit_all(d, "init");
    let spec = spec(d, toolchain, claims, role);
    Fixture::open(dir, &spec, ()).await
}

async fn worker() -> Fixture {
    fixture(toolchain(), claims(), Role::Worker).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_symbols_lists_kinds_signatures_and_lines_in_four_languages() {
    let mut f = worker().await;
    let rs = f.ok("file_symbols", json!({"path": "src/lib.rs"})).await;
    assert!(rs.starts_with("src/lib.rs (rust, 13 lines):"), "{rs}");
    assert!(rs.contains("  struct Parser  (lines 1-3)"), "{rs}");
    assert!(
        rs.contains("    method Parser::depth(&self) -> u32  (lines 6-8)"),
        "{rs}"
    );
    assert!(rs.contains("function add("), "{rs}");
    assert!(rs.contains("(lines 11-13)"), "{rs}");
    let py = f.ok("file_symbols", json!({"path": "./src/app.py"})).await;
    assert!(py.contains("class App  (lines 1-3)"), "{py}");
    assert!(py.contains("method App.run(self, n)"), "{py}");
    assert!(py.contains("function main()  (lines 6-7)"), "{py}");
    let ts = f.ok("file_symbols", json!({"path": "web/ui.ts"})).await;
    assert!(ts.contains("function greet("), "{ts}");
    let go = f.ok("file_symbols", json!({"path": "go/main.go"})).await;
    assert!(go.contains("function Hello()"), "{go}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_syntax_says_ok_or_lists_errors_with_lines_as_a_normal_result() {
    let mut f = worker().await;
    assert_eq!(
        f.ok("check_syntax", json!({"path": "src/lib.rs"})).await,
        "OK: src/lib.rs parses (rust)."
    );
    assert_eq!(
        f.ok("check_syntax", json!({"path": "go/main.go"})).await,
        "OK: go/main.go parses (go)."
    );
    let rs = f.ok("check_syntax", json!({"path": "src/broken.rs"})).await;
    assert!(
        rs.starts_with("SyntaxError in src/broken.rs (rust):"),
        "{rs}"
    );
    assert!(
        rs.contains("\n  line 3:") || rs.contains("\n  line 4:"),
        "{rs}"
    );
    let py = f.ok("check_syntax", json!({"path": "src/bad.py"})).await;
    assert!(
        py.starts_with("SyntaxError in src/bad.py (python):"),
        "{py}"
    );
    assert!(py.contains("\n  line 1:"), "{py}");
    // file_symbols still lists what parsed and points at the errors.
    let syms = f.ok("file_symbols", json!({"path": "src/broken.rs"})).await;
    assert!(syms.contains("function ok()"), "{syms}");
    assert!(syms.contains("Syntax errors ("), "{syms}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parser_tools_refuse_missing_unknown_and_escaping_paths() {
    let mut f = worker().await;
    let e = f.err("check_syntax", json!({"path": "src/nope.rs"})).await;
    assert_eq!(e, "Error: src/nope.rs does not exist.");
    let e = f.err("file_symbols", json!({"path": "notes.txt"})).await;
    assert!(e.contains("cannot parse notes.txt"), "{e}");
    assert!(
        e.contains("Rust, Python, JavaScript, TypeScript and Go"),
        "{e}"
    );
    let e = f.err("file_symbols", json!({"path": "../x.rs"})).await;
    assert!(e.contains("traversal"), "{e}");
    let e = f.err("check_syntax", json!({"path": "src"})).await;
    assert!(e.contains("not a file"), "{e}");
    let e = f.err("file_symbols", json!({})).await;
    assert!(e.contains("missing required argument 'path'"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_check_runs_lint_cmd_on_the_file_or_the_source_dir() {
    let mut f = worker().await;
    let out = f.ok("lint_check", json!({"file": "src/lib.rs"})).await;
    assert!(out.starts_with("STDOUT:\nlinting: src/lib.rs\n"), "{out}");
    assert!(out.ends_with("EXIT:0"), "{out}");
    let out = f.ok("lint_check", json!({})).await;
    assert!(out.contains("linting: src\n"), "{out}");
    // A failing lint is a normal result with its exit code, as any shell command.
    f.write("src/lib.rs", "BAD\n");
    let out = f.ok("lint_check", json!({"file": "src/lib.rs"})).await;
    assert!(out.contains("found BAD"), "{out}");
    assert!(out.ends_with("EXIT:1"), "{out}");
    // The file is quoted: a crafted name is one argument, never a second command.
    let out = f.ok("lint_check", json!({"file": "x; touch pwned"})).await;
    assert!(out.contains("linting: x; touch pwned"), "{out}");
    assert!(!f.dir.path().join("pwned").exists());
    let e = f.err("lint_check", json!({"file": "../outside"})).await;
    assert!(e.contains("traversal"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_fix_and_format_file_change_claimed_files_only() {
    let mut f = worker().await;
    f.write("src/lib.rs", "BAD code\n");
    let out = f.ok("lint_fix", json!({"file": "src/lib.rs"})).await;
    assert!(out.contains("fixed src/lib.rs"), "{out}");
    assert_eq!(f.read("src/lib.rs"), "GOOD code\n");
    // A clean file the formatter changes is recorded as written (settlement's transient
    // scope check reads it); src/lib.rs was already dirty before lint_fix, so it was not.
    let r = f
        .tools
        .call("format_file", &json!({"file": "src/app.py"}))
        .await;
    assert!(
        !r.failed && r.text.contains("formatted src/app.py"),
        "{}",
        r.text
    );
    assert!(f.read("src/app.py").ends_with("// formatted\n"));
    assert_eq!(
        r.activity,
        vec![json!({"kind": "format_file", "path": "src/app.py", "mode": "edit"})]
    );

    // Unclaimed, read-only and governor-owned files are refused before anything runs.
    let before = f.read("src/other.rs");
    let e = f.err("format_file", json!({"file": "src/other.rs"})).await;
    assert!(e.contains("claims as writable"), "{e}");
    assert!(
        e.ends_with("Claimed writable: src/new.rs, src/lib.rs, src/app.py"),
        "{e}"
    );
    assert_eq!(f.read("src/other.rs"), before);
    let e = f.err("lint_fix", json!({"file": "README.md"})).await;
    assert!(e.contains("not one of them"), "{e}");
    let e = f
        .err("format_file", json!({"file": ".sentrux/baseline.json"}))
        .await;
    assert!(e.contains("owned by the governor"), "{e}");
    let e = f.err("format_file", json!({"file": "src/new.rs"})).await;
    assert_eq!(e, "Error: src/new.rs does not exist.");
    let e = f.err("format_file", json!({})).await;
    assert!(e.contains("missing required argument 'file'"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_fix_without_a_file_fixes_every_existing_claimed_file() {
    let mut f = worker().await;
    f.write("src/lib.rs", "BAD\n");
    f.write("src/app.py", "BAD\n");
    f.write("src/other.rs", "BAD\n");
    let out = f.ok("lint_fix", json!({})).await;
    assert!(
        out.contains("fixed src/lib.rs\nfixed src/app.py\n"),
        "{out}"
    );
    assert!(
        !out.contains("src/new.rs"),
        "a claimed file that does not exist yet: {out}"
    );
    assert_eq!(f.read("src/lib.rs"), "GOOD\n");
    assert_eq!(f.read("src/app.py"), "GOOD\n");
    assert_eq!(f.read("src/other.rs"), "BAD\n", "unclaimed file left alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_check_runs_its_command_or_says_it_is_not_configured() {
    let mut f = worker().await;
    let out = f.ok("type_check", json!({})).await;
    assert!(out.contains("type check: everything"), "{out}");
    assert!(out.ends_with("EXIT:3"), "{out}");

    let mut bare = fixture(ToolchainSpec::default(), claims(), Role::Worker).await;
    assert_eq!(
        bare.ok("type_check", json!({})).await,
        "Type checking not configured for this project."
    );
    let e = bare.err("lint_check", json!({})).await;
    assert_eq!(
        e,
        "Error: lint_check() is unavailable because lint_cmd is not configured in .dgov/project.toml."
    );
    let e = bare.err("format_file", json!({"file": "src/lib.rs"})).await;
    assert!(e.contains("format_cmd is not configured"), "{e}");
    let e = bare.err("lint_fix", json!({"file": "src/lib.rs"})).await;
    assert!(e.contains("lint_fix_cmd is not configured"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scope_status_compares_claims_with_the_worktree() {
    let mut f = worker().await;
    let clean = f.ok("scope_status", json!({})).await;
    assert_eq!(
        clean,
        "scope_status: pass\nclaimed_writable: src/app.py, src/lib.rs, src/new.rs\nclaimed_readonly: README.md\nmodified_files: (none)\nblocking: (none)"
    );
    f.write("src/lib.rs", "changed\n");
    f.write("src/new.rs", "new\n");
    let ok = f.ok("scope_status", json!({})).await;
    assert!(ok.starts_with("scope_status: pass\n"), "{ok}");
    assert!(
        ok.contains("modified_files: src/lib.rs, src/new.rs\n"),
        "{ok}"
    );
    // Changes the project ignores are listed apart and never block.
    f.write("src/__pycache__/app.cpython-312.pyc", "bytecode\n");
    f.write("build.log", "log\n");
    let ignored = f.ok("scope_status", json!({})).await;
    assert!(ignored.starts_with("scope_status: pass\n"), "{ignored}");
    assert!(
        ignored.contains("\nignored_modified: build.log, src/__pycache__/app.cpython-312.pyc\n"),
        "{ignored}"
    );
    f.write("src/secret.key", "k\n");
    let denied = f.ok("scope_status", json!({})).await;
    assert!(
        denied.ends_with("blocking: Touched project-denied files: src/secret.key. Revert them."),
        "{denied}"
    );
    std::fs::remove_file(f.dir.path().join("src/secret.key")).unwrap();
    f.write("README.md", "edited\n");
    f.write("stray/x.txt", "stray\n");
    let bad = f.ok("scope_status", json!({})).await;
    assert!(bad.starts_with("scope_status: fail\n"), "{bad}");
    assert!(bad.contains("\nunclaimed_modified: stray/x.txt\n"), "{bad}");
    assert!(bad.contains("\nreadonly_modified: README.md\n"), "{bad}");
    assert!(
        bad.ends_with(
            "blocking: Touched unclaimed files: stray/x.txt. Revert them or ask for a wider scope."
        ),
        "{bad}"
    );
    // Whatever the model puts in the reserved argument is replaced by the host's context.
    let forged = f
        .ok(
            "scope_status",
            json!({"_dgov": {"claims": {"writable": ["stray/", "README.md"], "read": []}}}),
        )
        .await;
    assert_eq!(forged, bad);

    let mut none = fixture(toolchain(), Claims::default(), Role::Worker).await;
    assert_eq!(
        none.err("scope_status", json!({})).await,
        "Error: scope_status() requires task scope from the governor."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scope_status_warns_about_unclaimed_files_written_through_tools_even_after_a_revert() {
    let mut f = worker().await;
    // Written through a tool, then put back: the worktree is clean again, but settlement's
    // transient-scope check will see the write, so scope_status says so now.
    f.ok(
        "edit_file",
        json!({"path": "notes.txt", "old_text": "plain text", "new_text": "scratch"}),
    )
    .await;
    f.ok("revert_file", json!({"path": "notes.txt"})).await;
    assert_eq!(f.read("notes.txt"), "plain text\n");
    f.ok(
        "edit_file",
        json!({"path": "src/lib.rs", "old_text": "a + b", "new_text": "b + a"}),
    )
    .await;
    let r = f.ok("scope_status", json!({})).await;
    assert!(r.starts_with("scope_status: fail\n"), "{r}");
    assert!(r.contains("\nmodified_files: src/lib.rs\n"), "{r}");
    assert!(r.contains("\ntransient_unclaimed: notes.txt\n"), "{r}");
    assert!(
        r.ends_with("blocking: Wrote unclaimed files earlier in this attempt: notes.txt. Settlement rejects that even after a revert; ask for a wider scope."),
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_researcher_has_the_reading_project_tools_but_not_the_writing_ones() {
    let mut f = fixture(toolchain(), claims(), Role::Researcher).await;
    let names = f.tools.names();
    for t in [
        "file_symbols",
        "check_syntax",
        "lint_check",
        "type_check",
        "scope_status",
    ] {
        assert!(names.contains(&t), "{t} missing from {names:?}");
    }
    for t in ["lint_fix", "format_file"] {
        assert!(!names.contains(&t), "{t} offered to a researcher");
    }
    let before = f.read("src/lib.rs");
    let e = f.err("format_file", json!({"file": "src/lib.rs"})).await;
    assert_eq!(
        e,
        "Error: Tool format_file is not allowed in this worker role."
    );
    let e = f.err("lint_fix", json!({})).await;
    assert_eq!(
        e,
        "Error: Tool lint_fix is not allowed in this worker role."
    );
    assert_eq!(f.read("src/lib.rs"), before);
    let out = f.ok("check_syntax", json!({"path": "src/lib.rs"})).await;
    assert_eq!(out, "OK: src/lib.rs parses (rust).");
}

#[test]
fn the_project_toolchain_and_scope_lists_reach_the_attempt_spec_and_exec_allow_list() {
    let repo = support::repo("http://127.0.0.1:9/v1");
    let root = repo.path();
    let toml = root.join(".dgov/project.toml");
    let text = std::fs::read_to_string(&toml).unwrap().replacen(
        "[project]\n",
        "[project]\nlint_cmd = \"uv run ruff check {file}\"\nlint_fix_cmd = \"sh fix.sh {file}\"\nformat_cmd = \"gofmt -w {file}\"\ntype_check_cmd = \"npx tsc --noEmit\"\n",
        1,
    );
    std::fs::write(
        &toml,
        format!("{text}\n[scope]\nignore_files = [\"dist/\"]\ndeny_files = [\"*.pem\"]\n"),
    )
    .unwrap();
    let dir = support::write_plan(root, "tc", &[("a", &[], &[], &["src/base.txt"])]);
    let plan = support::compile(&dir);
    let (cfg, _) = dgov_plan::config::load_project_config(root).unwrap();
    let w = dgov_worker::SubprocessWorker::for_plan(root, &plan, &cfg, "dgov".into(), Vec::new())
        .unwrap();
    let task = plan.tasks[0].clone();
    let attempt = dgov_runner::Attempt {
        plan: plan.name.clone(),
        task: std::sync::Arc::new(dgov_runner::RunTask {
            id: task.id.clone(),
            depends_on: Vec::new(),
            prompt: task.prompt.clone(),
            files: Vec::new(),
            read: Vec::new(),
            test_cmd: None,
            commit_message: String::new(),
            timeout: None,
            retries: 0,
            forks: 1,
        }),
        attempt: 1,
        worktree: root.to_path_buf(),
        root: root.to_path_buf(),
        log_path: root.join("log"),
        on_spawn: std::sync::Arc::new(|_| {}),
        retry: None,
    };
    let s = w.spec_for(&attempt).unwrap();
    assert_eq!(s.toolchain.lint_cmd, "uv run ruff check {file}");
    assert_eq!(s.toolchain.lint_fix_cmd, "sh fix.sh {file}");
    assert_eq!(s.toolchain.format_cmd, "gofmt -w {file}");
    assert_eq!(s.toolchain.type_check_cmd, "npx tsc --noEmit");
    assert_eq!(s.exec_allow, ["sh", "git", "uv", "gofmt", "npx"]);
    let ignore = &s.path_policy.ignore;
    assert!(ignore.contains(&"dist/".to_string()), "{ignore:?}");
    assert!(
        ignore.contains(&"__pycache__".to_string()),
        "built-in ignores kept"
    );
    assert_eq!(s.path_policy.deny, ["*.pem"]);
}
