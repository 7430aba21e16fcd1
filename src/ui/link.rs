//! The experiment in the URL fragment (`#v=1&d=dna&m=cnn1d&lr=0.01`): one table of keys
//! ([`KEYS`]), each with its short name, what it sets, and how it is written and read.
//! Values equal to the defaults are left out: a key is written only when it differs from what
//! reading the keys before it gives (a dataset brings its own default model). `v` names the
//! version of the table that wrote the link.

use crate::ml::augment::{AugmentConfig, AugmentStep, Augmentation};
use crate::ml::data::DataShape;
use crate::ml::experiment::{Compute, DatasetId, Experiment, OptimizerKind};
use crate::ml::label::QueryStrategy;
use crate::ml::models::{
    CellKind, ConvBlock, GnnKind, ModelConfig, ModelFamily, Padding, Pooling, Positions, Readout,
    TokenPooling,
};
use crate::ml::regression::RegressionLoss;
use crate::ui::state::Tab;
use std::str::FromStr;

/// The version of [`KEYS`] that [`encode`] writes. Version 0: a bare tab name (`#labeling`).
pub const VERSION: u32 = 1;

/// The most CPU threads a link or the Training panel asks for.
pub const MAX_CPU_THREADS: usize = 256;

/// What a link restores.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LinkState {
    pub experiment: Experiment,
    pub compute: Compute,
    /// The most threads a CPU run learns on (0: every core).
    pub cpu_threads: usize,
    pub tab: Tab,
}

/// A link that could not be read whole: the state with every bad value at its default, and
/// one message per value left out.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub state: LinkState,
    pub problems: Vec<String>,
}

/// Everything a URL fragment asks for, read once: the experiment (a link), a lesson, an
/// embedding. Links, lessons and embedding each read their own keys; this is the one place
/// the page reads the fragment as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Fragment {
    /// The experiment, compute and tab the link describes (defaults where it says nothing).
    pub link: Decoded,
    /// Whether the fragment holds an experiment (`v=…`), not only a lesson or a tab.
    pub has_experiment: bool,
    /// The lesson to open, and its step (counted from 0).
    pub lesson: Option<(String, usize)>,
    /// The embedding it asks for (`None`: the page is not embedded).
    pub embed: Option<crate::ui::embed::Embed>,
    /// What could not be read about the embedding.
    pub embed_problems: Vec<String>,
}

impl Fragment {
    /// Reads `fragment` (without the `#`).
    pub fn read(fragment: &str) -> Self {
        let (embed, embed_problems) = crate::ui::embed::Embed::from_fragment(fragment);
        Self {
            link: decode(fragment),
            has_experiment: fragment.split('&').any(|pair| pair.starts_with("v=")),
            lesson: crate::ui::lesson::from_fragment(fragment),
            embed,
            embed_problems,
        }
    }
}

/// One setting in the fragment.
struct Key {
    /// Its name in the fragment.
    name: &'static str,
    /// What it sets, as messages name it.
    title: &'static str,
    /// Its value in a state, or `None` where it does not apply (an RNN has no padding).
    write: fn(&LinkState) -> Option<String>,
    /// Sets it from the text of a link, or says why it cannot.
    read: fn(&mut LinkState, &str) -> Result<(), String>,
}

/// Every key, in the order links are written and read (the dataset before the model it
/// brings, the model family before its settings).
const KEYS: &[Key] = &[
    Key {
        name: "d",
        title: "Dataset",
        write: |s| Some(s.experiment.dataset.id().into()),
        read: |s, t| {
            let dataset = DatasetId::from_id(t).ok_or("there is no such dataset")?;
            s.experiment.dataset = dataset;
            if let DatasetId::Builtin(builtin) = dataset {
                s.experiment.model = ModelConfig::default_for_dataset(builtin);
            }
            s.experiment.augment = AugmentConfig::none();
            Ok(())
        },
    },
    Key {
        name: "lpc",
        title: "Labels per class",
        write: |s| Some(option_text(s.experiment.labeling.labels_per_class)),
        read: |s, t| {
            s.experiment.labeling.labels_per_class = match t {
                "all" => None,
                _ => Some(number(t)?),
            };
            Ok(())
        },
    },
    Key {
        name: "m",
        title: "Model",
        write: |s| Some(s.experiment.model.family().id().into()),
        read: |s, t| {
            let family = ModelFamily::from_id(t).ok_or("there is no such model")?;
            if family != s.experiment.model.family() {
                s.experiment.model = family.default_config();
            }
            Ok(())
        },
    },
    Key {
        name: "cb",
        title: "Conv blocks",
        write: |s| match &s.experiment.model {
            ModelConfig::Cnn(c) => Some(blocks_text(&c.blocks)),
            ModelConfig::Cnn1d(c) => Some(blocks_text(&c.blocks)),
            _ => None,
        },
        read: |s, t| {
            let blocks = read_blocks(t)?;
            match &mut s.experiment.model {
                ModelConfig::Cnn(c) => c.blocks = blocks,
                ModelConfig::Cnn1d(c) => c.blocks = blocks,
                _ => return Err(NOT_THIS_MODEL.into()),
            }
            Ok(())
        },
    },
    Key {
        name: "pad",
        title: "Padding",
        write: |s| match &s.experiment.model {
            ModelConfig::Cnn(c) => Some(c.padding.id().into()),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Cnn(c) => set(&mut c.padding, choice(Padding::from_id(t))),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "bn",
        title: "Batch normalisation",
        write: |s| match &s.experiment.model {
            ModelConfig::Cnn(c) => Some(flag_text(c.batch_norm)),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Cnn(c) => set(&mut c.batch_norm, flag(t)),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "cell",
        title: "Cell",
        write: |s| match &s.experiment.model {
            ModelConfig::Rnn(c) => Some(c.cell.id().into()),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Rnn(c) => set(&mut c.cell, choice(CellKind::from_id(t))),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "gnn",
        title: "GNN layer",
        write: |s| match &s.experiment.model {
            ModelConfig::Gnn(c) => Some(c.kind.id().into()),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Gnn(c) => set(&mut c.kind, choice(GnnKind::from_id(t))),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "l",
        title: "Layers",
        write: |s| match &s.experiment.model {
            ModelConfig::Rnn(c) => Some(c.layers.to_string()),
            ModelConfig::Gnn(c) => Some(c.layers.to_string()),
            ModelConfig::Transformer(c) => Some(c.layers.to_string()),
            _ => None,
        },
        read: |s, t| {
            let layers = number(t)?;
            match &mut s.experiment.model {
                ModelConfig::Rnn(c) => c.layers = layers,
                ModelConfig::Gnn(c) => c.layers = layers,
                ModelConfig::Transformer(c) => c.layers = layers,
                _ => return Err(NOT_THIS_MODEL.into()),
            }
            Ok(())
        },
    },
    Key {
        name: "h",
        title: "Hidden units",
        write: |s| match &s.experiment.model {
            ModelConfig::Rnn(c) => Some(c.hidden.to_string()),
            ModelConfig::Gnn(c) => Some(c.hidden.to_string()),
            ModelConfig::Mlp(c) => Some(
                c.hidden
                    .iter()
                    .map(|h| h.to_string())
                    .collect::<Vec<_>>()
                    .join("_"),
            ),
            _ => None,
        },
        read: |s, t| {
            match &mut s.experiment.model {
                ModelConfig::Rnn(c) => c.hidden = number(t)?,
                ModelConfig::Gnn(c) => c.hidden = number(t)?,
                ModelConfig::Mlp(c) => {
                    c.hidden = t
                        .split('_')
                        .filter(|w| !w.is_empty())
                        .map(number)
                        .collect::<Result<_, _>>()?
                }
                _ => return Err(NOT_THIS_MODEL.into()),
            }
            Ok(())
        },
    },
    Key {
        name: "bi",
        title: "Bidirectional",
        write: |s| match &s.experiment.model {
            ModelConfig::Rnn(c) => Some(flag_text(c.bidirectional)),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Rnn(c) => set(&mut c.bidirectional, flag(t)),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "pool",
        title: "Pooling",
        write: |s| match &s.experiment.model {
            ModelConfig::Rnn(c) => Some(c.pooling.id().into()),
            ModelConfig::Gnn(c) => Some(c.readout.id().into()),
            ModelConfig::Transformer(c) => Some(c.pooling.id().into()),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Rnn(c) => set(&mut c.pooling, choice(Pooling::from_id(t))),
            ModelConfig::Gnn(c) => set(&mut c.readout, choice(Readout::from_id(t))),
            ModelConfig::Transformer(c) => set(&mut c.pooling, choice(TokenPooling::from_id(t))),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "kmer",
        title: "Positions per token",
        write: |s| match &s.experiment.model {
            ModelConfig::Transformer(c) => Some(c.kmer.to_string()),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Transformer(c) => set(&mut c.kmer, number(t)),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "stride",
        title: "Step between tokens",
        write: |s| match &s.experiment.model {
            ModelConfig::Transformer(c) => Some(c.stride.to_string()),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Transformer(c) => set(&mut c.stride, number(t)),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "pos",
        title: "Positions",
        write: |s| match &s.experiment.model {
            ModelConfig::Transformer(c) => Some(c.positions.id().into()),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Transformer(c) => set(&mut c.positions, choice(Positions::from_id(t))),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "heads",
        title: "Attention heads",
        write: |s| match &s.experiment.model {
            ModelConfig::Transformer(c) => Some(c.heads.to_string()),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Transformer(c) => set(&mut c.heads, number(t)),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "w",
        title: "Model width",
        write: |s| match &s.experiment.model {
            ModelConfig::Transformer(c) => Some(c.width.to_string()),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Transformer(c) => set(&mut c.width, number(t)),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "ff",
        title: "Feed-forward width",
        write: |s| match &s.experiment.model {
            ModelConfig::Transformer(c) => Some(c.feed_forward.to_string()),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Transformer(c) => set(&mut c.feed_forward, number(t)),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "pre",
        title: "Pre-norm",
        write: |s| match &s.experiment.model {
            ModelConfig::Transformer(c) => Some(flag_text(c.pre_norm)),
            _ => None,
        },
        read: |s, t| match &mut s.experiment.model {
            ModelConfig::Transformer(c) => set(&mut c.pre_norm, flag(t)),
            _ => Err(NOT_THIS_MODEL.into()),
        },
    },
    Key {
        name: "act",
        title: "Activation",
        write: |s| match &s.experiment.model {
            ModelConfig::Cnn(c) => Some(c.activation.id().into()),
            ModelConfig::Cnn1d(c) => Some(c.activation.id().into()),
            ModelConfig::Gnn(c) => Some(c.activation.id().into()),
            ModelConfig::Mlp(c) => Some(c.activation.id().into()),
            ModelConfig::Rnn(_) | ModelConfig::Transformer(_) => None,
        },
        read: |s, t| {
            let activation =
                crate::ml::models::Activation::from_id(t).ok_or("there is no such activation")?;
            match &mut s.experiment.model {
                ModelConfig::Cnn(c) => c.activation = activation,
                ModelConfig::Cnn1d(c) => c.activation = activation,
                ModelConfig::Gnn(c) => c.activation = activation,
                ModelConfig::Mlp(c) => c.activation = activation,
                ModelConfig::Rnn(_) | ModelConfig::Transformer(_) => {
                    return Err(NOT_THIS_MODEL.into());
                }
            }
            Ok(())
        },
    },
    Key {
        name: "dr",
        title: "Dropout",
        write: |s| Some(s.experiment.model.dropout().to_string()),
        read: |s, t| {
            let p: f64 = number(t)?;
            if !(0.0..=0.9).contains(&p) {
                return Err("use 0 to 0.9".into());
            }
            match &mut s.experiment.model {
                ModelConfig::Cnn(c) => c.dropout = p,
                ModelConfig::Cnn1d(c) => c.dropout = p,
                ModelConfig::Rnn(c) => c.dropout = p,
                ModelConfig::Gnn(c) => c.dropout = p,
                ModelConfig::Mlp(c) => c.dropout = p,
                ModelConfig::Transformer(c) => c.dropout = p,
            }
            Ok(())
        },
    },
    Key {
        name: "o",
        title: "Optimizer",
        write: |s| Some(s.experiment.optimizer.id().into()),
        read: |s, t| {
            s.experiment.optimizer =
                OptimizerKind::from_id(t).ok_or("there is no such optimizer")?;
            Ok(())
        },
    },
    Key {
        name: "loss",
        title: "Loss",
        write: |s| Some(s.experiment.regression_loss.id()),
        read: |s, t| {
            s.experiment.regression_loss =
                RegressionLoss::from_id(t).ok_or("there is no such loss")?;
            Ok(())
        },
    },
    Key {
        name: "lr",
        title: "Learning rate",
        write: |s| Some(s.experiment.learning_rate.to_string()),
        read: |s, t| set(&mut s.experiment.learning_rate, number(t)),
    },
    Key {
        name: "bs",
        title: "Batch size",
        write: |s| Some(s.experiment.batch_size.to_string()),
        read: |s, t| set(&mut s.experiment.batch_size, number(t)),
    },
    Key {
        name: "s",
        title: "Seed",
        write: |s| Some(s.experiment.seed.to_string()),
        read: |s, t| set(&mut s.experiment.seed, number(t)),
    },
    Key {
        name: "a",
        title: "Augmentation",
        write: |s| {
            Some(
                s.experiment
                    .augment
                    .steps
                    .iter()
                    .map(|a| format!("{}:{}:{}", a.augmentation.id(), a.probability, a.magnitude))
                    .collect::<Vec<_>>()
                    .join(","),
            )
        },
        read: |s, t| {
            let steps = t
                .split(',')
                .filter(|step| !step.is_empty())
                .map(|step| {
                    let parts: Vec<&str> = step.split(':').collect();
                    let [id, probability, magnitude] = parts[..] else {
                        return Err(format!("`{step}` is not name:probability:magnitude"));
                    };
                    let augmentation = Augmentation::from_id(id)
                        .ok_or_else(|| format!("there is no augmentation `{id}`"))?;
                    Ok(AugmentStep::new(
                        augmentation,
                        number(probability)?,
                        number(magnitude)?,
                    ))
                })
                .collect::<Result<Vec<_>, String>>()?;
            s.experiment.augment = AugmentConfig { steps };
            Ok(())
        },
    },
    Key {
        name: "q",
        title: "Query strategy",
        write: |s| Some(s.experiment.labeling.strategy.id().into()),
        read: |s, t| {
            s.experiment.labeling.strategy =
                QueryStrategy::from_id(t).ok_or("there is no such strategy")?;
            Ok(())
        },
    },
    Key {
        name: "re",
        title: "Retrain after",
        write: |s| Some(s.experiment.labeling.retrain_every.to_string()),
        read: |s, t| set(&mut s.experiment.labeling.retrain_every, number(t)),
    },
    Key {
        name: "th",
        title: "Confidence threshold",
        write: |s| Some(s.experiment.labeling.threshold.to_string()),
        read: |s, t| set(&mut s.experiment.labeling.threshold, number(t)),
    },
    Key {
        name: "bal",
        title: "Class-balanced proposals",
        write: |s| Some(flag_text(s.experiment.labeling.class_balanced)),
        read: |s, t| set(&mut s.experiment.labeling.class_balanced, flag(t)),
    },
    Key {
        name: "pw",
        title: "Pseudo-label weight",
        write: |s| Some(s.experiment.labeling.pseudo_weight.to_string()),
        read: |s, t| set(&mut s.experiment.labeling.pseudo_weight, number(t)),
    },
    Key {
        name: "probe",
        title: "Train the head only",
        write: |s| Some(flag_text(s.experiment.head_only)),
        read: |s, t| set(&mut s.experiment.head_only, flag(t)),
    },
    Key {
        name: "fm",
        title: "Consistency training",
        write: |s| Some(flag_text(s.experiment.labeling.consistency)),
        read: |s, t| set(&mut s.experiment.labeling.consistency, flag(t)),
    },
    Key {
        name: "fmw",
        title: "Unlabeled loss weight",
        write: |s| Some(s.experiment.labeling.consistency_weight.to_string()),
        read: |s, t| set(&mut s.experiment.labeling.consistency_weight, number(t)),
    },
    Key {
        name: "ur",
        title: "Unlabeled per labeled",
        write: |s| Some(s.experiment.labeling.unlabeled_ratio.to_string()),
        read: |s, t| set(&mut s.experiment.labeling.unlabeled_ratio, number(t)),
    },
    Key {
        name: "c",
        title: "Compute",
        write: |s| Some(s.compute.id().into()),
        read: |s, t| {
            s.compute = Compute::from_id(t).ok_or("use auto, webgpu or cpu")?;
            Ok(())
        },
    },
    Key {
        name: "ct",
        title: "CPU threads",
        write: |s| (s.cpu_threads != 0).then(|| s.cpu_threads.to_string()),
        read: |s, t| {
            s.cpu_threads = t
                .parse()
                .ok()
                .filter(|n| (1..=MAX_CPU_THREADS).contains(n))
                .ok_or(format!("use a whole number from 1 to {MAX_CPU_THREADS}"))?;
            Ok(())
        },
    },
    Key {
        name: "t",
        title: "Tab",
        write: |s| Some(s.tab.id().into()),
        read: |s, t| {
            s.tab = Tab::from_id(t).ok_or("there is no such tab")?;
            Ok(())
        },
    },
];

const NOT_THIS_MODEL: &str = "the link's model has no such setting";

/// Keys a fragment may hold beside the experiment (lessons and embedding read them).
const OTHER_KEYS: [&str; 6] = ["lesson", "step", "embed", "ro", "autostart", "origins"];

/// The fragment for `state`: `v` first, then every key whose value differs from its default.
pub fn encode(state: &LinkState) -> String {
    let mut written = LinkState::default();
    let mut pairs = vec![format!("v={VERSION}")];
    for key in KEYS {
        let Some(value) = (key.write)(state) else {
            continue;
        };
        if (key.write)(&written).as_ref() != Some(&value) {
            (key.read)(&mut written, &value).expect("a written value reads back");
            pairs.push(format!("{}={}", key.name, escape(&value)));
        }
    }
    pairs.join("&")
}

/// Reads a fragment (without its `#`). Each value that is unknown, not a number, out of range
/// or unfit for the data is left at its default and named in a message; the rest is kept.
pub fn decode(fragment: &str) -> Decoded {
    let mut state = LinkState::default();
    let mut problems = Vec::new();
    if let Some(tab) = Tab::from_id(fragment) {
        // Version 0: a link to a tab.
        state.tab = tab;
        return Decoded { state, problems };
    }
    let mut values: Vec<(&str, String)> = Vec::new();
    for pair in fragment.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = unescape(value);
        match name {
            "v" => match value.parse::<u32>() {
                Ok(v) if v <= VERSION => {}
                Ok(v) => problems.push(format!(
                    "This link was made by a newer Petri (link version {v}, this page reads up to {VERSION}): settings it does not know are left at their defaults."
                )),
                Err(_) => problems.push(format!("The link's version `{value}` is not a number.")),
            },
            _ if OTHER_KEYS.contains(&name) => {}
            _ if KEYS.iter().any(|k| k.name == name) => {
                values.retain(|(n, _)| *n != name);
                values.push((name, value));
            }
            _ => problems.push(format!("The link's setting `{name}` is unknown: left out.")),
        }
    }
    for key in KEYS {
        let Some((_, value)) = values.iter().find(|(n, _)| *n == key.name) else {
            continue;
        };
        let mut next = state.clone();
        let read = (key.read)(&mut next, value).and_then(|()| check(&next.experiment));
        match read {
            Ok(()) => state = next,
            Err(why) => problems.push(format!(
                "The link's {} `{}={value}` cannot be used ({why}): using {} instead.",
                key.title.to_lowercase(),
                key.name,
                (key.write)(&state).map_or("the default".into(), |d| format!("`{d}`"))
            )),
        }
    }
    Decoded { state, problems }
}

/// Whether an experiment can run: its settings in range, its model built for its built-in
/// dataset, its augmentations fit for the data.
fn check(experiment: &Experiment) -> Result<(), String> {
    experiment.validate_settings()?;
    if let DatasetId::Builtin(dataset) = experiment.dataset {
        let shape: DataShape = dataset.shape();
        experiment
            .model
            .summary(&shape, dataset.class_names().len())?;
        experiment
            .augment
            .validate_for(dataset.kind(), dataset.alphabet())?;
    }
    Ok(())
}

/// Sets `slot` to `value` when it was read.
fn set<T>(slot: &mut T, value: Result<T, String>) -> Result<(), String> {
    *slot = value?;
    Ok(())
}

fn number<T: FromStr>(text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of the right kind"))
}

fn flag(text: &str) -> Result<bool, String> {
    match text {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err("use 1 or 0".into()),
    }
}

fn flag_text(on: bool) -> String {
    if on { "1" } else { "0" }.into()
}

fn option_text(n: Option<usize>) -> String {
    n.map_or("all".into(), |n| n.to_string())
}

/// A choice read by its id, or why not.
fn choice<T>(value: Option<T>) -> Result<T, String> {
    value.ok_or_else(|| "it is not one of the choices".into())
}

/// Conv blocks as `8k3p_16k3`: channels, `k` and the kernel, `p` when a pooling follows.
fn blocks_text(blocks: &[ConvBlock]) -> String {
    blocks
        .iter()
        .map(|b| {
            format!(
                "{}k{}{}",
                b.channels,
                b.kernel,
                if b.pool { "p" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("_")
}

fn read_blocks(text: &str) -> Result<Vec<ConvBlock>, String> {
    text.split('_')
        .map(|block| {
            let (channels, rest) = block
                .split_once('k')
                .ok_or_else(|| format!("`{block}` is not channels k kernel (8k3p)"))?;
            let (kernel, pool) = match rest.strip_suffix('p') {
                Some(kernel) => (kernel, true),
                None => (rest, false),
            };
            Ok(ConvBlock {
                channels: number(channels)?,
                kernel: number(kernel)?,
                pool,
            })
        })
        .collect()
}

/// Percent-encodes what would break the fragment's `&` and `=` structure (and anything not
/// plain ASCII).
fn escape(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b',' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%')
            .then(|| value.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_is_read_once_for_link_lesson_and_embedding() {
        let read = Fragment::read("lesson=cnn-images&step=2&embed=training&d=dna-motif&v=1");
        assert_eq!(read.lesson, Some(("cnn-images".to_string(), 1)));
        assert!(read.has_experiment);
        assert!(read.embed.is_some());
        assert!(read.link.problems.is_empty(), "{:?}", read.link.problems);
        let lesson_only = Fragment::read("lesson=cnn-images");
        assert!(!lesson_only.has_experiment && lesson_only.embed.is_none());
        assert_eq!(lesson_only.lesson, Some(("cnn-images".to_string(), 0)));
    }

    use crate::ml::augment::Preset;
    use crate::ml::data::BuiltinDataset;
    use crate::ml::models::{Activation, Cnn1dConfig, CnnConfig, GnnConfig, MlpConfig, RnnConfig};

    fn state(dataset: BuiltinDataset, model: ModelConfig) -> LinkState {
        LinkState {
            experiment: Experiment {
                dataset: dataset.into(),
                model,
                ..Experiment::default()
            },
            ..LinkState::default()
        }
    }

    fn round_trip(state: &LinkState) {
        let text = encode(state);
        let back = decode(&text);
        assert_eq!(back.problems, Vec::<String>::new(), "{text}");
        assert_eq!(&back.state, state, "{text}");
    }

    #[test]
    fn the_default_is_the_version_alone() {
        assert_eq!(encode(&LinkState::default()), "v=1");
        assert_eq!(decode("").state, LinkState::default());
    }

    #[test]
    fn every_setting_round_trips() {
        // Every key away from its default, for each model family.
        let mut cnn = state(
            BuiltinDataset::Shapes,
            ModelConfig::Cnn(CnnConfig {
                blocks: vec![
                    ConvBlock {
                        channels: 4,
                        kernel: 5,
                        pool: true,
                    },
                    ConvBlock {
                        channels: 12,
                        kernel: 3,
                        pool: false,
                    },
                ],
                padding: crate::ml::models::Padding::Same,
                activation: Activation::Gelu,
                batch_norm: true,
                dropout: 0.25,
            }),
        );
        let e = &mut cnn.experiment;
        e.optimizer = OptimizerKind::SgdMomentum;
        e.learning_rate = 0.0125;
        e.regression_loss = RegressionLoss::Huber { delta: 0.5 };
        e.batch_size = 48;
        e.seed = 1234567;
        e.augment = AugmentConfig::preset(Preset::Strong, crate::ml::data::DataKind::Image, None);
        e.labeling.labels_per_class = Some(7);
        e.labeling.strategy = QueryStrategy::ALL[QueryStrategy::ALL.len() - 1];
        e.labeling.retrain_every = 9;
        e.labeling.threshold = 0.8;
        e.labeling.class_balanced = true;
        e.labeling.pseudo_weight = 0.3;
        e.labeling.consistency = true;
        e.labeling.consistency_weight = 2.5;
        e.labeling.unlabeled_ratio = 5;
        e.head_only = true;
        cnn.compute = Compute::Cpu;
        cnn.cpu_threads = 3;
        cnn.tab = Tab::Explain;
        round_trip(&cnn);

        let dna = BuiltinDataset::ALL
            .into_iter()
            .find(|d| d.alphabet().is_some())
            .expect("a DNA dataset");
        round_trip(&state(
            dna,
            ModelConfig::Rnn(RnnConfig {
                cell: crate::ml::models::CellKind::Lstm,
                layers: 2,
                hidden: 24,
                bidirectional: true,
                pooling: crate::ml::models::Pooling::Mean,
                dropout: 0.1,
            }),
        ));
        round_trip(&state(
            dna,
            ModelConfig::Cnn1d(Cnn1dConfig {
                blocks: vec![ConvBlock {
                    channels: 16,
                    kernel: 7,
                    pool: false,
                }],
                activation: Activation::Tanh,
                dropout: 0.2,
            }),
        ));
        round_trip(&state(
            dna,
            ModelConfig::Transformer(crate::ml::models::TransformerConfig {
                kmer: 5,
                stride: 3,
                positions: Positions::Learned,
                layers: 3,
                heads: 2,
                width: 24,
                feed_forward: 48,
                dropout: 0.2,
                pre_norm: false,
                pooling: TokenPooling::Mean,
            }),
        ));
        for dataset in BuiltinDataset::ALL {
            let mut s = state(dataset, ModelConfig::default_for_dataset(dataset));
            s.experiment.augment =
                AugmentConfig::preset(Preset::Light, dataset.kind(), dataset.alphabet());
            match &mut s.experiment.model {
                ModelConfig::Gnn(c) => {
                    *c = GnnConfig {
                        kind: crate::ml::models::GnnKind::Gin,
                        layers: 3,
                        hidden: 20,
                        activation: Activation::Gelu,
                        dropout: 0.3,
                        readout: crate::ml::models::Readout::Max,
                    }
                }
                ModelConfig::Mlp(c) => {
                    *c = MlpConfig {
                        hidden: vec![],
                        activation: Activation::Tanh,
                        dropout: 0.0,
                    }
                }
                _ => {}
            }
            round_trip(&s);
        }
        let mut tabs = LinkState::default();
        for tab in Tab::ALL {
            for compute in Compute::ALL {
                tabs.tab = tab;
                tabs.compute = compute;
                round_trip(&tabs);
            }
        }
    }

    #[test]
    fn links_are_short_and_leave_defaults_out() {
        let mut s = LinkState::default();
        s.experiment.learning_rate = 0.01;
        s.tab = Tab::Labeling;
        assert_eq!(encode(&s), "v=1&lr=0.01&t=labeling");
        // A dataset's own default model is not written.
        let dna = BuiltinDataset::ALL
            .into_iter()
            .find(|d| d.alphabet().is_some())
            .unwrap();
        let s = state(dna, ModelConfig::default_for_dataset(dna));
        assert_eq!(encode(&s), format!("v=1&d={}", dna.id()));
    }

    #[test]
    fn every_bad_value_gives_its_default_and_a_message() {
        let cases = [
            ("d=nope", "dataset"),
            ("lpc=0", "labels per class"),
            ("lpc=x", "labels per class"),
            ("m=gnn", "model"),
            ("m=transformer", "model"),
            ("cb=8k3p_zz", "conv blocks"),
            ("cb=999k3", "conv blocks"),
            ("cb=8k3p_8k3p_8k3p_8k3p_8k3p", "conv blocks"),
            ("pad=round", "padding"),
            ("bn=yes", "batch normalisation"),
            ("cell=lstm", "cell"),
            ("gnn=gin", "gnn layer"),
            ("l=2", "layers"),
            ("h=10", "hidden units"),
            ("bi=1", "bidirectional"),
            ("pool=mean", "pooling"),
            ("act=sigmoid", "activation"),
            ("dr=0.95", "dropout"),
            ("o=lbfgs", "optimizer"),
            ("lr=abc", "learning rate"),
            ("lr=5", "learning rate"),
            ("lr=-1", "learning rate"),
            ("bs=0", "batch size"),
            ("bs=99999", "batch size"),
            ("s=-3", "seed"),
            ("a=spin:1:1", "augmentation"),
            ("a=rotate:2:0.1", "augmentation"),
            ("a=reverse-complement:0.5:1", "augmentation"),
            ("a=rotate", "augmentation"),
            ("q=psychic", "query strategy"),
            ("re=0", "retrain after"),
            ("th=0.1", "confidence threshold"),
            ("bal=2", "class-balanced proposals"),
            ("pw=9", "pseudo-label weight"),
            ("fm=on", "consistency training"),
            ("fmw=99", "unlabeled loss weight"),
            ("ur=0", "unlabeled per labeled"),
            ("c=tpu", "compute"),
            ("ct=0", "cpu threads"),
            ("ct=two", "cpu threads"),
            ("t=settings", "tab"),
        ];
        for (fragment, title) in cases {
            // Another setting beside the bad one is kept.
            let (other, set_other): (&str, fn(&mut Experiment)) = if fragment.starts_with("lr=") {
                ("bs=48", |e| e.batch_size = 48)
            } else {
                ("lr=0.02", |e| e.learning_rate = 0.02)
            };
            let decoded = decode(&format!("v=1&{fragment}&{other}"));
            assert_eq!(
                decoded.problems.len(),
                1,
                "{fragment}: {:?}",
                decoded.problems
            );
            assert!(
                decoded.problems[0].contains(title) && decoded.problems[0].contains(fragment),
                "{fragment}: {}",
                decoded.problems[0]
            );
            let mut expected = LinkState::default();
            set_other(&mut expected.experiment);
            assert_eq!(decoded.state, expected, "{fragment}: the rest is kept");
        }
        let unknown = decode("v=1&zz=1&lr=0.02");
        assert!(unknown.problems[0].contains("`zz` is unknown"));
        assert_eq!(unknown.state.experiment.learning_rate, 0.02);
        assert!(decode("v=9&lr=0.02").problems[0].contains("newer Petri"));
        assert!(decode("v=x").problems[0].contains("version"));
    }

    #[test]
    fn old_links_still_load() {
        // Version 0 named a tab only.
        for tab in Tab::ALL {
            assert_eq!(
                decode(tab.id()),
                Decoded {
                    state: LinkState {
                        tab,
                        ..LinkState::default()
                    },
                    problems: vec![],
                }
            );
        }
        // Version 1 without its `v`, and with keys lessons and embedding use.
        let decoded = decode("d=dna-motif&lesson=rnn&step=2&embed=training&ro=1&autostart=1");
        assert!(decoded.problems.is_empty(), "{:?}", decoded.problems);
    }

    #[test]
    fn values_with_separators_are_escaped() {
        assert_eq!(unescape(&escape("a&b=c %d/é")), "a&b=c %d/é");
        assert_eq!(
            escape("rotate:0.5:0.1,noise:1:0.2"),
            "rotate:0.5:0.1,noise:1:0.2"
        );
    }
}
