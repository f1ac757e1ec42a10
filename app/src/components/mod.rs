//! Reusable pieces of the panel: dialogs and form fields.

mod confirm;
mod dialog;
mod field;

pub use confirm::ConfirmDialog;
pub use dialog::Dialog;
pub use dialog::focus_on_open;
pub use field::FieldMessage;
