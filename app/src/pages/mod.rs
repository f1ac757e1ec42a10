//! One module per screen of the panel.

mod application_dialog;
mod applications;
mod not_found;
mod secret_dialog;
mod secrets;
mod workspace;

pub use applications::ApplicationsPage;
pub use not_found::NotFound;
pub use secrets::SecretsPage;
pub use workspace::{ApplicationWorkspace, WorkspaceIndex, use_application_id};
