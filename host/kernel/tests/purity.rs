//! The kernel must stay pure: no I/O crate may appear among its dependencies.

#[test]
fn kernel_cargo_toml_lists_no_io_crates() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    let deps = doc
        .get("dependencies")
        .and_then(|d| d.as_table())
        .cloned()
        .unwrap_or_default();
    let allowed = ["serde"];
    let forbidden = [
        "tokio",
        "rusqlite",
        "git2",
        "libc",
        "async-std",
        "mio",
        "rand",
        "chrono",
        "time",
        "nix",
    ];
    for name in deps.keys() {
        assert!(
            !forbidden.contains(&name.as_str()),
            "I/O crate `{name}` in dgov-kernel dependencies"
        );
        assert!(
            allowed.contains(&name.as_str()),
            "unexpected dependency `{name}` in dgov-kernel; the kernel is pure (serde at most)"
        );
    }
    assert!(
        doc.get("build-dependencies").is_none(),
        "the kernel has no build script dependencies"
    );
}

#[test]
fn kernel_sources_use_no_filesystem_clock_or_process_apis() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for banned in [
            "std::fs",
            "std::time",
            "std::process",
            "std::net",
            "std::env",
            "std::thread",
        ] {
            assert!(!text.contains(banned), "{} uses {banned}", path.display());
        }
    }
}
