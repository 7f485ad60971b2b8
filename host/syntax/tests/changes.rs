//! Symbol diffs distinguish the semantic gate's true positives from the reference
//! implementation's false positives (spec §2.4, §8.2), in Python, Rust, TypeScript and Go.
//!
//! Each case gives base, task and target versions of one file. "Concurrent edits" are
//! symbols changed (not added) on both sides; with hashes instead of line ranges a
//! line shift on one side no longer looks like an edit.

use dgov_syntax::{Change, SymbolChange, duplicate_definitions, parse_file, symbol_changes};

struct Lang {
    path: &'static str,
    /// f and g, with f's body varied by `{F}`, g's by `{G}` and f's extra parameter by `{P}`.
    template: &'static str,
    /// a new function inserted at the top (after any package line)
    inserted: &'static str,
    /// the extra parameter text for f
    param: &'static str,
}

const LANGS: [Lang; 4] = [
    Lang {
        path: "m.py",
        template: "{H}def f(a{P}):\n    return a + {F}\n\n\ndef g(b):\n    return f(b) * {G}\n",
        inserted: "def h():\n    return 0\n\n\n",
        param: ", extra",
    },
    Lang {
        path: "m.rs",
        template: "{H}pub fn f(a: u32{P}) -> u32 {\n    a + {F}\n}\n\npub fn g(b: u32) -> u32 {\n    f(b) * {G}\n}\n",
        inserted: "pub fn h() -> u32 {\n    0\n}\n\n",
        param: ", extra: u32",
    },
    Lang {
        path: "m.ts",
        template: "{H}export function f(a: number{P}): number {\n  return a + {F};\n}\n\nexport function g(b: number): number {\n  return f(b) * {G};\n}\n",
        inserted: "export function h(): number {\n  return 0;\n}\n\n",
        param: ", extra: number",
    },
    Lang {
        path: "m.go",
        template: "package m\n\n{H}func F(a int{P}) int {\n\treturn a + {F}\n}\n\nfunc G(b int) int {\n\treturn F(b) * {G}\n}\n",
        inserted: "func H() int {\n\treturn 0\n}\n\n",
        param: ", extra int",
    },
];

fn render(l: &Lang, h: bool, f: u32, g: u32, p: bool) -> String {
    l.template
        .replace("{H}", if h { l.inserted } else { "" })
        .replace("{F}", &f.to_string())
        .replace("{G}", &g.to_string())
        .replace("{P}", if p { l.param } else { "" })
}

fn changes(l: &Lang, before: &str, after: &str) -> Vec<SymbolChange> {
    let b = parse_file(l.path, before.as_bytes()).unwrap();
    let a = parse_file(l.path, after.as_bytes()).unwrap();
    symbol_changes(&b, &a)
}

/// Names edited (changed, not added or removed) on both sides.
fn concurrent(task: &[SymbolChange], target: &[SymbolChange]) -> Vec<String> {
    let edited = |c: &SymbolChange| {
        matches!(
            c.change,
            Change::BodyChanged | Change::SignatureChanged { .. }
        )
    };
    task.iter()
        .filter(|t| edited(t) && target.iter().any(|x| edited(x) && x.name == t.name))
        .map(|t| t.name.clone())
        .collect()
}

fn lower(names: Vec<String>) -> Vec<String> {
    names.into_iter().map(|n| n.to_lowercase()).collect()
}

#[test]
fn line_shift_on_target_is_not_a_same_symbol_edit() {
    for l in &LANGS {
        let base = render(l, false, 1, 2, false);
        let task = render(l, false, 5, 2, false); // edits f's body only
        let target = render(l, true, 1, 2, false); // inserts h above f and g
        let task_changes = changes(l, &base, &task);
        let target_changes = changes(l, &base, &target);
        assert_eq!(
            target_changes.len(),
            1,
            "{}: only h was added: {target_changes:?}",
            l.path
        );
        assert_eq!(target_changes[0].change, Change::Added);
        assert!(
            concurrent(&task_changes, &target_changes).is_empty(),
            "{}",
            l.path
        );
    }
}

#[test]
fn both_sides_editing_the_same_body_is_a_same_symbol_edit() {
    for l in &LANGS {
        let base = render(l, false, 1, 2, false);
        let task = render(l, false, 5, 2, false);
        let target = render(l, true, 7, 2, false); // shifts and edits f
        let hits = concurrent(&changes(l, &base, &task), &changes(l, &base, &target));
        assert_eq!(lower(hits), vec!["f"], "{}", l.path);
    }
}

#[test]
fn a_task_changing_its_own_signature_shows_no_concurrent_change() {
    for l in &LANGS {
        let base = render(l, false, 1, 2, false);
        let task = render(l, false, 1, 2, true);
        let task_changes = changes(l, &base, &task);
        assert_eq!(task_changes.len(), 1, "{}: {task_changes:?}", l.path);
        assert!(
            matches!(task_changes[0].change, Change::SignatureChanged { .. }),
            "{}",
            l.path
        );
        // the target did nothing, so nothing the task did can conflict
        assert!(changes(l, &base, &base).is_empty());
    }
}

#[test]
fn inherited_signature_change_from_target_is_not_charged_to_a_task_editing_another_symbol() {
    for l in &LANGS {
        let base = render(l, false, 1, 2, false);
        let target = render(l, false, 1, 2, true); // another task changed f's parameters
        let task = render(l, false, 1, 9, false); // this task edits g only
        let task_changes = changes(l, &base, &task);
        let target_changes = changes(l, &base, &target);
        assert_eq!(
            lower(task_changes.iter().map(|c| c.name.clone()).collect()),
            vec!["g"],
            "{}",
            l.path
        );
        assert!(
            concurrent(&task_changes, &target_changes).is_empty(),
            "{}",
            l.path
        );
        // the facts still tell the gate that g calls f, whose signature moved on target
        let t = parse_file(l.path, task.as_bytes()).unwrap();
        let g = t
            .symbols
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case("g"))
            .unwrap();
        assert!(
            g.calls.iter().any(|c| c.eq_ignore_ascii_case("f")),
            "{}",
            l.path
        );
    }
}

#[test]
fn intra_file_duplicates_are_visible() {
    let src = "def f():\n    return 1\n\n\ndef f():\n    return 2\n";
    let facts = parse_file("d.py", src.as_bytes()).unwrap();
    assert_eq!(
        duplicate_definitions(&facts),
        vec![("f".to_string(), vec![(1, 2), (5, 6)])]
    );
}
