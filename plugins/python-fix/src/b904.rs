//! B904: inside `except ... as NAME:`, a `raise` of a new exception without `from` loses the
//! original traceback's context; append ` from NAME`.

use crate::lex::{Kind, Tok, lex};

/// Statements that open an indented block (or carry a body after their colon).
const COMPOUND: &[&str] = &[
    "if", "elif", "else", "for", "while", "with", "try", "finally", "async", "match", "case",
];

/// Add ` from NAME` to every unchained `raise` of an exception inside an `except ... as
/// NAME:` handler. Returns the new text and the number of raises changed; text that cannot
/// be scanned comes back unchanged with 0.
pub fn fix_b904(text: &str) -> (String, usize) {
    let Some(lexed) = lex(text) else {
        return (text.to_owned(), 0);
    };
    let mut inserts: Vec<(usize, &str)> = Vec::new();
    // Open blocks that change the name in effect: (header indent, handler name). A
    // `def`/`class` or an `except` without `as` hides the outer name (None).
    let mut scopes: Vec<(usize, Option<&str>)> = Vec::new();
    for line in &lexed.logical {
        while scopes
            .last()
            .is_some_and(|&(indent, _)| indent >= line.indent)
        {
            scopes.pop();
        }
        let name = scopes.last().and_then(|&(_, n)| n);
        let mut v = Visit {
            text,
            indent: line.indent,
            scopes: &mut scopes,
            inserts: &mut inserts,
        };
        v.line(&line.toks, name);
    }
    let mut out = text.to_owned();
    inserts.sort_by_key(|&(at, _)| at);
    for &(at, name) in inserts.iter().rev() {
        out.insert_str(at, &format!(" from {name}"));
    }
    (out, inserts.len())
}

struct Visit<'t, 'v> {
    text: &'t str,
    indent: usize,
    scopes: &'v mut Vec<(usize, Option<&'t str>)>,
    inserts: &'v mut Vec<(usize, &'t str)>,
}

impl<'t> Visit<'t, '_> {
    fn word(&self, t: &Tok) -> &'t str {
        if t.kind == Kind::Name {
            &self.text[t.start..t.end]
        } else {
            ""
        }
    }

    /// One logical line with `name` the handler name in effect; a compound header's colon
    /// hands the rest of the line on with the header's own name.
    fn line(&mut self, mut toks: &[Tok], mut name: Option<&'t str>) {
        // A loop rather than recursion: `if a: if b: ...` chains in hostile input must not
        // grow the stack.
        loop {
            let Some(first) = toks.first() else {
                return;
            };
            let first = self.word(first);
            let second = toks.get(1).map(|t| self.word(t)).unwrap_or_default();
            let opens_scope = first == "except"
                || first == "def"
                || first == "class"
                || (first == "async" && second == "def");
            let Some(colon) = (opens_scope || COMPOUND.contains(&first))
                .then(|| self.header_colon(toks))
                .flatten()
            else {
                break;
            };
            let inner = match first {
                "except" => self.handler_name(&toks[..colon]),
                _ if opens_scope => None,
                _ => name,
            };
            toks = &toks[colon + 1..];
            name = inner;
            if toks.is_empty() && opens_scope {
                self.scopes.push((self.indent, inner));
            }
        }
        let text = self.text;
        let is_semicolon =
            |t: &Tok| t.depth == 0 && t.kind == Kind::Op && &text[t.start..t.end] == ";";
        for stmt in toks.split(is_semicolon) {
            self.raise(stmt, name);
        }
    }

    fn op(&self, t: &Tok) -> &'t str {
        if t.kind == Kind::Op {
            &self.text[t.start..t.end]
        } else {
            ""
        }
    }

    /// Index of the colon ending a compound statement's header: the first top-level `:`
    /// that does not belong to a `lambda`.
    fn header_colon(&self, toks: &[Tok]) -> Option<usize> {
        let mut lambdas = 0;
        for (i, t) in toks.iter().enumerate() {
            if t.depth != 0 {
                continue;
            }
            if self.word(t) == "lambda" {
                lambdas += 1;
            } else if self.op(t) == ":" {
                if lambdas == 0 {
                    return Some(i);
                }
                lambdas -= 1;
            }
        }
        None
    }

    /// `NAME` of an `except ... as NAME` header (tokens before its colon).
    fn handler_name(&self, header: &[Tok]) -> Option<&'t str> {
        match header {
            [.., as_, name] if as_.depth == 0 && self.word(as_) == "as" => {
                Some(self.word(name)).filter(|n| !n.is_empty())
            }
            _ => None,
        }
    }

    fn raise(&mut self, stmt: &[Tok], name: Option<&'t str>) {
        let Some(name) = name else {
            return;
        };
        let [first, rest @ ..] = stmt else {
            return;
        };
        if self.word(first) != "raise" || rest.is_empty() {
            return; // not a raise, or a bare re-raise
        }
        if rest.iter().any(|t| t.depth == 0 && self.word(t) == "from") {
            return; // already chained
        }
        if let [only] = rest
            && self.word(only) == name
        {
            return; // `raise e` re-raises the caught exception itself
        }
        let end = rest.last().map_or(first.end, |t| t.end);
        self.inserts.push((end, name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str) -> String {
        fix_b904(text).0
    }

    #[test]
    fn appends_from_and_keeps_quote_style_and_surrounding_code() {
        let src = "try:\n    x = int(s)  # parse\nexcept ValueError as exc:\n    log('bad')\n    raise RuntimeError('bad value: %s' % s)  # why\nprint(\"done\")\n";
        let (out, n) = fix_b904(src);
        assert_eq!(n, 1);
        assert_eq!(
            out,
            "try:\n    x = int(s)  # parse\nexcept ValueError as exc:\n    log('bad')\n    raise RuntimeError('bad value: %s' % s) from exc  # why\nprint(\"done\")\n"
        );
    }

    #[test]
    fn a_bare_name_without_call_is_chained_too() {
        assert_eq!(
            fixed("try:\n    a()\nexcept KeyError as e:\n    raise LookupError\n"),
            "try:\n    a()\nexcept KeyError as e:\n    raise LookupError from e\n"
        );
    }

    #[test]
    fn skips_chained_bare_and_self_raises() {
        let src = "try:\n    a()\nexcept E as e:\n    if x:\n        raise X() from None\n    elif y:\n        raise Y from e\n    elif z:\n        raise e\n    raise\n";
        assert_eq!(fix_b904(src), (src.to_owned(), 0));
    }

    #[test]
    fn raises_outside_handlers_are_left_alone() {
        let src = "def f():\n    raise ValueError('x')\ntry:\n    pass\nexcept E:\n    raise X()\n";
        assert_eq!(fix_b904(src).1, 0);
    }

    #[test]
    fn uses_the_innermost_handlers_name() {
        let src = "try:\n    a()\nexcept A as outer:\n    try:\n        b()\n    except B as inner:\n        raise C()\n    raise D()\n";
        assert_eq!(
            fixed(src),
            "try:\n    a()\nexcept A as outer:\n    try:\n        b()\n    except B as inner:\n        raise C() from inner\n    raise D() from outer\n"
        );
    }

    #[test]
    fn an_inner_handler_without_as_gets_nothing() {
        let src = "try:\n    a()\nexcept A as e:\n    try:\n        b()\n    except B:\n        raise C()\n";
        assert_eq!(fix_b904(src).1, 0);
    }

    #[test]
    fn nested_functions_and_classes_are_not_descended_into() {
        let src = "try:\n    a()\nexcept A as e:\n    def cb():\n        raise C()\n    class K:\n        def m(self):\n            raise D()\n    async def g():\n        raise F()\n    raise G()\n";
        let (out, n) = fix_b904(src);
        assert_eq!(n, 1, "{out}");
        assert!(out.contains("        raise C()\n"));
        assert!(out.contains("    raise G() from e\n"));
    }

    #[test]
    fn a_multi_line_raise_gets_from_after_its_closing_bracket() {
        let src = "try:\n    a()\nexcept OSError as err:\n    raise ConfigError(\n        \"cannot read\",  # comment\n        path,\n    )  # trailing\n";
        assert_eq!(
            fixed(src),
            "try:\n    a()\nexcept OSError as err:\n    raise ConfigError(\n        \"cannot read\",  # comment\n        path,\n    ) from err  # trailing\n"
        );
    }

    #[test]
    fn raise_inside_a_docstring_is_untouched() {
        let src = "try:\n    a()\nexcept A as e:\n    \"\"\"\n    raise B()\n    \"\"\"\n    s = 'raise C()'\n";
        assert_eq!(fix_b904(src).1, 0);
    }

    #[test]
    fn tuples_star_handlers_multi_line_headers_and_one_line_bodies() {
        let src = "try:\n    a()\nexcept (A,\n        B) as e:\n    raise C()\nexcept* D as g: raise E(); x = 1\nexcept F as h:\n    if x: raise G()\n";
        assert_eq!(
            fixed(src),
            "try:\n    a()\nexcept (A,\n        B) as e:\n    raise C() from e\nexcept* D as g: raise E() from g; x = 1\nexcept F as h:\n    if x: raise G() from h\n"
        );
    }

    #[test]
    fn blank_and_comment_lines_do_not_end_a_handler_body() {
        let src = "try:\n    a()\nexcept A as e:\n    log()\n\n# note at column 0\n    raise B()\n";
        assert_eq!(fix_b904(src).1, 1);
    }

    #[test]
    fn unscannable_files_are_left_untouched() {
        let src = "try:\n    a()\nexcept A as e:\n    raise B(\n";
        assert_eq!(fix_b904(src), (src.to_owned(), 0));
        let src = "s = \"\"\"\ntry:\n    a()\nexcept A as e:\n    raise B()\n";
        assert_eq!(fix_b904(src), (src.to_owned(), 0));
    }

    #[test]
    fn conditional_expressions_and_lambdas_in_headers() {
        let src = "try:\n    a()\nexcept A as e:\n    if (lambda: 1)() and b(lambda x: x):\n        raise B if c else C\n";
        assert_eq!(
            fixed(src),
            "try:\n    a()\nexcept A as e:\n    if (lambda: 1)() and b(lambda x: x):\n        raise B if c else C from e\n"
        );
    }

    #[test]
    fn long_one_line_header_chains_do_not_exhaust_the_stack() {
        let src = format!(
            "try:\n    a()\nexcept A as e: {}raise B()\n",
            "if x: ".repeat(100_000)
        );
        assert_eq!(fix_b904(&src).1, 1);
    }

    #[test]
    fn fixing_twice_is_fixing_once() {
        let src = "try:\n    a()\nexcept A as e:\n    raise B(\n        1)\n";
        let once = fixed(src);
        assert_eq!(fix_b904(&once), (once.clone(), 0));
    }
}
