use leptos::prelude::*;

/// A modal dialog on the native `<dialog>` element, opened with `showModal()`: the browser makes
/// the rest of the page inert, keeps Tab inside, and gives the first `autofocus` field the focus.
/// Esc (the `cancel` event) asks the owner to close it; so does a click on the backdrop when
/// `dismiss_on_backdrop` is set (confirmations only: a stray click must not discard a form).
#[component]
pub fn Dialog(
    #[prop(into)] title: String,
    #[prop(optional)] dismiss_on_backdrop: bool,
    #[prop(into)] on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get()
            && !dialog.open()
        {
            let _ = dialog.show_modal();
        }
    });

    view! {
        <dialog
            class="dialog"
            node_ref=dialog
            aria-labelledby="dialog-title"
            on:cancel=move |event: leptos::ev::Event| {
                // The owner removes the dialog; the browser must not close it behind its back.
                event.prevent_default();
                on_close.run(());
            }
            on:mousedown=move |event| {
                // The dialog element itself is hit only on its backdrop; its content is a child.
                if dismiss_on_backdrop && event.target() == event.current_target() {
                    on_close.run(());
                }
            }
        >
            <div class="dialog-body">
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
            </div>
        </dialog>
    }
}
