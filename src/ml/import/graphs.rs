//! Graphs: JSON for graph classification (`{"graphs": [...]}`) and node classification
//! (`{"nodes", "edges", "labels"}`), or an edge-list CSV with a node CSV.

use super::table::read_csv;
use super::{
    Classes, Context, ImportError, Imported, UploadFile, fatal, imported, is_missing, named,
    parse_number, shown, stem, text_of,
};
use crate::ml::data::{Graph, Graphs, NO_LABEL, Nodes, Samples};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// A node's features as written: numbers or a category.
enum Feature {
    Numbers(Vec<f64>),
    Category(String),
}

/// Reads one node's features.
fn node_feature(value: &Value) -> Result<Feature, String> {
    match value {
        Value::Number(_) => number(value).map(|x| Feature::Numbers(vec![x])),
        Value::String(s) => Ok(Feature::Category(s.clone())),
        Value::Array(items) => items
            .iter()
            .map(number)
            .collect::<Result<_, _>>()
            .map(Feature::Numbers),
        other => Err(format!(
            "a node must be a number, an array of numbers or a category string, not {}",
            shown(&other.to_string())
        )),
    }
}

/// A number that fits a feature (finite as `f32`).
fn number(value: &Value) -> Result<f64, String> {
    match value.as_f64() {
        Some(x) if (x as f32).is_finite() => Ok(x),
        Some(_) => Err(format!("{value} is too large")),
        None => Err(format!("{} is not a number", shown(&value.to_string()))),
    }
}

/// The label of a graph or node as a class name (`None`: unlabeled).
fn label_of(value: Option<&Value>) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if is_missing(s) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(format!(
            "a label must be a string or a number, not {}",
            shown(&other.to_string())
        )),
    }
}

/// Edges as undirected pairs, each once; counts self-loops and duplicates. Errors name the
/// edge (counting from 0).
fn edges_of(
    value: Option<&Value>,
    nodes: usize,
    mut bad: impl FnMut(usize, String),
) -> (Vec<[u32; 2]>, usize, bool) {
    let Some(value) = value else {
        return (Vec::new(), 0, true);
    };
    let Some(list) = value.as_array() else {
        bad(
            0,
            "\"edges\" must be an array of [source, target] pairs".into(),
        );
        return (Vec::new(), 0, false);
    };
    let mut set = BTreeSet::new();
    let (mut loops, mut ok) = (0, true);
    for (e, edge) in list.iter().enumerate() {
        let pair = edge
            .as_array()
            .filter(|p| p.len() == 2)
            .and_then(|p| Some([p[0].as_u64()?, p[1].as_u64()?]));
        let Some([a, b]) = pair else {
            bad(
                e,
                format!("{} is not a pair of node numbers", shown(&edge.to_string())),
            );
            ok = false;
            continue;
        };
        if let Some(&missing) = [a, b].iter().find(|&&n| n >= nodes as u64) {
            bad(
                e,
                format!("node {missing} does not exist (the graph has {nodes} nodes)"),
            );
            ok = false;
            continue;
        }
        if a == b {
            loops += 1;
        } else {
            set.insert([a.min(b) as u32, a.max(b) as u32]);
        }
    }
    (set.into_iter().collect(), loops, ok)
}

/// Features of every node of every graph as one width: numbers as they are, categories
/// one-hot over all categories. Returns the width and the feature names.
struct Encoder {
    categories: Vec<String>,
    index: HashMap<String, usize>,
    width: Option<usize>,
}

impl Encoder {
    fn new<'a>(all: impl Iterator<Item = &'a Value>) -> Encoder {
        let mut categories: Vec<String> =
            all.filter_map(|v| v.as_str().map(str::to_string)).collect();
        categories.sort();
        categories.dedup();
        let index = categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        Encoder {
            categories,
            index,
            width: None,
        }
    }

    /// The features of `nodes`, or why not.
    fn encode(&mut self, nodes: &[Value]) -> Result<Vec<f32>, String> {
        let mut out = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let feature = node_feature(node).map_err(|e| format!("node {i}: {e}"))?;
            match feature {
                Feature::Category(c) if !self.categories.is_empty() => {
                    let mut one_hot = vec![0.0; self.categories.len()];
                    let k = self.index.get(&c).copied().unwrap_or(0);
                    one_hot[k] = 1.0;
                    self.check_width(one_hot.len(), i)?;
                    out.extend(one_hot);
                }
                Feature::Numbers(v) if self.categories.is_empty() => {
                    self.check_width(v.len(), i)?;
                    out.extend(v.iter().map(|&x| x as f32));
                }
                _ => return Err(format!("node {i}: mixes category names and numbers")),
            }
        }
        Ok(out)
    }

    fn check_width(&mut self, width: usize, node: usize) -> Result<(), String> {
        if width == 0 {
            return Err(format!("node {node}: has no features"));
        }
        match self.width {
            None => self.width = Some(width),
            Some(w) if w != width => {
                return Err(format!(
                    "node {node}: has {width} features, other nodes have {w}"
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn names(&self) -> Vec<String> {
        if self.categories.is_empty() {
            let w = self.width.unwrap_or(1);
            if w == 1 {
                vec!["value".into()]
            } else {
                (1..=w).map(|i| format!("feature {i}")).collect()
            }
        } else {
            self.categories.clone()
        }
    }
}

/// Reads graph JSON.
pub(crate) fn from_json(file: &UploadFile, ctx: &mut Context) -> Result<Imported, ImportError> {
    let name = &file.name;
    let text = text_of(file)?;
    ctx.tick(name, 0, 1);
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |m| m.0);
        fatal(
            name,
            &format!("line {}, column {}", e.line(), e.column()),
            format!("invalid JSON: {message}"),
        )
    })?;
    let Value::Object(top) = &value else {
        return Err(fatal(
            name,
            "",
            "expected an object with \"graphs\", or \"nodes\" and \"edges\"",
        ));
    };
    if let Some(graphs) = top.get("graphs") {
        let Some(graphs) = graphs.as_array() else {
            return Err(fatal(name, "", "\"graphs\" must be an array"));
        };
        graph_classification(name, graphs, ctx)
    } else if let Some(nodes) = top.get("nodes") {
        let Some(nodes) = nodes.as_array() else {
            return Err(fatal(name, "", "\"nodes\" must be an array"));
        };
        node_classification(name, nodes, top.get("edges"), top.get("labels"), ctx)
    } else {
        Err(fatal(
            name,
            "",
            "expected an object with \"graphs\", or \"nodes\" and \"edges\"",
        ))
    }
}

fn graph_classification(
    name: &str,
    list: &[Value],
    ctx: &mut Context,
) -> Result<Imported, ImportError> {
    if list.len() > super::MAX_SAMPLES {
        return Err(fatal(
            name,
            "",
            format!(
                "{} graphs, more than the limit of {}",
                list.len(),
                super::MAX_SAMPLES
            ),
        ));
    }
    let empty = Vec::new();
    let nodes_of = |g: &Value| {
        g.get("nodes")
            .and_then(Value::as_array)
            .unwrap_or(&empty)
            .clone()
    };
    let mut encoder = Encoder::new(
        list.iter()
            .filter_map(|g| g.get("nodes").and_then(Value::as_array))
            .flatten(),
    );
    let mut kept: Vec<(Graph, Option<String>, String)> = Vec::new();
    let mut loops = 0;
    for (g, item) in list.iter().enumerate() {
        ctx.tick(name, g, list.len());
        let location = format!("graph {g}");
        if !item.is_object() {
            ctx.problem(
                name,
                location,
                "each graph must be an object with \"nodes\" and \"edges\"",
            );
            continue;
        }
        let nodes = nodes_of(item);
        if nodes.is_empty() {
            ctx.problem(name, location, "the graph has no nodes");
            continue;
        }
        // `y` as PyTorch Geometric names a graph's target.
        let label = match label_of(item.get("label").or_else(|| item.get("y"))) {
            Ok(l) => l,
            Err(e) => {
                ctx.problem(name, location, e);
                continue;
            }
        };
        let features = match encoder.encode(&nodes) {
            Ok(f) => f,
            Err(e) => {
                let (node, message) = e.split_once(": ").unwrap_or(("", &e));
                ctx.problem(name, format!("{location}, {node}"), message);
                continue;
            }
        };
        let mut errors = Vec::new();
        let (edges, l, ok) = edges_of(item.get("edges"), nodes.len(), |e, m| errors.push((e, m)));
        for (e, m) in errors {
            ctx.problem(name, format!("graph {g}, edge {e}"), m);
        }
        if !ok {
            continue;
        }
        loops += l;
        let id = match item.get("id") {
            Some(Value::String(id)) => id.clone(),
            Some(Value::Number(id)) => id.to_string(),
            _ => g.to_string(),
        };
        kept.push((
            Graph {
                features,
                edges,
                bonds: Vec::new(),
            },
            label,
            id,
        ));
    }
    ctx.tick(name, list.len(), list.len());
    let classes = Classes::new(kept.iter().filter_map(|k| k.1.as_deref()));
    classes.check(name, "the labels")?;
    let feature_dim = encoder.width.unwrap_or(1);
    let names = encoder.names();
    let mut samples = Graphs {
        measured: Vec::new(),
        feature_dim,
        feature_names: names.clone(),
        graphs: Vec::new(),
        labels: Vec::new(),
    };
    let mut unlabeled = Graphs {
        measured: Vec::new(),
        feature_dim,
        feature_names: names,
        graphs: Vec::new(),
        labels: Vec::new(),
    };
    let (mut ids, mut unlabeled_ids) = (Vec::new(), Vec::new());
    for (graph, label, id) in kept {
        match label {
            Some(l) => {
                samples.labels.push(classes.get(&l));
                samples.graphs.push(graph);
                ids.push(id);
            }
            None => {
                unlabeled.labels.push(NO_LABEL);
                unlabeled.graphs.push(graph);
                unlabeled_ids.push(id);
            }
        }
    }
    let mut notes = vec![format!(
        "{} graphs, {} node features{}.",
        samples.graphs.len() + unlabeled.graphs.len(),
        feature_dim,
        if encoder.categories.is_empty() {
            String::new()
        } else {
            " (one-hot node categories)".into()
        }
    )];
    if loops > 0 {
        notes.push(format!("Self-loops dropped: {loops}."));
    }
    if !unlabeled.graphs.is_empty() {
        notes.push(format!(
            "Graphs without a label, kept as unlabeled: {}.",
            unlabeled.graphs.len()
        ));
    }
    let mut out = imported(
        stem(name),
        "graphs (JSON)",
        classes.names,
        Samples::Graphs(samples),
    );
    out.unlabeled = (!unlabeled.graphs.is_empty()).then_some(Samples::Graphs(unlabeled));
    out.ids = ids;
    out.unlabeled_ids = unlabeled_ids;
    out.notes = notes;
    Ok(out)
}

fn node_classification(
    name: &str,
    nodes: &[Value],
    edges: Option<&Value>,
    labels: Option<&Value>,
    ctx: &mut Context,
) -> Result<Imported, ImportError> {
    if nodes.is_empty() {
        return Err(fatal(name, "", "the graph has no nodes"));
    }
    if nodes.len() > super::MAX_SAMPLES {
        return Err(fatal(
            name,
            "",
            format!(
                "{} nodes, more than the limit of {}",
                nodes.len(),
                super::MAX_SAMPLES
            ),
        ));
    }
    let Some(labels) = labels.and_then(Value::as_array) else {
        return Err(fatal(
            name,
            "",
            "no \"labels\" array (one label per node, null for unlabeled nodes)",
        ));
    };
    if labels.len() != nodes.len() {
        return Err(fatal(
            name,
            "",
            format!("{} labels for {} nodes", labels.len(), nodes.len()),
        ));
    }
    let mut encoder = Encoder::new(nodes.iter());
    let features = encoder.encode(nodes).map_err(|e| fatal(name, "", e))?;
    let mut errors = Vec::new();
    let (edges, loops, _) = edges_of(edges, nodes.len(), |e, m| errors.push((e, m)));
    for (e, m) in errors {
        ctx.problem(name, format!("edge {e}"), m);
    }
    let mut node_labels = Vec::with_capacity(nodes.len());
    for (i, l) in labels.iter().enumerate() {
        match label_of(Some(l)) {
            Ok(l) => node_labels.push(l),
            Err(e) => {
                ctx.problem(name, format!("label {i}"), e);
                node_labels.push(None);
            }
        }
    }
    let feature_dim = encoder.width.unwrap_or(1);
    let mut out = nodes_dataset(
        name,
        Graph {
            features,
            edges,
            bonds: Vec::new(),
        },
        feature_dim,
        node_labels,
        (0..nodes.len()).map(|i| i.to_string()).collect(),
        loops,
        "graph nodes (JSON)",
    )?;
    if let Samples::Nodes(_) = &out.samples {
        out.notes
            .insert(1, format!("Node features: {}.", encoder.names().join(", ")));
    }
    Ok(out)
}

/// Nodes with labels become samples; the others stay in the graph as unlabeled.
fn nodes_dataset(
    name: &str,
    graph: Graph,
    feature_dim: usize,
    labels: Vec<Option<String>>,
    node_ids: Vec<String>,
    loops: usize,
    format: &str,
) -> Result<Imported, ImportError> {
    let classes = Classes::new(labels.iter().filter_map(|l| l.as_deref()));
    classes.check(name, "the labels")?;
    let all_labels: Vec<u32> = labels
        .iter()
        .map(|l| l.as_deref().map_or(NO_LABEL, |l| classes.get(l)))
        .collect();
    let (labeled, unlabeled): (Vec<usize>, Vec<usize>) =
        (0..labels.len()).partition(|&i| labels[i].is_some());
    let edges = graph.edges.len();
    let graph = Arc::new(graph);
    let all_labels = Arc::new(all_labels);
    let part = |nodes: Vec<usize>, real: bool| Nodes {
        measured: Vec::new(),
        feature_dim,
        graph: graph.clone(),
        all_labels: all_labels.clone(),
        labels: nodes
            .iter()
            .map(|&i| if real { all_labels[i] } else { NO_LABEL })
            .collect(),
        nodes,
    };
    let mut notes = vec![format!(
        "One graph of {} nodes and {edges} edges; {} nodes are labeled.",
        labels.len(),
        labeled.len()
    )];
    if loops > 0 {
        notes.push(format!("Self-loops dropped: {loops}."));
    }
    if !unlabeled.is_empty() {
        notes.push(format!(
            "Nodes without a label (in the graph, but not samples): {}.",
            unlabeled.len()
        ));
    }
    let ids = labeled.iter().map(|&i| node_ids[i].clone()).collect();
    let mut out = imported(
        stem(name),
        format,
        classes.names,
        Samples::Nodes(part(labeled, true)),
    );
    out.ids = ids;
    out.unlabeled_ids = unlabeled.iter().map(|&i| node_ids[i].clone()).collect();
    out.unlabeled = (!unlabeled.is_empty()).then(|| Samples::Nodes(part(unlabeled, false)));
    out.notes = notes;
    Ok(out)
}

/// Reads an edge-list CSV (`source,target`) and a node CSV (`id,label,feature...`), in any
/// order.
pub(crate) fn from_csvs(
    a: &UploadFile,
    b: &UploadFile,
    ctx: &mut Context,
) -> Result<Imported, ImportError> {
    let (ha, ra) = read_csv(a, ctx)?;
    let (hb, rb) = read_csv(b, ctx)?;
    let is_edges = |h: &[String]| h.iter().any(|c| named(c, &["source", "src", "from"]));
    let ((edge_file, eh, er), (node_file, nh, nr)) = if is_edges(&ha) {
        ((a, ha, ra), (b, hb, rb))
    } else if is_edges(&hb) {
        ((b, hb, rb), (a, ha, ra))
    } else {
        return Err(fatal(
            &b.name,
            "line 1",
            "two CSV files: expected an edge list with columns source,target and a node list \
             with columns id,label,features",
        ));
    };
    let src = eh
        .iter()
        .position(|c| named(c, &["source", "src", "from"]))
        .unwrap_or(0);
    let dst = eh
        .iter()
        .position(|c| named(c, &["target", "dst", "to", "destination"]))
        .unwrap_or(if src == 0 { 1 } else { 0 });
    if eh.len() < 2 {
        return Err(fatal(
            &edge_file.name,
            "line 1",
            "an edge list needs two columns: source,target",
        ));
    }
    let id = nh
        .iter()
        .position(|c| named(c, &["id", "node", "name"]))
        .unwrap_or(0);
    let label = nh
        .iter()
        .position(|c| named(c, &["label", "class", "target", "y"]))
        .or(if nh.len() > 1 {
            Some(if id == 0 { 1 } else { 0 })
        } else {
            None
        })
        .ok_or_else(|| {
            fatal(
                &node_file.name,
                "line 1",
                "a node list needs columns id,label",
            )
        })?;
    if nr.len() > super::MAX_SAMPLES {
        return Err(fatal(
            &node_file.name,
            "",
            format!("more than {} nodes", super::MAX_SAMPLES),
        ));
    }
    // Features: the numeric columns besides id and label; a constant when there are none.
    let features: Vec<usize> = (0..nh.len())
        .filter(|&c| c != id && c != label)
        .filter(|&c| {
            nr.iter()
                .all(|r| is_missing(&r.fields[c]) || parse_number(&r.fields[c]).is_some())
        })
        .collect();
    let mut index = HashMap::new();
    let mut values = Vec::new();
    let mut labels = Vec::new();
    let mut node_ids = Vec::new();
    for row in &nr {
        let key = row.fields[id].clone();
        if index.contains_key(&key) {
            ctx.problem(
                &node_file.name,
                format!("line {}", row.line),
                format!("node {} is listed twice", shown(&key)),
            );
            continue;
        }
        index.insert(key.clone(), labels.len());
        node_ids.push(key);
        if features.is_empty() {
            values.push(1.0);
        }
        for &c in &features {
            values.push(parse_number(&row.fields[c]).unwrap_or(0.0) as f32);
        }
        let l = &row.fields[label];
        labels.push((!is_missing(l)).then(|| l.clone()));
    }
    if labels.is_empty() {
        return Err(fatal(&node_file.name, "", "no nodes"));
    }
    let mut set = BTreeSet::new();
    let mut loops = 0;
    for row in &er {
        let ends: Vec<Option<&usize>> = [src, dst]
            .iter()
            .map(|&c| index.get(&row.fields[c]))
            .collect();
        match (ends[0], ends[1]) {
            (Some(&x), Some(&y)) if x == y => loops += 1,
            (Some(&x), Some(&y)) => {
                set.insert([x.min(y) as u32, x.max(y) as u32]);
            }
            _ => {
                let missing = if ends[0].is_none() {
                    &row.fields[src]
                } else {
                    &row.fields[dst]
                };
                ctx.problem(
                    &edge_file.name,
                    format!("line {}", row.line),
                    format!(
                        "node {} does not exist ({} has {} nodes)",
                        shown(missing),
                        node_file.name,
                        labels.len()
                    ),
                );
            }
        }
    }
    let feature_dim = features.len().max(1);
    let graph = Graph {
        features: values,
        edges: set.into_iter().collect(),
        bonds: Vec::new(),
    };
    let mut out = nodes_dataset(
        &node_file.name,
        graph,
        feature_dim,
        labels,
        node_ids,
        loops,
        "graph nodes (edge and node CSVs)",
    )?;
    out.feature_columns = features.iter().map(|&c| nh[c].clone()).collect();
    out.label_column = Some(nh[label].clone());
    if features.is_empty() {
        out.notes.push(
            "The node list has no numeric feature columns: every node gets the feature 1.".into(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{ImportOptions, import};
    use super::*;

    fn load(files: &[(&str, &str)]) -> Result<Imported, ImportError> {
        let files: Vec<UploadFile> = files
            .iter()
            .map(|(n, t)| UploadFile {
                name: n.to_string(),
                bytes: t.as_bytes().to_vec(),
            })
            .collect();
        import(&files, &ImportOptions::default(), &mut |_| {})
    }

    #[test]
    fn graph_classification_with_categories() {
        let json = r#"{"graphs": [
            {"nodes": ["C", "O", "C"], "edges": [[0,1],[1,0],[1,2],[2,2]], "label": "a"},
            {"nodes": ["N", "C"], "edges": [[0,1]], "label": "b"},
            {"nodes": ["N"], "edges": [], "label": null}]}"#;
        let out = load(&[("g.json", json)]).unwrap();
        let Samples::Graphs(g) = &out.samples else {
            panic!()
        };
        assert_eq!(g.feature_names, ["C", "N", "O"]);
        assert_eq!(g.graphs[0].edges, [[0, 1], [1, 2]]);
        assert_eq!(g.graphs[0].features[..3], [1.0, 0.0, 0.0]);
        assert_eq!(out.unlabeled.unwrap().len(), 1);
        assert!(
            out.notes
                .iter()
                .any(|n| n.contains("Self-loops dropped: 1"))
        );
    }

    #[test]
    fn bad_edge_names_graph_and_edge() {
        let json = r#"{"graphs": [{"nodes": [1,2], "edges": [[0,1]], "label": 0},
            {"nodes": [1,2], "edges": [[0,1],[1,5]], "label": 1}, {"nodes": [[1],[2]], "edges": [], "label": 1}]}"#;
        let Err(ImportError::Partial { problems, valid }) = load(&[("g.json", json)]) else {
            panic!()
        };
        assert_eq!(valid, 2);
        assert_eq!(
            problems[0].to_string(),
            "g.json, graph 1, edge 1: node 5 does not exist (the graph has 2 nodes)"
        );
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let Err(ImportError::Fatal(p)) = load(&[("g.json", "{\n \"graphs\": [1,]\n}")]) else {
            panic!()
        };
        assert!(p.location.starts_with("line 2, column"), "{p}");
    }

    #[test]
    fn node_classification_json_and_csv() {
        let json = r#"{"nodes": [0.5, 1.5, 2.5, 3.0], "edges": [[0,1],[2,3]], "labels": ["a", "a", "b", null]}"#;
        let out = load(&[("n.json", json)]).unwrap();
        let Samples::Nodes(n) = &out.samples else {
            panic!()
        };
        assert_eq!(n.nodes, [0, 1, 2]);
        assert_eq!(n.graph.num_nodes(1), 4);
        let out = load(&[
            ("edges.csv", "source,target\na,b\nb,c\nc,a\n"),
            ("nodes.csv", "id,label,w\na,x,1\nb,y,2\nc,,3\n"),
        ])
        .unwrap();
        assert_eq!(out.samples.len(), 2);
        assert_eq!(out.feature_columns, ["w"]);
    }
}
