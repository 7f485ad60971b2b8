//! The on-disk compile cache.
//!
//! Compiling a component with Cranelift costs tens to hundreds of milliseconds; loading a
//! precompiled artifact costs well under one. Entries are keyed by the SHA-256 of the
//! component bytes and the engine's `precompile_compatibility_hash` (target, compiler
//! flags, tunables, features and the wasmtime version), so a changed plugin, engine
//! configuration or wasmtime upgrade misses instead of loading something stale.
//!
//! Deserializing a precompiled artifact is `unsafe` in wasmtime: the bytes are trusted to be
//! wasmtime's own output. So every entry carries a header with its payload's length and
//! CRC-32, written by us and checked before deserializing; a corrupt or truncated entry is
//! counted, recompiled and rewritten, never trusted. (The cache directory belongs to the
//! user, so the threat is disk corruption and interrupted writes, not forgery: a CRC detects
//! those at memory speed, where a cryptographic hash would cost milliseconds per load.)

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Counters that make cache behaviour observable without timing anything.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// Loads served from a valid cache entry.
    pub hits: u64,
    /// Loads that compiled (no entry, or caching disabled).
    pub misses: u64,
    /// Entries found corrupt or incompatible, then recompiled and rewritten.
    pub recovered: u64,
}

/// Where precompiled components live.
#[derive(Debug)]
pub struct CompileCache {
    dir: Option<PathBuf>,
    hits: AtomicU64,
    misses: AtomicU64,
    recovered: AtomicU64,
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadSource {
    Cache,
    Compiled,
}

impl CompileCache {
    /// A cache in `dir` (created on first write), or no caching with `None`.
    pub fn new(dir: Option<PathBuf>) -> CompileCache {
        CompileCache {
            dir,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            recovered: AtomicU64::new(0),
        }
    }

    /// The default per-user cache directory: `$DGOV_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/dgov/components`, else `~/.cache/dgov/components`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DGOV_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("dgov").join("components"))
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            recovered: self.recovered.load(Ordering::Relaxed),
        }
    }

    /// The cache file an artifact for `bytes` would live in.
    pub fn entry_path(&self, engine: &Engine, bytes: &[u8]) -> Option<PathBuf> {
        self.entry_for(engine, &component_hash(bytes))
    }

    fn entry_for(&self, engine: &Engine, component_hash: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!("{}.cwasm", cache_key(engine, component_hash))))
    }

    /// Load the component for `bytes` from the cache, or compile (and store) it.
    /// `component_hash` is [`component_hash`] of `bytes`, which the caller already has.
    pub fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        component_hash: &str,
    ) -> wasmtime::Result<(Component, LoadSource)> {
        let Some(path) = self.entry_for(engine, component_hash) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Ok((Component::new(engine, bytes)?, LoadSource::Compiled));
        };
        if let Ok(entry) = std::fs::read(&path) {
            match verified_payload(&entry) {
                Some(payload) => {
                    // SAFETY: the payload's length and checksum match the header we wrote
                    // around wasmtime's own serialized output, and wasmtime additionally
                    // checks the artifact header against this engine before using it.
                    if let Ok(component) = unsafe { Component::deserialize(engine, payload) } {
                        self.hits.fetch_add(1, Ordering::Relaxed);
                        return Ok((component, LoadSource::Cache));
                    }
                    self.recovered.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    self.recovered.fetch_add(1, Ordering::Relaxed);
                }
            }
            tracing::warn!(path = %path.display(), "discarding a corrupt compile-cache entry");
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let component = Component::new(engine, bytes)?;
        if let Err(err) = write_entry(&path, &component.serialize()?) {
            // The cache is an optimisation: failing to write it is not an error.
            tracing::warn!(path = %path.display(), %err, "could not write the compile cache");
        }
        Ok((component, LoadSource::Compiled))
    }
}

/// Entry header: magic, CRC-32 of the payload (LE), payload length (LE).
const ENTRY_MAGIC: &[u8; 8] = b"DGOVCC01";
const HEADER_LEN: usize = 8 + 4 + 8;

/// The payload of an entry whose header, length and checksum are all intact.
fn verified_payload(entry: &[u8]) -> Option<&[u8]> {
    if entry.len() < HEADER_LEN || &entry[..8] != ENTRY_MAGIC {
        return None;
    }
    let crc = u32::from_le_bytes(entry[8..12].try_into().ok()?);
    let len = u64::from_le_bytes(entry[12..20].try_into().ok()?);
    let payload = &entry[HEADER_LEN..];
    (payload.len() as u64 == len && crc32fast::hash(payload) == crc).then_some(payload)
}

fn write_entry(path: &Path, payload: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut data = Vec::with_capacity(payload.len() + HEADER_LEN);
    data.extend_from_slice(ENTRY_MAGIC);
    data.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    data.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    data.extend_from_slice(payload);
    // Write to a unique temporary name and rename, so a concurrent reader never sees a
    // half-written entry.
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        std::process::id()
    ));
    std::fs::write(&tmp, &data)?;
    std::fs::rename(&tmp, path)
}

/// Feeds `Hash` output into SHA-256, so the engine's compatibility hash becomes part of a
/// stable, collision-resistant key.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0 // unused: the digest is read from the inner state
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn cache_key(engine: &Engine, component_hash: &str) -> String {
    let mut hasher = ShaHasher(Sha256::new());
    hasher.write(b"dgov-component-cache-v2\0");
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.write(component_hash.as_bytes());
    hex::encode(hasher.0.finalize())
}

/// SHA-256 of component bytes, hex (also the plugin hash used in verdict caches).
pub fn component_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
