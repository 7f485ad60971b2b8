//! Semantic gate: every false positive of the original (spec §2.4) passes and every true
//! positive rejects, for Python, Rust, JavaScript/TypeScript and Go. Facts come from the
//! host's real extraction (`dgov-syntax`), the judgement from the plugin's own logic.

use semantic_gate::{FileInput, Input, Version, analyze};

#[derive(Clone, Copy)]
enum Lang {
    Python,
    Rust,
    Js,
    Ts,
    Go,
}

const ALL: [Lang; 5] = [Lang::Python, Lang::Rust, Lang::Js, Lang::Ts, Lang::Go];

impl Lang {
    fn path(self) -> &'static str {
        match self {
            Lang::Python => "pkg/module.py",
            Lang::Rust => "src/module.rs",
            Lang::Js => "src/module.js",
            Lang::Ts => "src/module.ts",
            Lang::Go => "module.go",
        }
    }

    /// Parameters: one (`a`) or two (`a`, `b`).
    fn params(self, two: bool) -> &'static str {
        match (self, two) {
            (Lang::Python | Lang::Js, false) => "a",
            (Lang::Python | Lang::Js, true) => "a, b",
            (Lang::Rust, false) => "a: i32",
            (Lang::Rust, true) => "a: i32, b: i32",
            (Lang::Ts, false) => "a: number",
            (Lang::Ts, true) => "a: number, b: number",
            (Lang::Go, false) => "a int",
            (Lang::Go, true) => "a int, b int",
        }
    }

    fn def(self, name: &str, two: bool, body: &str) -> String {
        let p = self.params(two);
        match self {
            Lang::Python => format!("def {name}({p}):\n    x = 0\n    return {body}\n\n\n"),
            Lang::Rust => format!("fn {name}({p}) -> i32 {{\n    let x = 0;\n    {body}\n}}\n\n"),
            Lang::Js => {
                format!("function {name}({p}) {{\n  const x = 0;\n  return {body};\n}}\n\n")
            }
            Lang::Ts => {
                format!("function {name}({p}): number {{\n  const x = 0;\n  return {body};\n}}\n\n")
            }
            Lang::Go => format!("func {name}({p}) int {{\n\tx := 0\n\treturn {body}\n}}\n\n"),
        }
    }

    fn file(self, defs: &[(&str, bool, &str)]) -> String {
        let mut s = String::new();
        if let Lang::Go = self {
            s.push_str("package main\n\n");
        }
        for (n, two, b) in defs {
            s.push_str(&self.def(n, *two, b));
        }
        s
    }

    fn broken(self) -> &'static str {
        match self {
            Lang::Python => "def broken(:\n    pass\n",
            Lang::Rust => "fn broken( {\n",
            Lang::Js | Lang::Ts => "function broken( {\n",
            Lang::Go => "func broken( {\n",
        }
    }
}

fn facts(path: &str, text: &str) -> Option<Version> {
    let f = dgov_syntax::parse_file(path, text.as_bytes()).expect("parse");
    Some(Version {
        symbols: f.symbols,
        syntax_errors: f.syntax_errors,
    })
}

/// Findings' codes for one file at base/task/target/candidate.
fn judge(lang: Lang, base: &str, task: &str, target: &str, candidate: &str) -> Vec<String> {
    let p = lang.path();
    let input = Input {
        files: vec![FileInput {
            path: p.into(),
            base: facts(p, base),
            task: facts(p, task),
            target: facts(p, target),
            candidate: facts(p, candidate),
            task_changed: task != base,
            target_changed: target != base,
        }],
        disable: vec![],
    };
    analyze(&input).into_iter().map(|f| f.code).collect()
}

#[test]
fn line_shift_from_a_target_insertion_is_not_a_concurrent_edit() {
    for l in ALL {
        let base = l.file(&[("f", false, "a + 1"), ("g", false, "a * 3")]);
        let target = l.file(&[
            ("h", false, "a - 7"),
            ("f", false, "a + 1"),
            ("g", false, "a * 3"),
        ]);
        let task = l.file(&[("f", false, "a + 2"), ("g", false, "a * 3")]);
        let cand = l.file(&[
            ("h", false, "a - 7"),
            ("f", false, "a + 2"),
            ("g", false, "a * 3"),
        ]);
        assert_eq!(
            judge(l, &base, &task, &target, &cand),
            Vec::<String>::new(),
            "{}",
            l.path()
        );
    }
}

#[test]
fn a_task_changing_its_own_functions_parameters_passes() {
    for l in ALL {
        let base = l.file(&[("f", false, "a + 1"), ("g", false, "a * 3")]);
        let task = l.file(&[("f", true, "a + b"), ("g", false, "a * 3")]);
        assert_eq!(
            judge(l, &base, &task, &base, &task),
            Vec::<String>::new(),
            "{}",
            l.path()
        );
    }
}

#[test]
fn drift_the_target_made_earlier_is_not_charged_to_a_task_editing_another_function() {
    for l in ALL {
        let base = l.file(&[("f", false, "a + 1"), ("g", false, "a * 3")]);
        let target = l.file(&[("f", true, "a + b"), ("g", false, "a * 3")]);
        let task = l.file(&[("f", false, "a + 1"), ("g", false, "a * 4")]);
        let cand = l.file(&[("f", true, "a + b"), ("g", false, "a * 4")]);
        assert_eq!(
            judge(l, &base, &task, &target, &cand),
            Vec::<String>::new(),
            "{}",
            l.path()
        );
    }
}

#[test]
fn the_same_symbol_edited_on_both_sides_rejects() {
    for l in ALL {
        let base = l.file(&[("f", false, "a + 1"), ("g", false, "a * 3")]);
        let target = l.file(&[("f", false, "a + 5"), ("g", false, "a * 3")]);
        let task = l.file(&[("f", false, "a + 2"), ("g", false, "a * 3")]);
        let codes = judge(l, &base, &task, &target, &task);
        assert_eq!(codes, ["same_symbol_edit"], "{}", l.path());
    }
}

#[test]
fn the_same_change_on_both_sides_is_no_conflict() {
    for l in ALL {
        let base = l.file(&[("f", false, "a + 1")]);
        let both = l.file(&[("f", false, "a + 2")]);
        assert_eq!(
            judge(l, &base, &both, &both, &both),
            Vec::<String>::new(),
            "{}",
            l.path()
        );
    }
}

#[test]
fn a_signature_change_with_a_new_caller_on_the_target_is_drift() {
    for l in ALL {
        let base = l.file(&[("f", false, "a + 1"), ("g", false, "a * 3")]);
        let target = l.file(&[
            ("f", false, "a + 1"),
            ("g", false, "a * 3"),
            ("k", false, "f(1)"),
        ]);
        let task = l.file(&[("f", true, "a + b"), ("g", false, "a * 3")]);
        let cand = l.file(&[
            ("f", true, "a + b"),
            ("g", false, "a * 3"),
            ("k", false, "f(1)"),
        ]);
        let codes = judge(l, &base, &task, &target, &cand);
        assert_eq!(codes, ["signature_drift"], "{}", l.path());
    }
}

#[test]
fn the_same_helper_added_on_both_sides_is_a_duplicate_definition() {
    for l in ALL {
        let base = l.file(&[("f", false, "a + 1")]);
        let target = l.file(&[("h", false, "a - 1"), ("f", false, "a + 1")]);
        let task = l.file(&[("f", false, "a + 1"), ("h", false, "a - 2")]);
        let cand = l.file(&[
            ("h", false, "a - 1"),
            ("f", false, "a + 1"),
            ("h", false, "a - 2"),
        ]);
        let codes = judge(l, &base, &task, &target, &cand);
        assert_eq!(codes, ["duplicate_definition"], "{}", l.path());
    }
}

#[test]
fn a_syntax_error_in_a_task_file_rejects_but_a_target_only_one_does_not() {
    for l in ALL {
        let base = l.file(&[("f", false, "a + 1")]);
        let task = format!("{base}{}", l.broken());
        let codes = judge(l, &base, &task, &base, &task);
        assert_eq!(codes, ["syntax_conflict"], "{}", l.path());
        // The target broke the file; the task edited f: the error is not the task's.
        let target = format!("{base}{}", l.broken());
        let task2 = l.file(&[("f", false, "a + 2")]);
        let cand = format!("{task2}{}", l.broken());
        let codes = judge(l, &base, &task2, &target, &cand);
        assert!(
            !codes.contains(&"syntax_conflict".to_string()),
            "{}: {codes:?}",
            l.path()
        );
    }
}
