use crate::ml::metrics::ConfusionMatrix;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConfusionTableProps {
    pub matrix: ConfusionMatrix,
    pub class_names: Vec<String>,
    /// Called with `(truth, predicted)` when a cell is clicked.
    pub onselect: Callback<(u32, u32)>,
    /// The cell whose samples are shown.
    #[prop_or_default]
    pub selected: Option<(u32, u32)>,
}

/// A confusion matrix: rows are true classes, columns predictions; each cell is a button
/// that shows its samples.
#[component]
pub fn ConfusionTable(props: &ConfusionTableProps) -> Html {
    let name = |i: usize| {
        props
            .class_names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("class {i}"))
    };
    let max = props
        .matrix
        .counts
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let rows = props.matrix.counts.iter().enumerate().map(|(t, row)| {
        let cells = row.iter().enumerate().map(|(p, &count)| {
            let pick = (t as u32, p as u32);
            let onclick = props.onselect.reform(move |_: MouseEvent| pick);
            let shade = f64::from(count) / f64::from(max);
            let style = if t == p {
                format!("background: rgba(47,111,94,{:.2})", 0.1 + 0.7 * shade)
            } else {
                format!("background: rgba(192,80,77,{:.2})", if count > 0 { 0.15 + 0.7 * shade } else { 0.0 })
            };
            html! {
                <td {style} class={classes!((props.selected == Some(pick)).then_some("selected"))}>
                    <button class="cell" {onclick}
                            aria-label={format!("true {}, predicted {}: {count}", name(t), name(p))}>
                        { count }
                    </button>
                </td>
            }
        });
        html! { <tr><th scope="row">{ name(t) }</th>{ for cells }</tr> }
    });
    html! {
        <>
        <p class="confusion-note">{"Confusion matrix — rows: true class, columns: predicted. Click a cell to see its samples."}</p>
        <table class="confusion" aria-label="Confusion matrix">
            <thead>
                <tr><td class="corner"></td>{ for (0..props.class_names.len()).map(|p| html! { <th scope="col">{ name(p) }</th> }) }</tr>
            </thead>
            <tbody>{ for rows }</tbody>
        </table>
        </>
    }
}
