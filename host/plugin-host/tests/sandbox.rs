//! The sandbox holds: every escape attempt from inside a plugin fails, every runaway is
//! stopped, and the runtime keeps serving calls afterwards. The hostile code is the
//! `probe-tool` fixture plugin (tests/plugins/probe-tool).

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use dgov_plugin_host::bindings::PluginError;
use dgov_plugin_host::{
    Capability, ExecPolicy, Grant, Invocation, InvokeError, Limits, Plugin, ToolSession,
};
use serde_json::json;

struct Fixture {
    root: tempfile::TempDir,
    outside: tempfile::TempDir,
    plugin: Plugin,
}

fn fixture() -> Fixture {
    let runtime = support::shared_runtime();
    let plugin = runtime
        .load_file(&support::fixture_plugin("probe-tool"))
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("hello.txt"), "hi from the root\n").unwrap();
    std::fs::create_dir(root.path().join("sub")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "top secret\n").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        root.path().join("evil-link"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), root.path().join("evil-dir")).unwrap();
    Fixture {
        root,
        outside,
        plugin,
    }
}

fn grant(caps: &[Capability], exec_allow: &[&str]) -> Grant {
    Grant {
        capabilities: caps.iter().copied().collect::<BTreeSet<_>>(),
        exec: ExecPolicy {
            allow: exec_allow.iter().map(|s| (*s).to_owned()).collect(),
            ..ExecPolicy::default()
        },
    }
}

fn invocation(root: &Path, grant: Grant) -> Invocation {
    Invocation {
        root: Some(root.to_path_buf()),
        grant,
        baseline_dir: None,
        limits: None,
    }
}

fn call(
    f: &Fixture,
    inv: &Invocation,
    tool: &str,
    args: serde_json::Value,
    writes: bool,
) -> Result<String, PluginError> {
    support::block_on(f.plugin.call_tool(inv, tool, &args.to_string(), writes))
        .unwrap_or_else(|e| panic!("{tool} should not trap: {e}"))
        .value
}

fn all_fs() -> Grant {
    grant(
        &[Capability::Log, Capability::FsRead, Capability::FsWrite],
        &[],
    )
}

#[test]
fn reads_inside_the_granted_root_work_through_wasi_and_the_host() {
    let f = fixture();
    let inv = invocation(f.root.path(), all_fs());
    let wasi = call(&f, &inv, "wasi_read", json!({"path": "hello.txt"}), false).unwrap();
    assert!(wasi.contains("hi from the root"), "{wasi}");
    let host = call(&f, &inv, "host_read", json!({"path": "hello.txt"}), false).unwrap();
    assert!(host.contains("hi from the root"), "{host}");
}

#[test]
fn reading_outside_the_root_fails_every_way() {
    let f = fixture();
    let inv = invocation(f.root.path(), all_fs());
    let secret = f.outside.path().join("secret.txt");
    // Absolute host paths are invisible to WASI: only /repo exists in the guest.
    for path in [
        "../../../../etc/passwd",
        "evil-link",
        "evil-dir/secret.txt",
        "../secret.txt",
    ] {
        let out = call(&f, &inv, "wasi_read", json!({"path": path}), false);
        assert!(out.is_err(), "WASI read of {path} must fail, got {out:?}");
        let out = call(&f, &inv, "host_read", json!({"path": path}), false);
        assert!(out.is_err(), "host read of {path} must fail, got {out:?}");
    }
    let abs = call(&f, &inv, "host_read", json!({"path": "/etc/passwd"}), false);
    assert!(
        matches!(&abs, Err(PluginError::Denied(m)) if m.contains("absolute")),
        "{abs:?}"
    );
    let abs = call(
        &f,
        &inv,
        "host_read",
        json!({"path": secret.to_str().unwrap()}),
        false,
    );
    assert!(abs.is_err());
    // WASI sees no host file system at all outside /repo.
    let etc = support::block_on(f.plugin.call_tool(
        &inv,
        "wasi_read",
        &json!({"path": "../etc/passwd"}).to_string(),
        false,
    ))
    .unwrap();
    assert!(etc.value.is_err());
}

#[test]
fn writes_fail_under_a_read_only_grant_and_outside_the_root() {
    let f = fixture();
    // fs-write not granted at all
    let ro = invocation(f.root.path(), grant(&[Capability::FsRead], &[]));
    let out = call(
        &f,
        &ro,
        "host_write",
        json!({"path": "new.txt", "content": "x"}),
        true,
    );
    assert!(matches!(&out, Err(PluginError::Denied(_))), "{out:?}");
    // fs-write granted, but this call is not a writing call
    let rw = invocation(f.root.path(), all_fs());
    let out = call(
        &f,
        &rw,
        "host_write",
        json!({"path": "new.txt", "content": "x"}),
        false,
    );
    assert!(
        matches!(&out, Err(PluginError::Denied(m)) if m.contains("read-only")),
        "{out:?}"
    );
    // WASI writes are never possible: the preopen is read-only
    let out = call(
        &f,
        &rw,
        "wasi_write",
        json!({"path": "new.txt", "content": "x"}),
        true,
    );
    assert!(out.is_err(), "{out:?}");
    assert!(!f.root.path().join("new.txt").exists());
    // escapes through a writing call
    for path in ["../escape.txt", "evil-dir/planted.txt", "evil-link"] {
        let out = call(
            &f,
            &rw,
            "host_write",
            json!({"path": path, "content": "x"}),
            true,
        );
        assert!(out.is_err(), "write to {path} must fail: {out:?}");
    }
    assert!(!f.outside.path().join("planted.txt").exists());
    assert_eq!(
        std::fs::read_to_string(f.outside.path().join("secret.txt")).unwrap(),
        "top secret\n"
    );
    // and a legitimate write works
    let out = call(
        &f,
        &rw,
        "host_write",
        json!({"path": "sub/new.txt", "content": "made"}),
        true,
    );
    assert!(out.is_ok(), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(f.root.path().join("sub/new.txt")).unwrap(),
        "made"
    );
}

#[test]
fn no_environment_no_network_no_processes() {
    // Something to find if the environment leaked.
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("DGOV_TEST_SECRET_TOKEN", "leaked") };
    let f = fixture();
    let inv = invocation(f.root.path(), all_fs());
    let env = call(&f, &inv, "env", json!({}), false).unwrap();
    assert_eq!(env, "[]", "the plugin saw host environment variables");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let net = call(&f, &inv, "net", json!({"addr": addr}), false);
    assert!(net.is_err(), "a socket was opened: {net:?}");
    listener.set_nonblocking(true).unwrap();
    assert!(
        listener.accept().is_err(),
        "the plugin reached a host socket"
    );

    let spawn = call(&f, &inv, "spawn", json!({}), false);
    assert!(spawn.is_err(), "{spawn:?}");
}

#[test]
fn exec_runs_only_what_policy_allows() {
    let f = fixture();
    let allowed = invocation(
        f.root.path(),
        grant(&[Capability::FsRead, Capability::Exec], &["echo"]),
    );
    let ok = call(
        &f,
        &allowed,
        "exec",
        json!({"program": "echo", "args": ["hi"]}),
        false,
    )
    .unwrap();
    assert!(
        ok.contains("exit=Some(0)") && ok.contains("stdout=hi"),
        "{ok}"
    );

    let denied = call(
        &f,
        &allowed,
        "exec",
        json!({"program": "rm", "args": ["-rf", "."]}),
        false,
    );
    assert!(
        matches!(&denied, Err(PluginError::Denied(m)) if m.contains("rm")),
        "{denied:?}"
    );
    // absolute path to an allow-listed name is a different program: refused
    let denied = call(&f, &allowed, "exec", json!({"program": "/bin/echo"}), false);
    assert!(matches!(&denied, Err(PluginError::Denied(_))), "{denied:?}");
    // env not on the allow-list
    let denied = call(
        &f,
        &allowed,
        "exec",
        json!({"program": "echo", "env": [["LD_PRELOAD", "x"]]}),
        false,
    );
    assert!(
        matches!(&denied, Err(PluginError::Denied(m)) if m.contains("LD_PRELOAD")),
        "{denied:?}"
    );
    // cwd outside the root
    let denied = call(
        &f,
        &allowed,
        "exec",
        json!({"program": "echo", "path": "../"}),
        false,
    );
    assert!(matches!(&denied, Err(PluginError::Denied(_))), "{denied:?}");

    // exec not granted by the repository at all
    let no_exec = invocation(f.root.path(), grant(&[Capability::FsRead], &["echo"]));
    let denied = call(&f, &no_exec, "exec", json!({"program": "echo"}), false);
    assert!(
        matches!(&denied, Err(PluginError::Denied(m)) if m.contains("exec")),
        "{denied:?}"
    );
}

#[test]
fn exec_timeout_kills_the_whole_process_group() {
    let f = fixture();
    let mut g = grant(&[Capability::FsRead, Capability::Exec], &["sh"]);
    g.exec.default_timeout = Duration::from_millis(300);
    let inv = invocation(f.root.path(), g);
    let marker = f.root.path().join("survivor");
    // The grandchild would create `survivor` after 2 s if it outlived the group kill.
    let script = format!("(sleep 2; touch {}) & sleep 30", marker.display());
    let out = call(
        &f,
        &inv,
        "exec",
        json!({"program": "sh", "args": ["-c", script]}),
        false,
    )
    .unwrap();
    assert!(out.contains("timed_out=true"), "{out}");
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !marker.exists(),
        "a grandchild survived the process-group kill"
    );
}

fn limited(f: &Fixture, limits: Limits) -> Invocation {
    Invocation {
        limits: Some(limits),
        ..invocation(f.root.path(), all_fs())
    }
}

#[test]
fn an_infinite_loop_is_stopped_at_its_deadline_and_the_next_call_succeeds() {
    let f = fixture();
    let inv = limited(
        &f,
        Limits {
            deadline: Duration::from_millis(200),
            ..Limits::default()
        },
    );
    let started = std::time::Instant::now();
    let err = support::block_on(f.plugin.call_tool(&inv, "spin", "{}", false)).unwrap_err();
    assert_eq!(err, InvokeError::Deadline { deadline_ms: 200 });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "deadline enforcement took {:?}",
        started.elapsed()
    );
    assert_eq!(call(&f, &inv, "noop", json!({}), false).unwrap(), "ok");
}

#[test]
fn a_memory_hungry_plugin_is_stopped_at_its_cap_and_the_next_call_succeeds() {
    let f = fixture();
    let inv = limited(
        &f,
        Limits {
            memory_bytes: 32 * 1024 * 1024,
            ..Limits::default()
        },
    );
    let small = call(&f, &inv, "alloc", json!({"mb": 4}), false).unwrap();
    assert_eq!(small, "allocated 4 MiB");
    let err = support::block_on(f.plugin.call_tool(
        &inv,
        "alloc",
        &json!({"mb": 200}).to_string(),
        false,
    ))
    .unwrap_err();
    assert_eq!(
        err,
        InvokeError::MemoryCap {
            cap_bytes: 32 * 1024 * 1024
        }
    );
    assert_eq!(call(&f, &inv, "noop", json!({}), false).unwrap(), "ok");
}

#[test]
fn a_trapping_plugin_yields_an_error_with_its_panic_message() {
    let f = fixture();
    let inv = invocation(f.root.path(), all_fs());
    let err = support::block_on(f.plugin.call_tool(&inv, "panic", "{}", false)).unwrap_err();
    match err {
        InvokeError::Trap { stderr, .. } => {
            assert!(
                stderr.contains("probe panicked on purpose"),
                "stderr: {stderr}"
            )
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(call(&f, &inv, "noop", json!({}), false).unwrap(), "ok");
}

#[test]
fn fuel_bounds_work_deterministically() {
    let f = fixture();
    let inv = limited(
        &f,
        Limits {
            fuel: Some(5_000_000),
            ..Limits::default()
        },
    );
    let err = support::block_on(f.plugin.call_tool(&inv, "spin", "{}", false)).unwrap_err();
    assert_eq!(err, InvokeError::OutOfFuel { fuel: 5_000_000 });
}

#[test]
fn a_session_recovers_after_a_trap_and_keeps_serving() {
    let f = fixture();
    let inv = limited(
        &f,
        Limits {
            deadline: Duration::from_millis(100),
            ..Limits::default()
        },
    );
    support::block_on(async {
        let mut session = ToolSession::start(&f.plugin, &inv).await.unwrap();
        assert_eq!(
            session
                .call("noop", "{}", false)
                .await
                .unwrap()
                .value
                .unwrap(),
            "ok"
        );
        assert!(matches!(
            session.call("spin", "{}", false).await,
            Err(InvokeError::Deadline { .. })
        ));
        assert!(matches!(
            session.call("panic", "{}", false).await,
            Err(InvokeError::Trap { .. })
        ));
        assert_eq!(
            session
                .call("noop", "{}", false)
                .await
                .unwrap()
                .value
                .unwrap(),
            "ok"
        );
        let tools = session.list_tools().await.unwrap().value;
        assert!(tools.iter().any(|t| t.name == "host_write" && t.writes));
    });
}

#[test]
fn logs_are_captured_per_call() {
    let f = fixture();
    let inv = invocation(f.root.path(), all_fs());
    let out = support::block_on(f.plugin.call_tool(
        &inv,
        "log",
        &json!({"content": "hello log"}).to_string(),
        false,
    ))
    .unwrap();
    assert_eq!(out.logs.len(), 1);
    assert_eq!(out.logs[0].message, "hello log");
    assert_eq!(out.logs[0].level, "info");
    assert_eq!(out.stdout, "out: hello log\n");
    assert_eq!(out.stderr, "err: hello log\n");
}

#[test]
fn a_session_reports_each_calls_output_once() {
    let f = fixture();
    let inv = invocation(f.root.path(), all_fs());
    support::block_on(async {
        let mut session = ToolSession::start(&f.plugin, &inv).await.unwrap();
        let one = session
            .call("log", &json!({"content": "one"}).to_string(), false)
            .await
            .unwrap();
        let two = session
            .call("log", &json!({"content": "two"}).to_string(), false)
            .await
            .unwrap();
        assert_eq!(one.stdout, "out: one\n");
        assert_eq!(two.stdout, "out: two\n");
        assert_eq!(two.logs.len(), 1);
    });
}

#[test]
fn the_walk_capability_added_in_0_1_1_lists_files_without_following_links_out() {
    let f = fixture();
    let inv = invocation(f.root.path(), all_fs());
    let out = call(&f, &inv, "walk", json!({"path": ""}), false).unwrap();
    assert_eq!(out, r#"["evil-dir", "evil-link", "hello.txt"]"#);
}

#[test]
fn the_syntax_capability_added_in_0_1_2_returns_host_parsed_facts() {
    let f = fixture();
    std::fs::write(
        f.root.path().join("lib.rs"),
        "fn pick(a: u8) -> u8 { if a > 1 { a } else { 0 } }\n",
    )
    .unwrap();
    let inv = invocation(f.root.path(), Grant::read_only());
    let out = call(&f, &inv, "facts", json!({"path": "lib.rs"}), false).unwrap();
    assert_eq!(out, r#"1 lines, functions: [("pick", 2)]"#);
    // unsupported file types and escapes are errors for the plugin, not traps
    let out = call(&f, &inv, "facts", json!({"path": "hello.txt"}), false);
    assert!(matches!(&out, Err(PluginError::InvalidInput(_))), "{out:?}");
    let out = call(&f, &inv, "facts", json!({"path": "evil-link"}), false);
    assert!(matches!(&out, Err(PluginError::Denied(_))), "{out:?}");
    // not granted
    let none = invocation(f.root.path(), grant(&[Capability::FsRead], &[]));
    let out = call(&f, &none, "facts", json!({"path": "lib.rs"}), false);
    assert!(
        matches!(&out, Err(PluginError::Denied(m)) if m.contains("syntax")),
        "{out:?}"
    );
}
