//! Symbols-only extraction for the semantic gate, and cheap re-extraction of edited versions.
//!
//! The semantic gate needs a file's symbols and syntax errors at up to four versions, which
//! are small edits of one another. [`parse_symbols`] skips the full facts walk (complexity,
//! imports, calls per function) and gives the same symbols as [`parse_file`](super::parse_file).
//! [`SymbolsDoc::edited`] re-parses only the top-level items an edit touched: tree-sitter's
//! own incremental parsing reuses almost nothing in grammars with an external scanner
//! (Python's indentation), so the whole file would be lexed again for a one-line change.
//!
//! Re-parsing a region alone is exact when the region starts and ends at top-level item
//! boundaries that the edit cannot move. The region therefore keeps one untouched item on
//! each side as a margin, and is accepted only when the base had no syntax errors, the
//! region parses without errors, and the margin items come back as top-level items of
//! exactly their old extent (so the parser state at the region's edges is the one the full
//! parse had there). Anything else falls back to a full parse.

use tree_sitter::Node;

use super::{ParseError, count_lines, parse_tree, split, symbols, syntax_errors};
use crate::facts::{FileFacts, Language};

/// One top-level item of an error-free parse: its byte range and how many symbols it defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Item {
    start: usize,
    end: usize,
    symbols: usize,
}

/// A file's symbols-only facts plus what [`SymbolsDoc::edited`] needs to re-extract a
/// close version of it cheaply. Plain data (no tree), so it can be cached and shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolsDoc {
    /// Language, line count, symbols and syntax errors; no functions, imports or calls.
    pub facts: FileFacts,
    /// Top-level items, when the file parsed without errors (else edits parse afresh).
    items: Option<Vec<Item>>,
}

/// Like [`parse_file`](super::parse_file), but only `language`, `lines`, `symbols` and
/// `syntax_errors` are filled (the same values `parse_file` gives), at a fraction of the cost.
pub fn parse_symbols(path: &str, bytes: &[u8]) -> Result<FileFacts, ParseError> {
    Ok(SymbolsDoc::parse(path, bytes)?.facts)
}

fn language_of(path: &str) -> Result<Language, ParseError> {
    Language::from_path(path).ok_or_else(|| ParseError::UnsupportedLanguage {
        path: path.to_string(),
    })
}

impl SymbolsDoc {
    /// Parses `bytes` as the language of `path` (see [`parse_symbols`]).
    pub fn parse(path: &str, bytes: &[u8]) -> Result<SymbolsDoc, ParseError> {
        let language = language_of(path)?;
        if split::splits(language)
            && bytes.len() >= split::SPLIT_BYTES
            && let Some((symbols, items)) = split::parse_halves(language, path, bytes)?
        {
            return Ok(SymbolsDoc {
                facts: FileFacts {
                    language: Some(language),
                    lines: count_lines(bytes),
                    symbols,
                    ..FileFacts::default()
                },
                items: Some(
                    items
                        .into_iter()
                        .map(|(start, end, symbols)| Item {
                            start,
                            end,
                            symbols,
                        })
                        .collect(),
                ),
            });
        }
        let tree = parse_tree(language, path, bytes, None)?;
        let root = tree.root_node();
        let (symbols, items) = symbols::extract_outlined(language, root, bytes);
        let errors = syntax_errors(root, bytes);
        let items = (!root.has_error()).then(|| items.iter().map(|&(n, k)| item(n, k)).collect());
        Ok(SymbolsDoc {
            facts: FileFacts {
                language: Some(language),
                lines: count_lines(bytes),
                symbols,
                syntax_errors: errors,
                ..FileFacts::default()
            },
            items,
        })
    }

    /// The document of `new`, an edit of `old` (the text `self` was parsed from). Gives
    /// exactly what [`SymbolsDoc::parse`] of `new` gives, re-parsing only the top-level
    /// items the edit touched when that is provably the same.
    pub fn edited(&self, path: &str, old: &[u8], new: &[u8]) -> Result<SymbolsDoc, ParseError> {
        if old == new {
            return Ok(self.clone());
        }
        match self.splice(path, old, new)? {
            Some(doc) => Ok(doc),
            None => SymbolsDoc::parse(path, new),
        }
    }

    /// The region re-parse, or `None` when it cannot be shown to equal a full parse.
    fn splice(&self, path: &str, old: &[u8], new: &[u8]) -> Result<Option<SymbolsDoc>, ParseError> {
        let Some(items) = &self.items else {
            return Ok(None);
        };
        let language = language_of(path)?;
        if self.facts.language != Some(language) {
            return Ok(None);
        }
        let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        let max_suffix = old.len().min(new.len()) - prefix;
        let suffix = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(max_suffix)
            .take_while(|(a, b)| a == b)
            .count();
        let old_end = old.len() - suffix;
        // Items touching the edit, widened by one untouched margin item on each side.
        let first = items
            .iter()
            .position(|i| i.end > prefix)
            .unwrap_or(items.len());
        let last = items
            .iter()
            .rposition(|i| i.start < old_end.max(prefix + 1));
        let lo = first.checked_sub(1);
        let hi = last.map(|l| l + 1).filter(|&h| h < items.len());
        let start = lo.map_or(0, |i| items[i].start);
        let end = hi.map_or(old.len(), |i| items[i].end);
        if start > prefix || end < old_end || (start > 0 && old[start - 1] != b'\n') {
            return Ok(None);
        }
        if start == 0 && end == old.len() {
            return Ok(None); // the whole file: nothing to save
        }
        let new_end = end + new.len() - old.len();
        let region = &new[start..new_end];
        let tree = parse_tree(language, path, region, None)?;
        let root = tree.root_node();
        if root.has_error() {
            return Ok(None);
        }
        let (mid_symbols, mid) = symbols::extract_outlined(language, root, region);
        // The margins must come back as themselves, or the edit reached past them.
        let same = |n: &Node<'_>, i: &Item, at: usize| {
            n.start_byte() == at && n.end_byte() - n.start_byte() == i.end - i.start
        };
        if let Some(l) = lo
            && !mid.first().is_some_and(|(n, _)| same(n, &items[l], 0))
        {
            return Ok(None);
        }
        if let Some(h) = hi
            && !mid.last().is_some_and(|(n, _)| {
                same(n, &items[h], region.len() - (items[h].end - items[h].start))
            })
        {
            return Ok(None);
        }

        let row0 = old[..start].iter().filter(|&&b| b == b'\n').count();
        let rows_old = old[start..end].iter().filter(|&&b| b == b'\n').count();
        let rows_new = region.iter().filter(|&&b| b == b'\n').count();
        let shift_line = |line: u32| {
            let moved = i64::from(line) + rows_new as i64 - rows_old as i64;
            u32::try_from(moved).unwrap_or(u32::MAX)
        };
        let line0 = u32::try_from(row0).unwrap_or(u32::MAX);

        let head = lo.map_or(0, |l| l);
        let tail = hi.map_or(items.len(), |h| h + 1);
        let sym_head: usize = items[..head].iter().map(|i| i.symbols).sum();
        let sym_tail: usize = items[tail..].iter().map(|i| i.symbols).sum();
        let old_syms = &self.facts.symbols;
        let mut symbols = Vec::with_capacity(sym_head + mid_symbols.len() + sym_tail);
        symbols.extend_from_slice(&old_syms[..sym_head]);
        symbols.extend(mid_symbols.into_iter().map(|mut s| {
            s.start_line = s.start_line.saturating_add(line0);
            s.end_line = s.end_line.saturating_add(line0);
            s
        }));
        symbols.extend(old_syms[old_syms.len() - sym_tail..].iter().map(|s| {
            let mut s = s.clone();
            s.start_line = shift_line(s.start_line);
            s.end_line = shift_line(s.end_line);
            s
        }));

        let mut out_items = Vec::with_capacity(head + mid.len() + items.len() - tail);
        out_items.extend_from_slice(&items[..head]);
        out_items.extend(mid.iter().map(|&(n, k)| {
            let i = item(n, k);
            Item {
                start: i.start + start,
                end: i.end + start,
                symbols: i.symbols,
            }
        }));
        out_items.extend(items[tail..].iter().map(|i| Item {
            start: i.start + new.len() - old.len(),
            end: i.end + new.len() - old.len(),
            symbols: i.symbols,
        }));
        Ok(Some(SymbolsDoc {
            facts: FileFacts {
                language: Some(language),
                lines: count_lines(new),
                symbols,
                syntax_errors: Vec::new(),
                ..FileFacts::default()
            },
            items: Some(out_items),
        }))
    }
}

fn item(node: Node<'_>, symbols: usize) -> Item {
    Item {
        start: node.start_byte(),
        end: node.end_byte(),
        symbols,
    }
}
