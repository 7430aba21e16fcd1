//! The Lessons bar: choose a guided lesson, read its step, do what it asks, go on when the
//! page shows it done.

use crate::ui::state::{Action, AppState};
use crate::ui::widgets::SelectField;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonsBarProps {
    pub state: UseReducerHandle<AppState>,
}

#[component]
pub fn LessonsBar(props: &LessonsBarProps) -> Html {
    let state = &props.state;
    let lessons = &state.lessons;
    let dispatch = state.dispatcher();
    if lessons.catalogue.is_empty() {
        return html! {
            <section class="lessons" aria-label="Lessons">
                <button onclick={dispatch.to_callback().reform(|_: MouseEvent| Action::WantLessons)}
                        disabled={lessons.wanted}>
                    { if lessons.wanted { "Reading the lessons…" } else { "Show the lessons" } }
                </button>
            </section>
        };
    }
    let options: Vec<(AttrValue, AttrValue)> =
        std::iter::once((AttrValue::from(""), AttrValue::from("Choose a lesson…")))
            .chain(lessons.catalogue.iter().map(|lesson| {
                let reached = lessons.progress.get(&lesson.id).copied().unwrap_or(0);
                let where_ = if reached >= lesson.steps.len() {
                    " (done)".to_string()
                } else if reached > 0 {
                    format!(" (step {} of {})", reached + 1, lesson.steps.len())
                } else {
                    String::new()
                };
                (
                    AttrValue::from(lesson.id.clone()),
                    AttrValue::from(format!("{}{where_}", lesson.title)),
                )
            }))
            .collect();
    let on_choose = {
        let dispatch = dispatch.clone();
        Callback::from(move |id: String| {
            dispatch.dispatch(if id.is_empty() {
                Action::CloseLesson
            } else {
                Action::ChooseLesson(id)
            })
        })
    };
    let open = lessons.open_lesson();
    let selected = open.map_or(String::new(), |(lesson, _)| lesson.id.clone());
    let body = match open {
        None => html! {},
        Some((lesson, step)) if step >= lesson.steps.len() => html! {
            <div class="lesson-step" aria-label="Lesson step">
                <p class="facts">{ format!("{}: done. Choose another lesson, or keep exploring.", lesson.title) }</p>
                <div class="buttons">
                    <button onclick={dispatch.to_callback().reform(|_: MouseEvent| Action::CloseLesson)}>{"Close lesson"}</button>
                </div>
            </div>
        },
        Some((lesson, step)) => {
            let current = &lesson.steps[step];
            let goal = current.goal.as_ref().map(|g| g.status(state));
            let can_go_on = goal.as_ref().is_none_or(|(_, done)| *done);
            let last = step + 1 == lesson.steps.len();
            html! {
                <div class="lesson-step" aria-label="Lesson step">
                    <h2>{ format!("Step {} of {}: {}", step + 1, lesson.steps.len(), current.title) }</h2>
                    <p>{ current.text.clone() }</p>
                    if let Some((text, done)) = goal {
                        <p class={classes!("goal", done.then_some("done"))} aria-label="Lesson goal" role="status">
                            { if done { format!("Done: {text}") } else { text } }
                        </p>
                    }
                    <div class="buttons">
                        <button onclick={dispatch.to_callback().reform(move |_: MouseEvent| Action::LessonStep(step.saturating_sub(1)))}
                                disabled={step == 0}>{"Back"}</button>
                        <button class="primary" disabled={!can_go_on}
                                onclick={dispatch.to_callback().reform(move |_: MouseEvent| Action::LessonStep(step + 1))}>
                            { if last { "Finish" } else { "Next" } }
                        </button>
                        <button onclick={dispatch.to_callback().reform(|_: MouseEvent| Action::CloseLesson)}>{"Close lesson"}</button>
                    </div>
                </div>
            }
        }
    };
    html! {
        <section class="lessons" aria-label="Lessons">
            <SelectField id="lesson" label="Lessons" {options} selected={selected} onchange={on_choose} />
            if let Some((lesson, _)) = open {
                <p class="hint">{ lesson.summary.clone() }</p>
            }
            { body }
        </section>
    }
}
