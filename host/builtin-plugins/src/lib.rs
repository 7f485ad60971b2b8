//! dgov's first-party plugins, embedded in the binary.
//!
//! The build script compiles every crate under `plugins/` for `wasm32-wasip2` and embeds the
//! resulting components here, so the `dgov` binary carries its own gates and tools and needs
//! no plugin directory at run time.

/// One embedded plugin.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The plugin crate's package name.
    pub name: &'static str,
    /// The component bytes.
    pub bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The embedded plugin named `name`.
pub fn get(name: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_member_plugin_crate_is_embedded_as_a_component() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins");
        let workspace = std::fs::read_to_string(root.join("../Cargo.toml")).unwrap();
        let mut expected: Vec<String> = std::fs::read_dir(root)
            .unwrap()
            .flatten()
            .filter(|e| e.path().join("Cargo.toml").exists())
            .filter(|e| {
                workspace.contains(&format!("\"plugins/{}\"", e.file_name().to_string_lossy()))
            })
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        expected.sort();
        let names: Vec<&str> = super::BUILTIN.iter().map(|b| b.name).collect();
        assert_eq!(names, expected);
        for b in super::BUILTIN {
            // component-model binary: magic + layer 1
            assert_eq!(&b.bytes[0..4], b"\0asm", "{} is not wasm", b.name);
            assert_eq!(&b.bytes[6..8], &[1, 0], "{} is not a component", b.name);
        }
    }
}
