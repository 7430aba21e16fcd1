//! "Molecule rings": small molecule-like graphs (atoms as nodes, bonds as edges, atom type as
//! a one-hot feature). The question is the one a chemist asks of a scaffold: does it contain
//! a six-membered ring? Negatives are acyclic or carry a five-membered ring.

use super::{Graph, Graphs};
use crate::ml::rng::{Rng, Stream, normal, rng};
use rand::RngExt;

/// Atom types, in feature order.
pub const ATOMS: [&str; 4] = ["C", "N", "O", "S"];
/// Class names, in label order.
pub const CLASSES: [&str; 2] = ["no 6-ring", "6-ring"];

/// `count` molecules with balanced labels, deterministic for `seed`.
pub fn generate(count: usize, seed: u64) -> Graphs {
    let mut rng = rng(seed, Stream::Data);
    let mut graphs = Graphs {
        measured: Vec::new(),
        feature_dim: ATOMS.len(),
        feature_names: ATOMS.iter().map(|s| s.to_string()).collect(),
        graphs: Vec::new(),
        labels: Vec::new(),
    };
    for i in 0..count {
        let label = (i % 2) as u32;
        graphs.graphs.push(molecule(label, &mut rng));
        graphs.labels.push(label);
    }
    graphs
}

fn atom(rng: &mut Rng) -> usize {
    match rng.random_range(0..100) {
        0..70 => 0,
        70..85 => 1,
        85..97 => 2,
        _ => 3,
    }
}

/// Adds a bond to `to` from a random atom with free valence.
fn attach(rng: &mut Rng, degree: &[usize], to: usize) -> usize {
    let open: Vec<usize> = (0..to).filter(|&a| degree[a] < 3).collect();
    open[rng.random_range(0..open.len())]
}

fn molecule(label: u32, rng: &mut Rng) -> Graph {
    let mut types = Vec::new();
    let mut edges: Vec<[u32; 2]> = Vec::new();
    let mut degree = Vec::new();
    let bond = |edges: &mut Vec<[u32; 2]>, degree: &mut Vec<usize>, a: usize, b: usize| {
        edges.push([a as u32, b as u32]);
        degree[a] += 1;
        degree[b] += 1;
    };
    let chain = rng.random_range(5..12);
    for i in 0..chain {
        types.push(atom(rng));
        degree.push(0);
        if i > 0 {
            let parent = attach(rng, &degree, i);
            bond(&mut edges, &mut degree, parent, i);
        }
    }
    let ring = match label {
        1 => 6,
        _ if rng.random_bool(0.2) => 5,
        _ => 0,
    };
    if ring > 0 {
        let first = types.len();
        for k in 0..ring {
            types.push(if rng.random_bool(0.15) { 1 } else { 0 });
            degree.push(0);
            if k > 0 {
                bond(&mut edges, &mut degree, first + k - 1, first + k);
            }
        }
        bond(&mut edges, &mut degree, first + ring - 1, first);
        let anchor = attach(rng, &degree, first);
        bond(
            &mut edges,
            &mut degree,
            anchor,
            first + rng.random_range(0..ring),
        );
    } else {
        for _ in 0..rng.random_range(4..7) {
            let i = types.len();
            types.push(atom(rng));
            degree.push(0);
            let parent = attach(rng, &degree, i);
            bond(&mut edges, &mut degree, parent, i);
        }
    }
    let mut features = vec![0.0; types.len() * ATOMS.len()];
    for (i, &t) in types.iter().enumerate() {
        features[i * ATOMS.len() + t] = 1.0;
    }
    Graph {
        features,
        edges,
        bonds: Vec::new(),
    }
}

/// A made-up lipophilicity for the molecules of [`generate`], summed over atoms as Crippen's
/// logP is: carbon 0.45, nitrogen −0.6, oxygen −0.5, sulfur 0.4, −0.2 for each atom with
/// three bonds (branching), and 0.3 for each ring atom. The element and branching terms need
/// only an atom and its neighbours; the ring term needs a view of the ring, which a few rounds
/// of message passing give only approximately.
pub fn lipophilicity(graph: &Graph) -> f32 {
    const CONTRIBUTION: [f32; 4] = [0.45, -0.6, -0.5, 0.4];
    let nodes = graph.num_nodes(ATOMS.len());
    let mut degree = vec![0usize; nodes];
    for &[a, b] in &graph.edges {
        degree[a as usize] += 1;
        degree[b as usize] += 1;
    }
    let ring = ring_nodes(graph, nodes);
    (0..nodes)
        .map(|atom| {
            let row = &graph.features[atom * ATOMS.len()..(atom + 1) * ATOMS.len()];
            let element = row.iter().position(|&v| v == 1.0).unwrap_or(0);
            CONTRIBUTION[element]
                + if degree[atom] >= 3 { -0.2 } else { 0.0 }
                + if ring[atom] { 0.3 } else { 0.0 }
        })
        .sum()
}

/// The molecule written as SMILES (single bonds, ring closures numbered in the order they
/// open, `.` between disconnected parts), as a chemist's file would hold it.
pub fn to_smiles(graph: &Graph) -> String {
    let nodes = graph.num_nodes(ATOMS.len());
    let mut adjacency = vec![Vec::new(); nodes];
    for &[a, b] in &graph.edges {
        adjacency[a as usize].push(b as usize);
        adjacency[b as usize].push(a as usize);
    }
    for neighbours in &mut adjacency {
        neighbours.sort_unstable();
        neighbours.dedup();
    }
    // First pass: a depth-first spanning forest; each other bond closes a ring, numbered at
    // both of its atoms.
    let mut order = vec![usize::MAX; nodes];
    let mut children = vec![Vec::new(); nodes];
    let mut closures: Vec<Vec<usize>> = vec![Vec::new(); nodes];
    let mut roots = Vec::new();
    let mut next_ring = 1;
    let mut counter = 0;
    for root in 0..nodes {
        if order[root] != usize::MAX {
            continue;
        }
        roots.push(root);
        let mut stack = vec![(root, usize::MAX)];
        while let Some((atom, parent)) = stack.pop() {
            if order[atom] != usize::MAX {
                continue;
            }
            order[atom] = counter;
            counter += 1;
            if parent != usize::MAX {
                children[parent].push(atom);
            }
            for &next in adjacency[atom].iter().rev() {
                if order[next] == usize::MAX {
                    stack.push((next, atom));
                }
            }
        }
    }
    for atom in 0..nodes {
        for &next in &adjacency[atom] {
            let tree = children[atom].contains(&next) || children[next].contains(&atom);
            if !tree && order[atom] < order[next] {
                closures[atom].push(next_ring);
                closures[next].push(next_ring);
                next_ring += 1;
            }
        }
    }
    fn write(
        atom: usize,
        graph: &Graph,
        children: &[Vec<usize>],
        closures: &[Vec<usize>],
        out: &mut String,
    ) {
        let row = &graph.features[atom * ATOMS.len()..(atom + 1) * ATOMS.len()];
        out.push_str(ATOMS[row.iter().position(|&v| v == 1.0).unwrap_or(0)]);
        for &ring in &closures[atom] {
            if ring < 10 {
                out.push_str(&ring.to_string());
            } else {
                out.push_str(&format!("%{ring}"));
            }
        }
        if let Some((last, branches)) = children[atom].split_last() {
            for &branch in branches {
                out.push('(');
                write(branch, graph, children, closures, out);
                out.push(')');
            }
            write(*last, graph, children, closures, out);
        }
    }
    let mut out = String::new();
    for (k, &root) in roots.iter().enumerate() {
        if k > 0 {
            out.push('.');
        }
        write(root, graph, &children, &closures, &mut out);
    }
    out
}

/// `graph` with every oxygen bonded more than twice made a nitrogen (the generator does not
/// mind valence; a SMILES reader does).
pub fn within_valence(graph: &Graph) -> Graph {
    let mut graph = graph.clone();
    let mut degree = vec![0; graph.num_nodes(ATOMS.len())];
    for &[a, b] in &graph.edges {
        degree[a as usize] += 1;
        degree[b as usize] += 1;
    }
    for (atom, row) in graph.features.chunks_mut(ATOMS.len()).enumerate() {
        if row[2] == 1.0 && degree[atom] > 2 {
            row[2] = 0.0;
            row[1] = 1.0;
        }
    }
    graph
}

/// `count` generated molecules (within valence) and their measured lipophilicity:
/// [`lipophilicity`] plus measurement noise of SD 0.1.
pub fn generate_measured(count: usize, seed: u64) -> (Graphs, Vec<f32>) {
    let mut molecules = generate(count, seed);
    let mut rng = rng(seed, Stream::Measurement);
    let mut values = Vec::with_capacity(count);
    for graph in &mut molecules.graphs {
        *graph = within_valence(graph);
        values.push(lipophilicity(graph) + 0.1 * normal(&mut rng));
    }
    (molecules, values)
}

/// A table of `count` generated molecules as a chemist's file holds them: `id,smiles,logP`,
/// the value being [`lipophilicity`] plus measurement noise (SD 0.1), rounded to 0.01. An
/// oxygen the generator bonded three times is written as a nitrogen ([`within_valence`]).
pub fn lipophilicity_csv(count: usize, seed: u64) -> String {
    let (molecules, values) = generate_measured(count, seed);
    let mut out = String::from("id,smiles,logP\n");
    for (i, (graph, value)) in molecules.graphs.iter().zip(values).enumerate() {
        out.push_str(&format!("m{},{},{:.2}\n", i + 1, to_smiles(graph), value));
    }
    out
}

/// Whether the graph has a cycle of exactly `length` nodes (for tests).
pub fn has_cycle_of(graph: &Graph, nodes: usize, length: usize) -> bool {
    let mut adjacency = vec![Vec::new(); nodes];
    for &[a, b] in &graph.edges {
        adjacency[a as usize].push(b as usize);
        adjacency[b as usize].push(a as usize);
    }
    fn walk(
        adj: &[Vec<usize>],
        start: usize,
        at: usize,
        path: &mut Vec<usize>,
        len: usize,
    ) -> bool {
        if path.len() == len {
            return adj[at].contains(&start);
        }
        for &next in &adj[at] {
            if next > start && !path.contains(&next) {
                path.push(next);
                if walk(adj, start, next, path, len) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    (0..nodes).any(|s| walk(&adjacency, s, s, &mut vec![s], length))
}

/// The nodes on a cycle of `graph` (of `nodes` nodes): what is left after pruning leaves
/// again and again. A molecule here has at most one ring, so these are its ring's atoms.
pub fn ring_nodes(graph: &Graph, nodes: usize) -> Vec<bool> {
    let mut degree = vec![0usize; nodes];
    let mut neighbours = vec![Vec::new(); nodes];
    for &[a, b] in &graph.edges {
        let (a, b) = (a as usize, b as usize);
        degree[a] += 1;
        degree[b] += 1;
        neighbours[a].push(b);
        neighbours[b].push(a);
    }
    let mut kept = vec![true; nodes];
    let mut leaves: Vec<usize> = (0..nodes).filter(|&n| degree[n] <= 1).collect();
    while let Some(leaf) = leaves.pop() {
        if !kept[leaf] {
            continue;
        }
        kept[leaf] = false;
        for &n in &neighbours[leaf] {
            if kept[n] {
                degree[n] -= 1;
                if degree[n] == 1 {
                    leaves.push(n);
                }
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "files")]
    #[test]
    fn written_smiles_read_back_as_the_same_molecule() {
        use crate::ml::import::smiles::parse;
        let set = generate(200, 5);
        for graph in &set.graphs {
            let graph = &within_valence(graph);
            let smiles = to_smiles(graph);
            let molecule = parse(&smiles).unwrap_or_else(|e| panic!("{smiles}: {e}"));
            let nodes = graph.num_nodes(ATOMS.len());
            assert_eq!(molecule.atoms.len(), nodes, "{smiles}");
            assert_eq!(molecule.bonds.len(), graph.edges.len(), "{smiles}");
            let mut written: Vec<&str> = molecule.atoms.iter().map(|a| a.symbol.as_str()).collect();
            let mut generated: Vec<&str> = (0..nodes)
                .map(|i| {
                    let row = &graph.features[i * ATOMS.len()..(i + 1) * ATOMS.len()];
                    ATOMS[row.iter().position(|&v| v == 1.0).unwrap()]
                })
                .collect();
            written.sort_unstable();
            generated.sort_unstable();
            assert_eq!(written, generated, "{smiles}");
            let rings = molecule.atoms.iter().filter(|a| a.in_ring).count();
            let truth = ring_nodes(graph, nodes).iter().filter(|&&r| r).count();
            assert_eq!(rings, truth, "{smiles}");
        }
    }

    #[test]
    fn the_example_file_is_written_by_its_rule() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/examples/lipophilicity.csv"
        );
        let expected = lipophilicity_csv(1000, 1);
        if std::env::var_os("PETRI_WRITE_EXAMPLES").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let file = std::fs::read_to_string(path).unwrap();
        assert!(
            file == expected,
            "{path} differs from lipophilicity_csv(1000, 1): run this test with PETRI_WRITE_EXAMPLES=1"
        );
    }

    #[test]
    fn ring_nodes_are_the_six_ring_of_positives() {
        let set = generate(60, 2);
        for (graph, &label) in set.graphs.iter().zip(&set.labels) {
            let ring = ring_nodes(graph, graph.num_nodes(set.feature_dim));
            let count = ring.iter().filter(|&&r| r).count();
            if label == 1 {
                assert_eq!(count, 6);
            } else {
                assert!(count == 0 || count == 5, "{count}");
            }
        }
    }

    #[test]
    fn labels_match_the_ring_and_edges_are_valid() {
        let set = generate(60, 9);
        assert_eq!(set, generate(60, 9));
        for (graph, &label) in set.graphs.iter().zip(&set.labels) {
            let n = graph.num_nodes(4);
            assert!(graph.edges_valid(4));
            assert_eq!(has_cycle_of(graph, n, 6), label == 1);
            assert!((9..=18).contains(&n), "{n} atoms");
        }
    }
}
