use yew::prelude::*;

/// How y-axis labels are written.
#[derive(Clone, Copy, PartialEq, Default)]
pub enum YFormat {
    /// `0.25`
    #[default]
    Decimal,
    /// `25%`
    Percent,
}

impl YFormat {
    fn format(self, v: f64) -> String {
        match self {
            YFormat::Decimal => format!("{v:.2}"),
            YFormat::Percent => format!("{:.0}%", v * 100.0),
        }
    }
}

/// One line of a chart.
#[derive(Clone, PartialEq)]
pub struct Series {
    pub name: AttrValue,
    /// CSS class giving the colour.
    pub class: &'static str,
    /// `(x, y)` points in x order.
    pub points: Vec<(f64, f64)>,
}

#[derive(Properties, PartialEq)]
pub struct LineChartProps {
    pub title: AttrValue,
    pub series: Vec<Series>,
    /// A fixed y range; otherwise 0 to the largest value.
    #[prop_or_default]
    pub y_range: Option<(f64, f64)>,
    /// How y-axis labels are written.
    #[prop_or_default]
    pub y_format: YFormat,
    /// What x counts, written before the last x value.
    #[prop_or(AttrValue::Static("step"))]
    pub x_label: AttrValue,
}

const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 160.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 20.0;
/// Most points drawn per line; longer runs are thinned evenly.
const MAX_POINTS: usize = 400;

/// An SVG line chart of training curves.
#[component]
pub fn LineChart(props: &LineChartProps) -> Html {
    let all = props.series.iter().flat_map(|s| s.points.iter());
    let x_max = all.clone().map(|p| p.0).fold(1.0f64, f64::max);
    let (y_min, y_max) = props.y_range.unwrap_or_else(|| {
        let top = all
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        (0.0, if top > 0.0 { top * 1.05 } else { 1.0 })
    });
    let x = |v: f64| LEFT + (v / x_max) * (WIDTH - LEFT - 4.0);
    let y = |v: f64| {
        let t = ((v - y_min) / (y_max - y_min)).clamp(0.0, 1.0);
        4.0 + (1.0 - t) * (HEIGHT - BOTTOM - 4.0)
    };
    let lines = props.series.iter().map(|series| {
        let stride = series.points.len().div_ceil(MAX_POINTS).max(1);
        let points: String = series
            .points
            .iter()
            .enumerate()
            .filter(|(i, _)| i % stride == 0 || *i + 1 == series.points.len())
            .filter(|(_, p)| p.1.is_finite())
            .map(|(_, p)| format!("{:.1},{:.1} ", x(p.0), y(p.1)))
            .collect();
        html! { <polyline class={classes!("line", series.class)} points={points} /> }
    });
    let legend = props.series.iter().map(|s| {
        html! { <span class={classes!("key", s.class)}>{ s.name.clone() }</span> }
    });
    let ticks = [y_min, (y_min + y_max) / 2.0, y_max].map(|v| {
        html! {
            <>
                <line class="grid" x1={LEFT.to_string()} x2={WIDTH.to_string()}
                      y1={y(v).to_string()} y2={y(v).to_string()} />
                <text class="tick" x={(LEFT - 4.0).to_string()} y={(y(v) + 4.0).to_string()}
                      text-anchor="end">{ props.y_format.format(v) }</text>
            </>
        }
    });
    html! {
        <figure class="chart">
            <figcaption>{ props.title.clone() }{" "}{ for legend }</figcaption>
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label={props.title.clone()}>
                { for ticks }
                <text class="tick" x={WIDTH.to_string()} y={(HEIGHT - 4.0).to_string()}
                      text-anchor="end">{ format!("{} {}", props.x_label, x_max as u64) }</text>
                { for lines }
            </svg>
        </figure>
    }
}
