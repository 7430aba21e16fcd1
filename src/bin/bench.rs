//! Native training speed on Flex for each model family, the figures the browser numbers are
//! compared with. Prints one line per workload: `native-flex <workload> <samples/s>`.
//! For the CNN, 1-D CNN, GRU and GIN workloads it also prints what augmenting a batch costs next to
//! a training step: `augment-native <workload> <preset> <ms per batch> ...` (lines the report
//! script skips).
//!
//! It also prints what labeling costs: `labeling native rescore-images <ms>` (predicting and
//! ranking a pool of 2,000), the same for sequences, and a supervised against a consistency
//! training step (`step-supervised`, `step-consistency`, ms), and a supervised against a
//! contrastive pretraining step of 128 samples (`step-supervised-128`, `step-pretrain-128`).
//!
//! And what explaining costs: `explain native <workload>/<method> <ms>` for one sample, and
//! `explain native tsne-600 <ms>`. And how fast SMILES are read into molecular graphs:
//! `smiles native parse <molecules/s>`, and a GIN's training step on molecules for a class
//! against one for a measured value: `regression native gin-classification|gin-regression
//! <ms>`.
//!
//! The `native-flex` figures use one thread, as the page's engine does; `native-threads
//! <workload> <samples/s> <threads>` is the same training on every core, as the `petri`
//! command line trains by default.
//!
//! `cargo run --release --bin bench -- [seconds per workload] [--training | --threads]`: with
//! `--training` only the `native-flex` lines (`scripts/bench --against` compares them with an
//! older build); with `--threads` the `native-flex` and `native-threads` lines alone.

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
    use petri::ml::explain::attribute::Attributor;
    use petri::ml::explain::points::baseline_values;
    use petri::ml::explain::project::{Tsne, TsneConfig};
    use petri::ml::explain::{AttributionMethod, Baseline};
    use petri::ml::label::query::{Candidates, rank};
    use petri::ml::label::{Collection, QueryStrategy};
    use petri::ml::models::{CellKind, ModelConfig, RnnConfig, TransformerConfig};
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
                "transformer",
                BuiltinDataset::DnaMotif,
                ModelConfig::Transformer(TransformerConfig::default()),
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
        // Where threads cannot be started (WebAssembly under Node's WASI), everything already
        // runs on one thread, and there is no second figure to take.
        let Ok(one_thread_pool) = rayon::ThreadPoolBuilder::new().num_threads(1).build() else {
            if std::env::args().any(|a| a == "--training") {
                training(seconds);
            } else {
                one_thread(seconds);
            }
            return;
        };
        if std::env::args().any(|a| a == "--training") {
            one_thread_pool.install(|| training(seconds));
            return;
        }
        if std::env::args().any(|a| a == "--threads") {
            one_thread_pool.install(|| training(seconds));
        } else {
            one_thread_pool.install(|| one_thread(seconds));
        }
        let threads = rayon::current_num_threads();
        for (name, dataset, model, batch_size) in workloads() {
            // Its steps split over the pool's threads, as the command line's do.
            let (_, mut session) = workload_session(dataset, model, batch_size);
            let (steps, elapsed) = timed_steps(&mut session, seconds);
            println!(
                "native-threads {name} {:.0} {threads}",
                (steps * batch_size) as f64 / elapsed
            );
        }
    }

    /// The `native-flex` lines alone.
    fn training(seconds: f64) {
        for (name, dataset, model, batch_size) in workloads() {
            let (_, mut session) = workload_session(dataset, model, batch_size);
            training_line(name, &mut session, batch_size, seconds);
        }
    }

    /// Trains `session` for about `seconds` and prints its `native-flex` line; returns the
    /// steps taken and the seconds they took.
    fn training_line(
        name: &str,
        session: &mut Session,
        batch_size: usize,
        seconds: f64,
    ) -> (usize, f64) {
        let (steps, elapsed) = timed_steps(session, seconds);
        println!(
            "native-flex {name} {:.0}  # {steps} steps of batch {batch_size}",
            (steps * batch_size) as f64 / elapsed
        );
        (steps, elapsed)
    }

    /// Every figure but `native-threads`, on the current (one-thread) pool.
    fn one_thread(seconds: f64) {
        for (name, dataset, model, batch_size) in workloads() {
            let (data, mut session) = workload_session(dataset, model, batch_size);
            let (steps, elapsed) = training_line(name, &mut session, batch_size, seconds);
            if name == "cnn" || name == "cnn1d" {
                let what = if name == "cnn" { "images" } else { "sequences" };
                println!("labeling native rescore-{what} {:.1}", rescore_ms(&session));
            }
            if ["cnn", "cnn1d", "transformer", "gru", "gin", "gcn-nodes"].contains(&name) {
                explain_ms(&session, name);
            }
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
        labeling_steps(seconds);
        pretrain_steps(seconds);
        regression_steps(seconds);
        tsne_ms();
        #[cfg(feature = "files")]
        smiles_rate(seconds);
    }

    /// Prints `smiles native parse <molecules/s>`: drug-like SMILES read into the graphs the
    /// GNNs train on.
    #[cfg(feature = "files")]
    fn smiles_rate(seconds: f64) {
        use petri::ml::import::{molecules::graph_of, smiles::parse};
        const MOLECULES: [&str; 6] = [
            "CC(=O)Oc1ccccc1C(=O)O",
            "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
            "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
            "c1ccc2ccccc2c1",
            "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O",
            "C[N+](C)(C)CCOC(=O)C.[Cl-]",
        ];
        let start = std::time::Instant::now();
        let mut read = 0;
        while start.elapsed().as_secs_f64() < seconds / 3.0 {
            for smiles in MOLECULES {
                let molecule = parse(smiles).expect("valid SMILES");
                std::hint::black_box(graph_of(&molecule));
                read += 1;
            }
        }
        println!(
            "smiles native parse {:.0}",
            read as f64 / start.elapsed().as_secs_f64()
        );
    }

    /// Prints `explain native <workload> <method> <ms>`: one attribution of one validation
    /// sample by each method (Integrated Gradients at 32 steps, SmoothGrad at 16 samples,
    /// occlusion with 4-point windows every 2), the best of three runs.
    fn explain_ms(session: &Session, workload: &str) {
        let explain = Attributor::new(session.trainer().model(), session.trainer().device());
        let input = session.model_batch(&session.dataset().valid, &[0]).input;
        let baseline = baseline_values(Baseline::Zeros, &input, None, 1);
        let conv = matches!(
            session.trainer().model(),
            petri::ml::models::Model::Cnn(_) | petri::ml::models::Model::Cnn1d(_)
        );
        let grad_cam = conv.then_some(("grad-cam", AttributionMethod::GradCam { layer: 1 }));
        let rollout = matches!(
            session.trainer().model(),
            petri::ml::models::Model::Transformer(_)
        )
        .then_some(("attention-rollout", AttributionMethod::AttentionRollout));
        for (id, method) in [
            ("saliency", AttributionMethod::Saliency),
            ("gradient-x-input", AttributionMethod::GradientTimesInput),
            (
                "smoothgrad-16",
                AttributionMethod::SmoothGrad {
                    samples: 16,
                    noise: 0.15,
                },
            ),
            (
                "integrated-gradients-32",
                AttributionMethod::IntegratedGradients {
                    steps: 32,
                    baseline: Baseline::Zeros,
                },
            ),
            (
                "occlusion",
                AttributionMethod::Occlusion { size: 4, stride: 2 },
            ),
        ]
        .into_iter()
        .chain(grad_cam)
        .chain(rollout)
        {
            let best = (0..3)
                .map(|_| {
                    let start = Instant::now();
                    pollster::block_on(explain.attribute(&input, 0, &method, &baseline, |_, _| {}))
                        .expect("attribution");
                    1000.0 * start.elapsed().as_secs_f64()
                })
                .fold(f64::INFINITY, f64::min);
            println!("explain native {workload}/{id} {best:.1}");
        }
    }

    /// Prints `explain native tsne-600 <ms>`: t-SNE of 600 points (four clusters in 32
    /// dimensions, the size of a penultimate embedding), 500 iterations.
    fn tsne_ms() {
        let mut r = petri::ml::rng::rng(1, petri::ml::rng::Stream::Data);
        let x: Vec<f32> = (0..600)
            .flat_map(|i| (0..32).map(move |d| (i, d)))
            .map(|(i, d)| if d == i % 4 { 5.0 } else { 0.0 } + petri::ml::rng::normal(&mut r))
            .collect();
        let start = Instant::now();
        let mut tsne = Tsne::new(&x, 32, TsneConfig::default());
        while !tsne.finished() {
            tsne.run(25);
        }
        println!(
            "explain native tsne-600 {:.1}",
            1000.0 * start.elapsed().as_secs_f64()
        );
    }

    /// After three warm-up steps, trains for about `seconds` (reading metrics back every five
    /// steps, as the page does); returns the steps taken and the seconds they took.
    /// A run of a workload on the CPU, and its data.
    fn workload_session(
        dataset: BuiltinDataset,
        model: ModelConfig,
        batch_size: usize,
    ) -> (Arc<Dataset>, Session) {
        let experiment = Experiment {
            dataset: dataset.into(),
            model,
            batch_size,
            ..Experiment::default()
        };
        let data = Arc::new(dataset.generate(experiment.seed));
        let session =
            Session::new(&experiment, data.clone(), &Device::flex()).expect("the model builds");
        (data, session)
    }

    fn timed_steps(session: &mut Session, seconds: f64) -> (usize, f64) {
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
        (steps, start.elapsed().as_secs_f64())
    }

    /// Milliseconds to score a pool of 2,000 samples of `session`'s data and rank it by
    /// entropy, as the labeling queue does: predictions in chunks of 256, read back.
    fn rescore_ms(session: &Session) -> f64 {
        const POOL: usize = 2000;
        let experiment = session.experiment();
        let dataset = experiment.dataset.builtin().expect("a built-in workload");
        let (all, _) = dataset.generate_split(experiment.seed);
        let indices: Vec<usize> = (0..POOL.min(all.len())).collect();
        let classes = dataset.class_names().len();
        let once = || {
            let mut probabilities = Vec::new();
            for chunk in indices.chunks(256) {
                let prediction = session.predict(&all, chunk);
                let read = pollster::block_on(prediction.probabilities.into_data_async())
                    .expect("predictions");
                probabilities.extend(read.iter::<f32>());
                pollster::block_on(prediction.embeddings.into_data_async()).expect("embeddings");
            }
            let candidates = Candidates {
                probabilities: &probabilities,
                classes,
                embeddings: &[],
                labeled: &[],
                width: 1,
                spread: &[],
            };
            rank(QueryStrategy::Entropy, &candidates, 12, 1).len()
        };
        once();
        let start = Instant::now();
        let runs = 3;
        for _ in 0..runs {
            once();
        }
        1000.0 * start.elapsed().as_secs_f64() / runs as f64
    }

    /// Milliseconds per training step on Shapes with 50 labels per class and the rest as the
    /// pool: supervised (batch 32), and with consistency training (96 unlabeled samples more).
    pub fn labeling_steps(seconds: f64) {
        for consistency in [false, true] {
            let mut experiment = Experiment::default();
            experiment.labeling.labels_per_class = Some(50);
            experiment.labeling.consistency = consistency;
            let collection = Collection::builtin(BuiltinDataset::Shapes, experiment.seed, Some(50));
            let dataset = Arc::new(collection.dataset(&vec![None; collection.pool.len()]));
            let mut session =
                Session::new(&experiment, dataset, &Device::flex()).expect("the model builds");
            let (steps, elapsed) = timed_steps(&mut session, seconds);
            let ms = 1000.0 * elapsed / steps as f64;
            let what = if consistency {
                "consistency"
            } else {
                "supervised"
            };
            println!("labeling native step-{what} {ms:.2}");
        }
    }

    /// Milliseconds per step on Shapes (the default CNN, 128 samples): supervised, and
    /// contrastive pretraining (two augmented views of each sample, projection head, NT-Xent).
    pub fn pretrain_steps(seconds: f64) {
        use petri::ml::pretrain::{PretrainConfig, Pretraining};
        let experiment = Experiment {
            batch_size: 128,
            ..Experiment::default()
        };
        let (data, mut session) = workload_session(
            BuiltinDataset::Shapes,
            experiment.model.clone(),
            experiment.batch_size,
        );
        let (steps, elapsed) = timed_steps(&mut session, seconds);
        println!(
            "labeling native step-supervised-128 {:.2}",
            1000.0 * elapsed / steps as f64
        );
        let config = PretrainConfig {
            batch_size: 128,
            ..PretrainConfig::default()
        };
        let mut run = Pretraining::new(&experiment, &data, config, &Device::flex())
            .expect("pretraining builds");
        run.train_step();
        pollster::block_on(run.read_loss()).expect("warm-up loss");
        let start = Instant::now();
        let mut steps = 0;
        while start.elapsed().as_secs_f64() < seconds {
            for _ in 0..5 {
                run.train_step();
            }
            pollster::block_on(run.read_loss()).expect("loss");
            steps += 5;
        }
        println!(
            "labeling native step-pretrain-128 {:.2}",
            1000.0 * start.elapsed().as_secs_f64() / steps as f64
        );
    }

    /// Prints `regression native gin-classification <ms>` and `… gin-regression <ms>`: one
    /// training step of the Molecules GIN (batch 32) towards the ring class, and one towards
    /// the generated lipophilicity (a one-output head under mean squared error).
    fn regression_steps(seconds: f64) {
        use petri::ml::data::molecules::lipophilicity;
        use petri::ml::data::{DataShape, Samples};
        use petri::ml::regression::{RegressionLoss, TargetScale};
        use petri::ml::train::Trainer;
        let molecules = petri::ml::data::molecules::generate(320, 1);
        let targets: Vec<f32> = molecules.graphs.iter().map(lipophilicity).collect();
        let scale = TargetScale::fit(&targets);
        let samples = Samples::Graphs(molecules);
        let config = ModelConfig::default_for_dataset(BuiltinDataset::Molecules);
        let experiment = Experiment::default();
        let shape = DataShape::Graph { features: 4 };
        for (what, outputs) in [("classification", 2), ("regression", 1)] {
            let mut trainer = Trainer::new(
                &config,
                &shape,
                outputs,
                experiment.optimizer,
                experiment.learning_rate,
                1,
                &Device::flex(),
            )
            .expect("the model builds");
            let (mut steps, start) = (0usize, Instant::now());
            while start.elapsed().as_secs_f64() < seconds / 3.0 || steps < 10 {
                let indices: Vec<usize> = (0..32).map(|k| (steps * 32 + k) % 320).collect();
                let batch = samples.batch(&indices);
                if outputs == 1 {
                    let standard: Vec<f32> = indices
                        .iter()
                        .map(|&i| scale.standardize(targets[i]))
                        .collect();
                    let output =
                        trainer.regression_step(&batch.input, &standard, None, RegressionLoss::Mse);
                    std::hint::black_box(output.loss.into_scalar::<f32>());
                } else {
                    std::hint::black_box(trainer.step(&batch).loss.into_scalar::<f32>());
                }
                steps += 1;
            }
            let ms = 1000.0 * start.elapsed().as_secs_f64() / steps as f64;
            println!("regression native gin-{what} {ms:.2}");
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
