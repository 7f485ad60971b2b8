//! Deterministic topological order of the DAG (the merge order) and the errors a DAG can have.

use crate::types::TaskId;

/// Why a kernel could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    Duplicate(TaskId),
    UnknownDependency { task: TaskId, dependency: TaskId },
    Cycle(TaskId),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Duplicate(t) => write!(f, "task '{t}' is declared twice"),
            BuildError::UnknownDependency { task, dependency } => {
                write!(f, "task '{task}' depends on unknown task '{dependency}'")
            }
            BuildError::Cycle(t) => write!(f, "dependency cycle through task '{t}'"),
        }
    }
}

impl std::error::Error for BuildError {}

/// DFS post-order over ids visited in sorted order, dependencies in declared order. Every
/// dependency precedes its dependents, and the result depends only on the DAG.
pub fn merge_order(ids: &[TaskId], deps: &[Vec<usize>]) -> Result<Vec<usize>, BuildError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut sorted: Vec<usize> = (0..ids.len()).collect();
    sorted.sort_by(|&a, &b| ids[a].cmp(&ids[b]));
    let mut mark = vec![Mark::New; ids.len()];
    let mut order = Vec::with_capacity(ids.len());
    for &root in &sorted {
        if mark[root] != Mark::New {
            continue;
        }
        // Iterative DFS so deep chains cannot overflow the stack.
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::OnPath;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep) = deps[node].get(*next) {
                *next += 1;
                match mark[dep] {
                    Mark::New => {
                        mark[dep] = Mark::OnPath;
                        stack.push((dep, 0));
                    }
                    Mark::OnPath => return Err(BuildError::Cycle(ids[dep].clone())),
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                order.push(node);
                stack.pop();
            }
        }
    }
    Ok(order)
}
