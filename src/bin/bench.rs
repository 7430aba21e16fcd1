//! Native training speed of the default CNN on Flex, the figure the browser numbers are compared
//! with. Prints one line per model: `native-flex <model> <samples/s>`.
//!
//! `cargo run --release --bin bench -- [steps] [batch]`

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn main() {
    native::main();
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn main() {}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
mod native {
    use burn::prelude::Device;
    use petri::ml::experiment::Experiment;
    use petri::ml::session::Session;
    use std::sync::Arc;
    use std::time::Instant;

    pub fn main() {
        let mut args = std::env::args().skip(1);
        let steps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
        let batch: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(128);
        let experiment = Experiment {
            batch_size: batch,
            ..Experiment::default()
        };
        let dataset = Arc::new(experiment.dataset.generate(experiment.seed));
        let mut session =
            Session::new(&experiment, dataset, &Device::flex()).expect("the default model builds");
        for _ in 0..5 {
            session.train_step();
        }
        pollster::block_on(session.read_train_metrics()).expect("warm-up metrics");
        let start = Instant::now();
        for _ in 0..steps {
            session.train_step();
        }
        let metrics = pollster::block_on(session.read_train_metrics())
            .expect("metrics")
            .expect("steps were taken");
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "native-flex cnn {:.0}  # {steps} steps of batch {batch}, loss {:.3}",
            (steps * batch) as f64 / seconds,
            metrics.loss
        );
    }
}
