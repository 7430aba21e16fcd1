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

/// The line a [`PointPlot`] is read against.
#[derive(Clone, Copy, PartialEq)]
pub enum ReferenceLine {
    /// `y = x`: a perfect prediction.
    Identity,
    /// `y = 0`: no error.
    Zero,
}

#[derive(Properties, PartialEq)]
pub struct PointPlotProps {
    pub title: AttrValue,
    pub x_label: AttrValue,
    pub y_label: AttrValue,
    /// `(x, y)` per sample, in sample order (non-finite points are not drawn).
    pub points: Vec<(f64, f64)>,
    pub line: ReferenceLine,
    /// Called with a point's sample index when it is clicked (or Enter is pressed on it).
    pub onselect: Callback<usize>,
    #[prop_or_default]
    pub selected: Option<usize>,
}

const PLOT: f64 = 240.0;
const MARGIN: f64 = 34.0;

/// An SVG scatter plot of one point per sample, each a button that selects its sample.
#[component]
pub fn PointPlot(props: &PointPlotProps) -> Html {
    let finite: Vec<(usize, (f64, f64))> = props
        .points
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, (x, y))| x.is_finite() && y.is_finite())
        .collect();
    let range = |values: &mut dyn Iterator<Item = f64>| {
        let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        if !low.is_finite() {
            (0.0, 1.0)
        } else if high - low < 1e-9 {
            (low - 0.5, high + 0.5)
        } else {
            let pad = (high - low) * 0.05;
            (low - pad, high + pad)
        }
    };
    let (x_range, y_range) = match props.line {
        // Both axes alike, so that the identity is the diagonal.
        ReferenceLine::Identity => {
            let both = range(&mut finite.iter().flat_map(|(_, (x, y))| [*x, *y]));
            (both, both)
        }
        ReferenceLine::Zero => (
            range(&mut finite.iter().map(|(_, p)| p.0)),
            range(&mut finite.iter().map(|(_, p)| p.1).chain([0.0])),
        ),
    };
    let sx = |v: f64| MARGIN + (v - x_range.0) / (x_range.1 - x_range.0) * (PLOT - MARGIN - 6.0);
    let sy =
        |v: f64| 6.0 + (1.0 - (v - y_range.0) / (y_range.1 - y_range.0)) * (PLOT - MARGIN - 6.0);
    let reference = match props.line {
        ReferenceLine::Identity => (
            (sx(x_range.0), sy(x_range.0)),
            (sx(x_range.1), sy(x_range.1)),
        ),
        ReferenceLine::Zero => ((sx(x_range.0), sy(0.0)), (sx(x_range.1), sy(0.0))),
    };
    let number = |v: f64| format!("{v:.2}");
    let points = finite.iter().map(|&(index, (x, y))| {
        let select = props.onselect.reform(move |_: MouseEvent| index);
        let key = {
            let onselect = props.onselect.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    onselect.emit(index);
                }
            })
        };
        let selected = props.selected == Some(index);
        html! {
            <circle class={classes!("point", selected.then_some("selected"))}
                    cx={format!("{:.1}", sx(x))} cy={format!("{:.1}", sy(y))}
                    r={if selected { "4" } else { "2.6" }} tabindex="0" role="button"
                    aria-label={format!("sample {index}: {} {}, {} {}", props.x_label, number(x), props.y_label, number(y))}
                    onclick={select} onkeydown={key} />
        }
    });
    let (a, b) = reference;
    html! {
        <figure class="chart point-plot">
            <figcaption>{ props.title.clone() }</figcaption>
            <svg viewBox={format!("0 0 {PLOT} {PLOT}")} role="group" aria-label={props.title.clone()}>
                <line class="reference" x1={format!("{:.1}", a.0)} y1={format!("{:.1}", a.1)}
                      x2={format!("{:.1}", b.0)} y2={format!("{:.1}", b.1)} />
                <text class="tick" x={format!("{:.1}", sx(x_range.0))} y={(PLOT - 18.0).to_string()}>{ number(x_range.0) }</text>
                <text class="tick" x={format!("{:.1}", sx(x_range.1))} y={(PLOT - 18.0).to_string()}
                      text-anchor="end">{ number(x_range.1) }</text>
                <text class="tick" x={((PLOT + MARGIN) / 2.0).to_string()} y={(PLOT - 4.0).to_string()}
                      text-anchor="middle">{ props.x_label.clone() }</text>
                <text class="tick" x={(MARGIN - 4.0).to_string()} y={format!("{:.1}", sy(y_range.1) + 8.0)}
                      text-anchor="end">{ number(y_range.1) }</text>
                <text class="tick" x={(MARGIN - 4.0).to_string()} y={format!("{:.1}", sy(y_range.0))}
                      text-anchor="end">{ number(y_range.0) }</text>
                <text class="tick" transform={format!("translate(10 {:.1}) rotate(-90)", (PLOT - MARGIN) / 2.0)}
                      text-anchor="middle">{ props.y_label.clone() }</text>
                { for points }
            </svg>
        </figure>
    }
}
