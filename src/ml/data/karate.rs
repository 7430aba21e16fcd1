//! Zachary's karate club (1977): 34 members, 78 friendships. The club split in two after a
//! dispute; which side each member joined is predictable from the friendships alone — the
//! classic first benchmark of graph neural networks.

use super::{Graph, Nodes};

/// Class names, in label order.
pub const CLASSES: [&str; 2] = ["Mr. Hi", "Officer"];

/// The friendships (0-based member numbers), each once.
pub const EDGES: [[u32; 2]; 78] = [
    [0, 1],
    [0, 2],
    [0, 3],
    [0, 4],
    [0, 5],
    [0, 6],
    [0, 7],
    [0, 8],
    [0, 10],
    [0, 11],
    [0, 12],
    [0, 13],
    [0, 17],
    [0, 19],
    [0, 21],
    [0, 31],
    [1, 2],
    [1, 3],
    [1, 7],
    [1, 13],
    [1, 17],
    [1, 19],
    [1, 21],
    [1, 30],
    [2, 3],
    [2, 7],
    [2, 8],
    [2, 9],
    [2, 13],
    [2, 27],
    [2, 28],
    [2, 32],
    [3, 7],
    [3, 12],
    [3, 13],
    [4, 6],
    [4, 10],
    [5, 6],
    [5, 10],
    [5, 16],
    [6, 16],
    [8, 30],
    [8, 32],
    [8, 33],
    [9, 33],
    [13, 33],
    [14, 32],
    [14, 33],
    [15, 32],
    [15, 33],
    [18, 32],
    [18, 33],
    [19, 33],
    [20, 32],
    [20, 33],
    [22, 32],
    [22, 33],
    [23, 25],
    [23, 27],
    [23, 29],
    [23, 32],
    [23, 33],
    [24, 25],
    [24, 27],
    [24, 31],
    [25, 31],
    [26, 29],
    [26, 33],
    [27, 33],
    [28, 31],
    [28, 33],
    [29, 32],
    [29, 33],
    [30, 32],
    [30, 33],
    [31, 32],
    [31, 33],
    [32, 33],
];

/// The members who followed Mr. Hi (the rest joined the Officer).
pub const MR_HI: [usize; 17] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 19, 21];

/// Members.
pub const MEMBERS: usize = 34;

/// The club, each member's feature a one-hot identity (the graph alone must tell).
pub fn generate() -> Nodes {
    let labels: Vec<u32> = (0..MEMBERS)
        .map(|i| u32::from(!MR_HI.contains(&i)))
        .collect();
    let mut features = vec![0.0; MEMBERS * MEMBERS];
    for i in 0..MEMBERS {
        features[i * MEMBERS + i] = 1.0;
    }
    Nodes::all(
        MEMBERS,
        Graph {
            features,
            edges: EDGES.to_vec(),
            bonds: Vec::new(),
        },
        labels,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_club_has_34_members_78_friendships_and_two_even_sides() {
        let club = generate();
        assert_eq!(club.graph.edges.len(), 78);
        assert!(club.graph.edges_valid(MEMBERS));
        let mut unique = club.graph.edges.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 78);
        assert_eq!(club.labels.iter().filter(|&&l| l == 0).count(), 17);
        // The two leaders are on opposite sides and each has the most friends on theirs.
        assert_eq!((club.labels[0], club.labels[33]), (0, 1));
    }
}
