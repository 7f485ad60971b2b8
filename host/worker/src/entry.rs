//! The worker subprocess: read an [`AttemptSpec`], set up the provider and the tools, run
//! the agent loop, and write protocol lines to stdout. Exit codes: 0 `done`, 1 a failure
//! another attempt may fix, 3 a failure retrying cannot fix (configuration, missing API key,
//! a model that will not use tools), 4 the iteration budget ran out (a fork may continue the
//! work left in the worktree).

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::agent::{self, Outcome};
use crate::cassette::{Cassette, Recorder};
use crate::llm::{Backend, Chat, HttpChat};
use crate::protocol::Line;
use crate::spec::AttemptSpec;
use crate::tools::{self, ToolBox};

pub const EXIT_DONE: u8 = 0;
pub const EXIT_RETRYABLE: u8 = 1;
pub const EXIT_FATAL: u8 = 3;
pub const EXIT_EXHAUSTED: u8 = 4;

/// Write one protocol line to stdout and flush (a closed pipe is ignored: the parent is gone).
pub fn print_line(line: &Line) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.to_json().as_bytes());
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// Build the chat backend of an attempt (replay or HTTP, plus the recorder).
pub fn chat_for(spec: &AttemptSpec) -> Result<Chat, String> {
    let backend = if let Some(dir) = spec.provider.replay_dir() {
        Backend::Replay(Cassette::open(
            &spec.root.join(dir),
            &spec.task,
            spec.attempt,
        )?)
    } else {
        let env = &spec.provider.api_key_env;
        let key = std::env::var(env).unwrap_or_default();
        if key.trim().is_empty() {
            return Err(format!(
                "{env} missing for provider '{}': export {env}=<your API key> before `dgov run`",
                spec.provider.name
            ));
        }
        Backend::Http(HttpChat::new(
            &spec.provider.base_url,
            &key,
            Duration::from_secs(spec.request_timeout_s.max(1)),
        )?)
    };
    let recorder = match &spec.record_to {
        Some(dir) => Some(Recorder::new(dir, &spec.task, spec.attempt)?),
        None => None,
    };
    Ok(Chat {
        backend,
        recorder,
        tries: 0,
    })
}

/// Run an attempt, emitting lines through `emit`. Returns the outcome.
pub async fn run_attempt(spec: &AttemptSpec, emit: &mut dyn FnMut(Line)) -> Outcome {
    let fatal = |emit: &mut dyn FnMut(Line), msg: String| {
        emit(Line::event("error", json!(msg)));
        Outcome::Failed {
            error: msg,
            retryable: false,
        }
    };
    if spec.model.trim().is_empty() && spec.provider.replay_dir().is_none() {
        return fatal(
            emit,
            format!(
                "no model for task '{}': set `agent` in the task, `default_agent` in [providers.{}] or [project] of .dgov/project.toml",
                spec.task, spec.provider.name
            ),
        );
    }
    let mut chat = match chat_for(spec) {
        Ok(c) => c,
        Err(m) => return fatal(emit, m),
    };
    let rt = match tools::runtime() {
        Ok(r) => r,
        Err(e) => return fatal(emit, e.to_string()),
    };
    let plugin = match tools::load_plugin(rt) {
        Ok(p) => p,
        Err(e) => return fatal(emit, e.to_string()),
    };
    let mut toolbox = match ToolBox::open(&plugin, spec).await {
        Ok(t) => t,
        Err(e) => return fatal(emit, e.to_string()),
    };
    let map = crate::prompt::repo_map(
        &spec.worktree,
        &spec.src_dir,
        &spec.test_dir,
        spec.tree_max_lines,
    );
    let system = crate::prompt::system_prompt(spec, &map);
    let (outcome, _usage) = agent::run(spec, system, &mut chat, &mut toolbox, emit).await;
    outcome
}

/// `dgov worker --spec FILE`: the subprocess entry point. Returns the exit code.
pub fn main_with_spec(path: &Path) -> u8 {
    let spec = match AttemptSpec::read(path) {
        Ok(s) => s,
        Err(e) => {
            print_line(&Line::event(
                "error",
                json!(format!("Task scope error: {e}")),
            ));
            return EXIT_FATAL;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            print_line(&Line::event(
                "error",
                json!(format!("starting the async runtime: {e}")),
            ));
            return EXIT_RETRYABLE;
        }
    };
    let outcome = rt.block_on(run_attempt(&spec, &mut |l| print_line(&l)));
    match outcome {
        Outcome::Done { .. } => EXIT_DONE,
        Outcome::Failed {
            retryable: true, ..
        } => EXIT_RETRYABLE,
        Outcome::Failed {
            retryable: false, ..
        } => EXIT_FATAL,
        Outcome::Exhausted { .. } => EXIT_EXHAUSTED,
    }
}
