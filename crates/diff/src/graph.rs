//! Ordering the steps: a DAG of single entities (petgraph), walked in topological order with ties
//! broken by a fixed sort key, so the same inputs always give the same plan. A cycle is reported with
//! the steps in it.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Steps to order: `keys[i]` is step i's tie-break key, `edges` are (before, after) pairs.
pub(crate) fn order<K: Ord + Clone>(keys: &[K], edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(keys.len(), edges.len());
    let nodes: Vec<NodeIndex> = (0..keys.len()).map(|i| graph.add_node(i)).collect();
    for &(a, b) in edges {
        if a != b && graph.find_edge(nodes[a], nodes[b]).is_none() {
            graph.add_edge(nodes[a], nodes[b], ());
        }
    }
    let mut indegree: Vec<usize> =
        nodes.iter().map(|&n| graph.neighbors_directed(n, petgraph::Incoming).count()).collect();
    let mut ready: BinaryHeap<Reverse<(K, usize)>> =
        (0..keys.len()).filter(|&i| indegree[i] == 0).map(|i| Reverse((keys[i].clone(), i))).collect();
    let mut out = Vec::with_capacity(keys.len());
    while let Some(Reverse((_, i))) = ready.pop() {
        out.push(i);
        for next in graph.neighbors_directed(nodes[i], petgraph::Outgoing) {
            let j = graph[next];
            indegree[j] -= 1;
            if indegree[j] == 0 {
                ready.push(Reverse((keys[j].clone(), j)));
            }
        }
    }
    if out.len() == keys.len() {
        return Ok(out);
    }
    // Some steps wait on each other: name the smallest cycle-bearing component, in key order.
    let mut cycle: Vec<usize> = tarjan_scc(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .min_by_key(|c| c.len())
        .map(|c| c.into_iter().map(|n| graph[n]).collect())
        .unwrap_or_default();
    cycle.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
    Err(cycle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_first_then_keys() {
        // 0 and 2 are free; 1 waits for 2.
        assert_eq!(order(&["a", "b", "c"], &[(2, 1)]), Ok(vec![0, 2, 1]));
        assert_eq!(order(&["c", "b", "a"], &[]), Ok(vec![2, 1, 0]));
    }

    #[test]
    fn a_cycle_is_named() {
        assert_eq!(order(&["a", "b", "c"], &[(0, 1), (1, 0), (1, 2)]), Err(vec![0, 1]));
    }
}
