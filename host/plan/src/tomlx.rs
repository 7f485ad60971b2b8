//! Span-aware TOML reading: parse with `toml::de::DeTable` so every type error and unknown
//! key can name its line, and typed getters that turn mismatches into diagnostics.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::Diagnostic;

/// A parsed TOML document that remembers its file name and how to map byte offsets to lines.
pub struct Doc<'a> {
    pub file: PathBuf,
    line_starts: Vec<usize>,
    pub root: Spanned<DeTable<'a>>,
}

impl<'a> Doc<'a> {
    /// Parse `text`; a syntax error becomes one diagnostic naming the file and line.
    pub fn parse(file: &Path, text: &'a str) -> Result<Doc<'a>, Diagnostic> {
        let line_starts = line_starts(text);
        match DeTable::parse(text) {
            Ok(root) => Ok(Doc {
                file: file.to_path_buf(),
                line_starts,
                root,
            }),
            Err(err) => {
                let line = err.span().map(|s| line_of(&line_starts, s.start));
                Err(
                    Diagnostic::error(format!("invalid TOML: {}", err.message().trim()))
                        .file(file)
                        .line(line)
                        .hint("fix the TOML syntax at that line (see https://toml.io)"),
                )
            }
        }
    }

    pub fn line(&self, span: Range<usize>) -> u32 {
        line_of(&self.line_starts, span.start)
    }

    pub fn table(&self) -> &DeTable<'a> {
        self.root.get_ref()
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn line_of(starts: &[usize], offset: usize) -> u32 {
    let idx = starts.partition_point(|&s| s <= offset);
    u32::try_from(idx.max(1)).unwrap_or(u32::MAX)
}

/// Human name of a TOML value's type, for "found …" in messages.
pub fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Parse a TOML integer literal (any radix, underscores already removed by the parser).
pub fn int_value(v: &DeValue<'_>) -> Option<i64> {
    match v {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    }
}

/// Reads typed keys out of one table, recording a diagnostic for every mismatch.
///
/// `path` is the key path shown in messages (`[tasks.build]`, `[project]`), `unit` the
/// unit id attached to diagnostics when reading a task.
pub struct Reader<'r, 'a, 'd> {
    pub doc: &'r Doc<'a>,
    pub table: &'r DeTable<'a>,
    pub path: String,
    pub unit: Option<String>,
    pub diags: &'d mut Vec<Diagnostic>,
}

impl<'r, 'a, 'd> Reader<'r, 'a, 'd> {
    pub fn get(&self, key: &str) -> Option<&'r Spanned<DeValue<'a>>> {
        self.table.get(key)
    }

    pub fn line_of_key(&self, key: &str) -> Option<u32> {
        self.table.get(key).map(|v| self.doc.line(v.span()))
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Record a type error for `key`.
    pub fn type_error(&mut self, key: &str, want: &str, found: &Spanned<DeValue<'a>>) {
        let mut d = Diagnostic::error(format!(
            "`{}` must be {want}, found {}",
            self.key_path(key),
            type_name(found.get_ref())
        ))
        .file(&self.doc.file)
        .line(Some(self.doc.line(found.span())))
        .hint(format!("change `{key}` to {want}"));
        if let Some(u) = &self.unit {
            d = d.unit(u.clone());
        }
        self.diags.push(d);
    }

    /// Record an arbitrary error at `key`'s line.
    pub fn error_at(&mut self, key: &str, message: String, hint: String) {
        let line = self.line_of_key(key);
        let mut d = Diagnostic::error(message)
            .file(&self.doc.file)
            .line(line)
            .hint(hint);
        if let Some(u) = &self.unit {
            d = d.unit(u.clone());
        }
        self.diags.push(d);
    }

    pub fn str(&mut self, key: &str) -> Option<String> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                self.type_error(key, "a string", v);
                None
            }
        }
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.type_error(key, "a boolean", v);
                None
            }
        }
    }

    /// A non-negative integer that fits `u64`.
    pub fn uint(&mut self, key: &str) -> Option<u64> {
        let v = self.get(key)?;
        match int_value(v.get_ref()) {
            Some(n) if n >= 0 => Some(n as u64),
            Some(n) => {
                let key_path = self.key_path(key);
                self.error_at(
                    key,
                    format!("`{key_path}` must not be negative (found {n})"),
                    format!("use 0 or a positive integer for `{key}`"),
                );
                None
            }
            _ => {
                self.type_error(key, "a non-negative integer", v);
                None
            }
        }
    }

    /// A float; integers are accepted too.
    pub fn float(&mut self, key: &str) -> Option<f64> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Float(f) => f.as_str().parse().ok(),
            DeValue::Integer(_) => int_value(v.get_ref()).map(|n| n as f64),
            _ => {
                self.type_error(key, "a number", v);
                None
            }
        }
    }

    pub fn str_list(&mut self, key: &str) -> Option<Vec<String>> {
        let v = self.get(key)?;
        self.str_list_value(key, v)
    }

    pub fn str_list_value(&mut self, key: &str, v: &Spanned<DeValue<'a>>) -> Option<Vec<String>> {
        let DeValue::Array(items) = v.get_ref() else {
            self.type_error(key, "an array of strings", v);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push(s.to_string()),
                _ => {
                    self.type_error(key, "an array of strings", item);
                    return None;
                }
            }
        }
        Some(out)
    }

    pub fn table(&mut self, key: &str) -> Option<&'r DeTable<'a>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.type_error(key, "a table", v);
                None
            }
        }
    }

    /// Report every key not in `known`: a warning, or an error when `as_error`.
    pub fn unknown_keys(&mut self, known: &[&str], as_error: bool) {
        for (k, v) in self.table.iter() {
            let key = k.get_ref().as_ref();
            if known.contains(&key) {
                continue;
            }
            let msg = format!("unknown key `{}`", self.key_path(key));
            let hint = match closest(key, known.iter().copied()) {
                Some(c) => format!("did you mean `{c}`? Known keys: {}", known.join(", ")),
                None => format!("known keys: {}", known.join(", ")),
            };
            let base = if as_error {
                Diagnostic::error(msg)
            } else {
                Diagnostic::warning(msg)
            };
            let mut d = base
                .file(&self.doc.file)
                .line(Some(self.doc.line(k.span().start..v.span().end)))
                .hint(hint);
            if let Some(u) = &self.unit {
                d = d.unit(u.clone());
            }
            self.diags.push(d);
        }
    }
}

/// The candidate most similar to `word` (ratio ≥ 0.6, like difflib's default cutoff).
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let r = similarity(word, c);
        if r >= 0.6 && best.is_none_or(|(b, bc)| r > b || (r == b && c < bc)) {
            best = Some((r, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Similarity in [0, 1]: 2·LCS / (|a| + |b|) over chars. Close to difflib's ratio for the
/// short identifiers this is used on, and symmetric.
pub fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.len() > 200 || b.len() > 200 {
        return 0.0;
    }
    let mut prev = vec![0usize; b.len() + 1];
    for ca in &a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = if ca == cb {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        prev = cur;
    }
    2.0 * prev[b.len()] as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_are_one_based_and_follow_newlines() {
        let starts = line_starts("a\nbb\nccc");
        assert_eq!(line_of(&starts, 0), 1);
        assert_eq!(line_of(&starts, 2), 2);
        assert_eq!(line_of(&starts, 5), 3);
    }

    #[test]
    fn closest_finds_typos_and_rejects_strangers() {
        assert_eq!(
            closest("depend_on", ["depends_on", "summary"]),
            Some("depends_on")
        );
        assert_eq!(closest("zzz", ["depends_on", "summary"]), None);
    }
}
