//! The `petri` command line: the page's experiments, trained natively.
//!
//! ```text
//! petri train EXPERIMENT.petri --steps N --out OUT.petri [--backend auto|cpu|gpu|cuda]
//!       [--devices N] [--threads N] [--log LOG.jsonl|LOG.csv] [--log-every N] [--restart]
//! petri train EXPERIMENT.json --data FILE... --steps N --out OUT.petri
//! petri new DATASET --out NEW.petri [--seed S]
//! ```
//!
//! Reads a `.petri` file (or an experiment's JSON and the uploaded files it learns from), goes
//! on training the same experiment with the same engine the page runs (Burn's Flex backend on
//! the CPU, multi-threaded; with `--features webgpu`, wgpu on the machine's GPU through
//! Vulkan, Metal or DirectX; with `--features cuda`, CUDA), shows progress, logs the metrics,
//! and writes a `.petri` file the page opens, with the curves and the trained model.
//! `--devices N` trains on N CUDA devices with Burn's data-parallel learner
//! ([`crate::ml::parallel`]).

use crate::engine::{Engine, Platform};
use crate::ml::experiment::{Compute, Experiment};
use crate::ml::export::{Archive, DataFiles, ExperimentFile, read_archive, write_archive};
use crate::ml::import::{ImportOptions, UploadFile};
use crate::protocol::{AdapterInfo, FromWorker, ToWorker};
use burn::prelude::Device;
use clap::{Parser, Subcommand, ValueEnum};
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "petri", version, about = "Train Petri experiments natively")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Go on training an experiment and write the result as a .petri file.
    Train(TrainArgs),
    /// Write a fresh experiment on a built-in dataset, with the page's model for it.
    New(NewArgs),
}

#[derive(clap::Args)]
struct NewArgs {
    /// shapes, cells, dna-motif, waveforms, molecules, communities or karate-club.
    dataset: String,
    /// Where to write the experiment.
    #[arg(long)]
    out: PathBuf,
    /// The run's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Writes a fresh experiment on a built-in dataset.
fn new_experiment(args: NewArgs) -> Result<(), String> {
    use crate::ml::data::BuiltinDataset;
    let dataset = BuiltinDataset::from_id(&args.dataset).ok_or_else(|| {
        let known: Vec<&str> = BuiltinDataset::ALL.iter().map(|d| d.id()).collect();
        format!(
            "no built-in dataset is called {:?}; there are {}",
            args.dataset,
            known.join(", ")
        )
    })?;
    let experiment = Experiment {
        dataset: dataset.into(),
        model: crate::ml::models::ModelConfig::default_for_dataset(dataset),
        seed: args.seed,
        ..Experiment::default()
    };
    let file = ExperimentFile::new(experiment, "petri command line".into());
    let bytes = write_archive(&Archive {
        file,
        model: None,
        data: Vec::new(),
    });
    std::fs::write(&args.out, bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    eprintln!("Wrote {}: {}.", args.out.display(), dataset.title());
    Ok(())
}

#[derive(clap::Args)]
struct TrainArgs {
    /// A .petri file (from the page's Export experiment), or an experiment's JSON.
    experiment: PathBuf,
    /// With an experiment JSON that learns from an upload: the uploaded files.
    #[arg(long, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Training steps to take.
    #[arg(long)]
    steps: u64,
    /// Where to write the trained experiment.
    #[arg(long)]
    out: PathBuf,
    /// Where to compute: the CPU, the GPU, or whichever trains this model faster.
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// CPU threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// GPUs to train on at once (with --backend cuda): Burn's distributed data parallel, one
    /// batch per device a step, gradients averaged.
    #[arg(long, default_value_t = 1)]
    devices: usize,
    /// A metrics log: JSON lines, or CSV when the name ends in .csv.
    #[arg(long)]
    log: Option<PathBuf>,
    /// Steps between training-metric lines (each read-back waits for the device).
    #[arg(long, default_value_t = 10)]
    log_every: u64,
    /// Start again from step 0 with the experiment's seed instead of the file's weights.
    #[arg(long)]
    restart: bool,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum BackendChoice {
    Auto,
    Cpu,
    /// wgpu: Vulkan, Metal or DirectX (built with --features webgpu).
    Gpu,
    /// NVIDIA GPUs (built with --features cuda).
    Cuda,
}

/// What the engine reports, turned into progress, log lines and the files it offers.
struct Terminal {
    start: Instant,
    /// The GPU the engine gets when it asks for one.
    gpu: BackendChoice,
    /// Whether the engine computes on a GPU, once it said where.
    on_gpu: Cell<Option<bool>>,
    /// The step the run ends at (the progress bar's end).
    target: Cell<u64>,
    log: RefCell<Option<(std::fs::File, bool)>>,
    files: RefCell<Vec<(String, Vec<u8>)>>,
    errors: RefCell<Vec<String>>,
}

/// One line of the training log.
struct LogLine<'a> {
    kind: &'a str,
    step: u64,
    epoch: f64,
    loss: f64,
    accuracy: f64,
    /// Samples per second (0 for validation).
    rate: f64,
    /// For a measured target (the CSV's last column).
    rmse: Option<f64>,
}

impl Terminal {
    fn log_line(&self, line: LogLine) {
        let LogLine {
            kind,
            step,
            epoch,
            loss,
            accuracy,
            rate,
            rmse,
        } = line;
        let mut log = self.log.borrow_mut();
        let Some((file, csv)) = log.as_mut() else {
            return;
        };
        let seconds = self.start.elapsed().as_secs_f64();
        let line = if *csv {
            let rmse = rmse.map(|r| r.to_string()).unwrap_or_default();
            format!("{kind},{step},{epoch:.4},{loss},{accuracy},{rate:.1},{seconds:.3},{rmse}\n")
        } else {
            format!(
                "{}\n",
                serde_json::json!({"kind": kind, "step": step, "epoch": epoch, "loss": loss,
                                   "accuracy": accuracy, "samples_per_second": rate,
                                   "seconds": seconds, "rmse": rmse})
            )
        };
        let _ = file.write_all(line.as_bytes());
    }
}

impl Platform for Terminal {
    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }

    fn post(&self, message: FromWorker) {
        match message {
            FromWorker::Train(r) => {
                self.log_line(LogLine {
                    kind: "train",
                    step: r.step,
                    epoch: r.epoch,
                    loss: r.loss,
                    accuracy: r.accuracy,
                    rate: r.samples_per_second,
                    rmse: r.rmse,
                });
                let width = 30;
                let target = self.target.get();
                let done = (r.step as f64 / target.max(1) as f64).min(1.0);
                let filled = (done * width as f64) as usize;
                let score = match r.rmse {
                    Some(rmse) => format!("RMSE {rmse:.3}"),
                    None => format!("accuracy {:.1}%", r.accuracy * 100.0),
                };
                eprint!(
                    "\r[{}{}] step {} of {}, loss {:.4}, {score}, {:.0} samples/s   ",
                    "#".repeat(filled),
                    " ".repeat(width - filled),
                    r.step,
                    target,
                    r.loss,
                    r.samples_per_second
                );
            }
            FromWorker::Eval(r) => {
                self.log_line(LogLine {
                    kind: "valid",
                    step: r.step,
                    epoch: r.epoch,
                    loss: r.loss,
                    accuracy: r.accuracy,
                    rate: 0.0,
                    rmse: r.regression.as_ref().map(|v| v.metrics.rmse),
                });
            }
            FromWorker::Backend { backend, reason } => {
                self.on_gpu
                    .set(Some(backend == crate::protocol::Backend::WebGpu));
                let title = match (backend, self.gpu) {
                    (crate::protocol::Backend::WebGpu, BackendChoice::Cuda) => "CUDA",
                    (crate::protocol::Backend::WebGpu, _) => "GPU (wgpu)",
                    _ => backend.title(),
                };
                eprintln!("Compute: {title} ({reason})");
            }
            FromWorker::RunStarted(info) => eprintln!(
                "{} samples to train on, {} to validate; {} parameters",
                info.train_samples, info.valid_samples, info.model.params
            ),
            FromWorker::File { name, bytes } => self.files.borrow_mut().push((name, bytes)),
            FromWorker::Error(message) | FromWorker::Crashed(message) => {
                self.errors.borrow_mut().push(message)
            }
            FromWorker::Notice(message) => eprintln!("{message}"),
            _ => {}
        }
    }

    async fn adapter(&self) -> Result<AdapterInfo, String> {
        let name = match self.gpu {
            BackendChoice::Cuda if cfg!(feature = "cuda") => "CUDA device 0",
            BackendChoice::Cuda => {
                return Err(
                    "this petri was built without CUDA (build with --features cuda)".into(),
                );
            }
            _ if cfg!(feature = "webgpu") => "the machine's GPU through wgpu",
            _ => {
                return Err(
                    "this petri was built without GPU support (build with --features webgpu)"
                        .into(),
                );
            }
        };
        Ok(AdapterInfo {
            name: name.into(),
            software: false,
        })
    }

    async fn init_webgpu(&self) -> Result<Device, String> {
        #[cfg(feature = "cuda")]
        if self.gpu == BackendChoice::Cuda {
            return Ok(Device::cuda(0));
        }
        #[cfg(feature = "webgpu")]
        {
            Device::wgpu_options()
                .init_async()
                .await
                .map_err(|e| format!("the GPU could not be started: {e}"))
        }
        #[cfg(not(feature = "webgpu"))]
        {
            Err("this petri was built without GPU support".into())
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The experiment to open, as a `.petri` file's bytes.
fn experiment_file(args: &TrainArgs) -> Result<UploadFile, String> {
    let bytes = read(&args.experiment)?;
    let name = name_of(&args.experiment);
    if !name.ends_with(".json") {
        return Ok(UploadFile { name, bytes });
    }
    let experiment: Experiment = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{name}: line {}, column {}: {e}", e.line(), e.column()))?;
    let mut file = ExperimentFile::new(experiment, "petri command line".into());
    let mut data = Vec::new();
    for path in &args.data {
        data.push(UploadFile {
            name: name_of(path),
            bytes: read(path)?,
        });
    }
    if !data.is_empty() {
        file.data = Some(DataFiles {
            options: ImportOptions::default(),
            files: data.iter().map(|f| f.name.clone()).collect(),
        });
    }
    Ok(UploadFile {
        name,
        bytes: write_archive(&Archive {
            file,
            model: None,
            data,
        }),
    })
}

/// The learner's devices for `--devices N` (N > 1).
fn parallel_devices(args: &TrainArgs) -> Result<Vec<Device>, String> {
    let devices = args.devices;
    if args.backend != BackendChoice::Cuda {
        return Err(format!(
            "--devices {devices} needs --backend cuda: Burn's data-parallel training \
             all-reduces gradients with NCCL, and its CPU and wgpu backends have no collective \
             operations. On one device, leave --devices out."
        ));
    }
    #[cfg(feature = "cuda")]
    {
        Ok((0..devices).map(Device::cuda).collect())
    }
    #[cfg(not(feature = "cuda"))]
    {
        Err(format!(
            "--devices {devices}: this petri was built without CUDA (build with --features cuda)"
        ))
    }
}

fn train(args: TrainArgs) -> Result<(), String> {
    match args.backend {
        BackendChoice::Cuda if !cfg!(feature = "cuda") => {
            return Err(
                "--backend cuda: this petri was built without CUDA (build with --features cuda)"
                    .into(),
            );
        }
        BackendChoice::Gpu if !cfg!(feature = "webgpu") => {
            return Err(
                "--backend gpu: this petri was built without wgpu (build with --features webgpu)"
                    .into(),
            );
        }
        _ => {}
    }
    let parallel = match args.devices {
        0 => return Err("--devices 0: train on at least one device".into()),
        1 => None,
        _ => Some(parallel_devices(&args)?),
    };
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|e| format!("--threads {threads}: {e}"))?;
    }
    let mut file = experiment_file(&args)?;
    if args.restart {
        let mut archive = read_archive(&file.name, &file.bytes)?;
        archive.file.step = 0;
        archive.file.history = Default::default();
        archive.model = None;
        file.bytes = write_archive(&archive);
    }
    let log = match &args.log {
        Some(path) => {
            let mut log =
                std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let csv = path.extension().is_some_and(|e| e == "csv");
            if csv {
                let _ = writeln!(
                    log,
                    "kind,step,epoch,loss,accuracy,samples_per_second,seconds,rmse"
                );
            }
            Some((log, csv))
        }
        None => None,
    };
    let terminal = Terminal {
        start: Instant::now(),
        gpu: args.backend,
        on_gpu: Cell::new(None),
        target: Cell::new(0),
        log: RefCell::new(log),
        files: RefCell::new(Vec::new()),
        errors: RefCell::new(Vec::new()),
    };
    let mut engine = Engine::new(terminal);
    let compute = match args.backend {
        BackendChoice::Auto => Compute::Auto,
        BackendChoice::Cpu => Compute::Cpu,
        BackendChoice::Gpu | BackendChoice::Cuda => Compute::WebGpu,
    };
    let failed = |engine: &Engine<Terminal>| engine.platform().errors.borrow_mut().pop();
    pollster::block_on(async {
        engine.handle(ToWorker::SetCompute(compute)).await;
        engine
            .handle(ToWorker::OpenExperiment { id: 1, file })
            .await;
        if let Some(error) = failed(&engine) {
            return Err(error);
        }
        let asked_for_gpu = matches!(args.backend, BackendChoice::Gpu | BackendChoice::Cuda);
        if asked_for_gpu && engine.platform().on_gpu.get() == Some(false) {
            return Err(
                "the GPU asked for with --backend is not available (see the Compute line)".into(),
            );
        }
        let start = engine.step();
        engine.platform().target.set(start + args.steps);
        let trained = match parallel {
            None => engine.train_for(args.steps, args.log_every).await,
            Some(devices) => {
                let strategy = crate::ml::parallel::Strategy::DataParallel(devices);
                engine
                    .train_with_learner(strategy, args.steps, args.log_every)
                    .await
            }
        };
        if !trained {
            return Err(failed(&engine).unwrap_or_else(|| "the run could not start".into()));
        }
        eprintln!();
        engine
            .handle(ToWorker::ExportExperiment { include_data: true })
            .await;
        if let Some(error) = failed(&engine) {
            return Err(error);
        }
        Ok(())
    })?;
    let (_, bytes) = engine
        .platform()
        .files
        .borrow_mut()
        .pop()
        .ok_or("the engine wrote no experiment file")?;
    std::fs::write(&args.out, bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    eprintln!(
        "Wrote {} (step {}); open it in the page with Open experiment.",
        args.out.display(),
        engine.step()
    );
    Ok(())
}

/// Runs the command line with the process's arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train(args),
        Command::New(args) => new_experiment(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("petri: {message}");
            ExitCode::FAILURE
        }
    }
}
