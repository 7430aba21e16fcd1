//! Native training speed on Flex for each model family, the figures the browser numbers are
//! compared with. Prints one line per workload: `native-flex <workload> <samples/s>`.
//! For the CNN, 1-D CNN, GRU and GIN workloads it also prints what augmenting a batch costs next to
//! a training step: `augment-native <workload> <preset> <ms per batch> ...` (lines the report
//! script skips).
//!
//! `cargo run --release --bin bench -- [seconds per workload]`

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn main() {
    native::main();
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn main() {}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
mod native {
    use burn::prelude::Device;
    use petri::ml::augment::{AugmentConfig, AugmentContext, Preset, augment_batch, augment_rng};
    use petri::ml::data::{BuiltinDataset, Dataset};
    use petri::ml::experiment::Experiment;
    use petri::ml::models::{CellKind, ModelConfig, RnnConfig};
    use petri::ml::session::Session;
    use std::sync::Arc;
    use std::time::Instant;

    /// The workloads the bench measures everywhere: name, dataset, model, batch size.
    pub fn workloads() -> Vec<(&'static str, BuiltinDataset, ModelConfig, usize)> {
        let default = |d: BuiltinDataset| ModelConfig::default_for_dataset(d);
        vec![
            (
                "cnn",
                BuiltinDataset::Shapes,
                default(BuiltinDataset::Shapes),
                128,
            ),
            (
                "cnn1d",
                BuiltinDataset::DnaMotif,
                default(BuiltinDataset::DnaMotif),
                32,
            ),
            (
                "lstm",
                BuiltinDataset::DnaMotif,
                ModelConfig::Rnn(RnnConfig {
                    cell: CellKind::Lstm,
                    ..RnnConfig::default()
                }),
                32,
            ),
            (
                "gru",
                BuiltinDataset::Waveforms,
                default(BuiltinDataset::Waveforms),
                32,
            ),
            (
                "gin",
                BuiltinDataset::Molecules,
                default(BuiltinDataset::Molecules),
                32,
            ),
            (
                "gcn-nodes",
                BuiltinDataset::Communities,
                default(BuiltinDataset::Communities),
                32,
            ),
        ]
    }

    pub fn main() {
        let seconds: f64 = std::env::args()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(3.0);
        for (name, dataset, model, batch_size) in workloads() {
            let experiment = Experiment {
                dataset: dataset.into(),
                model,
                batch_size,
                ..Experiment::default()
            };
            let data = Arc::new(dataset.generate(experiment.seed));
            let mut session =
                Session::new(&experiment, data.clone(), &Device::flex()).expect("the model builds");
            for _ in 0..3 {
                session.train_step();
            }
            pollster::block_on(session.read_train_metrics()).expect("warm-up metrics");
            let start = Instant::now();
            let mut steps = 0;
            while start.elapsed().as_secs_f64() < seconds {
                for _ in 0..5 {
                    session.train_step();
                }
                pollster::block_on(session.read_train_metrics()).expect("metrics");
                steps += 5;
            }
            let elapsed = start.elapsed().as_secs_f64();
            println!(
                "native-flex {name} {:.0}  # {steps} steps of batch {batch_size}",
                (steps * batch_size) as f64 / elapsed
            );
            if ["cnn", "cnn1d", "gru", "gin"].contains(&name) {
                let step_ms = 1000.0 * elapsed / steps as f64;
                for preset in [Preset::Light, Preset::Strong] {
                    let ms = augment_ms(&data, preset, batch_size, seconds / 3.0);
                    println!(
                        "augment-native {name} {} {ms:.3} ms/batch  # training step {step_ms:.1} ms/batch ({:.1}%)",
                        preset.id(),
                        100.0 * ms / step_ms
                    );
                }
            }
        }
    }

    /// Milliseconds to augment one training batch of `batch_size` with `preset` (measured for
    /// about `seconds`; copying the batch is not counted).
    fn augment_ms(data: &Dataset, preset: Preset, batch_size: usize, seconds: f64) -> f64 {
        let context = AugmentContext::of(data);
        let config = AugmentConfig::preset(preset, context.kind, context.alphabet.as_deref());
        let indices: Vec<usize> = (0..batch_size.min(data.train.len())).collect();
        let batch = data.train.batch(&indices);
        let (mut total, mut batches) = (0.0, 0u64);
        while total < seconds || batches < 10 {
            let mut copies = vec![batch.clone(); 10];
            let start = Instant::now();
            for copy in &mut copies {
                augment_batch(&config, copy, &context, &mut augment_rng(1, batches));
                batches += 1;
            }
            total += start.elapsed().as_secs_f64();
        }
        1000.0 * total / batches as f64
    }
}
