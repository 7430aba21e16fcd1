//! Reading uploads: every example loads as documented, every bad case gives a clear problem,
//! options change the result, and no bytes make `import` panic (a bounded fuzz test; set
//! `PETRI_FUZZ_ITERS` for a longer run, see `scripts/fuzz`).

use petri::ml::data::{DataKind, DataShape, Samples};
use petri::ml::import::{
    ImageColor, ImageFit, ImportError, ImportOptions, Imported, MissingValues, Problem, Progress,
    TableAs, TargetKind, UploadFile, import,
};
use std::io::Write;
use std::path::Path;

fn read(path: &str) -> UploadFile {
    let full = Path::new(path).to_path_buf();
    UploadFile {
        name: full.file_name().unwrap().to_string_lossy().into_owned(),
        bytes: std::fs::read(&full).unwrap_or_else(|e| panic!("{path}: {e}")),
    }
}

fn example(name: &str) -> UploadFile {
    read(&format!("assets/examples/{name}"))
}

fn bad(name: &str) -> UploadFile {
    read(&format!("tests/data/bad/{name}"))
}

fn load(files: &[UploadFile], options: &ImportOptions) -> Result<Imported, ImportError> {
    import(files, options, &mut |_| {})
}

fn ok(files: &[UploadFile]) -> Imported {
    load(files, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn loose_images() -> Vec<UploadFile> {
    let dir = Path::new("assets/examples/images-loose");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| example(&format!("images-loose/{n}")))
        .collect()
}

fn fatal(result: Result<Imported, ImportError>) -> Problem {
    match result {
        Err(ImportError::Fatal(p)) => p,
        other => panic!("expected a fatal error, got {other:?}"),
    }
}

fn partial(result: Result<Imported, ImportError>) -> (Vec<Problem>, usize) {
    match result {
        Err(ImportError::Partial { problems, valid }) => (problems, valid),
        other => panic!("expected a partial error, got {other:?}"),
    }
}

fn partial_ok() -> ImportOptions {
    ImportOptions {
        accept_partial: true,
        ..Default::default()
    }
}

// ---- The examples ----

#[test]
fn images_zip() {
    let out = ok(&[example("images.zip")]);
    assert_eq!(out.name, "images");
    assert_eq!(out.class_names, ["circle", "square", "stripes"]);
    assert_eq!(out.samples.len(), 90);
    assert_eq!(out.unlabeled.as_ref().map(Samples::len), Some(5));
    assert_eq!(
        out.samples.shape(),
        DataShape::Image {
            channels: 3,
            height: 28,
            width: 28
        }
    );
    assert_eq!(out.samples.labels().iter().filter(|&&l| l == 2).count(), 30);
    assert!(
        out.notes.iter().any(|n| n.contains("readme.txt")),
        "{:?}",
        out.notes
    );
    assert!(out.notes[0].contains("padded"), "{:?}", out.notes);
    assert!(out.skipped.is_empty());
    let Samples::Images(images) = &out.samples else {
        panic!()
    };
    assert!(images.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn loose_images_with_label_csv() {
    let out = ok(&loose_images());
    assert_eq!(out.format, "images with a label CSV");
    assert_eq!(out.class_names, ["circle", "square"]);
    assert_eq!(out.samples.len(), 7);
    assert_eq!(out.unlabeled.as_ref().map(Samples::len), Some(1));
    assert_eq!(out.samples.kind(), DataKind::Image);
}

#[test]
fn table_csv() {
    let out = ok(&[example("table.csv")]);
    assert_eq!(out.class_names, ["setosa", "versicolor", "virginica"]);
    assert_eq!(out.samples.shape(), DataShape::Table { features: 4 });
    assert_eq!(out.samples.len(), 148);
    assert_eq!(out.skipped.len(), 2);
    assert!(out.skipped[0].location.starts_with("line "));
    assert_eq!(out.label_column.as_deref(), Some("species"));
    assert_eq!(
        out.feature_columns,
        ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    );
    assert_eq!(out.columns.len(), 5);
    assert_eq!(out.columns.iter().map(|c| c.missing).sum::<usize>(), 2);
    assert!(out.columns[0].numeric && !out.columns[4].numeric);
    assert_eq!(out.columns[4].distinct, 3);
}

#[test]
fn molecules_csv() {
    let out = ok(&[example("molecules.csv")]);
    assert_eq!(out.format, "molecules (SMILES in a table)");
    assert_eq!(out.class_names, ["alcohol", "amine", "carboxylic acid"]);
    assert_eq!(out.samples.kind(), DataKind::Graph);
    assert_eq!(out.samples.len(), 60);
    assert_eq!(out.unlabeled.as_ref().map(Samples::len), Some(6));
    assert_eq!(out.label_column.as_deref(), Some("group"));
    assert_eq!(out.feature_columns, ["smiles"]);
    assert!(out.notes[0].contains("66 molecules"), "{:?}", out.notes);
    // m2: C1(Cl)CCCCC1CCCCC(=O)O, 14 heavy atoms and as many bonds (one ring).
    let Samples::Graphs(graphs) = &out.samples else {
        panic!()
    };
    assert_eq!(graphs.graphs[1].num_nodes(graphs.feature_dim), 14);
    assert_eq!(graphs.graphs[1].edges.len(), 14);
}

#[test]
fn series_csv() {
    let out = ok(&[example("series.csv")]);
    assert_eq!(out.samples.shape(), DataShape::Table { features: 32 });
    let series = ImportOptions {
        table_as: TableAs::Series,
        ..Default::default()
    };
    let out = load(&[example("series.csv")], &series).unwrap();
    assert_eq!(out.class_names, ["falling", "flat", "rising"]);
    assert_eq!(out.samples.len(), 90);
    let Samples::Sequences(s) = &out.samples else {
        panic!()
    };
    assert_eq!(
        (s.channels, s.alphabet.as_ref(), s.length(0)),
        (1, None, 32)
    );
    assert_eq!(out.format, "CSV time series");
}

#[test]
fn fasta() {
    let out = ok(&[example("sequences.fasta")]);
    assert_eq!(out.class_names, ["bound", "unbound"]);
    assert_eq!(out.samples.len(), 200);
    let Samples::Sequences(s) = &out.samples else {
        panic!()
    };
    assert_eq!(s.alphabet.as_deref(), Some("ACGT"));
    assert!((60..=120).contains(&s.length(0)));
    assert!(s.letters(0).unwrap().contains("TATAAT"));
}

#[test]
fn sequence_csv() {
    let out = ok(&[example("sequences.csv")]);
    assert_eq!(out.class_names, ["membrane", "soluble"]);
    assert_eq!(out.samples.len(), 60);
    let Samples::Sequences(s) = &out.samples else {
        panic!()
    };
    assert_eq!(s.alphabet.as_deref(), Some("ACDEFGHIKLMNPQRSTVWY"));
    assert_eq!(s.channels, 20);
}

/// A numeric target on sequences and on graphs (`y`) is a measured value, in every format.
#[test]
fn measured_targets_of_sequences_and_graphs() {
    let mut csv = String::from("sequence,activity\n");
    let mut json = Vec::new();
    for i in 0..40 {
        let sequence: String = (0..12)
            .map(|k| b"ACGT"[(i * 7 + k * k) % 4] as char)
            .collect();
        csv.push_str(&format!("{sequence},{:.2}\n", i as f32 * 0.37 - 3.0));
        json.push(format!(
            r#"{{"nodes": ["C", "O"], "edges": [[0, 1]], "y": {:.3}}}"#,
            i as f32 / 7.0
        ));
    }
    csv.push_str("ACGTACGTACGT,\n");
    let file = |name: &str, text: &str| UploadFile {
        name: name.into(),
        bytes: text.as_bytes().to_vec(),
    };
    let out = ok(&[file("activity.csv", &csv)]);
    assert!(matches!(out.samples, Samples::Sequences(_)));
    assert_eq!(out.class_names, ["activity"]);
    assert_eq!(out.samples.measured().len(), 40);
    assert!((out.samples.measured()[1] - (-2.63)).abs() < 1e-6);
    assert_eq!(out.unlabeled.as_ref().map(Samples::len), Some(1));

    let graphs = format!(r#"{{"graphs": [{}]}}"#, json.join(","));
    let out = ok(&[file("energies.json", &graphs)]);
    assert!(matches!(out.samples, Samples::Graphs(_)));
    assert_eq!(out.samples.measured().len(), 40);
    assert!((out.samples.measured()[7] - 1.0).abs() < 1e-6);
}

#[test]
fn graphs_json() {
    let out = ok(&[example("graphs.json")]);
    assert_eq!(out.class_names, ["cycle", "tree"]);
    assert_eq!(out.samples.len(), 120);
    let Samples::Graphs(g) = &out.samples else {
        panic!()
    };
    assert_eq!(g.feature_names, ["C", "N", "O"]);
    assert!(g.graphs.iter().all(|graph| graph.edges_valid(3)));
    // A cycle has as many edges as nodes, a tree one fewer.
    let n = g.graphs[0].num_nodes(3);
    assert_eq!(g.graphs[0].edges.len(), n);
    assert_eq!(g.graphs[1].edges.len(), g.graphs[1].num_nodes(3) - 1);
}

#[test]
fn nodes_json() {
    let out = ok(&[example("nodes.json")]);
    assert_eq!(out.class_names, ["left", "right"]);
    assert_eq!(out.samples.len(), 56);
    assert_eq!(out.unlabeled.as_ref().map(Samples::len), Some(4));
    let Samples::Nodes(n) = &out.samples else {
        panic!()
    };
    assert_eq!(n.graph.num_nodes(1), 60);
    assert!(n.graph.edges_valid(1));
}

#[test]
fn edge_and_node_csvs() {
    for files in [
        [example("edges.csv"), example("nodes.csv")],
        [example("nodes.csv"), example("edges.csv")],
    ] {
        let out = ok(&files);
        assert_eq!(out.class_names, ["blue", "green", "red"]);
        assert_eq!(out.samples.len(), 43);
        assert_eq!(out.unlabeled.as_ref().map(Samples::len), Some(2));
        assert_eq!(out.feature_columns, ["x", "y"]);
        assert_eq!(out.samples.shape(), DataShape::Node { features: 2 });
    }
}

#[test]
fn progress_is_reported() {
    let mut calls: Vec<Progress> = Vec::new();
    import(
        &[example("images.zip")],
        &ImportOptions::default(),
        &mut |p| calls.push(p),
    )
    .unwrap();
    assert!(calls.len() >= 5, "{calls:?}");
    let last = calls.last().unwrap();
    assert_eq!((last.done, last.total), (95, 95));
    assert!(calls.windows(2).all(|w| w[0].done <= w[1].done));
}

// ---- Options ----

#[test]
fn image_options() {
    let opts = |image_size, image_fit, image_color| ImportOptions {
        image_size,
        image_fit,
        image_color,
        ..Default::default()
    };
    let zip = [example("images.zip")];
    let gray = load(&zip, &opts(48, ImageFit::Crop, ImageColor::Gray)).unwrap();
    assert_eq!(
        gray.samples.shape(),
        DataShape::Image {
            channels: 1,
            height: 48,
            width: 48
        }
    );
    assert!(gray.notes[0].contains("cropped") && gray.notes[0].contains("grayscale"));
    // Grayscale-only uploads stay gray under Auto, and become 3 channels under Rgb.
    let mut files = loose_images();
    files.retain(|f| f.name != "img1.png");
    let auto = load(&files, &opts(32, ImageFit::Pad, ImageColor::Auto)).unwrap();
    assert_eq!(
        auto.samples.shape(),
        DataShape::Image {
            channels: 1,
            height: 32,
            width: 32
        }
    );
    let rgb = load(&files, &opts(32, ImageFit::Pad, ImageColor::Rgb)).unwrap();
    assert!(matches!(
        rgb.samples.shape(),
        DataShape::Image { channels: 3, .. }
    ));
    // The loose list lacks img1.png, which labels.csv names: a note, not a problem.
    assert!(auto.notes.iter().any(|n| n.contains("not uploaded")));
}

#[test]
fn table_options() {
    let file = [example("table.csv")];
    let options = ImportOptions {
        label_column: Some("species".into()),
        feature_columns: Some(vec!["sepal_length".into(), "petal_length".into()]),
        ..Default::default()
    };
    // The missing values are in columns that are not used: no row is dropped.
    let out = load(&file, &options).unwrap();
    assert_eq!(out.samples.len(), 150);
    assert_eq!(out.samples.shape(), DataShape::Table { features: 2 });
    assert_eq!(out.feature_columns, ["sepal_length", "petal_length"]);
    let all = ImportOptions {
        missing: MissingValues::FillMean,
        ..Default::default()
    };
    let out = load(&file, &all).unwrap();
    assert_eq!(out.samples.len(), 150);
    assert!(out.skipped.is_empty());
    assert!(out.notes.iter().any(|n| n.contains("column's mean: 2")));
    let Samples::Table(t) = &out.samples else {
        panic!()
    };
    assert!(t.values.iter().all(|v| v.is_finite()));
    // Another target column: the species becomes a non-numeric column that is left out. Its
    // 22 fractional values are a measurement (regression) unless classes are asked for.
    let by_width = ImportOptions {
        label_column: Some("petal_width".into()),
        feature_columns: Some(vec!["sepal_length".into()]),
        ..Default::default()
    };
    let out = load(&file, &by_width).unwrap();
    assert_eq!(out.label_column.as_deref(), Some("petal_width"));
    assert_eq!(out.class_names, ["petal_width"]);
    assert_eq!(out.samples.measured().len(), out.samples.len());
    assert!(
        out.samples
            .measured()
            .iter()
            .all(|v| (-1.0..3.0).contains(v))
    );
    let as_classes = ImportOptions {
        target: TargetKind::Classes,
        ..by_width
    };
    let out = load(&file, &as_classes).unwrap();
    assert!(out.samples.measured().is_empty());
    assert!(out.class_names.len() > 3);
    // Numeric labels are sorted as numbers.
    let numbers: Vec<f64> = out.class_names.iter().map(|c| c.parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    let missing = ImportOptions {
        label_column: Some("nope".into()),
        ..Default::default()
    };
    let p = fatal(load(&file, &missing));
    assert!(p.message.contains("no column named"), "{p}");
}

// ---- Bad input ----

#[test]
fn truncated_zip() {
    let p = fatal(load(&[bad("truncated.zip")], &ImportOptions::default()));
    assert_eq!(p.file, "truncated.zip");
    assert!(p.message.contains("damaged or truncated"), "{p}");
}

#[test]
fn corrupt_png_in_zip() {
    let (problems, valid) = partial(load(&[bad("corrupt-png.zip")], &ImportOptions::default()));
    assert_eq!(valid, 6);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].file, "corrupt-png.zip");
    assert_eq!(problems[0].location, "entry circle/broken.png");
    let out = load(&[bad("corrupt-png.zip")], &partial_ok()).unwrap();
    assert_eq!(out.samples.len(), 6);
    assert_eq!(out.skipped.len(), 1);
}

#[test]
fn zip_bombs() {
    for name in ["bomb-ratio.zip", "bomb-declared.zip", "bomb-lying.zip"] {
        let result = load(&[bad(name)], &partial_ok());
        match result {
            Err(ImportError::Fatal(p)) => {
                assert_eq!(p.file, name);
                assert!(p.message.contains("zip bomb"), "{name}: {p}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn short_row() {
    let (problems, valid) = partial(load(&[bad("short-row.csv")], &ImportOptions::default()));
    assert_eq!(valid, 3);
    assert_eq!(
        problems[0].to_string(),
        "short-row.csv, line 4: 2 fields, but the header has 3"
    );
    let out = load(&[bad("short-row.csv")], &partial_ok()).unwrap();
    assert_eq!(out.samples.len(), 3);
    assert_eq!(out.skipped[0].location, "line 4");
}

#[test]
fn non_numeric_feature() {
    let (problems, valid) = partial(load(&[bad("non-numeric.csv")], &ImportOptions::default()));
    assert_eq!(valid, 3);
    assert_eq!(problems[0].location, "line 4, column b");
    assert!(problems[0].message.contains("\"oops\" is not a number"));
}

#[test]
fn unknown_fasta_letter() {
    let (problems, valid) = partial(load(
        &[bad("unknown-letter.fasta")],
        &ImportOptions::default(),
    ));
    assert_eq!(valid, 2);
    assert_eq!(problems[0].file, "unknown-letter.fasta");
    assert_eq!(problems[0].location, "line 5");
    assert!(problems[0].message.contains("'!'"), "{}", problems[0]);
    let out = load(&[bad("unknown-letter.fasta")], &partial_ok()).unwrap();
    assert_eq!(out.class_names, ["a", "b"]);
}

#[test]
fn edge_to_missing_node() {
    let (problems, valid) = partial(load(&[bad("bad-edge.json")], &ImportOptions::default()));
    assert_eq!(valid, 3);
    assert_eq!(
        problems[0].to_string(),
        "bad-edge.json, graph 3, edge 5: node 12 does not exist (the graph has 10 nodes)"
    );
    let out = load(&[bad("bad-edge.json")], &partial_ok()).unwrap();
    assert_eq!(out.samples.len(), 3);
    assert_eq!(out.skipped.len(), 1);
}

#[test]
fn empty_and_binary_files() {
    let p = fatal(load(&[bad("empty.csv")], &ImportOptions::default()));
    assert_eq!(p.to_string(), "empty.csv: the file is empty");
    let p = fatal(load(&[bad("data.csv")], &ImportOptions::default()));
    assert_eq!(
        p.to_string(),
        "data.csv: this looks like a binary file, not CSV text"
    );
    for name in ["x.fasta", "x.json"] {
        let file = UploadFile {
            name: name.into(),
            bytes: bad("data.csv").bytes,
        };
        let p = fatal(load(&[file], &ImportOptions::default()));
        assert!(p.message.contains("binary file"), "{p}");
    }
    let p = fatal(load(
        &[UploadFile {
            name: "notes.docx".into(),
            bytes: vec![0xd0, 0xcf, 0x11, 0xe0, 0, 1, 2],
        }],
        &ImportOptions::default(),
    ));
    assert!(p.message.contains("unknown file type"), "{p}");
}

#[test]
fn limits_and_classes() {
    let opts = ImportOptions::default();
    let csv = |text: String| UploadFile {
        name: "t.csv".into(),
        bytes: text.into_bytes(),
    };
    // Over the upload limit.
    let big = UploadFile {
        name: "big.csv".into(),
        bytes: vec![b'1'; petri::ml::import::MAX_UPLOAD_BYTES + 1],
    };
    assert!(fatal(load(&[big], &opts)).message.contains("limit"));
    // Over the sample limit.
    let mut text = String::from("a,label\n");
    for i in 0..=petri::ml::import::MAX_SAMPLES {
        text.push_str(&format!("{i},{}\n", i % 2));
    }
    assert!(fatal(load(&[csv(text)], &opts)).message.contains("50000"));
    // One class; no labels at all.
    let p = fatal(load(&[csv("a,label\n1,x\n2,x\n".into())], &opts));
    assert!(p.message.contains("at least 2 classes"), "{p}");
    let p = fatal(load(&[csv("a,label\n1,\n2,NA\n".into())], &opts));
    assert!(p.message.contains("no sample has a label"), "{p}");
    // A JSON syntax error names the line and column.
    let json = UploadFile {
        name: "g.json".into(),
        bytes: b"{\"graphs\": [\n  {\"nodes\": [1,2] \"edges\": []}\n]}".to_vec(),
    };
    let p = fatal(load(&[json], &opts));
    assert!(p.location.starts_with("line 2, column"), "{p}");
}

/// A zip written here: images at the root (no class folders), or in one folder.
fn zip_of(names: &[&str]) -> UploadFile {
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(4, 4, image::Rgb([9, 9, 9]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in names {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(png.get_ref()).unwrap();
    }
    UploadFile {
        name: "made.zip".into(),
        bytes: zip.finish().unwrap().into_inner(),
    }
}

#[test]
fn classless_zips() {
    let opts = ImportOptions::default();
    let p = fatal(load(&[zip_of(&["a.png", "b.png"])], &opts));
    assert!(p.message.contains("not in class folders"), "{p}");
    let p = fatal(load(&[zip_of(&["cats/a.png", "cats/b.png"])], &opts));
    assert!(p.message.contains("at least 2 classes"), "{p}");
    let out = load(
        &[zip_of(&["cats/a.png", "dogs/b.png", "c.png"])],
        &partial_ok(),
    )
    .unwrap();
    assert_eq!(out.class_names, ["cats", "dogs"]);
    assert_eq!(out.skipped[0].location, "entry c.png");
}

// ---- Fuzz ----

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(6) {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(b.len());
                    if let Some(x) = b.get_mut(i) {
                        // Mostly within ASCII, so text stays text.
                        let bits = if rng.below(4) == 0 { 8 } else { 7 };
                        *x ^= 1 << rng.below(bits);
                    }
                }
            }
            1 => b.truncate(rng.below(b.len() + 1)),
            2 => {
                let at = rng.below(b.len() + 1);
                let junk: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
                b.splice(at..at, junk);
            }
            3 => {
                // Interesting values: separators, quotes, brackets, huge numbers.
                let tokens: [&[u8]; 10] = [
                    b",",
                    b"\t",
                    b"\"",
                    b"\n",
                    b"[",
                    b"]",
                    b"{",
                    b"}",
                    b"99999999999",
                    b">",
                ];
                let at = rng.below(b.len() + 1);
                b.splice(at..at, tokens[rng.below(tokens.len())].iter().copied());
            }
            4 => {
                if b.len() > 2 {
                    let start = rng.below(b.len());
                    let end = (start + rng.below(64)).min(b.len());
                    let chunk = b[start..end].to_vec();
                    let at = rng.below(b.len());
                    b.splice(at..at, chunk);
                }
            }
            _ => {
                let i = rng.below(b.len());
                if let Some(x) = b.get_mut(i) {
                    *x = rng.next() as u8;
                }
            }
        }
    }
    b
}

#[test]
fn fuzz() {
    let iters: usize = std::env::var("PETRI_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6000);
    let mut seeds: Vec<Vec<UploadFile>> = vec![
        vec![example("images.zip")],
        loose_images(),
        vec![example("table.csv")],
        vec![example("series.csv")],
        vec![example("sequences.fasta")],
        vec![example("sequences.csv")],
        vec![example("molecules.csv")],
        vec![example("graphs.json")],
        vec![example("nodes.json")],
        vec![example("edges.csv"), example("nodes.csv")],
        vec![bad("corrupt-png.zip")],
        vec![bad("bad-edge.json")],
    ];
    // Smaller inputs mutate faster: cut the big text examples down for most runs.
    for name in ["table.csv", "sequences.fasta", "graphs.json", "series.csv"] {
        let mut file = example(name);
        file.bytes.truncate(1500);
        seeds.push(vec![file]);
    }
    let names = [
        None,
        Some("x.csv"),
        Some("x.tsv"),
        Some("x.fasta"),
        Some("x.json"),
        Some("x.zip"),
        Some("x.png"),
        Some("x"),
    ];
    let seed: u64 = std::env::var("PETRI_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let mut outcomes = [0usize; 3];
    for i in 0..iters {
        let mut files = seeds[rng.below(seeds.len())].clone();
        let k = rng.below(files.len());
        if i % 10 == 0 {
            files[k].bytes = (0..rng.below(600)).map(|_| rng.next() as u8).collect();
        } else {
            files[k].bytes = mutate(&mut rng, &files[k].bytes);
        }
        // Half the runs keep the real name, so the format's own reader sees the mutation.
        if rng.below(2) == 0
            && let Some(name) = names[rng.below(names.len())]
        {
            files[k].name = name.into();
        }
        let options = ImportOptions {
            image_size: [28, 32][rng.below(2)],
            image_fit: [ImageFit::Pad, ImageFit::Crop][rng.below(2)],
            image_color: [ImageColor::Auto, ImageColor::Gray, ImageColor::Rgb][rng.below(3)],
            missing: [MissingValues::Drop, MissingValues::FillMean][rng.below(2)],
            table_as: [TableAs::Features, TableAs::Series][rng.below(2)],
            accept_partial: rng.below(2) == 0,
            ..Default::default()
        };
        match load(&files, &options) {
            Ok(out) => {
                outcomes[0] += 1;
                assert!(out.class_names.len() >= 2);
                let n = out.class_names.len() as u32;
                assert!(out.samples.labels().iter().all(|&l| l < n));
                if let Samples::Graphs(g) = &out.samples {
                    assert!(g.graphs.iter().all(|x| x.edges_valid(g.feature_dim)));
                }
                if let Samples::Nodes(nodes) = &out.samples {
                    assert!(nodes.graph.edges_valid(nodes.feature_dim));
                }
            }
            Err(ImportError::Fatal(p)) => {
                outcomes[1] += 1;
                assert!(!p.message.is_empty());
            }
            Err(ImportError::Partial { problems, .. }) => {
                outcomes[2] += 1;
                assert!(!problems.is_empty());
            }
        }
    }
    eprintln!("fuzz: seed {seed}, {iters} runs, ok/fatal/partial = {outcomes:?}");
}

/// What the reader worker hands the engine (one buffer) is the upload as read, for every kind
/// of example; a reader that stops is answered with an error that says so, never a panic.
#[test]
fn the_reader_hands_over_every_example_as_read() {
    use petri::reader::{ReadAnswer, ReadRequest, read};
    let mut nodes_with_a_pool = 0;
    for name in [
        "images.zip",
        "table.csv",
        "series.csv",
        "sequences.fasta",
        "sequences.csv",
        "molecules.csv",
        "graphs.json",
        "nodes.json",
    ] {
        let request = ReadRequest::Upload {
            files: vec![example(name)],
            options: ImportOptions::default(),
        };
        let mut reports = Vec::new();
        let answer = read(&request, &mut |p| reports.push(p));
        let handed = ReadAnswer::decode(&answer.encode()).unwrap();
        let ReadAnswer::Upload(Ok(imported)) = handed else {
            panic!("{name}: {handed:?}");
        };
        assert_eq!(*imported, ok(&[example(name)]), "{name}");
        // The parts of an upload of nodes share their graph, as read.
        if let (Samples::Nodes(labeled), Some(Samples::Nodes(unlabeled))) =
            (&imported.samples, &imported.unlabeled)
        {
            assert!(std::sync::Arc::ptr_eq(&labeled.graph, &unlabeled.graph));
            nodes_with_a_pool += 1;
        }
    }

    assert_eq!(nodes_with_a_pool, 1, "nodes.json has unlabeled nodes");
    let upload = ReadRequest::Upload {
        files: vec![example("table.csv")],
        options: ImportOptions::default(),
    };
    let ReadAnswer::Upload(Err(error)) = upload.failed("out of memory") else {
        panic!("an upload is answered as an upload")
    };
    assert!(
        error
            .to_string()
            .contains("file reader stopped (out of memory)"),
        "{error}"
    );
    let ReadAnswer::Experiment(Err(message)) = ReadRequest::Experiment {
        file: example("table.csv"),
    }
    .failed("its script failed to load") else {
        panic!("an experiment is answered as an experiment")
    };
    assert!(
        message.starts_with("table.csv could not be read"),
        "{message}"
    );
}
