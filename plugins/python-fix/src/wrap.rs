//! E501 for comments: a line too long because of its prose comment gets the comment
//! re-wrapped onto `#` lines of its own, each within the line length.
//!
//! Only a real comment counts: the `#` must be outside every string literal (the original
//! split on the first `#` anywhere and could cut a string in half). A trailing comment moves
//! onto its own lines just above its code line, at that line's indentation — except after a
//! backslash continuation, where a comment line would break the statement. Directives that
//! are bound to their line (`noqa`, `type:`, `pragma`, `fmt:`, ...) and URLs are never moved
//! or split.

use crate::lex::{Line, lex};

/// The narrowest room for comment text worth wrapping into.
const MIN_WIDTH: usize = 20;

/// Markers of comments that tools read on their own line, or that must not be split.
const DIRECTIVES: &[&str] = &[
    "://", "noqa", "type:", "pragma", "pylint:", "fmt:", "isort:", "pyright:", "mypy:", "ruff:",
    "nosec", "-*-",
];

/// Re-wrap over-long prose comments. Returns the new text and the number of comments
/// wrapped; text that cannot be scanned comes back unchanged with 0.
pub fn wrap_comments(text: &str, line_length: usize) -> (String, usize) {
    let Some(lexed) = lex(text) else {
        return (text.to_owned(), 0);
    };
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(text.len() + 64);
    let mut count = 0;
    for (i, line) in lexed.lines.iter().enumerate() {
        let raw_end = lexed.lines.get(i + 1).map_or(text.len(), |next| next.start);
        let eol = &text[line.end..raw_end];
        match rewrap(text, line, line_length) {
            Some(lines) => {
                count += 1;
                let last = lines.len() - 1;
                for (j, l) in lines.iter().enumerate() {
                    out.push_str(l);
                    out.push_str(if j == last { eol } else { newline });
                }
            }
            None => out.push_str(&text[line.start..raw_end]),
        }
    }
    (out, count)
}

/// The replacement lines for `line`, or `None` to keep it.
fn rewrap(text: &str, line: &Line, line_length: usize) -> Option<Vec<String>> {
    if line.in_string {
        return None;
    }
    let hash = line.comment?;
    if text[line.start..line.end].chars().count() <= line_length {
        return None;
    }
    let code = &text[line.start..hash];
    let comment = &text[hash..line.end];
    let marker_len = comment.bytes().take_while(|&c| c == b'#').count();
    let (marker, body) = comment.split_at(marker_len);
    // `#!`, `#:` and the like are not prose comments.
    if !body.is_empty() && !body.starts_with([' ', '\t']) {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    if DIRECTIVES.iter().any(|d| lower.contains(d)) {
        return None;
    }
    let words: Vec<&str> = body.split_whitespace().collect();
    if !is_prose(&words) {
        return None;
    }
    let full_line = code.trim().is_empty();
    if !full_line && line.after_backslash {
        return None;
    }
    let indent = &code[..code.len() - code.trim_start().len()];
    let width = line_length.checked_sub(indent.chars().count() + marker.chars().count() + 1)?;
    if width < MIN_WIDTH || words.iter().any(|w| w.chars().count() > width) {
        return None;
    }
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in words {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(format!("{indent}{marker} {current}"));
            current.clear();
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(format!("{indent}{marker} {current}"));
    if !full_line {
        lines.push(code.trim_end().to_owned());
    }
    Some(lines)
}

/// Prose: several words, nearly all of them made of letters, digits and ordinary
/// punctuation (commented-out code has `=`, brackets and operators).
fn is_prose(words: &[&str]) -> bool {
    let wordlike = |w: &&&str| {
        w.chars().any(char::is_alphabetic)
            && w.chars()
                .all(|c| c.is_alphanumeric() || ",.;:!?'\"()-/`%&_".contains(c))
    };
    words.len() >= 2 && words.iter().filter(wordlike).count() * 4 >= words.len() * 3
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROSE: &str =
        "this comment explains at some length why the value below has to be computed lazily";

    #[test]
    fn a_long_full_line_comment_is_rewrapped_at_its_indent() {
        let src = format!("def f():\n    # {PROSE}\n    return 1\n");
        let (out, n) = wrap_comments(&src, 40);
        assert_eq!(n, 1);
        assert_eq!(
            out,
            "def f():\n    # this comment explains at some\n    # length why the value below has to\n    # be computed lazily\n    return 1\n"
        );
        assert!(out.lines().all(|l| l.chars().count() <= 40));
    }

    #[test]
    fn a_long_trailing_comment_moves_above_its_code_line() {
        let src = format!("x = compute(1, 2)  # {PROSE}\n");
        let (out, n) = wrap_comments(&src, 50);
        assert_eq!(n, 1);
        assert_eq!(
            out,
            "# this comment explains at some length why the\n# value below has to be computed lazily\nx = compute(1, 2)\n"
        );
    }

    #[test]
    fn trailing_comments_after_a_backslash_continuation_stay() {
        let src = format!("x = 1 + \\\n    2  # {PROSE}\n");
        assert_eq!(wrap_comments(&src, 50), (src.clone(), 0));
    }

    #[test]
    fn short_lines_urls_noqa_type_and_code_comments_are_kept() {
        for src in [
            "x = 1  # short and fine\n".to_owned(),
            format!("# see https://example.com/{PROSE}\n"),
            format!("import os  # noqa: F401 {PROSE}\n"),
            format!("x = []  # type: List[int] {PROSE}\n"),
            "# result = compute(alpha, beta) + [gamma * delta for delta in range(10)] - {epsilon: 1}\n".to_owned(),
            "#!/usr/bin/env python3 with a very long interpreter line that goes on and on and on\n".to_owned(),
        ] {
            assert_eq!(wrap_comments(&src, 40), (src.clone(), 0), "{src}");
        }
    }

    #[test]
    fn a_hash_inside_a_string_literal_is_not_a_comment() {
        // The original split on the first `#` anywhere and turned this line into a broken
        // string plus a "comment".
        let src = "label = \"issue #42: the value below has to be computed lazily because reasons\" + suffix\n";
        assert_eq!(wrap_comments(src, 40), (src.to_owned(), 0));
        // With a real comment after such a string, only the real comment moves.
        let src = format!("label = \"#42\" + suffix  # {PROSE}\n");
        let (out, n) = wrap_comments(&src, 60);
        assert_eq!(n, 1);
        assert!(out.ends_with("\nlabel = \"#42\" + suffix\n"), "{out}");
    }

    #[test]
    fn lines_inside_triple_quoted_strings_are_never_touched() {
        let src = format!("s = \"\"\"\n    # {PROSE}\n\"\"\"\n");
        assert_eq!(wrap_comments(&src, 40), (src.clone(), 0));
    }

    #[test]
    fn too_little_room_leaves_the_comment_alone() {
        let src = format!("                        # {PROSE}\n");
        assert_eq!(wrap_comments(&src, 40), (src.clone(), 0));
    }

    #[test]
    fn length_is_counted_in_characters_and_crlf_is_kept() {
        let src = "# héllo wörld ünïcode çomment\r\nx = 1\r\n";
        assert_eq!(wrap_comments(src, 30), (src.to_owned(), 0), "29 chars fit");
        let (out, n) = wrap_comments(src, 20 + 2);
        assert_eq!(n, 1);
        assert_eq!(out, "# héllo wörld ünïcode\r\n# çomment\r\nx = 1\r\n");
    }

    #[test]
    fn wrapping_twice_is_wrapping_once() {
        let src = format!("if x:\n    y = 2  # {PROSE}\n    # {PROSE}\n");
        let once = wrap_comments(&src, 45).0;
        assert_eq!(wrap_comments(&once, 45), (once.clone(), 0));
    }
}
