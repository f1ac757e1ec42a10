use leptos::ev;
use leptos::prelude::*;

/// A modal dialog. Esc or a click on the backdrop closes it; the content decides what has the
/// initial focus (see `focus_on_open`).
#[component]
pub fn Dialog(
    #[prop(into)] title: String,
    #[prop(into)] on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let handle = window_event_listener(ev::keydown, move |event| {
        if event.key() == "Escape" {
            event.prevent_default();
            on_close.run(());
        }
    });
    on_cleanup(move || handle.remove());

    view! {
        <div
            class="backdrop"
            on:mousedown=move |event| {
                if event.target() == event.current_target() {
                    on_close.run(());
                }
            }
        >
            <section class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title">
                <header class="dialog-header">
                    <h2 id="dialog-title">{title}</h2>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label="Close"
                        title="Close (Esc)"
                        on:click=move |_| on_close.run(())
                    >
                        "×"
                    </button>
                </header>
                {children()}
            </section>
        </div>
    }
}

/// Moves the keyboard focus to `target` once it is in the page (dialogs open with the focus on
/// their first field).
pub fn focus_on_open<E>(target: NodeRef<E>)
where
    E: leptos::html::ElementType + 'static,
    E::Output: AsRef<web_sys::HtmlElement> + Clone + 'static,
    NodeRef<E>: Get<Value = Option<E::Output>>,
{
    Effect::new(move |_| {
        if let Some(element) = target.get() {
            let _ = element.as_ref().focus();
        }
    });
}
