use super::{AssignedLabel, LabelSource};
use crate::ml::data::{BuiltinDataset, Dataset, NO_LABEL, Samples, stratified_split3};
use crate::ml::import::Imported;
use crate::ml::rng::{Stream, rng};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Shares of an uploaded dataset's labeled samples for validation and the held-out test set.
pub const UPLOAD_VALID: f64 = 0.15;
pub const UPLOAD_TEST: f64 = 0.15;

/// A pool sample's label as a run learns it: a class, or for a measured target a value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolLabel {
    /// The class (0 for a measured target).
    pub class: u32,
    pub source: LabelSource,
    /// The measured value (measured targets only).
    pub value: Option<f32>,
}

/// Where a sample of a [`Collection`] belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Part {
    /// Labeled by the data, for training.
    Train,
    /// Labeled, to measure generalisation while training.
    Valid,
    /// Labeled, held out for a final check.
    Test,
    /// Came without a (visible) label.
    Pool,
}

impl Part {
    /// Every part, in export order.
    pub const ALL: [Part; 4] = [Part::Train, Part::Valid, Part::Test, Part::Pool];

    /// The word used in exported files.
    pub fn id(self) -> &'static str {
        match self {
            Part::Train => "train",
            Part::Valid => "valid",
            Part::Test => "test",
            Part::Pool => "unlabeled",
        }
    }
}

/// Every sample a user has, split into parts, each with its id; and for built-in datasets
/// whose labels were hidden, the true class of each pool sample (known to Petri only to report
/// true accuracy on the pool, never used to train).
#[derive(Clone, Debug)]
pub struct Collection {
    pub name: String,
    pub class_names: Vec<String>,
    pub train: Samples,
    pub valid: Samples,
    pub test: Samples,
    pub pool: Arc<Samples>,
    /// The ids of each part's samples, in [`Part::ALL`] order.
    pub ids: [Vec<String>; 4],
    /// The hidden true class of each pool sample (built-in datasets only).
    pub pool_truth: Option<Vec<u32>>,
    /// Molecules read from SMILES: each part's strings as written, in [`Part::ALL`] order.
    pub smiles: Option<[Vec<String>; 4]>,
}

impl Collection {
    /// Built-in `dataset` for `seed`. With `labels_per_class`, only the first that many
    /// training samples of each class (in the seeded training order) keep their label; the
    /// other training samples form the pool, their labels hidden. Ids are sample numbers.
    pub fn builtin(dataset: BuiltinDataset, seed: u64, labels_per_class: Option<usize>) -> Self {
        let (all, [train, valid, test]) = dataset.generate_split(seed);
        let classes = dataset.class_names().len();
        let (kept, hidden): (Vec<usize>, Vec<usize>) = match labels_per_class {
            None => (train, Vec::new()),
            Some(n) => {
                let mut order = train.clone();
                order.shuffle(&mut rng(seed, Stream::Labels));
                let mut taken = vec![0usize; classes];
                let keep: Vec<bool> = order
                    .iter()
                    .map(|&i| {
                        let class = all.labels()[i] as usize;
                        taken[class] += 1;
                        taken[class] <= n
                    })
                    .collect();
                let kept = order
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(i, _)| *i)
                    .collect();
                let hidden = order
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| !**k)
                    .map(|(i, _)| *i)
                    .collect();
                (kept, hidden)
            }
        };
        let truth: Vec<u32> = hidden.iter().map(|&i| all.labels()[i]).collect();
        let number = |indices: &[usize]| indices.iter().map(|i| i.to_string()).collect();
        let ids = [
            number(&kept),
            number(&valid),
            number(&test),
            number(&hidden),
        ];
        let pool = all
            .subset(&hidden)
            .with_labels(vec![NO_LABEL; hidden.len()]);
        let mut collection = Self {
            name: dataset.title().to_string(),
            class_names: dataset.class_names(),
            train: all.subset(&kept),
            valid: all.subset(&valid),
            test: all.subset(&test),
            pool: Arc::new(pool),
            ids,
            pool_truth: labels_per_class.map(|_| truth),
            smiles: None,
        };
        collection.share_node_labels();
        collection
    }

    /// An upload: its labeled samples split (seeded, stratified) into 70% training, 15%
    /// validation and 15% test; its unlabeled samples form the pool.
    pub fn upload(imported: &Imported, seed: u64) -> Self {
        let samples = &imported.samples;
        let (train, valid, test) = stratified_split3(
            samples.labels(),
            imported.class_names.len(),
            UPLOAD_VALID,
            UPLOAD_TEST,
            seed,
        );
        let pick_from = |names: &[String], indices: &[usize]| -> Vec<String> {
            indices.iter().map(|&i| names[i].clone()).collect()
        };
        let pick = |indices: &[usize]| pick_from(&imported.ids, indices);
        let smiles = (!imported.smiles.is_empty()).then(|| {
            [
                pick_from(&imported.smiles, &train),
                pick_from(&imported.smiles, &valid),
                pick_from(&imported.smiles, &test),
                imported.unlabeled_smiles.clone(),
            ]
        });
        let pool = match &imported.unlabeled {
            Some(unlabeled) => {
                let n = unlabeled.len();
                unlabeled.clone().with_labels(vec![NO_LABEL; n])
            }
            None => samples.subset(&[]),
        };
        let mut collection = Self {
            name: imported.name.clone(),
            class_names: imported.class_names.clone(),
            train: samples.subset(&train),
            valid: samples.subset(&valid),
            test: samples.subset(&test),
            pool: Arc::new(pool),
            ids: [
                pick(&train),
                pick(&valid),
                pick(&test),
                imported.unlabeled_ids.clone(),
            ],
            pool_truth: None,
            smiles,
        };
        collection.share_node_labels();
        collection
    }

    /// The samples of `part`.
    pub fn part(&self, part: Part) -> &Samples {
        match part {
            Part::Train => &self.train,
            Part::Valid => &self.valid,
            Part::Test => &self.test,
            Part::Pool => &self.pool,
        }
    }

    /// The ids of `part`'s samples.
    pub fn ids(&self, part: Part) -> &[String] {
        &self.ids[Part::ALL
            .iter()
            .position(|&p| p == part)
            .expect("every part")]
    }

    /// The SMILES of `part`'s samples, for molecules read from SMILES.
    pub fn smiles(&self, part: Part) -> Option<&[String]> {
        let at = Part::ALL
            .iter()
            .position(|&p| p == part)
            .expect("every part");
        self.smiles.as_ref().map(|all| all[at].as_slice())
    }

    /// Each pool sample's index, by id.
    pub fn pool_index(&self) -> HashMap<String, usize> {
        self.ids(Part::Pool)
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect()
    }

    /// Whether the target is a measured value rather than a class.
    pub fn is_measured(&self) -> bool {
        !self.train.measured().is_empty()
    }

    /// Each pool sample's assigned label from `labels`, by pool index; and the ids of
    /// `labels` that name no pool sample, or carry no value for a measured target (they are
    /// left out).
    pub fn assign(&self, labels: &[AssignedLabel]) -> (Vec<Option<PoolLabel>>, Vec<String>) {
        let index = self.pool_index();
        let classes = self.class_names.len() as u32;
        let measured = self.is_measured();
        let mut assigned = vec![None; self.pool.len()];
        let mut unknown = Vec::new();
        for label in labels {
            let value = label.value.filter(|v| v.is_finite());
            let fits = if measured {
                value.is_some()
            } else {
                label.class < classes
            };
            match index.get(&label.id) {
                Some(&i) if fits => {
                    assigned[i] = Some(PoolLabel {
                        class: if measured { 0 } else { label.class },
                        source: label.source,
                        value: if measured { value } else { None },
                    })
                }
                _ => unknown.push(label.id.clone()),
            }
        }
        (assigned, unknown)
    }

    /// The dataset a run learns from: the training part plus every pool sample with an
    /// assigned label (or measured value), validation, test, and the pool.
    pub fn dataset(&self, assigned: &[Option<PoolLabel>]) -> Dataset {
        let labeled: Vec<usize> = (0..self.pool.len())
            .filter(|&i| assigned[i].is_some())
            .collect();
        let given = |i: usize| assigned[i].expect("labeled");
        let joining = self.pool.subset(&labeled);
        let joining = if self.is_measured() {
            joining.with_measured(
                labeled
                    .iter()
                    .map(|&i| given(i).value.unwrap_or(f32::NAN))
                    .collect(),
            )
        } else {
            joining.with_labels(labeled.iter().map(|&i| given(i).class).collect())
        };
        let mut train = self.train.clone();
        train.append(&joining);
        let mut train_sources = vec![None; self.train.len()];
        train_sources.extend(labeled.iter().map(|&i| Some(given(i).source)));
        let mut dataset = Dataset {
            name: self.name.clone(),
            class_names: self.class_names.clone(),
            train,
            train_sources,
            valid: self.valid.clone(),
            test: self.test.clone(),
            pool: self.pool.clone(),
            unlabeled: (0..self.pool.len())
                .filter(|&i| assigned[i].is_none())
                .collect(),
        };
        if let Samples::Nodes(_) = &dataset.train {
            let known = node_labels(&[&dataset.train, &dataset.valid, &dataset.test]);
            for part in [&mut dataset.train, &mut dataset.valid, &mut dataset.test] {
                if let Samples::Nodes(nodes) = part {
                    nodes.all_labels = known.clone();
                }
            }
        }
        dataset
    }

    /// Node datasets: every part draws each node with the class it is known by (hidden and
    /// unlabeled nodes as [`NO_LABEL`]).
    fn share_node_labels(&mut self) {
        if !matches!(self.train, Samples::Nodes(_)) {
            return;
        }
        let known = node_labels(&[&self.train, &self.valid, &self.test]);
        let mut pool = (*self.pool).clone();
        for part in [&mut self.train, &mut self.valid, &mut self.test, &mut pool] {
            if let Samples::Nodes(nodes) = part {
                nodes.all_labels = known.clone();
            }
        }
        self.pool = Arc::new(pool);
    }
}

/// The class of every node of the graph as `parts` know it ([`NO_LABEL`] elsewhere).
fn node_labels(parts: &[&Samples]) -> Arc<Vec<u32>> {
    let mut known: Vec<u32> = Vec::new();
    for part in parts {
        if let Samples::Nodes(nodes) = part {
            known.resize(nodes.all_labels.len(), NO_LABEL);
            for (&node, &label) in nodes.nodes.iter().zip(&nodes.labels) {
                known[node] = label;
            }
        }
    }
    Arc::new(known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_labels_make_a_pool_and_assigned_labels_join_training() {
        let full = Collection::builtin(BuiltinDataset::Shapes, 3, None);
        assert!(full.pool.is_empty() && full.pool_truth.is_none());
        assert_eq!(
            (full.train.len(), full.valid.len(), full.test.len()),
            (2400, 600, 600)
        );
        let cut = Collection::builtin(BuiltinDataset::Shapes, 3, Some(5));
        assert_eq!(cut.train.len(), 20);
        for class in 0..4 {
            assert_eq!(
                cut.train.labels().iter().filter(|&&l| l == class).count(),
                5
            );
        }
        assert_eq!(cut.pool.len(), 2380);
        assert!(
            cut.pool.labels().iter().all(|&l| l == NO_LABEL),
            "no label is never class 0"
        );
        assert_eq!(cut.valid, full.valid, "validation is untouched");
        let truth = cut.pool_truth.as_ref().unwrap();
        // Ids are sample numbers: distinct across parts.
        let mut all_ids: Vec<&String> = Part::ALL.iter().flat_map(|&p| cut.ids(p)).collect();
        all_ids.sort();
        all_ids.dedup();
        assert_eq!(all_ids.len(), 3600);

        let labels = vec![
            AssignedLabel {
                id: cut.ids(Part::Pool)[0].clone(),
                class: truth[0],
                source: LabelSource::Human,
                value: None,
            },
            AssignedLabel {
                id: cut.ids(Part::Pool)[7].clone(),
                class: truth[7],
                source: LabelSource::Pseudo,
                value: None,
            },
            AssignedLabel {
                id: "not-a-sample".into(),
                class: 0,
                source: LabelSource::Human,
                value: None,
            },
        ];
        let (assigned, unknown) = cut.assign(&labels);
        assert_eq!(unknown, vec!["not-a-sample".to_string()]);
        let dataset = cut.dataset(&assigned);
        assert_eq!(dataset.train.len(), 22);
        assert_eq!(dataset.train.labels()[20..], [truth[0], truth[7]]);
        assert_eq!(
            dataset.train_sources[20..],
            [Some(LabelSource::Human), Some(LabelSource::Pseudo)]
        );
        assert!(!dataset.is_pseudo(0) && dataset.is_pseudo(21));
        assert_eq!(dataset.unlabeled.len(), 2378);
        assert!(!dataset.unlabeled.contains(&0) && !dataset.unlabeled.contains(&7));
        // A batch of pool samples has no class to learn.
        let batch = dataset.pool.batch(&[0, 1]);
        assert!(batch.targets.iter().all(|&t| t < 0));
    }

    #[test]
    fn node_pools_are_nodes_of_the_same_graph_drawn_without_their_class() {
        let cut = Collection::builtin(BuiltinDataset::KarateClub, 1, Some(2));
        assert_eq!(cut.train.len(), 4);
        assert_eq!(cut.pool.len() + cut.train.len(), 18);
        let Samples::Nodes(pool) = &*cut.pool else {
            panic!("nodes")
        };
        let Samples::Nodes(train) = &cut.train else {
            panic!("nodes")
        };
        assert!(Arc::ptr_eq(&pool.graph, &train.graph));
        for &node in &pool.nodes {
            assert_eq!(train.all_labels[node], NO_LABEL);
        }
        let id = cut.ids(Part::Pool)[0].clone();
        let (assigned, _) = cut.assign(&[AssignedLabel {
            id,
            class: 1,
            source: LabelSource::Human,
            value: None,
        }]);
        let dataset = cut.dataset(&assigned);
        let Samples::Nodes(train) = &dataset.train else {
            panic!("nodes")
        };
        assert_eq!(train.all_labels[pool.nodes[0]], 1);
        assert_eq!(dataset.train.len(), 5);
    }
}
