//! Property tests: compile output does not depend on file-system enumeration order, and
//! malformed input never panics any parser.

use std::collections::BTreeSet;
use std::path::Path;

use dgov_plan::tree::{PlanSources, SourceFile};
use dgov_plan::{CompileOptions, SopSet};
use proptest::prelude::*;

/// A random plan: `sections` × files × tasks with backward deps (acyclic) and file claims.
fn arb_plan() -> impl Strategy<Value = (String, Vec<SourceFile>)> {
    (1usize..4, 1usize..3, 1usize..5, any::<u64>()).prop_map(|(n_sec, n_files, n_tasks, seed)| {
        let mut rng = seed;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let sections: Vec<String> = (0..n_sec).map(|i| format!("sec{i}")).collect();
        let mut ids: Vec<String> = Vec::new();
        let mut files = Vec::new();
        for s in &sections {
            for f in 0..n_files {
                let mut text = String::new();
                for t in 0..n_tasks {
                    let slug = format!("t{t}");
                    text.push_str(&format!("[tasks.{slug}]\nsummary = \"task {s} {f} {t}\"\nprompt = \"## Orient\\n## Edit\\n## Verify\"\n"));
                    // Depend on every earlier task so claims can never conflict.
                    let deps: Vec<String> = ids.iter().map(|d| format!("\"{d}\"")).collect();
                    if !deps.is_empty() && next() % 2 == 0 {
                        text.push_str(&format!("depends_on = [{}]\n", deps.join(", ")));
                        text.push_str(&format!("files.edit = [\"f{}.txt\"]\n", next() % 5));
                    } else {
                        text.push_str(&format!("files.read = [\"f{}.txt\"]\n", next() % 5));
                    }
                    ids.push(format!("{s}/f{f}.{slug}"));
                }
                files.push(SourceFile { rel: format!("{s}/f{f}.toml"), text });
            }
        }
        let list: Vec<String> = sections.iter().map(|s| format!("\"{s}\"")).collect();
        (format!("[plan]\nname = \"p\"\nsections = [{}]\n", list.join(", ")), files)
    })
}

fn compile(root: &str, files: Vec<SourceFile>) -> Result<String, String> {
    let dirs: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.rel.split_once('/').map(|(d, _)| d.to_string()))
        .collect();
    let sources = PlanSources {
        root: Some(root.to_string()),
        files,
        dirs,
        ..PlanSources::default()
    };
    let no_files = |_: &str| Err(std::io::Error::from(std::io::ErrorKind::NotFound));
    dgov_plan::compile_sources(
        &sources,
        Path::new("p"),
        &no_files,
        None,
        &SopSet::default(),
        &CompileOptions { dry_run: true },
    )
    .map(|(p, _)| dgov_plan::compiled::to_toml(&p))
    .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn compile_is_independent_of_enumeration_order((root, files) in arb_plan(), perm in any::<u64>()) {
        let baseline = compile(&root, files.clone());
        prop_assert!(baseline.is_ok(), "{:?}", baseline);
        let mut shuffled = files;
        // Fisher–Yates with a seeded xorshift.
        let mut r = perm | 1;
        for i in (1..shuffled.len()).rev() {
            r ^= r << 13; r ^= r >> 7; r ^= r << 17;
            shuffled.swap(i, (r % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(baseline, compile(&root, shuffled));
    }

    #[test]
    fn arbitrary_task_files_never_panic(text in "\\PC{0,400}", root in "\\PC{0,200}") {
        let _ = compile(&root, vec![SourceFile { rel: "s/a.toml".into(), text: text.clone() }]);
        let _ = compile("[plan]\nname = \"p\"\nsections = [\"s\"]\n", vec![SourceFile { rel: "s/a.toml".into(), text }]);
    }

    #[test]
    fn toml_shaped_garbage_never_panics(lines in proptest::collection::vec(prop_oneof![
        Just("[tasks.a]".to_string()),
        Just("[tasks.b]".to_string()),
        Just("[tasks.\"x.y\"]".to_string()),
        Just("depends_on = [\"a\", \"b\", \"s/a.a\", \"a\"]".to_string()),
        Just("depends_on = \"a\"".to_string()),
        Just("files = [\"x\", \"./x\", \"\", \"x/\"]".to_string()),
        Just("files.edit = [\"x/y\", \"/\"]".to_string()),
        Just("files = 3".to_string()),
        Just("timeout_s = -99999999999999999".to_string()),
        Just("timeout_s = 99999999999999999999999".to_string()),
        Just("max_fork_depth = 4294967296".to_string()),
        Just("retries = 18446744073709551615".to_string()),
        Just("role = \"reviewer\"".to_string()),
        Just("prompt_file = \"../x\"".to_string()),
        Just("prompt = \"\"\"\n## Orient\n\"\"\"".to_string()),
        Just("tasks = 1".to_string()),
        Just("sop_mapping = [\"x\"]".to_string()),
        "[a-z_.=\\[\\]\"{} 0-9-]{0,30}",
    ], 0..25)) {
        let text = lines.join("\n");
        let _ = compile("[plan]\nname = \"p\"\nsections = [\"s\"]\n", vec![SourceFile { rel: "s/a.toml".into(), text }]);
    }

    #[test]
    fn other_parsers_never_panic(text in "\\PC{0,400}") {
        let _ = dgov_plan::config::parse_project_config(Path::new("p.toml"), &text);
        let _ = dgov_plan::sop::parse_sop("x.md", &text);
        let _ = dgov_plan::sop::parse_sop("x.md", &format!("---\n{text}\n---\n## When\n{text}"));
        let _ = dgov_plan::compiled::parse_compiled(Path::new("c.toml"), &text, Path::new("."));
        let _ = dgov_plan::deploy::parse_deployed(&text, "p", Path::new("d.jsonl"));
    }
}
