//! `.dgov/project.toml`: typed project configuration with every key of the original.
//!
//! A wrong type is an error naming the key path and line; an unknown key is a warning.
//! Tables reserved for other subsystems (`[settlement]`, `[sentrux]`) are accepted without
//! warnings and exposed raw so their owners can type them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use toml::de::DeValue;

use crate::diag::{Diagnostic, has_errors};
use crate::tomlx::{Doc, Reader};

/// Path of the project file relative to the repository root.
pub const PROJECT_FILE: &str = ".dgov/project.toml";

/// Ignore entries every project gets.
pub const BUILTIN_IGNORES: &[&str] = &[".venv", "uv.lock", "__pycache__", "*.pyc"];

/// `[project]`: language, directories, toolchain commands and worker limits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectSection {
    pub language: String,
    pub src_dir: String,
    pub test_dir: String,
    /// Selected provider; empty when none is configured.
    pub provider: String,
    pub default_agent: String,
    pub test_cmd: String,
    pub lint_cmd: String,
    pub format_cmd: String,
    pub lint_fix_cmd: String,
    pub format_check_cmd: String,
    pub type_check_cmd: Option<String>,
    pub test_markers: Vec<String>,
    pub worker_iteration_budget: u64,
    pub worker_iteration_warn_at: u64,
    pub worker_tree_max_lines: u64,
    pub line_length: u64,
    pub source_extensions: Vec<String>,
    pub bootstrap_timeout: u64,
    pub settlement_timeout: u64,
    pub review_hooks: Vec<String>,
    pub setup_cmd: Option<String>,
    pub coverage_cmd: Option<String>,
    pub coverage_threshold: f64,
}

impl Default for ProjectSection {
    /// The original's defaults (a Python project).
    fn default() -> Self {
        Self {
            language: "python".into(),
            src_dir: "src/".into(),
            test_dir: "tests/".into(),
            provider: String::new(),
            default_agent: String::new(),
            test_cmd: "python -m pytest {test_dir} -q --tb=short".into(),
            lint_cmd: "python -m ruff check {file}".into(),
            format_cmd: "python -m ruff format {file}".into(),
            lint_fix_cmd: "python -m ruff check --fix --unsafe-fixes {file}".into(),
            format_check_cmd: "python -m ruff format --check {file}".into(),
            type_check_cmd: None,
            test_markers: Vec::new(),
            worker_iteration_budget: 50,
            worker_iteration_warn_at: 40,
            worker_tree_max_lines: 80,
            line_length: 99,
            source_extensions: vec![".py".into()],
            bootstrap_timeout: 300,
            settlement_timeout: 120,
            review_hooks: Vec::new(),
            setup_cmd: None,
            coverage_cmd: None,
            coverage_threshold: 2.0,
        }
    }
}

/// `[providers.<name>]`: an OpenAI-compatible endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderConfig {
    pub base_url: String,
    /// Name of the environment variable holding the API key (never the key itself).
    pub api_key_env: String,
    pub default_agent: String,
}

/// `[tool_policy]`: what the worker's shell tool may do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ToolPolicy {
    pub restrict_run_bash: bool,
    pub require_wrapped_verify_tools: bool,
    pub require_uv_run: bool,
    pub deny_shell_file_mutations: bool,
    pub deny_shell_commands: Vec<String>,
}

/// `[scope]`: which files changes may touch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeConfig {
    /// Built-ins plus the configured entries, deduplicated.
    pub ignore_files: Vec<String>,
    pub allow_files: Vec<String>,
    pub deny_files: Vec<String>,
}

impl Default for ScopeConfig {
    fn default() -> Self {
        Self {
            ignore_files: BUILTIN_IGNORES.iter().map(|s| s.to_string()).collect(),
            allow_files: Vec::new(),
            deny_files: Vec::new(),
        }
    }
}

/// `[verify.<name>]`: a named verification recipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyRecipe {
    pub command: String,
    pub description: String,
    pub log_name: String,
    pub parser: String,
}

/// The whole of `.dgov/project.toml`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ProjectConfig {
    /// Where it was loaded from; `None` when the file does not exist (all defaults).
    pub path: Option<PathBuf>,
    pub project: ProjectSection,
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Alias → model.
    pub agents: BTreeMap<String, String>,
    /// Arbitrary key → value, rendered into worker prompts as `key: value`.
    pub conventions: BTreeMap<String, String>,
    pub tool_policy: ToolPolicy,
    pub scope: ScopeConfig,
    /// Department name → glob patterns, in file order (the first match owns a path).
    pub departments: Vec<(String, Vec<String>)>,
    pub verify: BTreeMap<String, VerifyRecipe>,
    /// `[sentrux]`, raw (owned by the quality-gate subsystem).
    pub sentrux: Option<toml::Table>,
    /// `[settlement]`, raw (owned by the settlement subsystem).
    pub settlement: Option<toml::Table>,
}

/// Loading failed: the file is unreadable, not TOML, or has errors (all listed).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read {}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render(.diagnostics))]
    Invalid { diagnostics: Vec<Diagnostic> },
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

const TOP_KEYS: &[&str] = &[
    "project",
    "providers",
    "conventions",
    "tool_policy",
    "sentrux",
    "scope",
    "agents",
    "departments",
    "verify",
    "settlement",
];
const PROJECT_KEYS: &[&str] = &[
    "language",
    "src_dir",
    "test_dir",
    "provider",
    "default_agent",
    "test_cmd",
    "lint_cmd",
    "format_cmd",
    "lint_fix_cmd",
    "format_check_cmd",
    "type_check_cmd",
    "test_markers",
    "worker_iteration_budget",
    "worker_iteration_warn_at",
    "worker_tree_max_lines",
    "line_length",
    "source_extensions",
    "bootstrap_timeout",
    "settlement_timeout",
    "review_hooks",
    "setup_cmd",
    "coverage_cmd",
    "coverage_threshold",
];

impl ProjectConfig {
    /// Look up a provider by name.
    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.get(name)
    }

    /// Model for an alias from `[agents]`, or the name itself.
    pub fn resolve_agent_alias<'s>(&'s self, agent: &'s str) -> &'s str {
        self.agents.get(agent).map_or(agent, String::as_str)
    }
}

/// Load `<repo_root>/.dgov/project.toml`. A missing file gives all defaults. Returns the
/// config and its warnings; any error fails the load with every diagnostic.
pub fn load_project_config(
    repo_root: &Path,
) -> Result<(ProjectConfig, Vec<Diagnostic>), ConfigError> {
    let path = repo_root.join(PROJECT_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((ProjectConfig::default(), Vec::new()));
        }
        Err(source) => return Err(ConfigError::Io { path, source }),
    };
    let (mut cfg, diags) = parse_project_config(Path::new(PROJECT_FILE), &text);
    if has_errors(&diags) {
        return Err(ConfigError::Invalid { diagnostics: diags });
    }
    cfg.path = Some(path);
    Ok((cfg, diags))
}

/// Parse project.toml text. `file` is the name used in diagnostics. Never panics; on
/// errors the returned config holds whatever was valid.
pub fn parse_project_config(file: &Path, text: &str) -> (ProjectConfig, Vec<Diagnostic>) {
    let mut cfg = ProjectConfig::default();
    let mut diags = Vec::new();
    let doc = match Doc::parse(file, text) {
        Ok(d) => d,
        Err(d) => return (cfg, vec![d]),
    };
    let root = doc.table();
    let mut top = Reader {
        doc: &doc,
        table: root,
        path: String::new(),
        unit: None,
        diags: &mut diags,
    };
    top.unknown_keys(TOP_KEYS, false);
    let tables: BTreeMap<&str, _> = TOP_KEYS
        .iter()
        .filter_map(|k| Some((*k, top.table(k)?)))
        .collect();

    if let Some(t) = tables.get("project") {
        let mut r = Reader {
            doc: &doc,
            table: t,
            path: "project".into(),
            unit: None,
            diags: &mut diags,
        };
        read_project(&mut r, &mut cfg.project);
    }
    if let Some(t) = tables.get("providers") {
        for (k, v) in t.iter() {
            let name = k.get_ref().to_string();
            let path = format!("providers.{name}");
            let DeValue::Table(pt) = v.get_ref() else {
                let mut r = Reader {
                    doc: &doc,
                    table: t,
                    path: "providers".into(),
                    unit: None,
                    diags: &mut diags,
                };
                r.type_error(&name, "a table", v);
                continue;
            };
            let mut r = Reader {
                doc: &doc,
                table: pt,
                path: path.clone(),
                unit: None,
                diags: &mut diags,
            };
            r.unknown_keys(&["base_url", "api_key_env", "default_agent"], false);
            let required = |r: &mut Reader<'_, '_, '_>, key: &str, what: &str| -> String {
                match r.str(key) {
                    Some(s) if !s.trim().is_empty() => s,
                    Some(_) => {
                        r.error_at(
                            key,
                            format!("`{path}.{key}` must not be empty"),
                            format!("set it to {what}"),
                        );
                        String::new()
                    }
                    None if r.get(key).is_none() => {
                        r.diags.push(
                            Diagnostic::error(format!("`{path}.{key}` is required"))
                                .file(file)
                                .line(Some(doc.line(v.span())))
                                .hint(format!("add `{key} = ...` ({what}) to [{path}]")),
                        );
                        String::new()
                    }
                    None => String::new(),
                }
            };
            let base_url = required(
                &mut r,
                "base_url",
                "the endpoint URL, e.g. https://api.example.com/v1",
            );
            let api_key_env = required(
                &mut r,
                "api_key_env",
                "the name of the environment variable holding the key",
            );
            let default_agent = r.str("default_agent").unwrap_or_default();
            cfg.providers.insert(
                name,
                ProviderConfig {
                    base_url,
                    api_key_env,
                    default_agent,
                },
            );
        }
    }
    if let Some(t) = tables.get("agents") {
        let mut r = Reader {
            doc: &doc,
            table: t,
            path: "agents".into(),
            unit: None,
            diags: &mut diags,
        };
        for (k, _) in t.iter() {
            if let Some(model) = r.str(k.get_ref()) {
                cfg.agents.insert(k.get_ref().to_string(), model);
            }
        }
    }
    if let Some(t) = tables.get("conventions") {
        for (k, v) in t.iter() {
            let rendered = match v.get_ref() {
                DeValue::String(s) => s.to_string(),
                other => toml_value_text(other),
            };
            cfg.conventions.insert(k.get_ref().to_string(), rendered);
        }
    }
    if let Some(t) = tables.get("tool_policy") {
        let mut r = Reader {
            doc: &doc,
            table: t,
            path: "tool_policy".into(),
            unit: None,
            diags: &mut diags,
        };
        r.unknown_keys(
            &[
                "restrict_run_bash",
                "require_wrapped_verify_tools",
                "require_uv_run",
                "deny_shell_file_mutations",
                "deny_shell_commands",
            ],
            false,
        );
        let p = &mut cfg.tool_policy;
        p.restrict_run_bash = r.bool("restrict_run_bash").unwrap_or(false);
        p.require_wrapped_verify_tools = r.bool("require_wrapped_verify_tools").unwrap_or(false);
        p.require_uv_run = r.bool("require_uv_run").unwrap_or(false);
        p.deny_shell_file_mutations = r.bool("deny_shell_file_mutations").unwrap_or(false);
        p.deny_shell_commands = r.str_list("deny_shell_commands").unwrap_or_default();
    }
    if let Some(t) = tables.get("scope") {
        let mut r = Reader {
            doc: &doc,
            table: t,
            path: "scope".into(),
            unit: None,
            diags: &mut diags,
        };
        r.unknown_keys(&["ignore_files", "allow_files", "deny_files"], false);
        let clean = |v: Vec<String>| -> Vec<String> {
            v.into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let ignore = clean(r.str_list("ignore_files").unwrap_or_default());
        for entry in &ignore {
            if let Some(reserved) = shadowed_reserved(entry) {
                r.error_at(
                    "ignore_files",
                    format!("`scope.ignore_files` entry '{entry}' would match '{reserved}'"),
                    "dgov writes that path during settlement; narrow or remove the entry".into(),
                );
            }
            if !cfg.scope.ignore_files.contains(entry) {
                cfg.scope.ignore_files.push(entry.clone());
            }
        }
        cfg.scope.allow_files = clean(r.str_list("allow_files").unwrap_or_default());
        cfg.scope.deny_files = clean(r.str_list("deny_files").unwrap_or_default());
    }
    if let Some(t) = tables.get("departments") {
        let mut r = Reader {
            doc: &doc,
            table: t,
            path: "departments".into(),
            unit: None,
            diags: &mut diags,
        };
        // Config order matters (first match owns a path), and the table map is sorted,
        // so recover file order from spans.
        let mut entries: Vec<_> = t.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        for (k, _) in entries {
            if let Some(globs) = r.str_list(k.get_ref()) {
                for g in &globs {
                    if globset::Glob::new(g).is_err() {
                        r.error_at(
                            k.get_ref(),
                            format!("invalid glob '{g}' in `departments.{}`", k.get_ref()),
                            "fix the pattern".into(),
                        );
                    }
                }
                cfg.departments.push((k.get_ref().to_string(), globs));
            }
        }
    }
    if let Some(t) = tables.get("verify") {
        for (k, v) in t.iter() {
            let name = k.get_ref().to_string();
            let DeValue::Table(vt) = v.get_ref() else {
                let mut r = Reader {
                    doc: &doc,
                    table: t,
                    path: "verify".into(),
                    unit: None,
                    diags: &mut diags,
                };
                r.type_error(&name, "a table", v);
                continue;
            };
            let mut r = Reader {
                doc: &doc,
                table: vt,
                path: format!("verify.{name}"),
                unit: None,
                diags: &mut diags,
            };
            r.unknown_keys(&["command", "description", "log_name", "parser"], true);
            let command = r.str("command").unwrap_or_default();
            if command.trim().is_empty()
                && !matches!(
                    vt.get("command").map(|c| c.get_ref()),
                    Some(
                        DeValue::Integer(_)
                            | DeValue::Boolean(_)
                            | DeValue::Float(_)
                            | DeValue::Array(_)
                            | DeValue::Table(_)
                            | DeValue::Datetime(_)
                    )
                )
            {
                r.diags.push(
                    Diagnostic::error(format!(
                        "`verify.{name}.command` is required and must not be empty"
                    ))
                    .file(file)
                    .line(Some(doc.line(v.span())))
                    .hint("add `command = \"...\"` to the recipe"),
                );
            }
            let log_name = r.str("log_name").unwrap_or_default();
            if log_name.contains('/') || log_name.contains('\\') || log_name == ".." {
                r.error_at(
                    "log_name",
                    format!("`verify.{name}.log_name` must be a file name, not a path"),
                    "drop the directories".into(),
                );
            }
            let recipe = VerifyRecipe {
                command,
                description: r.str("description").unwrap_or_default(),
                log_name: if log_name.is_empty() {
                    format!("{name}.log")
                } else {
                    log_name
                },
                parser: r.str("parser").unwrap_or_default(),
            };
            cfg.verify.insert(name, recipe);
        }
    }
    for (key, slot) in [
        ("sentrux", &mut cfg.sentrux),
        ("settlement", &mut cfg.settlement),
    ] {
        if tables.contains_key(key) {
            // Re-parse through serde for an owned, plain table.
            if let Ok(full) = toml::from_str::<toml::Table>(text)
                && let Some(toml::Value::Table(t)) = full.get(key)
            {
                *slot = Some(t.clone());
            }
        }
    }
    // Provider selection: explicit, else the only one defined.
    let explicit = !cfg.project.provider.is_empty();
    if !explicit && cfg.providers.len() == 1 {
        cfg.project.provider = cfg.providers.keys().next().cloned().unwrap_or_default();
    }
    if explicit && !cfg.providers.contains_key(&cfg.project.provider) {
        let line = tables
            .get("project")
            .and_then(|t| t.get("provider"))
            .map(|v| doc.line(v.span()));
        diags.push(
            Diagnostic::error(format!(
                "`project.provider` names '{}' but there is no [providers.{}]",
                cfg.project.provider, cfg.project.provider
            ))
            .file(file)
            .line(line)
            .hint(format!(
                "define [providers.{}] with base_url and api_key_env, or fix the name",
                cfg.project.provider
            )),
        );
    }
    if cfg.project.default_agent.is_empty()
        && let Some(p) = cfg.providers.get(&cfg.project.provider)
    {
        cfg.project.default_agent = p.default_agent.clone();
    }
    (cfg, diags)
}

fn read_project(r: &mut Reader<'_, '_, '_>, p: &mut ProjectSection) {
    r.unknown_keys(PROJECT_KEYS, false);
    macro_rules! s {
        ($k:ident) => {
            if let Some(v) = r.str(stringify!($k)) {
                p.$k = v;
            }
        };
    }
    macro_rules! u {
        ($k:ident) => {
            if let Some(v) = r.uint(stringify!($k)) {
                p.$k = v;
            }
        };
    }
    macro_rules! l {
        ($k:ident) => {
            if let Some(v) = r.str_list(stringify!($k)) {
                p.$k = v;
            }
        };
    }
    macro_rules! o {
        ($k:ident) => {
            if let Some(v) = r.str(stringify!($k)) {
                p.$k = if v.trim().is_empty() { None } else { Some(v) };
            }
        };
    }
    s!(language);
    s!(src_dir);
    s!(test_dir);
    s!(default_agent);
    s!(test_cmd);
    s!(lint_cmd);
    s!(format_cmd);
    s!(lint_fix_cmd);
    s!(format_check_cmd);
    o!(type_check_cmd);
    l!(test_markers);
    u!(worker_iteration_budget);
    u!(worker_iteration_warn_at);
    u!(worker_tree_max_lines);
    u!(line_length);
    l!(source_extensions);
    u!(bootstrap_timeout);
    u!(settlement_timeout);
    l!(review_hooks);
    o!(setup_cmd);
    o!(coverage_cmd);
    if let Some(v) = r.str("provider") {
        if v.trim().is_empty() {
            r.error_at(
                "provider",
                "`project.provider` must not be empty".into(),
                "name a [providers.<name>] table or remove the key".into(),
            );
        }
        p.provider = v.trim().to_string();
    }
    if let Some(v) = r.float("coverage_threshold") {
        p.coverage_threshold = v;
    }
    if let Some(cmd) = &p.coverage_cmd
        && !cmd.contains("{output}")
    {
        r.error_at(
            "coverage_cmd",
            "`project.coverage_cmd` must contain `{output}`".into(),
            "dgov substitutes the JSON report path there, e.g. `--cov-report=json:{output}`".into(),
        );
    }
}

/// The governor-owned path (settlement writes it) an ignore entry would hide, if any, judged
/// by the scope gate's own rules; a sample file stands for each reserved directory. (`.git/`
/// is left out: no diff ever shows it.)
fn shadowed_reserved(entry: &str) -> Option<String> {
    let reserved = dgov_scope_rules::RESERVED_FILES.iter().chain(
        dgov_scope_rules::RESERVED_DIRS
            .iter()
            .filter(|d| **d != ".git/"),
    );
    reserved.into_iter().find_map(|reserved| {
        let sample = if reserved.ends_with('/') {
            format!("{reserved}coverage.json")
        } else {
            reserved.to_string()
        };
        dgov_scope_rules::ignored(entry, &sample).then_some(sample)
    })
}

fn toml_value_text(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => s.to_string(),
        DeValue::Integer(i) => i.to_string(),
        DeValue::Float(f) => f.as_str().to_string(),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        DeValue::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|x| toml_value_text(x.get_ref()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        DeValue::Table(_) => "{…}".into(),
    }
}
