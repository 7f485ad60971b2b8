//! Tree-sitter queries for plugins: the host runs a query over a file and returns plain
//! captures, so a third-party gate gets every grammar without shipping one.

use tree_sitter::{Query, QueryCursor, StreamingIterator};

use super::{ParseError, end_line_of, line_of, parse_tree, text};
use crate::facts::{Capture, Language, QueryMatch};

/// At most this many matches are returned; a query matching more is almost certainly
/// too broad, and the host must bound what it hands a plugin.
pub const MAX_MATCHES: usize = 10_000;

/// Runs a tree-sitter query (S-expression source) over `bytes` parsed as the language of
/// `path`. Matches come in document order, captures in pattern order.
pub fn query(path: &str, bytes: &[u8], source: &str) -> Result<Vec<QueryMatch>, ParseError> {
    let language = Language::from_path(path).ok_or_else(|| ParseError::UnsupportedLanguage {
        path: path.to_string(),
    })?;
    let tree = parse_tree(language, path, bytes, None)?;
    let grammar = super::lang::grammar(language);
    let query = Query::new(&grammar, source).map_err(|e| ParseError::Query {
        path: path.to_string(),
        language: language.name(),
        line: u32::try_from(e.row + 1).unwrap_or(u32::MAX),
        column: u32::try_from(e.column + 1).unwrap_or(u32::MAX),
        message: e.message.trim().to_string(),
    })?;
    let names = query.capture_names();
    let mut cursor = QueryCursor::new();
    cursor.set_match_limit(u32::try_from(MAX_MATCHES).unwrap_or(u32::MAX));
    let mut matches = cursor.matches(&query, tree.root_node(), bytes);
    let mut out = Vec::new();
    while let Some(m) = matches.next() {
        if out.len() >= MAX_MATCHES {
            break;
        }
        let captures = m
            .captures
            .iter()
            .map(|c| Capture {
                name: names
                    .get(c.index as usize)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                text: text(c.node, bytes).into_owned(),
                kind: c.node.kind().to_string(),
                start_line: line_of(c.node),
                start_column: u32::try_from(c.node.start_position().column + 1).unwrap_or(u32::MAX),
                end_line: end_line_of(c.node),
                start_byte: u32::try_from(c.node.start_byte()).unwrap_or(u32::MAX),
                end_byte: u32::try_from(c.node.end_byte()).unwrap_or(u32::MAX),
            })
            .collect();
        out.push(QueryMatch {
            pattern: u32::try_from(m.pattern_index).unwrap_or(u32::MAX),
            captures,
        });
    }
    Ok(out)
}
