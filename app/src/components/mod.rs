//! Reusable pieces of the panel: dialogs, form fields, file downloads, the signed-in user.

mod confirm;
mod dialog;
mod download;
mod field;
mod session;
mod step_up;

pub use confirm::ConfirmDialog;
pub use dialog::Dialog;
pub use download::download_text;
pub use field::{FieldMessage, shown_error};
pub use session::{CurrentUser, can, reload_to, safe_next, use_me};
pub use step_up::StepUpDialog;
