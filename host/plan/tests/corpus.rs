//! Snapshot tests over the plan corpus in `tests/corpus/`: every `valid_*.plan` must
//! compile (snapshot: the `_compiled.toml` text plus warnings) and every `invalid_*.plan`
//! must fail (snapshot: every diagnostic). Refresh with `INSTA_UPDATE=always cargo test -p
//! dgov-plan --test corpus` and review the `.snap` files.

mod common;

use std::path::Path;

fn cases(prefix: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let stem = name.strip_suffix(".plan")?.to_string();
            stem.starts_with(prefix)
                .then(|| (stem, std::fs::read_to_string(e.path()).unwrap()))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn valid_plans_compile_to_the_snapshot() {
    let cases = cases("valid_");
    assert!(cases.len() >= 5, "corpus missing");
    for (name, text) in cases {
        match common::compile_fixture(&text) {
            Ok(compiled) => insta::assert_snapshot!(name, compiled),
            Err(diags) => panic!("{name} should compile but failed:\n{diags}"),
        }
    }
}

#[test]
fn invalid_plans_fail_with_the_snapshot_diagnostics() {
    let cases = cases("invalid_");
    assert!(cases.len() >= 15, "corpus missing");
    for (name, text) in cases {
        match common::compile_fixture(&text) {
            Ok(compiled) => panic!("{name} should fail but compiled:\n{compiled}"),
            Err(diags) => {
                assert!(diags.contains("error:"), "{name}: no error in\n{diags}");
                insta::assert_snapshot!(name, diags);
            }
        }
    }
}

#[test]
fn compiled_output_round_trips_through_the_strict_reader() {
    for (name, text) in cases("valid_") {
        let fx = common::materialize(&text);
        let opts = dgov_plan::CompileOptions {
            dry_run: fx.dry_run,
        };
        let (plan, _) = dgov_plan::compile_plan_dir_with(&fx.plan_dir, &opts).unwrap();
        let path = dgov_plan::write_compiled(&plan).unwrap();
        let back = dgov_plan::load_compiled(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            back, plan,
            "{name}: compiled plan changed through write + load"
        );
    }
}

#[test]
fn compiling_twice_gives_identical_bytes() {
    for (name, text) in cases("valid_") {
        let a = common::compile_fixture(&text).unwrap();
        let b = common::compile_fixture(&text).unwrap();
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn a_broad_shared_claim_reports_a_bounded_number_of_conflicts() {
    let mut tasks = String::new();
    for i in 0..40 {
        tasks.push_str(&format!(
            "[tasks.t{i}]\nprompt = \"## Orient\\n## Edit\\n## Verify\"\nfiles.edit = [\"src/\"]\n"
        ));
    }
    let fixture = format!(
        "//! dry-run\n//- _root.toml\n[plan]\nname = \"demo\"\nsections = [\"s\"]\n//- s/a.toml\n{tasks}"
    );
    let diags = common::compile_fixture(&fixture).unwrap_err();
    // 40 independent tasks → 780 pairs; the list stops at the cap and says so.
    assert_eq!(
        diags.matches("file conflict:").count(),
        dgov_plan::validate::MAX_CONFLICTS
    );
    assert!(diags.contains("more than 200 file conflicts"), "{diags}");
}
