//! Type-check diagnostic diffing: parses diagnostic identities `(relative file, code)` from
//! common checker outputs and judges a type check against the diagnostics of the baseline
//! revision, so a task is failed only for diagnostics it introduced.
//!
//! Recognised formats (errors only; warnings and notes are ignored):
//! - rustc / cargo / ty / ruff full: `error[CODE]: message` followed by `--> path:line:col`
//!   (each header is paired with the first location *after it and before the next header*, so a
//!   header without a location is dropped instead of shifting every later pairing — the
//!   original paired the i-th code with the i-th location);
//! - mypy: `path:line[:col]: error: message  [code]`;
//! - tsc: `path(line,col): error TS1234: message`;
//! - pyright: `path:line:col - error: message (ruleName)`;
//! - go and other compilers: `path:line[:col]: message`.
//!
//! Without an explicit code the identity uses a normalised message (quoted names and numbers
//! removed, lower case), which is stable across line shifts. Absolute paths are made
//! relative by the longest suffix that exists in the tree.

use std::collections::BTreeSet;

use dgov_sdk::gate::*;
use serde::Deserialize;

/// Pre-existing diagnostics listed (as non-attributable warnings) at most.
pub const MAX_PREEXISTING: usize = 20;
/// New diagnostics listed at most (the summary counts all of them).
pub const MAX_NEW: usize = 100;

/// One parsed diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub line: Option<u32>,
    pub code: String,
    pub message: String,
}

impl Diagnostic {
    pub fn identity(&self) -> (String, String) {
        (self.path.clone(), self.code.clone())
    }
}

/// A finding of the baseline run as the host passes it in `baseline_findings`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BaselineFinding {
    pub code: String,
    pub path: Option<String>,
    /// The finding's evidence; the type-check gate puts `{path, code}` of the diagnostic here.
    pub evidence: Option<serde_json::Value>,
}

impl BaselineFinding {
    /// The diagnostic identity the finding stands for (evidence first, else its location and code).
    pub fn identity(&self) -> Option<(String, String)> {
        if let Some(ev) = &self.evidence {
            let path = ev.get("path").and_then(|p| p.as_str());
            let code = ev.get("code").and_then(|c| c.as_str());
            if let (Some(p), Some(c)) = (path, code) {
                return Some((p.to_owned(), c.to_owned()));
            }
        }
        Some((self.path.clone()?, self.code.clone()))
    }
}

/// Stable code for a diagnostic without one: the message without quoted names, numbers and
/// punctuation runs, lower case, at most 80 characters.
pub fn normalise_message(message: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '`' | '"' | '\'' | '‘' | '“') => {
                quote = Some(match c {
                    '‘' => '’',
                    '“' => '”',
                    c => c,
                })
            }
            None if c.is_ascii_digit() => {}
            None if c.is_alphanumeric() || c == '_' || c == '-' => out.extend(c.to_lowercase()),
            None => {
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
        }
    }
    let t = out.trim();
    let end = t.char_indices().nth(80).map_or(t.len(), |(i, _)| i);
    let t = t[..end].trim();
    if t.is_empty() {
        "error".to_owned()
    } else {
        t.to_owned()
    }
}

/// Make a checker path relative to the tree: strip `./`; an absolute path becomes its longest
/// suffix that `exists` in the tree (or stays as is when none does).
pub fn relative_path(path: &str, exists: &dyn Fn(&str) -> bool) -> String {
    let p = path.trim();
    let p = p.strip_prefix("./").unwrap_or(p);
    if !p.starts_with('/') {
        return p.to_owned();
    }
    let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
    for i in 0..parts.len() {
        let candidate = parts[i..].join("/");
        if exists(&candidate) {
            return candidate;
        }
    }
    p.to_owned()
}

/// Whether `s` looks like a file path a checker reports (no spaces, a file name with an
/// extension), to keep `12:30:45`-like text and prose out.
fn looks_like_path(s: &str) -> bool {
    if s.is_empty() || s.chars().any(char::is_whitespace) {
        return false;
    }
    let name = s.rsplit(['/', '\\']).next().unwrap_or(s);
    match name.rfind('.') {
        Some(i) => {
            i > 0 && i + 1 < name.len() && name[i + 1..].chars().all(|c| c.is_alphanumeric())
        }
        None => false,
    }
}

/// `path:line[:col]` → (path, line).
fn parse_location(loc: &str) -> Option<(String, u32)> {
    let loc = loc.trim();
    let mut parts = loc.rsplitn(3, ':');
    let last = parts.next()?;
    let mid = parts.next()?;
    match parts.next() {
        Some(path) if last.parse::<u32>().is_ok() => {
            let line = mid.parse::<u32>().ok()?;
            looks_like_path(path).then(|| (path.to_owned(), line))
        }
        _ => {
            let line = last.parse::<u32>().ok()?;
            looks_like_path(mid).then(|| (mid.to_owned(), line))
        }
    }
}

/// A code-like token: letters then digits (`E501`, `TS2322`, `F401`), no lower case after
/// the first letter.
fn code_like(word: &str) -> bool {
    let letters = word.chars().take_while(|c| c.is_ascii_uppercase()).count();
    letters >= 1 && letters < word.len() && word[letters..].chars().all(|c| c.is_ascii_digit())
}

/// Split a trailing `[code]` or `(ruleName)` off a message.
fn trailing_code(message: &str) -> (String, Option<String>) {
    let m = message.trim_end();
    for (open, close) in [('[', ']'), ('(', ')')] {
        if m.ends_with(close)
            && let Some(i) = m.rfind(open)
        {
            let code = &m[i + 1..m.len() - 1];
            if !code.is_empty()
                && code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return (m[..i].trim_end().to_owned(), Some(code.to_owned()));
            }
        }
    }
    (m.to_owned(), None)
}

fn header(line: &str) -> Option<(bool, Option<String>, String)> {
    // `error[CODE]: msg`, `error: msg`, `warning[...]: msg` (the latter only to end a block).
    let t = line.trim_start();
    let (is_error, rest) = if let Some(r) = t.strip_prefix("error") {
        (true, r)
    } else if let Some(r) = t.strip_prefix("warning") {
        (false, r)
    } else {
        return None;
    };
    if let Some(r) = rest.strip_prefix('[') {
        let end = r.find(']')?;
        let msg = r[end + 1..].strip_prefix(':')?;
        return Some((is_error, Some(r[..end].to_owned()), msg.trim().to_owned()));
    }
    let msg = rest.strip_prefix(':')?;
    Some((is_error, None, msg.trim().to_owned()))
}

/// A one-line diagnostic (mypy, tsc, pyright, go, ruff concise), errors only.
fn one_line(line: &str) -> Option<(String, u32, String, String)> {
    let t = line.trim();
    // tsc: path(line,col): error TS1234: msg
    if let Some(open) = t.find('(')
        && let Some(close_rel) = t[open..].find("):")
    {
        let path = &t[..open];
        let inside = &t[open + 1..open + close_rel];
        let rest = t[open + close_rel + 2..].trim();
        if looks_like_path(path)
            && let Some(l) = inside.split(',').next().and_then(|n| n.trim().parse().ok())
        {
            let rest = rest.strip_prefix("error")?.trim_start();
            let (code, msg) = match rest.split_once(':') {
                Some((c, m)) if code_like(c.trim()) => (c.trim().to_owned(), m.trim().to_owned()),
                _ => (
                    String::new(),
                    rest.trim_start_matches(':').trim().to_owned(),
                ),
            };
            let code = if code.is_empty() {
                normalise_message(&msg)
            } else {
                code
            };
            return Some((path.to_owned(), l, code, msg));
        }
    }
    // pyright: path:line:col - error: msg (rule)
    if let Some((loc, rest)) = t.split_once(" - ")
        && let Some((path, l)) = parse_location(loc)
    {
        let msg = rest.trim().strip_prefix("error:")?.trim();
        let (msg, code) = trailing_code(msg);
        let code = code.unwrap_or_else(|| normalise_message(&msg));
        return Some((path, l, code, msg));
    }
    // path:line[:col]: rest
    let mut idx = 0;
    let mut found = None;
    while let Some(i) = t[idx..].find(": ") {
        let at = idx + i;
        if let Some(loc) = parse_location(&t[..at]) {
            found = Some((loc, t[at + 2..].trim()));
            break;
        }
        idx = at + 2;
    }
    let ((path, l), rest) = found?;
    let rest = if let Some(r) = rest.strip_prefix("error:") {
        r.trim()
    } else if rest.starts_with("warning:") || rest.starts_with("note:") || rest.starts_with("info:")
    {
        return None;
    } else {
        rest
    };
    let (msg, code) = trailing_code(rest);
    let code = code.or_else(|| {
        let first = msg.split_whitespace().next()?;
        let first = first.trim_end_matches(':');
        code_like(first).then(|| first.to_owned())
    });
    let code = code.unwrap_or_else(|| normalise_message(&msg));
    Some((path, l, code, msg))
}

/// Parse every error diagnostic in a checker's output (in order, duplicates kept).
pub fn parse(output: &str, exists: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // An open `error[...]` block waiting for its `-->` location.
    let mut open: Option<(String, String)> = None;
    for line in output.lines() {
        if let Some((is_error, code, msg)) = header(line) {
            open = is_error.then(|| {
                let code = code.unwrap_or_else(|| normalise_message(&msg));
                (code, msg)
            });
            continue;
        }
        let t = line.trim_start();
        if let Some(loc) = t.strip_prefix("-->").or_else(|| t.strip_prefix("┌─")) {
            if let Some((code, message)) = open.take()
                && let Some((path, l)) = parse_location(loc)
            {
                out.push(Diagnostic {
                    path: relative_path(&path, exists),
                    line: Some(l),
                    code,
                    message,
                });
            }
            continue;
        }
        if let Some((path, l, code, message)) = one_line(line) {
            out.push(Diagnostic {
                path: relative_path(&path, exists),
                line: Some(l),
                code,
                message,
            });
        }
    }
    out
}

/// First occurrence of each identity, in order.
pub fn distinct(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    let mut seen = BTreeSet::new();
    diags.iter().filter(|d| seen.insert(d.identity())).collect()
}

fn finding(d: &Diagnostic, code: &str, message: String, error: bool) -> Finding {
    let f = if error {
        Finding::error(code, &message)
    } else {
        Finding::warning(code, &message).pre_existing()
    };
    let f = match d.line {
        Some(l) => f.at(&d.path, l),
        None => f.in_file(&d.path),
    };
    f.with_evidence(serde_json::json!({"path": d.path, "code": d.code}))
}

/// Judge a finished type check against `baseline` identities (`None` = no baseline: every
/// diagnostic counts as new). `full` lists every diagnostic uncapped (the host's baseline run,
/// whose findings become the next run's baseline). `None` when there is nothing to diff
/// (passing or timed-out run, or no parseable diagnostic): judge by exit code instead.
pub fn judge(
    command: &str,
    failed: bool,
    diags: &[Diagnostic],
    baseline: Option<&BTreeSet<(String, String)>>,
    full: bool,
) -> Option<GateReport> {
    if !failed || diags.is_empty() {
        return None;
    }
    let all = distinct(diags);
    let (new, old): (Vec<&Diagnostic>, Vec<&Diagnostic>) = all
        .iter()
        .partition(|d| baseline.is_none_or(|b| !b.contains(&d.identity())));
    let (max_new, max_old) = if full {
        (usize::MAX, usize::MAX)
    } else {
        (MAX_NEW, MAX_PREEXISTING)
    };
    let mut findings: Vec<Finding> = new
        .iter()
        .take(max_new)
        .map(|d| {
            let msg = format!(
                "new type-check diagnostic [{}] in {}: {}",
                d.code, d.path, d.message
            );
            finding(d, "typecheck_failed", msg, true)
        })
        .collect();
    findings.extend(old.iter().take(max_old).map(|d| {
        let msg = format!(
            "pre-existing type-check diagnostic [{}] in {}: {}",
            d.code, d.path, d.message
        );
        finding(d, "typecheck_preexisting", msg, false)
    }));
    let mut report = GateReport::from_findings(findings);
    let base_note = if baseline.is_none() {
        " (no baseline)"
    } else {
        ""
    };
    report.summary = if new.is_empty() {
        format!(
            "typecheck: `{command}` reports only pre-existing diagnostics ({} distinct), none new",
            all.len()
        )
    } else {
        format!(
            "Type check failure ({} new diagnostic(s), {} total){base_note}",
            new.len(),
            all.len()
        )
    };
    Some(report)
}

/// The identity set of the host's `baseline_findings`.
pub fn baseline_identities(findings: &[BaselineFinding]) -> BTreeSet<(String, String)> {
    findings.iter().filter_map(|f| f.identity()).collect()
}

/// Judge a finished type-check run of the gate (in the plugin): diff its diagnostics against
/// `baseline_findings`; `None` = judge by exit code.
pub fn judge_run(
    config: &crate::Config,
    command: &str,
    failed: bool,
    timed_out: bool,
    output: &str,
) -> Option<GateReport> {
    if timed_out {
        return None;
    }
    let diags = parse(output, &|p: &str| dgov_sdk::host::exists(p));
    let baseline = config.baseline_findings.as_deref().map(baseline_identities);
    let mut report = judge(
        command,
        failed,
        &diags,
        baseline.as_ref(),
        config.baseline_run,
    )?;
    if !config.baseline_error.is_empty() {
        report.summary = format!("{} ({})", report.summary, config.baseline_error);
    }
    Some(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> bool {
        false
    }

    fn ids(output: &str) -> Vec<(String, String)> {
        parse(output, &none).iter().map(|d| d.identity()).collect()
    }

    fn pair(p: &str, c: &str) -> (String, String) {
        (p.into(), c.into())
    }

    #[test]
    fn rustc_and_ty_blocks_pair_each_error_with_its_own_location() {
        let out = "\
error[E0308]: mismatched types
 --> src/lib.rs:3:5
  |
error: aborting due to previous error
warning[W1]: unused
 --> src/w.rs:1:1
error[invalid-assignment]: Object of type `int` is not assignable
   --> /tmp/x/app/main.py:10:1
error[E0425]: cannot find value `x`
  --> src/b.rs:7:9
";
        // `aborting` has no location and must not steal E0425's or shift anything.
        assert_eq!(
            ids(out),
            [
                pair("src/lib.rs", "E0308"),
                pair("/tmp/x/app/main.py", "invalid-assignment"),
                pair("src/b.rs", "E0425"),
            ]
        );
        let d = &parse(out, &none)[0];
        assert_eq!((d.line, d.message.as_str()), (Some(3), "mismatched types"));
    }

    #[test]
    fn absolute_paths_become_the_longest_existing_suffix() {
        let exists = |p: &str| p == "app/main.py";
        assert_eq!(relative_path("/tmp/x/app/main.py", &exists), "app/main.py");
        assert_eq!(relative_path("./app/main.py", &exists), "app/main.py");
        assert_eq!(relative_path("/nowhere/z.py", &exists), "/nowhere/z.py");
    }

    #[test]
    fn mypy_tsc_pyright_and_go_lines() {
        let out = "\
src/a.py:12: error: Incompatible return value type (got \"int\", expected \"str\")  [return-value]
src/a.py:14: note: See https://example
src/b.py:3:7: error: Name \"y\" is not defined  [name-defined]
Found 2 errors in 2 files (checked 5 source files)
web/app.ts(4,11): error TS2322: Type 'number' is not assignable to type 'string'.
  /home/u/p/lib/c.py:5:3 - error: \"foo\" is not a known attribute (reportAttributeAccessIssue)
  /home/u/p/lib/c.py:6:3 - warning: unused (reportUnused)
./cmd/main.go:9:2: undefined: fooBar
x.py:1:1: F401 [*] `os` imported but unused
12:30:45 build started
";
        assert_eq!(
            ids(out),
            [
                pair("src/a.py", "return-value"),
                pair("src/b.py", "name-defined"),
                pair("web/app.ts", "TS2322"),
                pair("/home/u/p/lib/c.py", "reportAttributeAccessIssue"),
                pair("cmd/main.go", "undefined foobar"),
                pair("x.py", "F401"),
            ]
        );
    }

    #[test]
    fn codes_without_names_are_stable_across_renamed_symbols_and_numbers() {
        assert_eq!(
            normalise_message("undefined: `fooBar` at 12"),
            normalise_message("undefined: `other` at 99")
        );
        assert_ne!(
            normalise_message("undefined: fooBar"),
            normalise_message("missing return")
        );
    }

    fn diag(p: &str, l: u32, c: &str) -> Diagnostic {
        Diagnostic {
            path: p.into(),
            line: Some(l),
            code: c.into(),
            message: "m".into(),
        }
    }

    #[test]
    fn only_identities_absent_from_the_baseline_fail() {
        let baseline = BTreeSet::from([pair("a.py", "E1")]);
        // Same code on a shifted line: pre-existing, passes.
        let r = judge("tc", true, &[diag("a.py", 9, "E1")], Some(&baseline), false).unwrap();
        assert_eq!(r.verdict, Verdict::Pass, "{}", r.summary);
        assert!(!r.findings[0].attributable);
        // A different code in the same file: new.
        let diags = [
            diag("a.py", 3, "E1"),
            diag("a.py", 4, "E2"),
            diag("b.py", 1, "E2"),
        ];
        let r = judge("tc", true, &diags, Some(&baseline), false).unwrap();
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(
            r.summary,
            "Type check failure (2 new diagnostic(s), 3 total)"
        );
        let new: Vec<_> = r.findings.iter().filter(|f| f.attributable).collect();
        assert_eq!(new.len(), 2);
        assert_eq!(new[0].locations[0].path, "a.py");
        // Passing run or nothing parseable: exit-code judging.
        assert!(judge("tc", false, &diags, Some(&baseline), false).is_none());
        assert!(judge("tc", true, &[], Some(&baseline), false).is_none());
    }

    #[test]
    fn pre_existing_findings_are_capped_but_a_full_run_lists_everything() {
        let diags: Vec<_> = (0..50).map(|i| diag(&format!("f{i}.py"), 1, "E")).collect();
        let baseline: BTreeSet<_> = diags.iter().map(|d| d.identity()).collect();
        let r = judge("tc", true, &diags, Some(&baseline), false).unwrap();
        assert_eq!(r.findings.len(), MAX_PREEXISTING);
        let r = judge("tc", true, &diags, None, true).unwrap();
        assert_eq!(r.findings.len(), 50);
        // The findings of a full run round-trip into the same identity set.
        let back: Vec<BaselineFinding> = r
            .findings
            .iter()
            .map(|f| BaselineFinding {
                code: f.code.clone(),
                path: f.locations.first().map(|l| l.path.clone()),
                evidence: f
                    .evidence_json
                    .as_deref()
                    .and_then(|e| serde_json::from_str(e).ok()),
            })
            .collect();
        assert_eq!(baseline_identities(&back), baseline);
    }
}
