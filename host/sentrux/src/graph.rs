//! Graph algorithms over file-level dependency edges: strongly connected components
//! (iterative Tarjan) and the longest import path. Nodes are visited in sorted order so
//! results never depend on hash iteration.

use std::collections::BTreeMap;

/// A directed graph over string nodes with sorted adjacency.
pub(crate) struct Graph<'a> {
    pub nodes: Vec<&'a str>,
    pub adj: Vec<Vec<usize>>,
    pub index: BTreeMap<&'a str, usize>,
}

impl<'a> Graph<'a> {
    pub fn new(edges: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let edges: Vec<(&str, &str)> = edges.into_iter().collect();
        let mut index = BTreeMap::new();
        for (a, b) in &edges {
            index.entry(*a).or_insert(0);
            index.entry(*b).or_insert(0);
        }
        let nodes: Vec<&str> = index.keys().copied().collect();
        for (i, n) in nodes.iter().enumerate() {
            index.insert(n, i);
        }
        let mut adj = vec![Vec::new(); nodes.len()];
        for (a, b) in &edges {
            adj[index[a]].push(index[b]);
        }
        for list in &mut adj {
            list.sort_unstable();
            list.dedup();
        }
        Graph { nodes, adj, index }
    }

    /// Strongly connected components with more than one member (import cycles), each
    /// sorted, the list sorted.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let n = self.nodes.len();
        let mut idx = vec![usize::MAX; n];
        let mut low = vec![0usize; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut counter = 0;
        let mut out = Vec::new();
        for start in 0..n {
            if idx[start] != usize::MAX {
                continue;
            }
            let mut dfs: Vec<(usize, usize)> = vec![(start, 0)];
            idx[start] = counter;
            low[start] = counter;
            counter += 1;
            stack.push(start);
            on_stack[start] = true;
            while let Some(&mut (v, ref mut next)) = dfs.last_mut() {
                if *next < self.adj[v].len() {
                    let w = self.adj[v][*next];
                    *next += 1;
                    if idx[w] == usize::MAX {
                        idx[w] = counter;
                        low[w] = counter;
                        counter += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        dfs.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(idx[w]);
                    }
                } else {
                    dfs.pop();
                    if let Some(&(parent, _)) = dfs.last() {
                        low[parent] = low[parent].min(low[v]);
                    }
                    if low[v] == idx[v] {
                        let mut scc = Vec::new();
                        while let Some(w) = stack.pop() {
                            on_stack[w] = false;
                            scc.push(self.nodes[w].to_string());
                            if w == v {
                                break;
                            }
                        }
                        if scc.len() > 1 {
                            scc.sort();
                            out.push(scc);
                        }
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// Longest import path (in edges) starting from `seeds` (or, when none of them is in
    /// the graph, from every node nobody imports). Back edges of cycles are skipped.
    pub fn max_depth(&self, seeds: &[&str]) -> usize {
        let n = self.nodes.len();
        let mut starts: Vec<usize> = seeds
            .iter()
            .filter_map(|s| self.index.get(s).copied())
            .collect();
        if starts.is_empty() {
            let mut has_in = vec![false; n];
            for list in &self.adj {
                for &w in list {
                    has_in[w] = true;
                }
            }
            starts = (0..n).filter(|&v| !has_in[v]).collect();
        }
        starts.sort_unstable();
        let mut memo: Vec<Option<usize>> = vec![None; n];
        let mut on_stack = vec![false; n];
        let mut best = 0;
        for &s in &starts {
            if memo[s].is_none() {
                // (node, next neighbour, deepest child found)
                let mut dfs: Vec<(usize, usize, usize)> = vec![(s, 0, 0)];
                on_stack[s] = true;
                while let Some(&mut (v, ref mut next, ref mut deepest)) = dfs.last_mut() {
                    if *next < self.adj[v].len() {
                        let w = self.adj[v][*next];
                        *next += 1;
                        if let Some(d) = memo[w] {
                            *deepest = (*deepest).max(d + 1);
                        } else if !on_stack[w] {
                            on_stack[w] = true;
                            dfs.push((w, 0, 0));
                        }
                    } else {
                        let result = (*deepest).min(n);
                        memo[v] = Some(result);
                        on_stack[v] = false;
                        dfs.pop();
                        if let Some((_, _, parent_deepest)) = dfs.last_mut() {
                            *parent_deepest = (*parent_deepest).max(result + 1);
                        }
                    }
                }
            }
            best = best.max(memo[s].unwrap_or(0));
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarjan_finds_only_multi_member_components() {
        let g = Graph::new([
            ("a", "b"),
            ("b", "c"),
            ("c", "a"),
            ("c", "d"),
            ("d", "d"),
            ("e", "f"),
            ("f", "e"),
        ]);
        assert_eq!(g.cycles(), vec![vec!["a", "b", "c"], vec!["e", "f"]]);
    }

    #[test]
    fn depth_is_the_longest_path_from_roots_skipping_back_edges() {
        let g = Graph::new([("m", "a"), ("a", "b"), ("b", "c"), ("m", "c"), ("c", "a")]);
        // m→a→b→c (c→a is a back edge)
        assert_eq!(g.max_depth(&[]), 3);
        assert_eq!(g.max_depth(&["b"]), 2);
    }
}
