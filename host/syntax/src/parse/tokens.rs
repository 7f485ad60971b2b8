//! Token streams of a subtree: fingerprints and whitespace-normalised text.
//!
//! Tokens are the leaves of the syntax tree, with string literals kept whole (their inner
//! whitespace is content) and comments dropped (they do not change behaviour). Neither
//! positions nor layout reach the result, so moving or reformatting code changes nothing.

use tree_sitter::Node;

use super::{preorder, text};
use crate::facts::{Fingerprint, Language};

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

/// What [`digest`] gives for a symbol's `root` when the cache holds the body of every function
/// the full facts walk finds, computed without that walk: the walk visits named nodes only,
/// to depth [`MAX_DEPTH`](super::MAX_DEPTH), and a function body it visits contributes its own
/// fingerprint (depth-capped like the complexity walk) as one token.
pub(super) fn digest_direct(
    language: Language,
    root: Node<'_>,
    src: &[u8],
) -> (String, Vec<String>) {
    // Where the full walk would be at `root`: its depth, and whether every ancestor is named.
    let mut depth = 0usize;
    let mut reachable = root.is_named();
    let mut up = root.parent();
    while let Some(p) = up {
        depth += 1;
        reachable &= p.is_named();
        up = p.parent();
    }
    let mut fp = Fingerprint::default();
    let mut calls = Vec::new();
    // Per level of the walk below `root`: (visited by the full walk, body id of a function).
    let mut stack: Vec<(bool, Option<usize>)> = Vec::new();
    let mut cursor = root.walk();
    'outer: loop {
        let node = cursor.node();
        let (parent_reachable, parent_body) = stack.last().copied().unwrap_or((true, None));
        let level = depth + stack.len();
        let mut descend = false;
        let mut frame = (false, None);
        if parent_body == Some(node.id()) {
            let (hash, body_calls) = body_digest(node, src);
            fp.token(hash.as_bytes());
            calls.extend(body_calls);
        } else {
            let kind = node.kind();
            if !is_comment(kind) {
                calls.extend(super::lang::call_name(node, kind, src));
                if is_atomic(node, kind) {
                    fp.token(src.get(node.byte_range()).unwrap_or_default());
                } else {
                    let visited = (if stack.is_empty() {
                        reachable
                    } else {
                        parent_reachable
                    }) && node.is_named()
                        && level <= super::MAX_DEPTH;
                    let body = if visited
                        && super::lang::function_def(language, node, kind, src).is_some()
                    {
                        node.child_by_field_name("body")
                            .map(|b| b.id())
                            .filter(|&b| b != node.id())
                    } else {
                        None
                    };
                    frame = (visited, body);
                    descend = true;
                }
            }
        }
        if descend && cursor.goto_first_child() {
            stack.push(frame);
            continue;
        }
        loop {
            if stack.is_empty() {
                break 'outer;
            }
            if cursor.goto_next_sibling() {
                continue 'outer;
            }
            cursor.goto_parent();
            stack.pop();
        }
    }
    calls.sort();
    calls.dedup();
    (fp.hex(), calls)
}

/// Fingerprint and calls of a function body as the complexity walk computes them: every
/// token to depth [`MAX_DEPTH`](super::MAX_DEPTH) below the body, comments skipped.
fn body_digest(body: Node<'_>, src: &[u8]) -> (String, Vec<String>) {
    let mut fp = Fingerprint::default();
    let mut calls = Vec::new();
    let mut cursor = body.walk();
    'outer: loop {
        let node = cursor.node();
        let kind = node.kind();
        let mut descend = false;
        if !is_comment(kind) {
            calls.extend(super::lang::call_name(node, kind, src));
            if is_atomic(node, kind) {
                fp.token(src.get(node.byte_range()).unwrap_or_default());
            } else {
                descend = (cursor.depth() as usize) < super::MAX_DEPTH;
            }
        }
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.depth() == 0 {
                break 'outer;
            }
            if cursor.goto_next_sibling() {
                continue 'outer;
            }
            cursor.goto_parent();
        }
    }
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
