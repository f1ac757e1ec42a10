//! The home page: every application with its number of secrets, and the actions on them.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use super::application_dialog::ApplicationDialog;
use crate::components::{ConfirmDialog, can};
use crate::server_fns::{delete_application, list_applications};
use shared::model::{ApplicationSummary, Permission};

#[derive(Clone)]
enum Open {
    Create,
    Rename(ApplicationSummary),
    Delete(ApplicationSummary),
}

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let applications = Resource::new(move || reload.get(), |_| list_applications());
    let open = RwSignal::new(None::<Open>);
    let close = Callback::new(move |()| open.set(None));
    let navigate = use_navigate();
    let after_save = Callback::new(move |app: ApplicationSummary| {
        let created = matches!(open.get_untracked(), Some(Open::Create));
        open.set(None);
        reload.update(|n| *n += 1);
        if created {
            navigate(
                &format!("/applications/{}/secrets", app.id),
                Default::default(),
            );
        }
    });

    let table = move |list: Vec<ApplicationSummary>| {
        if list.is_empty() {
            return view! {
                <section class="empty-state">
                    <h2>"No applications yet"</h2>
                    <p>"An application holds one set of secrets. Create one to start storing secrets."</p>
                    {can(Permission::ManageApplications).then(|| view! {
                        <button class="button primary" on:click=move |_| open.set(Some(Open::Create))>
                            "New application"
                        </button>
                    })}
                </section>
            }
            .into_any();
        }
        let may_manage = can(Permission::ManageApplications);
        let rows = list
            .into_iter()
            .map(|app| {
                let (rename, delete) = (app.clone(), app.clone());
                let href = format!("/applications/{}/secrets", app.id);
                view! {
                    <tr>
                        <td><a class="row-link" href=href>{app.name.clone()}</a></td>
                        <td class="num">{app.secret_count}</td>
                        <td class="mono">{app.modified.to_string()}</td>
                        <td class="actions">
                            {may_manage.then(|| view! {
                            <button
                                class="button small"
                                aria-label=format!("Rename {}", app.name)
                                on:click=move |_| open.set(Some(Open::Rename(rename.clone())))
                            >
                                "Rename"
                            </button>
                            <button
                                class="button small danger-outline"
                                aria-label=format!("Delete {}", app.name)
                                on:click=move |_| open.set(Some(Open::Delete(delete.clone())))
                            >
                                "Delete"
                            </button>
                            })}
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
                            <th scope="col">"Name"</th>
                            <th scope="col" class="num">"Secrets"</th>
                            <th scope="col">"Modified (UTC)"</th>
                            <th scope="col" class="actions"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };

    view! {
        <Title text="Applications" />
        <div class="page-header">
            <div>
                <h1>"Applications"</h1>
                <p class="subtitle">"Each application keeps its own secrets, encrypted with its own key."</p>
            </div>
            <Transition fallback=|| ()>
                {move || can(Permission::ManageApplications).then(|| view! {
                    <button class="button primary" on:click=move |_| open.set(Some(Open::Create))>
                        "New application"
                    </button>
                })}
            </Transition>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading applications…"</p> }>
            {move || {
                applications
                    .get()
                    .map(|result| match result {
                        Ok(list) => table(list),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
        {move || match open.get() {
            None => None,
            Some(Open::Create) => Some(view! { <ApplicationDialog existing=None on_close=close on_saved=after_save /> }.into_any()),
            Some(Open::Rename(app)) => Some(view! { <ApplicationDialog existing=Some(app) on_close=close on_saved=after_save /> }.into_any()),
            Some(Open::Delete(app)) => Some(view! { <DeleteApplication app=app on_close=close on_deleted=Callback::new(move |()| { open.set(None); reload.update(|n| *n += 1); }) /> }.into_any()),
        }}
    }
}

#[component]
fn DeleteApplication(
    app: ApplicationSummary,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_deleted: Callback<()>,
) -> impl IntoView {
    let id = app.id;
    let action = Action::new(move |_: &()| async move { delete_application(id).await.map(|_| ()) });
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            on_deleted.run(());
        }
    });
    let message = match app.secret_count {
        0 => format!(
            "Delete the application \"{}\"? It has no secrets. This cannot be undone.",
            app.name
        ),
        1 => format!(
            "Delete the application \"{}\" and its 1 secret? This cannot be undone.",
            app.name
        ),
        n => format!(
            "Delete the application \"{}\" and its {n} secrets? This cannot be undone.",
            app.name
        ),
    };
    view! {
        <ConfirmDialog
            title="Delete application"
            message=message
            confirm_label="Delete application"
            action=action
            on_close=on_close
        />
    }
}
