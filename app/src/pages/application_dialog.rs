//! Create or rename an application: one field, checked while the user types with the same rule
//! the server enforces.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::{Dialog, FieldMessage};
use crate::error::PanelError;
use crate::server_fns::{create_application, rename_application};
use shared::model::{ApplicationSummary, Field};
use shared::validation::check_application_name;

#[component]
pub fn ApplicationDialog(
    /// `None` creates a new application; `Some` renames this one.
    existing: Option<ApplicationSummary>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_saved: Callback<ApplicationSummary>,
) -> impl IntoView {
    let existing_id = existing.as_ref().map(|app| app.id);
    let title = match &existing {
        Some(app) => format!("Rename {}", app.name),
        None => "New application".to_owned(),
    };
    let name = RwSignal::new(existing.map(|app| app.name).unwrap_or_default());
    let edited = RwSignal::new(false);
    let server_error = RwSignal::new(None::<PanelError>);

    let save = Action::new(move |name: &String| {
        let name = name.clone();
        async move {
            match existing_id {
                Some(id) => rename_application(id, name).await,
                None => create_application(name).await,
            }
        }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(app)) => on_saved.run(app),
        Some(Err(err)) => server_error.set(Some(err)),
        None => {}
    });

    let local_error = move || check_application_name(&name.get()).err();
    let name_error = Signal::derive(move || {
        let server = server_error
            .get()
            .and_then(|e| e.for_field(Field::ApplicationName));
        server.or_else(|| edited.get().then(local_error).flatten())
    });
    let general_error = move || server_error.get().and_then(|e| e.general());
    let pending = save.pending();

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        edited.set(true);
        if local_error().is_none() && !pending.get_untracked() {
            server_error.set(None);
            save.dispatch(name.get_untracked());
        }
    };

    view! {
        <Dialog title=title on_close=on_close>
            <form method="post" on:submit=submit novalidate>
                <div class="field">
                    <label class="label" for="application-name">"Name"</label>
                    <input
                        type="text"
                        id="application-name"
                        name="name"
                        autofocus=true
                        autocomplete="off"
                        spellcheck="false"
                        aria-invalid=move || name_error.get().is_some().to_string()
                        aria-describedby="application-name-hint application-name-error"
                        prop:value=name
                        on:input=move |event| {
                            name.set(event_target_value(&event));
                            edited.set(true);
                            server_error.set(None);
                        }
                    />
                    <span class="hint" id="application-name-hint">
                        "Lowercase Latin letters, digits and hyphens; starts with a letter; up to 64 characters."
                    </span>
                    <FieldMessage id="application-name-error" message=name_error />
                </div>
                <p class="form-error" role="alert">{general_error}</p>
                <footer class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                    <button type="submit" class="button primary" disabled=pending>
                        {move || match (pending.get(), existing_id.is_some()) {
                            (true, _) => "Saving…",
                            (false, true) => "Rename",
                            (false, false) => "Create application",
                        }}
                    </button>
                </footer>
            </form>
        </Dialog>
    }
}
