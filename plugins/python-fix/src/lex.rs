//! A small Python tokenizer: just enough to know which bytes are code, string or comment,
//! where logical lines start and how deep brackets nest.
//!
//! It is deliberately strict: anything it cannot account for (an unterminated string, an
//! unbalanced or mismatched bracket, a stray backslash, indentation that mixes tabs and
//! spaces) makes [`lex`] return `None`, and the fixers then leave the file untouched rather
//! than guess.

/// What a token is; only names and operators matter to the fixers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An identifier or keyword.
    Name,
    /// Punctuation: brackets, `:`, `;`, `:=`, operators.
    Op,
    /// A whole string literal, prefix and quotes included (f-string fields too).
    Str,
    /// Numbers and anything else.
    Other,
}

/// One token: its byte span and the bracket depth it sits at (an opening bracket and its
/// closing partner share the depth outside them).
#[derive(Debug, Clone, Copy)]
pub struct Tok {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub depth: usize,
}

/// A logical line: one statement line, possibly spanning several physical lines.
#[derive(Debug)]
pub struct Logical {
    /// Indentation width of its first physical line (a tab advances to the next multiple
    /// of 8, as in Python).
    pub indent: usize,
    /// Its tokens, without comments.
    pub toks: Vec<Tok>,
}

/// One physical line.
#[derive(Debug, Clone)]
pub struct Line {
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past its content (before `\r\n` / `\n`).
    pub end: usize,
    /// It begins inside a string literal (a triple-quoted string or a continued one).
    pub in_string: bool,
    /// The line before it ends with a backslash continuation.
    pub after_backslash: bool,
    /// Byte offset of the `#` that starts its comment, if it has one.
    pub comment: Option<usize>,
}

#[derive(Debug)]
pub struct Lexed {
    pub logical: Vec<Logical>,
    pub lines: Vec<Line>,
}

/// Tokenize `text`; `None` when it cannot be scanned sanely.
pub fn lex(text: &str) -> Option<Lexed> {
    let mut lx = Lexer {
        b: text.as_bytes(),
        i: 0,
        lines: vec![Line {
            start: 0,
            end: 0,
            in_string: false,
            after_backslash: false,
            comment: None,
        }],
        brackets: Vec::new(),
        toks: Vec::new(),
        indent: 0,
        logical: Vec::new(),
        tab_indent: false,
        space_indent: false,
        nesting: 0,
    };
    lx.run()?;
    Some(Lexed {
        logical: lx.logical,
        lines: lx.lines,
    })
}

struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    lines: Vec<Line>,
    brackets: Vec<u8>,
    toks: Vec<Tok>,
    indent: usize,
    logical: Vec<Logical>,
    tab_indent: bool,
    space_indent: bool,
    /// How many f-string fields we are inside (bounded, so hostile input cannot exhaust
    /// the stack).
    nesting: usize,
}

/// Deeper f-string nesting than this is refused.
const MAX_NESTING: usize = 32;

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Whether `word` is a string prefix; `Some(true)` when it makes a formatted string
/// (f-string or t-string, whose `{}` fields hold code).
fn string_prefix(word: &[u8]) -> Option<bool> {
    let lower: Vec<u8> = word.iter().map(u8::to_ascii_lowercase).collect();
    match lower.as_slice() {
        b"r" | b"u" | b"b" | b"br" | b"rb" => Some(false),
        b"f" | b"t" | b"fr" | b"rf" | b"tr" | b"rt" => Some(true),
        _ => None,
    }
}

impl Lexer<'_> {
    fn peek(&self, at: usize) -> Option<u8> {
        self.b.get(at).copied()
    }

    fn line(&mut self) -> &mut Line {
        self.lines
            .last_mut()
            .expect("there is always a current line")
    }

    fn run(&mut self) -> Option<()> {
        while let Some(c) = self.peek(self.i) {
            match c {
                b'\n' => {
                    let joined = !self.brackets.is_empty();
                    if !joined {
                        self.finish();
                    }
                    self.newline(self.i, false, false);
                    self.i += 1;
                }
                b' ' | b'\t' | b'\r' | b'\x0c' => self.i += 1,
                b'\\' => {
                    let mut j = self.i + 1;
                    if self.peek(j) == Some(b'\r') {
                        j += 1;
                    }
                    if self.peek(j) != Some(b'\n') {
                        return None;
                    }
                    self.newline(j, false, true);
                    self.i = j + 1;
                }
                b'#' => {
                    self.line().comment = Some(self.i);
                    while self.peek(self.i).is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                b'"' | b'\'' => {
                    let start = self.begin_token()?;
                    self.string(false)?;
                    self.push(Kind::Str, start);
                }
                c if is_name_byte(c) && !c.is_ascii_digit() => {
                    let start = self.begin_token()?;
                    let end = self.name_end(start);
                    self.i = end;
                    match (string_prefix(&self.b[start..end]), self.peek(end)) {
                        (Some(formatted), Some(b'"' | b'\'')) => {
                            self.string(formatted)?;
                            self.push(Kind::Str, start);
                        }
                        _ => self.push(Kind::Name, start),
                    }
                }
                c if c.is_ascii_digit() => {
                    let start = self.begin_token()?;
                    while self
                        .peek(self.i)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
                    {
                        self.i += 1;
                    }
                    self.push(Kind::Other, start);
                }
                b'(' | b'[' | b'{' => {
                    let start = self.begin_token()?;
                    self.i += 1;
                    self.push(Kind::Op, start);
                    self.brackets.push(c);
                }
                b')' | b']' | b'}' => {
                    let open = self.brackets.pop()?;
                    let expected = match c {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    if open != expected {
                        return None;
                    }
                    let start = self.begin_token()?;
                    self.i += 1;
                    self.push(Kind::Op, start);
                }
                _ => {
                    let start = self.begin_token()?;
                    self.i += if c == b':' && self.peek(self.i + 1) == Some(b'=') {
                        2
                    } else {
                        1
                    };
                    self.push(Kind::Op, start);
                }
            }
        }
        let dangling_backslash = self.line().after_backslash
            && self.b[self.line().start..]
                .iter()
                .all(|c| c.is_ascii_whitespace());
        if !self.brackets.is_empty() || dangling_backslash {
            return None;
        }
        self.finish();
        let n = self.b.len();
        let start = self.line().start;
        self.line().end = if n > start && self.b[n - 1] == b'\r' {
            n - 1
        } else {
            n
        };
        Some(())
    }

    fn name_end(&self, start: usize) -> usize {
        let mut end = start;
        while self.peek(end).is_some_and(is_name_byte) {
            end += 1;
        }
        end
    }

    /// Close the current physical line at the `\n` at `at` and open the next one.
    fn newline(&mut self, at: usize, in_string: bool, after_backslash: bool) {
        let start = self.line().start;
        self.line().end = if at > start && self.b[at - 1] == b'\r' {
            at - 1
        } else {
            at
        };
        self.lines.push(Line {
            start: at + 1,
            end: at + 1,
            in_string,
            after_backslash,
            comment: None,
        });
    }

    /// Called at a token's first byte: records the indentation when it starts a logical
    /// line. Fails on indentation that mixes tabs and spaces.
    fn begin_token(&mut self) -> Option<usize> {
        let start = self.i;
        if self.toks.is_empty() {
            let line_start = self.line().start;
            let mut width = 0;
            for &c in &self.b[line_start..start] {
                match c {
                    b' ' => {
                        width += 1;
                        self.space_indent = true;
                    }
                    b'\t' => {
                        width = (width / 8 + 1) * 8;
                        self.tab_indent = true;
                    }
                    _ => {}
                }
            }
            if self.tab_indent && self.space_indent {
                return None;
            }
            self.indent = width;
        }
        Some(start)
    }

    fn push(&mut self, kind: Kind, start: usize) {
        self.toks.push(Tok {
            kind,
            start,
            end: self.i,
            depth: self.brackets.len(),
        });
    }

    fn finish(&mut self) {
        if !self.toks.is_empty() {
            self.logical.push(Logical {
                indent: self.indent,
                toks: std::mem::take(&mut self.toks),
            });
        }
    }

    /// At `\n` inside a string: the next line begins inside it.
    fn string_newline(&mut self) {
        self.newline(self.i, true, false);
        self.i += 1;
    }

    /// Scan a string literal whose opening quote is at `self.i`; leaves `self.i` past the
    /// closing quote.
    fn string(&mut self, formatted: bool) -> Option<()> {
        let q = self.peek(self.i)?;
        let triple = self.peek(self.i + 1) == Some(q) && self.peek(self.i + 2) == Some(q);
        self.i += if triple { 3 } else { 1 };
        loop {
            let c = self.peek(self.i)?;
            match c {
                b'\\' => {
                    self.i += 1;
                    if self.peek(self.i) == Some(b'\r') && self.peek(self.i + 1) == Some(b'\n') {
                        self.i += 1;
                    }
                    match self.peek(self.i)? {
                        b'\n' => self.string_newline(),
                        _ => self.i += 1,
                    }
                }
                b'\n' if triple => self.string_newline(),
                b'\n' => return None,
                c if c == q => {
                    if !triple {
                        self.i += 1;
                        return Some(());
                    }
                    if self.peek(self.i + 1) == Some(q) && self.peek(self.i + 2) == Some(q) {
                        self.i += 3;
                        return Some(());
                    }
                    self.i += 1;
                }
                b'{' if formatted => {
                    if self.peek(self.i + 1) == Some(b'{') {
                        self.i += 2;
                    } else {
                        self.i += 1;
                        self.field()?;
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    /// Scan an f-string replacement field after its `{`, up to and past its `}`. Fields hold
    /// code, so nested strings (any quotes, Python 3.12) are scanned as strings.
    fn field(&mut self) -> Option<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return None;
        }
        self.field_body()?;
        self.nesting -= 1;
        Some(())
    }

    fn field_body(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            let c = self.peek(self.i)?;
            match c {
                b'\n' => self.string_newline(),
                b'"' | b'\'' => self.string(false)?,
                // A comment inside a field is rare enough to refuse.
                b'#' => return None,
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.i += 1;
                }
                b')' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.i += 1;
                }
                b'}' => {
                    self.i += 1;
                    if depth == 0 {
                        return Some(());
                    }
                    depth -= 1;
                }
                b'!' if depth == 0 && self.peek(self.i + 1) != Some(b'=') => self.i += 2,
                b':' if depth == 0 => {
                    self.i += 1;
                    return self.format_spec();
                }
                c if is_name_byte(c) && !c.is_ascii_digit() => {
                    let start = self.i;
                    let end = self.name_end(start);
                    self.i = end;
                    if let (Some(formatted), Some(b'"' | b'\'')) =
                        (string_prefix(&self.b[start..end]), self.peek(end))
                    {
                        self.string(formatted)?;
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    /// Scan a format spec (after a field's top-level `:`) up to and past the field's `}`.
    fn format_spec(&mut self) -> Option<()> {
        loop {
            match self.peek(self.i)? {
                b'\n' => self.string_newline(),
                b'{' => {
                    self.i += 1;
                    self.field()?;
                }
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => self.i += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<&str>> {
        lex(text)
            .expect("scans")
            .logical
            .iter()
            .map(|l| l.toks.iter().map(|t| &text[t.start..t.end]).collect())
            .collect()
    }

    #[test]
    fn brackets_join_physical_lines_into_one_logical_line() {
        let w = words("x = f(\n  1,  # one\n  2)\ny = 3\n");
        assert_eq!(
            w,
            vec![
                vec!["x", "=", "f", "(", "1", ",", "2", ")"],
                vec!["y", "=", "3"]
            ]
        );
    }

    #[test]
    fn strings_are_single_tokens_and_hide_comment_marks() {
        let text = "s = 'a # b' + \"\"\"\nraise X\n\"\"\"  # real\n";
        let lexed = lex(text).unwrap();
        assert_eq!(lexed.logical.len(), 1);
        assert_eq!(lexed.logical[0].toks[2].kind, Kind::Str);
        assert!(lexed.lines[1].in_string, "the docstring's body line");
        assert_eq!(lexed.lines[0].comment, None);
        assert_eq!(lexed.lines[2].comment, Some(text.find("# real").unwrap()));
    }

    #[test]
    fn f_string_fields_may_nest_quotes_and_format_specs() {
        let w = words("a = f\"{d[\"#\"]:>{w}} {x:'>10}\" # c\n");
        assert_eq!(w[0].len(), 3, "{w:?}");
    }

    #[test]
    fn unscannable_text_is_refused() {
        for bad in [
            "x = (1,\n",
            "x = 'abc\n",
            "s = \"\"\"never closed\n",
            "x = (1]\n",
            "x = 1 \\ 2\n",
            "if a:\n\tb()\n        c()\n",
        ] {
            assert!(lex(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("x = {}1{}\n", "f'{".repeat(10_000), "}'".repeat(10_000));
        assert!(lex(&deep).is_none());
        let ok = format!("x = {}1{}\n", "f'{".repeat(3), "}'".repeat(3));
        assert!(lex(&ok).is_some());
    }

    #[test]
    fn indentation_and_line_ends_are_measured() {
        let text = "if a:\r\n    b()\r\n";
        let lexed = lex(text).unwrap();
        assert_eq!(lexed.logical[1].indent, 4);
        assert_eq!(&text[lexed.lines[1].start..lexed.lines[1].end], "    b()");
    }
}
