//! `validate` on compiled plans and the provider/agent fallback chain.

use std::path::Path;

use dgov_plan::config::parse_project_config;
use dgov_plan::{CompileError, load_compiled, resolve_execution, validate_compiled};

const CFG: &str = r#"
[project]
provider = "main"
default_agent = "project-model"
[providers.main]
base_url = "u"
api_key_env = "K"
[providers.side]
base_url = "u2"
api_key_env = "K2"
default_agent = "side-model"
[providers.bare]
base_url = "u3"
api_key_env = "K3"
[agents]
alias = "vendor/real-model"
"#;

fn compiled(dir: &Path, body: &str) -> std::path::PathBuf {
    let path = dir.join("_compiled.toml");
    std::fs::write(&path, body).unwrap();
    path
}

#[test]
fn execution_falls_back_task_then_plan_then_provider_then_project() {
    let (cfg, d) = parse_project_config(Path::new("p.toml"), CFG);
    assert!(d.is_empty(), "{d:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = compiled(
        dir.path(),
        r#"[plan]
name = "x"
[tasks."s/a.own"]
prompt = "p"
provider = "side"
agent = "alias"
[tasks."s/a.provider-default"]
prompt = "p"
provider = "side"
[tasks."s/a.project-default"]
prompt = "p"
[tasks."s/a.other-provider-no-agent"]
prompt = "p"
provider = "bare"
"#,
    );
    let plan = load_compiled(&path).unwrap();
    let ex = |id: &str| resolve_execution(&plan, plan.task(id).unwrap(), &cfg);
    let own = ex("s/a.own").unwrap();
    assert_eq!(
        (
            own.provider.as_str(),
            own.agent.as_str(),
            own.api_key_env.as_str()
        ),
        ("side", "vendor/real-model", "K2"),
        "aliases resolve"
    );
    assert_eq!(ex("s/a.provider-default").unwrap().agent, "side-model");
    let p = ex("s/a.project-default").unwrap();
    assert_eq!(
        (p.provider.as_str(), p.agent.as_str()),
        ("main", "project-model")
    );
    // The project's default agent belongs to the project's provider: not lent to 'bare'.
    let err = ex("s/a.other-provider-no-agent").unwrap_err();
    assert!(
        err.message
            .contains("no agent for task 'other-provider-no-agent'"),
        "{}",
        err.message
    );
    assert!(err.hint.unwrap().contains("[providers.bare]"));
}

#[test]
fn validate_reports_missing_deps_cycles_conflicts_and_prompts_of_a_compiled_file() {
    let (cfg, _) = parse_project_config(Path::new("p.toml"), CFG);
    let dir = tempfile::tempdir().unwrap();
    let path = compiled(
        dir.path(),
        r###"[plan]
name = "x"
[tasks."s/a.one"]
prompt = "## Orient\n## Edit\n## Verify"
depends_on = ["s/a.ghost"]
files = ["f.txt"]
[tasks."s/a.two"]
prompt = ""
files.edit = ["f.txt"]
[tasks."s/a.loop1"]
prompt = "## Orient\n## Edit\n## Verify"
depends_on = ["s/a.loop2"]
[tasks."s/a.loop2"]
prompt = "## Orient\n## Edit\n## Verify"
depends_on = ["s/a.loop1"]
"###,
    );
    let plan = load_compiled(&path).unwrap();
    assert_eq!(
        plan.task("s/a.one").unwrap().timeout_s,
        900,
        "original's compiled default"
    );
    let diags = validate_compiled(&plan, &cfg);
    let msgs: Vec<&str> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        msgs.contains(&"depends_on names unknown unit 's/a.ghost'"),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&"dependency cycle: s/a.loop1 → s/a.loop2 → s/a.loop1"),
        "{msgs:?}"
    );
    assert!(msgs.contains(&"task 'two' has an empty prompt"), "{msgs:?}");
    // Conflicts are only judged on an acyclic graph; this one has a cycle.
    assert!(
        diags
            .iter()
            .all(|d| d.file.as_deref() == Some(path.as_path()))
    );
}

#[test]
fn the_compiled_reader_is_strict_about_task_keys_and_lenient_about_legacy_plan_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = compiled(
        dir.path(),
        "[plan]\nname = \"x\"\nsource_mtime_max = \"2026-01-01T00:00:00.000000Z\"\nmax_retries = 7\nproject_root = \".\"\n[tasks.\"s/a.t\"]\nprompt = \"p\"\nbogus = 1\nfiles.bad = []\n",
    );
    match load_compiled(&path) {
        Err(CompileError::Invalid { diagnostics }) => {
            let msgs: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
            assert_eq!(
                msgs,
                vec![
                    "unknown key `tasks.\"s/a.t\".bogus`",
                    "unknown key `tasks.\"s/a.t\".files.bad`"
                ]
            );
            assert_eq!(diagnostics[0].line, Some(8));
        }
        other => panic!("expected strict failure, got {other:?}"),
    }
    let path = compiled(
        dir.path(),
        "[plan]\nname = \"x\"\nsource_mtime_max = \"2026-01-01T00:00:00.000000Z\"\nmax_retries = 7\n[tasks.\"s/a.t\"]\nprompt = \"p\"\nfiles = [\"a\"]\n",
    );
    let plan = load_compiled(&path).unwrap();
    assert_eq!(plan.default_max_retries, 7, "max_retries alias");
    assert_eq!(plan.tasks[0].files.touch, vec!["a"], "array files = touch");
    assert!(plan.legacy_source_mtime_max.is_some());
    let err = load_compiled(&compiled(dir.path(), "[plan]\nname = \"x\"\n")).unwrap_err();
    assert!(err.to_string().contains("Missing [tasks] section"), "{err}");
}
