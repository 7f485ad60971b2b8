//! `dgov init` and `dgov init-plan`: language detection and scaffolding of `.dgov/`
//! (project.toml, governor charter, SOPs, .gitignore) and of new plan trees.
//!
//! Re-running fills in what is missing; nothing is overwritten without `force`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::tree::valid_slug;

/// Languages `init` knows how to configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    Javascript,
    Rust,
    Go,
    Unknown,
}

impl Language {
    pub fn parse(s: &str) -> Option<Language> {
        match s {
            "python" => Some(Language::Python),
            "javascript" | "typescript" => Some(Language::Javascript),
            "rust" => Some(Language::Rust),
            "go" => Some(Language::Go),
            "unknown" => Some(Language::Unknown),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::Javascript => "javascript",
            Language::Rust => "rust",
            Language::Go => "go",
            Language::Unknown => "unknown",
        }
    }
}

/// How sure detection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Given with `--project-type`.
    Explicit,
    High,
    /// No source files found.
    Low,
}

/// What `init` detected (or was told) about a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detection {
    pub language: Language,
    pub confidence: Confidence,
    pub reason: String,
    pub src_dir: String,
    pub test_dir: String,
    pub source_extensions: Vec<String>,
    pub test_cmd: String,
    pub lint_cmd: String,
    pub format_cmd: String,
    pub lint_fix_cmd: String,
    pub format_check_cmd: String,
    pub type_check_cmd: String,
    pub setup_cmd: String,
    pub coverage_cmd: String,
    pub ignore_files: Vec<String>,
}

const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".tox",
    ".venv",
    "venv",
    ".eggs",
    "dist",
    "build",
    ".dgov-worktrees",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "target",
    ".dgov",
];
const LOCKS: &[&str] = &[
    ".venv",
    "uv.lock",
    "poetry.lock",
    "Pipfile.lock",
    ".python-version",
    "node_modules",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lockb",
    "Cargo.lock",
    "go.sum",
    "Gemfile.lock",
    "mix.lock",
];

/// Count source files per language (bounded walk that skips vendored and build dirs).
fn count_sources(root: &Path) -> [usize; 4] {
    let mut counts = [0usize; 4];
    let mut stack = vec![root.to_path_buf()];
    let mut visited = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            visited += 1;
            if visited > 200_000 {
                return counts;
            }
            let name = e.file_name().to_string_lossy().to_string();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if !SKIP_DIRS.contains(&name.as_str()) {
                    stack.push(e.path());
                }
                continue;
            }
            let ext = name.rsplit_once('.').map(|(_, x)| x).unwrap_or("");
            match ext {
                "py" => counts[0] += 1,
                "js" | "ts" | "jsx" | "tsx" | "mjs" | "cjs" => counts[1] += 1,
                "rs" => counts[2] += 1,
                "go" => counts[3] += 1,
                _ => {}
            }
        }
    }
    counts
}

/// Detect the language (or use `explicit`) and derive directories and commands.
pub fn detect(root: &Path, explicit: Option<Language>) -> Detection {
    let (language, confidence, reason) = match explicit {
        Some(l) => (
            l,
            Confidence::Explicit,
            format!("--project-type {}", l.as_str()),
        ),
        None => {
            let counts = count_sources(root);
            // Manifests are a stronger signal than file counts (a Rust repo with Python
            // helper scripts is still a Rust repo).
            let manifest = [
                ("Cargo.toml", Language::Rust),
                ("go.mod", Language::Go),
                ("package.json", Language::Javascript),
                ("pyproject.toml", Language::Python),
                ("setup.py", Language::Python),
            ]
            .into_iter()
            .find(|(f, _)| root.join(f).is_file());
            let langs = [
                Language::Python,
                Language::Javascript,
                Language::Rust,
                Language::Go,
            ];
            let (best, n) = counts
                .iter()
                .enumerate()
                .fold((0, 0), |acc, (i, &c)| if c > acc.1 { (i, c) } else { acc });
            match manifest {
                Some((f, l)) => (l, Confidence::High, format!("found {f}")),
                None if n > 0 => (
                    langs[best],
                    Confidence::High,
                    format!("detected {n} {} source file(s)", langs[best].as_str()),
                ),
                None => (
                    Language::Unknown,
                    Confidence::Low,
                    "no source files found".into(),
                ),
            }
        }
    };
    let exists = |p: &str| root.join(p).is_dir();
    let src_dir = if exists("src") {
        "src/"
    } else if exists("lib") {
        "lib/"
    } else if language == Language::Go && exists("pkg") {
        "pkg/"
    } else {
        "."
    }
    .to_string();
    let test_dir = if exists("tests") {
        "tests/"
    } else if exists("test") {
        "test/"
    } else if exists("__tests__") {
        "__tests__/"
    } else if matches!(language, Language::Rust | Language::Go) {
        // Rust unit tests and Go tests live beside the code.
        src_dir.as_str()
    } else {
        "tests/"
    }
    .to_string();
    let mut d = Detection {
        language,
        confidence,
        reason,
        src_dir,
        test_dir,
        source_extensions: Vec::new(),
        test_cmd: String::new(),
        lint_cmd: String::new(),
        format_cmd: String::new(),
        lint_fix_cmd: String::new(),
        format_check_cmd: String::new(),
        type_check_cmd: String::new(),
        setup_cmd: String::new(),
        coverage_cmd: String::new(),
        ignore_files: LOCKS
            .iter()
            .filter(|f| root.join(f).exists())
            .map(|s| s.to_string())
            .collect(),
    };
    match language {
        Language::Python => python(root, &mut d),
        Language::Javascript => javascript(root, &mut d),
        Language::Rust => {
            d.source_extensions = vec![".rs".into()];
            d.test_cmd = "cargo test".into();
            d.lint_cmd = "cargo clippy --all-targets -- -D warnings".into();
            d.format_cmd = "cargo fmt".into();
            d.lint_fix_cmd = "cargo clippy --fix --allow-dirty --allow-staged".into();
            d.format_check_cmd = "cargo fmt --check".into();
        }
        Language::Go => {
            d.source_extensions = vec![".go".into()];
            d.test_cmd = "go test ./...".into();
            d.lint_cmd =
                if root.join(".golangci.yml").exists() || root.join(".golangci.yaml").exists() {
                    "golangci-lint run {file}".into()
                } else {
                    "go vet ./...".into()
                };
            d.format_cmd = "gofmt -w {file}".into();
            d.lint_fix_cmd = if d.lint_cmd.starts_with("golangci") {
                "golangci-lint run --fix {file}".into()
            } else {
                String::new()
            };
            d.format_check_cmd = "gofmt -l {file}".into();
        }
        Language::Unknown => {}
    }
    d
}

fn python(root: &Path, d: &mut Detection) {
    d.source_extensions = vec![".py".into()];
    let run = if root.join("poetry.lock").exists() && !root.join("uv.lock").exists() {
        "poetry run"
    } else {
        "uv run"
    };
    d.test_cmd = format!("{run} pytest {{test_dir}} -q --tb=short");
    d.lint_cmd = format!("{run} ruff check {{file}}");
    d.format_cmd = format!("{run} ruff format {{file}}");
    d.lint_fix_cmd = format!("{run} ruff check --fix --unsafe-fixes --show-fixes {{file}}");
    d.format_check_cmd = format!("{run} ruff format --check {{file}}");
    if !d.ignore_files.iter().any(|f| f == "uv.lock") && run == "uv run" {
        d.ignore_files.push("uv.lock".into());
    }
    let mentions_pytest = [
        "pyproject.toml",
        "requirements.txt",
        "requirements-dev.txt",
        "dev-requirements.txt",
    ]
    .iter()
    .any(|f| std::fs::read_to_string(root.join(f)).is_ok_and(|t| t.contains("pytest")));
    if mentions_pytest {
        let cov = if d.src_dir == "." {
            ".".to_string()
        } else {
            d.src_dir.trim_end_matches('/').to_string()
        };
        d.coverage_cmd = format!("{run} pytest --cov={cov} --cov-report=json:{{output}} -q");
    }
    if root.join("pyproject.toml").is_file()
        && std::fs::read_to_string(root.join("pyproject.toml"))
            .is_ok_and(|t| t.contains("[tool.mypy]"))
    {
        d.type_check_cmd = format!(
            "{run} mypy {}",
            if d.src_dir == "." {
                "."
            } else {
                d.src_dir.as_str()
            }
        );
    }
}

fn javascript(root: &Path, d: &mut Detection) {
    d.source_extensions = vec![".js".into(), ".jsx".into(), ".ts".into(), ".tsx".into()];
    let any = |names: &[&str]| names.iter().any(|n| root.join(n).exists());
    let pkg = std::fs::read_to_string(root.join("package.json")).unwrap_or_default();
    let pkg_json: serde_json::Value = serde_json::from_str(&pkg).unwrap_or(serde_json::Value::Null);
    let has_dep = |name: &str| {
        ["dependencies", "devDependencies"]
            .iter()
            .any(|k| pkg_json.get(k).and_then(|v| v.get(name)).is_some())
    };
    let eslint = any(&[
        "eslint.config.js",
        "eslint.config.mjs",
        "eslint.config.cjs",
        "eslint.config.ts",
        ".eslintrc",
        ".eslintrc.js",
        ".eslintrc.cjs",
        ".eslintrc.json",
        ".eslintrc.yml",
        ".eslintrc.yaml",
    ]) || pkg_json.get("eslintConfig").is_some();
    let biome = any(&["biome.json", "biome.jsonc"]);
    let prettier = any(&[
        ".prettierrc",
        ".prettierrc.json",
        ".prettierrc.js",
        ".prettierrc.cjs",
        ".prettierrc.yml",
        ".prettierrc.yaml",
        "prettier.config.js",
        "prettier.config.cjs",
        "prettier.config.mjs",
    ]) || pkg_json.get("prettier").is_some();
    if eslint {
        d.lint_cmd = "npx eslint {file}".into();
        d.lint_fix_cmd = "npx eslint --fix {file}".into();
    } else if biome {
        d.lint_cmd = "npx biome check {file}".into();
        d.lint_fix_cmd = "npx biome check --write {file}".into();
    }
    if prettier {
        d.format_cmd = "npx prettier --write {file}".into();
        d.format_check_cmd = "npx prettier --check {file}".into();
    } else if biome {
        d.format_cmd = "npx biome format --write {file}".into();
        d.format_check_cmd = "npx biome format {file}".into();
    }
    let vitest = any(&[
        "vitest.config.ts",
        "vitest.config.js",
        "vitest.config.mts",
        "vitest.config.mjs",
    ]) || has_dep("vitest");
    let jest = any(&[
        "jest.config.js",
        "jest.config.ts",
        "jest.config.cjs",
        "jest.config.mjs",
        "jest.config.json",
    ]) || has_dep("jest");
    let script_test = pkg_json
        .pointer("/scripts/test")
        .and_then(|v| v.as_str())
        .is_some_and(|s| !s.contains("no test specified"));
    d.test_cmd = if vitest {
        "npx vitest run {test_dir}".into()
    } else if jest {
        "npx jest".into()
    } else if script_test {
        "npm test".into()
    } else {
        String::new()
    };
    if root.join("tsconfig.json").exists() {
        d.type_check_cmd = "npx tsc --noEmit".into();
    }
    d.setup_cmd = if root.join("pnpm-lock.yaml").exists() {
        "pnpm install --frozen-lockfile --ignore-scripts".into()
    } else if root.join("yarn.lock").exists() {
        "yarn install --frozen-lockfile --ignore-scripts".into()
    } else {
        "npm ci --ignore-scripts 2>/dev/null || npm install --ignore-scripts".into()
    };
}

fn q(s: &str) -> String {
    crate::compiled::basic_string(s)
}

/// Render a commented `project.toml` for a detection.
pub fn render_project_toml(d: &Detection) -> String {
    let mut o = String::new();
    let line = |o: &mut String, s: &str| {
        o.push_str(s);
        o.push('\n');
    };
    let cmd = |o: &mut String, key: &str, v: &str, what: &str| {
        if v.is_empty() {
            o.push_str(&format!(
                "# {key} = \"...\"   # no {what} detected; set one or add a [verify.*] recipe\n"
            ));
        } else {
            o.push_str(&format!("{key} = {}\n", q(v)));
        }
    };
    line(
        &mut o,
        "# dgov project configuration. Reference: docs/plans.md (project.toml section).",
    );
    line(
        &mut o,
        &format!("# Generated by `dgov init` ({}).", d.reason),
    );
    line(&mut o, "");
    line(&mut o, "[project]");
    line(&mut o, &format!("language = {}", q(d.language.as_str())));
    line(&mut o, &format!("src_dir = {}", q(&d.src_dir)));
    line(&mut o, &format!("test_dir = {}", q(&d.test_dir)));
    let exts: Vec<String> = d.source_extensions.iter().map(|e| q(e)).collect();
    line(
        &mut o,
        &format!("source_extensions = [{}]", exts.join(", ")),
    );
    line(&mut o, "");
    line(
        &mut o,
        "# Toolchain. {test_dir} is replaced by test_dir; {file} by the changed files (quoted).",
    );
    cmd(&mut o, "test_cmd", &d.test_cmd, "test runner");
    cmd(&mut o, "lint_cmd", &d.lint_cmd, "linter");
    cmd(&mut o, "format_cmd", &d.format_cmd, "formatter");
    cmd(&mut o, "lint_fix_cmd", &d.lint_fix_cmd, "lint autofix");
    cmd(
        &mut o,
        "format_check_cmd",
        &d.format_check_cmd,
        "format check",
    );
    if d.type_check_cmd.is_empty() {
        line(
            &mut o,
            "# type_check_cmd = \"...\"   # optional type-check gate",
        );
    } else {
        line(
            &mut o,
            &format!("type_check_cmd = {}", q(&d.type_check_cmd)),
        );
    }
    if d.coverage_cmd.is_empty() {
        line(
            &mut o,
            "# coverage_cmd = \"... {output}\"   # optional; must write a JSON report to {output}",
        );
    } else {
        line(&mut o, &format!("coverage_cmd = {}", q(&d.coverage_cmd)));
    }
    line(
        &mut o,
        "coverage_threshold = 2.0   # max allowed per-file coverage drop (percentage points)",
    );
    if d.setup_cmd.is_empty() {
        line(
            &mut o,
            "# setup_cmd = \"...\"   # runs in each worker worktree before dispatch",
        );
    } else {
        line(&mut o, &format!("setup_cmd = {}", q(&d.setup_cmd)));
    }
    line(
        &mut o,
        "bootstrap_timeout = 300    # seconds for worktree preparation",
    );
    line(
        &mut o,
        "settlement_timeout = 120   # seconds for each gate command",
    );
    line(&mut o, "line_length = 99");
    line(&mut o, "worker_iteration_budget = 50");
    line(&mut o, "worker_iteration_warn_at = 40");
    line(&mut o, "review_hooks = [");
    line(
        &mut o,
        "    # \"! grep -nE 'BEGIN (RSA|OPENSSH) PRIVATE KEY' {files}\",",
    );
    line(&mut o, "]");
    line(&mut o, "");
    line(
        &mut o,
        "# Model provider: any OpenAI-compatible endpoint. The key is read from the named",
    );
    line(
        &mut o,
        "# environment variable; never put the key itself in this file.",
    );
    line(&mut o, "# provider = \"my-provider\"");
    line(&mut o, "# [providers.my-provider]");
    line(&mut o, "# base_url = \"https://api.example.com/v1\"");
    line(&mut o, "# api_key_env = \"MY_PROVIDER_API_KEY\"");
    line(&mut o, "# default_agent = \"model-name\"");
    line(&mut o, "");
    line(&mut o, "[tool_policy]");
    line(&mut o, "restrict_run_bash = true");
    line(
        &mut o,
        "deny_shell_commands = [\"pip\", \"python -m pip\", \"pip3\", \"python -m venv\", \"uv venv\"]",
    );
    line(&mut o, "deny_shell_file_mutations = true");
    let py = d.language == Language::Python;
    line(&mut o, &format!("require_wrapped_verify_tools = {py}"));
    line(&mut o, &format!("require_uv_run = {py}"));
    line(&mut o, "");
    line(&mut o, "[scope]");
    line(
        &mut o,
        "# deny_files beats allow_files; a non-empty allow_files limits every change to it.",
    );
    line(
        &mut o,
        "# .venv, uv.lock, __pycache__ and *.pyc are always ignored.",
    );
    line(&mut o, "allow_files = []");
    line(&mut o, "deny_files = []");
    let ig: Vec<String> = d.ignore_files.iter().map(|e| q(e)).collect();
    line(&mut o, &format!("ignore_files = [{}]", ig.join(", ")));
    line(&mut o, "");
    line(&mut o, "[conventions]");
    line(
        &mut o,
        "# Free-form `key = \"value\"` lines shown to every worker, e.g.",
    );
    line(
        &mut o,
        "# naming = \"snake_case for functions, PascalCase for types\"",
    );
    o
}

/// Contents of `.dgov/.gitignore`. Archived plans are deliberately *not* ignored.
pub const DGOV_GITIGNORE: &str = "# Generated and runtime state; plan sources and archive/ stay tracked.\nstate.db\nstate.db-wal\nstate.db-shm\nruns.log\nout/\nruntime/\nplans/deployed.jsonl\nplans/*/_compiled.toml\n";

const GOVERNOR: &str = include_str!("../templates/governor.md");
const GENERAL_SOPS: &[(&str, &str)] = &[
    (
        "code-review.md",
        include_str!("../templates/sops/code-review.md"),
    ),
    (
        "error-handling.md",
        include_str!("../templates/sops/error-handling.md"),
    ),
    (
        "git-commits.md",
        include_str!("../templates/sops/git-commits.md"),
    ),
    (
        "project-extensions.md",
        include_str!("../templates/sops/project-extensions.md"),
    ),
    (
        "refactoring.md",
        include_str!("../templates/sops/refactoring.md"),
    ),
    ("testing.md", include_str!("../templates/sops/testing.md")),
];

fn language_sop(l: Language) -> Option<(&'static str, &'static str)> {
    match l {
        Language::Rust => Some((
            "rust-style.md",
            include_str!("../templates/sops/rust-style.md"),
        )),
        Language::Python => Some((
            "python-style.md",
            include_str!("../templates/sops/python-style.md"),
        )),
        Language::Javascript => Some((
            "javascript-style.md",
            include_str!("../templates/sops/javascript-style.md"),
        )),
        Language::Go => Some(("go-style.md", include_str!("../templates/sops/go-style.md"))),
        Language::Unknown => None,
    }
}

/// Fill `{test_cmd}`, `{lint_cmd}` and `{test_dir}` in a template.
fn fill(t: &str, d: &Detection) -> String {
    let or = |s: &str, alt: &str| {
        if s.is_empty() {
            alt.to_string()
        } else {
            s.to_string()
        }
    };
    t.replace("{test_cmd}", &or(&d.test_cmd, "the project's test command"))
        .replace("{lint_cmd}", &or(&d.lint_cmd, "the project's linter"))
        .replace("{test_dir}", &d.test_dir)
}

/// Every file `init` would write for `d`: (repo-relative path, contents).
pub fn scaffold_files(d: &Detection) -> Vec<(String, String)> {
    let mut files = vec![
        (".dgov/.gitignore".to_string(), DGOV_GITIGNORE.to_string()),
        (".dgov/project.toml".to_string(), render_project_toml(d)),
        (".dgov/governor.md".to_string(), fill(GOVERNOR, d)),
    ];
    for (name, text) in GENERAL_SOPS.iter().copied().chain(language_sop(d.language)) {
        files.push((format!(".dgov/sops/{name}"), fill(text, d)));
    }
    files
}

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitReport {
    pub detection: Detection,
    pub created: Vec<String>,
    pub overwritten: Vec<String>,
    pub kept: Vec<String>,
}

/// Scaffold `.dgov/` in `root`. Existing files are kept unless `force` (`.gitignore` is
/// never overwritten: it may carry the user's own rules).
pub fn init_project(
    root: &Path,
    explicit: Option<Language>,
    force: bool,
) -> std::io::Result<InitReport> {
    let detection = detect(root, explicit);
    let mut report = InitReport {
        detection: detection.clone(),
        created: Vec::new(),
        overwritten: Vec::new(),
        kept: Vec::new(),
    };
    for (rel, text) in scaffold_files(&detection) {
        let path = root.join(&rel);
        let exists = path.exists();
        if exists && (!force || rel.ends_with(".gitignore")) {
            report.kept.push(rel);
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, text)?;
        if exists {
            report.overwritten.push(rel)
        } else {
            report.created.push(rel)
        }
    }
    std::fs::create_dir_all(root.join(crate::status::PLANS_DIR))?;
    Ok(report)
}

/// Why `init-plan` refused.
#[derive(Debug, thiserror::Error)]
pub enum InitPlanError {
    #[error("invalid plan name '{0}': use letters, digits, '_' and '-' only")]
    BadName(String),
    #[error("invalid section name '{0}': use letters, digits, '_' and '-' only")]
    BadSection(String),
    #[error("plan already exists at {0}; pass --force to rewrite its scaffold files")]
    Exists(PathBuf),
    #[error("cannot write plan")]
    Io(#[from] std::io::Error),
}

/// Create `.dgov/plans/<name>/` with `_root.toml` and an `_example.toml` per section.
/// Returns the files written.
pub fn init_plan(
    root: &Path,
    name: &str,
    sections: &[String],
    force: bool,
) -> Result<Vec<PathBuf>, InitPlanError> {
    if !valid_slug(name) || name == crate::status::ARCHIVE_DIR {
        return Err(InitPlanError::BadName(name.to_string()));
    }
    let sections: Vec<String> = if sections.is_empty() {
        vec!["tasks".to_string()]
    } else {
        sections.to_vec()
    };
    if let Some(bad) = sections.iter().find(|s| !valid_slug(s)) {
        return Err(InitPlanError::BadSection(bad.clone()));
    }
    let dir = root.join(crate::status::PLANS_DIR).join(name);
    if dir.exists() && !force {
        return Err(InitPlanError::Exists(dir));
    }
    std::fs::create_dir_all(&dir)?;
    let list: Vec<String> = sections.iter().map(|s| q(s)).collect();
    let root_toml = format!(
        "# Plan metadata. Task files live in the section directories listed below;\n# files starting with '_' are ignored.\n[plan]\nname = {}\nsummary = \"\"\nsections = [{}]\n# default_provider = \"my-provider\"\n# default_agent = \"model-name\"\n# default_max_retries = 3\n",
        q(name),
        list.join(", ")
    );
    let mut written = Vec::new();
    std::fs::write(dir.join(crate::tree::ROOT_FILE), root_toml)?;
    written.push(dir.join(crate::tree::ROOT_FILE));
    for s in &sections {
        std::fs::create_dir_all(dir.join(s))?;
        let p = dir.join(s).join("_example.toml");
        std::fs::write(&p, example_tasks(s))?;
        written.push(p);
    }
    Ok(written)
}

fn example_tasks(section: &str) -> String {
    format!(
        r#"# Example tasks for section '{section}'. This file is ignored because its name starts
# with '_': copy it to e.g. main.toml and edit. Unit ids are '{section}/<file-stem>.<slug>'.

[tasks.add-parser]
summary = "Add the config parser"
prompt = """
## Orient
Read src/config.rs and the tests that cover it.

## Edit
Add a parser for the new key; keep the existing API.

## Verify
Run the narrowest test command that covers the parser.
"""
commit_message = "Add config parser"
files.edit = ["src/config.rs"]
files.read = ["docs/config.md"]

[tasks.document-parser]
summary = "Document the config parser"
depends_on = ["add-parser"]      # bare slug: same file; other files: "{section}/<file>.<slug>"
prompt = """
## Orient
Read the parser added by add-parser.

## Edit
Describe the new key in docs/config.md.

## Verify
Check the example in the docs parses.
"""
files.edit = ["docs/config.md"]
"#
    )
}
