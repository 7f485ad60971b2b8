//! Symbol-level differences between two versions of a file, for the semantic gate.
//!
//! A symbol *changed* when its position-independent body hash differs, never because it
//! moved: the reference gate compared line ranges, so a function inserted above `f` and `g`
//! made both look edited (spec §2.4). Pure data in, data out; builds for wasm32-wasip2.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::facts::{FileFacts, SymbolFacts, SymbolKind};

/// How a symbol differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    /// Same signature, different body.
    BodyChanged,
    /// The normalised signature differs (the body may differ too).
    SignatureChanged {
        before: String,
        after: String,
    },
}

/// One changed symbol, with its line ranges on each side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolChange {
    pub name: String,
    pub kind: SymbolKind,
    pub change: Change,
    pub before_lines: Option<(u32, u32)>,
    pub after_lines: Option<(u32, u32)>,
}

/// FNV-1a for the small string-keyed maps here: SipHash and ordered maps dominated the
/// semantic gate's time inside the sandbox.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Symbols keyed by (name, occurrence), so a second definition of the same name in one
/// file is its own identity rather than silently replacing the first.
fn keyed(symbols: &[SymbolFacts]) -> FnvMap<(&str, usize), &SymbolFacts> {
    let mut seen: FnvMap<&str, usize> = FnvMap::default();
    let mut out = FnvMap::default();
    out.reserve(symbols.len());
    for s in symbols {
        let n = seen.entry(&s.name).or_default();
        out.insert((s.name.as_str(), *n), s);
        *n += 1;
    }
    out
}

/// What changed from `before` to `after` (either may be the empty default for a file
/// that does not exist on that side), sorted by name.
pub fn symbol_changes(before: &FileFacts, after: &FileFacts) -> Vec<SymbolChange> {
    symbol_changes_in(&before.symbols, &after.symbols)
}

/// [`symbol_changes`] of two symbol lists (no need to build whole [`FileFacts`]).
pub fn symbol_changes_in(before: &[SymbolFacts], after: &[SymbolFacts]) -> Vec<SymbolChange> {
    let (b, a) = (keyed(before), keyed(after));
    // Sorted by name; for one name, removals and edits before additions, each by occurrence.
    let mut out: Vec<((bool, usize), SymbolChange)> = Vec::new();
    for (&key, old) in &b {
        let at = (false, key.1);
        match a.get(&key) {
            None => out.push((
                at,
                SymbolChange {
                    name: old.name.clone(),
                    kind: old.kind,
                    change: Change::Removed,
                    before_lines: Some((old.start_line, old.end_line)),
                    after_lines: None,
                },
            )),
            Some(new) if new.body_hash != old.body_hash || new.signature != old.signature => {
                let change = match (&old.signature, &new.signature) {
                    (Some(x), Some(y)) if x != y => Change::SignatureChanged {
                        before: x.clone(),
                        after: y.clone(),
                    },
                    _ => Change::BodyChanged,
                };
                out.push((
                    at,
                    SymbolChange {
                        name: new.name.clone(),
                        kind: new.kind,
                        change,
                        before_lines: Some((old.start_line, old.end_line)),
                        after_lines: Some((new.start_line, new.end_line)),
                    },
                ));
            }
            Some(_) => {}
        }
    }
    for (key, new) in &a {
        if !b.contains_key(key) {
            out.push((
                (true, key.1),
                SymbolChange {
                    name: new.name.clone(),
                    kind: new.kind,
                    change: Change::Added,
                    before_lines: None,
                    after_lines: Some((new.start_line, new.end_line)),
                },
            ));
        }
    }
    out.sort_by(|(x, cx), (y, cy)| cx.name.cmp(&cy.name).then(x.cmp(y)));
    out.into_iter().map(|(_, c)| c).collect()
}

/// Names defined more than once in one file, with every definition's line range.
pub fn duplicate_definitions(facts: &FileFacts) -> Vec<(String, Vec<(u32, u32)>)> {
    duplicate_definitions_in(&facts.symbols)
}

/// [`duplicate_definitions`] of a symbol list.
pub fn duplicate_definitions_in(symbols: &[SymbolFacts]) -> Vec<(String, Vec<(u32, u32)>)> {
    let mut count: FnvMap<&str, usize> = FnvMap::default();
    for s in symbols {
        *count.entry(&s.name).or_default() += 1;
    }
    let mut by_name: BTreeMap<&str, Vec<(u32, u32)>> = BTreeMap::new();
    for s in symbols.iter().filter(|s| count[s.name.as_str()] > 1) {
        by_name
            .entry(&s.name)
            .or_default()
            .push((s.start_line, s.end_line));
    }
    by_name
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(n, v)| (n.to_string(), v))
        .collect()
}
