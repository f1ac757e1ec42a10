#![recursion_limit = "256"]
//! The browser entry point: hydrates the server-rendered panel. `hydrate_lazy` because each
//! page's code is its own wasm chunk, fetched before that page hydrates.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
