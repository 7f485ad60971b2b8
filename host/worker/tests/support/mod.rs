//! Test support: a scripted OpenAI-compatible HTTP server (hand-written on tokio, 127.0.0.1,
//! random port) with fault modes, and helpers that build real git repositories and plans.

#![allow(dead_code)]

pub mod spec;
pub mod toolbox;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One model turn of a script.
#[derive(Debug, Clone)]
pub enum Step {
    /// Tool calls `(name, args)`.
    Calls(Vec<(String, Value)>),
    /// A text-only answer.
    Text(String),
}

pub fn call(name: &str, args: Value) -> Step {
    Step::Calls(vec![(name.to_string(), args)])
}

/// Faults the server injects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    None,
    /// The first `n` requests get HTTP 429 with `Retry-After: 0.05`.
    RateLimit(u64),
    /// The first request gets HTTP 500.
    ServerError,
    /// The first request's connection is closed without an answer.
    Reset,
    /// The first request gets a 200 with a body that is not a chat completion.
    Malformed,
    /// The first request is answered after this delay (longer than the client timeout).
    Slow(Duration),
    /// Each conversation first gets a text-only answer (the worker must nudge and go on).
    TextOnly,
}

#[derive(Default)]
pub struct Stats {
    pub requests: u64,
    pub faults: u64,
    pub authorization: Vec<String>,
    /// Per answered request: the task marker, the tool names offered, the system prompt and
    /// the first user message.
    pub seen: Vec<Seen>,
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub task: String,
    pub tools: Vec<String>,
    pub system: String,
    pub user: String,
}

pub struct Server {
    pub url: String,
    pub stats: Arc<Mutex<Stats>>,
}

/// Start a server playing `scripts` (by task marker `[[task:NAME]]` in the user message).
/// The step is chosen from the conversation itself (number of assistant tool-call turns so
/// far), so concurrent conversations and retried requests are handled statelessly.
pub async fn serve(scripts: HashMap<String, Vec<Step>>, fault: Fault) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let stats = Arc::new(Mutex::new(Stats::default()));
    let scripts = Arc::new(scripts);
    let st = stats.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let scripts = scripts.clone();
            let st = st.clone();
            tokio::spawn(async move {
                let _ = handle(sock, &scripts, fault, &st).await;
            });
        }
    });
    Server { url, stats }
}

async fn read_request(sock: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 65536];
    let header_end = loop {
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[header_end..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&tmp[..n]);
    }
    Ok((head, body))
}

async fn respond(
    sock: &mut TcpStream,
    status: &str,
    extra: &str,
    body: &str,
) -> std::io::Result<()> {
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    );
    sock.write_all(resp.as_bytes()).await?;
    sock.shutdown().await
}

async fn handle(
    mut sock: TcpStream,
    scripts: &HashMap<String, Vec<Step>>,
    fault: Fault,
    stats: &Mutex<Stats>,
) -> std::io::Result<()> {
    let (head, body) = read_request(&mut sock).await?;
    let n = {
        let mut s = stats.lock().unwrap();
        s.requests += 1;
        if let Some(a) = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
        {
            s.authorization.push(a.to_string());
        }
        s.requests
    };
    let count_fault = || stats.lock().unwrap().faults += 1;
    match fault {
        Fault::RateLimit(k) if n <= k => {
            count_fault();
            return respond(&mut sock, "429 Too Many Requests", "Retry-After: 0.05\r\n",
                r#"{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":null}}"#).await;
        }
        Fault::ServerError if n == 1 => {
            count_fault();
            return respond(
                &mut sock,
                "500 Internal Server Error",
                "",
                "upstream exploded",
            )
            .await;
        }
        Fault::Reset if n == 1 => {
            count_fault();
            drop(sock);
            return Ok(());
        }
        Fault::Malformed if n == 1 => {
            count_fault();
            return respond(&mut sock, "200 OK", "", r#"{"id": "x", "choices": [ {"#).await;
        }
        Fault::Slow(d) if n == 1 => {
            count_fault();
            tokio::time::sleep(d).await;
        }
        _ => {}
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let messages = req["messages"].as_array().cloned().unwrap_or_default();
    let user = messages
        .iter()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    let task = user
        .split("[[task:")
        .nth(1)
        .and_then(|r| r.split("]]").next())
        .unwrap_or("")
        .to_string();
    let turn = messages
        .iter()
        .filter(|m| m["role"] == "assistant" && m.get("tool_calls").is_some_and(|t| !t.is_null()))
        .count();
    let had_text = messages
        .iter()
        .any(|m| m["role"] == "assistant" && m.get("tool_calls").is_none_or(|t| t.is_null()));
    let forced_done = req["tool_choice"]["function"]["name"] == "done";
    stats.lock().unwrap().seen.push(Seen {
        task: task.clone(),
        tools: req["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["function"]["name"].as_str().map(str::to_string))
            .collect(),
        system: messages
            .iter()
            .find(|m| m["role"] == "system")
            .and_then(|m| m["content"].as_str())
            .unwrap_or("")
            .to_string(),
        user: user.to_string(),
    });
    let step = if fault == Fault::TextOnly && !had_text {
        count_fault();
        Step::Text("I think the task is easy.".into())
    } else if forced_done {
        call("done", json!({"summary": "forced"}))
    } else {
        scripts
            .get(&task)
            .and_then(|s| s.get(turn).cloned())
            .unwrap_or_else(|| call("done", json!({"summary": format!("{task} finished")})))
    };
    let message = match step {
        Step::Text(t) => json!({"role": "assistant", "content": t}),
        Step::Calls(calls) => json!({
            "role": "assistant",
            "content": null,
            "tool_calls": calls.iter().enumerate().map(|(i, (name, args))| json!({
                "id": format!("call_{turn}_{i}"),
                "type": "function",
                "function": {"name": name, "arguments": args.to_string()},
            })).collect::<Vec<_>>(),
        }),
    };
    let finish = if message.get("tool_calls").is_some() {
        "tool_calls"
    } else {
        "stop"
    };
    let resp = json!({
        "id": format!("chatcmpl-{n}"),
        "object": "chat.completion",
        "created": 1_700_000_000u32,
        "model": req["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    });
    respond(&mut sock, "200 OK", "", &resp.to_string()).await
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository with one commit, `.dgov/` ignored, and a project.toml pointing at `base_url`.
pub fn repo(base_url: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["config", "user.email", "t@example.com"]);
    git(d, &["config", "user.name", "t"]);
    std::fs::write(d.join(".gitignore"), ".dgov/\n").unwrap();
    std::fs::write(d.join("README.md"), "# demo\n").unwrap();
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::write(d.join("src/base.txt"), "base\n").unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "initial"]);
    write_project(d, base_url);
    t
}

pub fn write_project(d: &Path, base_url: &str) {
    std::fs::create_dir_all(d.join(".dgov")).unwrap();
    std::fs::write(
        d.join(".dgov/project.toml"),
        format!(
            "[project]\nprovider = \"scripted\"\nlanguage = \"text\"\ntest_cmd = \"cat {{test_dir}}\"\nworker_iteration_budget = 12\n\n[providers.scripted]\nbase_url = \"{base_url}\"\napi_key_env = \"DGOV_TEST_API_KEY\"\ndefault_agent = \"scripted-model\"\n"
        ),
    )
    .unwrap();
}

/// A task of a test plan: `(slug, depends_on, creates, edits)`.
pub type TaskDef<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);

/// Write a plan tree `.dgov/plans/<name>` with `tasks`.
pub fn write_plan(d: &Path, name: &str, tasks: &[TaskDef]) -> PathBuf {
    let dir = d.join(".dgov/plans").join(name);
    std::fs::create_dir_all(dir.join("work")).unwrap();
    std::fs::write(
        dir.join("_root.toml"),
        format!("[plan]\nname = \"{name}\"\nsections = [\"work\"]\n"),
    )
    .unwrap();
    let mut text = String::new();
    for (slug, deps, creates, edits) in tasks {
        let q = |xs: &[&str]| {
            xs.iter()
                .map(|x| format!("{x:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        text.push_str(&format!(
            "[tasks.{slug}]\nsummary = \"task {slug}\"\nprompt = \"[[task:{slug}]]\\nOrient: look.\\nEdit: change.\\nVerify: check.\"\ndepends_on = [{}]\nfiles.create = [{}]\nfiles.edit = [{}]\n\n",
            q(deps), q(creates), q(edits)
        ));
    }
    std::fs::write(dir.join("work/tasks.toml"), text).unwrap();
    dir
}

/// Compile a plan directory (dry run: no provider check; the worker resolves providers).
pub fn compile(dir: &Path) -> dgov_plan::CompiledPlan {
    dgov_plan::compile_plan_dir_with(dir, &dgov_plan::CompileOptions { dry_run: true })
        .map_err(|e| format!("{e}"))
        .unwrap()
        .0
}

/// The runner's plan (as `dgov run` converts it).
pub fn run_plan(plan: &dgov_plan::CompiledPlan, dir: &Path) -> dgov_runner::RunPlan {
    dgov_runner::RunPlan {
        name: plan.name.clone(),
        dir: Some(dir.to_path_buf()),
        tasks: plan
            .tasks
            .iter()
            .map(|t| dgov_runner::RunTask {
                id: t.id.clone(),
                depends_on: t.depends_on.clone(),
                prompt: t.prompt.clone(),
                files: t.files.writes().cloned().collect(),
                read: Vec::new(),
                test_cmd: None,
                commit_message: t.effective_commit_message(),
                timeout: Some(Duration::from_secs(120)),
                retries: 2,
                forks: t.max_fork_depth,
            })
            .collect(),
    }
}

/// The worker subprocess binary of this crate.
pub fn worker_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dgov-worker-proc"))
}

/// Run `plan_dir` end to end with the subprocess worker; returns the report.
pub async fn run(
    root: &Path,
    plan_dir: &Path,
    configure: impl FnOnce(&mut dgov_worker::SubprocessWorker),
) -> dgov_runner::RunReport {
    run_settled(root, plan_dir, Arc::new(dgov_runner::AcceptAll), configure).await
}

/// [`run`] with `settlement` judging the attempts.
pub async fn run_settled(
    root: &Path,
    plan_dir: &Path,
    settlement: Arc<dyn dgov_runner::Settlement>,
    configure: impl FnOnce(&mut dgov_worker::SubprocessWorker),
) -> dgov_runner::RunReport {
    let compiled = compile(plan_dir);
    let (cfg, _) = dgov_plan::load_project_config(root).unwrap();
    let mut w =
        dgov_worker::SubprocessWorker::for_plan(root, &compiled, &cfg, worker_exe(), Vec::new())
            .unwrap();
    w.env.push(("DGOV_TEST_API_KEY".into(), "sk-test".into()));
    w.env.push(("DGOV_LLM_RETRY_BASE_MS".into(), "20".into()));
    configure(&mut w);
    let lock = dgov_store::RunLock::acquire(&root.join(".dgov")).unwrap();
    let cfg = dgov_runner::RunConfig {
        root: root.to_path_buf(),
        mode: dgov_kernel::RunMode::Fresh,
        max_parallel: None,
        archive: false,
    };
    let deps = dgov_runner::RunDeps {
        worker: Arc::new(w),
        settlement,
        progress: Arc::new(dgov_runner::Silent),
    };
    dgov_runner::run(
        run_plan(&compiled, plan_dir),
        cfg,
        lock,
        deps,
        std::future::pending(),
    )
    .await
    .unwrap()
}
