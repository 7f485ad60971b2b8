//! Pure search logic behind `ripgrep`, `find_references` and `search_tests_for`: flag
//! parsing, pattern building, the test-file heuristic and output shaping (no host calls).

use regex::Regex;

/// Flags `ripgrep` understands (a native subset of rg's).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// `-i`: case-insensitive.
    pub ignore_case: bool,
    /// `-w`: whole words only.
    pub word: bool,
    /// `-F`: the pattern is a literal string, not a regex.
    pub fixed: bool,
    /// `-l`: print only the names of files with a match.
    pub files_only: bool,
    /// `-c`: print `path:count` per file with a match.
    pub count: bool,
}

pub const SUPPORTED_FLAGS: &str = "-i, -w, -F, -l, -c";

/// Parse a flags string such as `"-i -w"` or `"-iw"`. Unknown flags are an error naming
/// them (the model otherwise believes e.g. `-g` or `--type` filtered its search).
pub fn parse_flags(flags: &str) -> Result<Flags, String> {
    let mut f = Flags::default();
    let mut unknown = Vec::new();
    for tok in flags.split_whitespace() {
        let long = match tok {
            "--ignore-case" => Some('i'),
            "--word-regexp" => Some('w'),
            "--fixed-strings" => Some('F'),
            "--files-with-matches" => Some('l'),
            "--count" => Some('c'),
            _ => None,
        };
        let letters: Vec<char> = match long {
            Some(c) => vec![c],
            None if tok.starts_with('-') && !tok.starts_with("--") && tok.len() > 1 => {
                tok[1..].chars().collect()
            }
            None => {
                unknown.push(tok.to_string());
                continue;
            }
        };
        for c in letters {
            match c {
                'i' => f.ignore_case = true,
                'w' => f.word = true,
                'F' => f.fixed = true,
                'l' => f.files_only = true,
                'c' => f.count = true,
                other => unknown.push(if long.is_some() {
                    tok.to_string()
                } else {
                    format!("-{other}")
                }),
            }
        }
    }
    if !unknown.is_empty() {
        return Err(format!(
            "ripgrep: unsupported flag(s) {}; supported flags are {SUPPORTED_FLAGS}.",
            unknown.join(" ")
        ));
    }
    if f.files_only && f.count {
        return Err("ripgrep: flags -l and -c cannot be combined.".into());
    }
    Ok(f)
}

/// Build the regex for `pattern` under `flags`.
pub fn build_regex(pattern: &str, flags: Flags) -> Result<Regex, String> {
    let mut p = if flags.fixed {
        regex::escape(pattern)
    } else {
        pattern.to_string()
    };
    if flags.word {
        p = format!(r"\b(?:{p})\b");
    }
    if flags.ignore_case {
        p = format!("(?i){p}");
    }
    Regex::new(&p).map_err(|e| format!("ripgrep: invalid regex: {e}"))
}

/// A regex matching `symbol` as a whole word. A boundary is only required on a side where the
/// symbol starts/ends with a word character (`\b$x\b` would never match `$x`).
pub fn word_regex(symbol: &str) -> Result<Regex, String> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut p = String::new();
    if word(symbol.chars().next()) {
        p.push_str(r"\b");
    }
    p.push_str(&regex::escape(symbol));
    if word(symbol.chars().last()) {
        p.push_str(r"\b");
    }
    Regex::new(&p).map_err(|e| format!("Invalid symbol: {e}"))
}

/// Whether a root-relative path is a test file, by convention (the host does not pass the
/// project's `test_dir` to these tools): a directory component `tests`, `test`, `__tests__`
/// or `spec`; a name `test_*`; a stem ending `_test` (Go, Python); or a name containing
/// `.test.` or `.spec.` (JS/TS).
pub fn is_test_path(rel: &str) -> bool {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let name = parts.pop().unwrap_or("");
    if parts
        .iter()
        .any(|d| matches!(*d, "tests" | "test" | "__tests__" | "spec"))
    {
        return true;
    }
    let stem = name.split('.').next().unwrap_or(name);
    name.starts_with("test_")
        || stem.ends_with("_test")
        || name.contains(".test.")
        || name.contains(".spec.")
}

/// Directories never searched: dependency and cache trees (hidden components are skipped too).
pub fn skipped(rel: &str) -> bool {
    crate::text::hidden(rel)
        || rel
            .split('/')
            .any(|c| matches!(c, "node_modules" | "__pycache__" | "target"))
        || [".pyc", ".pyo", ".so", ".dylib"]
            .iter()
            .any(|e| rel.ends_with(e))
}

/// Per-file hits `(line number, line)` of `re` in `text`.
pub fn hits(re: &Regex, text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| re.is_match(l))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

/// The `search_tests_for` report: a header, then per file at most `per_file` hits.
pub fn tests_report(
    symbol: &str,
    files: &[(String, Vec<(usize, String)>)],
    per_file: usize,
) -> String {
    if files.is_empty() {
        return format!("No test files reference '{symbol}'.");
    }
    let mut out = format!("Tests referencing '{symbol}':");
    for (f, hs) in files {
        out.push_str(&format!("\n  {f}:"));
        for (n, l) in hs.iter().take(per_file) {
            out.push_str(&format!("\n    {n}: {}", l.trim()));
        }
        if hs.len() > per_file {
            out.push_str(&format!("\n    ... +{} more", hs.len() - per_file));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_separately_combined_and_long() {
        let f = parse_flags("-i -w").unwrap();
        assert!(f.ignore_case && f.word && !f.fixed);
        let f = parse_flags("-iF --count").unwrap();
        assert!(f.ignore_case && f.fixed && f.count);
        assert_eq!(parse_flags("").unwrap(), Flags::default());
    }

    #[test]
    fn unknown_flags_are_named_in_the_error() {
        let e = parse_flags("-i -g '*.rs' --type rust -x").unwrap_err();
        assert!(e.contains("-g"), "{e}");
        assert!(e.contains("--type"), "{e}");
        assert!(e.contains("-x"), "{e}");
        assert!(e.contains(SUPPORTED_FLAGS), "{e}");
        assert!(parse_flags("-lc").unwrap_err().contains("-l and -c"));
    }

    #[test]
    fn regex_honours_fixed_word_and_case() {
        let f = parse_flags("-F").unwrap();
        assert!(build_regex("a.b", f).unwrap().is_match("xa.by"));
        assert!(!build_regex("a.b", f).unwrap().is_match("axb"));
        let w = parse_flags("-w -i").unwrap();
        let re = build_regex("foo", w).unwrap();
        assert!(re.is_match("call FOO()"));
        assert!(!re.is_match("foobar"));
        assert!(build_regex("(", Flags::default()).is_err());
    }

    #[test]
    fn word_regex_needs_boundaries_only_on_word_sides() {
        let re = word_regex("parse").unwrap();
        assert!(re.is_match("x = parse(1)"));
        assert!(!re.is_match("parser"));
        assert!(!re.is_match("reparse"));
        let re = word_regex("$x").unwrap();
        assert!(re.is_match("echo $x;"));
        let re = word_regex("a.b").unwrap();
        assert!(!re.is_match("axb"), "the symbol is literal");
    }

    #[test]
    fn test_paths_by_convention() {
        for t in [
            "tests/a.rs",
            "pkg/test/x.py",
            "src/__tests__/a.js",
            "test_x.py",
            "src/foo_test.go",
            "web/a.test.ts",
            "web/b.spec.js",
        ] {
            assert!(is_test_path(t), "{t}");
        }
        for n in [
            "src/lib.rs",
            "src/testing.rs",
            "contest.py",
            "src/attest/x.rs",
        ] {
            assert!(!is_test_path(n), "{n}");
        }
    }

    #[test]
    fn tests_report_caps_hits_per_file() {
        let hs: Vec<(usize, String)> = (1..=7).map(|i| (i, format!("  f({i})  "))).collect();
        let r = tests_report("f", &[("tests/t.py".into(), hs)], 5);
        assert!(
            r.starts_with("Tests referencing 'f':\n  tests/t.py:\n    1: f(1)"),
            "{r}"
        );
        assert!(r.ends_with("    5: f(5)\n    ... +2 more"), "{r}");
        assert_eq!(tests_report("f", &[], 5), "No test files reference 'f'.");
    }
}
