//! Path patterns: fnmatch-style globs (`*` also crosses `/`, as in the original dgov) and the
//! scope-ignore rules.

/// fnmatch: `*` any run of characters (including `/`), `?` one character, `[...]` a class
/// (`[!...]` negated). Anything else matches itself.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t)
}

fn matches(p: &[char], t: &[char]) -> bool {
    // Iterative with backtracking on the last `*`, so long paths cannot blow the stack.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((ok, next)) = class(p, pi, t[ti])
                        && ok
                    {
                        pi = next;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Match `c` against the class starting at `p[start] == '['`; returns (matched, index after
/// the class), or `None` for an unterminated class (then `[` is literal... and fails here).
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = i < p.len() && (p[i] == '!' || p[i] == '^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    if i >= p.len() {
        return None;
    }
    Some((matched != negate, i + 1))
}

/// Whether a claim (a file, or a directory prefix) covers `path`.
pub fn claim_covers(claim: &str, path: &str) -> bool {
    let claim = claim.trim_end_matches('/');
    path == claim
        || path
            .strip_prefix(claim)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Scope-ignore rules: a glob (`*`, `?`, `[`) matches the full path or the basename; an entry
/// ending in `/` or whose last segment has no `.` is a directory rule — a path prefix if it
/// contains `/`, else a directory name matching any segment; anything else is an exact path.
pub fn ignored(rule: &str, path: &str) -> bool {
    if rule.contains(['*', '?', '[']) {
        let base = path.rsplit('/').next().unwrap_or(path);
        return fnmatch(rule, path) || fnmatch(rule, base);
    }
    let trimmed = rule.trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if rule.ends_with('/') || !last.contains('.') {
        if trimmed.contains('/') {
            return claim_covers(trimmed, path) && path != trimmed;
        }
        let mut segments: Vec<&str> = path.split('/').collect();
        segments.pop(); // the file name itself is not a directory
        return segments.contains(&trimmed);
    }
    path == rule
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_star_crosses_slashes_like_the_original() {
        assert!(fnmatch("src/*", "src/a/b.rs"));
        assert!(fnmatch("*.lock", "deep/dir/Cargo.lock"));
        assert!(fnmatch("a?c", "abc"));
        assert!(!fnmatch("a?c", "ac"));
        assert!(fnmatch("[ab]x", "bx"));
        assert!(!fnmatch("[!ab]x", "bx"));
        assert!(fnmatch("v[0-9].txt", "v7.txt"));
        assert!(!fnmatch("*.rs", "a.rs.bak"));
        assert!(fnmatch("**", ""));
    }

    #[test]
    fn ignore_rules() {
        assert!(ignored("__pycache__", "a/__pycache__/m.pyc"));
        assert!(!ignored("__pycache__", "a/__pycache__"));
        assert!(ignored("build/", "build/x/y.o"));
        assert!(ignored("target/debug/", "target/debug/x"));
        assert!(!ignored("target/debug/", "target/release/x"));
        assert!(ignored("*.pyc", "deep/m.pyc"));
        assert!(ignored("notes.txt", "notes.txt"));
        assert!(!ignored("notes.txt", "a/notes.txt"));
    }
}
