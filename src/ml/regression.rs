//! Measured quantities as targets: how they are scaled for training and how predictions of
//! them are scored. Plain numbers only (the losses that train on them are in [`super::train`]).

use serde::{Deserialize, Serialize};

/// The loss a regression model trains with, on standardised targets.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RegressionLoss {
    /// Mean squared error.
    #[default]
    Mse,
    /// Huber: squared within `delta` standard deviations of the target, linear beyond, so a
    /// few wild measurements do not dominate.
    Huber {
        /// Where the loss turns from squared to linear, in standard deviations.
        delta: f32,
    },
}

impl RegressionLoss {
    /// The choices offered in the page (experiment files may set other deltas).
    pub const CHOICES: [RegressionLoss; 2] =
        [RegressionLoss::Mse, RegressionLoss::Huber { delta: 1.0 }];

    /// A short stable identifier: `mse`, `huber` (delta 1) or `huber-<delta>`.
    pub fn id(self) -> String {
        match self {
            RegressionLoss::Mse => "mse".into(),
            RegressionLoss::Huber { delta: 1.0 } => "huber".into(),
            RegressionLoss::Huber { delta } => format!("huber-{delta}"),
        }
    }

    /// The loss named `id` (see [`RegressionLoss::id`]).
    pub fn from_id(id: &str) -> Option<Self> {
        match id {
            "mse" => Some(RegressionLoss::Mse),
            "huber" => Some(RegressionLoss::Huber { delta: 1.0 }),
            other => other
                .strip_prefix("huber-")
                .and_then(|d| d.parse::<f32>().ok())
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|delta| RegressionLoss::Huber { delta }),
        }
    }

    /// The name shown in the UI.
    pub fn title(self) -> String {
        match self {
            RegressionLoss::Mse => "Mean squared error".into(),
            RegressionLoss::Huber { delta } => {
                format!("Huber (linear beyond {delta} SD: robust to outliers)")
            }
        }
    }
}

/// The shift and scale that give the training targets zero mean and unit variance: a model
/// learns them at the scale its initial weights suit, and reports them back in their units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetScale {
    /// The training targets' mean, in their units.
    pub mean: f32,
    /// Their standard deviation (at least 1e-6 times their magnitude, so a constant target
    /// does not divide by zero).
    pub std: f32,
}

impl TargetScale {
    /// The scale of `targets` (mean 0, std 1 when empty).
    pub fn fit(targets: &[f32]) -> Self {
        if targets.is_empty() {
            return Self {
                mean: 0.0,
                std: 1.0,
            };
        }
        let n = targets.len() as f64;
        let mean = targets.iter().map(|&t| f64::from(t)).sum::<f64>() / n;
        let variance = targets
            .iter()
            .map(|&t| (f64::from(t) - mean).powi(2))
            .sum::<f64>()
            / n;
        let floor = (mean.abs() * 1e-6).max(1e-12);
        Self {
            mean: mean as f32,
            std: variance.sqrt().max(floor) as f32,
        }
    }

    /// `target` as the model learns it: `(target − mean) / std`.
    pub fn standardize(&self, target: f32) -> f32 {
        (target - self.mean) / self.std
    }

    /// A model output back in the target's units: `output · std + mean`.
    pub fn restore(&self, output: f32) -> f32 {
        output * self.std + self.mean
    }
}

/// How well predictions match measurements, in the target's units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Coefficient of determination: `1 − Σ(y − ŷ)² / Σ(y − ȳ)²`; 1 is perfect, 0 is no
    /// better than predicting the mean, and it is negative when worse. 0 for a constant target.
    pub r2: f64,
}

impl RegressionMetrics {
    /// The metrics of `predicted` against `measured` (zeros when empty).
    ///
    /// # Panics
    /// When the two differ in length.
    pub fn of(predicted: &[f32], measured: &[f32]) -> Self {
        assert_eq!(predicted.len(), measured.len(), "one prediction per target");
        if measured.is_empty() {
            return Self {
                rmse: 0.0,
                mae: 0.0,
                r2: 0.0,
            };
        }
        let n = measured.len() as f64;
        let mean = measured.iter().map(|&y| f64::from(y)).sum::<f64>() / n;
        let (mut squared, mut absolute, mut total) = (0.0, 0.0, 0.0);
        for (&p, &y) in predicted.iter().zip(measured) {
            let error = f64::from(p) - f64::from(y);
            squared += error * error;
            absolute += error.abs();
            total += (f64::from(y) - mean).powi(2);
        }
        Self {
            rmse: (squared / n).sqrt(),
            mae: absolute / n,
            r2: if total > 0.0 {
                1.0 - squared / total
            } else {
                0.0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_are_named_and_read_back_by_id() {
        for loss in [
            RegressionLoss::Mse,
            RegressionLoss::Huber { delta: 1.0 },
            RegressionLoss::Huber { delta: 0.25 },
        ] {
            assert_eq!(RegressionLoss::from_id(&loss.id()), Some(loss));
        }
        assert_eq!(RegressionLoss::Huber { delta: 1.0 }.id(), "huber");
        for bad in ["", "l1", "huber-0", "huber--1", "huber-nan"] {
            assert_eq!(RegressionLoss::from_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn standardised_targets_have_zero_mean_unit_variance_and_come_back() {
        let targets = [-3.2f32, 0.5, 7.25, 1.0e3, 12.0, -40.0];
        let scale = TargetScale::fit(&targets);
        let standard: Vec<f32> = targets.iter().map(|&t| scale.standardize(t)).collect();
        let refit = TargetScale::fit(&standard);
        assert!(refit.mean.abs() < 1e-5, "{refit:?}");
        assert!((refit.std - 1.0).abs() < 1e-5, "{refit:?}");
        for (&t, &s) in targets.iter().zip(&standard) {
            assert!(
                (scale.restore(s) - t).abs() <= 1e-4 * t.abs().max(1.0),
                "{t}"
            );
        }
    }

    #[test]
    fn a_constant_target_scales_without_dividing_by_zero() {
        let scale = TargetScale::fit(&[4.0; 5]);
        assert_eq!(scale.mean, 4.0);
        assert!(scale.std > 0.0);
        assert_eq!(scale.standardize(4.0), 0.0);
        assert_eq!(TargetScale::fit(&[]).std, 1.0);
    }

    #[test]
    fn metrics_of_known_predictions() {
        let measured = [1.0f32, 2.0, 3.0, 4.0];
        let perfect = RegressionMetrics::of(&measured, &measured);
        assert_eq!((perfect.rmse, perfect.mae, perfect.r2), (0.0, 0.0, 1.0));
        let mean = RegressionMetrics::of(&[2.5; 4], &measured);
        assert!(mean.r2.abs() < 1e-12);
        assert!((mean.mae - 1.0).abs() < 1e-12);
        assert!((mean.rmse - 1.25f64.sqrt()).abs() < 1e-12);
        // Errors of 1, −1, 2, 0: RMSE √(6/4), MAE 1, R² 1 − 6/5.
        let off = RegressionMetrics::of(&[2.0, 1.0, 5.0, 4.0], &measured);
        assert!((off.rmse - 1.5f64.sqrt()).abs() < 1e-12);
        assert!((off.mae - 1.0).abs() < 1e-12);
        assert!((off.r2 + 0.2).abs() < 1e-12);
    }
}
