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

/// Per node kind (by kind id) of one grammar, what the token walks ask about it: string
/// matching on kind names per node was a measurable share of the symbols-only walk.
struct KindTable {
    flags: Vec<u8>,
}

const COMMENT: u8 = 1;
const STRINGISH: u8 = 2;
const CALL: u8 = 4;
const FUNCTION: u8 = 8;

impl KindTable {
    fn new(language: Language) -> KindTable {
        let grammar = super::lang::grammar(language);
        let flags = (0..grammar.node_kind_count())
            .map(|id| {
                let kind = u16::try_from(id)
                    .ok()
                    .and_then(|id| grammar.node_kind_for_id(id))
                    .unwrap_or("");
                let mut f = 0;
                if is_comment(kind) {
                    f |= COMMENT;
                }
                if kind.contains("string") || kind.contains("template") {
                    f |= STRINGISH;
                }
                if matches!(kind, "call_expression" | "call" | "new_expression") {
                    f |= CALL;
                }
                if super::lang::may_be_function(language, kind) {
                    f |= FUNCTION;
                }
                f
            })
            .collect();
        KindTable { flags }
    }

    fn get(&self, node: Node<'_>) -> u8 {
        // Unknown ids (never produced by the grammar) get every flag, so the exact
        // string checks decide.
        self.flags
            .get(usize::from(node.kind_id()))
            .copied()
            .unwrap_or(u8::MAX)
    }
}

thread_local! {
    static KINDS: std::cell::RefCell<Vec<(Language, std::rc::Rc<KindTable>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn kind_table(language: Language) -> std::rc::Rc<KindTable> {
    KINDS.with(|cell| {
        let mut tables = cell.borrow_mut();
        if let Some((_, t)) = tables.iter().find(|(l, _)| *l == language) {
            return t.clone();
        }
        let t = std::rc::Rc::new(KindTable::new(language));
        tables.push((language, t.clone()));
        t
    })
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
    let kinds = kind_table(language);
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
        let (parent_reachable, parent_body) = stack.last().copied().unwrap_or((reachable, None));
        let level = depth + stack.len();
        let mut descend = false;
        let mut frame = (false, None);
        if parent_body == Some(node.id()) {
            let (hash, body_calls) = body_digest(&kinds, node, src);
            fp.token(hash.as_bytes());
            calls.extend(body_calls);
        } else {
            let flags = kinds.get(node);
            if flags & COMMENT == 0 || !is_comment(node.kind()) {
                if flags & CALL != 0 {
                    calls.extend(super::lang::call_name(node, node.kind(), src));
                }
                if atomic(node, flags) {
                    fp.token(src.get(node.byte_range()).unwrap_or_default());
                } else {
                    let visited = parent_reachable && node.is_named() && level <= super::MAX_DEPTH;
                    let body = if visited
                        && flags & FUNCTION != 0
                        && super::lang::function_def(language, node, node.kind(), src).is_some()
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

/// [`is_atomic`] with the kind's flags at hand.
fn atomic(node: Node<'_>, flags: u8) -> bool {
    node.child_count() == 0
        || (flags & STRINGISH != 0 && node.is_named() && is_atomic(node, node.kind()))
}

/// Fingerprint and calls of a function body as the complexity walk computes them: every
/// token to depth [`MAX_DEPTH`](super::MAX_DEPTH) below the body, comments skipped.
fn body_digest(kinds: &KindTable, body: Node<'_>, src: &[u8]) -> (String, Vec<String>) {
    let mut fp = Fingerprint::default();
    let mut calls = Vec::new();
    let mut cursor = body.walk();
    let mut depth = 0usize;
    'outer: loop {
        let node = cursor.node();
        let flags = kinds.get(node);
        let mut descend = false;
        if flags & COMMENT == 0 || !is_comment(node.kind()) {
            if flags & CALL != 0 {
                calls.extend(super::lang::call_name(node, node.kind(), src));
            }
            if atomic(node, flags) {
                fp.token(src.get(node.byte_range()).unwrap_or_default());
            } else {
                descend = depth < super::MAX_DEPTH;
            }
        }
        if descend && cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if depth == 0 {
                break 'outer;
            }
            if cursor.goto_next_sibling() {
                continue 'outer;
            }
            cursor.goto_parent();
            depth -= 1;
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
