//! The quality signal: the geometric mean of five root-cause scores, each in [0.01, 1].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The five root-cause scores (floored at 0.01) and the raw modularity Q they came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCauses {
    /// `(Q + 0.5) / 1.5`.
    pub modularity: f64,
    /// `1 / (1 + cycles)`.
    pub acyclicity: f64,
    /// `1 / (1 + max_depth / 8)`.
    pub depth: f64,
    /// `1 − Gini(per-function cyclomatic complexity)` (file line counts without functions).
    pub equality: f64,
    /// `1 − min(1, (dead + duplicate functions) / functions)`.
    pub redundancy: f64,
    /// Newman's directed modularity of the file graph grouped by module (1 with no edges).
    pub modularity_q: f64,
}

const FLOOR: f64 = 0.01;

impl RootCauses {
    pub fn new(q: f64, cycles: usize, max_depth: usize, equality: f64, redundancy: f64) -> Self {
        let floor = |x: f64| {
            if x.is_finite() {
                x.clamp(FLOOR, 1.0)
            } else {
                FLOOR
            }
        };
        RootCauses {
            modularity: floor((q + 0.5) / 1.5),
            acyclicity: floor(1.0 / (1.0 + cycles as f64)),
            depth: floor(1.0 / (1.0 + max_depth as f64 / 8.0)),
            equality: floor(equality),
            redundancy: floor(redundancy),
            modularity_q: q,
        }
    }

    /// Geometric mean of the five scores.
    pub fn signal(&self) -> f64 {
        let product =
            self.modularity * self.acyclicity * self.depth * self.equality * self.redundancy;
        product.powf(1.0 / 5.0)
    }
}

/// The signal as sentrux prints it: `round(signal × 10000)`.
pub fn display(signal: f64) -> u32 {
    (signal * 10_000.0).round().clamp(0.0, 10_000.0) as u32
}

/// Gini coefficient of non-negative values (0 = all equal; 0 for empty or all-zero input).
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let sum: f64 = values.iter().sum();
    if n == 0 || sum <= 0.0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| (i + 1) as f64 * x)
        .sum();
    let n = n as f64;
    (2.0 * weighted) / (n * sum) - (n + 1.0) / n
}

/// Newman's directed modularity: Q = Σ_c [ e_c/m − (out_c · in_c)/m² ] where e_c counts
/// edges inside community c and out_c / in_c sum the out- and in-degrees of its nodes.
pub fn modularity_q(edges: &[(String, String)], community: impl Fn(&str) -> String) -> f64 {
    if edges.is_empty() {
        return 1.0;
    }
    let m = edges.len() as f64;
    let mut inside: HashMap<String, f64> = HashMap::new();
    let mut out: HashMap<String, f64> = HashMap::new();
    let mut inn: HashMap<String, f64> = HashMap::new();
    for (a, b) in edges {
        let (ca, cb) = (community(a), community(b));
        if ca == cb {
            *inside.entry(ca.clone()).or_default() += 1.0;
        }
        *out.entry(ca).or_default() += 1.0;
        *inn.entry(cb).or_default() += 1.0;
    }
    let mut q: f64 = inside.values().map(|e| e / m).sum();
    for (c, o) in &out {
        q -= o * inn.get(c).copied().unwrap_or(0.0) / (m * m);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_of_equal_values_is_zero_and_of_one_holder_is_high() {
        assert_eq!(gini(&[3.0, 3.0, 3.0]), 0.0);
        // [0, 0, 0, 4]: 2·(4·4)/(4·4) − 5/4 = 0.75
        assert!((gini(&[0.0, 0.0, 0.0, 4.0]) - 0.75).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
    }

    #[test]
    fn modularity_of_two_separate_pairs_is_one_half() {
        let e = |a: &str, b: &str| (a.to_string(), b.to_string());
        let edges = [e("x/a", "x/b"), e("y/a", "y/b")];
        // each community: 1/2 − (1·1)/4 = 1/4; total 1/2
        let q = modularity_q(&edges, |p| p.split('/').next().unwrap_or("").to_string());
        assert!((q - 0.5).abs() < 1e-12);
        assert_eq!(modularity_q(&[], |p| p.to_string()), 1.0);
    }

    #[test]
    fn scores_are_floored_and_combined_geometrically() {
        let rc = RootCauses::new(1.0, 0, 0, 1.0, 1.0);
        assert_eq!(rc.signal(), 1.0);
        assert_eq!(display(rc.signal()), 10_000);
        let rc = RootCauses::new(-0.5, 99, 8, 0.0, 0.5);
        assert_eq!(rc.modularity, 0.01);
        assert_eq!(rc.acyclicity, 0.01);
        assert_eq!(rc.depth, 0.5);
        assert_eq!(rc.equality, 0.01);
    }
}
