use leptos::prelude::*;

use crate::error::PanelError;
use shared::model::Field;

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

/// What to show under a field: the server's verdict on it if there is one, else the local
/// rule's, once `visible` (the user touched the field or tried to save).
pub fn shown_error(
    server_error: RwSignal<Option<PanelError>>,
    field: Field,
    visible: Signal<bool>,
    local: impl Fn() -> Option<String> + Send + Sync + 'static,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        let server = server_error.get().and_then(|e| e.for_field(field));
        server.or_else(|| if visible.get() { local() } else { None })
    })
}
