//! A small, safe subset of jq, evaluated natively (no `jq` binary): a pipeline of stages
//! separated by `|`, each stage one of
//! - a path: `.`, `.a.b`, `.["key with spaces"]`, `.[0]`, `.[-1]`, `.[]`, `.a[]`, `.a[0].b`;
//! - `keys` (sorted object keys, or array indices) or `length`.
//!
//! As in jq, a missing object key gives `null`, and `.[]` fans out into several results.
//! Anything else (filters, functions, arithmetic, `select`, ...) is an error naming the subset.

use serde_json::Value;

pub const SUPPORTED: &str = "supported: '.', '.a.b', '.[\"key\"]', '.[0]', '.[]', '.a[]', 'keys', 'length', joined with '|'";

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(i64),
    Iterate,
}

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Path(Vec<Step>),
    Keys,
    Length,
}

fn unsupported(what: &str) -> String {
    format!("jq: unsupported expression '{what}' ({SUPPORTED}).")
}

/// Split on `|` outside of double quotes.
fn split_pipes(expr: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut escaped = false;
    for c in expr.chars() {
        if quoted {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
        } else if c == '"' {
            quoted = true;
        } else if c == '|' {
            out.push(String::new());
            continue;
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

fn parse_path(s: &str) -> Result<Vec<Step>, String> {
    let chars: Vec<char> = s.chars().collect();
    if chars.first() != Some(&'.') {
        return Err(unsupported(s));
    }
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                if i > start {
                    steps.push(Step::Key(chars[start..i].iter().collect()));
                } else if i < chars.len() && chars[i] != '[' {
                    return Err(unsupported(s));
                }
            }
            '[' => {
                let close = chars[i..]
                    .iter()
                    .position(|&c| c == ']')
                    .map(|p| p + i)
                    .ok_or_else(|| format!("jq: unclosed '[' in '{s}'."))?;
                let inner: String = chars[i + 1..close].iter().collect();
                let inner = inner.trim();
                if inner.is_empty() {
                    steps.push(Step::Iterate);
                } else if let Ok(n) = inner.parse::<i64>() {
                    steps.push(Step::Index(n));
                } else if inner.starts_with('"') {
                    let key: String = serde_json::from_str(inner)
                        .map_err(|_| format!("jq: bad quoted key {inner} in '{s}'."))?;
                    steps.push(Step::Key(key));
                } else {
                    return Err(unsupported(s));
                }
                i = close + 1;
            }
            _ => return Err(unsupported(s)),
        }
    }
    Ok(steps)
}

fn parse(expr: &str) -> Result<Vec<Stage>, String> {
    if expr.trim().is_empty() {
        return Err(format!("jq: the expression is empty ({SUPPORTED})."));
    }
    split_pipes(expr)
        .iter()
        .map(|st| match st.trim() {
            "keys" => Ok(Stage::Keys),
            "length" => Ok(Stage::Length),
            p => parse_path(p).map(Stage::Path),
        })
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn step(v: Value, s: &Step) -> Result<Vec<Value>, String> {
    match (s, v) {
        (Step::Key(k), Value::Object(mut m)) => Ok(vec![m.remove(k).unwrap_or(Value::Null)]),
        (Step::Key(_) | Step::Index(_), Value::Null) => Ok(vec![Value::Null]),
        (Step::Index(n), Value::Array(a)) => {
            let i = if *n < 0 { a.len() as i64 + n } else { *n };
            Ok(vec![
                usize::try_from(i)
                    .ok()
                    .and_then(|i| a.get(i).cloned())
                    .unwrap_or(Value::Null),
            ])
        }
        (Step::Iterate, Value::Array(a)) => Ok(a),
        (Step::Iterate, Value::Object(m)) => Ok(m.into_iter().map(|(_, v)| v).collect()),
        (Step::Key(k), v) => Err(format!("jq: cannot index {} with \"{k}\".", kind(&v))),
        (Step::Index(n), v) => Err(format!("jq: cannot index {} with {n}.", kind(&v))),
        (Step::Iterate, v) => Err(format!("jq: cannot iterate over {}.", kind(&v))),
    }
}

fn stage(v: Value, st: &Stage) -> Result<Vec<Value>, String> {
    match st {
        Stage::Path(steps) => {
            let mut cur = vec![v];
            for s in steps {
                let mut next = Vec::new();
                for x in cur {
                    next.extend(step(x, s)?);
                }
                cur = next;
            }
            Ok(cur)
        }
        Stage::Keys => match v {
            Value::Object(m) => {
                let mut k: Vec<String> = m.keys().cloned().collect();
                k.sort();
                Ok(vec![Value::from(k)])
            }
            Value::Array(a) => Ok(vec![Value::from((0..a.len()).collect::<Vec<_>>())]),
            v => Err(format!("jq: {} has no keys.", kind(&v))),
        },
        Stage::Length => match v {
            Value::Object(m) => Ok(vec![Value::from(m.len())]),
            Value::Array(a) => Ok(vec![Value::from(a.len())]),
            Value::String(s) => Ok(vec![Value::from(s.chars().count())]),
            Value::Null => Ok(vec![Value::from(0)]),
            Value::Number(n) => Ok(vec![Value::from(n.as_f64().map_or(0.0, f64::abs))]),
            v => Err(format!("jq: {} has no length.", kind(&v))),
        },
    }
}

/// Evaluate `expr` on `input`; results are pretty-printed, one after another (as jq does).
pub fn eval(expr: &str, input: Value) -> Result<String, String> {
    let stages = parse(expr)?;
    let mut cur = vec![input];
    for st in &stages {
        let mut next = Vec::new();
        for v in cur {
            next.extend(stage(v, st)?);
        }
        cur = next;
    }
    let out: Vec<String> = cur
        .iter()
        .map(|v| serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()))
        .collect();
    Ok(out.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"name": "dgov", "tags": ["a", "b"], "deps": [{"n": "x"}, {"n": "y"}], "odd key": 1})
    }

    #[test]
    fn paths_select_like_jq() {
        assert_eq!(eval(".name", doc()).unwrap(), "\"dgov\"");
        assert_eq!(eval(".tags[0]", doc()).unwrap(), "\"a\"");
        assert_eq!(eval(".tags[-1]", doc()).unwrap(), "\"b\"");
        assert_eq!(eval(".deps[].n", doc()).unwrap(), "\"x\"\n\"y\"");
        assert_eq!(eval(".[\"odd key\"]", doc()).unwrap(), "1");
        assert_eq!(eval(".missing", doc()).unwrap(), "null");
        assert_eq!(eval(".missing.deeper", doc()).unwrap(), "null");
        assert_eq!(eval(".tags[9]", doc()).unwrap(), "null");
        assert_eq!(eval(".", json!([1])).unwrap(), "[\n  1\n]");
    }

    #[test]
    fn keys_and_length_in_pipelines() {
        assert_eq!(
            eval("keys", doc()).unwrap(),
            "[\n  \"deps\",\n  \"name\",\n  \"odd key\",\n  \"tags\"\n]"
        );
        assert_eq!(eval(".tags | length", doc()).unwrap(), "2");
        assert_eq!(eval(".deps[] | keys | length", doc()).unwrap(), "1\n1");
        assert_eq!(eval(".name|length", doc()).unwrap(), "4");
    }

    #[test]
    fn type_errors_and_unsupported_expressions_are_errors() {
        assert!(
            eval(".name.x", doc())
                .unwrap_err()
                .contains("cannot index string")
        );
        assert!(
            eval(".name[]", doc())
                .unwrap_err()
                .contains("cannot iterate")
        );
        for bad in [
            "map(.n)",
            ".a + 1",
            "select(.x)",
            "",
            "name",
            ".a[",
            ".deps[] | .n | ascii",
        ] {
            let e = eval(bad, doc()).unwrap_err();
            assert!(e.starts_with("jq: "), "{bad}: {e}");
        }
        assert!(eval("map(.n)", doc()).unwrap_err().contains(SUPPORTED));
    }
}
