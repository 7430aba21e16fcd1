//! Small reusable pieces of the UI.

mod chart;
mod confusion;
mod fields;
mod sample;

pub use chart::{LineChart, PointPlot, ReferenceLine, Series, YFormat};
pub use confusion::ConfusionTable;
pub use fields::{Checkbox, NumberField, SelectField, slider};
pub use sample::{PALETTE, SampleCard, SampleGrid, UNLABELED_FILL, UNLABELED_RING};

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
