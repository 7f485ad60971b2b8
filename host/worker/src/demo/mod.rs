//! `dgov demo`: a scratch repository with a small plan (two parallel tasks and one that
//! depends on both) and the recorded LLM exchanges that carry it out, shipped in the binary
//! so the demo runs offline through the real runner, worktrees, WASM tools and merges.

use std::path::Path;

use crate::WorkerError;
use crate::cassette::{CassetteFile, cassette_path};

/// The recorded exchanges of the demo plan, by task id.
pub const CASSETTES: &str = include_str!("cassettes.json");
pub const PLAN: &str = "demo";

const GREET: &str = r#"#!/bin/sh
# A tiny greeter: sh src/greet.sh hello NAME
hello() {
  echo "Hello, ${1:-world}!"
}

case "$1" in
  hello) hello "$2" ;;
  *) echo "usage: greet.sh hello NAME" >&2; exit 2 ;;
esac
"#;

/// The demo's test runner: runs the named test scripts, or every `test_*.sh` in the named
/// directories (none is a pass), so the same `test_cmd` serves settlement and `run_tests`.
const RUN_TESTS: &str = r#"#!/bin/sh
status=0
for arg in "$@"; do
  if [ -d "$arg" ]; then
    for f in "$arg"/test_*.sh; do
      [ -f "$f" ] || continue
      echo "== $f"
      sh "$f" || status=1
    done
  else
    echo "== $arg"
    sh "$arg" || status=1
  fi
done
exit $status
"#;

const PROJECT: &str = r#"[project]
language = "shell"
src_dir = "src/"
test_dir = "tests/"
provider = "replay"
test_cmd = "sh tests/run.sh {test_dir}"
worker_iteration_budget = 20
worker_iteration_warn_at = 16

# The demo's provider serves recorded exchanges from .dgov/cassettes/demo (no network).
# Point a real plan at an OpenAI-compatible endpoint instead, e.g.:
# [providers.openai]
# base_url = "https://api.openai.com/v1"
# api_key_env = "OPENAI_API_KEY"
# default_agent = "gpt-4.1-mini"
[providers.replay]
base_url = "replay:.dgov/cassettes/demo"
api_key_env = "DGOV_REPLAY_UNUSED"
default_agent = "replay"
"#;

const ROOT: &str = r#"[plan]
name = "demo"
summary = "Teach the greeter to say goodbye, document it and test it"
sections = ["lib", "docs", "tests"]
"#;

const LIB: &str = r#"[tasks.farewell]
summary = "Add a bye command to the greeter"
prompt = """
## Orient
Read src/greet.sh.
## Edit
Add a farewell NAME function printing "Goodbye, NAME!" and a `bye` command calling it.
## Verify
Run `sh src/greet.sh bye dgov`.
"""
commit_message = "greet: add the bye command"
files.edit = ["src/greet.sh"]
"#;

const DOCS: &str = r#"[tasks.usage]
summary = "Document the greeter's commands"
prompt = """
## Orient
Read README.md.
## Edit
Write docs/USAGE.md showing `hello` and `bye`.
## Verify
Re-read the file.
"""
commit_message = "docs: usage of the greeter"
files.create = ["docs/USAGE.md"]
"#;

const TESTS: &str = r#"[tasks.check]
summary = "Test both greeter commands"
prompt = """
## Orient
Look at src/greet.sh (the bye command has landed).
## Edit
Write tests/test_greet.sh checking hello and bye.
## Verify
run_tests on it.
"""
test_cmd = "sh tests/run.sh {test_dir}"
commit_message = "tests: cover hello and bye"
depends_on = ["lib/main.farewell", "docs/main.usage"]
files.create = ["tests/test_greet.sh"]
files.read = ["src/greet.sh"]
"#;

/// Write the demo project into `dir` (an empty or missing directory): sources, project
/// config, plan and cassettes. The caller initialises git and runs the plan.
pub fn scaffold(dir: &Path) -> Result<(), WorkerError> {
    let w = |rel: &str, text: &str| -> Result<(), WorkerError> {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| WorkerError::Io(format!("creating {}: {e}", parent.display())))?;
        }
        std::fs::write(&p, text)
            .map_err(|e| WorkerError::Io(format!("writing {}: {e}", p.display())))
    };
    w(
        "README.md",
        "# greeter\n\nA tiny shell greeter, used by `dgov demo`.\n",
    )?;
    w("src/greet.sh", GREET)?;
    w("tests/run.sh", RUN_TESTS)?;
    w(
        ".gitignore",
        ".dgov/state.db*\n.dgov/runs/\n.dgov/runtime/\n.dgov/worktrees/\n.dgov/cassettes/\n.dgov/plans/*/_compiled.toml\n",
    )?;
    w(".dgov/project.toml", PROJECT)?;
    w(".dgov/plans/demo/_root.toml", ROOT)?;
    w(".dgov/plans/demo/lib/main.toml", LIB)?;
    w(".dgov/plans/demo/docs/main.toml", DOCS)?;
    w(".dgov/plans/demo/tests/main.toml", TESTS)?;
    let tapes: std::collections::BTreeMap<String, CassetteFile> = serde_json::from_str(CASSETTES)
        .map_err(|e| {
        WorkerError::Config(format!("the embedded demo cassettes are invalid: {e}"))
    })?;
    let tape_dir = dir.join(".dgov/cassettes").join(PLAN);
    std::fs::create_dir_all(&tape_dir)
        .map_err(|e| WorkerError::Io(format!("creating {}: {e}", tape_dir.display())))?;
    for (task, tape) in tapes {
        let text =
            serde_json::to_string_pretty(&tape).map_err(|e| WorkerError::Config(e.to_string()))?;
        let p = cassette_path(&tape_dir, &task);
        std::fs::write(&p, text)
            .map_err(|e| WorkerError::Io(format!("writing {}: {e}", p.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_cassettes_parse_and_cover_every_demo_task() {
        let tapes: std::collections::BTreeMap<String, crate::cassette::CassetteFile> =
            serde_json::from_str(super::CASSETTES).unwrap();
        let names: Vec<&str> = tapes.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["docs/main.usage", "lib/main.farewell", "tests/main.check"]
        );
        for t in tapes.values() {
            for ex in &t.attempts["1"] {
                let _: async_openai::types::chat::CreateChatCompletionResponse =
                    serde_json::from_value(ex.response.clone()).unwrap();
            }
        }
    }
}
