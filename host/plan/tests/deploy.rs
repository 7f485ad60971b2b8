//! Deploy log: append/read round trip, filtering by plan, malformed lines skipped.

use dgov_plan::{DeployRecord, append_deployed, read_deployed};

#[test]
fn appended_records_read_back_per_plan_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = DeployRecord {
        plan: "p".into(),
        unit: "s/f.a".into(),
        sha: "abc".into(),
        ts: "2026-01-01T00:00:00Z".into(),
    };
    let b = DeployRecord {
        plan: "other".into(),
        unit: "s/f.a".into(),
        sha: "def".into(),
        ts: "2026-01-01T00:00:01Z".into(),
    };
    let c = DeployRecord::now("p", "s/f.b", "123");
    for r in [&a, &b, &c] {
        append_deployed(dir.path(), r).unwrap();
    }
    let (got, warnings) = read_deployed(dir.path(), "p").unwrap();
    assert!(warnings.is_empty());
    assert_eq!(got, vec![a.clone(), c.clone()]);
    assert!(c.ts.ends_with('Z') && c.ts.len() == 20, "{}", c.ts);
    let text = std::fs::read_to_string(dir.path().join(dgov_plan::DEPLOY_LOG)).unwrap();
    assert!(
        text.starts_with(r#"{"plan":"p","unit":"s/f.a","sha":"abc","ts":"2026-01-01T00:00:00Z"}"#),
        "key order: {text}"
    );
}

#[test]
fn malformed_and_non_object_lines_are_skipped_with_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(dgov_plan::DEPLOY_LOG);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{\"plan\":\"p\",\"unit\":\"u\"}\n\nnot json\n[1,2]\n\"str\"\n{\"plan\":\"p\",\"unit\":\"v\",\"sha\":\"s\",\"ts\":\"t\"}\n").unwrap();
    let (got, warnings) = read_deployed(dir.path(), "p").unwrap();
    assert_eq!(
        got.iter().map(|r| r.unit.as_str()).collect::<Vec<_>>(),
        vec!["u", "v"]
    );
    assert_eq!(got[0].sha, "", "missing keys read as empty");
    assert_eq!(warnings.len(), 3);
    assert_eq!(warnings[0].line, Some(3));
}

#[test]
fn missing_log_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (got, w) = read_deployed(dir.path(), "p").unwrap();
    assert!(got.is_empty() && w.is_empty());
}
