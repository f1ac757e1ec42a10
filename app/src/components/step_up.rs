use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::{Dialog, FieldMessage};
use crate::error::PanelError;
use crate::server_fns::confirm_password;
use shared::model::Field;

/// Asks for the password again before a value is revealed or copied. `on_confirmed` runs once
/// the server accepted it; the caller then retries what it was doing.
#[component]
pub fn StepUpDialog(
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_confirmed: Callback<()>,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let confirm = Action::new(move |password: &String| confirm_password(password.clone()));
    let error = RwSignal::new(None::<PanelError>);
    Effect::new(move |_| match confirm.value().get() {
        Some(Ok(())) => on_confirmed.run(()),
        Some(Err(err)) => error.set(Some(err)),
        None => {}
    });
    let field_error =
        Signal::derive(move || error.get().and_then(|e| e.for_field(Field::Password)));
    let general_error = move || error.get().and_then(|e| e.general());
    let pending = confirm.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !pending.get_untracked() {
            error.set(None);
            confirm.dispatch(password.get_untracked());
        }
    };
    view! {
        <Dialog title="Confirm your password" on_close=on_close>
            <form method="post" on:submit=submit novalidate>
                <p class="dialog-text">
                    "Revealing and copying values needs your password from the last few minutes."
                </p>
                <div class="field">
                    <label class="label" for="step-up-password">"Password"</label>
                    <input
                        type="password"
                        id="step-up-password"
                        name="password"
                        autocomplete="current-password"
                        autofocus=true
                        aria-describedby="step-up-password-error"
                        prop:value=password
                        on:input=move |event| {
                            password.set(event_target_value(&event));
                            error.set(None);
                        }
                    />
                    <FieldMessage id="step-up-password-error" message=field_error />
                </div>
                <p class="form-error" role="alert">{general_error}</p>
                <footer class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" disabled=pending>
                        {move || if pending.get() { "Checking…" } else { "Confirm" }}
                    </button>
                </footer>
            </form>
        </Dialog>
    }
}
