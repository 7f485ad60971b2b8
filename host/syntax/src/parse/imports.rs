//! Import statements per language, as written (resolution to files is `dgov-sentrux`'s job,
//! because it needs the whole file list).

use tree_sitter::Node;

use super::{line_of, text, tokens};
use crate::facts::{ImportFacts, ImportKind, Language};

/// Records the import at `node`, if it is one. Called for every named node of the file
/// (imports nest inside blocks: Rust fn-local `use`, Python imports in functions).
pub(super) fn visit(
    language: Language,
    node: Node<'_>,
    kind: &str,
    src: &[u8],
    out: &mut Vec<ImportFacts>,
) {
    match language {
        Language::Rust => rust(node, kind, src, out),
        Language::Python => python(node, kind, src, out),
        Language::Go => go(node, kind, src, out),
        _ => js(node, kind, src, out),
    }
}

fn import(specifier: String, names: Vec<String>, node: Node<'_>) -> ImportFacts {
    ImportFacts {
        specifier,
        names,
        line: line_of(node),
        kind: ImportKind::Import,
    }
}

fn rust(node: Node<'_>, kind: &str, src: &[u8], out: &mut Vec<ImportFacts>) {
    match kind {
        "use_declaration" => {
            let Some(arg) = node.child_by_field_name("argument") else {
                return;
            };
            let (spec, names) = rust_use_tree(arg, src);
            if !spec.is_empty() {
                out.push(import(spec, names, node));
            }
        }
        "mod_item" if node.child_by_field_name("body").is_none() => {
            if let Some(name) = node.child_by_field_name("name") {
                out.push(ImportFacts {
                    specifier: text(name, src).into_owned(),
                    names: Vec::new(),
                    line: line_of(node),
                    kind: ImportKind::ModDecl,
                });
            }
        }
        _ => {}
    }
}

/// `a::b::{c, d::e}` gives (`a::b`, [`c`, `d::e`]); `a::b as c` gives (`a::b`, []);
/// `a::*` gives (`a`, []).
fn rust_use_tree(arg: Node<'_>, src: &[u8]) -> (String, Vec<String>) {
    match arg.kind() {
        "scoped_use_list" => {
            let path = arg
                .child_by_field_name("path")
                .map(|p| tokens::normalize(p, src))
                .unwrap_or_default();
            let mut names = Vec::new();
            if let Some(list) = arg.child_by_field_name("list") {
                let mut cursor = list.walk();
                for item in list.named_children(&mut cursor) {
                    let name = match item.kind() {
                        "use_as_clause" => item
                            .child_by_field_name("path")
                            .map(|p| tokens::normalize(p, src)),
                        "self" | "use_wildcard" => None,
                        k if k.contains("comment") => None,
                        _ => Some(tokens::normalize(item, src)),
                    };
                    names.extend(name);
                }
            }
            (path, names)
        }
        "use_as_clause" => (
            arg.child_by_field_name("path")
                .map(|p| tokens::normalize(p, src))
                .unwrap_or_default(),
            Vec::new(),
        ),
        "use_wildcard" => {
            let s = tokens::normalize(arg, src);
            (
                s.trim_end_matches('*').trim_end_matches("::").to_string(),
                Vec::new(),
            )
        }
        "use_list" => {
            let mut cursor = arg.walk();
            let names = arg
                .named_children(&mut cursor)
                .map(|n| tokens::normalize(n, src))
                .collect();
            (String::new(), names)
        }
        _ => (tokens::normalize(arg, src), Vec::new()),
    }
}

fn python(node: Node<'_>, kind: &str, src: &[u8], out: &mut Vec<ImportFacts>) {
    match kind {
        "import_statement" => {
            let mut cursor = node.walk();
            for name in node.children_by_field_name("name", &mut cursor) {
                let module = if name.kind() == "aliased_import" {
                    name.child_by_field_name("name")
                } else {
                    Some(name)
                };
                if let Some(module) = module {
                    out.push(import(text(module, src).into_owned(), Vec::new(), node));
                }
            }
        }
        "import_from_statement" => {
            let Some(module) = node.child_by_field_name("module_name") else {
                return;
            };
            let mut cursor = node.walk();
            let names = node
                .children_by_field_name("name", &mut cursor)
                .filter_map(|n| {
                    if n.kind() == "aliased_import" {
                        n.child_by_field_name("name")
                    } else {
                        Some(n)
                    }
                })
                .map(|n| text(n, src).into_owned())
                .collect();
            let spec: String = text(module, src)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            out.push(import(spec, names, node));
        }
        _ => {}
    }
}

fn go(node: Node<'_>, kind: &str, src: &[u8], out: &mut Vec<ImportFacts>) {
    if kind == "import_spec"
        && let Some(path) = node.child_by_field_name("path")
    {
        let spec = text(path, src)
            .trim_matches(|c| c == '"' || c == '`')
            .to_string();
        out.push(import(spec, Vec::new(), node));
    }
}

fn string_value(node: Node<'_>, src: &[u8]) -> Option<String> {
    matches!(node.kind(), "string" | "template_string")
        .then(|| {
            text(node, src)
                .trim_matches(|c| c == '"' || c == '\'' || c == '`')
                .to_string()
        })
        .filter(|s| !s.is_empty())
}

fn js(node: Node<'_>, kind: &str, src: &[u8], out: &mut Vec<ImportFacts>) {
    match kind {
        "import_statement" | "export_statement" => {
            if let Some(spec) = node
                .child_by_field_name("source")
                .and_then(|s| string_value(s, src))
            {
                out.push(import(spec, Vec::new(), node));
            }
        }
        "call_expression" => {
            let Some(function) = node.child_by_field_name("function") else {
                return;
            };
            let is_require = function.kind() == "identifier" && &*text(function, src) == "require";
            if !(is_require || function.kind() == "import") {
                return;
            }
            let first = node
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0));
            if let Some(spec) = first.and_then(|a| string_value(a, src)) {
                out.push(import(spec, Vec::new(), node));
            }
        }
        _ => {}
    }
}
