//! Archiving a fully deployed plan: `.dgov/plans/<name>` moves to
//! `.dgov/plans/archive/<name>` (or `<name>-2`, `-3`, … if taken — the original nested the
//! plan inside an existing archive directory).

use std::path::PathBuf;

use dgov_store::Effect;
use serde_json::json;

use crate::RunError;
use crate::deploy::read_deployed;
use crate::runner::Runner;

pub(crate) fn archive_if_deployed(r: &mut Runner) -> Result<Option<PathBuf>, RunError> {
    let Some(dir) = r.plan.dir.clone() else {
        return Ok(None);
    };
    let plans = r.cfg.root.join(".dgov").join("plans");
    let (Ok(dir_c), Ok(plans_c)) = (dir.canonicalize(), plans.canonicalize()) else {
        return Ok(None);
    };
    if dir_c.parent() != Some(plans_c.as_path()) {
        return Ok(None); // only durable plans under .dgov/plans are archived
    }
    let records = read_deployed(&r.cfg.root, &r.plan.name)
        .map_err(|e| RunError::io("reading the deploy log", e))?;
    if !r
        .plan
        .tasks
        .iter()
        .all(|t| records.iter().any(|x| x.unit == t.id))
    {
        return Ok(None);
    }
    let name = dir_c
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let archive = plans_c.join("archive");
    let mut dest = archive.join(&name);
    let mut n = 2;
    while dest.exists() {
        dest = archive.join(format!("{name}-{n}"));
        n += 1;
    }
    let intent = r.store.begin_intent(
        &r.plan.name,
        None,
        None,
        Effect::Archive,
        &json!({"from": dir_c, "to": dest}),
    )?;
    std::fs::create_dir_all(&archive)
        .map_err(|e| RunError::io(format!("creating {}", archive.display()), e))?;
    std::fs::rename(&dir_c, &dest).map_err(|e| {
        RunError::io(
            format!("moving {} to {}", dir_c.display(), dest.display()),
            e,
        )
    })?;
    r.store.finish_intent(intent, "ok", &json!({}))?;
    Ok(Some(dest))
}
