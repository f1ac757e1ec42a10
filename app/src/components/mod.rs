//! Reusable pieces of the panel: dialogs, form fields and file downloads.

mod confirm;
mod dialog;
mod download;
mod field;

pub use confirm::ConfirmDialog;
pub use dialog::Dialog;
pub use download::download_text;
pub use field::FieldMessage;
