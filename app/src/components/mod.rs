//! Reusable pieces of the panel: dialogs and form fields.

mod confirm;
mod dialog;
mod field;

pub use confirm::ConfirmDialog;
pub use dialog::Dialog;
pub use field::FieldMessage;
