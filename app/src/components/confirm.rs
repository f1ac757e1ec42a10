use leptos::prelude::*;

use super::Dialog;
use crate::error::PanelError;

/// Asks before a destructive action. `action` runs the request; the dialog stays open, with
/// its buttons disabled, until it finishes, and shows its error if it fails.
#[component]
pub fn ConfirmDialog(
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(into)] confirm_label: String,
    action: Action<(), Result<(), PanelError>>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let pending = action.pending();
    let error = move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };

    view! {
        <Dialog title=title on_close=on_close dismiss_on_backdrop=true>
            <p class="dialog-text">{message}</p>
            <p class="form-error" role="alert">{error}</p>
            <footer class="dialog-actions">
                <button type="button" class="button" on:click=move |_| on_close.run(())>
                    "Cancel"
                </button>
                <button
                    type="button"
                    class="button danger"
                    autofocus=true
                    disabled=pending
                    on:click=move |_| {
                        action.dispatch(());
                    }
                >
                    {move || if pending.get() { "Working…".to_owned() } else { confirm_label.clone() }}
                </button>
            </footer>
        </Dialog>
    }
}
