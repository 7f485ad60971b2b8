//! `dgov plugin list | check | new`: what plugins a repository has, what a plugin file
//! asks for, and a scaffold for writing a new one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use dgov_plugin_host::registry::{self, PluginsConfig, Source};
use dgov_plugin_host::{
    Capability, Invocation, Plugin, PluginKind, PluginOrigin, Runtime, RuntimeConfig, meta,
};
use serde_json::json;

use crate::Globals;
use crate::exit;

#[derive(Debug, Args)]
pub struct PluginArgs {
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// List built-in and repository plugins with kind, version, contract version, source and
    /// the capabilities they request and are granted.
    List,
    /// Validate a plugin file against the WIT contract: read its metadata, compile and link
    /// it, ask it to describe itself, and print the capabilities it requests and what this
    /// repository would grant. Exits 2 if it is not a loadable dgov plugin.
    Check {
        /// The component to check (a `.wasm` built for wasm32-wasip2).
        file: PathBuf,
    },
    /// Scaffold a plugin crate (Cargo.toml, src/lib.rs, a test, a README) that builds and
    /// passes its own test.
    New(NewArgs),
}

#[derive(Debug, Args)]
struct NewArgs {
    /// Crate name (letters, digits, `-`, `_`); also the plugin's name.
    name: String,
    /// What kind of plugin to scaffold.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// Directory to create (default: ./NAME).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Path to dgov's `sdk/` directory (default: the one this dgov was built from, if it
    /// still exists; otherwise the crates.io versions are used).
    #[arg(long, value_name = "PATH")]
    sdk: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    Gate,
    Tool,
    Analyzer,
}

pub fn run(args: PluginArgs, globals: &Globals) -> anyhow::Result<u8> {
    match args.command {
        PluginCommand::List => list(globals),
        PluginCommand::Check { file } => check(&file, globals),
        PluginCommand::New(a) => new(a, globals),
    }
}

fn builtins() -> Vec<(&'static str, &'static [u8])> {
    dgov_builtin_plugins::BUILTIN
        .iter()
        .map(|b| (b.name, b.bytes))
        .collect()
}

fn caps(set: &BTreeSet<Capability>) -> Vec<&'static str> {
    set.iter().map(|c| c.name()).collect()
}

fn list(globals: &Globals) -> anyhow::Result<u8> {
    let config = registry::load_config(&globals.repo)?;
    let mut rows = Vec::new();
    let mut broken = 0;
    for source in registry::discover(&globals.repo, &builtins(), &config) {
        let (label, bytes) = match &source {
            Source::BuiltIn { name, bytes } => ((*name).to_owned(), bytes.to_vec()),
            Source::File(path) => match std::fs::read(path) {
                Ok(b) => (path.display().to_string(), b),
                Err(e) => {
                    broken += 1;
                    rows.push(
                        json!({ "source": path.display().to_string(), "error": e.to_string() }),
                    );
                    continue;
                }
            },
        };
        let stem = match &source {
            Source::BuiltIn { name, .. } => (*name).to_owned(),
            Source::File(p) => p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("plugin")
                .to_owned(),
        };
        match meta::inspect(&bytes, &stem) {
            Ok(m) => {
                let origin = source.origin();
                let (grant, _) = registry::grant_for(&m, &origin, &config, Default::default());
                let granted = grant.intersect(&m.capabilities);
                rows.push(json!({
                    "name": m.name,
                    "kind": m.kind,
                    "version": m.version,
                    "wit_version": m.wit_version.to_string(),
                    "source": match &origin { PluginOrigin::BuiltIn => "built-in".to_owned(), PluginOrigin::File(_) => label },
                    "requested": caps(&m.capabilities),
                    "granted": caps(&granted.capabilities),
                }));
            }
            Err(e) => {
                broken += 1;
                rows.push(json!({ "source": label, "error": e.to_string() }));
            }
        }
    }
    if globals.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "plugins": rows }))?
        );
    } else {
        println!(
            "{:<20} {:<9} {:<9} {:<6} {:<30} GRANTED / REQUESTED",
            "NAME", "KIND", "VERSION", "WIT", "SOURCE"
        );
        for row in &rows {
            if let Some(err) = row.get("error") {
                println!(
                    "{:<20} error: {}",
                    row["source"].as_str().unwrap_or("?"),
                    err.as_str().unwrap_or("?")
                );
                continue;
            }
            let list = |k: &str| {
                row[k]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default()
            };
            println!(
                "{:<20} {:<9} {:<9} {:<6} {:<30} {} / {}",
                row["name"].as_str().unwrap_or("?"),
                row["kind"].as_str().unwrap_or("?"),
                row["version"].as_str().unwrap_or("?"),
                row["wit_version"].as_str().unwrap_or("?"),
                row["source"].as_str().unwrap_or("?"),
                list("granted"),
                list("requested"),
            );
        }
    }
    Ok(if broken > 0 {
        exit::FAILURE
    } else {
        exit::SUCCESS
    })
}

fn describe(plugin: &Plugin, root: &Path) -> anyhow::Result<serde_json::Value> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let inv = Invocation::read_only(root);
    rt.block_on(async {
        Ok(match plugin.meta().kind {
            PluginKind::Gate => {
                let spec = plugin.describe_gate(&inv).await?.value;
                json!({ "name": spec.name, "description": spec.description, "phases": spec.phases.iter().map(|p| phase_name(*p)).collect::<Vec<_>>() })
            }
            PluginKind::Analyzer => {
                let spec = plugin.describe_analyzer(&inv).await?.value;
                json!({ "name": spec.name, "description": spec.description, "languages": spec.languages })
            }
            PluginKind::Tool => {
                let tools = plugin.list_tools(&inv).await?.value;
                json!({ "tools": tools.iter().map(|t| json!({"name": t.name, "description": t.description, "writes": t.writes})).collect::<Vec<_>>() })
            }
        })
    })
}

fn check(file: &Path, globals: &Globals) -> anyhow::Result<u8> {
    let runtime = Runtime::new(RuntimeConfig::default()).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let plugin = runtime
        .load_file(file)
        .map_err(|e| exit::with_code(exit::USAGE, anyhow::Error::new(e)))?;
    let description = describe(&plugin, &globals.repo).map_err(|e| {
        exit::with_code(
            exit::USAGE,
            e.context(format!("{}: describe failed", file.display())),
        )
    })?;
    let config = registry::load_config(&globals.repo).unwrap_or_else(|_| PluginsConfig::default());
    let m = plugin.meta();
    let (grant, limits) = registry::grant_for(m, plugin.origin(), &config, runtime.limits());
    let granted = grant.intersect(&m.capabilities);
    let denied: BTreeSet<Capability> = m
        .capabilities
        .difference(&granted.capabilities)
        .copied()
        .collect();
    let doc = json!({
        "file": file.display().to_string(),
        "name": m.name,
        "kind": m.kind,
        "version": m.version,
        "wit_version": m.wit_version.to_string(),
        "host_wit_version": meta::WIT_VERSION.to_string(),
        "hash": plugin.hash(),
        "requested": caps(&m.capabilities),
        "granted": caps(&granted.capabilities),
        "not_granted": caps(&denied),
        "exec_allow": granted.exec.allow,
        "deadline_ms": limits.deadline.as_millis() as u64,
        "memory_bytes": limits.memory_bytes,
        "imports": m.imports,
        "describe": description,
    });
    if globals.json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!("{}: ok — a dgov {} plugin", file.display(), m.kind);
        println!("  name        {} {}", m.name, m.version);
        println!(
            "  contract    dgov:plugin@{} (this dgov: {})",
            m.wit_version,
            meta::WIT_VERSION
        );
        println!("  requests    {}", caps(&m.capabilities).join(", "));
        println!("  granted     {}", caps(&granted.capabilities).join(", "));
        if !denied.is_empty() {
            println!(
                "  not granted {} (grant in .dgov/project.toml [plugins.grants.{}])",
                caps(&denied).join(", "),
                m.name
            );
        }
        println!("  describe    {description}");
    }
    Ok(exit::SUCCESS)
}

fn new(args: NewArgs, globals: &Globals) -> anyhow::Result<u8> {
    if !meta::is_plain_name(&args.name) {
        bail!(exit::with_code(
            exit::USAGE,
            anyhow::anyhow!(
                "plugin name `{}` must be 1-64 characters of letters, digits, `-` and `_`",
                args.name
            )
        ));
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| globals.repo.join(&args.name));
    if dir.join("Cargo.toml").exists() {
        return Err(exit::with_code(
            exit::USAGE,
            anyhow::anyhow!(
                "{} already contains a Cargo.toml; choose another --dir",
                dir.display()
            ),
        ));
    }
    let sdk = args.sdk.clone().or_else(|| {
        let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk");
        built_from
            .join("guest/Cargo.toml")
            .exists()
            .then(|| built_from.canonicalize().ok())
            .flatten()
    });
    let files = crate::scaffold::files(&args.name, kind_of(args.kind), sdk.as_deref());
    for (rel, content) in &files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("scaffold paths have parents"))
            .with_context(|| format!("creating {}", path.display()))?;
        std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
    }
    if globals.json {
        println!(
            "{}",
            json!({ "created": dir.display().to_string(), "files": files.iter().map(|(p, _)| p).collect::<Vec<_>>() })
        );
    } else {
        println!(
            "created {} plugin `{}` in {}",
            kind_of(args.kind),
            args.name,
            dir.display()
        );
        println!(
            "  cargo test                                       # unit test + the built component in the sandbox"
        );
        println!(
            "  cargo build --target wasm32-wasip2 --release     # the plugin: target/wasm32-wasip2/release/{}.wasm",
            args.name.replace('-', "_")
        );
        if sdk.is_none() {
            println!(
                "  note: no local dgov sdk/ found; the crate depends on dgov-sdk from crates.io (or pass --sdk PATH)"
            );
        }
    }
    Ok(exit::SUCCESS)
}

fn kind_of(k: KindArg) -> PluginKind {
    match k {
        KindArg::Gate => PluginKind::Gate,
        KindArg::Tool => PluginKind::Tool,
        KindArg::Analyzer => PluginKind::Analyzer,
    }
}

/// The WIT name of a phase (`structural-review`, ...).
pub fn phase_name(phase: dgov_plugin_host::bindings::Phase) -> &'static str {
    use dgov_plugin_host::bindings::Phase;
    match phase {
        Phase::StructuralReview => "structural-review",
        Phase::Prepare => "prepare",
        Phase::Isolated => "isolated",
        Phase::Candidate => "candidate",
        Phase::PostRun => "post-run",
        Phase::Preflight => "preflight",
    }
}
