//! The facts model: plain, serialisable data describing one source file.
//!
//! Everything here is free of tree-sitter and I/O so it compiles for `wasm32-wasip2`: the host
//! extracts facts natively and hands them to sandboxed plugins, which compute on them.

use serde::{Deserialize, Serialize};

/// A language dgov can parse. Detected from the file extension only (no content sniffing),
/// so the same path always maps to the same language on every machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    /// TypeScript with JSX (`.tsx`): a separate grammar, the same semantics.
    Tsx,
    Go,
}

impl Language {
    /// Every supported language, in a stable order.
    pub const ALL: [Language; 6] = [
        Language::Rust,
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Go,
    ];

    /// The language of `path` judged by its extension, or `None` when dgov has no grammar.
    pub fn from_path(path: &str) -> Option<Language> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.')?.1;
        Some(match ext {
            "rs" => Language::Rust,
            "py" | "pyi" => Language::Python,
            "js" | "jsx" | "mjs" | "cjs" => Language::JavaScript,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "go" => Language::Go,
            _ => return None,
        })
    }

    /// Lower-case name as used in JSON and reports.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Go => "go",
        }
    }
}

/// Everything dgov knows about one parsed file. Lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileFacts {
    pub language: Option<Language>,
    /// Number of lines (a trailing newline does not start a new line).
    pub lines: u32,
    /// Every function, method and named closure-valued binding, nested ones included.
    pub functions: Vec<FunctionFacts>,
    /// Import statements in source order, unresolved.
    pub imports: Vec<ImportFacts>,
    /// Top-level definitions and methods, for semantic checks.
    pub symbols: Vec<SymbolFacts>,
    /// Parse errors (tree-sitter `ERROR` and `MISSING` nodes), in source order.
    pub syntax_errors: Vec<SyntaxError>,
    /// Every name called anywhere in the file (module-level code included), sorted, unique:
    /// what dead-code detection needs to know a function is referenced.
    #[serde(default)]
    pub calls: Vec<String>,
}

/// Metrics of one function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionFacts {
    /// Bare name (`parse`).
    pub name: String,
    /// Name with its enclosing class/impl/function (`Parser.parse`, `Parser::parse`, `outer.inner`).
    pub qualified_name: String,
    pub start_line: u32,
    pub end_line: u32,
    /// Declared parameters, excluding a receiver (`self`, `&self`, Python `self`/`cls` of methods).
    pub params: u32,
    /// McCabe: 1 + branch nodes + logical operators (see `docs/sentrux.md`).
    pub cyclomatic: u32,
    /// Cognitive: each branch node adds 1 + its nesting; each logical operator adds 1.
    pub cognitive: u32,
    /// Deepest nesting of branch nodes (0 = straight-line code).
    pub max_nesting: u32,
    /// Hash of the body's tokens: identical bodies collide whatever their position or layout.
    pub body_hash: String,
    /// Names this function calls (last path segment: `a.b.c()` gives `c`), sorted, unique.
    pub calls: Vec<String>,
}

impl FunctionFacts {
    /// Length in lines, counting both the first and the last line.
    pub fn length(&self) -> u32 {
        self.end_line.saturating_sub(self.start_line) + 1
    }

    /// True for methods and nested functions (the qualified name has a container).
    pub fn is_member(&self) -> bool {
        self.qualified_name != self.name
    }
}

/// What an import statement is, which decides whether it counts as a dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// A real dependency (`use`, `import`, `require`, `from … import`).
    Import,
    /// Rust `mod foo;`: structural containment, excluded from dependency metrics.
    ModDecl,
}

/// One import as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportFacts {
    /// The specifier as written, normalised: `crate::a::b`, `..pkg.mod`, `./util`, `fmt`.
    pub specifier: String,
    /// Imported names where they may themselves be modules (`from . import a, b` gives `a`, `b`;
    /// `use crate::m::{a, b}` gives `a`, `b`). Empty otherwise.
    pub names: Vec<String>,
    pub line: u32,
    pub kind: ImportKind,
}

/// Kinds of definition the semantic gate compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    Function,
    Method,
    Class,
    Struct,
    Enum,
    Trait,
    Interface,
    Type,
    Const,
}

impl SymbolKind {
    /// Lower-case name for messages (`function`, `method`, …).
    pub fn name(self) -> &'static str {
        match self {
            SymbolKind::Function => "function",
            SymbolKind::Method => "method",
            SymbolKind::Class => "class",
            SymbolKind::Struct => "struct",
            SymbolKind::Enum => "enum",
            SymbolKind::Trait => "trait",
            SymbolKind::Interface => "interface",
            SymbolKind::Type => "type",
            SymbolKind::Const => "const",
        }
    }

    /// Functions and methods have signatures other code calls.
    pub fn is_callable(self) -> bool {
        matches!(self, SymbolKind::Function | SymbolKind::Method)
    }
}

/// A top-level definition or a method, identified by `(file, name)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolFacts {
    /// Qualified name: `f`, `Class.method` (Python/JS/TS/Go), `Type::method` (Rust).
    pub name: String,
    pub kind: SymbolKind,
    pub start_line: u32,
    pub end_line: u32,
    /// Normalised signature for callables (`None` for types): whitespace and comments do not
    /// matter; Python and JavaScript keep parameter names only (types and defaults do not
    /// break callers there), statically typed languages keep the parameter and return types.
    pub signature: Option<String>,
    /// Hash of the whole definition's tokens, independent of position and whitespace, so a
    /// definition that merely moved keeps its hash.
    pub body_hash: String,
    /// Visible outside its module (Rust `pub`, Go capitalised, JS/TS `export`, Python no `_`).
    pub public: bool,
    /// Names called inside the definition, sorted, unique.
    pub calls: Vec<String>,
}

/// A parse error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntaxError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// One match of a tree-sitter query run by the host for a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryMatch {
    /// Index of the pattern (in query source order) that matched.
    pub pattern: u32,
    pub captures: Vec<Capture>,
}

/// A captured node: `@name`, its text, node kind and position (1-based lines/columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    pub name: String,
    pub text: String,
    pub kind: String,
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub start_byte: u32,
    pub end_byte: u32,
}

/// FNV-1a 64: a tiny, stable, platform-independent hash for body fingerprints. Not
/// cryptographic; fingerprints only need to be stable across machines and releases.
#[derive(Debug, Clone, Copy)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    /// Feeds one token; tokens are separated so `ab`+`c` differs from `a`+`bc`.
    pub fn token(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(std::iter::once(&0xff)) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The hash as 16 lower-case hex digits.
    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_detection_uses_the_extension_only() {
        assert_eq!(Language::from_path("src/a.rs"), Some(Language::Rust));
        assert_eq!(Language::from_path("a/b.test.tsx"), Some(Language::Tsx));
        assert_eq!(Language::from_path("x.mjs"), Some(Language::JavaScript));
        assert_eq!(Language::from_path("Makefile"), None);
        assert_eq!(Language::from_path("dir.rs/README"), None);
    }

    #[test]
    fn fingerprint_separates_token_boundaries() {
        let mut a = Fingerprint::default();
        a.token(b"ab");
        a.token(b"c");
        let mut b = Fingerprint::default();
        b.token(b"a");
        b.token(b"bc");
        assert_ne!(a.hex(), b.hex());
        assert_eq!(a.hex().len(), 16);
    }
}
