//! Node-link layout for drawing graphs: stress majorization on shortest-path distances
//! (Gansner, Koren & North), deterministic, scaled into the unit square. Rings come out as
//! rings and communities as clusters.

/// Positions in `[0, 1]²` for `nodes` nodes joined by undirected `edges`.
pub fn stress_layout(nodes: usize, edges: &[[u32; 2]], iterations: usize) -> Vec<(f32, f32)> {
    if nodes == 0 {
        return Vec::new();
    }
    let distance = shortest_paths(nodes, edges);
    // Start on a spiral in node order: deterministic and free of coincident points.
    let mut pos: Vec<(f32, f32)> = (0..nodes)
        .map(|i| {
            let a = i as f32 * 2.399_963; // the golden angle
            let r = (i as f32 + 0.5).sqrt();
            (r * a.cos(), r * a.sin())
        })
        .collect();
    for _ in 0..iterations {
        for i in 0..nodes {
            let (mut sx, mut sy, mut sw) = (0.0f32, 0.0f32, 0.0f32);
            for j in 0..nodes {
                if i == j {
                    continue;
                }
                let d = distance[i * nodes + j];
                let w = 1.0 / (d * d);
                let (dx, dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                let length = (dx * dx + dy * dy).sqrt().max(1e-6);
                sx += w * (pos[j].0 + d * dx / length);
                sy += w * (pos[j].1 + d * dy / length);
                sw += w;
            }
            if sw > 0.0 {
                pos[i] = (sx / sw, sy / sw);
            }
        }
    }
    let (min_x, max_x) = pos
        .iter()
        .fold((f32::MAX, f32::MIN), |m, p| (m.0.min(p.0), m.1.max(p.0)));
    let (min_y, max_y) = pos
        .iter()
        .fold((f32::MAX, f32::MIN), |m, p| (m.0.min(p.1), m.1.max(p.1)));
    let span = (max_x - min_x).max(max_y - min_y).max(1e-6);
    let (ox, oy) = (
        (span - (max_x - min_x)) / 2.0,
        (span - (max_y - min_y)) / 2.0,
    );
    pos.iter()
        .map(|p| {
            (
                0.06 + 0.88 * (p.0 - min_x + ox) / span,
                0.06 + 0.88 * (p.1 - min_y + oy) / span,
            )
        })
        .collect()
}

/// All-pairs hop counts by breadth-first search; unreachable pairs get the longest finite
/// distance plus one, so separate components sit apart but nearby.
fn shortest_paths(nodes: usize, edges: &[[u32; 2]]) -> Vec<f32> {
    let mut adjacency = vec![Vec::new(); nodes];
    for &[a, b] in edges {
        adjacency[a as usize].push(b as usize);
        adjacency[b as usize].push(a as usize);
    }
    let mut distance = vec![f32::INFINITY; nodes * nodes];
    let mut queue = std::collections::VecDeque::new();
    for source in 0..nodes {
        distance[source * nodes + source] = 0.0;
        queue.push_back(source);
        while let Some(at) = queue.pop_front() {
            let d = distance[source * nodes + at];
            for &next in &adjacency[at] {
                if distance[source * nodes + next].is_infinite() {
                    distance[source * nodes + next] = d + 1.0;
                    queue.push_back(next);
                }
            }
        }
    }
    let longest = distance
        .iter()
        .filter(|d| d.is_finite())
        .fold(1.0f32, |m, &d| m.max(d));
    for d in &mut distance {
        if d.is_infinite() {
            *d = longest + 1.0;
        }
    }
    distance
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_deterministic_inside_the_square_and_keeps_neighbours_close() {
        let edges = [[0, 1], [1, 2], [2, 0], [3, 4], [4, 5], [5, 3], [2, 3]];
        let a = stress_layout(6, &edges, 100);
        assert_eq!(a, stress_layout(6, &edges, 100));
        assert!(
            a.iter()
                .all(|p| (0.0..=1.0).contains(&p.0) && (0.0..=1.0).contains(&p.1))
        );
        let d = |i: usize, j: usize| ((a[i].0 - a[j].0).powi(2) + (a[i].1 - a[j].1).powi(2)).sqrt();
        assert!(d(0, 1) < d(0, 5), "neighbours closer than strangers");
    }

    #[test]
    fn a_ring_is_drawn_as_a_ring() {
        let edges: Vec<[u32; 2]> = (0..6).map(|i| [i, (i + 1) % 6]).collect();
        let p = stress_layout(6, &edges, 200);
        let centre = p
            .iter()
            .fold((0.0, 0.0), |c, q| (c.0 + q.0 / 6.0, c.1 + q.1 / 6.0));
        let radii: Vec<f32> = p
            .iter()
            .map(|q| ((q.0 - centre.0).powi(2) + (q.1 - centre.1).powi(2)).sqrt())
            .collect();
        let (lo, hi) = radii
            .iter()
            .fold((f32::MAX, 0.0f32), |m, &r| (m.0.min(r), m.1.max(r)));
        assert!(hi - lo < 0.1 * hi, "all six atoms on a circle: {radii:?}");
    }
}
