//! `[verify.<name>]` recipes: named operator/worker conveniences (not part of settlement).
//! A recipe runs its command through `sh -c` in the project root with a timeout; the output
//! goes to `.dgov/runtime/verify/<log_name>`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

/// The result of running one recipe.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyResult {
    pub name: String,
    pub command: String,
    /// Exit code; -1 on timeout or when the command could not start.
    pub exit_code: i32,
    pub duration_s: f64,
    pub warnings: usize,
    pub log: PathBuf,
    pub summary: String,
}

fn safe_log_name(name: &str) -> bool {
    let drive = name.len() >= 2 && name.as_bytes()[1] == b':';
    !(name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\'])
        || Path::new(name).is_absolute()
        || drive)
}

/// Run `command` (recipe `name`) in `root`, logging to `log_name`.
pub fn run(
    root: &Path,
    name: &str,
    command: &str,
    log_name: &str,
    timeout: Duration,
) -> Result<VerifyResult, String> {
    let log_name = if log_name.is_empty() {
        format!("{name}.log")
    } else {
        log_name.to_string()
    };
    if !safe_log_name(&log_name) {
        return Err(format!(
            "[verify.{name}].log_name `{log_name}` must be a bare file name"
        ));
    }
    let dir = root.join(".dgov/runtime/verify");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let log = dir.join(&log_name);
    let started = Instant::now();
    let mut output = String::new();
    let exit_code = match Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Err(e) => {
            output.push_str(&format!("[verify] failed to execute: {e}\n"));
            -1
        }
        Ok(mut child) => {
            let mut out = child.stdout.take();
            let mut err = child.stderr.take();
            let reader = std::thread::spawn(move || {
                let mut s = String::new();
                if let Some(o) = out.as_mut() {
                    let _ = o.read_to_string(&mut s);
                }
                if let Some(e) = err.as_mut() {
                    let _ = e.read_to_string(&mut s);
                }
                s
            });
            let code = loop {
                match child.try_wait() {
                    Ok(Some(st)) => break st.code().unwrap_or(-1),
                    Ok(None) if started.elapsed() > timeout => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break -2;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                    Err(_) => break -1,
                }
            };
            output.push_str(&reader.join().unwrap_or_default());
            if code == -2 {
                output.push_str(&format!(
                    "[verify] timed out after {}s\n",
                    timeout.as_secs()
                ));
                -1
            } else {
                code
            }
        }
    };
    std::fs::write(&log, &output).map_err(|e| format!("writing {}: {e}", log.display()))?;
    let warnings = output
        .lines()
        .filter(|l| l.to_lowercase().contains("warning"))
        .count();
    let duration_s = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0;
    Ok(VerifyResult {
        name: name.into(),
        command: command.into(),
        exit_code,
        duration_s,
        warnings,
        log,
        summary: format!(
            "exit={exit_code} in {duration_s}s, {warnings} warning{}",
            if warnings == 1 { "" } else { "s" }
        ),
    })
}
