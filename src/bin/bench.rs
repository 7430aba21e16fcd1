//! Native training speed on Flex for each model family, the figures the browser numbers are
//! compared with. Prints one line per workload: `native-flex <workload> <samples/s>`.
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
    use petri::ml::data::BuiltinDataset;
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
                Session::new(&experiment, data, &Device::flex()).expect("the model builds");
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
        }
    }
}
