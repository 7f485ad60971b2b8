//! The `exec` capability: running a host program on a plugin's behalf.
//!
//! WASI has no process API, so running `cargo test` or a linter is a host import, checked
//! here against the grant's [`ExecPolicy`]: the program must be allow-listed; the working
//! directory is jailed to the granted root; the child starts from an empty environment plus
//! `PATH`, `HOME`, the pass-through list and allow-listed variables the plugin sets; a timeout
//! kills the child's whole process group; captured output is capped.
//!
//! The child process itself is *not* inside the WASM sandbox: the allow-list is the boundary.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::bindings::{ExecOutput, ExecRequest, HostError, HostErrorKind};
use crate::jail::Jail;
use crate::policy::ExecPolicy;

/// What an exec did, kept for the invocation's audit trail.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExecRecord {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: String,
    /// `ok`, `denied: ...`, `failed: ...`, or `exit N` / `timed out`.
    pub outcome: String,
    pub duration_ms: u64,
}

fn err(kind: HostErrorKind, message: impl Into<String>) -> HostError {
    HostError {
        kind,
        message: message.into(),
    }
}

/// Check `request` against `policy` and run it inside `jail`.
pub(crate) async fn run(
    policy: &ExecPolicy,
    jail: &Jail,
    request: ExecRequest,
) -> Result<ExecOutput, HostError> {
    if request.program.is_empty() {
        return Err(err(HostErrorKind::InvalidInput, "empty program name"));
    }
    if !policy.allow.contains(&request.program) {
        return Err(err(
            HostErrorKind::Denied,
            format!(
                "policy: exec of `{}` is not allowed for this plugin (allowed: {})",
                request.program,
                if policy.allow.is_empty() {
                    "nothing".to_owned()
                } else {
                    policy.allow.iter().cloned().collect::<Vec<_>>().join(", ")
                }
            ),
        ));
    }
    for (name, _) in &request.env {
        if !policy.env_allow.contains(name) {
            return Err(err(
                HostErrorKind::Denied,
                format!("policy: setting environment variable `{name}` is not allowed"),
            ));
        }
    }
    let cwd = match request.cwd.as_deref() {
        None | Some("") | Some(".") => jail.root().to_path_buf(),
        Some(rel) => jail
            .resolve(rel, true)
            .map_err(|e| err(HostErrorKind::Denied, format!("working directory: {e}")))?,
    };
    if !cwd.is_dir() {
        return Err(err(
            HostErrorKind::InvalidInput,
            "working directory is not a directory",
        ));
    }
    let timeout = request
        .timeout_ms
        .map(|ms| Duration::from_millis(u64::from(ms)))
        .unwrap_or(policy.default_timeout)
        .min(policy.max_timeout);

    let mut command = tokio::process::Command::new(&request.program);
    command.args(&request.args).current_dir(&cwd).env_clear();
    for name in ["PATH", "HOME"]
        .iter()
        .copied()
        .chain(policy.env_passthrough.iter().map(|s| s.as_str()))
    {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    for (name, value) in &request.env {
        command.env(name, value);
    }
    command
        .stdin(if request.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);

    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            HostErrorKind::NotFound
        } else {
            HostErrorKind::Io
        };
        err(kind, format!("could not start `{}`: {e}", request.program))
    })?;
    let pgid = child.id();

    if let (Some(input), Some(mut stdin)) = (request.stdin, child.stdin.take()) {
        tokio::spawn(async move {
            // A child that exits without reading its input is not an error.
            let _ = stdin.write_all(&input).await;
        });
    }
    let cap = policy.max_output_bytes;
    let stdout = tokio::spawn(read_capped(child.stdout.take(), cap));
    let stderr = tokio::spawn(read_capped(child.stderr.take(), cap));

    let (exit_code, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => (status.code(), false),
        Ok(Err(e)) => return Err(err(HostErrorKind::Io, format!("waiting for child: {e}"))),
        Err(_) => {
            kill_group(pgid);
            let _ = child.wait().await;
            (None, true)
        }
    };
    // Grandchildren may still hold the pipes open; the group kill above covers the timeout
    // case, and a short grace period covers daemons left behind after a normal exit.
    let (out, out_cut) = join_reader(stdout, pgid).await;
    let (errb, err_cut) = join_reader(stderr, pgid).await;
    Ok(ExecOutput {
        exit_code,
        stdout: out,
        stderr: errb,
        timed_out,
        truncated: out_cut || err_cut,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

async fn join_reader(
    handle: tokio::task::JoinHandle<(Vec<u8>, bool)>,
    pgid: Option<u32>,
) -> (Vec<u8>, bool) {
    let abort = handle.abort_handle();
    match tokio::time::timeout(Duration::from_secs(2), handle).await {
        Ok(Ok(result)) => result,
        _ => {
            kill_group(pgid);
            abort.abort();
            (Vec::new(), true)
        }
    }
}

/// Kill the process group led by `pgid` (the child was started as a group leader).
pub(crate) fn kill_group(pgid: Option<u32>) {
    if let Some(pid) = pgid.and_then(|p| i32::try_from(p).ok())
        && pid > 0
    {
        // SAFETY: kill(2) with a negative pid signals the process group; no memory involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Read a pipe to its end, keeping at most `cap` bytes (the rest is drained so the child
/// never blocks on a full pipe).
async fn read_capped<R: AsyncRead + Unpin>(pipe: Option<R>, cap: usize) -> (Vec<u8>, bool) {
    let Some(mut pipe) = pipe else {
        return (Vec::new(), false);
    };
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                if n > room {
                    truncated = true;
                }
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    (kept, truncated)
}

/// Render a working directory for the audit record.
pub(crate) fn display_cwd(cwd: Option<&str>) -> String {
    cwd.filter(|c| !c.is_empty()).unwrap_or(".").to_owned()
}
