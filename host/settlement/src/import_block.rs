//! Import blocks, for scoping autofix: when a task changes one line of a file's imports, an
//! import sorter rewrites the whole block, and keeping only the hunk on the task's line would
//! leave the block half sorted (and the sorter failing forever after). So a changed line
//! inside an import block widens the task's lines to the whole block before the fixed text is
//! merged ([`widen`]).
//!
//! A block is a maximal run of import statements, a statement with its continuation lines
//! (an open bracket, or a trailing `\` in Python), with the blank and comment lines between
//! statements; blank and comment lines before the first statement or after the last are not
//! part of it. What starts a statement depends on the language, by file extension:
//!
//! | language | statement starts with |
//! |---|---|
//! | Python (`.py`, `.pyi`) | `import `, `from ` |
//! | Rust (`.rs`) | `use `, `pub use `, `pub(…) use `, `extern crate ` |
//! | JavaScript / TypeScript | `import `, `import{`, `export … from` lines are not imports |
//! | Go (`.go`) | `import `, `import(` |
//!
//! Other files have no import blocks (the task's lines are left as they are). The scan is
//! textual, line by line, on the worker's text: it needs no parse, so it also works on a file
//! that does not parse yet. Brackets inside string literals and after a line comment are not
//! counted.

use std::collections::BTreeSet;

/// How one language writes imports.
struct Syntax {
    /// Does this (left-trimmed) line start an import statement?
    starts: fn(&str) -> bool,
    /// Line comment markers.
    comments: &'static [&'static str],
    /// A trailing `\` continues the statement (Python).
    backslash: bool,
}

const PYTHON: Syntax = Syntax {
    starts: |l| l.starts_with("import ") || l.starts_with("from "),
    comments: &["#"],
    backslash: true,
};

const RUST: Syntax = Syntax {
    starts: rust_starts,
    comments: &["//"],
    backslash: false,
};

const JAVASCRIPT: Syntax = Syntax {
    starts: |l| l.starts_with("import ") || l.starts_with("import{"),
    comments: &["//"],
    backslash: false,
};

const GO: Syntax = Syntax {
    starts: |l| l.starts_with("import ") || l.starts_with("import("),
    comments: &["//"],
    backslash: false,
};

fn rust_starts(line: &str) -> bool {
    if line.starts_with("extern crate ") {
        return true;
    }
    let rest = match line.strip_prefix("pub") {
        // `pub use`, `pub(crate) use`, `pub(in a::b) use`
        Some(rest) if rest.starts_with('(') => match rest.find(')') {
            Some(close) => &rest[close + 1..],
            None => return false,
        },
        Some(rest) if rest.starts_with(char::is_whitespace) => rest,
        Some(_) => return false,
        None => return line.starts_with("use "),
    };
    rest.trim_start().starts_with("use ")
}

fn syntax_for(path: &str) -> Option<&'static Syntax> {
    let ext = path.rsplit_once('.').map(|(_, e)| e)?;
    match ext {
        "py" | "pyi" => Some(&PYTHON),
        "rs" => Some(&RUST),
        "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts" => Some(&JAVASCRIPT),
        "go" => Some(&GO),
        _ => None,
    }
}

/// The change in bracket depth over `line`, ignoring brackets in string literals and after
/// a line comment.
fn depth_change(line: &str, syntax: &Syntax) -> i32 {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) => {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if syntax.comments.iter().any(|m| line[i..].starts_with(m)) {
                    break;
                }
                match c {
                    '"' | '\'' | '`' => quote = Some(c),
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => depth -= 1,
                    _ => {}
                }
            }
        }
    }
    depth
}

fn is_blank_or_comment(line: &str, syntax: &Syntax) -> bool {
    let t = line.trim();
    t.is_empty() || syntax.comments.iter().any(|m| t.starts_with(m))
}

/// The import blocks of `text` as 1-based inclusive line ranges, in order.
pub fn blocks(path: &str, text: &str) -> Vec<(u32, u32)> {
    let Some(syntax) = syntax_for(path) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<(u32, u32)> = Vec::new();
    // The block being built: (first line, last statement line), 0-based.
    let mut open: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        if (syntax.starts)(line) {
            // The statement and its continuation lines.
            let start = i;
            let mut depth = depth_change(line, syntax);
            let mut continues = syntax.backslash && line.trim_end().ends_with('\\');
            while (depth > 0 || continues) && i + 1 < lines.len() {
                i += 1;
                depth += depth_change(lines[i], syntax);
                continues = syntax.backslash && lines[i].trim_end().ends_with('\\');
            }
            open = Some(match open {
                Some((first, _)) => (first, i),
                None => (start, i),
            });
        } else if !is_blank_or_comment(line, syntax) {
            // Code ends the block; blank and comment lines only bridge two statements.
            if let Some((first, last)) = open.take() {
                out.push((first as u32 + 1, last as u32 + 1));
            }
        }
        i += 1;
    }
    if let Some((first, last)) = open {
        out.push((first as u32 + 1, last as u32 + 1));
    }
    out
}

/// `changed` (1-based lines of `text`) plus every line of each import block that contains a
/// changed line.
pub fn widen(path: &str, text: &[u8], changed: &BTreeSet<u32>) -> BTreeSet<u32> {
    let mut out = changed.clone();
    if changed.is_empty() {
        return out;
    }
    let Ok(text) = std::str::from_utf8(text) else {
        return out;
    };
    for (first, last) in blocks(path, text) {
        if changed.range(first..=last).next().is_some() {
            out.extend(first..=last);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_blocks_bridge_blank_and_comment_lines_and_follow_parentheses_and_backslashes() {
        let text = "\"\"\"Doc.\"\"\"\n\n# imports\nimport os\n\n# third party\nfrom a import (\n    b,\n    c,\n)\nfrom d import e, \\\n    f\n\n# end\nx = 1\nimport late\n";
        assert_eq!(blocks("m.py", text), vec![(4, 12), (16, 16)]);
    }

    #[test]
    fn a_changed_import_widens_to_its_block_and_nothing_else() {
        let text = "import b\nimport a\n\nimport c\n\ndef f():\n    return 1\n";
        let changed: BTreeSet<u32> = [4].into();
        assert_eq!(
            widen("m.py", text.as_bytes(), &changed),
            [1, 2, 3, 4].into()
        );
        // A change outside every block widens nothing.
        let changed: BTreeSet<u32> = [7].into();
        assert_eq!(widen("m.py", text.as_bytes(), &changed), [7].into());
    }

    #[test]
    fn rust_use_statements_with_visibility_and_braces() {
        let text = "//! Crate doc.\n\nuse std::io;\npub(crate) use a::{\n    b,\n    c,\n};\n// why\npub use d;\nextern crate e;\n\nfn main() {}\nuse_thing();\n";
        assert_eq!(blocks("lib.rs", text), vec![(3, 10)]);
        // `pub fn` and identifiers that start with `use` are not imports.
        assert!(blocks("lib.rs", "pub fn f() {}\nuser::go();\n").is_empty());
    }

    #[test]
    fn javascript_and_go_imports() {
        let js = "import a from 'a';\nimport {\n  b,\n  c,\n} from \"bc\";\n\nconst x = 1;\n";
        assert_eq!(blocks("m.ts", js), vec![(1, 5)]);
        let go = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {}\n";
        assert_eq!(blocks("main.go", go), vec![(3, 6)]);
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_open_a_continuation() {
        let text = "from a import b  # (see c\nimport d\nx = '('\n";
        assert_eq!(blocks("m.py", text), vec![(1, 2)]);
        let text = "from a import \"(\"\nx = 1\n";
        assert_eq!(blocks("m.py", text), vec![(1, 1)]);
    }

    #[test]
    fn an_unclosed_bracket_runs_to_the_end_without_panicking() {
        assert_eq!(blocks("m.py", "from a import (\n  b,\n"), vec![(1, 2)]);
        assert_eq!(blocks("m.rs", "pub(crate"), Vec::<(u32, u32)>::new());
    }

    #[test]
    fn other_files_and_non_utf8_text_have_no_blocks() {
        let changed: BTreeSet<u32> = [1].into();
        assert_eq!(
            widen("notes.txt", b"import a\nimport b\n", &changed),
            changed
        );
        assert_eq!(widen("m.py", b"import \xff\nimport b\n", &changed), changed);
    }
}
