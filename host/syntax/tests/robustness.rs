//! Syntax errors are reported with positions; body hashes ignore position and layout;
//! malformed and binary input never panics.

use dgov_syntax::parse_file;
use proptest::prelude::*;

#[test]
fn syntax_errors_are_located_per_language() {
    let cases: [(&str, &[u8], u32); 5] = [
        (
            "a.py",
            b"def ok():\n    return 1\n\ndef broken(:\n    pass\n",
            4,
        ),
        ("a.rs", b"fn ok() {}\nfn broken( {\n", 2),
        ("a.ts", b"const x = 1;\nfunction f() { return (; }\n", 2),
        ("a.js", b"let a = [1, 2;\n", 1),
        ("a.go", b"package p\n\nfunc f() {\n\tx := \n}\n", 4),
    ];
    for (path, src, line) in cases {
        let f = parse_file(path, src).unwrap();
        assert!(
            !f.syntax_errors.is_empty(),
            "{path}: expected a syntax error"
        );
        assert_eq!(
            f.syntax_errors[0].line, line,
            "{path}: {:?}",
            f.syntax_errors
        );
        assert!(f.syntax_errors[0].column >= 1);
    }
}

#[test]
fn valid_files_have_no_syntax_errors() {
    for (path, src) in [
        ("a.py", "x = 1\n"),
        ("a.rs", "fn f() {}\n"),
        ("a.go", "package p\n"),
        ("a.ts", "let x: number = 1;\n"),
    ] {
        assert!(
            parse_file(path, src.as_bytes())
                .unwrap()
                .syntax_errors
                .is_empty(),
            "{path}"
        );
    }
}

fn symbol_hash(path: &str, src: &str, name: &str) -> String {
    let f = parse_file(path, src.as_bytes()).unwrap();
    f.symbols
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} in {src}"))
        .body_hash
        .clone()
}

fn function_hash(path: &str, src: &str, name: &str) -> String {
    let f = parse_file(path, src.as_bytes()).unwrap();
    f.functions
        .iter()
        .find(|s| s.name == name)
        .unwrap()
        .body_hash
        .clone()
}

#[test]
fn body_hash_survives_line_shifts_and_reformatting() {
    let base = "def f(a):\n    return a + 1\n\ndef g():\n    pass\n";
    let shifted =
        "import os\n\n\ndef h():\n    pass\n\ndef f(a):\n    return a + 1\n\ndef g():\n    pass\n";
    let reformatted = "def f( a ):\n    # a comment does not change behaviour\n    return a+1\n\ndef g():\n    pass\n";
    let edited = "def f(a):\n    return a + 2\n\ndef g():\n    pass\n";
    let h = symbol_hash("m.py", base, "f");
    assert_eq!(h, symbol_hash("m.py", shifted, "f"));
    assert_eq!(h, symbol_hash("m.py", reformatted, "f"));
    assert_ne!(h, symbol_hash("m.py", edited, "f"));
    // g is untouched by the edit to f
    assert_eq!(
        symbol_hash("m.py", base, "g"),
        symbol_hash("m.py", edited, "g")
    );

    let rs = "fn f(x: u8) -> u8 {\n    x + 1\n}\n";
    let rs_moved = "\n\n// moved\nfn   f(x:u8)->u8 { x+1 }\n";
    assert_eq!(
        symbol_hash("a.rs", rs, "f"),
        symbol_hash("a.rs", rs_moved, "f")
    );
    let go = "package p\nfunc F(a int) int {\n\treturn a\n}\n";
    let go_moved = "package p\n\nfunc G() {}\n\nfunc F(a int) int { return a }\n";
    assert_eq!(
        symbol_hash("a.go", go, "F"),
        symbol_hash("a.go", go_moved, "F")
    );
}

#[test]
fn string_contents_are_part_of_the_hash() {
    let a = "function f() { return \"a b\"; }\n";
    let b = "function f() { return \"a  b\"; }\n";
    assert_ne!(symbol_hash("a.js", a, "f"), symbol_hash("a.js", b, "f"));
}

#[test]
fn identical_bodies_under_different_names_share_a_function_hash() {
    let src = "def a(x):\n    return x * 2\n\n\ndef b(x):\n    return x * 2\n";
    assert_eq!(
        function_hash("d.py", src, "a"),
        function_hash("d.py", src, "b")
    );
}

#[test]
fn deeply_nested_input_does_not_overflow_the_stack() {
    for path in ["deep.py", "deep.rs", "deep.js", "deep.go", "deep.ts"] {
        let mut src = String::from("def f():\n  x = ");
        src.push_str(&"(".repeat(20_000));
        src.push_str(&")".repeat(20_000));
        let f = parse_file(path, src.as_bytes()).unwrap();
        assert!(f.lines >= 2);
    }
    let mut nested = String::new();
    for i in 0..400 {
        nested.push_str(&" ".repeat(i));
        nested.push_str("if x:\n");
    }
    let src = format!(
        "def f(x):\n{}",
        nested
            .lines()
            .map(|l| format!(" {l}\n"))
            .collect::<String>()
    );
    parse_file("n.py", src.as_bytes()).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), ext in 0usize..6) {
        let path = ["x.rs", "x.py", "x.js", "x.ts", "x.tsx", "x.go"][ext];
        let facts = parse_file(path, &bytes).unwrap();
        for f in &facts.functions {
            prop_assert!(f.start_line <= f.end_line);
            prop_assert!(f.cyclomatic >= 1);
        }
    }

    #[test]
    fn mangled_source_never_panics(cut in 0usize..400, junk in "[(){}\\[\\]:;,\\n ifdelsw]{0,40}") {
        let src = include_str!("fixtures/sample.py");
        let cut = cut.min(src.len());
        let cut = (0..=cut).rev().find(|&c| src.is_char_boundary(c)).unwrap_or(0);
        let mangled = format!("{}{}{}", &src[..cut], junk, &src[cut..]);
        for path in ["m.py", "m.rs", "m.ts", "m.go"] {
            parse_file(path, mangled.as_bytes()).unwrap();
        }
    }
}

#[test]
fn queries_return_named_captures_with_positions() {
    let src = b"def a():\n    pass\n\n\nclass K:\n    def b(self):\n        pass\n";
    let matches = dgov_syntax::query(
        "m.py",
        src,
        "(function_definition name: (identifier) @func.name)",
    )
    .unwrap();
    let got: Vec<(&str, &str, u32, u32)> = matches
        .iter()
        .flat_map(|m| m.captures.iter())
        .map(|c| {
            (
                c.name.as_str(),
                c.text.as_str(),
                c.start_line,
                c.start_column,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![("func.name", "a", 1, 5), ("func.name", "b", 6, 9)]
    );
}

#[test]
fn an_invalid_query_is_a_typed_error_naming_the_position() {
    let err = dgov_syntax::query("m.go", b"package p\n", "(no_such_node) @x").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("query for m.go (go) is invalid at 1:"),
        "{msg}"
    );
}

#[test]
fn parse_pair_gives_the_same_facts_as_two_separate_parses() {
    let before = include_str!("fixtures/sample.py");
    let edits = [
        before.replace("total -= 1", "total -= 2"),
        format!("import re\n\n{before}"),
        before.replace("def _helper(x):\n    return x\n", ""),
        format!("{before}\ndef tail():\n    pass\n"),
        String::new(),
        before.replace("def process(", "def process(:"),
    ];
    for after in &edits {
        let (a, b) = dgov_syntax::parse_pair("p.py", before.as_bytes(), after.as_bytes()).unwrap();
        assert_eq!(a, parse_file("p.py", before.as_bytes()).unwrap());
        assert_eq!(
            b,
            parse_file("p.py", after.as_bytes()).unwrap(),
            "after:\n{after}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn parse_pair_matches_fresh_parses_under_random_edits(
        start in 0usize..1200, len in 0usize..80, insert in "[a-z(){}:\\n =]{0,30}", ext in 0usize..4
    ) {
        let path = ["e.py", "e.rs", "e.ts", "e.go"][ext];
        let before = match ext {
            0 => include_str!("fixtures/sample.py"),
            1 => include_str!("fixtures/sample.rs"),
            2 => include_str!("fixtures/sample.ts"),
            _ => include_str!("fixtures/sample.go"),
        };
        let start = start.min(before.len());
        let end = (start + len).min(before.len());
        let after = format!("{}{}{}", &before[..start], insert, &before[end..]);
        let (_, b) = dgov_syntax::parse_pair(path, before.as_bytes(), after.as_bytes()).unwrap();
        prop_assert_eq!(b, parse_file(path, after.as_bytes()).unwrap());
    }
}
