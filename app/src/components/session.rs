//! The signed-in user, as every component can ask for it. `App` loads it once per page load
//! (sign-in and sign-out reload the page) and provides the resource as context.

use leptos::prelude::*;

use crate::error::PanelError;
use crate::model::{Me, Permission};

/// The signed-in user (`None` on the sign-in and setup pages).
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<Me>, PanelError>>);

/// The signed-in user. Reads a resource: call it inside a `Transition` (or `Suspense`), in a
/// reactive closure, so server rendering waits for it and hydration sees the same answer.
pub fn use_me() -> Option<Me> {
    use_context::<CurrentUser>()
        .and_then(|user| user.0.get())
        .and_then(Result::ok)
        .flatten()
}

/// Whether the signed-in user's role allows `permission`. Only hides what would be refused:
/// the server checks every call again.
pub fn can(permission: Permission) -> bool {
    use_me().is_some_and(|me| me.role.allows(permission))
}

/// A full page load of `path`: after signing in or out, everything starts afresh.
pub fn reload_to(path: &str) {
    let _ = window().location().set_href(path);
}

/// The `next` parameter of the sign-in URL, if it is a path on this site (never another site).
pub fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".to_owned())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/applications/3/secrets".into())),
            "/applications/3/secrets"
        );
        assert_eq!(safe_next(Some("//evil.example".into())), "/");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/");
        assert_eq!(safe_next(None), "/");
    }
}
