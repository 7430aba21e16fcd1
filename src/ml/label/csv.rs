//! Labels and predictions as CSV files: what a person exports, keeps and imports again.

use super::{AssignedLabel, LabelSource};
use crate::ml::import::{MAX_PROBLEMS_SHOWN, Problem};
use std::collections::HashMap;

/// The header of a labels file.
pub const LABELS_HEADER: [&str; 3] = ["id", "label", "source"];

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> String {
    let bytes = writer.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

/// The header of a labels file for a measured target.
pub const VALUES_HEADER: [&str; 3] = ["id", "value", "source"];

/// `id,label,source` rows of the assigned labels, in the order given, labels by class name;
/// for a `measured` target `id,value,source`.
pub fn labels_to_csv(labels: &[AssignedLabel], class_names: &[String], measured: bool) -> String {
    let mut out = writer();
    out.write_record(if measured {
        VALUES_HEADER
    } else {
        LABELS_HEADER
    })
    .expect("in memory");
    for label in labels {
        let given = if measured {
            label.value.map(|v| v.to_string()).unwrap_or_default()
        } else {
            class_names
                .get(label.class as usize)
                .cloned()
                .unwrap_or_default()
        };
        out.write_record([label.id.as_str(), &given, label.source.id()])
            .expect("in memory");
    }
    finish(out)
}

/// Reads a labels file (`id,label` and optionally `source`; the columns in any order, found by
/// their header). Every row must name a sample of `ids` (`ids[id]` = anything) and a class of
/// `class_names`, or for a `measured` target a number (column `value`, or `label`); `source`
/// is `human` (the default) or `pseudo`. Any problem refuses the
/// whole file: the problems name the file and each line (at most [`MAX_PROBLEMS_SHOWN`]).
pub fn parse_labels<T>(
    file: &str,
    text: &str,
    ids: &HashMap<String, T>,
    class_names: &[String],
    measured: bool,
) -> Result<Vec<AssignedLabel>, Vec<Problem>> {
    let problem = |line: usize, message: String| Problem {
        file: file.to_string(),
        location: if line == 0 {
            String::new()
        } else {
            format!("line {line}")
        },
        message,
    };
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(record)) => record.iter().map(|f| f.trim().to_lowercase()).collect(),
        Some(Err(e)) => return Err(vec![problem(1, format!("not a CSV file ({e})"))]),
        None => return Err(vec![problem(0, "the file is empty".into())]),
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let given_col = if measured {
        column("value").or(column("label"))
    } else {
        column("label")
    };
    let (Some(id_col), Some(label_col)) = (column("id"), given_col) else {
        return Err(vec![problem(
            1,
            format!(
                "the header must name the columns id and {} (and optionally source); it is \"{}\"",
                if measured { "value" } else { "label" },
                header.join(",")
            ),
        )]);
    };
    let source_col = column("source");
    let class_of: HashMap<&str, u32> = class_names
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i as u32))
        .collect();
    let mut labels = Vec::new();
    let mut problems = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(problem(line, format!("unreadable row ({e})")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |c: usize| record.get(c).map_or("", str::trim);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let id = field(id_col);
        let label = field(label_col);
        if !ids.contains_key(id) {
            problems.push(problem(
                line,
                format!("no unlabeled sample of this dataset has the id \"{id}\""),
            ));
            continue;
        }
        let value = if measured {
            match label.parse::<f32>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    problems.push(problem(
                        line,
                        if label.is_empty() {
                            "the value is empty".into()
                        } else {
                            format!("\"{label}\" is not a number")
                        },
                    ));
                    continue;
                }
            }
        } else {
            None
        };
        let class = if measured {
            Some(&0)
        } else {
            class_of.get(label)
        };
        let Some(&class) = class else {
            problems.push(problem(
                line,
                if label.is_empty() {
                    "the label is empty".into()
                } else {
                    format!(
                        "\"{label}\" is not a class of this dataset (classes: {})",
                        class_names.join(", ")
                    )
                },
            ));
            continue;
        };
        let source = match source_col.map(field) {
            None | Some("") => LabelSource::Human,
            Some(word) => match LabelSource::from_id(&word.to_lowercase()) {
                Some(source) => source,
                None => {
                    problems.push(problem(
                        line,
                        format!("source \"{word}\" is neither human nor pseudo"),
                    ));
                    continue;
                }
            },
        };
        if let Some(first) = first_line.insert(id.to_string(), line) {
            problems.push(problem(
                line,
                format!("the id \"{id}\" is labeled again (first on line {first})"),
            ));
            continue;
        }
        labels.push(AssignedLabel {
            id: id.to_string(),
            class,
            source,
            value,
        });
    }
    if problems.is_empty() {
        Ok(labels)
    } else {
        problems.truncate(MAX_PROBLEMS_SHOWN);
        Err(problems)
    }
}

/// One row of a predictions file.
pub struct PredictionRow<'a> {
    pub id: &'a str,
    /// The molecule as written, for molecules read from SMILES.
    pub smiles: Option<&'a str>,
    /// `train`, `valid`, `test` or `unlabeled`.
    pub split: &'a str,
    /// The sample's label (from the data, a person, or an accepted pseudo-label).
    pub label: Option<u32>,
    /// Who gave the label, if not the data.
    pub source: Option<LabelSource>,
    /// The model's class probabilities.
    pub probabilities: &'a [f32],
}

/// A predictions file: `id, split, label, label_source, predicted, confidence` and one
/// `p_<class>` column per class; for molecules (`with_smiles`) `smiles` after the id.
pub fn predictions_csv<'a>(
    class_names: &[String],
    with_smiles: bool,
    rows: impl IntoIterator<Item = PredictionRow<'a>>,
) -> String {
    let mut out = writer();
    let mut header: Vec<String> = vec!["id".into()];
    if with_smiles {
        header.push("smiles".into());
    }
    header.extend(["split", "label", "label_source", "predicted", "confidence"].map(String::from));
    header.extend(class_names.iter().map(|c| format!("p_{c}")));
    out.write_record(&header).expect("in memory");
    let name = |c: u32| class_names.get(c as usize).cloned().unwrap_or_default();
    for row in rows {
        let (predicted, confidence) =
            row.probabilities
                .iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |best, (i, &p)| {
                    if p > best.1 { (i as u32, p) } else { best }
                });
        let mut record = vec![row.id.to_string()];
        if with_smiles {
            record.push(row.smiles.unwrap_or_default().to_string());
        }
        record.extend([
            row.split.to_string(),
            row.label.map(name).unwrap_or_default(),
            row.source.map(|s| s.id().to_string()).unwrap_or_default(),
            name(predicted),
            format!("{confidence:.6}"),
        ]);
        record.extend(row.probabilities.iter().map(|p| format!("{p:.6}")));
        out.write_record(&record).expect("in memory");
    }
    finish(out)
}

/// One sample's line of [`measured_predictions_csv`].
pub struct MeasuredRow<'a> {
    pub id: &'a str,
    pub split: &'a str,
    /// The molecule as written, for molecules read from SMILES.
    pub smiles: Option<&'a str>,
    /// `NaN` where the sample has no measured value.
    pub measured: f32,
    pub predicted: f32,
}

/// A predictions file for a measured target: `id, split, target, predicted`, values in the
/// target's units (`target` empty where the sample has no measured value); for molecules
/// `smiles` follows the id.
pub fn measured_predictions_csv<'a>(
    with_smiles: bool,
    rows: impl IntoIterator<Item = MeasuredRow<'a>>,
) -> String {
    let mut out = writer();
    let header: &[&str] = if with_smiles {
        &["id", "smiles", "split", "target", "predicted"]
    } else {
        &["id", "split", "target", "predicted"]
    };
    out.write_record(header).expect("in memory");
    for row in rows {
        let measured = if row.measured.is_nan() {
            String::new()
        } else {
            row.measured.to_string()
        };
        let predicted = format!("{:.6}", row.predicted);
        let mut fields = vec![row.id];
        if with_smiles {
            fields.push(row.smiles.unwrap_or_default());
        }
        fields.extend([row.split, &measured, &predicted]);
        out.write_record(fields).expect("in memory");
    }
    finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> Vec<String> {
        vec!["cat".into(), "dog, big".into()]
    }

    fn ids(names: &[&str]) -> HashMap<String, ()> {
        names.iter().map(|n| (n.to_string(), ())).collect()
    }

    #[test]
    fn measured_predictions_name_the_molecule_when_there_is_one() {
        let row = |id, smiles, measured| MeasuredRow {
            id,
            split: "valid",
            smiles,
            measured,
            predicted: 0.5,
        };
        let text = measured_predictions_csv(true, [row("2", Some("CC,O"), 1.25)]);
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                "id,smiles,split,target,predicted",
                "2,\"CC,O\",valid,1.25,0.500000"
            ]
        );
        let text = measured_predictions_csv(false, [row("7", None, f32::NAN)]);
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            ["id,split,target,predicted", "7,valid,,0.500000"]
        );
    }

    #[test]
    fn labels_round_trip_through_csv() {
        let labels = vec![
            AssignedLabel {
                id: "unlabeled/a 1.png".into(),
                class: 1,
                source: LabelSource::Human,
                value: None,
            },
            AssignedLabel {
                id: "x,\"y\"".into(),
                class: 0,
                source: LabelSource::Pseudo,
                value: None,
            },
        ];
        let text = labels_to_csv(&labels, &classes(), false);
        assert!(text.starts_with("id,label,source\r\n"));
        let known = ids(&["unlabeled/a 1.png", "x,\"y\"", "other"]);
        assert_eq!(
            parse_labels("labels.csv", &text, &known, &classes(), false),
            Ok(labels)
        );
    }

    #[test]
    fn unknown_ids_and_classes_are_refused_with_their_lines() {
        let text = "label,id\ncat,a\ncat,nope\nbird,b\n,a2\n\"dog, big\",b\n";
        let known = ids(&["a", "b", "a2"]);
        let problems = parse_labels("mine.csv", text, &known, &classes(), false).unwrap_err();
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "mine.csv, line 3: no unlabeled sample of this dataset has the id \"nope\"",
                "mine.csv, line 4: \"bird\" is not a class of this dataset (classes: cat, dog, big)",
                "mine.csv, line 5: the label is empty",
            ]
        );
        let twice = "id,label\na,cat\na,cat\n";
        let problems = parse_labels("t.csv", twice, &known, &classes(), false).unwrap_err();
        assert_eq!(
            problems[0].to_string(),
            "t.csv, line 3: the id \"a\" is labeled again (first on line 2)"
        );
        let no_header = parse_labels("h.csv", "a,cat\n", &known, &classes(), false).unwrap_err();
        assert!(
            no_header[0]
                .to_string()
                .starts_with("h.csv, line 1: the header must name")
        );
        assert!(parse_labels("e.csv", "", &known, &classes(), false).is_err());
        let bad_source = parse_labels(
            "s.csv",
            "id,label,source\na,cat,robot\n",
            &known,
            &classes(),
            false,
        );
        assert!(bad_source.unwrap_err()[0].message.contains("robot"));
    }

    #[test]
    fn measured_values_go_out_and_come_back_as_numbers() {
        let labels = vec![AssignedLabel {
            id: "12".into(),
            class: 0,
            source: LabelSource::Human,
            value: Some(-1.25),
        }];
        let text = labels_to_csv(&labels, &["logP".into()], true);
        assert_eq!(text, "id,value,source\r\n12,-1.25,human\r\n");
        let known = ids(&["12", "13"]);
        assert_eq!(parse_labels("v.csv", &text, &known, &[], true), Ok(labels));
        let problems =
            parse_labels("v.csv", "id,value\n12,high\n13,\n", &known, &[], true).unwrap_err();
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "v.csv, line 2: \"high\" is not a number",
                "v.csv, line 3: the value is empty",
            ]
        );
        // A class labels file does not fit a measured target.
        let classes_file = parse_labels("c.csv", "id,class\n12,cat\n", &known, &[], true);
        assert!(
            classes_file.unwrap_err()[0]
                .message
                .contains("id and value")
        );
    }

    #[test]
    fn predictions_have_a_row_per_sample_and_a_column_per_class() {
        let text = predictions_csv(
            &classes(),
            false,
            [
                PredictionRow {
                    smiles: None,
                    id: "a",
                    split: "train",
                    label: Some(0),
                    source: None,
                    probabilities: &[0.9, 0.1],
                },
                PredictionRow {
                    smiles: None,
                    id: "b",
                    split: "unlabeled",
                    label: None,
                    source: None,
                    probabilities: &[0.2, 0.8],
                },
                PredictionRow {
                    smiles: None,
                    id: "c",
                    split: "train",
                    label: Some(1),
                    source: Some(LabelSource::Pseudo),
                    probabilities: &[0.3, 0.7],
                },
            ],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "id,split,label,label_source,predicted,confidence,p_cat,\"p_dog, big\""
        );
        assert_eq!(lines[1], "a,train,cat,,cat,0.900000,0.900000,0.100000");
        assert_eq!(
            lines[2],
            "b,unlabeled,,,\"dog, big\",0.800000,0.200000,0.800000"
        );
        assert_eq!(
            lines[3],
            "c,train,\"dog, big\",pseudo,\"dog, big\",0.700000,0.300000,0.700000"
        );
        // Molecules name their SMILES after the id.
        let molecule = PredictionRow {
            id: "4",
            smiles: Some("c1ccccc1O"),
            split: "valid",
            label: Some(0),
            source: None,
            probabilities: &[0.6, 0.4],
        };
        let text = predictions_csv(&classes(), true, [molecule]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("id,smiles,split,label,"));
        assert_eq!(
            lines[1],
            "4,c1ccccc1O,valid,cat,,cat,0.600000,0.600000,0.400000"
        );
    }
}
