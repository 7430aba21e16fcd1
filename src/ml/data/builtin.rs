use super::{
    DataKind, DataShape, Dataset, Samples, cells, communities, dna, karate, molecules, shapes,
    stratified_split, stratified_split3, waveforms,
};
use serde::{Deserialize, Serialize};

/// The datasets Petri generates itself, deterministically from a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuiltinDataset {
    /// Circles, squares, triangles and crosses in noise (28×28 grayscale).
    Shapes,
    /// Round, elongated and dividing cells in synthetic microscopy (28×28 grayscale).
    Cells,
    /// DNA with or without a planted binding motif (100–200 bases, one-hot).
    DnaMotif,
    /// Noisy sine, square, sawtooth and chirp signals (128 samples).
    Waveforms,
    /// Molecule-like graphs with or without a six-membered ring.
    Molecules,
    /// The same kind of molecules with a measured lipophilicity (regression).
    MoleculeLogp,
    /// Nodes of a stochastic-block-model graph, by community.
    Communities,
    /// Zachary's karate club members, by the side they joined.
    KarateClub,
}

impl BuiltinDataset {
    /// Every built-in dataset, in menu order.
    pub const ALL: [BuiltinDataset; 8] = [
        BuiltinDataset::Shapes,
        BuiltinDataset::Cells,
        BuiltinDataset::DnaMotif,
        BuiltinDataset::Waveforms,
        BuiltinDataset::Molecules,
        BuiltinDataset::MoleculeLogp,
        BuiltinDataset::Communities,
        BuiltinDataset::KarateClub,
    ];

    /// A short stable identifier (used in URLs and the Dataset select).
    pub fn id(self) -> &'static str {
        match self {
            BuiltinDataset::Shapes => "shapes",
            BuiltinDataset::Cells => "cells",
            BuiltinDataset::DnaMotif => "dna-motif",
            BuiltinDataset::Waveforms => "waveforms",
            BuiltinDataset::Molecules => "molecules",
            BuiltinDataset::MoleculeLogp => "molecule-logp",
            BuiltinDataset::Communities => "communities",
            BuiltinDataset::KarateClub => "karate-club",
        }
    }

    /// The dataset with identifier `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.id() == id)
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            BuiltinDataset::Shapes => "Shapes in noise (images)",
            BuiltinDataset::Cells => "Cell morphology (images)",
            BuiltinDataset::DnaMotif => "DNA motif (sequences)",
            BuiltinDataset::Waveforms => "Waveforms (time series)",
            BuiltinDataset::Molecules => "Molecule rings (graphs)",
            BuiltinDataset::MoleculeLogp => "Molecule lipophilicity (graphs, regression)",
            BuiltinDataset::Communities => "Communities (graph nodes)",
            BuiltinDataset::KarateClub => "Karate club (graph nodes)",
        }
    }

    /// One paragraph on what the dataset stands for in science.
    pub fn description(self) -> &'static str {
        match self {
            BuiltinDataset::Shapes => {
                "28×28 grayscale images of one bright shape (circle, square, triangle or cross) \
                 of random size, position, rotation and brightness in noise. It stands for the \
                 first step of many imaging pipelines — telling objects apart by morphology in a \
                 noisy detector image (particles in a micrograph, sources on a sky survey plate) \
                 — and is small enough to train in seconds in a browser."
            }
            BuiltinDataset::Cells => {
                "Synthetic fluorescence-microscopy crops of a single cell: round, elongated or \
                 dividing (two daughter cells still touching), each with a nucleus, under uneven \
                 illumination, blur and camera noise. Phenotyping cells by shape is how \
                 high-content screens find drugs that stop division or change morphology."
            }
            BuiltinDataset::DnaMotif => {
                "Random DNA of 100–200 bases, one-hot encoded; half of the sequences carry a \
                 ten-base binding motif (TATAAGGCAC, each base mutated with probability 0.1) at \
                 a random position. Finding where a transcription factor binds is the classic \
                 sequence task that convolutional and recurrent networks solved for genomics."
            }
            BuiltinDataset::Waveforms => {
                "Signals of 128 samples that are a sine, square, sawtooth or chirp of random \
                 frequency, phase, amplitude and offset, in strong noise. It stands for \
                 classifying sensor and physiological time series (ECG beats, seismic traces, \
                 gravitational-wave chirps) from their shape over time."
            }
            BuiltinDataset::Molecules => {
                "Small molecule-like graphs: atoms (C, N, O, S as one-hot node features) joined \
                 by bonds. Half contain a six-membered ring; the others are acyclic or carry a \
                 five-membered ring (one in five; message passing finds ring size hard). Predicting properties from the molecular graph is where \
                 graph neural networks first paid off in chemistry."
            }
            BuiltinDataset::MoleculeLogp => {
                "The same kind of molecule-like graphs, each with a measured lipophilicity \
                 (logP: how much it prefers oil to water, which decides how a drug crosses \
                 membranes). The value is made up as Crippen's logP is, summed over atoms: \
                 carbon +0.45, nitrogen −0.6, oxygen −0.5, sulfur +0.4, −0.2 per branching atom \
                 and +0.3 per ring atom, plus measurement noise of SD 0.1. The target is a \
                 number, so the model is scored by its error (RMSE, R²), not by accuracy."
            }
            BuiltinDataset::Communities => {
                "One graph of 160 nodes in four communities (a stochastic block model: dense \
                 inside, sparse between). Each node's eight features carry only a weak hint of \
                 its community, so a model must use its neighbours — as when proteins are \
                 annotated from their interaction partners. Half the nodes train, half validate."
            }
            BuiltinDataset::KarateClub => {
                "Zachary's karate club (1977): 34 members and their 78 friendships. After a \
                 dispute the club split between the instructor, Mr. Hi, and the officer; the \
                 side each member joined follows from the friendships alone. Each node's \
                 feature is just its identity. Half the members train, half validate."
            }
        }
    }

    /// Whether the target is a measured value (regression), named by the one class name.
    pub fn is_measured(self) -> bool {
        self == BuiltinDataset::MoleculeLogp
    }

    /// The one-hot alphabet of letter sequences (`None` for other data).
    pub fn alphabet(self) -> Option<&'static str> {
        (self == BuiltinDataset::DnaMotif).then_some(dna::ALPHABET)
    }

    /// The kind of samples.
    pub fn kind(self) -> DataKind {
        self.shape().kind()
    }

    /// The shape of one sample.
    pub fn shape(self) -> DataShape {
        match self {
            BuiltinDataset::Shapes => DataShape::Image {
                channels: 1,
                height: shapes::SIZE,
                width: shapes::SIZE,
            },
            BuiltinDataset::Cells => DataShape::Image {
                channels: 1,
                height: cells::SIZE,
                width: cells::SIZE,
            },
            BuiltinDataset::DnaMotif => DataShape::Sequence {
                channels: 4,
                max_length: 200,
            },
            BuiltinDataset::Waveforms => DataShape::Sequence {
                channels: 1,
                max_length: waveforms::LENGTH,
            },
            BuiltinDataset::Molecules | BuiltinDataset::MoleculeLogp => DataShape::Graph {
                features: molecules::ATOMS.len(),
            },
            BuiltinDataset::Communities => DataShape::Node {
                features: communities::FEATURES,
            },
            BuiltinDataset::KarateClub => DataShape::Node {
                features: karate::MEMBERS,
            },
        }
    }

    /// Class names in label order.
    pub fn class_names(self) -> Vec<String> {
        let names: &[&str] = match self {
            BuiltinDataset::Shapes => &shapes::CLASSES,
            BuiltinDataset::Cells => &cells::CLASSES,
            BuiltinDataset::DnaMotif => &dna::CLASSES,
            BuiltinDataset::Waveforms => &waveforms::CLASSES,
            BuiltinDataset::Molecules => &molecules::CLASSES,
            BuiltinDataset::MoleculeLogp => &["logP"],
            BuiltinDataset::Communities => &communities::CLASSES,
            BuiltinDataset::KarateClub => &karate::CLASSES,
        };
        names.iter().map(|s| s.to_string()).collect()
    }

    /// Generates the dataset for `seed`: the same seed always gives the same samples and split.
    /// Image, sequence and graph datasets hold out a test part as large as validation; the
    /// node datasets (one small graph) have none.
    pub fn generate(self, seed: u64) -> Dataset {
        let (all, [train, valid, test]) = self.generate_split(seed);
        let mut dataset = Dataset::new(
            self.title().to_string(),
            self.class_names(),
            all.subset(&train),
            all.subset(&valid),
        );
        dataset.test = all.subset(&test);
        dataset
    }

    /// Where the signal is in each sample for `seed`, in generation order, one flag per point
    /// (pixel, base, node): the shape, the cell, the planted motif, the 6-ring's atoms. Empty
    /// for a sample without one (a negative); `None` for datasets whose signal has no place.
    pub fn regions(self, seed: u64) -> Option<Vec<Vec<bool>>> {
        let (all, _) = self.generate_split(seed);
        let count = all.len();
        match self {
            BuiltinDataset::Shapes => Some(shapes::generate_with_regions(count, seed).1),
            BuiltinDataset::Cells => Some(cells::generate_with_regions(count, seed).1),
            BuiltinDataset::DnaMotif => Some(
                dna::generate_with_regions(count, seed)
                    .1
                    .into_iter()
                    .map(|r| if r.contains(&true) { r } else { Vec::new() })
                    .collect(),
            ),
            BuiltinDataset::Molecules => match all {
                Samples::Graphs(set) => Some(
                    set.graphs
                        .iter()
                        .zip(&set.labels)
                        .map(|(graph, &label)| {
                            if label == 1 {
                                molecules::ring_nodes(graph, graph.num_nodes(set.feature_dim))
                            } else {
                                Vec::new()
                            }
                        })
                        .collect(),
                ),
                _ => None,
            },
            BuiltinDataset::Waveforms
            | BuiltinDataset::MoleculeLogp
            | BuiltinDataset::Communities
            | BuiltinDataset::KarateClub => None,
        }
    }

    /// Every sample for `seed`, in generation order (a sample's number there is its id), and
    /// the indices of the training, validation and test parts.
    pub fn generate_split(self, seed: u64) -> (Samples, [Vec<usize>; 3]) {
        let classes = self.class_names().len();
        let sixth = 1.0 / 6.0;
        let (all, valid_fraction, test_fraction) = match self {
            BuiltinDataset::Shapes => (Samples::Images(shapes::generate(3600, seed)), sixth, sixth),
            BuiltinDataset::Cells => (Samples::Images(cells::generate(3600, seed)), sixth, sixth),
            BuiltinDataset::DnaMotif => {
                (Samples::Sequences(dna::generate(3000, seed)), sixth, sixth)
            }
            BuiltinDataset::Waveforms => (
                Samples::Sequences(waveforms::generate(2400, seed)),
                sixth,
                sixth,
            ),
            BuiltinDataset::Molecules => (
                Samples::Graphs(molecules::generate(1800, seed)),
                sixth,
                sixth,
            ),
            BuiltinDataset::MoleculeLogp => {
                let (graphs, values) = molecules::generate_measured(1800, seed);
                (Samples::Graphs(graphs).with_measured(values), sixth, sixth)
            }
            BuiltinDataset::Communities => (Samples::Nodes(communities::generate(seed)), 0.5, 0.0),
            BuiltinDataset::KarateClub => (Samples::Nodes(karate::generate()), 0.5, 0.0),
        };
        let parts = if test_fraction > 0.0 {
            let (train, valid, test) =
                stratified_split3(all.labels(), classes, valid_fraction, test_fraction, seed);
            [train, valid, test]
        } else {
            let (train, valid) = stratified_split(all.labels(), classes, valid_fraction, seed);
            [train, valid, Vec::new()]
        };
        (all, parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::data::BatchInput;

    #[test]
    fn every_builtin_dataset_is_deterministic_per_seed() {
        for dataset in BuiltinDataset::ALL {
            let a = dataset.generate(5);
            assert_eq!(a, dataset.generate(5), "{}", dataset.id());
            assert_ne!(a.train, dataset.generate(6).train, "{}", dataset.id());
            assert!(a.train.len() >= a.valid.len() && !a.valid.is_empty());
            assert_eq!(BuiltinDataset::from_id(dataset.id()), Some(dataset));
            assert_eq!(a.shape().kind(), dataset.kind(), "{}", dataset.id());
            assert_eq!(a.class_names, dataset.class_names());
            let classes = a.num_classes() as u32;
            assert!(
                a.train
                    .labels()
                    .iter()
                    .chain(a.valid.labels())
                    .all(|&l| l < classes)
            );
        }
    }

    #[test]
    fn batches_have_the_model_input_shape() {
        let dataset = BuiltinDataset::Shapes.generate(1);
        let batch = dataset.train.batch(&[0, 5, 9]);
        let BatchInput::Images { pixels, shape } = &batch.input else {
            panic!("images")
        };
        assert_eq!(*shape, [3, 1, 28, 28]);
        assert_eq!(pixels.len(), 3 * 28 * 28);
        assert_eq!(batch.targets[1], i64::from(dataset.train.labels()[5]));

        let dna = BuiltinDataset::DnaMotif.generate(1);
        let batch = dna.train.batch(&[0, 1, 2, 3]);
        let BatchInput::Sequences {
            values,
            shape,
            lengths,
        } = &batch.input
        else {
            panic!("sequences")
        };
        assert_eq!(shape[0], 4);
        assert_eq!(shape[2], 4);
        assert_eq!(shape[1], *lengths.iter().max().unwrap());
        assert_eq!(values.len(), shape.iter().product::<usize>());
        let shortest = lengths.iter().enumerate().min_by_key(|(_, l)| **l).unwrap();
        let padding =
            &values[shortest.0 * shape[1] * 4 + shortest.1 * 4..(shortest.0 + 1) * shape[1] * 4];
        assert!(padding.iter().all(|&v| v == 0.0), "padding is zero");

        let molecules = BuiltinDataset::Molecules.generate(1);
        let batch = molecules.train.batch(&[2, 7]);
        let BatchInput::Graphs {
            features,
            edges,
            node_graph,
            graphs,
            ..
        } = &batch.input
        else {
            panic!("graphs")
        };
        assert_eq!(*graphs, 2);
        assert_eq!(features.len(), node_graph.len() * 4);
        let n = node_graph.len() as u32;
        assert!(edges.iter().all(|&[a, b]| a < n && b < n));
        assert!(
            edges
                .iter()
                .all(|&[a, b]| node_graph[a as usize] == node_graph[b as usize])
        );

        let club = BuiltinDataset::KarateClub.generate(1);
        let batch = club.train.batch(&[0, 1]);
        let BatchInput::Nodes { targets, edges, .. } = &batch.input else {
            panic!("nodes")
        };
        assert_eq!(edges.len(), 78);
        assert_eq!(targets.len(), 2);
    }
}
