//! Shared test helpers: materialize a fixture (several files in one string) as a real
//! repository in a temp dir, and compile it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dgov_plan::{CompileError, CompileOptions, Diagnostic};

/// A fixture: lines `//- <path>` start a file. Paths beginning with `.dgov/` or `/` are
/// repo-relative; others are relative to the plan dir `.dgov/plans/<plan>/`.
/// A first line `//! dry-run` compiles with `--dry-run`.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub plan_dir: PathBuf,
    pub dry_run: bool,
}

pub const PLAN: &str = "demo";

pub fn materialize(text: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let plan_dir = dir.path().join(".dgov/plans").join(PLAN);
    std::fs::create_dir_all(&plan_dir).unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let mut dry_run = false;
    let mut current: Option<(PathBuf, String)> = None;
    let flush = |cur: &mut Option<(PathBuf, String)>| {
        if let Some((p, body)) = cur.take() {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
    };
    for line in text.lines() {
        if line.trim() == "//! dry-run" {
            dry_run = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("//- ") {
            flush(&mut current);
            let rest = rest.trim();
            let path = if let Some(r) = rest.strip_prefix('/') {
                dir.path().join(r)
            } else if rest.starts_with(".dgov/") {
                dir.path().join(rest)
            } else {
                plan_dir.join(rest)
            };
            if rest.ends_with('/') {
                std::fs::create_dir_all(&path).unwrap();
                continue;
            }
            current = Some((path, String::new()));
            continue;
        }
        if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&mut current);
    Fixture {
        dir,
        plan_dir,
        dry_run,
    }
}

/// Render diagnostics with the temp dir replaced by `<repo>`.
pub fn render_diags(root: &Path, diags: &[Diagnostic]) -> String {
    let root_s = root.display().to_string();
    diags
        .iter()
        .map(|d| d.to_string().replace(&root_s, "<repo>"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compile a fixture: `Ok(compiled text + warnings)` or `Err(rendered diagnostics)`.
pub fn compile_fixture(text: &str) -> Result<String, String> {
    let fx = materialize(text);
    let opts = CompileOptions {
        dry_run: fx.dry_run,
    };
    match dgov_plan::compile_plan_dir_with(&fx.plan_dir, &opts) {
        Ok((plan, warnings)) => {
            let mut out = dgov_plan::compiled::to_toml(&plan);
            if !warnings.is_empty() {
                out.push_str("\n# ---- warnings ----\n");
                out.push_str(&render_diags(fx.dir.path(), &warnings));
                out.push('\n');
            }
            Ok(out)
        }
        Err(CompileError::Invalid { diagnostics }) => {
            Err(render_diags(fx.dir.path(), &diagnostics))
        }
        Err(e) => Err(format!("I/O: {e}")),
    }
}
