//! How an attribution map agrees with where the signal truly is (a built-in dataset knows:
//! the shape's pixels, the planted motif, the ring's nodes), and how alike two maps are.

/// One map's agreement with the true region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionScore {
    /// The share of the positive attribution inside the region ("relevance mass").
    pub inside: f32,
    /// The region's share of the input: what a map spread at random scores on average.
    pub region_share: f32,
    /// Whether the most attributed point lies inside the region ("pointing game").
    pub hit: bool,
}

/// Scores `attribution` (one value per pixel, position or node) against `region`. `None` when
/// the region is empty or the map has no positive attribution to place.
pub fn region_score(attribution: &[f32], region: &[bool]) -> Option<RegionScore> {
    assert_eq!(
        attribution.len(),
        region.len(),
        "one attribution per point of the region"
    );
    let inside_count = region.iter().filter(|&&r| r).count();
    let positive: f32 = attribution.iter().map(|a| a.max(0.0)).sum();
    if inside_count == 0 || positive <= 0.0 || !positive.is_finite() {
        return None;
    }
    let inside: f32 = attribution
        .iter()
        .zip(region)
        .filter(|&(_, &r)| r)
        .map(|(a, _)| a.max(0.0))
        .sum();
    let top = (0..attribution.len())
        .max_by(|&a, &b| attribution[a].total_cmp(&attribution[b]))
        .expect("not empty");
    Some(RegionScore {
        inside: inside / positive,
        region_share: inside_count as f32 / region.len() as f32,
        hit: region[top],
    })
}

/// The mean of several maps' scores: (inside, region share, pointing-game hit rate), and how
/// many maps could be scored.
pub fn mean_score(scores: &[RegionScore]) -> Option<(RegionScore, usize)> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f32;
    let mean = |f: fn(&RegionScore) -> f32| scores.iter().map(f).sum::<f32>() / n;
    let hits = scores.iter().filter(|s| s.hit).count();
    Some((
        RegionScore {
            inside: mean(|s| s.inside),
            region_share: mean(|s| s.region_share),
            hit: hits * 2 >= scores.len(),
        },
        hits,
    ))
}

/// Spearman's rank correlation between two maps of the same input (ties share their mean
/// rank); 0 when either map is constant.
pub fn rank_correlation(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let mean = (n - 1.0) / 2.0;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - mean) * (y - mean);
        va += (x - mean) * (x - mean);
        vb += (y - mean) * (y - mean);
    }
    if va == 0.0 || vb == 0.0 {
        return 0.0;
    }
    (cov / (va * vb).sqrt()) as f32
}

fn ranks(values: &[f32]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&x, &y| values[x].total_cmp(&values[y]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let shared = (start + end - 1) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| ranks[i] = shared);
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_inside_the_region_scores_all_and_points_inside() {
        let region = [false, true, true, false];
        let score = region_score(&[0.0, 3.0, 1.0, -5.0], &region).unwrap();
        assert_eq!(score.inside, 1.0);
        assert_eq!(score.region_share, 0.5);
        assert!(score.hit);
        let outside = region_score(&[4.0, 1.0, 0.0, 3.0], &region).unwrap();
        assert!((outside.inside - 0.125).abs() < 1e-6 && !outside.hit);
        assert_eq!(region_score(&[-1.0; 4], &region), None);
        assert_eq!(region_score(&[1.0; 4], &[false; 4]), None);
        let (mean, hits) = mean_score(&[score, outside]).unwrap();
        assert!((mean.inside - 0.5625).abs() < 1e-6 && hits == 1);
    }

    #[test]
    fn rank_correlation_is_one_for_monotone_maps_and_minus_one_reversed() {
        let a = [0.1, 0.5, 0.2, 0.9];
        assert!((rank_correlation(&a, &[1.0, 5.0, 2.0, 90.0]) - 1.0).abs() < 1e-6);
        assert!((rank_correlation(&a, &[4.0, 2.0, 3.0, 1.0]) + 1.0).abs() < 1e-6);
        assert_eq!(rank_correlation(&a, &[1.0; 4]), 0.0);
        // Ties share a rank.
        assert!((rank_correlation(&[1.0, 1.0, 2.0], &[0.0, 0.0, 1.0]) - 1.0).abs() < 1e-6);
    }
}
