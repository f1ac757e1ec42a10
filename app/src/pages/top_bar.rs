//! The bar on top of every page: the main navigation (only what the role may open), and the
//! signed-in user's menu: change password, sign out.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{Dialog, FieldMessage, can, reload_to, shown_error, use_me};
use crate::error::PanelError;
use crate::server_fns::{change_password, sign_out};
use shared::model::{Field, Permission};
use shared::validation::check_new_password;

#[component]
pub fn TopBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "Strongroom"
            </a>
            <Transition fallback=|| ()>
            {move || use_me().is_some().then(|| view! {
                <nav class="topnav" aria-label="Main">
                    <A href="/" exact=true>"Applications"</A>
                    {can(Permission::ManageAccess).then(|| view! { <A href="/service-accounts">"Service accounts"</A> })}
                    {can(Permission::ManageUsers).then(|| view! { <A href="/users">"Users"</A> })}
                    {can(Permission::ManageAccess).then(|| view! { <A href="/audit">"Audit"</A> })}
                </nav>
                <UserMenu />
            })}
            </Transition>
        </header>
    }
}

#[component]
fn UserMenu() -> impl IntoView {
    let me = use_me();
    let (name, role) = me
        .map(|me| (me.username, me.role.as_str()))
        .unwrap_or_default();
    let changing = RwSignal::new(false);
    let leave = Action::new(move |_: &()| sign_out());
    Effect::new(move |_| {
        if leave.value().get().is_some() {
            // Signed out, or the session had already ended: either way, start over.
            reload_to("/sign-in");
        }
    });
    view! {
        <div class="user-menu">
            <span class="user-name" data-testid="current-user">{name}</span>
            <span class="role-badge">{role}</span>
            <button type="button" class="button small ghost" on:click=move |_| changing.set(true)>
                "Change password"
            </button>
            <button type="button" class="button small" disabled=leave.pending()
                on:click=move |_| { leave.dispatch(()); }>
                "Sign out"
            </button>
        </div>
        {move || changing.get().then(|| view! {
            <ChangePasswordDialog on_close=Callback::new(move |()| changing.set(false)) />
        })}
    }
}

#[component]
fn ChangePasswordDialog(#[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let server_error = RwSignal::new(None::<PanelError>);
    let done = RwSignal::new(false);
    let save = Action::new(move |(current, new): &(String, String)| {
        change_password(current.clone(), new.clone())
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(())) => done.set(true),
        Some(Err(err)) => server_error.set(Some(err)),
        None => {}
    });
    let current_error = Signal::derive(move || {
        server_error
            .get()
            .and_then(|e| e.for_field(Field::Password))
    });
    let new_error = shown_error(
        server_error,
        Field::NewPassword,
        submitted.into(),
        move || check_new_password(&new.get()).err(),
    );
    let general_error = move || server_error.get().and_then(|e| e.general());
    let pending = save.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        submitted.set(true);
        server_error.set(None);
        if check_new_password(&new.get_untracked()).is_ok() && !pending.get_untracked() {
            save.dispatch((current.get_untracked(), new.get_untracked()));
        }
    };
    view! {
        <Dialog title="Change password" on_close=on_close>
            {move || if done.get() {
                view! {
                    <p class="dialog-text" role="status">"Your password is changed. Your other sessions were signed out."</p>
                    <footer class="dialog-actions">
                        <button type="button" class="button primary" autofocus=true on:click=move |_| on_close.run(())>"Done"</button>
                    </footer>
                }.into_any()
            } else {
                view! {
                    <form method="post" on:submit=submit novalidate>
                        <div class="field">
                            <label class="label" for="current-password">"Current password"</label>
                            <input type="password" id="current-password" autocomplete="current-password" autofocus=true
                                aria-describedby="current-password-error" prop:value=current
                                on:input=move |e| { current.set(event_target_value(&e)); server_error.set(None); } />
                            <FieldMessage id="current-password-error" message=current_error />
                        </div>
                        <div class="field">
                            <label class="label" for="new-password">"New password"</label>
                            <input type="password" id="new-password" autocomplete="new-password"
                                aria-describedby="new-password-hint new-password-error" prop:value=new
                                on:input=move |e| { new.set(event_target_value(&e)); server_error.set(None); } />
                            <span class="hint" id="new-password-hint">"At least 12 characters."</span>
                            <FieldMessage id="new-password-error" message=new_error />
                        </div>
                        <p class="form-error" role="alert">{general_error}</p>
                        <footer class="dialog-actions">
                            <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                            <button type="submit" class="button primary" disabled=pending>
                                {move || if pending.get() { "Saving…" } else { "Change password" }}
                            </button>
                        </footer>
                    </form>
                }.into_any()
            }}
        </Dialog>
    }
}
