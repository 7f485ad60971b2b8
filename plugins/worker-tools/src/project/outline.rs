//! Pure rendering of the host's parse facts for file_symbols and check_syntax.

use dgov_sdk::syntax::{FileFacts, SymbolFacts};

/// Most syntax errors listed; the rest are counted.
const MAX_ERRORS: usize = 20;

fn language(f: &FileFacts) -> &'static str {
    f.language.map(|l| l.name()).unwrap_or("unknown")
}

/// How a symbol is shown: its signature with the qualified name (`Parser::parse(&self) ->
/// u32`), or the name alone for types.
fn display(s: &SymbolFacts) -> String {
    let leaf = s.name.rsplit(['.', ':']).next().unwrap_or(s.name.as_str());
    match &s.signature {
        // Signatures may start with a keyword (`def run(self, n)`): keep what follows the
        // name's own parameter list.
        Some(sig) => match sig.find(&format!("{leaf}(")) {
            Some(at) => format!("{}{}", s.name, &sig[at + leaf.len()..]),
            None => format!("{} {sig}", s.name),
        },
        None => s.name.clone(),
    }
}

fn lines(start: u32, end: u32) -> String {
    if start == end {
        format!("line {start}")
    } else {
        format!("lines {start}-{end}")
    }
}

/// The syntax errors, one per line: `  line L:C: message`.
fn errors(f: &FileFacts) -> Vec<String> {
    let mut out: Vec<String> = f
        .syntax_errors
        .iter()
        .take(MAX_ERRORS)
        .map(|e| format!("  line {}:{}: {}", e.line, e.column, e.message))
        .collect();
    if f.syntax_errors.len() > MAX_ERRORS {
        out.push(format!(
            "  ... and {} more",
            f.syntax_errors.len() - MAX_ERRORS
        ));
    }
    out
}

/// file_symbols: each top-level definition and method with kind, signature and line range;
/// syntax errors (tree-sitter recovers, so symbols around them are still listed) follow.
pub fn symbols_text(path: &str, f: &FileFacts) -> String {
    let mut out = Vec::new();
    if f.symbols.is_empty() {
        out.push(format!("No symbols found in {path} ({}).", language(f)));
    } else {
        out.push(format!("{path} ({}, {} lines):", language(f), f.lines));
        // Source order; a container before the members it spans.
        let mut symbols: Vec<&SymbolFacts> = f.symbols.iter().collect();
        symbols.sort_by_key(|s| (s.start_line, std::cmp::Reverse(s.end_line)));
        for s in symbols {
            let indent = if s.name.contains(['.', ':']) {
                "    "
            } else {
                "  "
            };
            out.push(format!(
                "{indent}{} {}  ({})",
                s.kind.name(),
                display(s),
                lines(s.start_line, s.end_line)
            ));
        }
    }
    if !f.syntax_errors.is_empty() {
        out.push(format!(
            "Syntax errors ({}); symbols near them may be missing:",
            f.syntax_errors.len()
        ));
        out.extend(errors(f));
    }
    out.join("\n")
}

/// check_syntax: `OK: <path> parses (<language>).` or every syntax error with its line. The
/// error report is a normal result (as the original's), not a failed tool call.
pub fn syntax_text(path: &str, f: &FileFacts) -> String {
    if f.syntax_errors.is_empty() {
        return format!("OK: {path} parses ({}).", language(f));
    }
    let mut out = vec![format!(
        "SyntaxError in {path} ({}): {} error{}",
        language(f),
        f.syntax_errors.len(),
        if f.syntax_errors.len() == 1 { "" } else { "s" }
    )];
    out.extend(errors(f));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use dgov_sdk::syntax::{Language, SymbolKind, SyntaxError};

    fn sym(name: &str, kind: SymbolKind, sig: Option<&str>, a: u32, b: u32) -> SymbolFacts {
        SymbolFacts {
            name: name.into(),
            kind,
            start_line: a,
            end_line: b,
            signature: sig.map(str::to_string),
            body_hash: String::new(),
            public: true,
            calls: Vec::new(),
        }
    }

    fn facts(symbols: Vec<SymbolFacts>, errors: &[(u32, u32)]) -> FileFacts {
        FileFacts {
            language: Some(Language::Rust),
            lines: 12,
            symbols,
            syntax_errors: errors
                .iter()
                .map(|&(line, column)| SyntaxError {
                    line,
                    column,
                    message: "unexpected `}`".into(),
                })
                .collect(),
            ..FileFacts::default()
        }
    }

    #[test]
    fn symbols_show_kind_qualified_signature_and_lines_in_source_order() {
        let f = facts(
            vec![
                sym(
                    "Parser::parse",
                    SymbolKind::Method,
                    Some("parse(&self) -> u32"),
                    2,
                    3,
                ),
                sym("Parser", SymbolKind::Struct, None, 1, 7),
                sym("main", SymbolKind::Function, Some("def main()"), 9, 9),
            ],
            &[],
        );
        assert_eq!(
            symbols_text("src/p.rs", &f),
            "src/p.rs (rust, 12 lines):\n  struct Parser  (lines 1-7)\n    method Parser::parse(&self) -> u32  (lines 2-3)\n  function main()  (line 9)"
        );
    }

    #[test]
    fn no_symbols_and_syntax_errors_are_reported() {
        let f = facts(Vec::new(), &[(4, 2)]);
        assert_eq!(
            symbols_text("x.rs", &f),
            "No symbols found in x.rs (rust).\nSyntax errors (1); symbols near them may be missing:\n  line 4:2: unexpected `}`"
        );
    }

    #[test]
    fn check_syntax_says_ok_or_lists_every_error_capped() {
        assert_eq!(
            syntax_text("a.rs", &facts(Vec::new(), &[])),
            "OK: a.rs parses (rust)."
        );
        let two = syntax_text("a.rs", &facts(Vec::new(), &[(1, 1), (3, 5)]));
        assert_eq!(
            two,
            "SyntaxError in a.rs (rust): 2 errors\n  line 1:1: unexpected `}`\n  line 3:5: unexpected `}`"
        );
        let many: Vec<(u32, u32)> = (1..=25).map(|l| (l, 1)).collect();
        let t = syntax_text("a.rs", &facts(Vec::new(), &many));
        assert_eq!(t.lines().count(), 1 + MAX_ERRORS + 1);
        assert!(t.ends_with("  ... and 5 more"), "{t}");
    }
}
