//! SOPs (`.dgov/sops/*.md`): parsing, validation, the set hash, deterministic selection
//! per task and rendering into prompts.
//!
//! Selection intersects each SOP's `applies_to` tags with keywords taken from the task's
//! summary, write claims and role. Selected SOPs are ordered `must` before `should`, then by
//! file name, so the same inputs always bundle the same text.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::diag::Diagnostic;
use crate::model::{FileClaims, Role};

/// Directory of SOPs relative to the repository root.
pub const SOP_DIR: &str = ".dgov/sops";

/// The five body sections, in rendering order.
pub const SECTIONS: [&str; 5] = ["When", "Do", "Do Not", "Verify", "Escalate"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Must,
    Should,
}

/// One parsed SOP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sop {
    pub file_name: String,
    pub name: String,
    pub title: String,
    pub summary: String,
    pub applies_to: Vec<String>,
    pub priority: Priority,
    /// Bullets per section, in [`SECTIONS`] order.
    pub sections: Vec<Vec<String>>,
}

/// All SOPs of a project, sorted by file name, with their set hash.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SopSet {
    pub sops: Vec<Sop>,
    /// SHA-256 over the front matter of every SOP; "" for an empty set.
    pub hash: String,
}

/// Load every `*.md` in `<repo_root>/.dgov/sops`. A missing directory is an empty set.
/// Any invalid SOP fails the whole load, with every problem listed.
pub fn load_sops(repo_root: &Path) -> Result<SopSet, Vec<Diagnostic>> {
    let dir = repo_root.join(SOP_DIR);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SopSet::default()),
        Err(e) => {
            return Err(vec![
                Diagnostic::error(format!("cannot read SOP directory: {e}")).file(SOP_DIR),
            ]);
        }
    };
    let mut files = Vec::new();
    let mut diags = Vec::new();
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.ends_with(".md") || name.starts_with('.') {
            continue;
        }
        match std::fs::read_to_string(entry.path()) {
            Ok(text) => files.push((name, text)),
            Err(e) => diags.push(
                Diagnostic::error(format!("cannot read SOP: {e}"))
                    .file(format!("{SOP_DIR}/{name}")),
            ),
        }
    }
    files.sort();
    let mut sops = Vec::new();
    for (name, text) in &files {
        match parse_sop(name, text) {
            Ok(s) => sops.push(s),
            Err(mut d) => diags.append(&mut d),
        }
    }
    let mut names = BTreeSet::new();
    for s in &sops {
        if !names.insert(s.name.clone()) {
            diags.push(
                Diagnostic::error(format!(
                    "SOP name '{}' is used by more than one file",
                    s.name
                ))
                .file(format!("{SOP_DIR}/{}", s.file_name))
                .hint("give every SOP a unique `name`"),
            );
        }
    }
    if diags.is_empty() {
        Ok(SopSet::new(sops))
    } else {
        Err(diags)
    }
}

impl SopSet {
    pub fn new(mut sops: Vec<Sop>) -> SopSet {
        sops.sort_by(|a, b| a.file_name.cmp(&b.file_name));
        let hash = set_hash(&sops);
        SopSet { sops, hash }
    }

    pub fn by_name(&self, name: &str) -> Option<&Sop> {
        self.sops.iter().find(|s| s.name == name)
    }

    /// SOPs for a task: its pins when it has any, else the tag matches, ordered must
    /// before should, then by file name.
    pub fn select(
        &self,
        summary: &str,
        files: &FileClaims,
        role: Role,
        pins: &[String],
    ) -> Vec<&Sop> {
        if !pins.is_empty() {
            let mut seen = BTreeSet::new();
            return pins
                .iter()
                .filter(|p| seen.insert(p.as_str()))
                .filter_map(|p| self.by_name(p))
                .collect();
        }
        let keys = keywords(summary, files, role);
        let mut out: Vec<&Sop> = self
            .sops
            .iter()
            .filter(|s| s.applies_to.iter().any(|t| keys.contains(&normalize(t))))
            .collect();
        out.sort_by(|a, b| (a.priority, &a.file_name).cmp(&(b.priority, &b.file_name)));
        out
    }
}

/// Prepend rendered SOP blocks to a prompt, separated by blank lines.
pub fn bundle(prompt: &str, sops: &[&Sop]) -> String {
    if sops.is_empty() {
        return prompt.to_string();
    }
    let mut parts: Vec<String> = sops.iter().map(|s| render(s)).collect();
    if !prompt.is_empty() {
        parts.push(prompt.to_string());
    }
    parts.join("\n\n")
}

/// The rendered block of one SOP.
pub fn render(s: &Sop) -> String {
    let mut out = format!(
        "[SOP: {}]\nSummary: {}\nApplies To: {}\nPriority: {}\n",
        s.title,
        s.summary,
        s.applies_to.join(", "),
        match s.priority {
            Priority::Must => "MUST",
            Priority::Should => "SHOULD",
        }
    );
    for (name, items) in SECTIONS.iter().zip(&s.sections) {
        out.push('\n');
        out.push_str(name);
        out.push_str(":\n");
        for it in items {
            out.push_str("- ");
            out.push_str(it);
            out.push('\n');
        }
    }
    out.trim().to_string()
}

fn set_hash(sops: &[Sop]) -> String {
    if sops.is_empty() {
        return String::new();
    }
    let mut rows: Vec<String> = sops
        .iter()
        .map(|s| {
            let p = match s.priority {
                Priority::Must => "must",
                Priority::Should => "should",
            };
            [
                s.file_name.as_str(),
                &s.name,
                &s.title,
                &s.summary,
                &s.applies_to.join(","),
                p,
            ]
            .join("\t")
        })
        .collect();
    rows.sort();
    hex::encode(Sha256::digest(rows.join("\n").as_bytes()))
}

/// Singularize like the original: strip a trailing `s` from words longer than 3 letters
/// that do not end in `ss`.
fn normalize(w: &str) -> String {
    let w = w.trim().to_lowercase();
    if w.chars().count() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w
    }
}

fn is_test_path(p: &str) -> bool {
    let parts: Vec<&str> = p.split('/').collect();
    let name = parts.last().copied().unwrap_or("");
    parts[..parts.len().saturating_sub(1)]
        .iter()
        .any(|d| *d == "test" || *d == "tests")
        || name.starts_with("test_")
        || name.ends_with("_test.py")
        || name.ends_with("_test.go")
        || name.ends_with("_test.rs")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.ends_with("test.swift")
        || name.ends_with("tests.swift")
}

/// Keywords of a task: summary words, test markers, languages by extension, review role.
pub fn keywords(summary: &str, files: &FileClaims, role: Role) -> BTreeSet<String> {
    let mut k: BTreeSet<String> = summary
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| ".,;:()\"'`".contains(c)))
        .filter(|w| !w.is_empty())
        .map(normalize)
        .collect();
    let writes: Vec<&String> = files
        .create
        .iter()
        .chain(&files.edit)
        .chain(&files.touch)
        .collect();
    if writes.iter().any(|p| is_test_path(p)) {
        k.insert("test".into());
    }
    for p in &writes {
        let ext = p.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let langs: &[&str] = match ext {
            "py" => &["python"],
            "swift" => &["swift"],
            "rs" => &["rust"],
            "go" => &["go"],
            "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" => &["javascript", "typescript"],
            _ => &[],
        };
        k.extend(langs.iter().map(|s| s.to_string()));
    }
    if role.is_read_only() {
        k.insert("review".into());
        k.insert("reviewer".into());
    }
    k
}

/// Parse one SOP file. Every problem is reported, naming the file and line.
pub fn parse_sop(file_name: &str, text: &str) -> Result<Sop, Vec<Diagnostic>> {
    let file = format!("{SOP_DIR}/{file_name}");
    let mut diags = Vec::new();
    let err = |line: usize, msg: String, hint: &str| {
        Diagnostic::error(msg)
            .file(file.clone())
            .line(u32::try_from(line).ok())
            .hint(hint.to_string())
    };
    let lines: Vec<&str> = text.lines().collect();
    if lines.first().map(|l| l.trim()) != Some("---") {
        return Err(vec![err(
            1,
            "SOP must start with front matter between `---` lines".into(),
            "begin the file with `---`, then name/title/summary/applies_to/priority, then `---`",
        )]);
    }
    let Some(end) = lines
        .iter()
        .skip(1)
        .position(|l| l.trim() == "---")
        .map(|p| p + 1)
    else {
        return Err(vec![err(
            1,
            "front matter is not closed".into(),
            "add a `---` line after the front matter",
        )]);
    };
    let mut fm = std::collections::BTreeMap::new();
    for (i, l) in lines[1..end].iter().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = l.split_once(':') else {
            diags.push(err(
                i + 2,
                format!("front matter line has no ':' : {l:?}"),
                "write `key: value`",
            ));
            continue;
        };
        fm.insert(k.trim().to_string(), (unquote(v.trim()).to_string(), i + 2));
    }
    let mut field = |k: &str| -> String {
        match fm.get(k) {
            Some((v, _)) if !v.is_empty() => v.clone(),
            _ => {
                diags.push(err(
                    1,
                    format!("front matter field `{k}` is missing or empty"),
                    "fill in name, title, summary, applies_to and priority",
                ));
                String::new()
            }
        }
    };
    let name = field("name");
    let title = field("title");
    let summary = field("summary");
    let applies_raw = field("applies_to");
    let prio_raw = field("priority");
    let mut applies_to = Vec::new();
    if !applies_raw.is_empty() {
        let line = fm.get("applies_to").map_or(1, |(_, l)| *l);
        match applies_raw
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
        {
            Some(inner) => {
                applies_to = inner
                    .split(',')
                    .map(|s| unquote(s.trim()).to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                if applies_to.is_empty() {
                    diags.push(err(
                        line,
                        "`applies_to` is empty".into(),
                        "list at least one tag, e.g. `applies_to: [tests, python]`",
                    ));
                }
            }
            None => diags.push(err(
                line,
                "`applies_to` must be a bracketed list".into(),
                "write `applies_to: [tag, other-tag]`",
            )),
        }
    }
    let priority = match prio_raw.to_lowercase().as_str() {
        "must" => Priority::Must,
        "should" => Priority::Should,
        "" => Priority::Must,
        other => {
            let line = fm.get("priority").map_or(1, |(_, l)| *l);
            diags.push(err(
                line,
                format!("`priority` must be `must` or `should`, found '{other}'"),
                "use must or should",
            ));
            Priority::Must
        }
    };
    let mut sections: Vec<Option<Vec<String>>> = vec![None; SECTIONS.len()];
    let mut current: Option<usize> = None;
    // After an unknown heading its content is not reported again line by line.
    let mut in_unknown = false;
    for (i, raw) in lines.iter().enumerate().skip(end + 1) {
        let lineno = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        if let Some(h) = raw.strip_prefix("## ") {
            let h = h.trim();
            in_unknown = false;
            match SECTIONS.iter().position(|s| s.eq_ignore_ascii_case(h)) {
                Some(idx) if sections[idx].is_some() => {
                    diags.push(err(
                        lineno,
                        format!("section `## {h}` appears twice"),
                        "merge the two sections",
                    ));
                    current = Some(idx);
                }
                Some(idx) => {
                    sections[idx] = Some(Vec::new());
                    current = Some(idx);
                }
                None => {
                    diags.push(err(
                        lineno,
                        format!("unknown heading `## {h}`"),
                        "use only ## When, ## Do, ## Do Not, ## Verify and ## Escalate",
                    ));
                    current = None;
                    in_unknown = true;
                }
            }
            continue;
        }
        let Some(idx) = current else {
            if !in_unknown {
                diags.push(err(
                    lineno,
                    "text outside a section".into(),
                    "put content under one of the ## headings, as bullets",
                ));
            }
            continue;
        };
        let items = sections[idx].get_or_insert_with(Vec::new);
        let t = raw.trim_start();
        if let Some(b) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            if raw.starts_with(' ') || raw.starts_with('\t') {
                // An indented bullet continues the previous one (nested detail).
                if let Some(last) = items.last_mut() {
                    last.push(' ');
                    last.push_str(b.trim());
                    continue;
                }
            }
            items.push(b.trim().to_string());
        } else if (raw.starts_with(' ') || raw.starts_with('\t')) && !items.is_empty() {
            let last = items.last_mut().expect("checked non-empty");
            last.push(' ');
            last.push_str(t.trim());
        } else {
            diags.push(err(
                lineno,
                format!(
                    "`## {}` content must be bullets (`- ` or `* `)",
                    SECTIONS[idx]
                ),
                "start the line with `- `, or indent it to continue the previous bullet",
            ));
        }
    }
    let mut out_sections = Vec::new();
    for (idx, s) in sections.into_iter().enumerate() {
        match s {
            Some(items) if !items.is_empty() => out_sections.push(items),
            Some(_) => {
                diags.push(err(
                    1,
                    format!("section `## {}` is empty", SECTIONS[idx]),
                    "add at least one bullet",
                ));
                out_sections.push(Vec::new());
            }
            None => {
                diags.push(err(
                    1,
                    format!("section `## {}` is missing", SECTIONS[idx]),
                    "every SOP needs When, Do, Do Not, Verify and Escalate",
                ));
                out_sections.push(Vec::new());
            }
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Sop {
        file_name: file_name.to_string(),
        name,
        title,
        summary,
        applies_to,
        priority,
        sections: out_sections,
    })
}

fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &s[1..s.len() - 1]
    } else {
        s
    }
}
