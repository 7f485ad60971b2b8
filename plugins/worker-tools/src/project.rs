//! Tools that use the project's toolchain or the host's parser: lint_check, lint_fix,
//! format_file, type_check, file_symbols, check_syntax, ast_grep, scope_status.
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
