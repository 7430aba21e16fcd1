//! Data augmentation: pure, seeded functions that change a training [`Batch`] in place before
//! it is standardized, so the model sees a slightly different version of each sample at each
//! step. Everything here is plain data (no tensors), so the UI can offer, describe and preview
//! augmentations with the same code the worker runs.
//!
//! An [`AugmentConfig`] is a list of [`AugmentStep`]s; [`augment_batch`] applies them in order,
//! each to every sample of the batch with the step's probability. A step's `magnitude` runs
//! from 0 (the identity) to 1 (the strongest version this lab offers); what it means for each
//! augmentation is documented on [`Augmentation`].
//!
//! # Seeding
//! The worker draws the augmentation of training step `step` (counted from 0) from
//! [`augment_rng`]`(experiment.seed, step)`: one ChaCha stream for the seed
//! ([`Stream::Augment`]), positioned at a block reserved for that step. The same seed and step
//! always give the same augmented batch, whatever happened before, and [`preview`] uses the
//! same generator, so what the preview shows is exactly what training would see.

mod graph;
mod image;
mod sequence;

use super::data::{Batch, BatchInput, DataKind, Dataset, Mix, Samples};
use super::rng::{Rng, Stream, rng};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// The generator for the augmentation of training step `step` of a run seeded with `seed`.
///
/// Each step gets its own block of 2³² words of the seed's [`Stream::Augment`] stream, far
/// more than one batch draws, so steps never share random numbers.
pub fn augment_rng(seed: u64, step: u64) -> Rng {
    let mut generator = rng(seed, Stream::Augment);
    generator.set_word_pos(u128::from(step) << 32);
    generator
}

/// One augmentation. Its `magnitude` (0 to 1) is documented per variant; 0 always leaves the
/// sample unchanged. Geometric image transforms sample bilinearly and fill pixels from outside
/// the image with the nearest edge pixel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Augmentation {
    // Images.
    /// Mirrors left and right. Any magnitude above 0 flips.
    FlipHorizontal,
    /// Mirrors top and bottom. Any magnitude above 0 flips.
    FlipVertical,
    /// Turns by a random multiple of 90° (only 180° for images that are not square). Any
    /// magnitude above 0 turns.
    Rotate90,
    /// Turns by a random angle of up to ±180° × magnitude.
    Rotate,
    /// Shifts by up to ±25% × magnitude of the width and height.
    Translate,
    /// Zooms in or out about the centre by a factor of up to 1 ± 0.5 × magnitude.
    Scale,
    /// Crops a random part of 100% down to (100 − 75 × magnitude)% of the area, with an aspect
    /// ratio of up to (4/3)^±magnitude, and resizes it to the whole image.
    ResizedCrop,
    /// Bends the image with a smooth random displacement field of up to 10% × magnitude of its
    /// size.
    Elastic,
    /// Adds Gaussian noise of standard deviation 0.15 × magnitude, clipped to [0, 1].
    Noise,
    /// Gaussian blur of a random width (σ) of up to 2 × magnitude pixels.
    Blur,
    /// Adds up to ±0.3 × magnitude to every value, clipped to [0, 1].
    Brightness,
    /// Scales the distance of every value from the image's mean by 1 ± 0.5 × magnitude,
    /// clipped to [0, 1].
    Contrast,
    /// Raises values to a power of 2^±magnitude (gamma correction).
    Gamma,
    /// Erases (sets to 0) a square with sides of 50% × magnitude of the image's smaller side,
    /// centred on a random pixel (so partly outside the image at times).
    Cutout,
    /// Blends the image with another of the batch, and the labels with the same weights: the
    /// other image weighs up to 50% × magnitude. (At most one mixup step per configuration.)
    Mixup,
    // Sequences of letters.
    /// Reverses the sequence and swaps each base for its complement (A↔T/U, C↔G). Any
    /// magnitude above 0 applies it.
    ReverseComplement,
    /// Replaces each letter with another random letter at a rate of 20% × magnitude.
    Mutate,
    /// Masks each position (all channels 0, an unknown letter) at a rate of 25% × magnitude.
    MaskPositions,
    // Sequences of letters or numbers.
    /// Keeps a random stretch of 100% down to (100 − 50 × magnitude)% of the positions, moved
    /// to the start (the sequence gets shorter).
    Crop,
    /// Moves the sequence by up to ±25% × magnitude of its length; positions moved in are
    /// unknown letters (or repeat the edge value for numbers).
    Shift,
    // Numeric series.
    /// Adds Gaussian noise of 20% × magnitude of the series' standard deviation.
    Jitter,
    /// Multiplies each channel by a random factor of 1 ± 0.5 × magnitude.
    Scaling,
    /// Speeds up and slows down parts of the series smoothly (local speed of up to
    /// 2^±magnitude), keeping its length.
    TimeWarp,
    /// Takes a random window of 100% down to (100 − 50 × magnitude)% of the series and
    /// stretches it back to the whole length.
    WindowSlice,
    // Graphs.
    /// Removes each edge at a rate of 50% × magnitude.
    DropEdges,
    /// Removes each node (with its edges) at a rate of 50% × magnitude, keeping at least one.
    DropNodes,
    /// Sets each node's features to 0 at a rate of 50% × magnitude.
    MaskFeatures,
    /// Keeps a connected part of (100 − 50 × magnitude)% of the nodes grown from a random
    /// node.
    Subgraph,
}

/// The samples an augmentation makes sense for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fits {
    /// Images.
    Images,
    /// Sequences of nucleotides (an alphabet with a complement for every letter).
    NucleicSequences,
    /// Sequences of letters (one-hot, with an alphabet).
    LetterSequences,
    /// Sequences of letters or numbers.
    Sequences,
    /// Numeric series (sequences without an alphabet).
    NumericSeries,
    /// Graphs of a graph-classification dataset, and the one graph of node classification.
    GraphsOrNodes,
    /// Graphs of a graph-classification dataset.
    Graphs,
}

impl Fits {
    /// Whether samples of `kind` (with one-hot `alphabet`, for letter sequences) fit.
    pub fn admits(self, kind: DataKind, alphabet: Option<&str>) -> bool {
        match self {
            Fits::Images => kind == DataKind::Image,
            Fits::NucleicSequences => {
                kind == DataKind::Sequence && alphabet.is_some_and(sequence::is_nucleic)
            }
            Fits::LetterSequences => kind == DataKind::Sequence && alphabet.is_some(),
            Fits::Sequences => kind == DataKind::Sequence,
            Fits::NumericSeries => kind == DataKind::Sequence && alphabet.is_none(),
            Fits::GraphsOrNodes => matches!(kind, DataKind::Graph | DataKind::Node),
            Fits::Graphs => kind == DataKind::Graph,
        }
    }
}

/// One augmentation of the catalogue: what the UI, links and experiment files know about it.
/// What it does is documented on [`Augmentation`] and done by the module of its data type.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The augmentation.
    pub augmentation: Augmentation,
    /// A short stable identifier (the serialised name).
    pub id: &'static str,
    /// The name shown in the UI.
    pub title: &'static str,
    /// The samples it makes sense for.
    pub fits: Fits,
    /// In one line, what it assumes about the data (when it is wrong to use).
    pub assumes: &'static str,
}

/// Every augmentation, in menu order (also the order of [`Augmentation`]'s variants).
pub const CATALOGUE: [Row; 28] = [
    Row {
        augmentation: Augmentation::FlipHorizontal,
        id: "flip-horizontal",
        title: "Horizontal flip",
        fits: Fits::Images,
        assumes: "A mirror image is the same class: fine for cells or shapes, wrong for digits and text.",
    },
    Row {
        augmentation: Augmentation::FlipVertical,
        id: "flip-vertical",
        title: "Vertical flip",
        fits: Fits::Images,
        assumes: "An upside-down image is the same class: fine for cells and microscopy, wrong for digits, faces and scenes.",
    },
    Row {
        augmentation: Augmentation::Rotate90,
        id: "rotate90",
        title: "Rotation by 90° steps",
        fits: Fits::Images,
        assumes: "Orientation carries no meaning, as in microscopy; wrong for digits (6 and 9).",
    },
    Row {
        augmentation: Augmentation::Rotate,
        id: "rotate",
        title: "Rotation",
        fits: Fits::Images,
        assumes: "Small turns do not change the class; large ones only if orientation carries no meaning.",
    },
    Row {
        augmentation: Augmentation::Translate,
        id: "translate",
        title: "Translation",
        fits: Fits::Images,
        assumes: "Position does not matter and the object stays inside the image.",
    },
    Row {
        augmentation: Augmentation::Scale,
        id: "scale",
        title: "Scale",
        fits: Fits::Images,
        assumes: "Size does not decide the class.",
    },
    Row {
        augmentation: Augmentation::ResizedCrop,
        id: "resized-crop",
        title: "Random resized crop",
        fits: Fits::Images,
        assumes: "A large part of the image still shows the object; size does not decide the class.",
    },
    Row {
        augmentation: Augmentation::Elastic,
        id: "elastic",
        title: "Elastic deformation",
        fits: Fits::Images,
        assumes: "Shapes may bend a little, as cells and handwriting do; wrong where exact geometry matters.",
    },
    Row {
        augmentation: Augmentation::Noise,
        id: "noise",
        title: "Gaussian noise",
        fits: Fits::Images,
        assumes: "Fine detail at the noise level does not decide the class.",
    },
    Row {
        augmentation: Augmentation::Blur,
        id: "blur",
        title: "Blur",
        fits: Fits::Images,
        assumes: "Sharp edges and fine texture do not decide the class.",
    },
    Row {
        augmentation: Augmentation::Brightness,
        id: "brightness",
        title: "Brightness",
        fits: Fits::Images,
        assumes: "Overall brightness does not decide the class.",
    },
    Row {
        augmentation: Augmentation::Contrast,
        id: "contrast",
        title: "Contrast",
        fits: Fits::Images,
        assumes: "Contrast does not decide the class.",
    },
    Row {
        augmentation: Augmentation::Gamma,
        id: "gamma",
        title: "Gamma",
        fits: Fits::Images,
        assumes: "Exposure does not decide the class (the order of intensities is kept).",
    },
    Row {
        augmentation: Augmentation::Cutout,
        id: "cutout",
        title: "Cutout",
        fits: Fits::Images,
        assumes: "The class is still recognisable with a part hidden.",
    },
    Row {
        augmentation: Augmentation::Mixup,
        id: "mixup",
        title: "Mixup",
        fits: Fits::Images,
        assumes: "Blends of two images may carry blended labels; helps calibration, slows learning a little.",
    },
    Row {
        augmentation: Augmentation::ReverseComplement,
        id: "reverse-complement",
        title: "Reverse complement",
        fits: Fits::NucleicSequences,
        assumes: "The label does not depend on the strand read, as for binding motifs; wrong for strand-specific signals.",
    },
    Row {
        augmentation: Augmentation::Mutate,
        id: "mutate",
        title: "Point mutations",
        fits: Fits::LetterSequences,
        assumes: "A few changed letters do not change the class.",
    },
    Row {
        augmentation: Augmentation::MaskPositions,
        id: "mask-positions",
        title: "Position masking",
        fits: Fits::LetterSequences,
        assumes: "A few unknown letters do not change the class.",
    },
    Row {
        augmentation: Augmentation::Crop,
        id: "crop",
        title: "Random crop",
        fits: Fits::Sequences,
        assumes: "The part that decides the class survives the crop; wrong if it may sit at either end.",
    },
    Row {
        augmentation: Augmentation::Shift,
        id: "shift",
        title: "Random shift",
        fits: Fits::Sequences,
        assumes: "Where along the sequence a signal sits does not matter, and the edges carry nothing essential.",
    },
    Row {
        augmentation: Augmentation::Jitter,
        id: "jitter",
        title: "Jitter",
        fits: Fits::NumericSeries,
        assumes: "Small measurement noise does not change the class.",
    },
    Row {
        augmentation: Augmentation::Scaling,
        id: "scaling",
        title: "Scaling",
        fits: Fits::NumericSeries,
        assumes: "The amplitude does not decide the class.",
    },
    Row {
        augmentation: Augmentation::TimeWarp,
        id: "time-warp",
        title: "Time warping",
        fits: Fits::NumericSeries,
        assumes: "Local changes of speed do not change the class.",
    },
    Row {
        augmentation: Augmentation::WindowSlice,
        id: "window-slice",
        title: "Window slicing",
        fits: Fits::NumericSeries,
        assumes: "Most of the series is enough to decide, and the overall speed does not matter.",
    },
    Row {
        augmentation: Augmentation::DropEdges,
        id: "drop-edges",
        title: "Edge dropping",
        fits: Fits::GraphsOrNodes,
        assumes: "A few missing edges do not change the class.",
    },
    Row {
        augmentation: Augmentation::DropNodes,
        id: "drop-nodes",
        title: "Node dropping",
        fits: Fits::Graphs,
        assumes: "A few missing nodes do not change the class (wrong for small molecules where one atom matters).",
    },
    Row {
        augmentation: Augmentation::MaskFeatures,
        id: "mask-features",
        title: "Node-feature masking",
        fits: Fits::GraphsOrNodes,
        assumes: "Structure and the other nodes can make up for a hidden node.",
    },
    Row {
        augmentation: Augmentation::Subgraph,
        id: "subgraph",
        title: "Subgraph sampling",
        fits: Fits::Graphs,
        assumes: "A large connected part of the graph is enough to decide.",
    },
];

impl Augmentation {
    /// Every augmentation, in menu order.
    pub const ALL: [Augmentation; 28] = {
        let mut all = [Augmentation::FlipHorizontal; 28];
        let mut i = 0;
        while i < all.len() {
            all[i] = CATALOGUE[i].augmentation;
            i += 1;
        }
        all
    };

    /// The augmentation's row of the [`CATALOGUE`].
    pub fn row(self) -> &'static Row {
        &CATALOGUE[self as usize]
    }

    /// A short stable identifier (the serialised name).
    pub fn id(self) -> &'static str {
        self.row().id
    }

    /// The augmentation with identifier `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        CATALOGUE
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.augmentation)
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        self.row().title
    }

    /// In one line, what the augmentation assumes about the data (when it is wrong to use).
    pub fn assumes(self) -> &'static str {
        self.row().assumes
    }

    /// Whether the augmentation makes sense for samples of `kind`; `alphabet` is the one-hot
    /// alphabet of letter sequences (`None` for numeric series and other kinds).
    pub fn fits(self, kind: DataKind, alphabet: Option<&str>) -> bool {
        self.row().fits.admits(kind, alphabet)
    }

    /// The augmentations that fit samples of `kind` (see [`Augmentation::fits`]), in menu
    /// order.
    pub fn fitting(kind: DataKind, alphabet: Option<&str>) -> Vec<Augmentation> {
        Self::ALL
            .into_iter()
            .filter(|a| a.fits(kind, alphabet))
            .collect()
    }
}

/// One augmentation with how often and how strongly it is applied.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AugmentStep {
    /// What to do.
    pub augmentation: Augmentation,
    /// The chance (0 to 1) that a given sample gets it at a given step.
    pub probability: f32,
    /// How strongly (0 to 1; 0 leaves samples unchanged); see [`Augmentation`].
    pub magnitude: f32,
}

impl AugmentStep {
    /// A step of `augmentation` with `probability` and `magnitude`.
    pub fn new(augmentation: Augmentation, probability: f32, magnitude: f32) -> Self {
        Self {
            augmentation,
            probability,
            magnitude,
        }
    }

    /// Whether the step never changes anything.
    pub fn is_identity(&self) -> bool {
        self.probability <= 0.0 || self.magnitude <= 0.0
    }
}

/// A ready-made set of augmentations for one kind of data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// No augmentation.
    #[default]
    None,
    /// Mild changes that are safe for most data of the kind.
    Light,
    /// Many and larger changes, for small datasets that overfit.
    Strong,
}

impl Preset {
    /// Every preset, in menu order.
    pub const ALL: [Preset; 3] = [Preset::None, Preset::Light, Preset::Strong];

    /// A short stable identifier.
    pub fn id(self) -> &'static str {
        match self {
            Preset::None => "none",
            Preset::Light => "light",
            Preset::Strong => "strong",
        }
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            Preset::None => "None",
            Preset::Light => "Light",
            Preset::Strong => "Strong",
        }
    }

    /// The preset with identifier `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// The augmentations of an experiment, applied in order to each training batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct AugmentConfig {
    /// The steps, applied in this order.
    #[serde(default)]
    pub steps: Vec<AugmentStep>,
}

impl AugmentConfig {
    /// No augmentation.
    pub fn none() -> Self {
        Self::default()
    }

    /// The steps of `preset` for samples of `kind` (`alphabet` as for [`Augmentation::fits`]).
    /// Tables have no augmentations, so every preset is empty for them.
    pub fn preset(preset: Preset, kind: DataKind, alphabet: Option<&str>) -> Self {
        use Augmentation::*;
        let s = AugmentStep::new;
        let steps = match (preset, kind) {
            (Preset::None, _) | (_, DataKind::Table) => Vec::new(),
            (Preset::Light, DataKind::Image) => vec![
                s(Translate, 0.5, 0.2),
                s(Rotate, 0.3, 0.06),
                s(Brightness, 0.3, 0.3),
                s(Contrast, 0.3, 0.3),
            ],
            (Preset::Strong, DataKind::Image) => vec![
                s(FlipHorizontal, 0.5, 1.0),
                s(Rotate, 0.5, 0.15),
                s(ResizedCrop, 0.5, 0.4),
                s(Elastic, 0.3, 0.5),
                s(Brightness, 0.5, 0.5),
                s(Contrast, 0.5, 0.5),
                s(Gamma, 0.3, 0.5),
                s(Noise, 0.3, 0.3),
                s(Blur, 0.2, 0.3),
                s(Cutout, 0.3, 0.5),
                s(Mixup, 0.3, 0.6),
            ],
            (Preset::Light, DataKind::Sequence) if alphabet.is_some() => vec![
                s(Mutate, 0.5, 0.1),
                s(MaskPositions, 0.5, 0.1),
                s(Shift, 0.5, 0.1),
            ],
            (Preset::Strong, DataKind::Sequence) if alphabet.is_some() => {
                let mut steps = vec![
                    s(Mutate, 0.5, 0.25),
                    s(MaskPositions, 0.5, 0.25),
                    s(Shift, 0.5, 0.3),
                    s(Crop, 0.3, 0.3),
                ];
                if alphabet.is_some_and(sequence::is_nucleic) {
                    steps.insert(0, s(ReverseComplement, 0.5, 1.0));
                }
                steps
            }
            (Preset::Light, DataKind::Sequence) => {
                vec![s(Jitter, 0.5, 0.3), s(Scaling, 0.5, 0.2)]
            }
            (Preset::Strong, DataKind::Sequence) => vec![
                s(Jitter, 0.5, 0.5),
                s(Scaling, 0.5, 0.4),
                s(TimeWarp, 0.5, 0.4),
                s(WindowSlice, 0.3, 0.4),
                s(Shift, 0.3, 0.2),
            ],
            (Preset::Light, DataKind::Graph) => {
                vec![s(DropEdges, 0.5, 0.2), s(MaskFeatures, 0.3, 0.2)]
            }
            (Preset::Strong, DataKind::Graph) => vec![
                s(DropEdges, 0.5, 0.4),
                s(MaskFeatures, 0.5, 0.3),
                s(DropNodes, 0.3, 0.3),
                s(Subgraph, 0.3, 0.4),
            ],
            (Preset::Light, DataKind::Node) => vec![s(DropEdges, 0.5, 0.2)],
            (Preset::Strong, DataKind::Node) => {
                vec![s(DropEdges, 0.5, 0.4), s(MaskFeatures, 0.3, 0.3)]
            }
        };
        Self { steps }
    }

    /// Checks every probability and magnitude is a number from 0 to 1 and that mixup appears
    /// at most once; the message says which step is wrong and what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        for (i, step) in self.steps.iter().enumerate() {
            let name = step.augmentation.title();
            if !(0.0..=1.0).contains(&step.probability) {
                return Err(format!(
                    "Augmentation {} ({name}): probability {} is out of range: use 0 to 1.",
                    i + 1,
                    step.probability
                ));
            }
            if !(0.0..=1.0).contains(&step.magnitude) {
                return Err(format!(
                    "Augmentation {} ({name}): magnitude {} is out of range: use 0 to 1.",
                    i + 1,
                    step.magnitude
                ));
            }
        }
        let mixups = self
            .steps
            .iter()
            .filter(|s| s.augmentation == Augmentation::Mixup)
            .count();
        if mixups > 1 {
            return Err(format!(
                "Mixup appears {mixups} times: use it at most once."
            ));
        }
        Ok(())
    }

    /// Like [`AugmentConfig::validate`], and also checks that every step fits samples of
    /// `kind` (with `alphabet`).
    pub fn validate_for(&self, kind: DataKind, alphabet: Option<&str>) -> Result<(), String> {
        self.validate()?;
        match self
            .steps
            .iter()
            .find(|s| !s.augmentation.fits(kind, alphabet))
        {
            Some(step) => Err(format!(
                "{} does not apply to {}.",
                step.augmentation.title(),
                kind.title()
            )),
            None => Ok(()),
        }
    }

    /// Whether applying the configuration never changes a batch.
    pub fn is_identity(&self) -> bool {
        self.steps.iter().all(AugmentStep::is_identity)
    }

    /// The steps that fit samples of `kind` (the others are skipped when applied anyway).
    pub fn fitted(&self, kind: DataKind, alphabet: Option<&str>) -> Self {
        Self {
            steps: self
                .steps
                .iter()
                .filter(|s| s.augmentation.fits(kind, alphabet))
                .copied()
                .collect(),
        }
    }
}

/// What [`augment_batch`] needs to know about the data beyond the batch itself.
#[derive(Clone, Debug, PartialEq)]
pub struct AugmentContext {
    /// The kind of samples.
    pub kind: DataKind,
    /// The one-hot alphabet of letter sequences (`None` for numbers and other kinds).
    pub alphabet: Option<String>,
    /// The number of classes.
    pub classes: usize,
}

impl AugmentContext {
    /// The context of `samples` in `classes` classes.
    pub fn of_samples(samples: &Samples, classes: usize) -> Self {
        Self {
            kind: samples.kind(),
            alphabet: match samples {
                Samples::Sequences(set) => set.alphabet.clone(),
                _ => None,
            },
            classes,
        }
    }

    /// The context of `dataset`'s training samples.
    pub fn of(dataset: &Dataset) -> Self {
        Self::of_samples(&dataset.train, dataset.num_classes())
    }
}

/// Applies `config` to `batch` in place: each step in order, to each sample with the step's
/// probability. Steps that do not fit `context` (see [`Augmentation::fits`]) or are the
/// identity are skipped. The batch keeps every [`BatchInput`] invariant (shapes, lengths,
/// zero padding, valid edges); only mixup changes labels, by setting `batch.mix`.
///
/// Values must be as the dataset holds them (images in [0, 1]), before standardization.
pub fn augment_batch<R: rand::Rng + ?Sized>(
    config: &AugmentConfig,
    batch: &mut Batch,
    context: &AugmentContext,
    rng: &mut R,
) {
    let alphabet = context.alphabet.as_deref();
    for step in &config.steps {
        if step.is_identity() || !step.augmentation.fits(context.kind, alphabet) {
            continue;
        }
        let p = step.probability.min(1.0);
        let m = step.magnitude.min(1.0);
        if step.augmentation == Augmentation::Mixup {
            mixup(batch, p, m, rng);
            continue;
        }
        match &mut batch.input {
            BatchInput::Images { pixels, shape } => {
                image::apply(step.augmentation, p, m, pixels, *shape, rng)
            }
            BatchInput::Sequences {
                values,
                shape,
                lengths,
            } => sequence::apply(
                step.augmentation,
                p,
                m,
                values,
                *shape,
                lengths,
                alphabet,
                rng,
            ),
            BatchInput::Graphs {
                features,
                feature_dim,
                edges,
                bonds,
                node_graph,
                graphs,
            } => graph::apply_graphs(
                step.augmentation,
                p,
                m,
                features,
                *feature_dim,
                (edges, bonds),
                node_graph,
                *graphs,
                rng,
            ),
            BatchInput::Nodes {
                features,
                feature_dim,
                edges,
                ..
            } => graph::apply_nodes(step.augmentation, p, m, features, *feature_dim, edges, rng),
            BatchInput::Table { .. } => {}
        }
    }
}

/// Mixup on images: each sample, with probability `p`, is blended with a random sample of the
/// batch, which weighs `u × magnitude / 2` (u uniform in [0, 1]).
fn mixup<R: rand::Rng + ?Sized>(batch: &mut Batch, p: f32, m: f32, rng: &mut R) {
    let BatchInput::Images { pixels, shape } = &mut batch.input else {
        return;
    };
    let n = shape[0];
    let len = shape[1] * shape[2] * shape[3];
    if n == 0 || len == 0 {
        return;
    }
    let original = pixels.clone();
    let mut mix = batch.mix.take().unwrap_or_else(|| Mix {
        partner: batch.targets.clone(),
        weight: vec![1.0; n],
    });
    for i in 0..n {
        if !chance(rng, p) {
            continue;
        }
        let j = rng.random_range(0..n);
        let w = 1.0 - 0.5 * m * rng.random::<f32>();
        let other = &original[j * len..(j + 1) * len];
        for (v, &o) in pixels[i * len..(i + 1) * len].iter_mut().zip(other) {
            *v = (w * *v + (1.0 - w) * o).clamp(0.0, 1.0);
        }
        mix.partner[i] = batch.targets[j];
        mix.weight[i] = w;
    }
    batch.mix = Some(mix);
}

/// `true` with probability `p` (always draws one number, so the stream does not depend on `p`
/// being 0 or 1).
fn chance<R: rand::Rng + ?Sized>(rng: &mut R, p: f32) -> bool {
    rng.random::<f32>() < p
}

/// A uniform number in `[-1, 1)`.
fn signed<R: rand::Rng + ?Sized>(rng: &mut R) -> f32 {
    rng.random::<f32>() * 2.0 - 1.0
}

/// Adds `sigma` times a standard normal sample to each value (Box-Muller, both outputs of
/// each pair used), clipping to `range`.
fn add_noise<R: rand::Rng + ?Sized>(
    values: &mut [f32],
    sigma: f32,
    range: std::ops::RangeInclusive<f32>,
    rng: &mut R,
) {
    let (lo, hi) = (*range.start(), *range.end());
    for pair in values.chunks_mut(2) {
        let u1 = 1.0 - rng.random::<f32>(); // in (0, 1]
        let u2: f32 = rng.random();
        let radius = sigma * (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (std::f32::consts::TAU * u2).sin_cos();
        pair[0] = (pair[0] + radius * cos).clamp(lo, hi);
        if let Some(second) = pair.get_mut(1) {
            *second = (*second + radius * sin).clamp(lo, hi);
        }
    }
}

/// The samples at `indices` of `samples`, augmented as training would see them: entry `v` of
/// the result is the batch of those samples (in that order) after [`augment_batch`] with
/// [`augment_rng`]`(seed, v)`, i.e. what step `v` of a run seeded with `seed` would produce for
/// a batch of exactly these samples. Use [`split_batch`] to draw the samples one by one.
pub fn preview(
    config: &AugmentConfig,
    samples: &Samples,
    context: &AugmentContext,
    indices: &[usize],
    versions: usize,
    seed: u64,
) -> Vec<Batch> {
    let original = samples.batch(indices);
    (0..versions as u64)
        .map(|version| {
            let mut batch = original.clone();
            augment_batch(config, &mut batch, context, &mut augment_rng(seed, version));
            batch
        })
        .collect()
}

/// The samples of `batch` as one-sample batches, in order (with their part of `mix`).
/// Sequences keep the batch's padded length; a node-classification batch gives the whole
/// graph with one target each.
pub fn split_batch(batch: &Batch) -> Vec<Batch> {
    (0..batch.len())
        .map(|i| {
            let input = match &batch.input {
                BatchInput::Images { pixels, shape } => {
                    let len = shape[1] * shape[2] * shape[3];
                    BatchInput::Images {
                        pixels: pixels[i * len..(i + 1) * len].to_vec(),
                        shape: [1, shape[1], shape[2], shape[3]],
                    }
                }
                BatchInput::Sequences {
                    values,
                    shape,
                    lengths,
                } => {
                    let len = shape[1] * shape[2];
                    BatchInput::Sequences {
                        values: values[i * len..(i + 1) * len].to_vec(),
                        shape: [1, shape[1], shape[2]],
                        lengths: vec![lengths[i]],
                    }
                }
                BatchInput::Graphs {
                    features,
                    feature_dim,
                    edges,
                    bonds,
                    node_graph,
                    ..
                } => {
                    let nodes: Vec<usize> = (0..node_graph.len())
                        .filter(|&k| node_graph[k] as usize == i)
                        .collect();
                    let first = nodes.first().copied().unwrap_or(0) as u32;
                    let count = nodes.len() as u32;
                    let inside: Vec<usize> = (0..edges.len())
                        .filter(|&e| (first..first + count).contains(&edges[e][0]))
                        .collect();
                    BatchInput::Graphs {
                        features: nodes
                            .iter()
                            .flat_map(|&k| &features[k * feature_dim..(k + 1) * feature_dim])
                            .copied()
                            .collect(),
                        feature_dim: *feature_dim,
                        edges: inside
                            .iter()
                            .map(|&e| [edges[e][0] - first, edges[e][1] - first])
                            .collect(),
                        bonds: inside.iter().map(|&e| bonds[e]).collect(),
                        node_graph: vec![0; nodes.len()],
                        graphs: 1,
                    }
                }
                BatchInput::Nodes {
                    features,
                    feature_dim,
                    edges,
                    targets,
                } => BatchInput::Nodes {
                    features: features.clone(),
                    feature_dim: *feature_dim,
                    edges: edges.clone(),
                    targets: vec![targets[i]],
                },
                BatchInput::Table { values, shape } => BatchInput::Table {
                    values: values[i * shape[1]..(i + 1) * shape[1]].to_vec(),
                    shape: [1, shape[1]],
                },
            };
            Batch {
                input,
                targets: vec![batch.targets[i]],
                measured: batch.measured.as_ref().map(|m| vec![m[i]]),
                mix: batch.mix.as_ref().map(|mix| Mix {
                    partner: vec![mix.partner[i]],
                    weight: vec![mix.weight[i]],
                }),
                weights: batch.weights.as_ref().map(|w| vec![w[i]]),
            }
        })
        .collect()
}

/// Checks that `batch` keeps every [`BatchInput`] invariant augmentation must keep: sizes
/// that match the shape, images in [0, 1], sequence lengths within the padded time with zero
/// padding and one-hot (or all-zero) letters, graph edges once each between distinct existing
/// nodes of the same graph, every graph with at least one node, node targets that exist, and
/// mixup labels of the right size and range. The message says what is wrong.
pub fn check_batch(batch: &Batch, context: &AugmentContext) -> Result<(), String> {
    let n = batch.len();
    let check_edges = |edges: &[[u32; 2]], nodes: usize, graph: &dyn Fn(u32) -> u32| {
        let mut seen = std::collections::HashSet::new();
        for &[a, b] in edges {
            if a as usize >= nodes || b as usize >= nodes || a == b {
                return Err(format!("invalid edge {a}–{b} among {nodes} nodes"));
            }
            if graph(a) != graph(b) {
                return Err(format!("edge {a}–{b} joins two graphs"));
            }
            if !seen.insert((a.min(b), a.max(b))) {
                return Err(format!("edge {a}–{b} appears twice"));
            }
        }
        Ok(())
    };
    match &batch.input {
        BatchInput::Images { pixels, shape } => {
            if shape[0] != n || pixels.len() != shape.iter().product::<usize>() {
                return Err(format!("{} pixels for shape {shape:?}", pixels.len()));
            }
            if let Some(v) = pixels.iter().find(|v| !(0.0..=1.0).contains(*v)) {
                return Err(format!("pixel value {v} outside [0, 1]"));
            }
        }
        BatchInput::Sequences {
            values,
            shape,
            lengths,
        } => {
            let [rows, time, c] = *shape;
            if rows != n || lengths.len() != n || values.len() != rows * time * c {
                return Err(format!("{} values for shape {shape:?}", values.len()));
            }
            for (row, &length) in lengths.iter().enumerate() {
                if length > time {
                    return Err(format!("length {length} beyond time {time}"));
                }
                let sequence = &values[row * time * c..(row + 1) * time * c];
                if sequence[length * c..].iter().any(|&v| v != 0.0) {
                    return Err(format!("sequence {row} has non-zero padding"));
                }
                for position in sequence[..length * c].chunks_exact(c) {
                    if position.iter().any(|v| !v.is_finite()) {
                        return Err(format!("sequence {row} has a value that is not finite"));
                    }
                    let ones = position.iter().filter(|&&v| v == 1.0).count();
                    let zeros = position.iter().filter(|&&v| v == 0.0).count();
                    if context.alphabet.is_some() && (ones > 1 || ones + zeros != c) {
                        return Err(format!("sequence {row} has a position {position:?}"));
                    }
                }
            }
        }
        BatchInput::Graphs {
            features,
            feature_dim,
            edges,
            bonds,
            node_graph,
            graphs,
        } => {
            if bonds.len() != edges.len() {
                return Err(format!("{} bonds for {} edges", bonds.len(), edges.len()));
            }
            if *graphs != n || features.len() != node_graph.len() * feature_dim {
                return Err(format!(
                    "{} features for {} nodes of {feature_dim}",
                    features.len(),
                    node_graph.len()
                ));
            }
            if node_graph.windows(2).any(|w| w[0] > w[1]) {
                return Err("graph nodes are not in batch order".into());
            }
            for g in 0..*graphs as u32 {
                if !node_graph.contains(&g) {
                    return Err(format!("graph {g} has no nodes"));
                }
            }
            if node_graph.iter().any(|&g| g as usize >= *graphs) {
                return Err("a node belongs to no graph of the batch".into());
            }
            check_edges(edges, node_graph.len(), &|k| node_graph[k as usize])?;
        }
        BatchInput::Nodes {
            features,
            feature_dim,
            edges,
            targets,
        } => {
            let nodes = features.len() / (*feature_dim).max(1);
            if features.len() != nodes * feature_dim || targets.len() != n {
                return Err("node features or targets do not match".into());
            }
            if let Some(t) = targets.iter().find(|&&t| t as usize >= nodes) {
                return Err(format!("target node {t} among {nodes} nodes"));
            }
            check_edges(edges, nodes, &|_| 0)?;
        }
        BatchInput::Table { values, shape } => {
            if shape[0] != n || values.len() != shape[0] * shape[1] {
                return Err(format!("{} values for shape {shape:?}", values.len()));
            }
        }
    }
    let classes = context.classes as i64;
    if let Some(t) = batch.targets.iter().find(|&&t| !(0..classes).contains(&t)) {
        return Err(format!("target {t} outside {classes} classes"));
    }
    if let Some(mix) = &batch.mix {
        if mix.partner.len() != n || mix.weight.len() != n {
            return Err("mixup labels do not match the batch".into());
        }
        if let Some(t) = mix.partner.iter().find(|&&t| !(0..classes).contains(&t)) {
            return Err(format!("mixup partner {t} outside {classes} classes"));
        }
        if let Some(w) = mix.weight.iter().find(|w| !(0.5..=1.0).contains(*w)) {
            return Err(format!("mixup weight {w} outside [0.5, 1]"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
