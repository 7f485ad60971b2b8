//! Templates for `dgov plugin new`: a crate per plugin kind that builds for wasm32-wasip2 and
//! passes its own tests (a native unit test of the logic and a harness test of the built
//! component in the real sandbox).

use std::path::Path;

use dgov_plugin_host::PluginKind;

/// (relative path, content) of every file of the scaffold.
pub fn files(name: &str, kind: PluginKind, sdk: Option<&Path>) -> Vec<(String, String)> {
    let (sdk_dep, harness_dep) = match sdk {
        Some(dir) => (
            format!(
                "dgov-sdk = {{ path = {:?} }}",
                dir.join("guest").display().to_string()
            ),
            format!(
                "dgov-plugin-test = {{ path = {:?} }}",
                dir.join("harness").display().to_string()
            ),
        ),
        None => (
            "dgov-sdk = \"0.1\"".to_owned(),
            "dgov-plugin-test = \"0.1\"".to_owned(),
        ),
    };
    let ident = name.replace('-', "_");
    let cargo = format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
# cdylib: the WASM component; rlib: so `cargo test` can unit-test the logic natively.
crate-type = ["cdylib", "rlib"]

[dependencies]
{sdk_dep}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"

[dev-dependencies]
# Builds this crate for wasm32-wasip2 and runs it in dgov's real sandbox.
{harness_dep}
serde_json = "1"

# The test harness embeds wasmtime: keep its debug build small and its compiler fast.
[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false

[profile.dev.package.cranelift-codegen]
opt-level = 2

[profile.dev.package.regalloc2]
opt-level = 2

# `dgov-plugin-test` builds the plugin with this profile when it exists.
[profile.plugin]
inherits = "release"
opt-level = "s"
lto = true
codegen-units = 1
strip = "debuginfo"
panic = "abort"

[workspace]
"#
    );
    let (lib, test) = match kind {
        PluginKind::Gate => (gate_lib(name), gate_test(&ident)),
        PluginKind::Tool => (tool_lib(name), tool_test(&ident)),
        PluginKind::Analyzer => (analyzer_lib(name), analyzer_test(&ident)),
    };
    let readme = format!(
        r#"# {name}

A dgov {kind} plugin.

```sh
cargo test                                   # unit tests + the built component in dgov's sandbox
cargo build --target wasm32-wasip2 --release # the plugin: target/wasm32-wasip2/release/{ident}.wasm
dgov plugin check target/wasm32-wasip2/release/{ident}.wasm
```

Enable it in a repository by copying the `.wasm` into `.dgov/plugins/` (or listing its path
under `[plugins] paths` in `.dgov/project.toml`); see dgov's `sdk/README.md`.
"#,
        kind = kind.name()
    );
    vec![
        ("Cargo.toml".to_owned(), cargo),
        ("src/lib.rs".to_owned(), lib),
        ("tests/component.rs".to_owned(), test),
        ("README.md".to_owned(), readme),
        (".gitignore".to_owned(), "/target\n".to_owned()),
    ]
}

fn gate_lib(name: &str) -> String {
    format!(
        r#"//! {name}: rejects added lines longer than `max_length` characters (default 120).

use dgov_sdk::gate::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(default)]
pub struct Config {{
    pub max_length: usize,
}}

impl Default for Config {{
    fn default() -> Self {{
        Config {{ max_length: 120 }}
    }}
}}

/// The rule itself, kept free of host calls so it can be unit-tested natively.
pub fn too_long(text: &str, config: &Config) -> bool {{
    text.chars().count() > config.max_length
}}

struct Plugin;

impl Gate for Plugin {{
    fn describe() -> GateSpec {{
        GateSpec::new("{name}", "rejects added lines longer than max_length", &[Phase::Isolated, Phase::Preflight])
    }}

    fn check(ctx: GateContext) -> Result<GateReport, PluginError> {{
        let config: Config = config(&ctx)?;
        let mut findings = Vec::new();
        for line in added_lines(&ctx)? {{
            if too_long(&line.text, &config) {{
                let msg = format!("line is longer than {{}} characters", config.max_length);
                findings.push(Finding::error("line-too-long", &msg).at(&line.path, line.number));
            }}
        }}
        Ok(GateReport::from_findings(findings))
    }}
}}

dgov_sdk::export_gate!(Plugin);

#[cfg(test)]
mod tests {{
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {{
        let config = Config {{ max_length: 3 }};
        assert!(!too_long("äöü", &config));
        assert!(too_long("abcd", &config));
    }}
}}
"#
    )
}

fn gate_test(_ident: &str) -> String {
    r#"//! The built component, in dgov's sandbox, against fixture changes.

use dgov_plugin_test::{GateCase, Harness, Verdict};

#[test]
fn rejects_a_long_added_line_and_passes_short_ones() {
    let harness = Harness::new();
    let gate = harness.load_crate(env!("CARGO_MANIFEST_DIR"));

    let long = GateCase::new()
        .added_file("src/a.txt", "short\n")
        .added_file("src/b.txt", &format!("{}\n", "x".repeat(200)))
        .run(&gate);
    assert_eq!(long.verdict, Verdict::Fail);
    assert_eq!(long.findings.len(), 1);
    assert_eq!(long.findings[0].locations[0].path, "src/b.txt");

    let short = GateCase::new().added_file("src/a.txt", "short\n").run(&gate);
    assert_eq!(short.verdict, Verdict::Pass);

    let configured = GateCase::new()
        .added_file("src/a.txt", "a bit longer\n")
        .config(serde_json::json!({ "max_length": 5 }))
        .run(&gate);
    assert_eq!(configured.verdict, Verdict::Fail);
}
"#
    .to_owned()
}

fn tool_lib(name: &str) -> String {
    format!(
        r#"//! {name}: a worker tool that counts the lines and words of a file.

use dgov_sdk::tool::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Args {{
    path: String,
}}

/// The counting itself, unit-testable natively.
pub fn count(text: &str) -> (usize, usize) {{
    (text.lines().count(), text.split_whitespace().count())
}}

struct Plugin;

impl Tools for Plugin {{
    fn list_tools() -> Vec<ToolSpec> {{
        let schema = serde_json::json!({{
            "type": "object",
            "properties": {{ "path": {{ "type": "string", "description": "file to count" }} }},
            "required": ["path"]
        }});
        vec![ToolSpec::new("count_words", "Count the lines and words of a file", schema, false)]
    }}

    fn call(name: String, args_json: String) -> Result<String, PluginError> {{
        match name.as_str() {{
            "count_words" => {{
                let a: Args = args(&name, &args_json)?;
                let text = host::read_to_string(&a.path)?;
                let (lines, words) = count(&text);
                Ok(format!("{{lines}} lines, {{words}} words"))
            }}
            other => Err(PluginError::InvalidInput(format!("unknown tool `{{other}}`"))),
        }}
    }}
}}

dgov_sdk::export_tools!(Plugin);

#[cfg(test)]
mod tests {{
    #[test]
    fn counts() {{
        assert_eq!(super::count("a b\nc\n"), (2, 3));
    }}
}}
"#
    )
}

fn tool_test(_ident: &str) -> String {
    r#"//! The built component, in dgov's sandbox.

use dgov_plugin_test::{Harness, call_tool};

#[test]
fn counts_a_file_in_the_granted_root_and_refuses_escapes() {
    let harness = Harness::new();
    let tool = harness.load_crate(env!("CARGO_MANIFEST_DIR"));
    let root = tempfile_root();
    std::fs::write(root.join("notes.txt"), "one two\nthree\n").unwrap();
    let out = call_tool(&tool, &root, "count_words", serde_json::json!({ "path": "notes.txt" }));
    assert_eq!(out.unwrap(), "2 lines, 3 words");
    let escape = call_tool(&tool, &root, "count_words", serde_json::json!({ "path": "../../etc/passwd" }));
    assert!(escape.is_err());
}

fn tempfile_root() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("plugin-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
"#
    .to_owned()
}

fn analyzer_lib(name: &str) -> String {
    format!(
        r#"//! {name}: reports files longer than `max_lines` (default 500).

use dgov_sdk::analyzer::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(default)]
struct Config {{
    max_lines: usize,
}}

impl Default for Config {{
    fn default() -> Self {{
        Config {{ max_lines: 500 }}
    }}
}}

/// Line count of a file's text, unit-testable natively.
pub fn lines(text: &str) -> usize {{
    text.lines().count()
}}

struct Plugin;

impl Analyzer for Plugin {{
    fn describe() -> AnalyzerSpec {{
        AnalyzerSpec::new("{name}", "reports files longer than max_lines", &["any"])
    }}

    fn analyze(files: Vec<String>, config_json: String) -> Result<Analysis, PluginError> {{
        let config: Config = serde_json::from_str(if config_json.is_empty() {{ "{{}}" }} else {{ &config_json }})
            .map_err(|e| PluginError::InvalidInput(e.to_string()))?;
        let mut findings = Vec::new();
        let mut sizes = serde_json::Map::new();
        for file in &files {{
            let Ok(text) = host::read_to_string(file) else {{ continue }};
            let n = lines(&text);
            sizes.insert(file.clone(), n.into());
            if n > config.max_lines {{
                findings.push(Finding::warning("long-file", &format!("{{n}} lines")).in_file(file));
            }}
        }}
        Ok(Analysis {{ report_json: serde_json::Value::Object(sizes).to_string(), findings }})
    }}
}}

dgov_sdk::export_analyzer!(Plugin);

#[cfg(test)]
mod tests {{
    #[test]
    fn counts_lines() {{
        assert_eq!(super::lines("a\nb\n"), 2);
    }}
}}
"#
    )
}

fn analyzer_test(_ident: &str) -> String {
    r#"//! The built component, in dgov's sandbox.

use dgov_plugin_test::{Harness, analyze};

#[test]
fn flags_long_files() {
    let harness = Harness::new();
    let analyzer = harness.load_crate(env!("CARGO_MANIFEST_DIR"));
    let root = std::env::temp_dir().join(format!("analyzer-test-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("short.rs"), "fn a() {}\n").unwrap();
    std::fs::write(root.join("long.rs"), "//\n".repeat(10)).unwrap();
    let out = analyze(&analyzer, &root, &["short.rs", "long.rs"], serde_json::json!({ "max_lines": 5 })).unwrap();
    assert_eq!(out.findings.len(), 1);
    assert_eq!(out.findings[0].locations[0].path, "long.rs");
}
"#
    .to_owned()
}
