//! The code field: a textarea with a line-number gutter that scrolls with it, and the two
//! cursor helpers the editor's keys and "Go to line" use.

use leptos::prelude::*;

use super::state::EditorState;
use crate::components::FieldMessage;
use shared::validation::SCENARIO_CODE_MAX_CHARS;

#[component]
pub fn CodeField(state: EditorState, editor: NodeRef<leptos::html::Textarea>) -> impl IntoView {
    let code = state.code;
    let code_error = state.code_error();
    let line_numbers = move || {
        let lines = code.with(|c| c.lines().count().max(1) + usize::from(c.ends_with('\n')));
        (1..=lines)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let gutter = NodeRef::<leptos::html::Pre>::new();
    let sync_gutter = move |_| {
        if let (Some(area), Some(gutter)) = (editor.get_untracked(), gutter.get_untracked()) {
            gutter.set_scroll_top(area.scroll_top());
        }
    };
    let hint = move || {
        format!(
            "{} / {SCENARIO_CODE_MAX_CHARS} characters. VoxEngine.addEventListener(AppEvents.Started | AppEvents.Terminating, handler), VoxEngine.getSecretValue(name), Logger.write(text), VoxEngine.terminate(). Tab indents (Esc, then Tab, leaves); Ctrl+S saves; Ctrl+Enter runs.",
            code.with(|c| c.chars().count())
        )
    };
    view! {
        <div class="field">
            <label class="label" for="scenario-code">"Code"</label>
            <div class="code-editor">
                <pre class="code-gutter" aria-hidden="true" node_ref=gutter>{line_numbers}</pre>
                <textarea
                    id="scenario-code"
                    node_ref=editor
                    class="code-input"
                    rows="18"
                    wrap="off"
                    spellcheck="false"
                    autocomplete="off"
                    readonly=!state.may_write
                    aria-invalid=move || code_error.get().is_some().to_string()
                    aria-describedby="scenario-code-hint scenario-code-error"
                    prop:value=code
                    on:input=move |event| {
                        code.set(event_target_value(&event));
                        state.server_error.set(None);
                    }
                    on:scroll=sync_gutter
                    on:keydown=state.keydown(editor)
                ></textarea>
            </div>
            <span class="hint" id="scenario-code-hint">{hint}</span>
            <FieldMessage id="scenario-code-error" message=code_error />
        </div>
    }
}

/// Replaces the selection with `text`, leaving the cursor after it.
pub fn insert_at_cursor(area: &web_sys::HtmlTextAreaElement, text: &str) {
    let value = area.value();
    let units: Vec<u16> = value.encode_utf16().collect();
    let start = area.selection_start().ok().flatten().unwrap_or(0) as usize;
    let end = area.selection_end().ok().flatten().unwrap_or(0) as usize;
    let (start, end) = (start.min(units.len()), end.min(units.len()).max(start));
    let mut next = String::from_utf16_lossy(&units[..start]);
    next.push_str(text);
    next.push_str(&String::from_utf16_lossy(&units[end..]));
    area.set_value(&next);
    let cursor = (start + text.encode_utf16().count()) as u32;
    let _ = area.set_selection_range(cursor, cursor);
}

/// Selects line `line` (1-based) and scrolls it into view, for "Go to line".
pub fn select_line(area: &web_sys::HtmlTextAreaElement, line: u32) {
    let value = area.value();
    let mut start = 0usize;
    for (index, text) in value.split('\n').enumerate() {
        let length = text.encode_utf16().count();
        if index + 1 == line as usize {
            let _ = area.focus();
            let _ = area.set_selection_range(start as u32, (start + length) as u32);
            // About one line per 1.45em of a 14px font: close enough to bring it into view.
            area.set_scroll_top(((index.saturating_sub(3)) as f64 * 20.0) as i32);
            return;
        }
        start += length + 1;
    }
}
