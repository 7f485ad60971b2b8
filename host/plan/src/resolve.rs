//! Reference resolution: `depends_on` entries become full unit ids. A bare slug means the
//! unit of that slug in the same file; a ref with `/` must be an exact unit id.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::Diagnostic;
use crate::tomlx::closest;
use crate::tree::SourceUnit;

/// Resolve every unit's refs. Returns id → sorted, deduplicated full dependency ids.
pub fn resolve_refs(
    units: &[SourceUnit],
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Vec<String>> {
    let ids: BTreeSet<&str> = units.iter().map(|u| u.id.as_str()).collect();
    let mut by_slug: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for u in units {
        by_slug
            .entry(u.slug.as_str())
            .or_default()
            .push(u.id.as_str());
    }
    let mut out = BTreeMap::new();
    for u in units {
        let scope = format!("{}/{}", u.section, u.stem);
        let mut deps = BTreeSet::new();
        for (r, line) in &u.depends_on {
            let err = |msg: String, hint: String| {
                Diagnostic::error(msg)
                    .file(&u.file)
                    .line(Some(*line))
                    .unit(u.id.clone())
                    .hint(hint)
            };
            let target = if r.contains('/') {
                if ids.contains(r.as_str()) {
                    r.clone()
                } else {
                    let hint = match closest(r, ids.iter().copied()) {
                        Some(c) => format!("did you mean '{c}'?"),
                        None => {
                            "use a bare slug from the same file or a full id `section/file.slug`"
                                .into()
                        }
                    };
                    diags.push(err(format!("unknown ref '{r}' in depends_on"), hint));
                    continue;
                }
            } else {
                let full = format!("{scope}.{r}");
                if ids.contains(full.as_str()) {
                    full
                } else {
                    let same_file = units
                        .iter()
                        .filter(|o| o.section == u.section && o.stem == u.stem)
                        .map(|o| o.slug.as_str());
                    let hint = if let Some(c) = closest(r, same_file) {
                        format!("did you mean '{c}'?")
                    } else if let Some([only]) = by_slug.get(r.as_str()).map(Vec::as_slice) {
                        format!("bare refs only look in the same file; did you mean '{only}'?")
                    } else {
                        "bare refs only look in the same file; use the full id `section/file.slug` for other files".into()
                    };
                    diags.push(err(
                        format!("unknown bare ref '{r}' in depends_on (same-file scope: {scope})"),
                        hint,
                    ));
                    continue;
                }
            };
            if target == u.id {
                diags.push(err(
                    format!("'{}' depends on itself (via '{r}')", u.id),
                    "remove the self-reference".into(),
                ));
                continue;
            }
            deps.insert(target);
        }
        out.insert(u.id.clone(), deps.into_iter().collect());
    }
    out
}
