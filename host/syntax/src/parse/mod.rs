//! Native extraction of [`FileFacts`] with tree-sitter (feature `parse`).
//!
//! One generic walk serves every language; what differs per language (node kinds, how a
//! name, a parameter list or an import is spelled) lives in [`lang`], [`imports`] and
//! [`symbols`]. Walks over arbitrary trees are iterative or depth-capped, so hostile input
//! (deeply nested brackets, binary junk) cannot overflow the stack.

mod imports;
mod lang;
mod outline;
mod query;
mod split;
mod symbols;
mod tokens;

use std::cell::RefCell;

use tree_sitter::{Node, Parser, TreeCursor};

pub use outline::{SymbolsDoc, parse_symbols};
pub use query::{MAX_MATCHES, query};

use crate::facts::{FileFacts, Fingerprint, FunctionFacts, ImportFacts, Language, SyntaxError};

/// Why a file could not be parsed at all. Syntax errors are not failures: they are
/// reported in [`FileFacts::syntax_errors`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error(
        "{path}: no grammar for this file type (supported: .rs .py .js .jsx .mjs .cjs .ts .tsx .go)"
    )]
    UnsupportedLanguage { path: String },
    #[error("{path}: the {language} grammar could not be loaded: {reason}")]
    Grammar {
        path: String,
        language: &'static str,
        reason: String,
    },
    #[error("{path}: the parser gave up on this file")]
    ParserFailed { path: String },
    #[error(
        "query for {path} ({language}) is invalid at {line}:{column}: {message}; check node and field names against the {language} grammar"
    )]
    Query {
        path: String,
        language: &'static str,
        line: u32,
        column: u32,
        message: String,
    },
}

/// Recursion cap for the complexity and definition walks; deeper code is still parsed
/// but its innermost levels are not analysed (no real program nests this deep).
const MAX_DEPTH: usize = 256;
/// Enough syntax errors to locate a problem; past this a file is simply broken.
const MAX_SYNTAX_ERRORS: usize = 50;

thread_local! {
    /// One parser per language and thread: creating parsers per file is measurable.
    static PARSERS: RefCell<Vec<(Language, Parser)>> = const { RefCell::new(Vec::new()) };
}

/// Parses `bytes` as the language of `path` (judged by extension) and extracts its facts.
/// Invalid UTF-8 and syntax errors are tolerated; this never panics.
pub fn parse_file(path: &str, bytes: &[u8]) -> Result<FileFacts, ParseError> {
    let language = Language::from_path(path).ok_or_else(|| ParseError::UnsupportedLanguage {
        path: path.to_string(),
    })?;
    parse_as(language, path, bytes)
}

/// Like [`parse_file`] with the language given explicitly.
pub fn parse_as(language: Language, path: &str, bytes: &[u8]) -> Result<FileFacts, ParseError> {
    let tree = parse_tree(language, path, bytes, None)?;
    Ok(facts_from_tree(language, &tree, bytes))
}

/// Parses two versions of one file (say, task base and candidate). The second parse reuses
/// the first tree through tree-sitter's incremental parsing, with the differing middle of
/// the two texts as the edit, which makes it much cheaper when the versions are close.
pub fn parse_pair(
    path: &str,
    before: &[u8],
    after: &[u8],
) -> Result<(FileFacts, FileFacts), ParseError> {
    let language = Language::from_path(path).ok_or_else(|| ParseError::UnsupportedLanguage {
        path: path.to_string(),
    })?;
    let mut old = parse_tree(language, path, before, None)?;
    // Extract before editing: an edited tree has its positions shifted to the new text.
    let before_facts = facts_from_tree(language, &old, before);
    let prefix = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let max_suffix = before.len().min(after.len()) - prefix;
    let suffix = before
        .iter()
        .rev()
        .zip(after.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    old.edit(&tree_sitter::InputEdit {
        start_byte: prefix,
        old_end_byte: before.len() - suffix,
        new_end_byte: after.len() - suffix,
        start_position: point_at(before, prefix),
        old_end_position: point_at(before, before.len() - suffix),
        new_end_position: point_at(after, after.len() - suffix),
    });
    let mut new = parse_tree(language, path, after, Some(&old))?;
    if new.root_node().has_error() {
        // Error recovery can differ between incremental and fresh parses; a broken file
        // gets a fresh parse so its syntax errors never depend on what came before.
        new = parse_tree(language, path, after, None)?;
    }
    Ok((before_facts, facts_from_tree(language, &new, after)))
}

/// Row and byte column of a byte offset, as tree-sitter counts them.
fn point_at(bytes: &[u8], offset: usize) -> tree_sitter::Point {
    let head = &bytes[..offset.min(bytes.len())];
    let row = head.iter().filter(|&&b| b == b'\n').count();
    let column = head.iter().rev().take_while(|&&b| b != b'\n').count();
    tree_sitter::Point { row, column }
}

fn facts_from_tree(language: Language, tree: &tree_sitter::Tree, bytes: &[u8]) -> FileFacts {
    let root = tree.root_node();
    let mut ex = Extractor {
        language,
        src: bytes,
        functions: Vec::new(),
        imports: Vec::new(),
        calls: Vec::new(),
        digests: tokens::DigestCache::default(),
    };
    ex.walk(&mut root.walk(), &mut Vec::new(), 0);
    ex.calls.sort();
    ex.calls.dedup();
    FileFacts {
        language: Some(language),
        lines: count_lines(bytes),
        symbols: symbols::extract(language, root, bytes, &ex.digests),
        functions: ex.functions,
        imports: ex.imports,
        syntax_errors: syntax_errors(root, bytes),
        calls: ex.calls,
    }
}

pub(crate) fn parse_tree(
    language: Language,
    path: &str,
    bytes: &[u8],
    old: Option<&tree_sitter::Tree>,
) -> Result<tree_sitter::Tree, ParseError> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let idx = match parsers.iter().position(|(l, _)| *l == language) {
            Some(idx) => idx,
            None => {
                let mut parser = Parser::new();
                parser
                    .set_language(&lang::grammar(language))
                    .map_err(|e| ParseError::Grammar {
                        path: path.to_string(),
                        language: language.name(),
                        reason: e.to_string(),
                    })?;
                parsers.push((language, parser));
                parsers.len() - 1
            }
        };
        parsers[idx]
            .1
            .parse(bytes, old)
            .ok_or_else(|| ParseError::ParserFailed {
                path: path.to_string(),
            })
    })
}

fn count_lines(bytes: &[u8]) -> u32 {
    if bytes.is_empty() {
        return 0;
    }
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    let lines = if bytes.ends_with(b"\n") {
        newlines
    } else {
        newlines + 1
    };
    u32::try_from(lines).unwrap_or(u32::MAX)
}

/// 1-based line of a node's first byte.
pub(crate) fn line_of(node: Node<'_>) -> u32 {
    u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX)
}

/// 1-based line of a node's last byte (a node ending at column 0 ends on the line before).
pub(crate) fn end_line_of(node: Node<'_>) -> u32 {
    let end = node.end_position();
    let row = if end.column == 0 && end.row > node.start_position().row {
        end.row
    } else {
        end.row + 1
    };
    u32::try_from(row).unwrap_or(u32::MAX)
}

/// Source text of a node, lossily decoded.
pub(crate) fn text<'a>(node: Node<'_>, src: &'a [u8]) -> std::borrow::Cow<'a, str> {
    String::from_utf8_lossy(src.get(node.byte_range()).unwrap_or_default())
}

/// Visits every node under `root` (inclusive) in source order without recursion. `visit`
/// returns whether to descend into the node's children.
pub(crate) fn preorder<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>) -> bool) {
    let mut cursor = root.walk();
    'outer: loop {
        let node = cursor.node();
        if visit(node) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node().id() == root.id() {
                break 'outer;
            }
            if cursor.goto_next_sibling() {
                continue 'outer;
            }
            if !cursor.goto_parent() {
                break 'outer;
            }
        }
    }
}

struct Extractor<'s> {
    language: Language,
    src: &'s [u8],
    functions: Vec<FunctionFacts>,
    imports: Vec<ImportFacts>,
    /// Every name called in the file.
    calls: Vec<String>,
    /// Token digest and calls of each function body, by body node id: symbols reuse them
    /// instead of walking the same tokens again.
    digests: tokens::DigestCache,
}

impl Extractor<'_> {
    /// The one full walk: finds function definitions (tracking enclosing containers for
    /// names), imports and calls. One cursor serves the whole walk: a cursor per node
    /// would allocate per node.
    fn walk(&mut self, cursor: &mut TreeCursor<'_>, containers: &mut Vec<String>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let node = cursor.node();
        let kind = node.kind();
        self.calls.extend(lang::call_name(node, kind, self.src));
        imports::visit(self.language, node, kind, self.src, &mut self.imports);
        let mut pushed = false;
        if let Some(def) = lang::function_def(self.language, node, kind, self.src) {
            let facts = self.function_facts(node, &def, containers);
            containers.push(facts.name.clone());
            self.functions.push(facts);
            pushed = true;
        } else if let Some(name) = lang::container_name(self.language, node, kind, self.src) {
            containers.push(name);
            pushed = true;
        }
        if cursor.goto_first_child() {
            loop {
                if cursor.node().is_named() {
                    self.walk(cursor, containers, depth + 1);
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            cursor.goto_parent();
        }
        if pushed {
            containers.pop();
        }
    }

    fn function_facts(
        &mut self,
        node: Node<'_>,
        def: &lang::FunctionDef,
        containers: &[String],
    ) -> FunctionFacts {
        let sep = lang::separator(self.language);
        let mut path: Vec<&str> = containers.iter().map(String::as_str).collect();
        if let Some(receiver) = &def.receiver {
            path.push(receiver);
        }
        path.push(&def.name);
        let in_class = def.receiver.is_some() || !containers.is_empty();
        let body = node.child_by_field_name("body").unwrap_or(node);
        let mut acc = Measure::default();
        let mut cursor = body.walk();
        if body.id() == node.id() {
            // No body field: measure the children, not the definition itself.
            if cursor.goto_first_child() {
                loop {
                    self.measure(&mut cursor, 0, 1, false, &mut acc);
                    if !cursor.goto_next_sibling() {
                        break;
                    }
                }
            }
        } else {
            self.measure(&mut cursor, 0, 0, false, &mut acc);
        }
        acc.calls.sort();
        acc.calls.dedup();
        let body_hash = acc.fingerprint.hex();
        if body.id() != node.id() {
            self.digests
                .insert(body.id(), (body_hash.clone(), acc.calls.clone()));
        }
        FunctionFacts {
            name: def.name.clone(),
            qualified_name: path.join(sep),
            start_line: line_of(node),
            end_line: end_line_of(node),
            params: lang::param_count(self.language, node, self.src, in_class),
            cyclomatic: 1 + acc.branches + acc.logic,
            cognitive: acc.cognitive,
            max_nesting: acc.max_nesting,
            body_hash,
            calls: acc.calls,
        }
    }

    /// One walk over a function body for its token fingerprint, its calls and its
    /// complexity. Nested named functions are functions of their own: their tokens and
    /// calls belong to this body, their branches do not. Anonymous closures and lambdas
    /// count fully.
    fn measure(
        &self,
        cursor: &mut TreeCursor<'_>,
        nesting: u32,
        depth: usize,
        nested: bool,
        acc: &mut Measure,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let node = cursor.node();
        let kind = node.kind();
        if tokens::is_comment(kind) {
            return;
        }
        acc.calls.extend(lang::call_name(node, kind, self.src));
        let mut child_nesting = nesting;
        let mut nested = nested;
        if node.is_named() && !nested {
            if depth > 0 && lang::function_def(self.language, node, kind, self.src).is_some() {
                nested = true;
            } else if lang::is_branch(self.language, kind) {
                acc.branches += 1;
                acc.cognitive += 1 + nesting;
                acc.max_nesting = acc.max_nesting.max(nesting + 1);
                child_nesting = nesting + 1;
            } else if lang::is_logic_operator(self.language, node, kind, self.src) {
                acc.logic += 1;
                acc.cognitive += 1;
            }
        }
        if tokens::is_atomic(node, kind) {
            acc.fingerprint
                .token(self.src.get(node.byte_range()).unwrap_or_default());
            return;
        }
        if cursor.goto_first_child() {
            loop {
                self.measure(cursor, child_nesting, depth + 1, nested, acc);
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            cursor.goto_parent();
        }
    }
}

#[derive(Default)]
struct Measure {
    fingerprint: Fingerprint,
    calls: Vec<String>,
    branches: u32,
    logic: u32,
    cognitive: u32,
    max_nesting: u32,
}

fn syntax_errors(root: Node<'_>, src: &[u8]) -> Vec<SyntaxError> {
    let mut errors = Vec::new();
    if !root.has_error() {
        return errors;
    }
    preorder(root, |node| {
        if errors.len() >= MAX_SYNTAX_ERRORS {
            return false;
        }
        if node.is_missing() {
            errors.push(SyntaxError {
                line: line_of(node),
                column: u32::try_from(node.start_position().column + 1).unwrap_or(u32::MAX),
                message: format!("missing `{}`", node.kind()),
            });
            return false;
        }
        if node.is_error() {
            let snippet: String = text(node, src).chars().take(24).collect();
            let snippet = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
            errors.push(SyntaxError {
                line: line_of(node),
                column: u32::try_from(node.start_position().column + 1).unwrap_or(u32::MAX),
                message: if snippet.is_empty() {
                    "syntax error".to_string()
                } else {
                    format!("syntax error near `{snippet}`")
                },
            });
            return false;
        }
        node.has_error()
    });
    errors
}
