//! CSV and TSV tables: rows of features and a label, or time series, or `sequence,label`.

use super::{
    Classes, ColumnInfo, Context, ImportError, Imported, MissingValues, TableAs, UploadFile, fatal,
    imported, is_missing, named, parse_number, problem, shown, stem, text_of,
};
use crate::ml::data::{NO_LABEL, Samples, Sequences, Table};
use std::collections::HashSet;

/// One data row of a CSV file.
pub(crate) struct Row {
    /// The line it starts on (1-based, the header is line 1 usually).
    pub line: usize,
    pub fields: Vec<String>,
}

/// A parsed row: its line, its label, its feature values (`None`: missing).
type Parsed = (usize, Option<String>, Vec<Option<f64>>);

/// Column names that hold the label when none is chosen.
const LABEL_NAMES: [&str; 4] = ["label", "class", "target", "y"];

/// The header and the rows of a CSV or TSV file. Rows with the wrong number of fields are
/// problems (left out).
pub(crate) fn read_csv(
    file: &UploadFile,
    ctx: &mut Context,
) -> Result<(Vec<String>, Vec<Row>), ImportError> {
    let text = text_of(file)?;
    let first = text.lines().next().unwrap_or("");
    let tsv = matches!(super::extension(&file.name).as_str(), "tsv" | "tab")
        || (first.contains('\t') && !first.contains(','));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(if tsv { b'\t' } else { b',' })
        .from_reader(text.as_bytes());
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let total = text.len();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                return Err(fatal(&file.name, &format!("line {line}"), format!("{e}")));
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let fields: Vec<String> = record.iter().map(|f| f.trim().to_string()).collect();
        if fields.iter().all(String::is_empty) {
            continue;
        }
        match &header {
            None => {
                let names = fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        if f.is_empty() {
                            format!("column {}", i + 1)
                        } else {
                            f.clone()
                        }
                    })
                    .collect();
                header = Some(names);
            }
            Some(names) => {
                if fields.len() != names.len() {
                    ctx.problem(
                        &file.name,
                        format!("line {line}"),
                        format!(
                            "{} fields, but the header has {}",
                            fields.len(),
                            names.len()
                        ),
                    );
                } else {
                    rows.push(Row { line, fields });
                    if rows.len() > super::MAX_SAMPLES {
                        return Err(fatal(
                            &file.name,
                            "",
                            format!("more than {} rows", super::MAX_SAMPLES),
                        ));
                    }
                }
                let done = record.position().map_or(0, |p| p.byte() as usize);
                if rows.len() % 500 == 0 {
                    ctx.tick(&file.name, done, total);
                }
            }
        }
    }
    let header = header.ok_or_else(|| fatal(&file.name, "", "the file is empty"))?;
    ctx.tick(&file.name, total, total);
    Ok((header, rows))
}

/// Per-column statistics for the user to choose from.
pub(crate) fn column_infos(header: &[String], rows: &[Row]) -> Vec<ColumnInfo> {
    header
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let mut distinct = HashSet::new();
            let (mut missing, mut numeric) = (0, true);
            for row in rows {
                let v = &row.fields[c];
                if is_missing(v) {
                    missing += 1;
                    continue;
                }
                numeric &= parse_number(v).is_some();
                if distinct.len() < 1000 {
                    distinct.insert(v.as_str());
                }
            }
            ColumnInfo {
                name: name.clone(),
                numeric: numeric && missing < rows.len(),
                missing,
                distinct: distinct.len(),
            }
        })
        .collect()
}

/// A column's index by name (exact, else ignoring case).
fn find(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name).or_else(|| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name.trim()))
    })
}

/// Reads a CSV/TSV table (or a `sequence,label` CSV).
pub(crate) fn from_csv(file: &UploadFile, ctx: &mut Context) -> Result<Imported, ImportError> {
    let (header, rows) = read_csv(file, ctx)?;
    let name = &file.name;
    let options = ctx.options;
    if header.len() < 2 {
        return Err(fatal(
            name,
            "line 1",
            "only one column: a table needs feature columns and a label column (is the \
             separator a comma or a tab?)",
        ));
    }
    // Molecules: a column named SMILES (any case, e.g. canonical_smiles).
    if let Some(smiles) = header
        .iter()
        .position(|h| h.to_ascii_lowercase().contains("smiles"))
    {
        return super::molecules::from_rows(name, &header, &rows, smiles, ctx);
    }
    // A sequence CSV: a column named sequence/seq holding letters.
    if let Some(seq) = header.iter().position(|h| named(h, &["sequence", "seq"])) {
        let letters = rows
            .iter()
            .map(|r| r.fields[seq].as_str())
            .filter(|v| !is_missing(v))
            .take(20)
            .all(|v| {
                v.chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '*')
            });
        if letters
            && options
                .label_column
                .as_deref()
                .is_none_or(|l| find(&header, l) != Some(seq))
        {
            let label = label_column(name, &header, options.label_column.as_deref(), Some(seq))?;
            let records = rows
                .iter()
                .map(|r| super::fasta::Record {
                    id: r.line.to_string(),
                    line: r.line,
                    label: Some(r.fields[label].clone()).filter(|l| !is_missing(l)),
                    letters: r.fields[seq].clone(),
                    letter_lines: vec![(0, r.line)],
                })
                .collect();
            let mut out = super::fasta::build(name, records, ctx, "sequence CSV")?;
            out.columns = column_infos(&header, &rows);
            out.label_column = Some(header[label].clone());
            out.feature_columns = vec![header[seq].clone()];
            return Ok(out);
        }
    }
    let columns = column_infos(&header, &rows);
    let label = label_column(name, &header, options.label_column.as_deref(), None)?;
    let mut notes = Vec::new();
    let features: Vec<usize> = match &options.feature_columns {
        Some(chosen) => {
            let mut features = Vec::new();
            for f in chosen {
                let c = find(&header, f).ok_or_else(|| {
                    fatal(
                        name,
                        "",
                        format!(
                            "no column named {}; the columns are {}",
                            shown(f),
                            header.join(", ")
                        ),
                    )
                })?;
                if c == label {
                    return Err(fatal(
                        name,
                        "",
                        format!("{} is the label column, not a feature", shown(f)),
                    ));
                }
                if !features.contains(&c) {
                    features.push(c);
                }
            }
            features
        }
        None => {
            let mut features = Vec::new();
            for (c, _) in header.iter().enumerate().filter(|&(c, _)| c != label) {
                // Mostly numbers: a feature (its few non-numbers are problems).
                let present = rows.iter().filter(|r| !is_missing(&r.fields[c])).count();
                let numbers = rows
                    .iter()
                    .filter(|r| parse_number(&r.fields[c]).is_some())
                    .count();
                if present > 0 && numbers * 2 >= present {
                    features.push(c);
                } else {
                    notes.push(format!(
                        "Column {} is not numeric and was left out.",
                        shown(&header[c])
                    ));
                }
            }
            features
        }
    };
    if features.is_empty() {
        return Err(fatal(
            name,
            "line 1",
            "no numeric feature columns besides the label",
        ));
    }
    // Parse features; record problems and missing cells.
    let mut parsed: Vec<Parsed> = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut values = Vec::with_capacity(features.len());
        let mut bad = false;
        for &c in &features {
            let v = &row.fields[c];
            if is_missing(v) {
                values.push(None);
            } else if let Some(x) = parse_number(v) {
                values.push(Some(x));
            } else {
                ctx.problem(
                    name,
                    format!("line {}, column {}", row.line, header[c]),
                    format!("{} is not a number", shown(v)),
                );
                bad = true;
            }
        }
        if !bad {
            let l = &row.fields[label];
            parsed.push((row.line, (!is_missing(l)).then(|| l.clone()), values));
        }
    }
    // Missing values.
    let mut skipped = Vec::new();
    let missing_cells: usize = parsed
        .iter()
        .map(|p| p.2.iter().filter(|v| v.is_none()).count())
        .sum();
    if missing_cells > 0 {
        match options.missing {
            MissingValues::Drop => {
                parsed.retain(|(line, _, values)| {
                    let keep = values.iter().all(Option::is_some);
                    if !keep {
                        let cols: Vec<&str> = features
                            .iter()
                            .zip(values)
                            .filter(|(_, v)| v.is_none())
                            .map(|(&c, _)| header[c].as_str())
                            .collect();
                        skipped.push(problem(
                            name,
                            &format!("line {line}"),
                            format!("missing value in {} (row dropped)", cols.join(", ")),
                        ));
                    }
                    keep
                });
                notes.push(format!(
                    "Rows with missing values, dropped: {}.",
                    skipped.len()
                ));
            }
            MissingValues::FillMean => {
                for k in 0..features.len() {
                    let present: Vec<f64> = parsed.iter().filter_map(|p| p.2[k]).collect();
                    let mean = present.iter().sum::<f64>() / present.len().max(1) as f64;
                    for p in &mut parsed {
                        p.2[k].get_or_insert(mean);
                    }
                }
                notes.push(format!(
                    "Missing values filled with their column's mean: {missing_cells}."
                ));
            }
        }
    }
    let classes = Classes::new(parsed.iter().filter_map(|p| p.1.as_deref()));
    classes.check(name, &format!("column {}", shown(&header[label])))?;
    let width = features.len();
    let feature_names: Vec<String> = features.iter().map(|&c| header[c].clone()).collect();
    let row_values =
        |p: &Parsed| -> Vec<f32> { p.2.iter().map(|v| v.unwrap_or(0.0) as f32).collect() };
    let (labeled, unlabeled_rows): (Vec<_>, Vec<_>) = parsed.iter().partition(|p| p.1.is_some());
    let make = |part: &[&Parsed]| -> Samples {
        let class = |p: &Parsed| p.1.as_deref().map_or(NO_LABEL, |l| classes.get(l));
        match options.table_as {
            TableAs::Features => {
                let mut table = Table::new(feature_names.clone());
                for p in part {
                    table.push(&row_values(p), class(p));
                }
                Samples::Table(table)
            }
            TableAs::Series => {
                let mut set = Sequences::new(1, None);
                for p in part {
                    set.push(row_values(p), class(p));
                }
                Samples::Sequences(set)
            }
        }
    };
    let line_ids =
        |part: &[&Parsed]| -> Vec<String> { part.iter().map(|p| p.0.to_string()).collect() };
    let samples = make(&labeled);
    let unlabeled = (!unlabeled_rows.is_empty()).then(|| make(&unlabeled_rows));
    let csv = if super::extension(name) == "tsv" {
        "TSV"
    } else {
        "CSV"
    };
    let format = match options.table_as {
        TableAs::Features => format!("{csv} table"),
        TableAs::Series => format!("{csv} time series"),
    };
    match options.table_as {
        TableAs::Features => notes.insert(
            0,
            format!(
                "{} rows of {width} features; label column {}.",
                labeled.len(),
                shown(&header[label])
            ),
        ),
        TableAs::Series => notes.insert(
            0,
            format!(
                "{} series of {width} time points (one per column, in order); label column {}.",
                labeled.len(),
                shown(&header[label])
            ),
        ),
    }
    if !unlabeled_rows.is_empty() {
        notes.push(format!(
            "Rows without a label, kept as unlabeled: {}.",
            unlabeled_rows.len()
        ));
    }
    let mut out = imported(stem(name), &format, classes.names, samples);
    out.unlabeled = unlabeled;
    out.ids = line_ids(&labeled);
    out.unlabeled_ids = line_ids(&unlabeled_rows);
    out.skipped = skipped;
    out.notes = notes;
    out.columns = columns;
    out.label_column = Some(header[label].clone());
    out.feature_columns = feature_names;
    Ok(out)
}

/// The label column: the chosen one, else one named like a label, else the last (skipping
/// `not`).
pub(crate) fn label_column(
    file: &str,
    header: &[String],
    chosen: Option<&str>,
    not: Option<usize>,
) -> Result<usize, ImportError> {
    if let Some(chosen) = chosen {
        return find(header, chosen).ok_or_else(|| {
            fatal(
                file,
                "",
                format!(
                    "no column named {}; the columns are {}",
                    shown(chosen),
                    header.join(", ")
                ),
            )
        });
    }
    if let Some(c) = header.iter().position(|h| named(h, &LABEL_NAMES)) {
        return Ok(c);
    }
    (0..header.len())
        .rev()
        .find(|&c| Some(c) != not)
        .ok_or_else(|| fatal(file, "line 1", "no label column"))
}

#[cfg(test)]
mod tests {
    use super::super::{ImportOptions, import};
    use super::*;

    fn load(text: &str, options: &ImportOptions) -> Result<Imported, ImportError> {
        let file = UploadFile {
            name: "t.csv".into(),
            bytes: text.as_bytes().to_vec(),
        };
        import(&[file], options, &mut |_| {})
    }

    #[test]
    fn reads_features_and_label() {
        let text = "a,b,name,class\n1,2,x,no\n3,4,y,yes\n5,NA,z,yes\n";
        let out = load(text, &ImportOptions::default()).unwrap();
        assert_eq!(out.class_names, ["no", "yes"]);
        assert_eq!(out.feature_columns, ["a", "b"]);
        assert_eq!(out.samples.len(), 2);
        assert_eq!(out.skipped.len(), 1);
        assert_eq!(out.columns[1].missing, 1);
        let Samples::Table(t) = &out.samples else {
            panic!()
        };
        assert_eq!(t.values, [1.0, 2.0, 3.0, 4.0]);
        let fill = ImportOptions {
            missing: MissingValues::FillMean,
            ..Default::default()
        };
        let Samples::Table(t) = load(text, &fill).unwrap().samples else {
            panic!()
        };
        assert_eq!(t.values[5], 3.0);
    }

    #[test]
    fn tsv_and_numeric_classes() {
        let out = load("x\ty\n1\t10\n2\t9\n3\t10\n", &ImportOptions::default()).unwrap();
        assert_eq!(out.class_names, ["9", "10"]);
        assert_eq!(out.samples.labels(), [1, 0, 1]);
    }

    #[test]
    fn short_row_and_bad_number() {
        let Err(ImportError::Partial { problems, valid }) = load(
            "a,b,label\n1,2,x\n1,x\n1,z,y\n3,4,y\n",
            &ImportOptions::default(),
        ) else {
            panic!()
        };
        assert_eq!(valid, 2);
        assert_eq!(problems[0].location, "line 3");
        assert_eq!(problems[1].location, "line 4, column b");
    }

    #[test]
    fn utf16_text() {
        let mut bytes = vec![0xff, 0xfe];
        for unit in "a\tlabel\n1\tx\n2\ty\n".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        let file = UploadFile {
            name: "t.txt".into(),
            bytes,
        };
        let out = import(&[file], &ImportOptions::default(), &mut |_| {}).unwrap();
        assert_eq!(out.class_names, ["x", "y"]);
    }

    #[test]
    fn one_class_is_fatal() {
        let e = load("a,label\n1,x\n2,x\n", &ImportOptions::default()).unwrap_err();
        assert!(matches!(e, ImportError::Fatal(_)), "{e}");
    }
}
