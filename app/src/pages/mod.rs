//! One module per screen of the panel.

mod application_dialog;
mod applications;
mod audit;
mod not_found;
mod scenario_editor;
mod scenario_runs;
mod scenarios;
mod secret_dialog;
mod secrets;
mod service_accounts;
mod sign_in;
mod top_bar;
mod users;
mod workspace;

pub use applications::ApplicationsPage;
pub use audit::AuditPage;
pub use not_found::NotFound;
pub use scenario_editor::ScenarioEditorPage;
pub use scenarios::ScenariosPage;
pub use secrets::SecretsPage;
pub use service_accounts::ServiceAccountsPage;
pub use sign_in::{SetupPage, SignInPage};
pub use top_bar::TopBar;
pub use users::UsersPage;
pub use workspace::{ApplicationWorkspace, WorkspaceIndex, use_application_id};

/// Percent-encodes a query value (the browser's `encodeURIComponent`, without a dependency).
pub(crate) fn url_encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
