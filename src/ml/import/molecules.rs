//! Tables of molecules: a CSV/TSV column of SMILES strings becomes molecular graphs, atoms as
//! nodes, bonds as edges.

use super::smiles::{BondOrder, Molecule, parse};
use super::table::{Row, column_infos, label_column};
use super::{Classes, Context, ImportError, Imported, imported, is_missing, stem};
use crate::ml::data::{Graph, Graphs, NO_LABEL, Samples};

/// Elements with a feature of their own, in feature order; any other element is `other`.
pub const ELEMENTS: [&str; 9] = ["C", "N", "O", "S", "F", "Cl", "Br", "I", "P"];
/// Degrees (bonded heavy atoms) one-hot: 0, 1, 2, 3, 4 or more.
const DEGREES: usize = 5;
/// Attached hydrogens one-hot: 0, 1, 2, 3 or more.
const HYDROGENS: usize = 4;

/// The name of every atom feature, in order. The element comes first, so that the gallery's
/// colour (the largest feature) is the element's.
pub fn atom_feature_names() -> Vec<String> {
    let mut names: Vec<String> = ELEMENTS.iter().map(|e| e.to_string()).collect();
    names.push("other element".into());
    names.extend((0..DEGREES).map(|d| {
        let more = if d == DEGREES - 1 { "+" } else { "" };
        format!("degree {d}{more}")
    }));
    names.extend((0..HYDROGENS).map(|h| {
        let more = if h == HYDROGENS - 1 { "+" } else { "" };
        format!("{h}{more} H")
    }));
    names.extend(["charge / 2", "aromatic", "in ring"].map(String::from));
    names
}

/// The molecule as a graph of [`atom_feature_names`] features per atom.
pub fn graph_of(molecule: &Molecule) -> Graph {
    let width = atom_feature_names().len();
    let mut features = vec![0.0; molecule.atoms.len() * width];
    for (atom, row) in molecule.atoms.iter().zip(features.chunks_mut(width)) {
        let element = ELEMENTS
            .iter()
            .position(|&e| e == atom.symbol)
            .unwrap_or(ELEMENTS.len());
        row[element] = 1.0;
        let mut at = ELEMENTS.len() + 1;
        row[at + usize::from(atom.degree).min(DEGREES - 1)] = 1.0;
        at += DEGREES;
        row[at + usize::from(atom.hydrogens).min(HYDROGENS - 1)] = 1.0;
        at += HYDROGENS;
        // Halved and clipped so that no feature outweighs the element's 1.
        row[at] = f32::from(atom.charge.clamp(-2, 2)) / 2.0;
        row[at + 1] = f32::from(u8::from(atom.aromatic));
        row[at + 2] = f32::from(u8::from(atom.in_ring));
    }
    Graph {
        features,
        edges: molecule.bonds.iter().map(|b| b.atoms).collect(),
        bonds: molecule
            .bonds
            .iter()
            .map(|b| match b.order {
                BondOrder::Single => 1,
                BondOrder::Double => 2,
                BondOrder::Triple => 3,
                BondOrder::Aromatic => 4,
            })
            .collect(),
    }
}

/// Reads rows whose column `smiles` holds SMILES strings as labeled molecular graphs (the
/// label column as for tables; rows without a label are kept unlabeled). A string that is
/// not a molecule is a problem of its line, naming the character where reading stopped.
pub(crate) fn from_rows(
    name: &str,
    header: &[String],
    rows: &[Row],
    smiles: usize,
    ctx: &mut Context,
) -> Result<Imported, ImportError> {
    let label = label_column(
        name,
        header,
        ctx.options.label_column.as_deref(),
        Some(smiles),
    )?;
    let mut kept: Vec<(Graph, Option<String>, String, String)> = Vec::new();
    for (done, row) in rows.iter().enumerate() {
        ctx.tick(name, done, rows.len());
        let text = &row.fields[smiles];
        let location = format!("line {}", row.line);
        if is_missing(text) {
            ctx.problem(
                name,
                location,
                format!("no SMILES in column {}", header[smiles]),
            );
            continue;
        }
        match parse(text) {
            Ok(molecule) => kept.push((
                graph_of(&molecule),
                Some(row.fields[label].clone()).filter(|l| !is_missing(l)),
                row.line.to_string(),
                text.trim().to_string(),
            )),
            Err(e) => ctx.problem(name, location, format!("{text} is not valid SMILES: {e}")),
        }
    }
    ctx.tick(name, rows.len(), rows.len());
    let classes = Classes::new(kept.iter().filter_map(|k| k.1.as_deref()));
    classes.check(name, &format!("column {}", header[label]))?;
    let names = atom_feature_names();
    let empty = Graphs {
        measured: Vec::new(),
        feature_dim: names.len(),
        feature_names: names,
        graphs: Vec::new(),
        labels: Vec::new(),
    };
    let (mut samples, mut unlabeled) = (empty.clone(), empty);
    let (mut ids, mut unlabeled_ids) = (Vec::new(), Vec::new());
    let (mut written, mut unlabeled_written) = (Vec::new(), Vec::new());
    for (graph, label, id, text) in kept {
        match label {
            Some(l) => {
                samples.labels.push(classes.get(&l));
                samples.graphs.push(graph);
                ids.push(id);
                written.push(text);
            }
            None => {
                unlabeled.labels.push(NO_LABEL);
                unlabeled.graphs.push(graph);
                unlabeled_ids.push(id);
                unlabeled_written.push(text);
            }
        }
    }
    let atoms: usize = samples
        .graphs
        .iter()
        .chain(&unlabeled.graphs)
        .map(|g| g.num_nodes(samples.feature_dim))
        .sum();
    let molecules = samples.graphs.len() + unlabeled.graphs.len();
    let mut notes = vec![format!(
        "{molecules} molecules from the SMILES of column {}, {:.1} atoms each on average: \
         atoms are nodes (element, degree, hydrogens, charge, aromatic, in a ring), bonds are \
         edges.",
        header[smiles],
        atoms as f64 / molecules.max(1) as f64
    )];
    if !unlabeled.graphs.is_empty() {
        notes.push(format!(
            "Molecules without a label, kept as unlabeled: {}.",
            unlabeled.graphs.len()
        ));
    }
    let mut out = imported(
        stem(name),
        "molecules (SMILES in a table)",
        classes.names,
        Samples::Graphs(samples),
    );
    out.unlabeled = (!unlabeled.graphs.is_empty()).then_some(Samples::Graphs(unlabeled));
    out.ids = ids;
    out.unlabeled_ids = unlabeled_ids;
    out.smiles = written;
    out.unlabeled_smiles = unlabeled_written;
    out.notes = notes;
    out.columns = column_infos(header, rows);
    out.label_column = Some(header[label].clone());
    out.feature_columns = vec![header[smiles].clone()];
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{ImportError, ImportOptions, UploadFile, import};
    use super::*;

    fn load(text: &str, options: &ImportOptions) -> Result<Imported, ImportError> {
        let file = UploadFile {
            name: "solubility.csv".into(),
            bytes: text.as_bytes().to_vec(),
        };
        import(&[file], options, &mut |_| {})
    }

    #[test]
    fn a_smiles_column_becomes_molecular_graphs() {
        let csv = "name,SMILES,soluble\n\
                   ethanol,CCO,yes\n\
                   benzene,c1ccccc1,no\n\
                   phenol,c1ccccc1O,yes\n\
                   salt,[Na+].[Cl-],\n\
                   hexane,CCCCCC,no\n";
        let out = load(csv, &ImportOptions::default()).unwrap();
        assert_eq!(out.format, "molecules (SMILES in a table)");
        assert_eq!(out.class_names, ["no", "yes"]);
        let Samples::Graphs(graphs) = &out.samples else {
            panic!("graphs expected")
        };
        assert_eq!(graphs.feature_dim, atom_feature_names().len());
        assert_eq!(graphs.labels, [1, 0, 1, 0]);
        assert_eq!(out.ids, ["2", "3", "4", "6"]);
        let benzene = &graphs.graphs[1];
        assert_eq!(benzene.num_nodes(graphs.feature_dim), 6);
        assert_eq!(benzene.edges.len(), 6);
        let carbon = &benzene.features[..graphs.feature_dim];
        let named = |n: &str| atom_feature_names().iter().position(|f| f == n).unwrap();
        assert_eq!(carbon[named("C")], 1.0);
        assert_eq!(carbon[named("aromatic")], 1.0);
        assert_eq!(carbon[named("in ring")], 1.0);
        assert_eq!(carbon[named("degree 2")], 1.0);
        assert_eq!(carbon[named("1 H")], 1.0);
        assert_eq!(out.unlabeled.as_ref().map(Samples::len), Some(1));
        assert_eq!(out.unlabeled_ids, ["5"]);
        assert_eq!(out.label_column.as_deref(), Some("soluble"));
    }

    #[test]
    fn bonds_keep_their_order_for_drawing() {
        let graph = graph_of(&parse("C=CC#N").unwrap());
        assert_eq!(graph.edges, [[0, 1], [1, 2], [2, 3]]);
        assert_eq!(graph.bonds, [2, 1, 3]);
        assert_eq!(graph_of(&parse("c1ccccc1").unwrap()).bonds, [4; 6]);
    }

    #[test]
    fn a_numeric_column_beside_smiles_is_a_measured_target() {
        let csv = "smiles,logS\nCCO,1.1\nc1ccccc1,-1.64\nCCCCCC,\nCC(=O)O,1.22\n";
        let out = load(csv, &ImportOptions::default()).unwrap();
        assert_eq!(out.class_names, ["logS"]);
        assert_eq!(out.samples.measured(), [1.1, -1.64, 1.22]);
        assert_eq!(out.samples.labels(), [0, 0, 0]);
        assert_eq!(out.ids, ["2", "3", "5"]);
        assert_eq!(out.smiles, ["CCO", "c1ccccc1", "CC(=O)O"]);
        assert_eq!(out.unlabeled_smiles, ["CCCCCC"]);
        let pool = out.unlabeled.as_ref().expect("the row without a value");
        assert!(pool.measured()[0].is_nan());
        assert_eq!(pool.labels(), [NO_LABEL]);
        assert!(
            out.notes.iter().any(|n| n.contains("regression")),
            "{:?}",
            out.notes
        );
        // The same column read as classes when the user says so.
        let classes = ImportOptions {
            target: super::super::TargetKind::Classes,
            ..ImportOptions::default()
        };
        let out = load(csv, &classes).unwrap();
        assert_eq!(out.class_names, ["-1.64", "1.1", "1.22"]);
        assert!(out.samples.measured().is_empty());
    }

    #[test]
    fn measured_targets_must_be_numbers_that_vary() {
        let measured = ImportOptions {
            target: super::super::TargetKind::Measured,
            ..ImportOptions::default()
        };
        let Err(ImportError::Fatal(problem)) =
            load("smiles,logS\nCCO,1.5\nCCN,high\nCCC,2\n", &measured)
        else {
            panic!("a text value is refused as a measured target")
        };
        assert_eq!(problem.location, "line 3");
        assert!(
            problem.message.contains("\"high\" is not a number"),
            "{problem}"
        );
        let Err(ImportError::Fatal(problem)) = load("smiles,logS\nCCO,1.5\nCCN,1.5\n", &measured)
        else {
            panic!("one value is nothing to learn")
        };
        assert!(
            problem.message.contains("every measured value is 1.5"),
            "{problem}"
        );
        // Whole numbers, few of them: classes unless the user says otherwise.
        let out = load(
            "smiles,group\nCCO,1\nCCN,2\nCCC,1\n",
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(out.class_names, ["1", "2"]);
        let out = load("smiles,group\nCCO,1\nCCN,2\nCCC,1\n", &measured).unwrap();
        assert_eq!(out.samples.measured(), [1.0, 2.0, 1.0]);
    }

    #[test]
    fn bad_smiles_are_named_with_line_and_character() {
        let csv = "smiles,active\nCCO,1\nCC(C,0\nc1ccccc1,1\nCCN,0\nC1CC,1\n";
        let Err(ImportError::Partial { problems, valid }) = load(csv, &ImportOptions::default())
        else {
            panic!("a partial load expected")
        };
        assert_eq!(valid, 3);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].location, "line 3");
        assert!(problems[0].message.contains("CC(C"), "{}", problems[0]);
        assert!(
            problems[0].message.contains("character 5"),
            "{}",
            problems[0]
        );
        assert_eq!(problems[1].location, "line 6");
        assert!(
            problems[1].message.contains("never closed"),
            "{}",
            problems[1]
        );
        let options = ImportOptions {
            accept_partial: true,
            ..ImportOptions::default()
        };
        let out = load(csv, &options).unwrap();
        assert_eq!(out.samples.len(), 3);
        assert_eq!(out.skipped.len(), 2);
    }
}
