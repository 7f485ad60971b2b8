//! Tests of the gate's configuration, its report, and properties of the fixes together.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn ctx(files: &[(&str, ChangeKind)], config: &str) -> GateContext {
    GateContext {
        task: "t/py.fix".into(),
        phase: Phase::Prepare,
        revs: dgov_sdk::types::Revs {
            base: String::new(),
            head: String::new(),
            target: None,
        },
        changed: files
            .iter()
            .map(|(p, kind)| ChangedFile {
                path: (*p).into(),
                kind: *kind,
                old_path: None,
                added_lines: vec![LineRange { start: 1, end: 1 }],
            })
            .collect(),
        claims: Claims {
            create: vec![],
            edit: vec![],
            delete: vec![],
            touch: vec![],
            read: vec![],
            enforced: false,
        },
        config_json: config.into(),
    }
}

const NEEDS_B904: &str = "try:\n    a()\nexcept A as e:\n    raise B()\n";

#[test]
fn config_defaults_and_overrides() {
    assert_eq!(Config::parse("").unwrap(), Config::default());
    assert_eq!(Config::parse("{}").unwrap().line_length, 99);
    let c = Config::parse(r#"{"line_length": 79, "b904": false, "wrap_comments": false}"#).unwrap();
    assert_eq!(
        c,
        Config {
            line_length: 79,
            b904: false,
            wrap_comments: false
        }
    );
}

#[test]
fn bad_config_names_the_key_and_what_it_should_be() {
    let e = Config::parse(r#"{"line_length": "long"}"#).unwrap_err();
    assert!(e.contains("`line_length` must be a whole number"), "{e}");
    let e = Config::parse(r#"{"line_length": -1}"#).unwrap_err();
    assert!(e.contains("line_length"), "{e}");
    // Too narrow to wrap into is not an error: nothing gets wrapped.
    let narrow = Config::parse(r#"{"line_length": 0}"#).unwrap();
    let long = format!("# {}\n", "word ".repeat(40));
    assert_eq!(fix_text(&long, &narrow).text, long);
    let e = Config::parse(r#"{"b904": "yes"}"#).unwrap_err();
    assert!(e.contains("`b904` must be true or false"), "{e}");
    let e = Config::parse(r#"{"linelength": 80}"#).unwrap_err();
    assert!(e.contains("unknown key `linelength`"), "{e}");
    assert!(Config::parse("[1]").is_err());
    assert!(Config::parse("{").unwrap_err().contains("not valid JSON"));
}

#[test]
fn check_turns_bad_config_into_an_input_error() {
    let err = <PythonFix as Gate>::check(ctx(&[], r#"{"b904": 1}"#)).unwrap_err();
    assert!(matches!(err, PluginError::InvalidInput(m) if m.contains("b904")));
}

#[test]
fn no_python_files_is_a_skip() {
    let c = ctx(
        &[("a.rs", ChangeKind::Added), ("old.py", ChangeKind::Deleted)],
        "{}",
    );
    let report = review(&c, &Config::default(), &|_| panic!("nothing is read"));
    assert_eq!(report.verdict, Verdict::Skip);
    assert!(report.fixes.is_empty());
}

#[test]
fn fixed_files_get_a_replace_file_fix_and_an_info_finding_per_kind() {
    let files: BTreeMap<&str, String> = [
        ("pkg/a.py", NEEDS_B904.to_owned()),
        ("pkg/b.pyi", "x: int\n".to_owned()),
        (
            "pkg/c.py",
            format!("{NEEDS_B904}# {}\n", "word ".repeat(30).trim_end()),
        ),
    ]
    .into();
    let c = ctx(
        &[
            ("pkg/a.py", ChangeKind::Modified),
            ("pkg/b.pyi", ChangeKind::Added),
            ("pkg/c.py", ChangeKind::Added),
            ("pkg/gone.py", ChangeKind::Modified),
        ],
        "{}",
    );
    let report = review(&c, &Config::default(), &|p| {
        files
            .get(p)
            .cloned()
            .ok_or_else(|| format!("`{p}` not found"))
    });
    assert_eq!(report.verdict, Verdict::Pass);
    assert_eq!(report.summary, "fixed 2 of 4 Python file(s)");
    let paths: Vec<&str> = report
        .fixes
        .iter()
        .map(|f| match f {
            Fix::ReplaceFile(fc) => fc.path.as_str(),
            Fix::Edits(_) => panic!("whole files only"),
        })
        .collect();
    assert_eq!(paths, ["pkg/a.py", "pkg/c.py"]);
    let Fix::ReplaceFile(a) = &report.fixes[0] else {
        unreachable!()
    };
    assert_eq!(
        String::from_utf8(a.content.clone()).unwrap(),
        NEEDS_B904.replace("B()", "B() from e")
    );
    let codes: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.code.as_str(), f.locations[0].path.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("b904", "pkg/a.py"),
            ("b904", "pkg/c.py"),
            ("e501-comment", "pkg/c.py"),
            ("unreadable", "pkg/gone.py"),
        ]
    );
    assert!(
        report.findings[0]
            .message
            .starts_with("1 raise statement(s)")
    );
}

#[test]
fn each_fix_can_be_switched_off() {
    let text = format!("{NEEDS_B904}# {}\n", "word ".repeat(30).trim_end());
    let off = Config {
        b904: false,
        wrap_comments: false,
        ..Config::default()
    };
    assert_eq!(fix_text(&text, &off).text, text);
    let only_wrap = Config {
        b904: false,
        ..Config::default()
    };
    let fixed = fix_text(&text, &only_wrap);
    assert_eq!((fixed.b904, fixed.wrapped), (0, 1));
}

/// Python-ish fragments, so random input reaches the interesting paths.
fn fragments() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "try:",
        "except",
        " E",
        " as",
        " e",
        ":",
        "raise",
        " X",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        " from",
        " None",
        "def f():",
        "class K:",
        "lambda",
        "\n",
        "\n    ",
        "\n        ",
        "\t",
        " ",
        "#",
        "# some words of prose here",
        "'",
        "\"",
        "\"\"\"",
        "f\"",
        "{x}",
        "\\",
        "\r\n",
        ";",
        ",",
        "é",
        "if x",
        "https://",
        "noqa",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|v| v.concat())
}

/// Lines of handler-shaped code at random indentation: not always valid Python, but they
/// reach every branch of the handler tracking.
fn handler_programs() -> impl Strategy<Value = String> {
    let stmt = prop::sample::select(vec![
        "try:",
        "except E as e:",
        "except (A,\n        B) as err:",
        "except* G as g:",
        "except F:",
        "def g():",
        "class K:",
        "raise X()",
        "raise X(\n    1,\n)  # why",
        "raise",
        "raise e",
        "raise Y from e",
        "if c: raise W(); y = 2",
        "x = compute(1)  # some prose words here that are long enough to need wrapping",
        "# a full line comment with many prose words in it, long enough to wrap",
        "s = '''\nraise Z()\n'''",
        "t = \"# not a comment but a string, long enough to tempt the old splitter\"",
        "pass",
        "",
    ]);
    prop::collection::vec((0usize..4, stmt), 0..30).prop_map(|lines| {
        lines
            .iter()
            .map(|(depth, s)| format!("{}{s}\n", "    ".repeat(*depth)))
            .collect()
    })
}

proptest! {
    #[test]
    fn handler_shaped_code_is_fixed_idempotently(s in handler_programs(), width in 20usize..80) {
        let config = Config { line_length: width, ..Config::default() };
        let once = fix_text(&s, &config);
        let twice = fix_text(&once.text, &config);
        prop_assert_eq!((twice.b904, twice.wrapped), (0, 0));
        prop_assert_eq!(&twice.text, &once.text);
        // B904 adds exactly its ` from NAME` clauses and nothing else.
        let (b, n) = fix_b904(&s);
        prop_assert_eq!(b.matches(" from ").count(), s.matches(" from ").count() + n);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
        let _ = fix_text(&s, &Config::default());
        let _ = fix_text(&s, &Config { line_length: 1, ..Config::default() });
    }

    #[test]
    fn fixing_twice_is_fixing_once(s in fragments(), width in 20usize..60) {
        let config = Config { line_length: width, ..Config::default() };
        let once = fix_text(&s, &config).text;
        let twice = fix_text(&once, &config).text;
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn b904_only_inserts_from_clauses(s in fragments()) {
        // B904 only ever inserts ` from NAME`: removing those gives the input back.
        let (out, n) = fix_b904(&s);
        prop_assert_eq!(out.matches(" from ").count() - s.matches(" from ").count(), n);
    }
}
