//! `dgov-syntax`: what dgov knows about a source file, independent of language.
//!
//! The **facts model** ([`FileFacts`] and friends) is plain serde data: functions with
//! their cyclomatic and cognitive complexity, nesting, parameters and body fingerprints;
//! imports as written; top-level symbols with normalised signatures and position-independent
//! body hashes (for the semantic gate); and syntax errors. It has no I/O and no tree-sitter,
//! so it compiles for `wasm32-wasip2`: the host extracts facts and hands them to sandboxed
//! analyzer and gate plugins through its `syntax` capability.
//!
//! With the default feature **`parse`** the crate also extracts facts natively with
//! tree-sitter for Rust, Python, JavaScript, TypeScript (+TSX) and Go:
//!
//! ```
//! # #[cfg(feature = "parse")] {
//! let facts = dgov_syntax::parse_file("src/lib.rs", b"pub fn f(a: u8) -> u8 { if a > 1 { a } else { 0 } }\n").unwrap();
//! assert_eq!(facts.functions[0].cyclomatic, 2);
//! assert_eq!(facts.symbols[0].signature.as_deref(), Some("f(a:u8) -> u8"));
//! # }
//! ```
//!
//! The semantic gate needs only symbols and syntax errors, at several close versions of a
//! file: [`parse_symbols`] skips the full walk (same symbols as `parse_file`), and
//! [`SymbolsDoc::edited`] re-extracts an edited version by re-parsing only the top-level
//! items the edit touched (tree-sitter's incremental parsing reuses little in Python).
//!
//! # Layout
//! - [`facts`]: the data model, language detection and the stable body fingerprint.
//! - [`changes`]: symbol-level diffs by body hash (what the semantic gate compares).
//! - `parse` (feature `parse`): tree-sitter extraction; `parse/lang.rs` holds per-language
//!   node kinds, `imports.rs` import statements, `symbols.rs` semantic symbols,
//!   `tokens.rs` token streams, `outline.rs` the symbols-only path and region re-parse,
//!   `split.rs` two-thread parsing of large Python and Rust files.
//!
//! Imports are reported as written; resolving them to files needs the whole file list and
//! lives in `dgov-sentrux` (`resolve` module).

pub mod changes;
pub mod facts;
#[cfg(feature = "parse")]
mod parse;

pub use changes::{
    Change, SymbolChange, duplicate_definitions, duplicate_definitions_in, symbol_changes,
    symbol_changes_in,
};
pub use facts::{
    FileFacts, Fingerprint, FunctionFacts, ImportFacts, ImportKind, Language, SymbolFacts,
    SymbolKind, SyntaxError,
};
#[cfg(feature = "parse")]
pub use parse::{
    MAX_MATCHES, ParseError, SymbolsDoc, parse_as, parse_file, parse_pair, parse_symbols, query,
};
