//! The task DAG: index, cycles (Tarjan), reachability, transitive ancestry as bitsets, and
//! the `--graph` terminal rendering.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::CompiledTask;

/// Tasks as a graph over indices. Edges point from a task to its dependencies.
pub struct Dag<'t> {
    pub tasks: &'t [CompiledTask],
    pub deps: Vec<Vec<usize>>,
    pub index: BTreeMap<&'t str, usize>,
}

impl<'t> Dag<'t> {
    /// Build from tasks sorted by id. Dependencies naming no task are returned separately.
    pub fn new(tasks: &'t [CompiledTask]) -> (Dag<'t>, Vec<(usize, String)>) {
        let index: BTreeMap<&str, usize> = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let mut missing = Vec::new();
        let deps = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut d: Vec<usize> = t
                    .depends_on
                    .iter()
                    .filter_map(|id| {
                        let j = index.get(id.as_str()).copied();
                        if j.is_none() {
                            missing.push((i, id.clone()));
                        }
                        j
                    })
                    .collect();
                d.sort_unstable();
                d.dedup();
                d
            })
            .collect();
        (Dag { tasks, deps, index }, missing)
    }

    pub fn len(&self) -> usize {
        self.deps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.deps.is_empty()
    }

    /// Non-trivial strongly connected components (plus self-loops), each sorted, the list
    /// sorted. Iterative Tarjan so deep chains cannot overflow the stack.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let n = self.len();
        let mut idx = vec![usize::MAX; n];
        let mut low = vec![0; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut next = 0;
        let mut out = Vec::new();
        for start in 0..n {
            if idx[start] != usize::MAX {
                continue;
            }
            let mut call: Vec<(usize, usize)> = vec![(start, 0)];
            idx[start] = next;
            low[start] = next;
            next += 1;
            stack.push(start);
            on_stack[start] = true;
            while let Some(&mut (v, ref mut ei)) = call.last_mut() {
                if *ei < self.deps[v].len() {
                    let w = self.deps[v][*ei];
                    *ei += 1;
                    if idx[w] == usize::MAX {
                        idx[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        call.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(idx[w]);
                    }
                } else {
                    call.pop();
                    if let Some(&(p, _)) = call.last() {
                        low[p] = low[p].min(low[v]);
                    }
                    if low[v] == idx[v] {
                        let mut comp = Vec::new();
                        while let Some(w) = stack.pop() {
                            on_stack[w] = false;
                            comp.push(w);
                            if w == v {
                                break;
                            }
                        }
                        if comp.len() > 1 || self.deps[v].contains(&v) {
                            comp.sort_unstable();
                            out.push(comp);
                        }
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// One concrete cycle through the smallest member of `comp`, as a closed path
    /// `a → b → … → a` in dependency direction (shortest by BFS within the component).
    pub fn cycle_path(&self, comp: &[usize]) -> Vec<usize> {
        let start = comp[0];
        let in_comp = |x: usize| comp.binary_search(&x).is_ok();
        let mut prev: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(v) = queue.pop_front() {
            for &w in &self.deps[v] {
                if !in_comp(w) {
                    continue;
                }
                if w == start {
                    let mut path = vec![start];
                    let mut cur = v;
                    while cur != start {
                        path.push(cur);
                        cur = prev[&cur];
                    }
                    path[1..].reverse();
                    path.push(start);
                    return path;
                }
                if let std::collections::btree_map::Entry::Vacant(e) = prev.entry(w) {
                    e.insert(v);
                    queue.push_back(w);
                }
            }
        }
        vec![start, start]
    }

    /// Tasks that no chain of dependencies connects to a root (a task without deps).
    pub fn unreachable(&self) -> Vec<usize> {
        let n = self.len();
        let mut dependents = vec![Vec::new(); n];
        for (i, d) in self.deps.iter().enumerate() {
            for &j in d {
                dependents[j].push(i);
            }
        }
        let mut seen = vec![false; n];
        let mut queue: Vec<usize> = (0..n).filter(|&i| self.deps[i].is_empty()).collect();
        for &r in &queue {
            seen[r] = true;
        }
        while let Some(v) = queue.pop() {
            for &w in &dependents[v] {
                if !seen[w] {
                    seen[w] = true;
                    queue.push(w);
                }
            }
        }
        (0..n).filter(|&i| !seen[i]).collect()
    }

    /// Topological order (dependencies first, ties by id). `None` when there is a cycle.
    pub fn topo_order(&self) -> Option<Vec<usize>> {
        let n = self.len();
        let mut indeg: Vec<usize> = self.deps.iter().map(Vec::len).collect();
        let mut dependents = vec![Vec::new(); n];
        for (i, d) in self.deps.iter().enumerate() {
            for &j in d {
                dependents[j].push(i);
            }
        }
        let mut ready: std::collections::BTreeSet<usize> =
            (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(v) = ready.pop_first() {
            order.push(v);
            for &w in &dependents[v] {
                indeg[w] -= 1;
                if indeg[w] == 0 {
                    ready.insert(w);
                }
            }
        }
        (order.len() == n).then_some(order)
    }

    /// Transitive ancestors of every task as bitsets (`words` u64s per task). Requires an
    /// acyclic graph.
    pub fn ancestors(&self, order: &[usize]) -> Ancestry {
        let n = self.len();
        let words = n.div_ceil(64).max(1);
        let mut bits = vec![0u64; n * words];
        for &v in order {
            for &d in &self.deps[v] {
                bits[v * words + d / 64] |= 1 << (d % 64);
                let (a, b) = if d < v {
                    let (lo, hi) = bits.split_at_mut(v * words);
                    (&mut hi[..words], &lo[d * words..d * words + words])
                } else {
                    let (lo, hi) = bits.split_at_mut(d * words);
                    (&mut lo[v * words..v * words + words], &hi[..words])
                };
                for (x, y) in a.iter_mut().zip(b) {
                    *x |= *y;
                }
            }
        }
        Ancestry { words, bits }
    }

    /// Longest-path depth of each task (roots are 0). Requires a topological order.
    pub fn levels(&self, order: &[usize]) -> Vec<usize> {
        let mut level = vec![0; self.len()];
        for &v in order {
            level[v] = self.deps[v]
                .iter()
                .map(|&d| level[d] + 1)
                .max()
                .unwrap_or(0);
        }
        level
    }
}

/// Transitive ancestry bitsets from [`Dag::ancestors`].
pub struct Ancestry {
    words: usize,
    bits: Vec<u64>,
}

impl Ancestry {
    /// True when `a` depends (transitively) on `b`.
    pub fn depends_on(&self, a: usize, b: usize) -> bool {
        self.bits[a * self.words + b / 64] & (1 << (b % 64)) != 0
    }

    /// True when one of the two must finish before the other starts.
    pub fn ordered(&self, a: usize, b: usize) -> bool {
        self.depends_on(a, b) || self.depends_on(b, a)
    }
}

/// Render the DAG for a terminal: tasks grouped by wave (longest dependency depth), each
/// with its direct dependencies. Waves are what may run in parallel.
pub fn render_graph(tasks: &[CompiledTask]) -> String {
    let (dag, _) = Dag::new(tasks);
    let mut out = String::new();
    let Some(order) = dag.topo_order() else {
        out.push_str("(graph has a cycle; fix it to see the waves)\n");
        return out;
    };
    let levels = dag.levels(&order);
    let max = levels.iter().copied().max().unwrap_or(0);
    for lvl in 0..=max {
        let members: Vec<usize> = (0..dag.len()).filter(|&i| levels[i] == lvl).collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "wave {} ({} task{})",
            lvl + 1,
            members.len(),
            if members.len() == 1 { "" } else { "s" }
        );
        for (k, &i) in members.iter().enumerate() {
            let last = k + 1 == members.len();
            let branch = if last { "└─" } else { "├─" };
            let t = &tasks[i];
            let _ = write!(out, "  {branch} {}", t.id);
            if t.role != crate::model::Role::Worker {
                let _ = write!(out, " [{}]", t.role.as_str());
            }
            out.push('\n');
            if !dag.deps[i].is_empty() {
                let pad = if last { "     " } else { "  │  " };
                let names: Vec<&str> = dag.deps[i].iter().map(|&d| tasks[d].id.as_str()).collect();
                let _ = writeln!(out, "{pad}  ◀ {}", names.join(", "));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FileClaims, Role};

    fn task(id: String, deps: Vec<String>) -> CompiledTask {
        CompiledTask {
            id,
            summary: String::new(),
            prompt: String::new(),
            prompt_file: String::new(),
            commit_message: String::new(),
            agent: String::new(),
            provider: String::new(),
            role: Role::Worker,
            depends_on: deps,
            files: FileClaims::default(),
            timeout_s: 0,
            retries: None,
            iteration_budget: None,
            test_cmd: String::new(),
            sop_mapping: Vec::new(),
            sops: Vec::new(),
            self_review: false,
            max_fork_depth: 1,
        }
    }

    #[test]
    fn a_deep_chain_closed_into_a_cycle_does_not_overflow_the_stack() {
        let n = 50_000;
        let id = |i: usize| format!("s/f.t{i:06}");
        let tasks: Vec<CompiledTask> = (0..n).map(|i| task(id(i), vec![id((i + 1) % n)])).collect();
        let (dag, missing) = Dag::new(&tasks);
        assert!(missing.is_empty());
        let cycles = dag.cycles();
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].len(), n);
        assert_eq!(dag.cycle_path(&cycles[0]).len(), n + 1);
        assert!(dag.topo_order().is_none());
    }

    #[test]
    fn ancestry_is_transitive_and_directional() {
        let tasks = vec![
            task("a".into(), vec![]),
            task("b".into(), vec!["a".into()]),
            task("c".into(), vec!["b".into()]),
            task("d".into(), vec![]),
        ];
        let (dag, _) = Dag::new(&tasks);
        let order = dag.topo_order().unwrap();
        let anc = dag.ancestors(&order);
        assert!(anc.depends_on(2, 0), "c depends on a through b");
        assert!(!anc.depends_on(0, 2));
        assert!(anc.ordered(0, 2));
        assert!(!anc.ordered(3, 2), "d is independent");
        assert_eq!(dag.levels(&order), vec![0, 1, 2, 0]);
    }
}
