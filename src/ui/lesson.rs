//! Guided lessons: content files in `assets/lessons/` (listed in `index.json`), each a few
//! steps that set up the page, ask the learner to do something, and check it before moving
//! on. A teacher writes one in JSON without touching Rust; a malformed file is refused with
//! its name, line and problem.

use crate::ml::label::LabelSource;
use crate::ui::link::{self, Decoded};
use crate::ui::state::{AppState, Tab};
use serde::Deserialize;

/// Where the lessons are, relative to the page.
pub const FOLDER: &str = "assets/lessons/";

/// The list of lesson files (`["cnn.json", …]`), in the order they are offered.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub lessons: Vec<String>,
}

/// One lesson.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Its name in links (`#lesson=cnn`): the file's name without `.json`.
    #[serde(skip)]
    pub id: String,
    pub title: String,
    /// One sentence on what the learner will do.
    pub summary: String,
    pub steps: Vec<Step>,
}

/// One step: what it sets up, what it says, and what the learner must do to go on.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    pub text: String,
    /// The experiment this step starts from, as a link's fragment (`d=dna-motif&m=rnn`);
    /// keys left out take their defaults.
    #[serde(default)]
    pub setup: Option<String>,
    /// The tab this step opens.
    #[serde(default)]
    pub tab: Option<String>,
    /// What must be true to go on (nothing: the learner reads and goes on).
    #[serde(default)]
    pub goal: Option<Goal>,
}

/// Something the page can check.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Goal {
    /// Validation accuracy at least this (0 to 1).
    Accuracy(f64),
    /// For a measured target: validation R² at least this (at most 1).
    R2(f64),
    /// At least this many training steps.
    Steps(u64),
    /// At least this many labels given by the learner.
    Labels(usize),
    /// At least this many of the model's proposals accepted.
    Accepted(usize),
    /// The model family in use (`rnn`).
    Model(String),
    /// At least one augmentation on.
    Augmentation,
    /// The augmentation comparison run to its end.
    Comparison,
    /// An attribution drawn, by this method (`saliency`), or by any (`any`).
    Attribution(String),
    /// Embeddings projected.
    Embeddings,
    /// The sanity checks' table filled.
    SanityChecks,
}

impl Goal {
    /// What the learner is asked, and whether `state` shows it done.
    pub fn status(&self, state: &AppState) -> (String, bool) {
        let accuracy = state.run.last_eval.as_ref().map_or(0.0, |e| e.accuracy);
        match self {
            Goal::Accuracy(target) => (
                format!(
                    "Reach {:.0}% validation accuracy (now {:.1}%).",
                    100.0 * target,
                    100.0 * accuracy
                ),
                accuracy >= *target,
            ),
            Goal::R2(target) => {
                let r2 = state
                    .run
                    .last_eval
                    .as_ref()
                    .and_then(|e| e.regression.as_ref())
                    .map(|r| r.metrics.r2);
                (
                    match r2 {
                        Some(r2) => format!("Reach a validation R² of {target:.2} (now {r2:.3})."),
                        None => format!("Reach a validation R² of {target:.2}."),
                    },
                    r2.is_some_and(|r2| r2 >= *target),
                )
            }
            Goal::Steps(n) => (
                format!("Train {n} steps (now {}).", state.step()),
                state.step() >= *n,
            ),
            Goal::Labels(n) => {
                let given = state.labeling.count(LabelSource::Human);
                (format!("Label {n} samples (now {given})."), given >= *n)
            }
            Goal::Accepted(n) => {
                let given = state.labeling.count(LabelSource::Pseudo);
                (
                    format!("Accept {n} of the model's proposals (now {given})."),
                    given >= *n,
                )
            }
            Goal::Model(id) => (
                format!("Choose the {} model.", id.to_uppercase()),
                state.experiment.model.family().id() == id,
            ),
            Goal::Augmentation => (
                "Turn on at least one augmentation.".into(),
                !state.experiment.augment.steps.is_empty(),
            ),
            Goal::Comparison => (
                "Run the comparison to its end.".into(),
                state
                    .augment
                    .comparison
                    .as_ref()
                    .is_some_and(|c| c.finished == Some(true)),
            ),
            Goal::Attribution(method) => (
                match method.as_str() {
                    "any" => "Explain a sample.".into(),
                    m => format!("Explain a sample with {m}."),
                },
                state
                    .explain
                    .attribution
                    .as_ref()
                    .is_some_and(|a| method == "any" || a.method.id() == method),
            ),
            Goal::Embeddings => (
                "Project the embeddings.".into(),
                state.explain.projection.is_some(),
            ),
            Goal::SanityChecks => (
                "Run Check attributions.".into(),
                state.explain.check.is_some(),
            ),
        }
    }
}

/// Reads the catalogue file.
pub fn parse_catalogue(text: &str) -> Result<Catalogue, String> {
    serde_json::from_str(text).map_err(|e| problem("index.json", &e))
}

/// Reads lesson file `file` (`cnn.json`), checking what JSON cannot: at least one step, every
/// setup a valid link, every tab a tab, goals in range.
pub fn parse_lesson(file: &str, text: &str) -> Result<Lesson, String> {
    let mut lesson: Lesson = serde_json::from_str(text).map_err(|e| problem(file, &e))?;
    lesson.id = file.trim_end_matches(".json").to_string();
    let refuse = |what: String| Err(format!("Lesson {FOLDER}{file}: {what}"));
    if lesson.steps.is_empty() {
        return refuse("it has no steps.".into());
    }
    for (i, step) in lesson.steps.iter().enumerate() {
        let n = i + 1;
        if let Some(setup) = &step.setup {
            let decoded = link::decode(setup);
            if let Some(first) = decoded.problems.first() {
                return refuse(format!("step {n}'s setup: {first}"));
            }
        }
        if let Some(tab) = &step.tab
            && Tab::from_id(tab).is_none()
        {
            return refuse(format!(
                "step {n}'s tab `{tab}` is not one of augmentation, labeling, explain."
            ));
        }
        if let Some(Goal::Accuracy(a)) = step.goal
            && !(0.0..=1.0).contains(&a)
        {
            return refuse(format!(
                "step {n}'s accuracy goal {a} is not between 0 and 1."
            ));
        }
        if let Some(Goal::R2(r2)) = step.goal
            && (r2.is_nan() || r2 > 1.0)
        {
            return refuse(format!("step {n}'s R² goal {r2} is over 1."));
        }
    }
    Ok(lesson)
}

fn problem(file: &str, error: &serde_json::Error) -> String {
    format!(
        "Lesson {FOLDER}{file}, line {}, column {}: {error}.",
        error.line(),
        error.column()
    )
    .replace(
        &format!(" at line {} column {}.", error.line(), error.column()),
        ".",
    )
}

impl Lesson {
    /// The experiment in place at step `step`: the last setup at or before it.
    pub fn setup_at(&self, step: usize) -> Option<Decoded> {
        self.steps[..=step.min(self.steps.len() - 1)]
            .iter()
            .rev()
            .find_map(|s| s.setup.as_deref())
            .map(link::decode)
    }
}

/// The lesson and step a fragment names (`lesson=cnn&step=2`, steps counted from 1).
pub fn from_fragment(fragment: &str) -> Option<(String, usize)> {
    let mut lesson = None;
    let mut step = 1;
    for pair in fragment.split('&') {
        match pair.split_once('=') {
            Some(("lesson", id)) => lesson = Some(id.to_string()),
            Some(("step", n)) => step = n.parse().unwrap_or(1),
            _ => {}
        }
    }
    lesson.map(|id| (id, step.max(1) - 1))
}

/// The fragment keys of an open lesson.
pub fn fragment_keys(id: &str, step: usize) -> String {
    format!("lesson={id}&step={}", step + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
        "title": "CNNs on images",
        "summary": "Train a CNN and see what it looks at.",
        "steps": [
            { "title": "Meet", "text": "Look.", "setup": "d=shapes&lr=0.01" },
            { "title": "Train", "text": "Press Train.", "goal": { "accuracy": 0.9 } },
            { "title": "Explain", "text": "Explain.", "tab": "explain",
              "goal": { "attribution": "saliency" } },
            { "title": "Done", "text": "Well done.", "goal": "sanity-checks" }
        ]
    }"#;

    #[test]
    fn a_lesson_reads_with_its_setups_and_goals() {
        let lesson = parse_lesson("cnn.json", GOOD).unwrap();
        assert_eq!(lesson.id, "cnn");
        assert_eq!(lesson.steps.len(), 4);
        assert_eq!(lesson.steps[1].goal, Some(Goal::Accuracy(0.9)));
        assert_eq!(lesson.steps[3].goal, Some(Goal::SanityChecks));
        let setup = lesson.setup_at(2).unwrap();
        assert_eq!(setup.state.experiment.learning_rate, 0.01);
        assert_eq!(
            from_fragment("v=1&lesson=cnn&step=3"),
            Some(("cnn".into(), 2))
        );
        assert_eq!(from_fragment("v=1&lr=0.1"), None);
        assert_eq!(fragment_keys("cnn", 2), "lesson=cnn&step=3");
    }

    #[test]
    fn goals_follow_the_page() {
        let mut state = AppState::default();
        let (text, done) = Goal::Labels(2).status(&state);
        assert_eq!((text.as_str(), done), ("Label 2 samples (now 0).", false));
        state.experiment.augment = crate::ml::augment::AugmentConfig::preset(
            crate::ml::augment::Preset::Light,
            crate::ml::data::DataKind::Image,
            None,
        );
        assert!(Goal::Augmentation.status(&state).1);
        assert!(Goal::Model("cnn".into()).status(&state).1);
        assert!(!Goal::Accuracy(0.5).status(&state).1);
    }

    #[test]
    fn a_malformed_lesson_names_its_file_line_and_problem() {
        let cases = [
            ("{ \"title\": \"x\", ", "line 1"),
            (
                r#"{ "title": "x", "summary": "y", "steps": [] }"#,
                "no steps",
            ),
            (
                r#"{ "title": "x", "summary": "y", "steps": [{ "title": "a", "text": "b", "goal": { "acuracy": 0.9 } }] }"#,
                "unknown variant `acuracy`",
            ),
            (
                r#"{ "title": "x", "summary": "y", "steps": [{ "title": "a", "text": "b", "setup": "lr=7" }] }"#,
                "step 1's setup: The link's learning rate",
            ),
            (
                r#"{ "title": "x", "summary": "y", "steps": [{ "title": "a", "text": "b", "tab": "train" }] }"#,
                "step 1's tab `train`",
            ),
            (
                r#"{ "title": "x", "summary": "y", "steps": [{ "title": "a", "text": "b", "goal": { "accuracy": 90 } }] }"#,
                "not between 0 and 1",
            ),
            (
                r#"{ "title": "x", "steps": [] }"#,
                "missing field `summary`",
            ),
        ];
        for (text, expected) in cases {
            let message = parse_lesson("bad.json", text).unwrap_err();
            assert!(
                message.starts_with("Lesson assets/lessons/bad.json") && message.contains(expected),
                "{message}"
            );
        }
    }

    #[test]
    fn the_shipped_lessons_read() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/lessons/");
        let index = std::fs::read_to_string(format!("{folder}index.json")).unwrap();
        let catalogue = parse_catalogue(&index).unwrap();
        assert!(catalogue.lessons.len() >= 6);
        for file in &catalogue.lessons {
            let text = std::fs::read_to_string(format!("{folder}{file}")).unwrap();
            let lesson = parse_lesson(file, &text).unwrap_or_else(|e| panic!("{e}"));
            assert!(lesson.steps.len() >= 3, "{file}");
            assert!(
                lesson.steps[0].setup.is_some(),
                "{file}: the first step sets up the page"
            );
        }
    }
}
