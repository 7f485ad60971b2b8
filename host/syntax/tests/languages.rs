//! Per-language extraction on hand-written fixtures (`tests/fixtures/sample.*`). Every
//! number asserted here was computed by hand from the rules in `docs/sentrux.md`; the
//! fixture comments show the arithmetic for the interesting functions.

use dgov_syntax::{FileFacts, FunctionFacts, ImportKind, Language, SymbolKind, parse_file};

fn fixture(name: &str) -> FileFacts {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).expect("fixture exists");
    parse_file(name, &bytes).expect("fixture parses")
}

/// (qualified name, start, end, params, cyclomatic, cognitive, max nesting)
type Row<'a> = (&'a str, u32, u32, u32, u32, u32, u32);

fn rows(facts: &FileFacts) -> Vec<Row<'_>> {
    facts
        .functions
        .iter()
        .map(|f: &FunctionFacts| {
            (
                f.qualified_name.as_str(),
                f.start_line,
                f.end_line,
                f.params,
                f.cyclomatic,
                f.cognitive,
                f.max_nesting,
            )
        })
        .collect()
}

fn imports(facts: &FileFacts) -> Vec<(&str, Vec<&str>, u32, ImportKind)> {
    facts
        .imports
        .iter()
        .map(|i| {
            (
                i.specifier.as_str(),
                i.names.iter().map(String::as_str).collect(),
                i.line,
                i.kind,
            )
        })
        .collect()
}

/// (name, kind, start, end, signature, public)
/// (name, kind, start, end, signature, public)
type SymRow<'a> = (&'a str, SymbolKind, u32, u32, Option<&'a str>, bool);

fn symbols(facts: &FileFacts) -> Vec<SymRow<'_>> {
    facts
        .symbols
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.kind,
                s.start_line,
                s.end_line,
                s.signature.as_deref(),
                s.public,
            )
        })
        .collect()
}

#[test]
fn rust_functions_imports_and_symbols() {
    let f = fixture("sample.rs");
    assert_eq!(f.language, Some(Language::Rust));
    assert_eq!(f.lines, 44);
    assert!(f.syntax_errors.is_empty());
    assert_eq!(
        rows(&f),
        vec![
            ("classify", 11, 21, 3, 5, 7, 3),
            ("helper", 23, 25, 1, 1, 0, 0),
            ("Config::new", 28, 30, 0, 1, 0, 0),
            // two match arms: cc 1 + 2, cognitive 1 + 1, receiver not counted
            ("Config::pick", 32, 37, 1, 3, 2, 1),
            ("<Config as std::fmt::Display>::fmt", 41, 43, 1, 1, 0, 0),
        ]
    );
    assert_eq!(f.functions[0].calls, vec!["helper"]);
    assert_eq!(
        imports(&f),
        vec![
            (
                "crate::store",
                vec!["Event", "Store"],
                2,
                ImportKind::Import
            ),
            ("super::util", vec![], 3, ImportKind::Import),
            ("helpers", vec![], 4, ImportKind::ModDecl),
        ]
    );
    use SymbolKind::*;
    assert_eq!(
        symbols(&f),
        vec![
            ("Config", Struct, 6, 8, None, true),
            (
                "classify",
                Function,
                11,
                21,
                Some("classify(items:&[u32], limit:u32, strict:bool) -> u32"),
                true
            ),
            (
                "helper",
                Function,
                23,
                25,
                Some("helper(x:u32) -> u32"),
                false
            ),
            ("Config::new", Method, 28, 30, Some("new() -> Self"), true),
            (
                "Config::pick",
                Method,
                32,
                37,
                Some("pick(&self, v:Option<u32>) -> u32"),
                false
            ),
            (
                "<Config as std::fmt::Display>::fmt",
                Method,
                41,
                43,
                Some("fmt(&self, f:&mut std::fmt::Formatter<'_>) -> std::fmt::Result"),
                true
            ),
        ]
    );
}

#[test]
fn python_functions_imports_and_symbols() {
    let f = fixture("sample.py");
    assert_eq!(f.language, Some(Language::Python));
    assert_eq!(f.lines, 39);
    assert_eq!(
        rows(&f),
        vec![
            // for, if (+and), elif nested in the if, except: cc 6; cog 1+2+1+3+1 = 8
            ("process", 9, 20, 5, 6, 8, 3),
            ("_helper", 23, 24, 1, 1, 0, 0),
            ("Store.__init__", 28, 29, 1, 1, 0, 0),
            ("Store.load", 32, 34, 2, 2, 1, 1),
            ("Store._private", 36, 39, 0, 1, 0, 0),
            // `a or b` is a logical operator; the nested function is its own function
            ("Store._private.inner", 37, 38, 2, 2, 1, 0),
        ]
    );
    assert_eq!(f.functions[0].calls, vec!["helper", "remove"]);
    assert_eq!(
        imports(&f),
        vec![
            ("os", vec![], 2, ImportKind::Import),
            ("json", vec![], 3, ImportKind::Import),
            ("sys", vec![], 3, ImportKind::Import),
            (".", vec!["util"], 4, ImportKind::Import),
            ("..pkg.mod", vec!["thing", "other"], 5, ImportKind::Import),
            (".models", vec![], 6, ImportKind::Import),
        ]
    );
    use SymbolKind::*;
    assert_eq!(
        symbols(&f),
        vec![
            (
                "process",
                Function,
                9,
                20,
                Some("def process(items, limit, *args, strict, **kw) -> ..."),
                true
            ),
            ("_helper", Function, 23, 24, Some("def _helper(x)"), false),
            (
                "Store.__init__",
                Method,
                28,
                29,
                Some("def __init__(self, path)"),
                true
            ),
            // the decorator belongs to the definition
            (
                "Store.load",
                Method,
                31,
                34,
                Some("def load(path, mode)"),
                true
            ),
            (
                "Store._private",
                Method,
                36,
                39,
                Some("def _private(self)"),
                false
            ),
            ("Store", Class, 27, 39, None, true),
        ]
    );
}

#[test]
fn typescript_functions_imports_and_symbols() {
    let f = fixture("sample.ts");
    assert_eq!(f.language, Some(Language::TypeScript));
    assert_eq!(
        rows(&f),
        vec![
            // if + && + || + two cases + ternary (nested in a case): cc 7, cog 1+1+1+1+1+2
            ("route", 7, 19, 3, 7, 7, 2),
            ("handler", 21, 29, 1, 3, 3, 2),
            ("Service.constructor", 32, 32, 1, 1, 0, 0),
            ("Service.start", 33, 35, 1, 1, 0, 0),
            ("Service.stop", 36, 36, 0, 1, 0, 0),
        ]
    );
    assert_eq!(
        imports(&f),
        vec![
            ("./lib/a", vec![], 2, ImportKind::Import),
            ("path", vec![], 3, ImportKind::Import),
            ("../c", vec![], 4, ImportKind::Import),
            ("fs", vec![], 5, ImportKind::Import),
        ]
    );
    use SymbolKind::*;
    assert_eq!(
        symbols(&f),
        vec![
            (
                "route",
                Function,
                7,
                19,
                Some("route(req:Request, res:Response, next?:()=>void):number"),
                true
            ),
            (
                "handler",
                Function,
                21,
                29,
                Some("handler(event:string)"),
                true
            ),
            (
                "Service.constructor",
                Method,
                32,
                32,
                Some("constructor(private db:string)"),
                true
            ),
            (
                "Service.start",
                Method,
                33,
                35,
                Some("start(port:number):void"),
                true
            ),
            ("Service.stop", Method, 36, 36, Some("stop():void"), false),
            ("Service", Class, 31, 37, None, true),
            ("Options", Interface, 39, 39, None, false),
            ("Id", Type, 40, 40, None, false),
        ]
    );
    assert_eq!(f.symbols[1].calls, vec!["log", "route"]);
}

#[test]
fn javascript_functions_imports_and_symbols() {
    let f = fixture("sample.js");
    assert_eq!(f.language, Some(Language::JavaScript));
    assert_eq!(
        rows(&f),
        vec![
            ("lazy", 3, 3, 0, 1, 0, 0),
            ("walk", 5, 12, 3, 4, 4, 2),
            ("Tree.insert", 15, 17, 1, 1, 0, 0)
        ]
    );
    assert_eq!(
        imports(&f),
        vec![
            ("./util.js", vec![], 2, ImportKind::Import),
            ("./lazy", vec![], 3, ImportKind::Import)
        ]
    );
    assert_eq!(
        f.symbols[1].signature.as_deref(),
        Some("walk(tree, depth, ...rest)")
    );
}

#[test]
fn go_functions_imports_and_symbols() {
    let f = fixture("sample.go");
    assert_eq!(f.language, Some(Language::Go));
    assert_eq!(
        rows(&f),
        // for, if nested (+||), two expression cases: cc 6, cog 1+2+1+1+1
        vec![
            ("Server.Start", 17, 30, 3, 6, 6, 2),
            ("helper", 32, 34, 1, 1, 0, 0)
        ]
    );
    assert_eq!(f.functions[0].calls, vec!["Errorf", "Open"]);
    assert_eq!(
        imports(&f),
        vec![
            ("fmt", vec![], 5, ImportKind::Import),
            (
                "example.com/app/internal/store",
                vec![],
                6,
                ImportKind::Import
            )
        ]
    );
    use SymbolKind::*;
    assert_eq!(
        symbols(&f),
        vec![
            ("Server", Struct, 9, 11, None, true),
            ("Handler", Interface, 13, 15, None, true),
            (
                "Server.Start",
                Method,
                17,
                30,
                Some("Start(a, b int, name string) error"),
                true
            ),
            (
                "helper",
                Function,
                32,
                34,
                Some("helper(xs...int) int"),
                false
            ),
        ]
    );
}

#[test]
fn tsx_uses_its_own_grammar() {
    let src = b"export function App(props: Props) {\n  return props.on ? <div>{props.x}</div> : null;\n}\n";
    let f = parse_file("ui/App.tsx", src).unwrap();
    assert_eq!(f.language, Some(Language::Tsx));
    assert!(f.syntax_errors.is_empty(), "{:?}", f.syntax_errors);
    assert_eq!(rows(&f), vec![("App", 1, 3, 1, 2, 1, 1)]);
}

#[test]
fn unsupported_extension_is_a_typed_error() {
    let err = parse_file("notes.txt", b"hello").unwrap_err();
    assert!(err.to_string().contains("notes.txt"), "{err}");
}
