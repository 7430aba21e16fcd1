//! Graph augmentations: on a block-diagonal batch of graphs (graph classification) and on the
//! one graph of node classification.

use super::{Augmentation, chance};
use rand::RngExt;

/// Applies `augmentation` to each graph of a block-diagonal batch with probability `p`.
#[allow(clippy::too_many_arguments)]
pub(super) fn apply_graphs<R: rand::Rng + ?Sized>(
    augmentation: Augmentation,
    p: f32,
    m: f32,
    features: &mut Vec<f32>,
    feature_dim: usize,
    (edges, bonds): (&mut Vec<[u32; 2]>, &mut Vec<u8>),
    node_graph: &mut Vec<u32>,
    graphs: usize,
    rng: &mut R,
) {
    let chosen: Vec<bool> = (0..graphs).map(|_| chance(rng, p)).collect();
    let graph_of = |node: u32, node_graph: &[u32]| node_graph[node as usize] as usize;
    let rate = 0.5 * m;
    match augmentation {
        Augmentation::DropEdges => {
            retain_edges(edges, bonds, |e| {
                !(chosen[graph_of(e[0], node_graph)] && chance(rng, rate))
            });
        }
        Augmentation::MaskFeatures => {
            for (node, &g) in node_graph.iter().enumerate() {
                if chosen[g as usize] && chance(rng, rate) {
                    features[node * feature_dim..(node + 1) * feature_dim].fill(0.0);
                }
            }
        }
        Augmentation::DropNodes => {
            let mut keep: Vec<bool> = node_graph
                .iter()
                .map(|&g| !(chosen[g as usize] && chance(rng, rate)))
                .collect();
            for range in node_ranges(node_graph, graphs) {
                if !range.is_empty() && !keep[range.clone()].contains(&true) {
                    keep[rng.random_range(range)] = true;
                }
            }
            retain_nodes(&keep, features, feature_dim, (edges, bonds), node_graph);
        }
        Augmentation::Subgraph => {
            let mut neighbours = vec![Vec::new(); node_graph.len()];
            for &[a, b] in edges.iter() {
                neighbours[a as usize].push(b as usize);
                neighbours[b as usize].push(a as usize);
            }
            let mut keep = vec![true; node_graph.len()];
            for (g, range) in node_ranges(node_graph, graphs).into_iter().enumerate() {
                if !chosen[g] || range.is_empty() {
                    continue;
                }
                let target = ((range.len() as f32 * (1.0 - rate)).ceil() as usize).max(1);
                keep[range.clone()].fill(false);
                // Grow from a random node, adding a random node of the frontier each time.
                let start = rng.random_range(range);
                keep[start] = true;
                let mut frontier: Vec<usize> = neighbours[start].clone();
                let mut kept = 1;
                while kept < target && !frontier.is_empty() {
                    let next = frontier.swap_remove(rng.random_range(0..frontier.len()));
                    if keep[next] {
                        continue;
                    }
                    keep[next] = true;
                    kept += 1;
                    frontier.extend(neighbours[next].iter().filter(|&&k| !keep[k]));
                }
            }
            retain_nodes(&keep, features, feature_dim, (edges, bonds), node_graph);
        }
        _ => {}
    }
}

/// Applies `augmentation` to the one graph of a node-classification batch with probability
/// `p` (its nodes, the samples, stay).
pub(super) fn apply_nodes<R: rand::Rng + ?Sized>(
    augmentation: Augmentation,
    p: f32,
    m: f32,
    features: &mut [f32],
    feature_dim: usize,
    edges: &mut Vec<[u32; 2]>,
    rng: &mut R,
) {
    if !chance(rng, p) {
        return;
    }
    let rate = 0.5 * m;
    match augmentation {
        Augmentation::DropEdges => edges.retain(|_| !chance(rng, rate)),
        Augmentation::MaskFeatures if feature_dim > 0 => {
            for node in features.chunks_exact_mut(feature_dim) {
                if chance(rng, rate) {
                    node.fill(0.0);
                }
            }
        }
        _ => {}
    }
}

/// The nodes of each graph of a block-diagonal batch (contiguous, in batch order).
fn node_ranges(node_graph: &[u32], graphs: usize) -> Vec<std::ops::Range<usize>> {
    let mut start = 0;
    (0..graphs)
        .map(|g| {
            let mut end = start;
            while end < node_graph.len() && node_graph[end] as usize == g {
                end += 1;
            }
            let range = start..end;
            start = end;
            range
        })
        .collect()
}

/// Keeps the edges (and their bonds) for which `keep` holds; it may renumber their ends.
fn retain_edges(
    edges: &mut Vec<[u32; 2]>,
    bonds: &mut Vec<u8>,
    mut keep: impl FnMut(&mut [u32; 2]) -> bool,
) {
    let mut kept = 0;
    for e in 0..edges.len() {
        let mut edge = edges[e];
        if keep(&mut edge) {
            edges[kept] = edge;
            bonds[kept] = bonds[e];
            kept += 1;
        }
    }
    edges.truncate(kept);
    bonds.truncate(kept);
}

/// Keeps the nodes marked in `keep`, renumbering them in order; edges lose any dropped end.
fn retain_nodes(
    keep: &[bool],
    features: &mut Vec<f32>,
    feature_dim: usize,
    (edges, bonds): (&mut Vec<[u32; 2]>, &mut Vec<u8>),
    node_graph: &mut Vec<u32>,
) {
    let mut renumber = vec![u32::MAX; keep.len()];
    let mut next = 0u32;
    for (node, &kept) in keep.iter().enumerate() {
        if kept {
            renumber[node] = next;
            let (from, to) = (node * feature_dim, next as usize * feature_dim);
            features.copy_within(from..from + feature_dim, to);
            node_graph[next as usize] = node_graph[node];
            next += 1;
        }
    }
    features.truncate(next as usize * feature_dim);
    node_graph.truncate(next as usize);
    retain_edges(edges, bonds, |[a, b]| {
        let (na, nb) = (renumber[*a as usize], renumber[*b as usize]);
        *a = na;
        *b = nb;
        na != u32::MAX && nb != u32::MAX
    });
}
