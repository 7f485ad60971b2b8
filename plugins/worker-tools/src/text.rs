//! Pure text operations behind the file tools (no host calls), so they are unit-tested
//! natively: path checks, line ranges, exact-match edits, context-verified patches, fnmatch.

pub const TRAVERSAL: &str = "Path traversal attempt blocked.";

/// Normalise a model-supplied path to a root-relative one: `""`/`"."` is the root, `./` and
/// duplicate slashes are dropped. Absolute paths and `..` components are refused (the host
/// jail refuses them too, and symlinks that leave the root; this gives the model a clear
/// message before any host call).
pub fn rel_path(path: &str) -> Result<String, String> {
    let p = path.trim();
    if p.starts_with('/') || p.starts_with('\\') || p.contains('\0') {
        return Err(TRAVERSAL.into());
    }
    let mut parts = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(TRAVERSAL.into()),
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

/// Whether a root-relative path is governor-owned. A worker write to one is refused at the
/// tool (settlement would reject it anyway, but only after the whole attempt was spent); the
/// list is the scope gate's ([`dgov_sdk::scope::is_reserved`]).
pub fn governor_owned(rel: &str) -> bool {
    dgov_sdk::scope::is_reserved(rel)
}

/// Lines `start..=end` (1-based; `end == 0` means to the end), each prefixed `"<n>: "` and
/// keeping its own line ending. `start <= 0` returns the whole text.
pub fn line_range(text: &str, start: i64, end: i64) -> String {
    if start <= 0 {
        return text.to_string();
    }
    let mut out = String::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let n = i as i64 + 1;
        if n < start {
            continue;
        }
        if end > 0 && n > end {
            break;
        }
        out.push_str(&format!("{n}: {line}"));
    }
    out
}

/// Replace the single exact occurrence of `old` in `text`.
pub fn edit(text: &str, old: &str, new: &str, path: &str) -> Result<String, String> {
    if old.is_empty() {
        return Err(format!(
            "old_text must not be empty; quote the exact text to replace in {path}."
        ));
    }
    let n = text.matches(old).count();
    match n {
        0 => Err(format!("old_text not found in {path}.")),
        1 => Ok(text.replacen(old, new, 1)),
        n => Err(format!(
            "old_text matches {n} locations in {path}. Be more specific."
        )),
    }
}

fn strip_eol(s: &str) -> &str {
    s.strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(s)
}

/// Apply a unified diff to `text`. Unlike the original, context (` `) and removed (`-`)
/// lines are checked against the file, hunks must be in order, and any mismatch refuses the
/// whole patch with the line that differs — a wrong patch never half-applies.
pub fn apply_patch(text: &str, patch: &str) -> Result<String, String> {
    let orig: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut cursor = 0usize;
    let mut in_hunk = false;
    let mut hunks = 0;
    for pline in patch.split_inclusive('\n') {
        let body = strip_eol(pline);
        if !in_hunk
            && (body.starts_with("---") || body.starts_with("+++") || body.starts_with("diff "))
        {
            continue;
        }
        if let Some(rest) = body.strip_prefix("@@") {
            let start =
                parse_hunk_start(rest).ok_or_else(|| format!("Malformed hunk header: {body}"))?;
            let target = start.saturating_sub(1);
            // `@@ -0,0 …` inserts at the top of the file.
            if target < cursor {
                return Err(format!(
                    "hunks are out of order or overlap at `{body}` (already past line {cursor})"
                ));
            }
            if target > orig.len() {
                return Err(format!(
                    "hunk `{body}` starts at line {start}, but the file has {} lines",
                    orig.len()
                ));
            }
            for l in &orig[cursor..target] {
                out.push_str(l);
            }
            cursor = target;
            in_hunk = true;
            hunks += 1;
            continue;
        }
        if !in_hunk {
            continue;
        }
        let (tag, content) = match body.chars().next() {
            Some(c @ (' ' | '-' | '+')) => (c, &pline[1..]),
            Some('\\') => continue, // "\ No newline at end of file"
            // Models often drop the space of an empty context line.
            None => (' ', pline),
            Some(_) => {
                return Err(format!(
                    "unexpected line in hunk (must start with ' ', '-' or '+'): {body}"
                ));
            }
        };
        match tag {
            '+' => {
                out.push_str(content);
                if !content.ends_with('\n') {
                    out.push('\n');
                }
            }
            _ => {
                let Some(have) = orig.get(cursor) else {
                    return Err(format!(
                        "patch expects more lines than the file has (line {})",
                        cursor + 1
                    ));
                };
                if strip_eol(have) != strip_eol(content) {
                    return Err(format!(
                        "context mismatch at line {}: patch expects {:?}, file has {:?}",
                        cursor + 1,
                        strip_eol(content),
                        strip_eol(have)
                    ));
                }
                if tag == ' ' {
                    out.push_str(have);
                }
                cursor += 1;
            }
        }
    }
    if hunks == 0 {
        return Err("patch has no hunks (expected lines starting with `@@ -N`)".into());
    }
    for l in &orig[cursor..] {
        out.push_str(l);
    }
    Ok(out)
}

fn parse_hunk_start(rest: &str) -> Option<usize> {
    let minus = rest.trim_start().strip_prefix('-')?;
    let digits: String = minus.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// fnmatch (`*` crosses `/`, `?`, `[...]`) translated to an anchored regex.
pub fn fnmatch_regex(pattern: &str) -> String {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '[' => {
                let mut class = String::new();
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == ']' && !class.is_empty() {
                        closed = true;
                        break;
                    }
                    class.push(d);
                }
                if closed {
                    re.push('[');
                    if let Some(rest) = class.strip_prefix('!') {
                        re.push('^');
                        re.push_str(&rest.replace('\\', "\\\\"));
                    } else {
                        re.push_str(&class.replace('\\', "\\\\"));
                    }
                    re.push(']');
                } else {
                    re.push_str(&regex_escape(&format!("[{class}")));
                }
            }
            other => re.push_str(&regex_escape(&other.to_string())),
        }
    }
    re.push('$');
    re
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether any component of a relative path is hidden (starts with `.`).
pub fn hidden(rel: &str) -> bool {
    rel.split('/').any(|c| c.starts_with('.'))
}

/// POSIX shell single-quoting.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_path_refuses_escapes_and_normalises() {
        assert_eq!(rel_path("./a//b/").unwrap(), "a/b");
        assert_eq!(rel_path(".").unwrap(), "");
        assert_eq!(rel_path("").unwrap(), "");
        for bad in ["/etc/passwd", "../x", "a/../../x", "a/..", "\\x"] {
            assert_eq!(rel_path(bad).unwrap_err(), TRAVERSAL, "{bad}");
        }
    }

    #[test]
    fn governor_owned_paths_are_recognised() {
        assert!(governor_owned(".sentrux/baseline.json"));
        assert!(governor_owned(".dgov/state.db"));
        assert!(governor_owned(".git/config"));
        assert!(governor_owned(".coverage-baseline/x"));
        assert!(!governor_owned(".dgov/plans/x.toml"));
        assert!(!governor_owned("src/baseline.json"));
    }

    #[test]
    fn line_range_numbers_lines_and_keeps_endings() {
        let t = "a\nb\nc\n";
        assert_eq!(line_range(t, 0, 2), t);
        assert_eq!(line_range(t, 2, 0), "2: b\n3: c\n");
        assert_eq!(line_range(t, 1, 1), "1: a\n");
        assert_eq!(line_range(t, 3, 1), "");
    }

    #[test]
    fn edit_requires_exactly_one_match() {
        assert_eq!(edit("x = 1\n", "1", "2", "f").unwrap(), "x = 2\n");
        assert_eq!(
            edit("a a", "a", "b", "f").unwrap_err(),
            "old_text matches 2 locations in f. Be more specific."
        );
        assert_eq!(
            edit("a", "z", "b", "f").unwrap_err(),
            "old_text not found in f."
        );
        assert!(edit("a", "", "b", "f").is_err());
    }

    #[test]
    fn patch_applies_when_context_matches() {
        let orig = "one\ntwo\nthree\nfour\n";
        let p = "--- a/f\n+++ b/f\n@@ -2,2 +2,2 @@\n two\n-three\n+THREE\n";
        assert_eq!(apply_patch(orig, p).unwrap(), "one\ntwo\nTHREE\nfour\n");
    }

    #[test]
    fn patch_with_wrong_context_is_refused_unlike_the_original() {
        let orig = "one\ntwo\nthree\n";
        let p = "@@ -1,2 +1,2 @@\n one\n-TWO\n+2\n";
        let err = apply_patch(orig, p).unwrap_err();
        assert!(err.contains("context mismatch at line 2"), "{err}");
        let p = "@@ -1 +1 @@\n zero\n";
        assert!(apply_patch(orig, p).unwrap_err().contains("line 1"));
    }

    #[test]
    fn patch_rejects_out_of_order_hunks_and_bad_headers() {
        let orig = "a\nb\nc\n";
        let p = "@@ -3 +3 @@\n-c\n+C\n@@ -1 +1 @@\n-a\n+A\n";
        assert!(apply_patch(orig, p).unwrap_err().contains("out of order"));
        assert!(
            apply_patch(orig, "@@ x @@\n")
                .unwrap_err()
                .starts_with("Malformed hunk header")
        );
        assert!(
            apply_patch(orig, "just text\n")
                .unwrap_err()
                .contains("no hunks")
        );
    }

    #[test]
    fn patch_can_insert_at_top_and_handles_multiple_hunks() {
        let orig = "a\nb\nc\nd\n";
        let p = "@@ -0,0 +1 @@\n+top\n@@ -2 +3 @@\n-b\n+B\n@@ -4 +5 @@\n d\n+e\n";
        assert_eq!(apply_patch(orig, p).unwrap(), "top\na\nB\nc\nd\ne\n");
    }

    #[test]
    fn fnmatch_star_crosses_slashes() {
        let re = regex::Regex::new(&fnmatch_regex("src/*.rs")).unwrap();
        assert!(re.is_match("src/a/b.rs"));
        assert!(!re.is_match("src/a.py"));
        let re = regex::Regex::new(&fnmatch_regex("[!a]?.txt")).unwrap();
        assert!(re.is_match("bc.txt"));
        assert!(!re.is_match("ac.txt"));
        let re = regex::Regex::new(&fnmatch_regex("a+b(1).md")).unwrap();
        assert!(re.is_match("a+b(1).md"));
    }

    #[test]
    fn shell_quote_is_safe() {
        assert_eq!(shell_quote("tests/a.py"), "tests/a.py");
        assert_eq!(shell_quote("tests/a b.py"), "'tests/a b.py'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
