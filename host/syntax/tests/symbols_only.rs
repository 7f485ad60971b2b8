//! The symbols-only path (`parse_symbols`, `SymbolsDoc`) gives exactly the symbols, syntax
//! errors and line counts of the full `parse_file`, and re-extracting an edited version from
//! its base gives exactly what a fresh parse of that version gives.

use dgov_syntax::{FileFacts, SymbolsDoc, parse_file, parse_symbols};
use proptest::prelude::*;

const SAMPLES: [(&str, &str); 6] = [
    ("s.py", include_str!("fixtures/sample.py")),
    ("s.rs", include_str!("fixtures/sample.rs")),
    ("s.ts", include_str!("fixtures/sample.ts")),
    ("s.tsx", include_str!("fixtures/sample.ts")),
    ("s.js", include_str!("fixtures/sample.js")),
    ("s.go", include_str!("fixtures/sample.go")),
];

fn symbols_of_full(path: &str, src: &[u8]) -> FileFacts {
    let full = parse_file(path, src).unwrap();
    FileFacts {
        language: full.language,
        lines: full.lines,
        symbols: full.symbols,
        syntax_errors: full.syntax_errors,
        ..FileFacts::default()
    }
}

fn assert_edit_matches(path: &str, before: &str, after: &str) {
    let base = SymbolsDoc::parse(path, before.as_bytes()).unwrap();
    let edited = base
        .edited(path, before.as_bytes(), after.as_bytes())
        .unwrap();
    let fresh = SymbolsDoc::parse(path, after.as_bytes()).unwrap();
    assert_eq!(edited, fresh, "{path} after:\n{after}");
    assert_eq!(edited.facts, symbols_of_full(path, after.as_bytes()));
}

#[test]
fn symbols_only_parse_equals_the_full_facts_symbols() {
    let nested = "class A:\n    def m(self):\n        def inner():\n            return g(1)\n        return inner()\n\n    @staticmethod\n    def s(x, *a, **k):\n        # note\n        return [y for y in x]\n";
    let js = "export const f = (a, b) => a + g(b), h = function (x) { return x; };\nclass C { m(a) { const k = () => q(); return k(); } #p() {} }\n";
    let broken = "def ok():\n    return 1\n\ndef broken(:\n    pass\n";
    let mut cases: Vec<(&str, &str)> = SAMPLES.to_vec();
    cases.extend([
        ("n.py", nested),
        ("j.js", js),
        ("b.py", broken),
        ("e.rs", ""),
    ]);
    for (path, src) in cases {
        let only = parse_symbols(path, src.as_bytes()).unwrap();
        assert_eq!(only, symbols_of_full(path, src.as_bytes()), "{path}");
        assert!(only.functions.is_empty() && only.imports.is_empty());
    }
    let deep = format!(
        "def f():\n    return {}1{}\n",
        "(".repeat(600),
        ")".repeat(600)
    );
    assert_eq!(
        parse_symbols("d.py", deep.as_bytes()).unwrap(),
        symbols_of_full("d.py", deep.as_bytes())
    );
}

#[test]
fn large_files_extracted_on_two_threads_equal_the_full_facts() {
    for (path, src) in SAMPLES {
        // Past the size where extraction splits across two threads (16 KiB).
        let big = src.repeat(32 * 1024 / src.len() + 1);
        assert!(big.len() > 32 * 1024);
        let only = parse_symbols(path, big.as_bytes()).unwrap();
        assert_eq!(only, symbols_of_full(path, big.as_bytes()), "{path}");
        let edited = big.replacen("return", "return 1 +", 7);
        assert_edit_matches(path, &big, &edited);
    }
}

/// A Python file past the two-halves threshold, with `middle` inserted at its middle line.
fn big_python(middle: &str) -> String {
    let f = |i: usize| {
        format!(
            "def f{i}(a, b):\n    x = a * 2\n    if x > b:\n        return a + {i}\n    return x - b\n\n\n"
        )
    };
    let head: String = (0..150).map(f).collect();
    let tail: String = (150..300).map(f).collect();
    format!("{head}{middle}{tail}")
}

#[test]
fn large_python_files_parsed_as_two_halves_equal_a_whole_parse() {
    let seams = [
        "",
        "class K:\n    def m(self):\n        return 1\n\n    # trailing comment\n\n\n",
        "x = 1\n# a comment right before the split\n\n",
        "s = \"\"\"\n\ndef not_a_function():\n    pass\n\n\ndef g():\n\"\"\"\n\n",
        "if x:\n    y = 1\n\n\nelse:\n    y = 2\n\n",
        "try:\n    y = 1\n\nexcept E:\n    pass\n\n",
        "@decorator\n\ndef decorated():\n    pass\n\n",
        "values = [\n\n\ndef\n]\n\n",
        "total = 1 + \\\n\n2\n\n",
        "def broken(:\n    pass\n\n",
        "def early():\n    pass\n\n\n@dec(1)\nclass C(Base):\n    @property\n    def p(self):\n        return self._p\n\n",
    ];
    for seam in seams {
        // Seams around the middle, whichever line the split lands on.
        for shift in [0, 40, 80] {
            let text = big_python(&format!("{}{seam}", "\n".repeat(shift % 3)));
            let text = text.replacen("def f149", &format!("def f149_{shift}"), 1);
            assert!(text.len() > 16 * 1024);
            assert_eq!(
                parse_symbols("big.py", text.as_bytes()).unwrap(),
                symbols_of_full("big.py", text.as_bytes()),
                "seam:\n{seam}"
            );
        }
    }
}

/// A Rust file past the two-halves threshold, with `middle` inserted at its middle line.
fn big_rust(middle: &str) -> String {
    let f = |i: usize| {
        format!(
            "/// Doc for f{i}.\npub fn f{i}(a: u32, b: &[u32]) -> u32 {{\n    let mut t = a;\n    for x in b {{\n        t += x;\n    }}\n    t + {i}\n}}\n\n"
        )
    };
    let head: String = (0..150).map(f).collect();
    let tail: String = (150..300).map(f).collect();
    format!("use std::fmt;\n\n{head}{middle}{tail}")
}

#[test]
fn large_rust_files_parsed_as_two_halves_equal_a_whole_parse() {
    let seams = [
        "",
        "impl fmt::Display for K {\n    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {\n        write!(f, \"k\")\n    }\n}\n\n",
        "#[derive(Debug)]\nstruct S;\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n\n",
        "const S: &str = r#\"\n}\n\nfn not_a_function() {}\n\n\"#;\n\n",
        "/* a block comment\n}\n\nfn inside_a_comment() {}\n*/\n\n",
        "macro_rules! m {\n    () => {};\n}\n\nuse std::io;\n\n",
        "fn unclosed() {\n    let x = 1;\n\nfn inner() {}\n}\n\n",
        "fn broken( {\n}\n\n",
        "// a comment right before the split\n\npub(crate) fn after_comment() {}\n\n",
        "trait T {\n    fn m(&self);\n}\n\nunsafe impl Send for K {}\n\n",
    ];
    for seam in seams {
        // Seams around the middle, whichever line the split lands on.
        for shift in [0, 1, 2] {
            let text = big_rust(&format!("{}{seam}", "\n".repeat(shift)));
            let text = text.replacen("fn f149", &format!("fn f149_{shift}"), 1);
            assert!(text.len() > 16 * 1024);
            assert_eq!(
                parse_symbols("big.rs", text.as_bytes()).unwrap(),
                symbols_of_full("big.rs", text.as_bytes()),
                "seam:\n{seam}"
            );
            // And the region re-parse of an edit on either side agrees too.
            let edited = text
                .replacen("t + 3", "t + 33", 1)
                .replacen("t + 297", "t * 297", 1);
            assert_edit_matches("big.rs", &text, &edited);
        }
    }
}

#[test]
fn edited_versions_equal_fresh_parses() {
    let py = include_str!("fixtures/sample.py");
    let tail = "\ndef tail(a):\n    return a\n";
    let edits = [
        py.replace("total -= 1", "total -= 2"),
        format!("import re\n\n{py}"),
        py.replace("def _helper(x):\n    return x\n", ""),
        format!("{py}{tail}"),
        format!("{tail}{py}"),
        String::new(),
        py.replace("def process(", "def process(:"),
        py.replacen("\n", "\n\n\n", 3),
    ];
    for after in &edits {
        assert_edit_matches("p.py", py, after);
    }
    // An edit that opens a string swallowing what follows must not reuse the old suffix.
    let many: String = (0..12)
        .map(|i| format!("def f{i}(a):\n    return a + {i}\n\n"))
        .collect();
    assert_edit_matches("m.py", &many, &many.replace("a + 5", "'''a + 5"));
    assert_edit_matches("m.py", &many, &many.replace("a + 5\n", "a + \\\n"));
    // JavaScript without semicolons: a changed last line can join the next statement.
    let js: String = (0..12)
        .map(|i| format!("function f{i}(a) {{ return a + {i} }}\nlet x{i} = f{i}\n"))
        .collect();
    assert_edit_matches(
        "m.js",
        &js,
        &js.replace("let x5 = f5\n", "let x5 = f5\n(1)\n"),
    );
    assert_edit_matches("m.js", &js, &js.replace("let x5 = f5\n", "let x5 = f5 +\n"));
}

/// `before` with `drop` lines removed at line `at` and `copy` lines starting at line
/// `copy_from` inserted there (indices clamped): a whole-line edit, which keeps files valid
/// far more often than byte edits.
fn edit_lines(before: &str, at: usize, drop: usize, copy_from: usize, copy: usize) -> String {
    let lines: Vec<&str> = before.split_inclusive('\n').collect();
    let at = at.min(lines.len());
    let end = (at + drop).min(lines.len());
    let from = copy_from.min(lines.len());
    let to = (from + copy).min(lines.len());
    let mut out: Vec<&str> = lines[..at].to_vec();
    out.extend_from_slice(&lines[from..to]);
    out.extend_from_slice(&lines[end..]);
    out.concat()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn edited_matches_fresh_parses_under_random_edits(
        start in 0usize..1400, len in 0usize..80, insert in "[a-z(){}:\\n =#'\"]{0,30}", which in 0usize..6
    ) {
        let (path, before) = SAMPLES[which];
        let start = start.min(before.len());
        let end = (start + len).min(before.len());
        let after = format!("{}{}{}", &before[..start], insert, &before[end..]);
        let base = SymbolsDoc::parse(path, before.as_bytes()).unwrap();
        let edited = base.edited(path, before.as_bytes(), after.as_bytes()).unwrap();
        prop_assert_eq!(edited, SymbolsDoc::parse(path, after.as_bytes()).unwrap());
    }

    #[test]
    fn edited_matches_fresh_parses_under_line_edits(
        at in 0usize..200, drop in 0usize..6, copy_from in 0usize..200, copy in 0usize..8, which in 0usize..6
    ) {
        // Whole-line edits keep files valid far more often than byte edits, so they
        // exercise the region re-parse rather than its fallback.
        let (path, before) = SAMPLES[which];
        let after = edit_lines(before, at, drop, copy_from, copy);
        let base = SymbolsDoc::parse(path, before.as_bytes()).unwrap();
        let edited = base.edited(path, before.as_bytes(), after.as_bytes()).unwrap();
        prop_assert_eq!(edited, SymbolsDoc::parse(path, after.as_bytes()).unwrap());
    }
}

proptest! {
    // Each case parses a 2,000-line file twice; a few dozen cover the split points.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn large_python_files_equal_a_whole_parse_under_line_edits(
        at in 0usize..2100, drop in 0usize..6, copy_from in 0usize..2100, copy in 0usize..8
    ) {
        let before = big_python(include_str!("fixtures/sample.py"));
        let after = edit_lines(&before, at, drop, copy_from, copy);
        prop_assert_eq!(
            parse_symbols("big.py", after.as_bytes()).unwrap(),
            symbols_of_full("big.py", after.as_bytes())
        );
    }
}

proptest! {
    // As for Python: random line edits around a large Rust file's split points.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn large_rust_files_equal_a_whole_parse_under_line_edits(
        at in 0usize..2900, drop in 0usize..6, copy_from in 0usize..2900, copy in 0usize..8
    ) {
        let before = big_rust(include_str!("fixtures/sample.rs"));
        let after = edit_lines(&before, at, drop, copy_from, copy);
        prop_assert_eq!(
            parse_symbols("big.rs", after.as_bytes()).unwrap(),
            symbols_of_full("big.rs", after.as_bytes())
        );
    }
}
