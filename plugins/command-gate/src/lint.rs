//! Lint findings scoped to the lines a task added.
//!
//! A failing lint command's output is parsed for diagnostics in the common forms:
//! - `path:line[:col]: message` — ruff `--output-format=concise`, eslint `-f unix`,
//!   golangci-lint, mypy, rustc/clippy `--message-format=short`, flake8, pylint `--output-format=parseable`;
//! - a header line followed by `--> path:line:col` — rustc/clippy's and ruff's full format;
//! - JSON: ruff `--output-format=json` (`[{filename, location: {row, column}, code,
//!   message}]`) and eslint `-f json` (`[{filePath, messages: [{line, column, ruleId,
//!   message}]}]`).
//!
//! Notes and help lines (`path:line: note: …`) are context, not diagnostics.
//!
//! A diagnostic is *attributable* (blocking) when its file is one the change added, or its
//! line is among the lines the change added or modified. Anything else (another line, an
//! unchanged file) is reported as a non-attributable warning. A non-zero exit whose
//! diagnostics are all non-attributable passes with verdict `warn`. Output with no
//! recognizable diagnostic is judged by exit code alone (the caller's fallback).

use dgov_sdk::gate::*;

/// One parsed diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub line: u32,
    pub column: Option<u32>,
    pub message: String,
}

/// `digits` followed by `:` at the start of `s`: the number and the rest after the colon.
fn number_colon(s: &str) -> Option<(u32, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit())?;
    if end == 0 || !s[end..].starts_with(':') {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end + 1..]))
}

/// A plausible file path: no whitespace, and a `.` or `/` in it.
fn plausible_path(p: &str) -> bool {
    !p.is_empty() && !p.contains(char::is_whitespace) && p.contains(['.', '/'])
}

/// `path:line[:col]: message`.
fn parse_colon_form(line: &str) -> Option<Diagnostic> {
    let line = line.trim_end();
    // The path ends at the first `:` followed by a line number and another `:`.
    for (i, _) in line.match_indices(':') {
        let path = &line[..i];
        let Some((n, rest)) = number_colon(&line[i + 1..]) else {
            continue;
        };
        if !plausible_path(path) {
            return None;
        }
        let (column, message) = match number_colon(rest) {
            Some((c, m)) => (Some(c), m),
            None => (None, rest),
        };
        let message = message.trim();
        if message.is_empty() {
            return None;
        }
        return Some(Diagnostic {
            path: path.to_owned(),
            line: n,
            column,
            message: message.to_owned(),
        });
    }
    None
}

/// `--> path:line[:col]`.
fn parse_arrow(line: &str) -> Option<(String, u32, Option<u32>)> {
    let rest = line.trim_start().strip_prefix("-->")?.trim();
    let mut parts = rest.rsplitn(3, ':');
    let last = parts.next()?;
    let mid = parts.next()?;
    match parts.next() {
        Some(path) => {
            let (l, c) = (mid.parse().ok()?, last.parse().ok()?);
            plausible_path(path).then(|| (path.to_owned(), l, Some(c)))
        }
        None => {
            let l = last.parse().ok()?;
            plausible_path(mid).then(|| (mid.to_owned(), l, None))
        }
    }
}

/// Whether a line can be the header of an arrow-form diagnostic (`error[E0308]: …`,
/// `F401 [*] …`), rather than a source excerpt, note or arrow.
fn header(line: &str) -> bool {
    let t = line.trim_end();
    !t.is_empty()
        && !t.starts_with(char::is_whitespace)
        && !t.starts_with(['|', '=', '-'])
        && !t.starts_with(|c: char| c.is_ascii_digit())
}

/// Diagnostics of a JSON report (ruff or eslint), when `output` is one.
fn parse_json(output: &str) -> Option<Vec<Diagnostic>> {
    let t = output.trim();
    if !t.starts_with('[') {
        return None;
    }
    let items: Vec<serde_json::Value> = serde_json::from_str(t).ok()?;
    let text = |v: Option<&serde_json::Value>| v.and_then(|x| x.as_str()).unwrap_or("").to_owned();
    let num = |v: Option<&serde_json::Value>| v.and_then(|x| x.as_u64()).map(|n| n as u32);
    let mut out = Vec::new();
    for item in &items {
        if let Some(messages) = item.get("messages").and_then(|m| m.as_array()) {
            // eslint: one entry per file.
            let path = text(item.get("filePath"));
            for m in messages {
                let Some(line) = num(m.get("line")) else {
                    continue;
                };
                let rule = text(m.get("ruleId"));
                let msg = text(m.get("message"));
                out.push(Diagnostic {
                    path: path.clone(),
                    line,
                    column: num(m.get("column")),
                    message: if rule.is_empty() {
                        msg
                    } else {
                        format!("{rule} {msg}")
                    },
                });
            }
        } else if let Some(loc) = item.get("location") {
            // ruff: one entry per diagnostic.
            let Some(line) = num(loc.get("row")) else {
                continue;
            };
            out.push(Diagnostic {
                path: text(item.get("filename")),
                line,
                column: num(loc.get("column")),
                message: format!("{} {}", text(item.get("code")), text(item.get("message")))
                    .trim()
                    .to_owned(),
            });
        }
    }
    Some(out)
}

/// Whether a parsed message is context for another diagnostic rather than one itself.
fn is_context(message: &str) -> bool {
    let m = message.trim_start();
    m.starts_with("note:") || m.starts_with("help:")
}

/// Every diagnostic found in `output`, in order.
pub fn parse(output: &str) -> Vec<Diagnostic> {
    if let Some(diags) = parse_json(output) {
        return diags;
    }
    let mut out = Vec::new();
    let mut last_header: Option<&str> = None;
    for line in output.lines() {
        if let Some((path, n, column)) = parse_arrow(line) {
            out.push(Diagnostic {
                path,
                line: n,
                column,
                message: last_header.unwrap_or("diagnostic").trim().to_owned(),
            });
            last_header = None;
        } else if let Some(d) = parse_colon_form(line) {
            if !is_context(&d.message) {
                out.push(d);
            }
            last_header = None;
        } else if header(line) {
            last_header = Some(line);
        }
    }
    out
}

/// The changed file a diagnostic path names: equal, or the path ends with `/<changed>`
/// (absolute paths or paths from another working directory).
pub fn match_changed<'a>(path: &str, changed: &'a [ChangedFile]) -> Option<&'a ChangedFile> {
    let p = path.trim_start_matches("./");
    changed
        .iter()
        .filter(|f| f.kind != ChangeKind::Deleted)
        .find(|f| {
            p == f.path
                || p.strip_suffix(f.path.as_str())
                    .is_some_and(|head| head.ends_with('/'))
        })
}

/// Whether the change added or modified `line` of `file` (a file added as a whole counts
/// entirely).
pub fn attributable(file: &ChangedFile, line: u32) -> bool {
    file.kind == ChangeKind::Added
        || file
            .added_lines
            .iter()
            .any(|r| r.start <= line && line <= r.end)
}

/// At most this many findings of each kind are reported (a whole-repository lint can print
/// thousands of pre-existing diagnostics).
const MAX_FINDINGS: usize = 200;

/// The scoped judgement of a failing lint run, or `None` when the output holds no diagnostic
/// (then the exit code decides).
pub fn judge(
    kind: &str,
    command: &str,
    output: &str,
    changed: &[ChangedFile],
) -> Option<GateReport> {
    let diags = parse(output);
    if diags.is_empty() {
        return None;
    }
    let code = format!("{kind}_failed");
    let (mut mine, mut other) = (Vec::new(), Vec::new());
    for d in diags {
        let file = match_changed(&d.path, changed);
        let path = file.map_or(d.path.clone(), |f| f.path.clone());
        let at = match d.column {
            Some(c) => format!("{path}:{}:{c}", d.line),
            None => format!("{path}:{}", d.line),
        };
        let msg = format!("{at}: {}", d.message);
        let mut loc = Finding::error(&code, &msg).at(&path, d.line);
        if let Some(l) = loc.locations.first_mut() {
            l.column = d.column;
        }
        if file.is_some_and(|f| attributable(f, d.line)) {
            mine.push(loc);
        } else {
            loc.severity = Severity::Warning;
            other.push(loc.pre_existing());
        }
    }
    let (n_mine, n_other) = (mine.len(), other.len());
    mine.truncate(MAX_FINDINGS);
    other.truncate(MAX_FINDINGS);
    let mut findings = mine;
    findings.extend(other);
    let mut report = GateReport::from_findings(findings);
    if n_mine > 0 {
        report.summary = format!(
            "{kind}: {n_mine} diagnostic(s) from `{command}` on lines this change added ({n_other} elsewhere, not blocking)"
        );
    } else {
        report.verdict = Verdict::Warn;
        report.summary = format!(
            "{kind}: `{command}` failed, but all {n_other} diagnostic(s) are on lines this change did not add"
        );
    }
    Some(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, kind: ChangeKind, lines: &[(u32, u32)]) -> ChangedFile {
        ChangedFile {
            path: path.into(),
            kind,
            old_path: None,
            added_lines: lines
                .iter()
                .map(|&(start, end)| LineRange { start, end })
                .collect(),
        }
    }

    #[test]
    fn parses_the_common_colon_forms() {
        let out = "\
a.py:1:8: F401 [*] `os` imported but unused
src/m.py:12: error: Incompatible types  [assignment]
/abs/repo/web/x.js:3:5: 'y' is defined but never used. [Error/no-unused-vars]
pkg/x.go:7:2: ineffectual assignment to err (ineffassign)
Found 4 errors.
Error: 3: not a path
";
        let d = parse(out);
        assert_eq!(d.len(), 4, "{d:?}");
        assert_eq!(
            (d[0].path.as_str(), d[0].line, d[0].column),
            ("a.py", 1, Some(8))
        );
        assert!(d[0].message.starts_with("F401"));
        assert_eq!(
            (d[1].path.as_str(), d[1].line, d[1].column),
            ("src/m.py", 12, None)
        );
        assert_eq!(d[2].path, "/abs/repo/web/x.js");
        assert_eq!(d[3].message, "ineffectual assignment to err (ineffassign)");
    }

    #[test]
    fn parses_the_arrow_form_with_its_header() {
        let out = "\
warning: unused variable: `x`
 --> src/lib.rs:3:9
  |
3 |     let x = 1;
  |         ^ help: prefix it with an underscore: `_x`
  |
  = note: `#[warn(unused_variables)]` on by default

error[E0308]: mismatched types
   --> src/main.rs:10:5
warning: `demo` (lib) generated 1 warning
";
        let d = parse(out);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(
            (d[0].path.as_str(), d[0].line, d[0].column),
            ("src/lib.rs", 3, Some(9))
        );
        assert_eq!(d[0].message, "warning: unused variable: `x`");
        assert_eq!(d[1].message, "error[E0308]: mismatched types");
        assert_eq!(d[1].line, 10);
    }

    #[test]
    fn parses_ruff_and_eslint_json_and_skips_notes() {
        let ruff = r#"[{"code": "F401", "message": "`os` imported but unused",
            "filename": "/abs/a.py", "location": {"row": 1, "column": 8},
            "end_location": {"row": 1, "column": 10}}]"#;
        let d = parse(ruff);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].path.as_str(), d[0].line, d[0].column),
            ("/abs/a.py", 1, Some(8))
        );
        assert_eq!(d[0].message, "F401 `os` imported but unused");
        let eslint = r#"[{"filePath": "/r/web/x.js", "messages": [
            {"ruleId": "no-unused-vars", "line": 3, "column": 5, "message": "'y' is unused"},
            {"ruleId": null, "message": "Parsing error without a line"}]}]"#;
        let d = parse(eslint);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "no-unused-vars 'y' is unused");
        assert_eq!(d[0].line, 3);
        let mypy = "m.py:3: error: Bad  [x]\nm.py:3: note: See https://example\n";
        assert_eq!(parse(mypy).len(), 1);
    }

    #[test]
    fn only_diagnostics_on_added_lines_block() {
        let changed = [
            file("m.py", ChangeKind::Modified, &[(5, 6)]),
            file("new.py", ChangeKind::Added, &[(1, 3)]),
        ];
        let out = "m.py:5:1: E1 on an added line\nm.py:1:1: E2 old line\nnew.py:40:1: E3 new file\nold.py:2:1: E4 untouched\n";
        let r = judge("lint", "ruff check .", out, &changed).unwrap();
        assert_eq!(r.verdict, Verdict::Fail);
        let blocking: Vec<_> = r.findings.iter().filter(|f| f.attributable).collect();
        assert_eq!(blocking.len(), 2);
        assert!(blocking[0].message.contains("m.py:5:1: E1"));
        assert!(blocking[1].message.contains("new.py:40:1"));
        let other: Vec<_> = r.findings.iter().filter(|f| !f.attributable).collect();
        assert_eq!(other.len(), 2);
        assert!(other.iter().all(|f| f.severity == Severity::Warning));
        assert_eq!(other[0].locations[0].line, Some(1));
        assert!(r.summary.contains("2 diagnostic(s)") && r.summary.contains("2 elsewhere"));
    }

    #[test]
    fn a_failure_with_only_pre_existing_diagnostics_warns() {
        let changed = [file("m.py", ChangeKind::Modified, &[(5, 5)])];
        let r = judge("lint", "ruff check .", "./m.py:9:1: E1 old\n", &changed).unwrap();
        assert_eq!(r.verdict, Verdict::Warn);
        assert!(!r.findings[0].attributable);
        assert!(r.summary.contains("did not add"), "{}", r.summary);
    }

    #[test]
    fn absolute_paths_match_changed_files_by_suffix() {
        let changed = [file("web/x.js", ChangeKind::Modified, &[(3, 3)])];
        let r = judge(
            "lint",
            "eslint",
            "/tmp/cand-1/web/x.js:3:5: bad\n",
            &changed,
        )
        .unwrap();
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.findings[0].locations[0].path, "web/x.js");
        assert_eq!(r.findings[0].locations[0].column, Some(5));
        // A suffix inside a name is not a match.
        let r = judge(
            "lint",
            "eslint",
            "/tmp/cand-1/xweb/x.js:3:5: bad\n",
            &changed,
        )
        .unwrap();
        assert_eq!(r.verdict, Verdict::Warn);
    }

    #[test]
    fn unparsable_output_is_left_to_the_exit_code() {
        assert!(judge("lint", "x", "something went wrong\n", &[]).is_none());
    }
}
