use leptos::prelude::*;

/// The error line under a form field; empty (and silent for screen readers) when there is none.
#[component]
pub fn FieldMessage(
    #[prop(into)] id: String,
    #[prop(into)] message: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <p class="field-error" id=id role="alert" aria-live="polite">
            {move || message.get().unwrap_or_default()}
        </p>
    }
}
