//! Token streams of a subtree: fingerprints and whitespace-normalised text.
//!
//! Tokens are the leaves of the syntax tree, with string literals kept whole (their inner
//! whitespace is content) and comments dropped (they do not change behaviour). Neither
//! positions nor layout reach the result, so moving or reformatting code changes nothing.

use tree_sitter::Node;

use super::{preorder, text};
use crate::facts::Fingerprint;

pub(super) fn is_comment(kind: &str) -> bool {
    kind.contains("comment")
}

/// String-like nodes are single tokens: their children may not cover every byte.
pub(super) fn is_atomic(node: Node<'_>, kind: &str) -> bool {
    node.child_count() == 0
        || (node.is_named() && (kind.contains("string") || kind.contains("template")))
}

/// Calls `each` with every token under `root` in source order.
pub(super) fn for_each_token<'t>(root: Node<'t>, mut each: impl FnMut(Node<'t>)) {
    preorder(root, |node| {
        let kind = node.kind();
        if is_comment(kind) {
            return false;
        }
        if is_atomic(node, kind) {
            each(node);
            return false;
        }
        true
    });
}

/// Digests of already-walked subtrees (function bodies), by node id.
pub(super) type DigestCache = std::collections::HashMap<usize, (String, Vec<String>)>;

/// Fingerprint of the tokens under `root` (16 hex digits) and the names called under it,
/// sorted and unique, in one walk. A subtree found in `cache` contributes its cached
/// digest as one token instead of being walked again (walks dominate extraction time).
pub(super) fn digest(root: Node<'_>, src: &[u8], cache: &DigestCache) -> (String, Vec<String>) {
    let mut fp = Fingerprint::default();
    let mut calls = Vec::new();
    preorder(root, |node| {
        if let Some((hash, cached_calls)) = cache.get(&node.id()) {
            fp.token(hash.as_bytes());
            calls.extend(cached_calls.iter().cloned());
            return false;
        }
        let kind = node.kind();
        if is_comment(kind) {
            return false;
        }
        calls.extend(super::lang::call_name(node, kind, src));
        if is_atomic(node, kind) {
            fp.token(src.get(node.byte_range()).unwrap_or_default());
            return false;
        }
        true
    });
    calls.sort();
    calls.dedup();
    (fp.hex(), calls)
}

/// The tokens under `root` joined into one line: a space only where two word tokens meet
/// and after commas, so `fn f( a :i32 ,b: u8 )` and `fn f(a: i32, b: u8)` agree.
pub(super) fn normalize(root: Node<'_>, src: &[u8]) -> String {
    let mut out = String::new();
    for_each_token(root, |node| {
        let tok = text(node, src);
        let tok = tok.trim();
        if tok.is_empty() {
            return;
        }
        let prev_word = out.chars().last().is_some_and(is_word_char);
        let next_word = tok.chars().next().is_some_and(is_word_char);
        if (prev_word && next_word)
            || out.ends_with(',')
            || (out.ends_with("->") || tok == "->") && !out.is_empty()
        {
            out.push(' ');
        }
        out.push_str(tok);
    });
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}
