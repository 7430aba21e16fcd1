//! Embedding Petri in another page: what an `<iframe>`'s fragment asks for (`embed=…`), and
//! the messages a host page and the embedded page exchange through `postMessage`.
//!
//! Fragment keys beside the experiment's: `embed` (the panels shown, `.`-separated: `data`,
//! `model`, `training`, `augmentation`, `labeling`, `explain`), `ro=1` (settings read-only),
//! `autostart=1` (train once the engine is ready), `origins` (`,`-separated origins whose
//! commands are obeyed; without it, any parent's).

use serde::{Deserialize, Serialize};

/// A part of the page an embedding may show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Data,
    Model,
    Training,
    Augmentation,
    Labeling,
    Explain,
}

impl Part {
    pub const ALL: [Part; 6] = [
        Part::Data,
        Part::Model,
        Part::Training,
        Part::Augmentation,
        Part::Labeling,
        Part::Explain,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Part::Data => "data",
            Part::Model => "model",
            Part::Training => "training",
            Part::Augmentation => "augmentation",
            Part::Labeling => "labeling",
            Part::Explain => "explain",
        }
    }
}

/// What an embedding asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Embed {
    pub parts: Vec<Part>,
    pub read_only: bool,
    pub autostart: bool,
    /// Origins whose commands are obeyed (empty: the parent's, whatever it is).
    pub origins: Vec<String>,
}

impl Embed {
    /// The embedding a fragment asks for (`None`: the page is not embedded), and a message
    /// for each part it does not know.
    pub fn from_fragment(fragment: &str) -> (Option<Embed>, Vec<String>) {
        let mut embed = None;
        let mut problems = Vec::new();
        let mut read_only = false;
        let mut autostart = false;
        let mut origins = Vec::new();
        for pair in fragment.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "embed" => {
                    let mut parts = Vec::new();
                    for id in value.split('.').filter(|id| !id.is_empty()) {
                        match Part::ALL.into_iter().find(|p| p.id() == id) {
                            Some(part) => parts.push(part),
                            None => problems.push(format!(
                                "The embedding's part `{id}` is unknown: use data, model, training, augmentation, labeling or explain."
                            )),
                        }
                    }
                    if parts.is_empty() {
                        parts = vec![Part::Training];
                    }
                    embed = Some(parts);
                }
                "ro" => read_only = value == "1",
                "autostart" => autostart = value == "1",
                "origins" => {
                    origins = unescape(value)
                        .split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_string())
                        .filter(|o| !o.is_empty())
                        .collect()
                }
                _ => {}
            }
        }
        let embed = embed.map(|parts| Embed {
            parts,
            read_only,
            autostart,
            origins,
        });
        (embed, problems)
    }

    /// The fragment keys for this embedding.
    pub fn fragment_keys(&self) -> String {
        let mut keys = vec![format!(
            "embed={}",
            self.parts
                .iter()
                .map(|p| p.id())
                .collect::<Vec<_>>()
                .join(".")
        )];
        if self.read_only {
            keys.push("ro=1".into());
        }
        if self.autostart {
            keys.push("autostart=1".into());
        }
        if !self.origins.is_empty() {
            keys.push(format!("origins={}", self.origins.join(",")));
        }
        keys.join("&")
    }

    pub fn shows(&self, part: Part) -> bool {
        self.parts.contains(&part)
    }

    /// Whether a command from a window at `origin` is obeyed (the caller has checked that the
    /// window is the parent).
    pub fn accepts(&self, origin: &str) -> bool {
        self.origins.is_empty() || self.origins.iter().any(|o| o == origin)
    }
}

/// The `<iframe>` snippet for the page at `page` (without its fragment) showing `fragment`.
pub fn iframe_snippet(page: &str, fragment: &str) -> String {
    format!(
        r#"<iframe src="{page}#{}" width="600" height="720" style="border:0" title="Petri: deep learning in the browser" allow="clipboard-write"></iframe>"#,
        fragment.replace('"', "%22")
    )
}

/// What the embedded page tells its host.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    /// The engine is ready: commands are obeyed from now on.
    Ready,
    /// A training report.
    Step { step: u64, epoch: f64, loss: f64 },
    /// An epoch ended.
    Epoch { epoch: u64, step: u64 },
    /// Training and validation loss at an evaluation.
    Losses {
        step: u64,
        training: f64,
        validation: f64,
    },
    /// Training and validation accuracy at an evaluation.
    Accuracy {
        step: u64,
        training: f64,
        validation: f64,
    },
    /// Training stopped (paused, or a command or setting stopped it).
    Finished { step: u64 },
    /// A command could not be obeyed.
    Error { message: String },
}

/// What a host may ask.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Start,
    Pause,
    Reset,
    /// A new experiment, as a link's fragment (`d=dna-motif&lr=0.01`).
    SetExperiment {
        link: String,
    },
}

/// Every message carries this, so a host can tell Petri's from others.
pub const SOURCE: &str = "petri";

/// An event as the JSON posted to the host: `{"source":"petri","type":"step",…}`.
pub fn event_json(event: &Event) -> String {
    let json = serde_json::to_string(event).expect("events serialise");
    // A tagged enum serialises as an object: `{"type":…}`.
    format!("{{\"source\":\"{SOURCE}\",{}", &json[1..])
}

/// A host's message as read (plain fields: no generic JSON value in the UI's download).
#[derive(Deserialize)]
struct Incoming {
    source: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    link: Option<String>,
}

/// A host's message as a command: `Ok(None)` when it is not meant for Petri (no
/// `"source":"petri"`), `Err` when it is but cannot be obeyed.
pub fn read_command(json: &str) -> Result<Option<Command>, String> {
    let Ok(incoming) = serde_json::from_str::<Incoming>(json) else {
        return Ok(None);
    };
    if incoming.source.as_deref() != Some(SOURCE) {
        return Ok(None);
    }
    match (incoming.kind.as_deref(), incoming.link) {
        (Some("start"), _) => Ok(Some(Command::Start)),
        (Some("pause"), _) => Ok(Some(Command::Pause)),
        (Some("reset"), _) => Ok(Some(Command::Reset)),
        (Some("set-experiment"), Some(link)) => Ok(Some(Command::SetExperiment { link })),
        (Some("set-experiment"), None) => {
            Err("The host's set-experiment command has no `link`.".into())
        }
        (kind, _) => Err(format!(
            "Petri does not know the host's command `{}`: use start, pause, reset or set-experiment.",
            kind.unwrap_or("")
        )),
    }
}

fn unescape(value: &str) -> String {
    value
        .replace("%3A", ":")
        .replace("%3a", ":")
        .replace("%2F", "/")
        .replace("%2f", "/")
        .replace("%2C", ",")
        .replace("%2c", ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_embedding_reads_its_parts_and_options() {
        let (embed, problems) = Embed::from_fragment(
            "v=1&d=dna-motif&embed=training.explain&ro=1&autostart=1&origins=https%3A%2F%2Fa.org,https://b.org/",
        );
        let embed = embed.unwrap();
        assert!(problems.is_empty());
        assert_eq!(embed.parts, vec![Part::Training, Part::Explain]);
        assert!(embed.read_only && embed.autostart);
        assert_eq!(embed.origins, vec!["https://a.org", "https://b.org"]);
        assert!(embed.accepts("https://b.org") && !embed.accepts("https://c.org"));
        assert_eq!(
            embed.fragment_keys(),
            "embed=training.explain&ro=1&autostart=1&origins=https://a.org,https://b.org"
        );
        let (again, _) = Embed::from_fragment(&embed.fragment_keys());
        assert_eq!(again.unwrap(), embed);
        assert_eq!(Embed::from_fragment("v=1&d=shapes").0, None);
        let (bare, problems) = Embed::from_fragment("embed=sidebar");
        assert_eq!(bare.unwrap().parts, vec![Part::Training]);
        assert!(problems[0].contains("`sidebar`"));
        assert!(
            Embed::from_fragment("embed=training")
                .0
                .unwrap()
                .accepts("https://any.org")
        );
    }

    #[test]
    fn messages_carry_petri_as_their_source() {
        assert_eq!(
            event_json(&Event::Losses {
                step: 3,
                training: 0.5,
                validation: 0.25
            }),
            r#"{"source":"petri","type":"losses","step":3,"training":0.5,"validation":0.25}"#
        );
        assert_eq!(
            read_command(r#"{"source":"petri","type":"start"}"#),
            Ok(Some(Command::Start))
        );
        assert_eq!(
            read_command(r#"{"source":"petri","type":"set-experiment","link":"d=dna-motif"}"#),
            Ok(Some(Command::SetExperiment {
                link: "d=dna-motif".into()
            }))
        );
        assert_eq!(
            read_command(r#"{"type":"start"}"#),
            Ok(None),
            "not for Petri"
        );
        assert_eq!(read_command("not json"), Ok(None));
        assert!(read_command(r#"{"source":"petri","type":"explode"}"#).is_err());
    }

    #[test]
    fn the_snippet_is_an_iframe_of_the_page() {
        let snippet = iframe_snippet("https://x.org/petri/", "v=1&embed=training");
        assert!(
            snippet.starts_with(
                r#"<iframe src="https://x.org/petri/#v=1&embed=training" width="600""#
            )
        );
        assert!(snippet.contains("title="));
    }
}
