//! Per-language knowledge: grammars, which node kinds are functions, containers and
//! branches, and how names, parameters and calls are spelled.

use tree_sitter::Node;

use super::{preorder, text, tokens};
use crate::facts::Language;

pub(super) fn grammar(language: Language) -> tree_sitter::Language {
    match language {
        Language::Rust => tree_sitter_rust::LANGUAGE.into(),
        Language::Python => tree_sitter_python::LANGUAGE.into(),
        Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Language::Go => tree_sitter_go::LANGUAGE.into(),
    }
}

/// Joins container and member names in qualified names.
pub(super) fn separator(language: Language) -> &'static str {
    match language {
        Language::Rust => "::",
        _ => ".",
    }
}

fn is_js_like(language: Language) -> bool {
    matches!(
        language,
        Language::JavaScript | Language::TypeScript | Language::Tsx
    )
}

/// A function definition found at a node.
pub(super) struct FunctionDef {
    pub name: String,
    /// Go method receiver type, which qualifies the name (`Server.Start`).
    pub receiver: Option<String>,
}

fn field_text(node: Node<'_>, field: &str, src: &[u8]) -> Option<String> {
    node.child_by_field_name(field)
        .map(|n| text(n, src).into_owned())
}

/// The function defined at `node`, if any. Anonymous closures are not functions of their
/// own: their complexity belongs to the enclosing function.
pub(super) fn function_def(
    language: Language,
    node: Node<'_>,
    kind: &str,
    src: &[u8],
) -> Option<FunctionDef> {
    let plain = |name: Option<String>| {
        name.map(|name| FunctionDef {
            name,
            receiver: None,
        })
    };
    match language {
        Language::Rust if kind == "function_item" => plain(field_text(node, "name", src)),
        Language::Python if kind == "function_definition" => plain(field_text(node, "name", src)),
        Language::Go => match kind {
            "function_declaration" => plain(field_text(node, "name", src)),
            "method_declaration" => Some(FunctionDef {
                name: field_text(node, "name", src)?,
                receiver: go_receiver_type(node, src),
            }),
            _ => None,
        },
        l if is_js_like(l) => match kind {
            "function_declaration" | "generator_function_declaration" | "method_definition" => {
                plain(field_text(node, "name", src))
            }
            "arrow_function" | "function_expression" | "function" | "generator_function" => {
                let parent = node.parent()?;
                if parent.kind() == "variable_declarator"
                    && parent
                        .child_by_field_name("value")
                        .is_some_and(|v| v.id() == node.id())
                {
                    let name = parent.child_by_field_name("name")?;
                    (name.kind() == "identifier").then(|| FunctionDef {
                        name: text(name, src).into_owned(),
                        receiver: None,
                    })
                } else {
                    None
                }
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether [`function_def`] can recognise a node of `kind` (a cheap pre-check by kind).
pub(super) fn may_be_function(language: Language, kind: &str) -> bool {
    match language {
        Language::Rust => kind == "function_item",
        Language::Python => kind == "function_definition",
        Language::Go => matches!(kind, "function_declaration" | "method_declaration"),
        _ => matches!(
            kind,
            "function_declaration"
                | "generator_function_declaration"
                | "method_definition"
                | "arrow_function"
                | "function_expression"
                | "function"
                | "generator_function"
        ),
    }
}

/// The receiver's type name of a Go method: `func (s *Server) Start()` gives `Server`.
pub(super) fn go_receiver_type(node: Node<'_>, src: &[u8]) -> Option<String> {
    let receiver = node.child_by_field_name("receiver")?;
    let mut found = None;
    preorder(receiver, |n| {
        if found.is_none() && n.kind() == "type_identifier" {
            found = Some(text(n, src).into_owned());
        }
        found.is_none()
    });
    found
}

/// Name of a named container (class, impl block, trait, inline module), if `node` is one.
pub(super) fn container_name(
    language: Language,
    node: Node<'_>,
    kind: &str,
    src: &[u8],
) -> Option<String> {
    match (language, kind) {
        (Language::Rust, "impl_item") => Some(rust_impl_name(node, src)),
        (Language::Rust, "trait_item" | "mod_item") => field_text(node, "name", src),
        (Language::Python, "class_definition") => field_text(node, "name", src),
        (l, "class_declaration" | "abstract_class_declaration" | "class") if is_js_like(l) => {
            field_text(node, "name", src)
        }
        _ => None,
    }
}

/// `impl Foo<T>` is `Foo`; `impl Display for Foo` is `<Foo as Display>`, so the `fmt` of
/// two trait impls stay distinct symbols.
pub(super) fn rust_impl_name(node: Node<'_>, src: &[u8]) -> String {
    let strip = |s: String| s.split('<').next().unwrap_or_default().trim().to_string();
    let ty = field_text(node, "type", src).map(strip).unwrap_or_default();
    match field_text(node, "trait", src).map(strip) {
        Some(tr) => format!("<{ty} as {tr}>"),
        None => ty,
    }
}

/// Branch nodes: each adds 1 to cyclomatic complexity and `1 + nesting` to cognitive
/// complexity, and nests what is inside it.
pub(super) fn is_branch(language: Language, kind: &str) -> bool {
    match language {
        Language::Rust => matches!(
            kind,
            "if_expression"
                | "match_arm"
                | "for_expression"
                | "while_expression"
                | "loop_expression"
        ),
        Language::Python => matches!(
            kind,
            "if_statement"
                | "elif_clause"
                | "for_statement"
                | "while_statement"
                | "except_clause"
                | "with_statement"
        ),
        Language::Go => matches!(
            kind,
            "if_statement"
                | "for_statement"
                | "expression_case"
                | "type_case"
                | "communication_case"
        ),
        _ => matches!(
            kind,
            "if_statement"
                | "for_statement"
                | "for_in_statement"
                | "while_statement"
                | "do_statement"
                | "switch_case"
                | "catch_clause"
                | "ternary_expression"
        ),
    }
}

/// Short-circuit logical operators (`&&`, `||`, `and`, `or`, `??`): each adds 1 to both
/// complexities. A chain `a && b && c` is two nodes, so operands − 1.
pub(super) fn is_logic_operator(
    language: Language,
    node: Node<'_>,
    kind: &str,
    src: &[u8],
) -> bool {
    match language {
        Language::Python => kind == "boolean_operator",
        _ => {
            kind == "binary_expression"
                && node
                    .child_by_field_name("operator")
                    .is_some_and(|op| matches!(&*text(op, src), "&&" | "||" | "??"))
        }
    }
}

/// Declared parameters, excluding receivers (`self`, Python `self`/`cls` in classes).
pub(super) fn param_count(language: Language, node: Node<'_>, src: &[u8], in_class: bool) -> u32 {
    let Some(params) = node.child_by_field_name("parameters") else {
        // A JS arrow function with one bare parameter: `x => x + 1`.
        return u32::from(node.child_by_field_name("parameter").is_some());
    };
    let mut cursor = params.walk();
    let mut count = 0u32;
    for (i, p) in params.named_children(&mut cursor).enumerate() {
        count += match (language, p.kind()) {
            (_, k) if k.contains("comment") => 0,
            (Language::Rust, "parameter") => 1,
            (Language::Rust, _) => 0,
            (Language::Python, "keyword_separator" | "positional_separator") => 0,
            (Language::Python, "identifier")
                if i == 0 && in_class && matches!(&*text(p, src), "self" | "cls") =>
            {
                0
            }
            (Language::Python, "typed_parameter")
                if i == 0 && in_class && {
                    let t = text(p, src);
                    t.starts_with("self") || t.starts_with("cls")
                } =>
            {
                0
            }
            (Language::Go, "parameter_declaration") => {
                let mut c = p.walk();
                let names = p.children_by_field_name("name", &mut c).count();
                u32::try_from(names.max(1)).unwrap_or(u32::MAX)
            }
            _ => 1,
        };
    }
    count
}

/// The name a call node calls: the last segment of the callee (`a.b.c()` gives `c`,
/// `Foo::new()` gives `new`), or the class in `new Foo()`.
pub(super) fn call_name(node: Node<'_>, kind: &str, src: &[u8]) -> Option<String> {
    let callee = match kind {
        "call_expression" | "call" => node.child_by_field_name("function"),
        "new_expression" => node.child_by_field_name("constructor"),
        _ => None,
    }?;
    callee_name(callee, src)
}

fn callee_name(callee: Node<'_>, src: &[u8]) -> Option<String> {
    let leaf = match callee.kind() {
        "identifier" | "field_identifier" | "property_identifier" => Some(callee),
        // Rust `a.b()`, `Foo::bar()`, `foo::<T>()`; Python `a.b()`; JS `a.b()`; Go `pkg.F()`.
        "field_expression" | "selector_expression" => callee.child_by_field_name("field"),
        "scoped_identifier" => callee.child_by_field_name("name"),
        "attribute" => callee.child_by_field_name("attribute"),
        "member_expression" => callee.child_by_field_name("property"),
        "generic_function" => {
            return callee
                .child_by_field_name("function")
                .and_then(|f| callee_name(f, src));
        }
        _ => None,
    }?;
    let name = text(leaf, src).into_owned();
    (!name.is_empty()).then_some(name)
}

/// The normalised signature of a callable at `node` named `name` (see `SymbolFacts::signature`).
pub(super) fn signature(language: Language, node: Node<'_>, name: &str, src: &[u8]) -> String {
    let params = node
        .child_by_field_name("parameters")
        .or_else(|| node.child_by_field_name("parameter"));
    match language {
        Language::Python => {
            let mut names = Vec::new();
            if let Some(params) = params {
                let mut cursor = params.walk();
                for p in params.named_children(&mut cursor) {
                    if let Some(n) = python_param_name(p, src) {
                        names.push(n);
                    }
                }
            }
            let ret = if node.child_by_field_name("return_type").is_some() {
                " -> ..."
            } else {
                ""
            };
            format!("def {name}({}){ret}", names.join(", "))
        }
        Language::JavaScript => {
            let mut names = Vec::new();
            if let Some(params) = params {
                if params.kind() == "formal_parameters" {
                    let mut cursor = params.walk();
                    for p in params.named_children(&mut cursor) {
                        if p.kind().contains("comment") {
                            continue;
                        }
                        let target = if p.kind() == "assignment_pattern" {
                            p.child_by_field_name("left").unwrap_or(p)
                        } else {
                            p
                        };
                        names.push(tokens::normalize(target, src));
                    }
                } else {
                    names.push(tokens::normalize(params, src));
                }
            }
            format!("{name}({})", names.join(", "))
        }
        _ => {
            let mut out = name.to_string();
            if let Some(tp) = node.child_by_field_name("type_parameters") {
                out.push_str(&tokens::normalize(tp, src));
            }
            match params {
                Some(p) if p.kind() == "identifier" => out.push_str(&format!("({})", text(p, src))),
                Some(p) => out.push_str(&tokens::normalize(p, src)),
                None => out.push_str("()"),
            }
            let ret = node
                .child_by_field_name("return_type")
                .or_else(|| node.child_by_field_name("result"));
            if let Some(ret) = ret {
                let r = tokens::normalize(ret, src);
                match language {
                    Language::Rust => out.push_str(&format!(" -> {r}")),
                    Language::Go => out.push_str(&format!(" {r}")),
                    _ => out.push_str(&r),
                }
            }
            out
        }
    }
}

fn python_param_name(p: Node<'_>, src: &[u8]) -> Option<String> {
    match p.kind() {
        "identifier" => Some(text(p, src).into_owned()),
        "default_parameter" | "typed_default_parameter" => field_text(p, "name", src),
        "list_splat_pattern" => Some(format!("*{}", text(p.named_child(0)?, src))),
        "dictionary_splat_pattern" => Some(format!("**{}", text(p.named_child(0)?, src))),
        "typed_parameter" => {
            let inner = p.named_child(0)?;
            python_param_name(inner, src)
        }
        _ => None,
    }
}
