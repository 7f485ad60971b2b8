//! `dgov fix "PROMPT" -f FILE…`: a one-task plan under `.dgov/runtime/fix-plans/<name>/`
//! (dgov-worker §5.5). This module picks the name and writes the plan; the CLI compiles and
//! runs it.

use std::path::{Path, PathBuf};

use crate::WorkerError;

pub const FIX_DIR: &str = ".dgov/runtime/fix-plans";

/// `[a-z0-9-]`, at most 50 characters, "fix" when nothing is left.
pub fn slug(prompt: &str) -> String {
    let mut s = String::new();
    for c in prompt.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
        if s.len() >= 50 {
            break;
        }
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "fix".into() } else { s }
}

/// Where the plan goes. An explicit `name` must be new (live or archived); an automatic one
/// refuses a live plan of the same name and skips archived ones with `-2`, `-3`, ….
pub fn plan_dir(
    root: &Path,
    prompt: &str,
    name: Option<&str>,
) -> Result<(String, PathBuf), WorkerError> {
    let base = root.join(FIX_DIR);
    let live = |n: &str| base.join(n).exists();
    let archived = |n: &str| base.join("archive").join(n).exists();
    if let Some(n) = name {
        if n.is_empty()
            || !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(WorkerError::Config(format!(
                "invalid plan name '{n}': use letters, digits, '-' and '_'"
            )));
        }
        if live(n) || archived(n) {
            let at = if live(n) {
                base.join(n)
            } else {
                base.join("archive").join(n)
            };
            return Err(WorkerError::Config(format!(
                "Plan '{n}' already exists at {}; pick another --name or remove it",
                at.display()
            )));
        }
        return Ok((n.to_string(), base.join(n)));
    }
    let n = format!("fix-{}", slug(prompt));
    if live(&n) {
        return Err(WorkerError::Config(format!(
            "an unresolved fix plan already exists at {}; run it with `dgov run {}` or remove it",
            base.join(&n).display(),
            base.join(&n).display()
        )));
    }
    if !archived(&n) {
        return Ok((n.clone(), base.join(&n)));
    }
    for i in 2.. {
        let c = format!("{n}-{i}");
        if !live(&c) && !archived(&c) {
            return Ok((c.clone(), base.join(&c)));
        }
    }
    unreachable!("the suffix search always ends")
}

fn has_marker(prompt: &str, word: &str) -> bool {
    prompt.lines().any(|l| {
        let t = l
            .trim_start()
            .trim_start_matches('#')
            .trim_start_matches("**")
            .trim_start()
            .to_lowercase();
        t.starts_with(word)
    })
}

/// The task prompt: the user's, wrapped in Orient/Edit/Verify unless it has all three.
pub fn wrap_prompt(prompt: &str, files: &[String]) -> String {
    if ["orient", "edit", "verify"]
        .iter()
        .all(|w| has_marker(prompt, w))
    {
        return prompt.to_string();
    }
    let py: Vec<&String> = files.iter().filter(|f| f.ends_with(".py")).collect();
    let verify = if py.is_empty() {
        "Run the narrowest check that proves the fix (a focused test or build of the claimed files).".to_string()
    } else {
        let list: Vec<&str> = py.iter().map(|s| s.as_str()).collect();
        format!(
            "Run `uv run ruff check {0}` and `uv run ruff format --check {0}`.",
            list.join(" ")
        )
    };
    format!(
        "Orient:\nThe requested fix:\n{}\n\nClaimed files: {}. Stay within these files.\n\nEdit:\nApply only the requested fix.\n\nVerify:\n{verify}\nThen review git_diff before calling done.\n",
        prompt.trim(),
        files.join(", ")
    )
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn toml_list(xs: &[String]) -> String {
    let items: Vec<String> = xs.iter().map(|x| toml_str(x)).collect();
    format!("[{}]", items.join(", "))
}

/// Write `_root.toml` and `fix/main.toml` with one `[tasks.apply]`. Files that exist under
/// `root` are `edit` claims, the others `create` claims.
pub fn write_plan(
    root: &Path,
    dir: &Path,
    name: &str,
    prompt: &str,
    files: &[String],
    commit_message: Option<&str>,
) -> Result<(), WorkerError> {
    let io = |e: std::io::Error| {
        WorkerError::Io(format!("writing the fix plan in {}: {e}", dir.display()))
    };
    let (edit, create): (Vec<String>, Vec<String>) =
        files.iter().cloned().partition(|f| root.join(f).exists());
    let summary: String = prompt
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("Apply requested fix")
        .trim()
        .chars()
        .take(100)
        .collect();
    std::fs::create_dir_all(dir.join("fix")).map_err(io)?;
    std::fs::write(
        dir.join("_root.toml"),
        format!(
            "[plan]\nname = {}\nsummary = \"Apply requested fix\"\nsections = [\"fix\"]\n",
            toml_str(name)
        ),
    )
    .map_err(io)?;
    std::fs::write(
        dir.join("fix/main.toml"),
        format!(
            "[tasks.apply]\nsummary = {}\nprompt = {}\ncommit_message = {}\nfiles.create = {}\nfiles.edit = {}\n",
            toml_str(&summary),
            toml_str(&wrap_prompt(prompt, files)),
            toml_str(commit_message.unwrap_or("Apply requested fix")),
            toml_list(&create),
            toml_list(&edit),
        ),
    )
    .map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_is_short_and_safe() {
        assert_eq!(slug("Fix the *parser* crash!"), "fix-the-parser-crash");
        assert_eq!(slug("!!!"), "fix");
        assert!(slug(&"a".repeat(80)).len() <= 50);
    }

    #[test]
    fn automatic_names_skip_archived_and_refuse_live_plans() {
        let t = tempfile::tempdir().unwrap();
        let (n, _) = plan_dir(t.path(), "crash", None).unwrap();
        assert_eq!(n, "fix-crash");
        std::fs::create_dir_all(t.path().join(FIX_DIR).join("archive/fix-crash")).unwrap();
        assert_eq!(plan_dir(t.path(), "crash", None).unwrap().0, "fix-crash-2");
        std::fs::create_dir_all(t.path().join(FIX_DIR).join("fix-crash")).unwrap();
        assert!(
            plan_dir(t.path(), "crash", None)
                .unwrap_err()
                .to_string()
                .contains("unresolved fix plan")
        );
        assert!(
            plan_dir(t.path(), "x", Some("fix-crash"))
                .unwrap_err()
                .to_string()
                .contains("already exists")
        );
    }

    #[test]
    fn prompt_is_wrapped_unless_it_has_all_markers() {
        let w = wrap_prompt("make it faster", &["src/a.py".into()]);
        assert!(w.contains("Orient:") && w.contains("uv run ruff check src/a.py"));
        let own = "# Orient\nx\n**Edit**\ny\nverify: z";
        assert_eq!(wrap_prompt(own, &[]), own);
    }

    #[test]
    fn plan_splits_existing_and_new_files() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("a.txt"), "x").unwrap();
        let dir = t.path().join("plan");
        write_plan(
            t.path(),
            &dir,
            "p",
            "do it",
            &["a.txt".into(), "b.txt".into()],
            None,
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.join("fix/main.toml")).unwrap();
        let v: toml::Table = text.parse().unwrap();
        let task = &v["tasks"]["apply"];
        assert_eq!(
            task["files"]["edit"].as_array().unwrap()[0].as_str(),
            Some("a.txt")
        );
        assert_eq!(
            task["files"]["create"].as_array().unwrap()[0].as_str(),
            Some("b.txt")
        );
    }
}
