//! Choosing where tensors live: the CPU (Flex) or the browser's WebGPU adapter.

use super::{Engine, Platform, WebGpu};
use crate::ml::experiment::{Compute, Experiment};
use crate::ml::session::Session;
use crate::protocol::{Backend, FromWorker};
use burn::prelude::*;

impl<P: Platform> Engine<P> {
    /// The device for the chosen compute, deciding and announcing it the first time.
    pub(super) async fn ensure_backend(&mut self) -> Device {
        if let Some((_, device)) = &self.backend {
            return device.clone();
        }
        let (backend, device, reason) = match self.compute {
            Compute::Cpu => (
                Backend::Cpu,
                Device::flex(),
                "chosen in Compute".to_string(),
            ),
            Compute::WebGpu => match self.webgpu().await {
                Ok(gpu) => (
                    Backend::WebGpu,
                    gpu.device,
                    format!("chosen in Compute; adapter: {}", gpu.adapter.name),
                ),
                Err(error) => (
                    Backend::Cpu,
                    Device::flex(),
                    format!("WebGPU is not available here ({error}), so the CPU is used"),
                ),
            },
            Compute::Auto => self.choose_automatically().await,
        };
        let reason = match (backend, crate::ml::train::cpu_threads(&device)) {
            (Backend::Cpu, 1) => format!("{reason}; one thread"),
            (Backend::Cpu, threads) => format!("{reason}; {threads} threads"),
            _ => reason,
        };
        self.platform.post(FromWorker::Backend { backend, reason });
        self.backend = Some((backend, device.clone()));
        device
    }

    async fn webgpu(&mut self) -> Result<WebGpu, String> {
        if self.webgpu.is_none() {
            let gpu = match self.platform.adapter().await {
                Ok(adapter) => self
                    .platform
                    .init_webgpu()
                    .await
                    .map(|device| WebGpu { device, adapter }),
                Err(error) => Err(error),
            };
            self.webgpu = Some(gpu);
        }
        self.webgpu.clone().expect("just set")
    }

    /// Auto: no adapter or a software one → CPU; otherwise a short timed probe decides.
    async fn choose_automatically(&mut self) -> (Backend, Device, String) {
        match self.platform.adapter().await {
            Err(error) => {
                return (
                    Backend::Cpu,
                    Device::flex(),
                    format!("Auto: no WebGPU adapter ({error})"),
                );
            }
            Ok(adapter) if adapter.software => {
                return (
                    Backend::Cpu,
                    Device::flex(),
                    format!(
                        "Auto: the WebGPU adapter ({}) is a software renderer, far slower than the CPU",
                        adapter.name
                    ),
                );
            }
            Ok(_) => {}
        }
        let gpu = match self.webgpu().await {
            Ok(gpu) => gpu,
            Err(error) => {
                return (
                    Backend::Cpu,
                    Device::flex(),
                    format!("Auto: WebGPU could not be started ({error})"),
                );
            }
        };
        let experiment = self.experiment.clone();
        let gpu_speed = self.probe(&experiment, &gpu.device).await;
        let cpu_speed = self.probe(&experiment, &Device::flex()).await;
        match (gpu_speed, cpu_speed) {
            (Ok(g), Ok(c)) if g >= c => (
                Backend::WebGpu,
                gpu.device,
                format!(
                    "Auto: WebGPU ({}) measured {g:.0} samples/s vs CPU {c:.0}",
                    gpu.adapter.name
                ),
            ),
            (Ok(g), Ok(c)) => (
                Backend::Cpu,
                Device::flex(),
                format!("Auto: CPU measured {c:.0} samples/s vs WebGPU {g:.0}"),
            ),
            (Err(error), _) => (
                Backend::Cpu,
                Device::flex(),
                format!("Auto: WebGPU failed a test run ({error})"),
            ),
            (Ok(_), Err(error)) => (
                Backend::WebGpu,
                gpu.device,
                format!("Auto: the CPU failed a test run ({error})"),
            ),
        }
    }

    /// Training samples per second of `experiment` on `device` over a few steps.
    async fn probe(&mut self, experiment: &Experiment, device: &Device) -> Result<f64, String> {
        let dataset = self.dataset_for(experiment)?;
        let mut session = Session::new(experiment, dataset, device)?;
        session.train_step();
        session.read_train_metrics().await?;
        let start = self.platform.now_ms();
        let steps = 4;
        for _ in 0..steps {
            session.train_step();
        }
        session.read_train_metrics().await?;
        let seconds = ((self.platform.now_ms() - start) / 1000.0).max(1e-6);
        Ok((steps * experiment.batch_size) as f64 / seconds)
    }
}
