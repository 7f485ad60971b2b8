//! Times raw tree-sitter parsing against full fact extraction for the files given.
use std::time::Instant;
fn main() {
    let files: Vec<(String, Vec<u8>)> = std::env::args()
        .skip(1)
        .map(|p| {
            let b = std::fs::read(&p).unwrap_or_default();
            (p, b)
        })
        .collect();
    let mut parser = tree_sitter::Parser::new();
    let t = Instant::now();
    let mut n = 0;
    for (p, b) in &files {
        let lang: tree_sitter::Language = match p.rsplit('.').next() {
            Some("rs") => tree_sitter_rust::LANGUAGE.into(),
            Some("py") => tree_sitter_python::LANGUAGE.into(),
            Some("go") => tree_sitter_go::LANGUAGE.into(),
            Some("ts") => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            _ => tree_sitter_javascript::LANGUAGE.into(),
        };
        parser.set_language(&lang).ok();
        let tree = parser.parse(b, None);
        n += tree.map(|t| t.root_node().descendant_count()).unwrap_or(0);
    }
    println!("raw parse: {:?} ({n} nodes)", t.elapsed());
    let t = Instant::now();
    for (p, b) in &files {
        let _ = dgov_syntax::parse_file(p, b);
    }
    println!("parse_file: {:?}", t.elapsed());
}
