//! Read-only inspection tools: head, tail, word_count, tree, recent_changes, find_references,
//! search_tests_for, related_files, ripgrep, jq, revert_file, assert_file_unchanged.
use dgov_sdk::tool::ToolSpec;

/// The tools of this module.
pub fn specs() -> Vec<ToolSpec> {
    Vec::new()
}

/// Run tool `name` if it is one of this module's; `None` otherwise.
pub fn call(name: &str, a: &serde_json::Value) -> Option<Result<String, String>> {
    let _ = (name, a);
    None
}
