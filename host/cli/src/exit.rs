//! Exit codes and top-level error reporting. One table for the whole binary:
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | success (a degraded-but-merged run is 0 with a warning) |
//! | 1    | the work ran and some of it failed (task failures, a gate said no) |
//! | 2    | usage or input errors: bad flags, unreadable or invalid files, unknown ids |
//! | 130  | interrupted (Ctrl-C / SIGTERM) |

use std::process::ExitCode;

use crate::Globals;

pub const SUCCESS: u8 = 0;
pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;
pub const INTERRUPTED: u8 = 130;

/// An error that carries its own exit code. Anything else that reaches `main` is a usage
/// or input error (exit 2): I/O and parse failures come from what the user handed us.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub error: anyhow::Error,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for Exit {}

/// Wrap `error` so that it exits with `code`.
pub fn with_code(code: u8, error: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(Exit { code, error })
}

/// Turn a command's outcome into the process exit code, printing errors as
/// `dgov: <chain>` (or a JSON object under `--json`).
pub fn report(result: anyhow::Result<u8>, globals: &Globals) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = err.downcast_ref::<Exit>().map_or(USAGE, |e| e.code);
            if globals.json {
                let doc = serde_json::json!({ "error": format!("{err:#}"), "exit_code": code });
                println!("{doc}");
            } else {
                eprintln!("dgov: {err:#}");
            }
            ExitCode::from(code)
        }
    }
}
