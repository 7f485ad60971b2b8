//! The compile cache: a second load is served from disk, a corrupted entry is detected and
//! recovered from, and a changed component misses.

mod support;

use dgov_plugin_host::cache::CacheStats;

#[test]
fn a_second_load_is_served_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let path = support::fixture_plugin("probe-tool");
    let first = support::runtime(cache.path());
    let plugin = first.load_file(&path).unwrap();
    assert!(!plugin.from_cache());
    assert_eq!(
        first.cache_stats(),
        CacheStats {
            hits: 0,
            misses: 1,
            recovered: 0
        }
    );

    // A new runtime (as in a new dgov process) finds the entry on disk.
    let second = support::runtime(cache.path());
    let plugin = second.load_file(&path).unwrap();
    assert!(plugin.from_cache());
    assert_eq!(
        second.cache_stats(),
        CacheStats {
            hits: 1,
            misses: 0,
            recovered: 0
        }
    );
    let entries: Vec<_> = std::fs::read_dir(cache.path()).unwrap().flatten().collect();
    assert_eq!(entries.len(), 1, "one entry per component");
}

#[test]
fn a_corrupted_cache_entry_is_recompiled_not_trusted() {
    let cache = tempfile::tempdir().unwrap();
    let path = support::fixture_plugin("probe-tool");
    let bytes = std::fs::read(&path).unwrap();
    let runtime = support::runtime(cache.path());
    runtime.load_file(&path).unwrap();
    let entry = runtime
        .cache()
        .entry_path(runtime.engine(), &bytes)
        .unwrap();

    // Flip bytes in the middle of the artifact: the checksum no longer matches.
    let mut data = std::fs::read(&entry).unwrap();
    let mid = data.len() / 2;
    for b in &mut data[mid..mid + 64] {
        *b ^= 0xA5;
    }
    std::fs::write(&entry, &data).unwrap();
    let again = support::runtime(cache.path());
    let plugin = again.load_file(&path).unwrap();
    assert!(!plugin.from_cache());
    assert_eq!(
        again.cache_stats(),
        CacheStats {
            hits: 0,
            misses: 1,
            recovered: 1
        }
    );
    // the recovered plugin works
    let root = tempfile::tempdir().unwrap();
    let inv = dgov_plugin_host::Invocation::read_only(root.path());
    let out = support::block_on(plugin.call_tool(&inv, "noop", "{}", false)).unwrap();
    assert_eq!(out.value.unwrap(), "ok");

    // and the entry was rewritten: the next load hits
    let third = support::runtime(cache.path());
    assert!(third.load_file(&path).unwrap().from_cache());

    // A truncated entry is recovered from too.
    std::fs::write(&entry, &data[..10]).unwrap();
    let fourth = support::runtime(cache.path());
    assert!(!fourth.load_file(&path).unwrap().from_cache());
    assert_eq!(fourth.cache_stats().recovered, 1);
}

#[test]
fn a_different_component_gets_a_different_entry() {
    let cache = tempfile::tempdir().unwrap();
    let runtime = support::runtime(cache.path());
    runtime
        .load_file(&support::fixture_plugin("probe-tool"))
        .unwrap();
    runtime
        .load_file(&support::fixture_plugin("legacy-gate"))
        .unwrap();
    assert_eq!(runtime.cache_stats().misses, 2);
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 2);
}
