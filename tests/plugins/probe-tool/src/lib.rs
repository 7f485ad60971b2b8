//! Test fixture plugin: one tool per thing a hostile or buggy plugin might do. The sandbox
//! tests in `host/plugin-host/tests` call these and assert that each escape fails and each
//! runaway is stopped. Not shipped.

use dgov_sdk::tool::*;
use serde::Deserialize;
use serde_json::json;

struct Probe;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Args {
    path: String,
    content: String,
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    mb: usize,
    addr: String,
}

fn show<T: std::fmt::Debug, E: std::fmt::Display>(r: Result<T, E>) -> Result<String, PluginError> {
    r.map(|v| format!("{v:?}"))
        .map_err(|e| PluginError::Failed(e.to_string()))
}

impl Tools for Probe {
    fn list_tools() -> Vec<ToolSpec> {
        let names = [
            ("noop", false),
            ("wasi_read", false),
            ("host_read", false),
            ("host_write", true),
            ("wasi_write", true),
            ("env", false),
            ("net", false),
            ("spawn", false),
            ("exec", false),
            ("spin", false),
            ("alloc", false),
            ("panic", false),
            ("log", false),
            ("walk", false),
            ("facts", false),
        ];
        names
            .iter()
            .map(|(n, w)| ToolSpec::new(n, "probe", json!({"type": "object"}), *w))
            .collect()
    }

    fn call(name: String, args_json: String) -> Result<String, PluginError> {
        let a: Args = args(&name, &args_json)?;
        match name.as_str() {
            "noop" => Ok("ok".to_owned()),
            "wasi_read" => show(std::fs::read_to_string(format!("/repo/{}", a.path))),
            "host_read" => host::read_to_string(&a.path).map_err(PluginError::from),
            "host_write" => host::write_file(&a.path, a.content.as_bytes())
                .map(|()| "written".to_owned())
                .map_err(PluginError::from),
            "wasi_write" => show(std::fs::write(
                format!("/repo/{}", a.path),
                a.content.as_bytes(),
            )),
            "env" => Ok(format!("{:?}", std::env::vars().collect::<Vec<_>>())),
            "net" => show(std::net::TcpStream::connect(a.addr.as_str()).map(|_| "connected")),
            "spawn" => show(
                std::process::Command::new("sh")
                    .arg("-c")
                    .arg("echo hi")
                    .output()
                    .map(|_| "spawned"),
            ),
            "exec" => {
                let req = dgov_sdk::types::ExecRequest {
                    program: a.program,
                    args: a.args,
                    cwd: if a.path.is_empty() {
                        None
                    } else {
                        Some(a.path)
                    },
                    env: a.env,
                    timeout_ms: None,
                    stdin: None,
                };
                match host::exec(&req) {
                    Ok(out) => Ok(format!(
                        "exit={:?} timed_out={} stdout={}",
                        out.exit_code,
                        out.timed_out,
                        String::from_utf8_lossy(&out.stdout).trim()
                    )),
                    Err(e) => Err(PluginError::from(e)),
                }
            }
            "spin" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "alloc" => {
                let mut v: Vec<Vec<u8>> = Vec::new();
                for _ in 0..a.mb {
                    v.push(vec![1u8; 1024 * 1024]);
                }
                Ok(format!("allocated {} MiB", v.len()))
            }
            "panic" => panic!("probe panicked on purpose"),
            "log" => {
                host::info(&a.content);
                println!("out: {}", a.content);
                eprintln!("err: {}", a.content);
                Ok("logged".to_owned())
            }
            "walk" => host::walk(&a.path)
                .map(|v| format!("{v:?}"))
                .map_err(PluginError::from),
            "facts" => match host::facts(&a.path) {
                Ok(f) => Ok(format!(
                    "{} lines, functions: {:?}",
                    f.lines,
                    f.functions
                        .iter()
                        .map(|x| (x.name.clone(), x.cyclomatic))
                        .collect::<Vec<_>>()
                )),
                Err(e) => Err(PluginError::from(e)),
            },
            other => Err(PluginError::InvalidInput(format!("unknown tool `{other}`"))),
        }
    }
}

dgov_sdk::export_tools!(Probe);
