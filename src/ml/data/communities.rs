//! "Communities": one graph from a stochastic block model — four groups, dense inside and
//! sparse between — whose node features carry only a weak hint of the group. Classifying the
//! nodes needs the neighbours, as in labeling proteins by their interaction partners.

use super::{Graph, Nodes};
use crate::ml::rng::{Stream, normal, rng};
use rand::RngExt;

/// Groups.
pub const GROUPS: usize = 4;
/// Nodes per group.
pub const GROUP_SIZE: usize = 40;
/// Features per node.
pub const FEATURES: usize = 8;
/// Class names, in label order.
pub const CLASSES: [&str; GROUPS] = ["group A", "group B", "group C", "group D"];

/// The graph and every node's group, deterministic for `seed`.
pub fn generate(seed: u64) -> Nodes {
    let mut rng = rng(seed, Stream::Data);
    let n = GROUPS * GROUP_SIZE;
    let labels: Vec<u32> = (0..n).map(|i| (i / GROUP_SIZE) as u32).collect();
    let mut edges = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let p = if labels[a] == labels[b] { 0.12 } else { 0.008 };
            if rng.random_bool(p) {
                edges.push([a as u32, b as u32]);
            }
        }
    }
    let mut features = vec![0.0; n * FEATURES];
    for (i, &label) in labels.iter().enumerate() {
        for f in 0..FEATURES {
            let hint = if f / 2 == label as usize { 0.8 } else { 0.0 };
            features[i * FEATURES + f] = hint + normal(&mut rng);
        }
    }
    Nodes::all(
        FEATURES,
        Graph {
            features,
            edges,
            bonds: Vec::new(),
        },
        labels,
    )
}
