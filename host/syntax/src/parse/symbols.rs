//! Top-level definitions and methods for semantic checks: identity, kind, signature, a
//! position-independent body hash, visibility and the names each one calls.

use tree_sitter::Node;

use super::{end_line_of, lang, line_of, text, tokens};
use crate::facts::{Language, SymbolFacts, SymbolKind};

/// How a symbol's body hash and calls are computed.
#[derive(Clone, Copy)]
pub(super) enum Digests<'c> {
    /// From the function-body digests the full facts walk already computed.
    Cached(&'c tokens::DigestCache),
    /// Directly, for the symbols-only path (no full walk ran); same results.
    Direct(Language),
}

/// Where symbols go, with how to digest them.
struct Out<'c> {
    symbols: Vec<SymbolFacts>,
    digests: Digests<'c>,
}

pub(super) fn extract(
    language: Language,
    root: Node<'_>,
    src: &[u8],
    cache: &tokens::DigestCache,
) -> Vec<SymbolFacts> {
    let mut out = Out {
        symbols: Vec::new(),
        digests: Digests::Cached(cache),
    };
    let mut cursor = root.walk();
    for node in root.named_children(&mut cursor) {
        item(language, node, src, &mut out);
    }
    out.symbols
}

/// Files at least this large extract their symbols on two threads (the semantic gate's
/// budget is tight and the machines it runs on have at least two cores).
const PARALLEL_BYTES: usize = 16 * 1024;

/// Symbols of the top-level items of `root`, each item with the number of symbols it
/// defines (in order), without the full facts walk: what the semantic gate needs.
pub(super) fn extract_outlined<'t>(
    language: Language,
    root: Node<'t>,
    src: &[u8],
) -> (Vec<SymbolFacts>, Vec<(Node<'t>, usize)>) {
    let mut cursor = root.walk();
    let nodes: Vec<Node<'t>> = root.named_children(&mut cursor).collect();
    let run = |nodes: &[Node<'t>]| {
        let mut out = Out {
            symbols: Vec::new(),
            digests: Digests::Direct(language),
        };
        let mut counts = Vec::with_capacity(nodes.len());
        for &node in nodes {
            let before = out.symbols.len();
            item(language, node, src, &mut out);
            counts.push(out.symbols.len() - before);
        }
        (out.symbols, counts)
    };
    let (symbols, counts) = if src.len() >= PARALLEL_BYTES && nodes.len() >= 2 {
        // Split at the item nearest the middle byte; trees are immutable and safe to read
        // from several threads.
        let mid = nodes
            .iter()
            .position(|n| n.start_byte() >= src.len() / 2)
            .unwrap_or(nodes.len() / 2)
            .clamp(1, nodes.len() - 1);
        let (head, tail) = nodes.split_at(mid);
        let ((mut symbols, mut counts), (s2, c2)) = std::thread::scope(|scope| {
            let other = scope.spawn(|| run(tail));
            let first = run(head);
            // A panic in the helper thread is re-raised here, as it would be inline.
            let second = other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (first, second)
        });
        symbols.extend(s2);
        counts.extend(c2);
        (symbols, counts)
    } else {
        run(&nodes)
    };
    (symbols, nodes.into_iter().zip(counts).collect())
}

fn item(language: Language, node: Node<'_>, src: &[u8], out: &mut Out<'_>) {
    match language {
        Language::Rust => rust_item(node, src, "", 0, out),
        Language::Python => python_item(node, node, src, out),
        Language::Go => go_item(node, src, out),
        _ => js_item(language, node, node, src, false, out),
    }
}

struct Def<'t> {
    name: String,
    kind: SymbolKind,
    /// The node whose range and tokens define the symbol (decorators and `export` included).
    outer: Node<'t>,
    /// The node carrying parameters and return type, for callables.
    callable: Option<Node<'t>>,
    public: bool,
}

fn push(language: Language, def: Def<'_>, src: &[u8], out: &mut Out<'_>) {
    let leaf = def
        .name
        .rsplit(['.', ':'])
        .next()
        .unwrap_or(&def.name)
        .to_string();
    let (body_hash, calls) = match out.digests {
        Digests::Cached(cache) => tokens::digest(def.outer, src, cache),
        Digests::Direct(language) => tokens::digest_direct(language, def.outer, src),
    };
    out.symbols.push(SymbolFacts {
        signature: def
            .callable
            .map(|c| lang::signature(language, c, &leaf, src)),
        start_line: line_of(def.outer),
        end_line: end_line_of(def.outer),
        body_hash,
        calls,
        name: def.name,
        kind: def.kind,
        public: def.public,
    });
}

fn name_of(node: Node<'_>, src: &[u8]) -> Option<String> {
    node.child_by_field_name("name")
        .map(|n| text(n, src).into_owned())
}

fn has_child_kind(node: Node<'_>, kind: &str) -> bool {
    let mut cursor = node.walk();
    node.children(&mut cursor).any(|c| c.kind() == kind)
}

fn rust_item(node: Node<'_>, src: &[u8], prefix: &str, depth: usize, out: &mut Out<'_>) {
    let public = has_child_kind(node, "visibility_modifier");
    let simple = |kind| {
        name_of(node, src).map(|n| Def {
            name: format!("{prefix}{n}"),
            kind,
            outer: node,
            callable: None,
            public,
        })
    };
    let def = match node.kind() {
        "function_item" => name_of(node, src).map(|n| Def {
            name: format!("{prefix}{n}"),
            kind: SymbolKind::Function,
            outer: node,
            callable: Some(node),
            public,
        }),
        "struct_item" | "union_item" => simple(SymbolKind::Struct),
        "enum_item" => simple(SymbolKind::Enum),
        "type_item" => simple(SymbolKind::Type),
        "const_item" | "static_item" => simple(SymbolKind::Const),
        "trait_item" => {
            if let (Some(name), Some(body)) = (name_of(node, src), node.child_by_field_name("body"))
            {
                rust_members(body, src, &format!("{prefix}{name}"), public, out);
            }
            simple(SymbolKind::Trait)
        }
        "impl_item" => {
            if let Some(body) = node.child_by_field_name("body") {
                let owner = format!("{prefix}{}", lang::rust_impl_name(node, src));
                // Trait impl methods are as visible as the trait; inherent ones need `pub`.
                let trait_impl = node.child_by_field_name("trait").is_some();
                rust_members(body, src, &owner, trait_impl, out);
            }
            None
        }
        "mod_item" if depth < 8 => {
            if let (Some(name), Some(body)) = (name_of(node, src), node.child_by_field_name("body"))
            {
                let mut cursor = body.walk();
                for child in body.named_children(&mut cursor) {
                    rust_item(child, src, &format!("{prefix}{name}::"), depth + 1, out);
                }
            }
            None
        }
        _ => None,
    };
    if let Some(def) = def {
        push(Language::Rust, def, src, out);
    }
}

fn rust_members(body: Node<'_>, src: &[u8], owner: &str, all_public: bool, out: &mut Out<'_>) {
    let mut cursor = body.walk();
    for member in body.named_children(&mut cursor) {
        if !matches!(member.kind(), "function_item" | "function_signature_item") {
            continue;
        }
        let Some(name) = name_of(member, src) else {
            continue;
        };
        let public = all_public || has_child_kind(member, "visibility_modifier");
        let def = Def {
            name: format!("{owner}::{name}"),
            kind: SymbolKind::Method,
            outer: member,
            callable: Some(member),
            public,
        };
        push(Language::Rust, def, src, out);
    }
}

/// `outer` is the statement as written (a decorated definition includes its decorators).
fn python_item<'t>(node: Node<'t>, outer: Node<'t>, src: &[u8], out: &mut Out<'_>) {
    match node.kind() {
        "decorated_definition" => {
            if let Some(def) = node.child_by_field_name("definition") {
                python_item(def, node, src, out);
            }
        }
        "function_definition" => {
            if let Some(name) = name_of(node, src) {
                let public = !name.starts_with('_');
                let def = Def {
                    name,
                    kind: SymbolKind::Function,
                    outer,
                    callable: Some(node),
                    public,
                };
                push(Language::Python, def, src, out);
            }
        }
        "class_definition" => {
            let Some(class) = name_of(node, src) else {
                return;
            };
            let class_public = !class.starts_with('_');
            if let Some(body) = node.child_by_field_name("body") {
                let mut cursor = body.walk();
                for member in body.named_children(&mut cursor) {
                    let func = if member.kind() == "decorated_definition" {
                        member.child_by_field_name("definition")
                    } else {
                        Some(member)
                    };
                    let Some(func) = func.filter(|f| f.kind() == "function_definition") else {
                        continue;
                    };
                    let Some(name) = name_of(func, src) else {
                        continue;
                    };
                    let public = class_public
                        && (!name.starts_with('_')
                            || (name.starts_with("__") && name.ends_with("__")));
                    let def = Def {
                        name: format!("{class}.{name}"),
                        kind: SymbolKind::Method,
                        outer: member,
                        callable: Some(func),
                        public,
                    };
                    push(Language::Python, def, src, out);
                }
            }
            let def = Def {
                name: class,
                kind: SymbolKind::Class,
                outer,
                callable: None,
                public: class_public,
            };
            push(Language::Python, def, src, out);
        }
        _ => {}
    }
}

fn go_item(node: Node<'_>, src: &[u8], out: &mut Out<'_>) {
    let exported = |name: &str| name.chars().next().is_some_and(char::is_uppercase);
    match node.kind() {
        "function_declaration" => {
            if let Some(name) = name_of(node, src) {
                let public = exported(&name);
                push(
                    Language::Go,
                    Def {
                        name,
                        kind: SymbolKind::Function,
                        outer: node,
                        callable: Some(node),
                        public,
                    },
                    src,
                    out,
                );
            }
        }
        "method_declaration" => {
            if let Some(name) = name_of(node, src) {
                let public = exported(&name);
                let name = match lang::go_receiver_type(node, src) {
                    Some(recv) => format!("{recv}.{name}"),
                    None => name,
                };
                push(
                    Language::Go,
                    Def {
                        name,
                        kind: SymbolKind::Method,
                        outer: node,
                        callable: Some(node),
                        public,
                    },
                    src,
                    out,
                );
            }
        }
        "type_declaration" => {
            let mut cursor = node.walk();
            for spec in node.named_children(&mut cursor) {
                if !matches!(spec.kind(), "type_spec" | "type_alias") {
                    continue;
                }
                let Some(name) = name_of(spec, src) else {
                    continue;
                };
                let kind = match spec.child_by_field_name("type").map(|t| t.kind()) {
                    Some("struct_type") => SymbolKind::Struct,
                    Some("interface_type") => SymbolKind::Interface,
                    _ => SymbolKind::Type,
                };
                let public = exported(&name);
                // A grouped `type ( … )` declares several symbols; each is its own spec.
                let outer = if node.named_child_count() == 1 {
                    node
                } else {
                    spec
                };
                push(
                    Language::Go,
                    Def {
                        name,
                        kind,
                        outer,
                        callable: None,
                        public,
                    },
                    src,
                    out,
                );
            }
        }
        _ => {}
    }
}

fn js_item<'t>(
    language: Language,
    node: Node<'t>,
    outer: Node<'t>,
    src: &[u8],
    exported: bool,
    out: &mut Out<'_>,
) {
    let simple = |kind| {
        name_of(node, src).map(|name| Def {
            name,
            kind,
            outer,
            callable: None,
            public: exported,
        })
    };
    let def = match node.kind() {
        "export_statement" => {
            if let Some(decl) = node.child_by_field_name("declaration") {
                js_item(language, decl, node, src, true, out);
            }
            None
        }
        "function_declaration" | "generator_function_declaration" => {
            name_of(node, src).map(|name| Def {
                name,
                kind: SymbolKind::Function,
                outer,
                callable: Some(node),
                public: exported,
            })
        }
        "class_declaration" | "abstract_class_declaration" => {
            if let (Some(class), Some(body)) =
                (name_of(node, src), node.child_by_field_name("body"))
            {
                js_members(language, body, src, &class, exported, out);
            }
            simple(SymbolKind::Class)
        }
        "interface_declaration" => simple(SymbolKind::Interface),
        "type_alias_declaration" => simple(SymbolKind::Type),
        "enum_declaration" => simple(SymbolKind::Enum),
        "lexical_declaration" | "variable_declaration" => {
            let mut cursor = node.walk();
            for decl in node.named_children(&mut cursor) {
                if decl.kind() != "variable_declarator" {
                    continue;
                }
                let (Some(name), Some(value)) = (
                    decl.child_by_field_name("name"),
                    decl.child_by_field_name("value"),
                ) else {
                    continue;
                };
                if name.kind() != "identifier"
                    || !matches!(
                        value.kind(),
                        "arrow_function"
                            | "function_expression"
                            | "function"
                            | "generator_function"
                    )
                {
                    continue;
                }
                let def = Def {
                    name: text(name, src).into_owned(),
                    kind: SymbolKind::Function,
                    // One declarator per symbol so `const a = …, b = …` keeps two bodies.
                    outer: if node.named_child_count() == 1 {
                        outer
                    } else {
                        decl
                    },
                    callable: Some(value),
                    public: exported,
                };
                push(language, def, src, out);
            }
            None
        }
        _ => None,
    };
    if let Some(def) = def {
        push(language, def, src, out);
    }
}

fn js_members(
    language: Language,
    body: Node<'_>,
    src: &[u8],
    class: &str,
    exported: bool,
    out: &mut Out<'_>,
) {
    let mut cursor = body.walk();
    for member in body.named_children(&mut cursor) {
        if !matches!(
            member.kind(),
            "method_definition" | "method_signature" | "abstract_method_signature"
        ) {
            continue;
        }
        let Some(name) = name_of(member, src) else {
            continue;
        };
        let private = name.starts_with('#') || {
            let mut c = member.walk();
            member
                .children(&mut c)
                .any(|ch| ch.kind() == "accessibility_modifier" && text(ch, src).trim() != "public")
        };
        let def = Def {
            name: format!("{class}.{name}"),
            kind: SymbolKind::Method,
            outer: member,
            callable: Some(member),
            public: exported && !private,
        };
        push(language, def, src, out);
    }
}
