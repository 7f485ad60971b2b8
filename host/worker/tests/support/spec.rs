//! One attempt spec with neutral defaults for tests and benches: a worker on `worktree`, no
//! claims, default policy, a provider nobody listens on. Each test changes what it is about
//! with struct update syntax (`AttemptSpec { role, ..attempt_spec(dir) }`), so a field added
//! to the spec is added here once.

use std::collections::BTreeMap;
use std::path::Path;

use dgov_worker::spec::{AttemptSpec, Claims, PolicySpec, ProviderSpec};

pub fn attempt_spec(worktree: &Path) -> AttemptSpec {
    AttemptSpec {
        plan: "p".into(),
        task: "t".into(),
        attempt: 1,
        root: worktree.to_path_buf(),
        worktree: worktree.to_path_buf(),
        prompt: String::new(),
        model: "m".into(),
        provider: ProviderSpec {
            name: "x".into(),
            base_url: "http://127.0.0.1:9".into(),
            api_key_env: "K".into(),
        },
        claims: Claims::default(),
        test_cmd: String::new(),
        test_targets: Vec::new(),
        policy: PolicySpec::default(),
        toolchain: Default::default(),
        path_policy: Default::default(),
        exec_allow: vec!["git".into()],
        language: "text".into(),
        src_dir: "src/".into(),
        test_dir: "tests/".into(),
        conventions: BTreeMap::new(),
        iteration_budget: 10,
        warn_at: 8,
        tree_max_lines: 80,
        charter: None,
        retry_context: None,
        retry_in_place: false,
        retry_fork: false,
        record_to: None,
        request_timeout_s: 5,
        shell_timeout_ms: 60_000,
        require_tests_before_done: false,
        role: Default::default(),
        dependency_changes: Vec::new(),
    }
}
