//! Plugin metadata is readable before instantiation, capabilities are what the plugin
//! imports, and the contract version is checked: an older compatible plugin loads, an
//! unsupported one is refused with both versions named.

mod support;

use dgov_plugin_host::bindings::{
    ChangeKind, ChangedFile, Claims, GateContext, LineRange, Phase, Revs, Verdict,
};
use dgov_plugin_host::meta::{self, MetaError, Version};
use dgov_plugin_host::{Capability, Invocation, LoadError, PluginKind};

#[test]
fn probe_tool_metadata_comes_from_its_manifest_and_imports() {
    let bytes = std::fs::read(support::fixture_plugin("probe-tool")).unwrap();
    let m = meta::inspect(&bytes, "fallback").unwrap();
    assert_eq!(m.name, "probe-tool");
    assert_eq!(m.version, "0.3.0");
    assert_eq!(m.kind, PluginKind::Tool);
    assert_eq!(
        m.wit_version,
        Version {
            major: 0,
            minor: 1,
            patch: 2
        }
    );
    // it uses log, fs-read, fs-write and exec, and WASI sockets (the `net` probe)
    for cap in [
        Capability::Log,
        Capability::FsRead,
        Capability::FsWrite,
        Capability::Exec,
        Capability::Network,
    ] {
        assert!(
            m.capabilities.contains(&cap),
            "{cap} missing from {:?}",
            m.capabilities
        );
    }
    assert!(!m.capabilities.contains(&Capability::BaselineStore));
}

#[test]
fn a_plugin_built_against_the_older_0_1_0_contract_loads_and_runs() {
    let cache = tempfile::tempdir().unwrap();
    let runtime = support::runtime(cache.path());
    let plugin = runtime
        .load_file(&support::fixture_plugin("legacy-gate"))
        .unwrap();
    assert_eq!(
        plugin.meta().wit_version,
        Version {
            major: 0,
            minor: 1,
            patch: 0
        }
    );
    assert_eq!(plugin.meta().kind, PluginKind::Gate);
    // no SDK manifest: the file name stands in
    assert_eq!(plugin.meta().name, "legacy_gate");

    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("a.txt"), "12345").unwrap();
    let ctx = GateContext {
        task: "t/x.y".into(),
        phase: Phase::Isolated,
        revs: Revs {
            base: "0".repeat(40),
            head: "1".repeat(40),
            target: None,
        },
        changed: vec![ChangedFile {
            path: "a.txt".into(),
            kind: ChangeKind::Added,
            old_path: None,
            added_lines: vec![LineRange { start: 1, end: 1 }],
        }],
        claims: Claims {
            create: vec![],
            edit: vec![],
            delete: vec![],
            touch: vec![],
            read: vec![],
            enforced: false,
        },
        config_json: "{}".into(),
    };
    let inv = Invocation::read_only(root.path());
    let report = support::block_on(plugin.check_gate(&inv, &ctx))
        .unwrap()
        .value
        .unwrap();
    assert_eq!(report.verdict, Verdict::Pass);
    assert_eq!(report.summary, "read 5 bytes of `a.txt`");
    let spec = support::block_on(plugin.describe_gate(&inv)).unwrap().value;
    assert_eq!(spec.name, "legacy-gate");
}

/// Rewrite every `dgov:plugin/...@0.1.0` name in a component to `@0.9.0` (same length, so
/// the binary stays well-formed): a plugin "from the future" that this host cannot serve.
fn with_version(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let mut i = 0;
    let mut n = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(n > 0, "nothing to rewrite");
    out
}

#[test]
fn an_unsupported_contract_version_is_refused_naming_both_versions() {
    let bytes = std::fs::read(support::fixture_plugin("legacy-gate")).unwrap();
    let future = with_version(&bytes, b"@0.1.0", b"@0.9.0");
    let err = meta::inspect(&future, "future").unwrap_err();
    assert_eq!(
        err,
        MetaError::UnsupportedVersion {
            found: Version {
                major: 0,
                minor: 9,
                patch: 0
            }
        }
    );

    let cache = tempfile::tempdir().unwrap();
    let runtime = support::runtime(cache.path());
    let err = runtime
        .load_bytes(&future, "future", dgov_plugin_host::PluginOrigin::BuiltIn)
        .unwrap_err();
    assert!(matches!(err, LoadError::Meta { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("dgov:plugin@0.9.0") && msg.contains("@0.1.2"),
        "{msg}"
    );
}
