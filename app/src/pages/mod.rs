//! One module per screen of the panel.

mod application_dialog;
mod applications;
mod not_found;
mod secret_dialog;
mod secrets;
mod service_accounts;
mod workspace;

pub use applications::ApplicationsPage;
pub use not_found::NotFound;
pub use secrets::SecretsPage;
pub use service_accounts::ServiceAccountsPage;
pub use workspace::{ApplicationWorkspace, WorkspaceIndex, use_application_id};
