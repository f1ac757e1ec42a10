//! The Users page (Owners only): add users, change roles, disable and enable, reset passwords.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{ConfirmDialog, Dialog, FieldMessage, can, shown_error, use_me};
use crate::error::PanelError;
use crate::server_fns::{
    create_user, list_users, reset_user_password, set_user_disabled, set_user_role,
};
use shared::model::{Field, Permission, Role, UserSummary};
use shared::validation::{check_new_password, check_username};

#[derive(Clone)]
enum Open {
    Add,
    Role(UserSummary),
    Toggle(UserSummary),
    Reset(UserSummary),
}

const ROLE_HINT: &str = "Viewer: applications and secret names only, never values. Developer: \
     also reads values and changes secrets. Admin: also manages applications, service accounts \
     and reads the audit log. Owner: also manages users.";

#[component]
pub fn UsersPage() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let users = Resource::new(move || reload.get(), |_| list_users());
    let open = RwSignal::new(None::<Open>);
    let close = Callback::new(move |()| open.set(None));
    let done = Callback::new(move |()| {
        open.set(None);
        reload.update(|n| *n += 1);
    });

    let table = move |users: Vec<UserSummary>| {
        let me = use_me().map(|me| me.id);
        let rows = users
            .into_iter()
            .map(|user| {
                let itself = Some(user.id) == me;
                let (role, toggle, reset) = (user.clone(), user.clone(), user.clone());
                view! {
                    <tr class:disabled-row=user.disabled>
                        <td class="mono">{user.username.clone()} {itself.then_some(" (you)")}</td>
                        <td>{user.role.as_str()}</td>
                        <td>{if user.disabled { "Disabled" } else { "Active" }}</td>
                        <td class="mono nowrap">{user.created.to_string()}</td>
                        <td class="actions">
                            {(!itself).then(|| view! {
                                <button class="button small" aria-label=format!("Change role of {}", role.username)
                                    on:click=move |_| open.set(Some(Open::Role(role.clone())))>"Change role"</button>
                                <button class="button small danger-outline"
                                    aria-label=format!("{} {}", if toggle.disabled { "Enable" } else { "Disable" }, toggle.username)
                                    on:click={
                                        let toggle = toggle.clone();
                                        move |_| open.set(Some(Open::Toggle(toggle.clone())))
                                    }>
                                    {if toggle.disabled { "Enable" } else { "Disable" }}
                                </button>
                            })}
                            <button class="button small" aria-label=format!("Reset password of {}", reset.username)
                                on:click=move |_| open.set(Some(Open::Reset(reset.clone())))>"Reset password"</button>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"Username"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Created (UTC)"</th>
                            <th scope="col" class="actions"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    };

    view! {
        <Title text="Users" />
        <div class="page-header">
            <div>
                <h1>"Users"</h1>
                <p class="subtitle">"People who sign in to this panel, and what their role lets them do."</p>
            </div>
            <Transition fallback=|| ()>
                {move || can(Permission::ManageUsers).then(|| view! {
                    <button class="button primary" on:click=move |_| open.set(Some(Open::Add))>"Add user"</button>
                })}
            </Transition>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
            {move || users.get().map(|result| match result {
                Ok(users) => table(users).into_any(),
                Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Transition>
        {move || open.get().map(|what| match what {
            Open::Add => view! { <AddUserDialog on_close=close on_done=done /> }.into_any(),
            Open::Role(user) => view! { <RoleDialog user=user on_close=close on_done=done /> }.into_any(),
            Open::Toggle(user) => view! { <ToggleUser user=user on_close=close on_done=done /> }.into_any(),
            Open::Reset(user) => view! { <ResetPasswordDialog user=user on_close=close on_done=done /> }.into_any(),
        })}
    }
}

/// A role picker: every role, the current one selected.
#[component]
fn RoleSelect(#[prop(into)] id: String, role: RwSignal<Role>) -> impl IntoView {
    view! {
        <select id=id name="role" on:change=move |event| {
            if let Ok(r) = event_target_value(&event).parse() { role.set(r) }
        }>
            {Role::ALL.into_iter().map(|r| view! {
                <option value=r.as_str() selected=move || role.get() == r>{r.as_str()}</option>
            }).collect_view()}
        </select>
        <p class="hint">{ROLE_HINT}</p>
    }
}

#[derive(Clone)]
struct NewUser {
    username: String,
    password: String,
    role: Role,
}

#[component]
fn AddUserDialog(
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let submitted = RwSignal::new(false);
    let server_error = RwSignal::new(None::<PanelError>);
    let add = Action::new(move |new: &NewUser| {
        let new = new.clone();
        async move { create_user(new.username, new.password, new.role).await }
    });
    Effect::new(move |_| match add.value().get() {
        Some(Ok(_)) => on_done.run(()),
        Some(Err(err)) => server_error.set(Some(err)),
        None => {}
    });
    let shown = submitted.into();
    let username_error = shown_error(server_error, Field::Username, shown, move || {
        check_username(&username.get()).err()
    });
    let password_error = shown_error(server_error, Field::NewPassword, shown, move || {
        check_new_password(&password.get()).err()
    });
    let general_error = move || server_error.get().and_then(|e| e.general());
    let pending = add.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        submitted.set(true);
        server_error.set(None);
        let ok = check_username(&username.get_untracked()).is_ok()
            && check_new_password(&password.get_untracked()).is_ok();
        if ok && !pending.get_untracked() {
            add.dispatch(NewUser {
                username: username.get_untracked(),
                password: password.get_untracked(),
                role: role.get_untracked(),
            });
        }
    };
    view! {
        <Dialog title="Add user" on_close=on_close>
            <form method="post" on:submit=submit novalidate autocomplete="off">
                <div class="field">
                    <label class="label" for="new-username">"Username"</label>
                    <input type="text" id="new-username" autofocus=true spellcheck="false"
                        aria-describedby="new-username-error" prop:value=username
                        on:input=move |e| { username.set(event_target_value(&e)); server_error.set(None); } />
                    <FieldMessage id="new-username-error" message=username_error />
                </div>
                <div class="field">
                    <label class="label" for="new-user-password">"Initial password"</label>
                    <input type="password" id="new-user-password" autocomplete="new-password"
                        aria-describedby="new-user-password-hint new-user-password-error" prop:value=password
                        on:input=move |e| { password.set(event_target_value(&e)); server_error.set(None); } />
                    <span class="hint" id="new-user-password-hint">"At least 12 characters. Give it to the user; they can change it after signing in."</span>
                    <FieldMessage id="new-user-password-error" message=password_error />
                </div>
                <div class="field">
                    <label class="label" for="new-user-role">"Role"</label>
                    <RoleSelect id="new-user-role" role=role />
                </div>
                <p class="form-error" role="alert">{general_error}</p>
                <footer class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" disabled=pending>
                        {move || if pending.get() { "Adding…" } else { "Add user" }}
                    </button>
                </footer>
            </form>
        </Dialog>
    }
}

#[component]
fn RoleDialog(
    user: UserSummary,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let role = RwSignal::new(user.role);
    let id = user.id;
    let save = Action::new(move |role: &Role| set_user_role(id, *role));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            on_done.run(());
        }
    });
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    let pending = save.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !pending.get_untracked() {
            save.dispatch(role.get_untracked());
        }
    };
    view! {
        <Dialog title=format!("Role of {}", user.username) on_close=on_close>
            <form method="post" on:submit=submit novalidate>
                <div class="field">
                    <label class="label" for="user-role">"Role"</label>
                    <RoleSelect id="user-role" role=role />
                </div>
                <p class="form-error" role="alert">{error}</p>
                <footer class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" disabled=pending>"Save role"</button>
                </footer>
            </form>
        </Dialog>
    }
}

#[component]
fn ToggleUser(
    user: UserSummary,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let (id, disable) = (user.id, !user.disabled);
    let action =
        Action::new(move |_: &()| async move { set_user_disabled(id, disable).await.map(|_| ()) });
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            on_done.run(());
        }
    });
    let (title, message, label) = if disable {
        (
            "Disable user",
            format!(
                "Disable {}? They are signed out at once and cannot sign in until enabled again.",
                user.username
            ),
            "Disable user",
        )
    } else {
        (
            "Enable user",
            format!(
                "Enable {}? They can sign in again with their password.",
                user.username
            ),
            "Enable user",
        )
    };
    view! { <ConfirmDialog title=title message=message confirm_label=label action=action on_close=on_close /> }
}

#[component]
fn ResetPasswordDialog(
    user: UserSummary,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let id = user.id;
    let save = Action::new(move |password: &String| reset_user_password(id, password.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            on_done.run(());
        }
    });
    let field_error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.for_field(Field::NewPassword))
            .or_else(|| {
                submitted
                    .get()
                    .then(|| check_new_password(&password.get()).err())
                    .flatten()
            })
    });
    let general_error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.general())
    };
    let pending = save.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        submitted.set(true);
        if check_new_password(&password.get_untracked()).is_ok() && !pending.get_untracked() {
            save.dispatch(password.get_untracked());
        }
    };
    view! {
        <Dialog title=format!("Reset password of {}", user.username) on_close=on_close>
            <form method="post" on:submit=submit novalidate>
                <p class="dialog-text">"They are signed out everywhere and must use the new password."</p>
                <div class="field">
                    <label class="label" for="reset-password">"New password"</label>
                    <input type="password" id="reset-password" autocomplete="new-password" autofocus=true
                        aria-describedby="reset-password-error" prop:value=password
                        on:input=move |e| password.set(event_target_value(&e)) />
                    <FieldMessage id="reset-password-error" message=field_error />
                </div>
                <p class="form-error" role="alert">{general_error}</p>
                <footer class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" disabled=pending>"Set password"</button>
                </footer>
            </form>
        </Dialog>
    }
}
