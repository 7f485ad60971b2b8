//! Parsing a large Python file as two halves on two threads (symbols-only path).
//!
//! tree-sitter parses one file on one thread, and for Python that parse is most of the
//! semantic gate's cost. Python top-level statements end at a newline outside brackets,
//! strings and indented blocks, so a file splits cleanly before a column-0 `def`, `class`
//! or decorator that follows a blank line: anything spanning such a point (an open bracket
//! or string, a block continued by `else:`/`except:`, a decorator without its definition,
//! a backslash continuation) leaves a syntax error in one half. The split is accepted only
//! when both halves parse without errors and a parse of the seam (the last item before the
//! split and the first after it, together) gives both items back with their extents, the
//! same margin check as the region re-parse. Anything else parses the file whole.

use tree_sitter::Node;

use super::{ParseError, parse_tree, symbols};
use crate::facts::{Language, SymbolFacts};

/// Smaller files are not worth a thread.
pub(super) const SPLIT_BYTES: usize = 16 * 1024;

/// Symbols and top-level items (byte range, symbol count) of a parsed text.
pub(super) type Outline = (Vec<SymbolFacts>, Vec<(usize, usize, usize)>);

/// A half's [`Outline`], offsets relative to the half; `None` when it had syntax errors.
type Half = Option<Outline>;

/// Symbols and items (absolute byte ranges) of `bytes`, parsed as two halves, or `None`
/// when no safe split point exists or the split cannot be shown to equal a whole parse.
pub(super) fn parse_halves(path: &str, bytes: &[u8]) -> Result<Option<Outline>, ParseError> {
    let Some(at) = split_point(bytes) else {
        return Ok(None);
    };
    let half = |part: &[u8]| -> Result<Half, ParseError> {
        let tree = parse_tree(Language::Python, path, part, None)?;
        let root = tree.root_node();
        if root.has_error() {
            return Ok(None);
        }
        let (syms, items) = symbols::extract_outlined(Language::Python, root, part);
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
    let tree = parse_tree(Language::Python, path, seam, None)?;
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

/// A byte offset near the middle where a top-level `def`, `class`, `async def` or
/// decorator starts at column 0 after a blank line, and the last non-blank line before it
/// is not a comment (where comments before a dedent belong is decided by what follows).
fn split_point(bytes: &[u8]) -> Option<usize> {
    let starts = |p: usize| {
        let rest = &bytes[p..];
        [&b"def "[..], b"class ", b"async def ", b"@"]
            .iter()
            .any(|k| rest.starts_with(k))
    };
    let ok = |p: usize| {
        if p < 2 || &bytes[p - 2..p] != b"\n\n" || !starts(p) {
            return false;
        }
        let before = bytes[..p].trim_ascii_end();
        let line = before
            .rsplit(|&b| b == b'\n')
            .next()
            .unwrap_or_default()
            .trim_ascii_start();
        !before.is_empty() && !line.starts_with(b"#") && !line.ends_with(b"\\")
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
