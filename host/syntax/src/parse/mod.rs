//! Native extraction of [`FileFacts`] with tree-sitter (feature `parse`).
//!
//! One generic walk serves every language; what differs per language (node kinds, how a
//! name, a parameter list or an import is spelled) lives in [`lang`], [`imports`] and
//! [`symbols`]. Walks over arbitrary trees are iterative or depth-capped, so hostile input
//! (deeply nested brackets, binary junk) cannot overflow the stack.

mod imports;
mod lang;
mod symbols;
mod tokens;

use std::cell::RefCell;

use tree_sitter::{Node, Parser, TreeCursor};

use crate::facts::{FileFacts, FunctionFacts, Language, SyntaxError};

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
    let tree = PARSERS.with(|cell| {
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
            .parse(bytes, None)
            .ok_or_else(|| ParseError::ParserFailed {
                path: path.to_string(),
            })
    })?;

    let root = tree.root_node();
    let mut ex = Extractor {
        language,
        src: bytes,
        functions: Vec::new(),
    };
    ex.walk_definitions(&mut root.walk(), &mut Vec::new(), 0);
    let (imports, calls) = imports::extract(language, root, bytes);
    Ok(FileFacts {
        language: Some(language),
        lines: count_lines(bytes),
        functions: ex.functions,
        imports,
        symbols: symbols::extract(language, root, bytes),
        syntax_errors: syntax_errors(root, bytes),
        calls,
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
}

impl Extractor<'_> {
    /// Finds function definitions anywhere, tracking the enclosing containers for names.
    /// One cursor serves the whole walk: a cursor per node would allocate per node.
    fn walk_definitions(
        &mut self,
        cursor: &mut TreeCursor<'_>,
        containers: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let node = cursor.node();
        let mut pushed = false;
        let kind = node.kind();
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
                    self.walk_definitions(cursor, containers, depth + 1);
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
        &self,
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
        let mut acc = Complexity::default();
        let mut cursor = body.walk();
        if body.id() == node.id() {
            // No body field: measure the children, not the definition itself.
            if cursor.goto_first_child() {
                loop {
                    if cursor.node().is_named() {
                        self.complexity(&mut cursor, 0, 1, &mut acc);
                    }
                    if !cursor.goto_next_sibling() {
                        break;
                    }
                }
            }
        } else {
            self.complexity(&mut cursor, 0, 0, &mut acc);
        }
        let (body_hash, calls) = tokens::digest(body, self.src);
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
            calls,
        }
    }

    /// Accumulates complexity over a function body, skipping nested named functions (they
    /// are functions of their own) but including anonymous closures and lambdas.
    fn complexity(
        &self,
        cursor: &mut TreeCursor<'_>,
        nesting: u32,
        depth: usize,
        acc: &mut Complexity,
    ) {
        let node = cursor.node();
        let kind = node.kind();
        if depth > MAX_DEPTH
            || (depth > 0 && lang::function_def(self.language, node, kind, self.src).is_some())
        {
            return;
        }
        let mut child_nesting = nesting;
        if lang::is_branch(self.language, kind) {
            acc.branches += 1;
            acc.cognitive += 1 + nesting;
            acc.max_nesting = acc.max_nesting.max(nesting + 1);
            child_nesting = nesting + 1;
        } else if lang::is_logic_operator(self.language, node, kind, self.src) {
            acc.logic += 1;
            acc.cognitive += 1;
        }
        if cursor.goto_first_child() {
            loop {
                if cursor.node().is_named() {
                    self.complexity(cursor, child_nesting, depth + 1, acc);
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            cursor.goto_parent();
        }
    }
}

#[derive(Default)]
struct Complexity {
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
