//! Parsing a large Python or Rust file as two halves on two threads (symbols-only path).
//!
//! tree-sitter parses one file on one thread, and that parse is most of the semantic gate's
//! cost. A file splits cleanly between two top-level items:
//!
//! - Python: before a column-0 `def`, `class` or decorator that follows a blank line (a
//!   top-level statement ends at a newline outside brackets, strings and indented blocks);
//! - Rust: before a column-0 item (`fn`, `pub …`, `impl`, `struct`, an attribute, a doc
//!   comment, …) that follows a blank line, when the last line before it is a column-0 `}`
//!   or ends with `;` (the previous item is closed).
//!
//! Anything spanning such a point (an open bracket or string, a Python block continued by
//! `else:`/`except:`, a decorator without its definition, a backslash continuation, a Rust
//! raw string or block comment) leaves a syntax error in one half. The split is accepted
//! only when both halves parse without errors and a parse of the seam (the last item before
//! the split and the first after it, together) gives both items back with their extents,
//! the same margin check as the region re-parse. Anything else parses the file whole.

use tree_sitter::Node;

use super::{ParseError, parse_tree, symbols};
use crate::facts::{Language, SymbolFacts};

/// Smaller files are not worth a thread.
pub(super) const SPLIT_BYTES: usize = 16 * 1024;

/// Symbols and top-level items (byte range, symbol count) of a parsed text.
pub(super) type Outline = (Vec<SymbolFacts>, Vec<(usize, usize, usize)>);

/// A half's [`Outline`], offsets relative to the half; `None` when it had syntax errors.
type Half = Option<Outline>;

/// Whether files of `language` are split (see the module doc).
pub(super) fn splits(language: Language) -> bool {
    matches!(language, Language::Python | Language::Rust)
}

/// Symbols and items (absolute byte ranges) of `bytes`, parsed as two halves, or `None`
/// when no safe split point exists or the split cannot be shown to equal a whole parse.
pub(super) fn parse_halves(
    language: Language,
    path: &str,
    bytes: &[u8],
) -> Result<Option<Outline>, ParseError> {
    let point = match language {
        Language::Python => split_point(bytes, python_boundary),
        Language::Rust => split_point(bytes, rust_boundary),
        _ => None,
    };
    let Some(at) = point else {
        return Ok(None);
    };
    let half = |part: &[u8]| -> Result<Half, ParseError> {
        let tree = parse_tree(language, path, part, None)?;
        let root = tree.root_node();
        if root.has_error() {
            return Ok(None);
        }
        let (syms, items) = symbols::extract_outlined(language, root, part);
        let items = items
            .iter()
            .map(|&(n, k)| (n.start_byte(), n.end_byte(), k))
            .collect();
        Ok(Some((syms, items)))
    };
    let (first, second) = std::thread::scope(|scope| {
        let other = scope.spawn(|| half(&bytes[at..]));
        let first = half(&bytes[..at]);
        let second = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (first, second)
    });
    let (Some((mut syms, mut items)), Some((syms2, items2))) = (first?, second?) else {
        return Ok(None);
    };
    let (Some(&(last_start, last_end, _)), Some(&(next_start, next_end, _))) =
        (items.last(), items2.first())
    else {
        return Ok(None);
    };
    // The seam: both items parsed together must come back as themselves.
    if last_start > 0 && bytes[last_start - 1] != b'\n' {
        return Ok(None);
    }
    let seam = &bytes[last_start..at + next_end];
    let tree = parse_tree(language, path, seam, None)?;
    let root = tree.root_node();
    let mut cursor = root.walk();
    let got: Vec<Node<'_>> = root.named_children(&mut cursor).collect();
    let expected = [
        (0, last_end - last_start),
        (at + next_start - last_start, at + next_end - last_start),
    ];
    if root.has_error()
        || got.len() != 2
        || got
            .iter()
            .zip(expected)
            .any(|(n, (s, e))| n.start_byte() != s || n.end_byte() != e)
    {
        return Ok(None);
    }
    let rows =
        u32::try_from(bytes[..at].iter().filter(|&&b| b == b'\n').count()).unwrap_or(u32::MAX);
    syms.extend(syms2.into_iter().map(|mut s| {
        s.start_line = s.start_line.saturating_add(rows);
        s.end_line = s.end_line.saturating_add(rows);
        s
    }));
    items.extend(items2.into_iter().map(|(s, e, k)| (s + at, e + at, k)));
    Ok(Some((syms, items)))
}

/// Whether a Python top-level item may start at `p` (after a blank line): a column-0
/// `def`, `class`, `async def` or decorator, and the last non-blank line before it is not a
/// comment (where comments before a dedent belong is decided by what follows) or a
/// backslash continuation.
fn python_boundary(bytes: &[u8], p: usize) -> bool {
    let rest = &bytes[p..];
    let starts = [&b"def "[..], b"class ", b"async def ", b"@"]
        .iter()
        .any(|k| rest.starts_with(k));
    let line = last_line(bytes, p).trim_ascii_start();
    starts && !line.is_empty() && !line.starts_with(b"#") && !line.ends_with(b"\\")
}

/// Whether a Rust top-level item may start at `p` (after a blank line): the line starts at
/// column 0 with an item, attribute or doc comment, and the last non-blank line before it
/// is a column-0 `}` or ends with `;` — the previous item is closed.
fn rust_boundary(bytes: &[u8], p: usize) -> bool {
    let rest = &bytes[p..];
    let starts = [
        &b"fn "[..],
        b"pub ",
        b"pub(",
        b"impl",
        b"struct ",
        b"enum ",
        b"union ",
        b"trait ",
        b"mod ",
        b"type ",
        b"const ",
        b"static ",
        b"use ",
        b"async ",
        b"unsafe ",
        b"extern ",
        b"macro_rules!",
        b"#[",
        b"/// ",
    ]
    .iter()
    .any(|k| rest.starts_with(k));
    let line = last_line(bytes, p);
    let closed = line == b"}" || (line.ends_with(b";") && !line.starts_with(b" "));
    starts && closed && !line.starts_with(b"\t")
}

/// The last non-blank line before `p`, without its line ending or trailing blanks.
fn last_line(bytes: &[u8], p: usize) -> &[u8] {
    let before = bytes[..p].trim_ascii_end();
    before.rsplit(|&b| b == b'\n').next().unwrap_or_default()
}

/// A byte offset near the middle, after a blank line (`\n\n`), where `boundary` says a
/// top-level item may start.
fn split_point(bytes: &[u8], boundary: fn(&[u8], usize) -> bool) -> Option<usize> {
    let ok = |p: usize| {
        p >= 2
            && &bytes[p - 2..p] == b"\n\n"
            && !bytes[..p].trim_ascii_end().is_empty()
            && boundary(bytes, p)
    };
    let mid = bytes.len() / 2;
    // Search outwards from the middle, within the middle half of the file.
    let reach = bytes.len() / 4;
    (0..reach).find_map(|d| {
        [mid + d, mid.wrapping_sub(d)]
            .into_iter()
            .find(|&p| p < bytes.len() && ok(p))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize, item: &dyn Fn(usize) -> String) -> String {
        (0..n).map(item).collect()
    }

    #[test]
    fn a_large_rust_file_splits_between_items_and_not_inside_one() {
        let rs = items(400, &|i| {
            format!("/// Doc {i}.\n#[inline]\npub fn f{i}(a: u32) -> u32 {{\n    a + {i}\n}}\n\n")
        });
        let at = split_point(rs.as_bytes(), rust_boundary).expect("a split point");
        assert!(rs[at..].starts_with("/// Doc "), "{}", &rs[at..at + 20]);
        let (symbols, _) = parse_halves(Language::Rust, "a.rs", rs.as_bytes())
            .unwrap()
            .expect("parsed as two halves");
        assert_eq!(symbols.len(), 400);
        // An item left open before every blank line: no boundary is closed, no split.
        let open = items(400, &|i| format!("fn f{i}() {{\n    let x = {i};\n\n"));
        assert_eq!(split_point(open.as_bytes(), rust_boundary), None);
    }

    #[test]
    fn a_large_python_file_splits_before_a_top_level_definition() {
        let py = items(400, &|i| format!("def f{i}(a):\n    return a + {i}\n\n"));
        let at = split_point(py.as_bytes(), python_boundary).expect("a split point");
        assert!(py[at..].starts_with("def f"));
        let (symbols, _) = parse_halves(Language::Python, "a.py", py.as_bytes())
            .unwrap()
            .expect("parsed as two halves");
        assert_eq!(symbols.len(), 400);
    }
}
