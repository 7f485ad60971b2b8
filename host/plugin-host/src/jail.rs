//! Path containment: turning a plugin-supplied relative path into a host path that is
//! guaranteed to stay inside the granted root.
//!
//! Plugins are untrusted, so every path they hand to a host capability goes through
//! [`Jail::resolve`]. The rules: the path must be relative, must not contain `..` that climbs
//! above the root, and every symlink met on the way must resolve to somewhere inside the
//! root. The last component may not exist yet (for writes); its parent must.

use std::path::{Component, Path, PathBuf};

/// Why a path was refused or could not be resolved.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JailError {
    #[error("path `{0}` is absolute; paths are relative to the granted root")]
    Absolute(String),
    #[error("path `{0}` leaves the granted root")]
    Escapes(String),
    #[error("path `{0}` is not valid: {1}")]
    Invalid(String, &'static str),
    #[error("path `{0}` does not exist")]
    NotFound(String),
}

/// A granted root directory. The root itself is canonicalized once, up front.
#[derive(Debug, Clone)]
pub struct Jail {
    root: PathBuf,
}

impl Jail {
    /// Create a jail at `root`, which must exist.
    pub fn new(root: &Path) -> std::io::Result<Jail> {
        Ok(Jail {
            root: root.canonicalize()?,
        })
    }

    /// The canonical root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolve `rel` to a host path inside the root. When `must_exist` is false the final
    /// component may be missing (its parent directory must still resolve inside the root).
    pub fn resolve(&self, rel: &str, must_exist: bool) -> Result<PathBuf, JailError> {
        if rel.contains('\0') {
            return Err(JailError::Invalid(rel.to_owned(), "contains a NUL byte"));
        }
        let path = Path::new(rel);
        if path.is_absolute() || rel.starts_with('/') || rel.starts_with('\\') {
            return Err(JailError::Absolute(rel.to_owned()));
        }
        // Lexical normalisation first: a `..` that climbs above the root is refused outright,
        // even if the filesystem would happen to bring it back inside.
        let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
        for component in path.components() {
            match component {
                Component::Normal(part) => parts.push(part),
                Component::CurDir => {}
                Component::ParentDir => {
                    if parts.pop().is_none() {
                        return Err(JailError::Escapes(rel.to_owned()));
                    }
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err(JailError::Absolute(rel.to_owned()));
                }
            }
        }
        let mut candidate = self.root.clone();
        for part in &parts {
            candidate.push(part);
        }
        // Then the filesystem: canonicalize resolves every symlink; the result must still be
        // under the root.
        match candidate.canonicalize() {
            Ok(real) => {
                if real.starts_with(&self.root) {
                    Ok(real)
                } else {
                    Err(JailError::Escapes(rel.to_owned()))
                }
            }
            Err(_) if !must_exist => {
                let Some(name) = parts.last() else {
                    return Ok(self.root.clone());
                };
                // A dangling symlink as the last component could be followed by a later
                // write; refuse it.
                if std::fs::symlink_metadata(&candidate).is_ok() {
                    return Err(JailError::Escapes(rel.to_owned()));
                }
                let parent = candidate.parent().unwrap_or(&self.root);
                let real_parent = self.resolve_existing_ancestor(parent, rel)?;
                Ok(real_parent.join(name))
            }
            Err(_) => Err(JailError::NotFound(rel.to_owned())),
        }
    }

    /// Express a host path inside the root as a root-relative path with `/` separators.
    pub fn relative(&self, host_path: &Path) -> Option<String> {
        let rel = host_path.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }

    /// For a path whose last component is missing: its deepest existing ancestor must be
    /// inside the root (so `mkdir -p` style writes cannot be redirected by a symlinked
    /// directory).
    fn resolve_existing_ancestor(&self, parent: &Path, rel: &str) -> Result<PathBuf, JailError> {
        let mut missing = Vec::new();
        let mut cursor = parent.to_path_buf();
        loop {
            match cursor.canonicalize() {
                Ok(real) => {
                    if !real.starts_with(&self.root) {
                        return Err(JailError::Escapes(rel.to_owned()));
                    }
                    let mut out = real;
                    for part in missing.iter().rev() {
                        out.push(part);
                    }
                    return Ok(out);
                }
                Err(_) => {
                    if std::fs::symlink_metadata(&cursor).is_ok() {
                        // A dangling symlink in the middle of the path.
                        return Err(JailError::Escapes(rel.to_owned()));
                    }
                    let Some(name) = cursor.file_name().map(|n| n.to_owned()) else {
                        return Err(JailError::Escapes(rel.to_owned()));
                    };
                    missing.push(name);
                    if !cursor.pop() {
                        return Err(JailError::Escapes(rel.to_owned()));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jail() -> (tempfile::TempDir, Jail) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/deep")).unwrap();
        std::fs::write(dir.path().join("src/a.rs"), "fn a() {}").unwrap();
        let jail = Jail::new(dir.path()).unwrap();
        (dir, jail)
    }

    #[test]
    fn resolves_plain_relative_paths_inside_the_root() {
        let (_d, jail) = jail();
        let p = jail.resolve("src/a.rs", true).unwrap();
        assert!(p.ends_with("src/a.rs"));
        assert_eq!(jail.resolve("./src/../src/a.rs", true).unwrap(), p);
        assert_eq!(jail.relative(&p).as_deref(), Some("src/a.rs"));
    }

    #[test]
    fn refuses_absolute_and_climbing_paths() {
        let (_d, jail) = jail();
        assert!(matches!(
            jail.resolve("/etc/passwd", true),
            Err(JailError::Absolute(_))
        ));
        assert!(matches!(
            jail.resolve("../x", false),
            Err(JailError::Escapes(_))
        ));
        assert!(matches!(
            jail.resolve("src/../../x", false),
            Err(JailError::Escapes(_))
        ));
        assert!(matches!(
            jail.resolve("a\0b", false),
            Err(JailError::Invalid(..))
        ));
    }

    #[test]
    fn refuses_symlinks_that_leave_the_root() {
        let (d, jail) = jail();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), d.path().join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("dirlink")).unwrap();
        std::os::unix::fs::symlink("/nonexistent/target", d.path().join("dangling")).unwrap();
        assert!(matches!(
            jail.resolve("link", true),
            Err(JailError::Escapes(_))
        ));
        assert!(matches!(
            jail.resolve("dirlink/new.txt", false),
            Err(JailError::Escapes(_))
        ));
        assert!(matches!(
            jail.resolve("dangling", false),
            Err(JailError::Escapes(_))
        ));
    }

    #[test]
    fn allows_new_files_and_directories_under_existing_ones() {
        let (_d, jail) = jail();
        let p = jail.resolve("src/new/dir/file.txt", false).unwrap();
        assert!(p.starts_with(jail.root()));
        assert!(matches!(
            jail.resolve("src/missing.rs", true),
            Err(JailError::NotFound(_))
        ));
    }
}
