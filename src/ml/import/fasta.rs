//! Biological sequences: FASTA files (labels in the headers or in an `id,label` CSV) and
//! `sequence,label` CSVs, one-hot encoded over DNA, RNA or protein letters.

use super::table::read_csv;
use super::{
    Classes, Context, ImportError, Imported, MAX_SEQUENCE_LENGTH, UploadFile, fatal, imported,
    is_missing, named, shown, stem, text_of,
};
use crate::ml::data::{NO_LABEL, Samples, Sequences};
use std::collections::HashMap;

/// One sequence as read, before encoding.
pub(crate) struct Record {
    /// Its name (the first word of a FASTA header).
    pub id: String,
    /// The line it starts on.
    pub line: usize,
    pub label: Option<String>,
    pub letters: String,
    /// `(offset in letters, line)` where each line of letters starts.
    pub letter_lines: Vec<(usize, usize)>,
}

impl Record {
    fn line_of(&self, offset: usize) -> usize {
        self.letter_lines
            .iter()
            .rev()
            .find(|(start, _)| *start <= offset)
            .map_or(self.line, |&(_, line)| line)
    }
}

const DNA: &str = "ACGT";
const RNA: &str = "ACGU";
const PROTEIN: &str = "ACDEFGHIKLMNPQRSTVWY";

/// Reads FASTA files, with labels from the headers or from `labels` (`id,label`).
pub(crate) fn from_fasta(
    files: &[&UploadFile],
    labels: Option<&UploadFile>,
    ctx: &mut Context,
) -> Result<Imported, ImportError> {
    let mut records = Vec::new();
    for file in files {
        let text = text_of(file)?;
        let total = text.len();
        let mut done = 0;
        let mut current: Option<Record> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            done += raw.len() + 1;
            let l = raw.trim();
            if let Some(header) = l.strip_prefix('>') {
                records.extend(current.take());
                if records.len() > super::MAX_SAMPLES {
                    return Err(fatal(
                        &file.name,
                        "",
                        format!("more than {} records", super::MAX_SAMPLES),
                    ));
                }
                if records.len() % 200 == 0 {
                    ctx.tick(&file.name, done, total);
                }
                let (id, label) = parse_header(header);
                current = Some(Record {
                    id,
                    line,
                    label,
                    letters: String::new(),
                    letter_lines: Vec::new(),
                });
            } else if l.is_empty() || l.starts_with(';') {
                continue;
            } else if let Some(record) = current.as_mut() {
                if record.letters.len() < MAX_SEQUENCE_LENGTH * 2 {
                    record.letter_lines.push((record.letters.len(), line));
                    record
                        .letters
                        .extend(l.chars().filter(|c| !c.is_whitespace()));
                }
            } else {
                return Err(fatal(
                    &file.name,
                    &format!("line {line}"),
                    "FASTA records start with a '>' header line",
                ));
            }
        }
        records.extend(current.take());
        ctx.tick(&file.name, total, total);
    }
    let mut source = "Labels read from the FASTA headers (label=…).".to_string();
    if let Some(csv) = labels {
        let (header, rows) = read_csv(csv, ctx)?;
        if header.len() < 2 {
            return Err(fatal(
                &csv.name,
                "line 1",
                "a label CSV needs two columns: id,label",
            ));
        }
        let id = header
            .iter()
            .position(|h| named(h, &["id", "name", "sequence_id", "seq_id"]))
            .unwrap_or(0);
        let label = header
            .iter()
            .position(|h| named(h, &["label", "class", "target", "y"]))
            .unwrap_or(if id == 0 { 1 } else { 0 });
        let map: HashMap<&str, &str> = rows
            .iter()
            .filter(|r| !is_missing(&r.fields[label]))
            .map(|r| (r.fields[id].as_str(), r.fields[label].as_str()))
            .collect();
        for record in &mut records {
            if let Some(l) = map.get(record.id.as_str()) {
                record.label = Some(l.to_string());
            }
        }
        source = format!("Labels read from {} by sequence id.", csv.name);
    }
    let name = files[0].name.clone();
    let mut out = build(&name, records, ctx, "FASTA")?;
    out.notes.push(source);
    Ok(out)
}

/// The id (first word before `|` or a space) and the label (`label=` or `class=`) of a header.
fn parse_header(header: &str) -> (String, Option<String>) {
    let header = header.trim();
    let id = header
        .split(|c: char| c == '|' || c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_string();
    let label = header
        .split(|c: char| c == '|' || c == ';' || c.is_whitespace())
        .filter_map(|part| part.split_once('='))
        .find(|(key, _)| named(key, &["label", "class"]))
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty());
    (id, label)
}

/// Encodes records into sequences: detects the alphabet, reports unknown letters.
pub(crate) fn build(
    file: &str,
    mut records: Vec<Record>,
    ctx: &mut Context,
    kind: &str,
) -> Result<Imported, ImportError> {
    if records.is_empty() {
        return Err(fatal(file, "", "no sequences found"));
    }
    for r in &mut records {
        r.letters.make_ascii_uppercase();
        while r.letters.ends_with('*') {
            r.letters.pop();
        }
    }
    // Nucleotides if nearly every letter is one; RNA if U outnumbers T.
    let (mut nucleotide, mut all, mut t, mut u) = (0usize, 0usize, 0usize, 0usize);
    for r in &records {
        for c in r.letters.chars() {
            all += 1;
            match c {
                'A' | 'C' | 'G' | 'N' => nucleotide += 1,
                'T' => {
                    nucleotide += 1;
                    t += 1
                }
                'U' => {
                    nucleotide += 1;
                    u += 1
                }
                _ => {}
            }
        }
    }
    let (alphabet, blank, what) = if nucleotide * 10 >= all * 9 {
        if u > t {
            (RNA, 'N', "RNA")
        } else {
            (DNA, 'N', "DNA")
        }
    } else {
        (PROTEIN, 'X', "protein")
    };
    let mut cut = 0;
    let mut kept = Vec::with_capacity(records.len());
    let total = records.len();
    for (i, mut r) in records.into_iter().enumerate() {
        if i % 500 == 0 {
            ctx.tick(file, i, total);
        }
        if r.letters.is_empty() {
            ctx.problem(
                file,
                format!("line {}", r.line),
                format!("record {} has no sequence", shown(&r.id)),
            );
            continue;
        }
        let bad = r
            .letters
            .char_indices()
            .find(|&(_, c)| !alphabet.contains(c) && c != blank && c != '-');
        if let Some((offset, c)) = bad {
            ctx.problem(
                file,
                format!("line {}", r.line_of(offset)),
                format!(
                    "unknown letter {c:?} in {} (the sequences look like {what}: {}{})",
                    shown(&r.id),
                    alphabet,
                    blank
                ),
            );
            continue;
        }
        if r.letters.len() > MAX_SEQUENCE_LENGTH {
            r.letters.truncate(MAX_SEQUENCE_LENGTH);
            cut += 1;
        }
        kept.push(r);
    }
    let classes = Classes::new(kept.iter().filter_map(|r| r.label.as_deref()));
    classes.check(file, "the label")?;
    let mut samples = Sequences::new(alphabet.len(), Some(alphabet.to_string()));
    let mut unlabeled = Sequences::new(alphabet.len(), Some(alphabet.to_string()));
    let (mut ids, mut unlabeled_ids) = (Vec::new(), Vec::new());
    for r in &kept {
        let values = Sequences::one_hot(alphabet, &r.letters);
        match &r.label {
            Some(l) => {
                samples.push(values, classes.get(l));
                ids.push(r.id.clone());
            }
            None => {
                unlabeled.push(values, NO_LABEL);
                unlabeled_ids.push(r.id.clone());
            }
        }
    }
    ctx.tick(file, total, total);
    let mut notes = vec![format!(
        "{} {what} sequences ({} to {} letters), one-hot over {alphabet}; {blank} and gaps are \
         all-zero positions.",
        kept.len(),
        kept.iter().map(|r| r.letters.len()).min().unwrap_or(0),
        kept.iter().map(|r| r.letters.len()).max().unwrap_or(0),
    )];
    if cut > 0 {
        notes.push(format!(
            "Sequences longer than {MAX_SEQUENCE_LENGTH} letters, cut: {cut}."
        ));
    }
    if !unlabeled.is_empty() {
        notes.push(format!(
            "Sequences without a label, kept as unlabeled: {}.",
            unlabeled.len()
        ));
    }
    let mut out = imported(
        stem(file),
        &format!("{kind} ({what})"),
        classes.names,
        Samples::Sequences(samples),
    );
    out.unlabeled = (!unlabeled.is_empty()).then_some(Samples::Sequences(unlabeled));
    out.ids = ids;
    out.unlabeled_ids = unlabeled_ids;
    out.notes = notes;
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
    fn headers_and_multiline() {
        let out = load(&[("s.fa", ">a|label=x\nACG\ntn\n>b label=y\nacgt\n>c\nAAA\n")]).unwrap();
        assert_eq!(out.class_names, ["x", "y"]);
        let Samples::Sequences(s) = &out.samples else {
            panic!()
        };
        assert_eq!(s.alphabet.as_deref(), Some("ACGT"));
        assert_eq!(s.length(0), 5);
        assert_eq!(&s.values[0][16..20], [0.0; 4]);
        assert_eq!(out.unlabeled.unwrap().len(), 1);
    }

    #[test]
    fn labels_from_csv_and_protein() {
        let out = load(&[
            ("p.faa", ">p1 something\nMKVLW\n>p2\nMEEKR\n"),
            ("labels.csv", "id,label\np1,a\np2,b\n"),
        ])
        .unwrap();
        assert_eq!(out.class_names, ["a", "b"]);
        assert_eq!(
            out.samples.shape(),
            crate::ml::data::DataShape::Sequence {
                channels: 20,
                max_length: 5
            }
        );
    }

    #[test]
    fn unknown_letter_names_line() {
        let Err(ImportError::Partial { problems, valid }) = load(&[(
            "s.fasta",
            ">a label=x\nACGT\nAC!T\n>b label=y\nAAAA\n>c label=x\nCCCC\n",
        )]) else {
            panic!()
        };
        assert_eq!(valid, 2);
        assert_eq!(problems[0].location, "line 3");
    }

    #[test]
    fn rna() {
        let out = load(&[("r.fa", ">a label=1\nACGU\n>b label=2\nUUUU\n")]).unwrap();
        let Samples::Sequences(s) = &out.samples else {
            panic!()
        };
        assert_eq!(s.alphabet.as_deref(), Some("ACGU"));
    }
}
