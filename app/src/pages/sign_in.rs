//! Signing in, and the first-run setup that creates the first Owner with the code from the
//! server log. Both reload the page when they succeed, so the new session starts clean.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{FieldMessage, reload_to, safe_next, shown_error};
use crate::error::PanelError;
use crate::server_fns::{complete_setup, sign_in};
use shared::model::{Field, Me};
use shared::validation::{check_new_password, check_username};

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let attempt =
        Action::new(move |(user, pass): &(String, String)| sign_in(user.clone(), pass.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = attempt.value().get() {
            reload_to(&safe_next(query.read_untracked().get("next")));
        }
    });
    let error = move || {
        attempt
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    let pending = attempt.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !pending.get_untracked() {
            attempt.dispatch((username.get_untracked(), password.get_untracked()));
        }
    };
    view! {
        <Title text="Sign in" />
        <section class="auth-card">
            <h1>"Sign in to Strongroom"</h1>
            <form method="post" on:submit=submit novalidate>
                <div class="field">
                    <label class="label" for="username">"Username"</label>
                    <input type="text" id="username" name="username" autocomplete="username"
                        autofocus=true spellcheck="false" prop:value=username
                        on:input=move |e| username.set(event_target_value(&e)) />
                </div>
                <div class="field">
                    <label class="label" for="password">"Password"</label>
                    <input type="password" id="password" name="password" autocomplete="current-password"
                        prop:value=password on:input=move |e| password.set(event_target_value(&e)) />
                </div>
                <p class="form-error" role="alert" data-testid="sign-in-error">{error}</p>
                <button type="submit" class="button primary wide" disabled=pending>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <p class="hint">"Forgot your password? An Owner can reset it on the Users page."</p>
        </section>
    }
}

#[derive(Clone)]
struct SetupDraft {
    code: String,
    username: String,
    password: String,
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let code = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let server_error = RwSignal::new(None::<PanelError>);
    let setup = Action::new(move |draft: &SetupDraft| {
        let draft = draft.clone();
        async move { complete_setup(draft.code, draft.username, draft.password).await }
    });
    Effect::new(move |_| match setup.value().get() {
        Some(Ok(Me { .. })) => reload_to("/"),
        Some(Err(err)) => server_error.set(Some(err)),
        None => {}
    });
    let shown = submitted.into();
    let code_error = shown_error(server_error, Field::SetupCode, shown, move || {
        code.get()
            .trim()
            .is_empty()
            .then(|| "Enter the setup code from the server log.".to_owned())
    });
    let username_error = shown_error(server_error, Field::Username, shown, move || {
        check_username(&username.get()).err()
    });
    let password_error = shown_error(server_error, Field::NewPassword, shown, move || {
        check_new_password(&password.get()).err()
    });
    let repeat_error = Signal::derive(move || {
        (submitted.get() && repeat.get() != password.get())
            .then(|| "The passwords differ.".to_owned())
    });
    let general_error = move || server_error.get().and_then(|e| e.general());
    let pending = setup.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        submitted.set(true);
        server_error.set(None);
        let ok = code_error.get_untracked().is_none()
            && username_error.get_untracked().is_none()
            && password_error.get_untracked().is_none()
            && repeat_error.get_untracked().is_none();
        if ok && !pending.get_untracked() {
            setup.dispatch(SetupDraft {
                code: code.get_untracked(),
                username: username.get_untracked(),
                password: password.get_untracked(),
            });
        }
    };
    view! {
        <Title text="Set up" />
        <section class="auth-card">
            <h1>"Set up Strongroom"</h1>
            <p class="subtitle">
                "Create the first Owner. The server printed a one-time setup code in its log when it started."
            </p>
            <form method="post" on:submit=submit novalidate autocomplete="off">
                <div class="field">
                    <label class="label" for="setup-code">"Setup code"</label>
                    <input type="text" id="setup-code" name="code" class="mono" autofocus=true
                        spellcheck="false" aria-describedby="setup-code-error" prop:value=code
                        on:input=move |e| { code.set(event_target_value(&e)); server_error.set(None); } />
                    <FieldMessage id="setup-code-error" message=code_error />
                </div>
                <div class="field">
                    <label class="label" for="setup-username">"Username"</label>
                    <input type="text" id="setup-username" name="username" autocomplete="username"
                        spellcheck="false" aria-describedby="setup-username-error" prop:value=username
                        on:input=move |e| { username.set(event_target_value(&e)); server_error.set(None); } />
                    <FieldMessage id="setup-username-error" message=username_error />
                </div>
                <div class="field">
                    <label class="label" for="setup-password">"Password"</label>
                    <input type="password" id="setup-password" name="password" autocomplete="new-password"
                        aria-describedby="setup-password-hint setup-password-error" prop:value=password
                        on:input=move |e| { password.set(event_target_value(&e)); server_error.set(None); } />
                    <span class="hint" id="setup-password-hint">"At least 12 characters."</span>
                    <FieldMessage id="setup-password-error" message=password_error />
                </div>
                <div class="field">
                    <label class="label" for="setup-repeat">"Repeat the password"</label>
                    <input type="password" id="setup-repeat" name="repeat" autocomplete="new-password"
                        aria-describedby="setup-repeat-error" prop:value=repeat
                        on:input=move |e| repeat.set(event_target_value(&e)) />
                    <FieldMessage id="setup-repeat-error" message=repeat_error />
                </div>
                <p class="form-error" role="alert">{general_error}</p>
                <button type="submit" class="button primary wide" disabled=pending>
                    {move || if pending.get() { "Creating…" } else { "Create Owner and sign in" }}
                </button>
            </form>
        </section>
    }
}
